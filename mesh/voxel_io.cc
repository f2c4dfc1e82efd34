// Reading and writing voxel images: VTK ImageData (.vti) and raw uint8.
#include <mesh/voxel_io.h>
#include <postprocess/file_utils.h>

#include <vtkAlgorithm.h>
#include <vtkCallbackCommand.h>
#include <vtkCellData.h>
#include <vtkCommand.h>
#include <vtkDataArray.h>
#include <vtkDataCompressor.h>
#include <vtkExecutive.h>
#include <vtkFieldData.h>
#include <vtkImageData.h>
#include <vtkMatrix3x3.h>
#include <vtkNew.h>
#include <vtkPointData.h>
#include <vtkStringArray.h>
#include <vtkType.h>
#include <vtkUnsignedCharArray.h>
#include <vtkXMLDataElement.h>
#include <vtkXMLDataParser.h>
#include <vtkXMLFileReadTester.h>
#include <vtkXMLImageDataReader.h>
#include <vtkXMLImageDataWriter.h>
#include <vtkZLibDataCompressor.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <vector>

namespace solidanode
{
  namespace
  {
    const char *const phase_array_name = "phase";
    const char *const phase_names_array_name = "phase_names";

    std::string dims_text(const std::array<std::size_t, 3> &dims)
    {
      return std::to_string(dims[0]) + " x " + std::to_string(dims[1]) + " x " +
             std::to_string(dims[2]);
    }

    std::string to_text(const double value)
    {
      std::ostringstream out;
      out << value;
      return out.str();
    }

    std::string os_error(const int err)
    {
      return err != 0 ? std::strerror(err) : "unknown I/O error";
    }

    std::string no_such_file()
    {
      return std::make_error_code(std::errc::no_such_file_or_directory).message();
    }

    /**
     * Collects the error messages a VTK object emits instead of letting VTK
     * print them to stderr: while an object has an observer for ErrorEvent
     * (WarningEvent), vtkErrorMacro (vtkWarningMacro) hands the text to the
     * observer instead of the output window. Errors end up in our exception
     * messages; warnings are dropped, as every real problem of the files we
     * read is also reported as an error or caught by our own checks.
     */
    class VtkErrorCollector
    {
    public:
      /// Observe @p algorithm and its executive (the pipeline reports
      /// failures of the algorithm once more, from the executive).
      explicit VtkErrorCollector(vtkAlgorithm *algorithm)
      {
        on_error->SetClientData(&errors);
        on_error->SetCallback(&VtkErrorCollector::collect);
        on_warning->SetCallback(&VtkErrorCollector::ignore);
        observe(algorithm);
        observe(algorithm->GetExecutive());
      }

      /// Collect the errors of @p object as well.
      void observe(vtkObject *object)
      {
        object->AddObserver(vtkCommand::ErrorEvent, on_error);
        object->AddObserver(vtkCommand::WarningEvent, on_warning);
      }

      /// The command that collects errors, for objects created later inside
      /// the algorithm (e.g. vtkXMLReader::SetParserErrorObserver()).
      vtkCommand *error_observer() { return on_error; }

      bool empty() const { return errors.empty(); }

      /// The first error, without VTK's "ERROR: In <file>, line <n>" line
      /// and the "<Class> (<address>): " prefix; @p fallback if none.
      std::string first(const std::string &fallback) const
      {
        if (errors.empty())
          return fallback;
        std::string text = errors.front();
        if (text.rfind("ERROR: In ", 0) == 0)
          {
            const auto line_end = text.find('\n');
            text.erase(0, line_end == std::string::npos ? text.size() : line_end + 1);
            const auto prefix_end = text.find("): ");
            if (prefix_end != std::string::npos && text.find(" (0x") < prefix_end)
              text.erase(0, prefix_end + 3);
          }
        while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
          text.pop_back();
        std::replace(text.begin(), text.end(), '\n', ' ');
        return text.empty() ? fallback : text;
      }

      /// The observed objects may outlive us (they hold a reference to the
      /// callbacks); make sure a late error does not touch our vector.
      ~VtkErrorCollector() { on_error->SetClientData(nullptr); }

      VtkErrorCollector(const VtkErrorCollector &) = delete;
      VtkErrorCollector &operator=(const VtkErrorCollector &) = delete;

    private:
      static void collect(vtkObject *, unsigned long, void *client_data,
                          void *call_data)
      {
        if (client_data == nullptr)
          return;
        auto *errors = static_cast<std::vector<std::string> *>(client_data);
        errors->emplace_back(call_data != nullptr ?
                               static_cast<const char *>(call_data) :
                               "");
      }
      static void ignore(vtkObject *, unsigned long, void *, void *) {}

