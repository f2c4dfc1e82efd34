// Reading VTK ImageData (.vti) files into voxel images.
#include <base/file_utils.h>
#include <mesh/voxel_io.h>
#include <mesh/voxel_io_detail.h>
#include <mesh/vtk_error_collector.h>

#include <vtkCellData.h>
#include <vtkDataArray.h>
#include <vtkDataCompressor.h>
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

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>

namespace solidanode
{
  namespace detail
  {
    namespace
    {
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
      void check_data_arrays(vtkXMLDataElement *element, const bool has_appended,
                             const ReadFailure &fail, const int depth = 0)
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

      /// Whether @p path is there and can be opened. Checked before VTK
      /// sees the file: VTK's messages for a missing or unreadable file are
      /// less clear and would go to stderr.
      void check_readable(const std::string &path, const ReadFailure &fail)
      {
        std::error_code ec;
        const auto status = std::filesystem::status(path, ec);
        if (!std::filesystem::exists(status))
          throw fail(no_such_file());
        if (ec)
          throw fail(ec.message());
        const std::string kind = file_kind_problem(path);
        if (!kind.empty())
          throw fail(kind);
        errno = 0;
        std::ifstream probe(path, std::ios::binary);
        if (!probe)
          throw fail(os_error(errno));
      }


      /// Whether @p path is a VTK XML file holding ImageData.
      void check_image_data_file(const std::string &path, const ReadFailure &fail)
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


      /// Lets @p reader read @p path, its errors going to @p errors; the
      /// image it read (owned by @p reader).
      vtkImageData *read_image_data(vtkXMLImageDataReader *reader, VtkErrorCollector &errors,
                                    const std::string &path, const ReadFailure &fail)
      {
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
            check_binary_arrays(parser, path, fail);
          }
        reader->Update();
        vtkImageData *data = reader->GetOutput();
        if (!errors.empty() || reader->GetErrorCode() != 0 || data == nullptr)
          throw fail(errors.first("VTK could not read it"));
        return data;
      }


      /// An image with the geometry of @p data and no labels. The cells of
      /// the image are the voxels; an extent need not start at 0 (e.g. a
      /// piece cut from a larger image).
      VoxelImage image_geometry(vtkImageData *data, const std::string &path,
                                const ReadFailure &fail)
      {
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
              throw fail("the image is not 3D: it has " +
                         std::to_string(points < 0 ? 0 : points) + " point(s) along " +
                         "xyz"[d] + ", a voxel image needs at least 2 (one layer of cells)");
            image.dims[d]       = static_cast<std::size_t>(points - 1);
            image.voxel_size[d] = spacing[d];
            image.origin[d]     = origin[d] + extent[2 * d] * spacing[d];
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
        return image;
      }


      /// The cell array "phase" of @p data: integers, one per voxel of
      /// @p image.
      vtkDataArray *phase_array(vtkImageData *data, const VoxelImage &image,
                                const ReadFailure &fail)
      {
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
        if (static_cast<std::size_t>(phase->GetNumberOfTuples()) != image.n_voxels())
          throw fail(std::string("the cell array '") + phase_array_name + "' has " +
                     std::to_string(phase->GetNumberOfTuples()) + " values for " +
                     dims_text(image.dims) + " voxels");
        return phase;
      }


      /// The labels of @p image from the cell array "phase" of @p data.
      void read_labels(vtkImageData *data, VoxelImage &image, const ReadFailure &fail)
      {
        vtkDataArray     *phase = phase_array(data, image, fail);
        const std::size_t n     = image.n_voxels();
        image.labels.resize(n);
        if (auto *uint8 = vtkUnsignedCharArray::SafeDownCast(phase))
          {
            std::memcpy(image.labels.data(), uint8->GetPointer(0), n);
            return;
          }
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
      }


      /// The phase names of @p image from the field data "phase_names" of
      /// @p data, when present.
      void read_phase_names(vtkImageData *data, VoxelImage &image, const std::string &path,
                            const ReadFailure &fail)
      {
        vtkAbstractArray *names = data->GetFieldData()->GetAbstractArray(phase_names_array_name);
        if (names == nullptr)
          return;
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
    } // namespace
  } // namespace detail


  VoxelImage read_vti(const std::string &path)
  {
    using namespace detail;
    const ReadFailure fail{path};
    check_readable(path, fail);
    check_image_data_file(path, fail);
    // Our own check of the inline ascii arrays, which VTK 9.1 crashes on
    // when they hold too few values or tokens that are not numbers.
    check_inline_ascii_arrays(path, fail);

    vtkNew<vtkXMLImageDataReader> reader;
    VtkErrorCollector             errors(reader);
    vtkImageData *data  = read_image_data(reader, errors, path, fail);
    VoxelImage    image = image_geometry(data, path, fail);
    read_labels(data, image, fail);
    read_phase_names(data, image, path, fail);
    return image;
  }
} // namespace solidanode
