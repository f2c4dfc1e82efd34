// Reading and writing voxel images: the helpers shared by the readers and
// writers (voxel_io_detail.h), writing .vti, and raw uint8. Reading .vti:
// vti_reader.cc and vti_ascii_check.cc.
#include <mesh/voxel_io.h>
#include <mesh/voxel_io_detail.h>
#include <mesh/vtk_error_collector.h>
#include <base/file_utils.h>

#include <vtkCellData.h>
#include <vtkFieldData.h>
#include <vtkImageData.h>
#include <vtkNew.h>
#include <vtkStringArray.h>
#include <vtkUnsignedCharArray.h>
#include <vtkXMLImageDataWriter.h>
#include <vtkZLibDataCompressor.h>

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdint>
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
  namespace detail
  {
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

    std::string voxel_text(std::size_t i, std::size_t j, std::size_t k)
    {
      return "(" + std::to_string(i) + ", " + std::to_string(j) + ", " +
             std::to_string(k) + ")";
    }

    std::string lower(std::string s)
    {
      for (auto &c : s)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return s;
    }

    void require_readable_file(const std::string &path)
    {
      namespace fs = std::filesystem;
      std::error_code ec;
      const auto      st = fs::status(path, ec);
      if (!fs::exists(st))
        throw std::runtime_error("cannot read '" + path + "': no such file");
      if (!fs::is_regular_file(st))
        throw std::runtime_error("cannot read '" + path + "': " + file_kind_problem(path));
      std::ifstream probe(path, std::ios::binary);
      if (!probe)
        throw std::runtime_error("cannot read '" + path + "': " + std::strerror(errno));
    }
  } // namespace detail

  using namespace detail;


  namespace
  {
    /// What both writers require of an image; @p what prefixes the message.
    void check_writable(const VoxelImage &image, const std::string &what)
    {
      check_geometry(image.dims, image.voxel_size, image.origin, what);
      if (image.labels.size() != image.n_voxels())
        throw std::invalid_argument(what + ": the image has " +
                                    std::to_string(image.labels.size()) +
                                    " labels for " + dims_text(image.dims) + " voxels");
    }
  } // namespace

  void write_vti(const VoxelImage &image, const std::string &path)
  {
    const std::string what = "cannot write '" + path + "'";
    check_writable(image, what);
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
      throw std::runtime_error("cannot read '" + path + "': " + file_kind_problem(path));
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
    check_writable(image, what);

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