      std::vector<std::string> errors;
      vtkNew<vtkCallbackCommand> on_error;
      vtkNew<vtkCallbackCommand> on_warning;
    };

    /// Throws std::invalid_argument starting with @p what unless the
    /// geometry is usable: positive dimensions whose product fits in a
    /// size_t, finite positive voxel sizes and a finite origin. Unlike
    /// VoxelImage::validate(), phase names are not required here.
    void check_geometry(const std::array<std::size_t, 3> &dims,
                        const std::array<double, 3> &voxel_size,
                        const std::array<double, 3> &origin,
                        const std::string &what)
    {
      static const char axis_name[3] = {'x', 'y', 'z'};
      for (unsigned int d = 0; d < 3; ++d)
        {
          if (dims[d] == 0)
            throw std::invalid_argument(what + ": the image has no voxels along " +
                                        axis_name[d]);
          if (!std::isfinite(voxel_size[d]) || !(voxel_size[d] > 0.))
            throw std::invalid_argument(what + ": the voxel size along " +
                                        axis_name[d] + " must be finite and > 0, got " +
                                        to_text(voxel_size[d]));
          if (!std::isfinite(origin[d]))
            throw std::invalid_argument(what + ": the origin along " +
                                        axis_name[d] + " is not finite");
        }
      const std::size_t max = std::numeric_limits<std::size_t>::max();
      if (dims[1] > max / dims[0] || dims[2] > max / (dims[0] * dims[1]))
        throw std::invalid_argument(what + ": the image dimensions " +
                                    dims_text(dims) + " are too large");
    }

    /// Whether a VTK data type holds integers.
    bool is_integer_type(const int vtk_type)
    {
      switch (vtk_type)
        {
          case VTK_BIT:
          case VTK_CHAR:
          case VTK_SIGNED_CHAR:
          case VTK_UNSIGNED_CHAR:
          case VTK_SHORT:
          case VTK_UNSIGNED_SHORT:
          case VTK_INT:
          case VTK_UNSIGNED_INT:
          case VTK_LONG:
          case VTK_UNSIGNED_LONG:
          case VTK_LONG_LONG:
          case VTK_UNSIGNED_LONG_LONG:
          case VTK_ID_TYPE:
            return true;
          default:
            return false;
        }
    }

    /// Parses "LABEL=NAME" as written by write_vti().
    std::pair<std::uint8_t, std::string> parse_phase_name(const std::string &entry,
                                                          const std::string &path)
    {
      const auto bad = [&](const std::string &why) {
        return std::runtime_error("cannot read '" + path + "': entry '" + entry +
                                  "' of the field data '" +
                                  phase_names_array_name + "' " + why);
      };
      const auto equals = entry.find('=');
      if (equals == std::string::npos || equals == 0)
        throw bad("is not of the form LABEL=NAME");
      const std::string label_text = entry.substr(0, equals);
      if (label_text.size() > 3 ||
          label_text.find_first_not_of("0123456789") != std::string::npos)
        throw bad("does not start with a label 0..255");
      const int label = std::stoi(label_text);
      if (label > 255)
        throw bad("does not start with a label 0..255");
      const std::string name = entry.substr(equals + 1);
      if (name.empty())
        throw bad("has an empty name");
      return {static_cast<std::uint8_t>(label), name};
    }

    /// Whether the XML tree below @p element has an element named @p name.
    bool has_element(vtkXMLDataElement *element, const char *name)
    {
      if (element == nullptr)
        return false;
      if (element->GetName() != nullptr && std::strcmp(element->GetName(), name) == 0)
        return true;
      for (int i = 0; i < element->GetNumberOfNestedElements(); ++i)
        if (has_element(element->GetNestedElement(i), name))
          return true;
      return false;
    }

    /**
     * Throws std::runtime_error (via @p fail) for a data array that VTK 9.1
     * would crash on instead of reporting: one without a valid "format"
     * attribute, or an "appended" one without an offset or without an
     * AppendedData section (found by fuzzing, fuzz/fuzz_vti_reader.cc).
     */
    template <typename Fail>
    void check_data_arrays(vtkXMLDataElement *element, const bool has_appended,
                           const Fail &fail, const int depth = 0)
    {
      if (element == nullptr || depth > 64)
        return;
      const char *name = element->GetName();
      if (name != nullptr &&
          (std::strcmp(name, "DataArray") == 0 || std::strcmp(name, "Array") == 0))
        {
          const char *array  = element->GetAttribute("Name");
          const char *format = element->GetAttribute("format");
          const std::string which =
            std::string("the array '") + (array != nullptr ? array : "(unnamed)") + "'";
          if (format == nullptr ||
              (std::strcmp(format, "ascii") != 0 && std::strcmp(format, "binary") != 0 &&
               std::strcmp(format, "appended") != 0))
            throw fail(which + " has format '" + (format != nullptr ? format : "") +
                       "', expected ascii, binary or appended");
          if (std::strcmp(format, "appended") == 0 &&
              (element->GetAttribute("offset") == nullptr || !has_appended))
            throw fail(which + " is 'appended' but the file has no offset or no "
                               "AppendedData section for it");
        }
      for (int i = 0; i < element->GetNumberOfNestedElements(); ++i)
        check_data_arrays(element->GetNestedElement(i), has_appended, fail, depth + 1);
    }
  } // namespace


  VoxelImage read_vti(const std::string &path)
  {
    const auto fail = [&](const std::string &why) {
      return std::runtime_error("cannot read '" + path + "': " + why);
    };

    // Check the file ourselves first: VTK's messages for a missing or
    // unreadable file are less clear and would go to stderr.
    {
      std::error_code ec;
      const auto status = std::filesystem::status(path, ec);
      if (!std::filesystem::exists(status))
        throw fail(no_such_file());
      if (ec)
        throw fail(ec.message());
      if (std::filesystem::is_directory(status))
        throw fail("it is a directory");
      errno = 0;
      std::ifstream probe(path, std::ios::binary);
      if (!probe)
        throw fail(os_error(errno));
    }

    {
      vtkNew<vtkXMLFileReadTester> tester;
      tester->SetFileName(path.c_str());
      if (tester->TestReadFile() == 0)
        throw fail("it is not a VTK XML file (expected ImageData, .vti)");
      const char *type = tester->GetFileDataType();
      if (type == nullptr || std::strcmp(type, "ImageData") != 0)
        throw fail("it holds VTK " + std::string(type != nullptr ? type : "(unknown)") +
                   ", not ImageData (.vti)");
    }

    vtkNew<vtkXMLImageDataReader> reader;
    VtkErrorCollector errors(reader);
    // The XML parser is created during Update(); these forward its errors
    // (e.g. "unclosed token at line 4") to the collector as well.
    reader->SetParserErrorObserver(errors.error_observer());
    reader->SetReaderErrorObserver(errors.error_observer());
    reader->SetFileName(path.c_str());
    // Reading the header creates the decompressor named in the file; watch
    // it too, so that corrupt compressed data is reported through us.
    reader->UpdateInformation();
    if (!errors.empty() || reader->GetErrorCode() != 0)
      throw fail(errors.first("VTK could not read its header"));
    if (vtkXMLDataParser *parser = reader->GetXMLParser())
      {
        if (vtkDataCompressor *compressor = parser->GetCompressor())
          errors.observe(compressor);
        vtkXMLDataElement *root = parser->GetRootElement();
        check_data_arrays(root, has_element(root, "AppendedData"), fail);
      }
    reader->Update();
    vtkImageData *data = reader->GetOutput();
    if (!errors.empty() || reader->GetErrorCode() != 0 || data == nullptr)
      throw fail(errors.first("VTK could not read it"));

    // Geometry. The cells of the image are the voxels; an extent need not
    // start at 0 (e.g. a piece cut from a larger image).
    int extent[6];
    data->GetExtent(extent);
    double spacing[3], origin[3];
    data->GetSpacing(spacing);
    data->GetOrigin(origin);

    VoxelImage image;
    for (unsigned int d = 0; d < 3; ++d)
      {
        const long points = static_cast<long>(extent[2 * d + 1]) - extent[2 * d] + 1;
        if (points < 2)
          throw fail("the image is not 3D: it has " + std::to_string(points < 0 ? 0 : points) +
                     " point(s) along " + "xyz"[d] +
                     ", a voxel image needs at least 2 (one layer of cells)");
        image.dims[d] = static_cast<std::size_t>(points - 1);
        image.voxel_size[d] = spacing[d];
        image.origin[d] = origin[d] + extent[2 * d] * spacing[d];
      }
    if (vtkMatrix3x3 *direction = data->GetDirectionMatrix())
      if (!direction->IsIdentity())
        throw fail("its grid is rotated or flipped (Direction is not the identity); "
                   "voxel images must be aligned with the axes");
    try
      {
        check_geometry(image.dims, image.voxel_size, image.origin,
                       "cannot read '" + path + "'");
      }
    catch (const std::invalid_argument &e)
      {
        throw std::runtime_error(e.what());
      }

    // Labels.
    vtkDataArray *phase = data->GetCellData()->GetArray(phase_array_name);
    if (phase == nullptr)
      {
        std::string why = std::string("it has no cell array '") + phase_array_name + "'";
        if (data->GetCellData()->GetAbstractArray(phase_array_name) != nullptr)
          why += " of numbers (it is a string array)";
        else if (data->GetPointData()->GetAbstractArray(phase_array_name) != nullptr)
          why += " ('phase' is a point array; the labels must be cell data, one "
                 "per voxel)";
        throw fail(why);
      }
    if (!is_integer_type(phase->GetDataType()))
      throw fail(std::string("the cell array '") + phase_array_name + "' has type " +
                 phase->GetDataTypeAsString() + "; labels must be integers 0..255");
    if (phase->GetNumberOfComponents() != 1)
      throw fail(std::string("the cell array '") + phase_array_name + "' has " +
                 std::to_string(phase->GetNumberOfComponents()) +
                 " components; labels need 1");
    const std::size_t n = image.n_voxels();
    if (static_cast<std::size_t>(phase->GetNumberOfTuples()) != n)
      throw fail(std::string("the cell array '") + phase_array_name + "' has " +
                 std::to_string(phase->GetNumberOfTuples()) + " values for " +
                 dims_text(image.dims) + " voxels");

    image.labels.resize(n);
    if (auto *uint8 = vtkUnsignedCharArray::SafeDownCast(phase))
      std::memcpy(image.labels.data(), uint8->GetPointer(0), n);
    else
      for (std::size_t c = 0; c < n; ++c)
        {
          // GetTuple1() converts to double; exact for every value that fits,
          // and any 64-bit value outside 0..255 stays outside.
          const double value = phase->GetTuple1(static_cast<vtkIdType>(c));
          if (!(value >= 0. && value <= 255.))
            {
              const std::size_t i = c % image.dims[0];
              const std::size_t j = (c / image.dims[0]) % image.dims[1];
              const std::size_t k = c / (image.dims[0] * image.dims[1]);
              std::ostringstream value_text;
              value_text.precision(20);
              value_text << value;
              throw fail(std::string("the cell array '") + phase_array_name +
                         "' has the value " + value_text.str() + " at voxel (" +
                         std::to_string(i) + ", " + std::to_string(j) + ", " +
                         std::to_string(k) + "); labels must be 0..255");
            }
          image.labels[c] = static_cast<std::uint8_t>(value);
        }

    // Phase names, when present.
    if (vtkAbstractArray *names =
          data->GetFieldData()->GetAbstractArray(phase_names_array_name))
      {
        auto *strings = vtkStringArray::SafeDownCast(names);
        if (strings == nullptr)
          throw fail(std::string("the field data '") + phase_names_array_name +
                     "' is not a string array");
        for (vtkIdType e = 0; e < strings->GetNumberOfValues(); ++e)
          {
            const auto entry = parse_phase_name(strings->GetValue(e), path);
            if (!image.phase_names.insert(entry).second)
              throw fail(std::string("the field data '") + phase_names_array_name +
                         "' names label " + std::to_string(entry.first) + " twice");
          }
      }
    return image;
  }


  void write_vti(const VoxelImage &image, const std::string &path)
  {
    const std::string what = "cannot write '" + path + "'";
    check_geometry(image.dims, image.voxel_size, image.origin, what);
    if (image.labels.size() != image.n_voxels())
      throw std::invalid_argument(what + ": the image has " +
                                  std::to_string(image.labels.size()) +
                                  " labels for " + dims_text(image.dims) + " voxels");
    for (unsigned int d = 0; d < 3; ++d)
      if (image.dims[d] >= static_cast<std::size_t>(std::numeric_limits<int>::max()))
        throw std::invalid_argument(what + ": VTK cannot store " +
                                    dims_text(image.dims) + " voxels");

    vtkNew<vtkImageData> data;
    data->SetDimensions(static_cast<int>(image.dims[0] + 1),
                        static_cast<int>(image.dims[1] + 1),
                        static_cast<int>(image.dims[2] + 1));
    data->SetSpacing(image.voxel_size.data());
    data->SetOrigin(image.origin.data());

    vtkNew<vtkUnsignedCharArray> phase;
    phase->SetName(phase_array_name);
    phase->SetNumberOfComponents(1);
    // Let VTK use our labels in place instead of copying a possibly large
    // image; save = 1 means VTK never frees or modifies the memory, and the
    // writer only reads it.
    phase->SetArray(const_cast<std::uint8_t *>(image.labels.data()),
                    static_cast<vtkIdType>(image.labels.size()), 1);
    data->GetCellData()->AddArray(phase);

    vtkNew<vtkStringArray> names;
    names->SetName(phase_names_array_name);
    for (const auto &[label, name] : image.phase_names)
      names->InsertNextValue(std::to_string(label) + "=" + name);
    data->GetFieldData()->AddArray(names);

    atomic_write(path, [&](const std::string &tmp) {
      // Create the file ourselves first: if that fails (no such directory,
      // no permission), the OS error says more than VTK would.
      {
        errno = 0;
        std::ofstream probe(tmp, std::ios::binary | std::ios::trunc);
        if (!probe)
          throw std::runtime_error(what + ": cannot create '" + tmp +
                                   "': " + os_error(errno));
      }

      vtkNew<vtkXMLImageDataWriter> writer;
      vtkNew<vtkZLibDataCompressor> compressor;
      VtkErrorCollector errors(writer);
      errors.observe(compressor);
      writer->SetInputData(data);
      writer->SetFileName(tmp.c_str());
      // Binary appended data (not base64), zlib-compressed
      // (vtkZLibDataCompressor), with 64-bit block headers so that images
      // beyond 4 GiB work.
      writer->SetDataModeToAppended();
      writer->EncodeAppendedDataOff();
      writer->SetCompressor(compressor);
      writer->SetHeaderTypeToUInt64();
      errno = 0;
      const int ok = writer->Write();
      const int err = errno;
      if (ok != 1 || writer->GetErrorCode() != 0 || !errors.empty())
        throw std::runtime_error(
          what + ": " +
          errors.first("VTK could not write '" + tmp + "': " + os_error(err)));
    });
  }


  VoxelImage read_raw(const std::string &path,
                      const std::array<std::size_t, 3> &dims,
                      const std::array<double, 3> &voxel_size,
                      const std::array<double, 3> &origin,
                      const std::map<std::uint8_t, std::string> &phase_names)
  {
    check_geometry(dims, voxel_size, origin, "cannot read '" + path + "'");

    VoxelImage image;
    image.dims = dims;
    image.voxel_size = voxel_size;
    image.origin = origin;
    image.phase_names = phase_names;
    const std::size_t expected = image.n_voxels();

    std::error_code ec;
    const auto status = std::filesystem::status(path, ec);
    if (!std::filesystem::exists(status))
      throw std::runtime_error("cannot read '" + path + "': " + no_such_file());
    if (ec)
      throw std::runtime_error("cannot read '" + path + "': " + ec.message());
    if (!std::filesystem::is_regular_file(status))
      throw std::runtime_error("cannot read '" + path + "': not a regular file");
    const std::uintmax_t actual = std::filesystem::file_size(path, ec);
    if (ec)
      throw std::runtime_error("cannot read '" + path + "': " + ec.message());
    if (actual != expected)
      throw std::runtime_error("cannot read '" + path + "': expected " +
                               std::to_string(expected) + " bytes (" +
                               dims_text(dims) + " voxels of uint8), but the file has " +
                               std::to_string(actual) + " bytes");

    errno = 0;
    std::ifstream in(path, std::ios::binary);
    if (!in)
      throw std::runtime_error("cannot read '" + path + "': " + os_error(errno));
    image.labels.resize(expected);
    in.read(reinterpret_cast<char *>(image.labels.data()),
            static_cast<std::streamsize>(expected));
    if (static_cast<std::size_t>(in.gcount()) != expected)
      throw std::runtime_error("cannot read '" + path + "': read only " +
                               std::to_string(in.gcount()) + " of " +
                               std::to_string(expected) + " bytes");
    return image;
  }


  void write_raw(const VoxelImage &image, const std::string &path)
  {
    const std::string what = "cannot write '" + path + "'";
    check_geometry(image.dims, image.voxel_size, image.origin, what);
    if (image.labels.size() != image.n_voxels())
      throw std::invalid_argument(what + ": the image has " +
                                  std::to_string(image.labels.size()) +
                                  " labels for " + dims_text(image.dims) + " voxels");

    atomic_write(path, [&](const std::string &tmp) {
      errno = 0;
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      if (!out)
        throw std::runtime_error(what + ": cannot open '" + tmp +
                                 "': " + os_error(errno));
      out.write(reinterpret_cast<const char *>(image.labels.data()),
                static_cast<std::streamsize>(image.labels.size()));
      out.close();
      if (!out)
        throw std::runtime_error(what + ": writing '" + tmp +
                                 "' failed: " + os_error(errno));
    });
  }
} // namespace solidanode
