// Reading and writing MetaImage files (.mhd header + raw data, or .mha).
#include <mesh/image_import.h>
#include <mesh/voxel_io.h>
#include <mesh/voxel_io_detail.h>
#include <base/file_utils.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace solidanode
{
  namespace
  {
    namespace fs = std::filesystem;
    using detail::ReadFailure;

    /// The entries of a MetaImage header, up to ElementDataFile.
    struct MhdHeader
    {
      explicit MhdHeader(const std::string &path) : bad{path} {}

      std::optional<std::string> value(const std::string &key) const
      {
        const auto it = entries.find(key);
        if (it == entries.end())
          return std::nullopt;
        return it->second;
      }

      /// The entry @p key as exactly @p n numbers.
      std::vector<double> numbers(const std::string &key, std::size_t n) const
      {
        std::vector<double> v;
        std::istringstream  s(*value(key));
        double              x;
        while (s >> x)
          v.push_back(x);
        if (v.size() != n || !s.eof())
          throw bad(key + " = '" + *value(key) + "': expected " + std::to_string(n) +
                    " numbers");
        return v;
      }

      ReadFailure                        bad;
      std::map<std::string, std::string> entries;
      /// Where the line after ElementDataFile starts (the data of LOCAL).
      std::streamoff data_start = -1;
    };

    /// The element type of the data.
    struct MhdElement
    {
      std::string  type;
      unsigned int bytes = 0;
      bool         msb   = false; ///< big-endian (16-bit data)
    };

    std::string trim(std::string s)
    {
      s.erase(0, std::min(s.find_first_not_of(" \t"), s.size()));
      s.erase(s.find_last_not_of(" \t") + 1);
      return s;
    }

    MhdHeader read_header(const std::string &path)
    {
      MhdHeader header(path);
      const ReadFailure &bad = header.bad;
      detail::require_readable_file(path);
      std::ifstream in(path, std::ios::binary);
      std::string   line;
      while (std::getline(in, line))
        {
          if (!line.empty() && line.back() == '\r')
            line.pop_back();
          const auto eq = line.find('=');
          if (line.find_first_not_of(" \t") == std::string::npos)
            continue;
          if (eq == std::string::npos)
            throw bad("header line '" + line + "' is not of the form Key = Value");
          const std::string key = trim(line.substr(0, eq));
          header.entries[key]   = trim(line.substr(eq + 1));
          if (key == "ElementDataFile")
            {
              header.data_start = in.tellg();
              break; // by the MetaImage rules, the last header entry
            }
          if (header.entries.size() > 200)
            throw bad("no ElementDataFile entry in the first 200 header lines");
        }
      if (!header.value("ElementDataFile"))
        throw bad("the header has no ElementDataFile entry (is it a MetaImage .mhd?)");
      return header;
    }

    std::array<std::size_t, 3> mhd_dims(const MhdHeader &header)
    {
      const ReadFailure &bad = header.bad;
      if (!header.value("NDims") || header.numbers("NDims", 1)[0] != 3)
        throw bad("NDims must be 3");
      if (!header.value("DimSize"))
        throw bad("the header has no DimSize");
      const auto                 d = header.numbers("DimSize", 3);
      std::array<std::size_t, 3> dims{};
      for (unsigned int a = 0; a < 3; ++a)
        {
          if (!(d[a] >= 1 && d[a] <= (1 << 20) && d[a] == std::floor(d[a])))
            throw bad("DimSize has " + std::to_string(d[a]) + ", expected integers >= 1");
          dims[a] = static_cast<std::size_t>(d[a]);
        }
      return dims;
    }

    /// The element type, channels, encoding and byte order, as far as
    /// supported.
    MhdElement mhd_element(const MhdHeader &header)
    {
      const ReadFailure &bad = header.bad;
      MhdElement         element;
      element.type = header.value("ElementType").value_or("(missing)");
      if (element.type == "MET_UCHAR")
        element.bytes = 1;
      else if (element.type == "MET_USHORT")
        element.bytes = 2;
      else
        throw bad("unsupported ElementType " + element.type +
                  "; expected MET_UCHAR (or MET_USHORT with labels <= 255)");
      if (header.value("ElementNumberOfChannels") &&
          header.numbers("ElementNumberOfChannels", 1)[0] != 1)
        throw bad("ElementNumberOfChannels must be 1 (greyscale labels)");
      for (const char *key : {"CompressedData", "BinaryData"})
        if (header.value(key))
          {
            const std::string v = detail::lower(*header.value(key));
            const bool        t = v == "true" || v == "1";
            if (std::string(key) == "CompressedData" && t)
              throw bad("CompressedData = True is not supported; store the data uncompressed");
            if (std::string(key) == "BinaryData" && !t)
              throw bad("BinaryData = False (ASCII data) is not supported");
          }
      element.msb = header.value("BinaryDataByteOrderMSB") &&
                    (detail::lower(*header.value("BinaryDataByteOrderMSB")) == "true");
      return element;
    }

    void check_identity_orientation(const MhdHeader &header)
    {
      for (const char *key : {"TransformMatrix", "Rotation", "Orientation"})
        if (header.value(key))
          {
            const auto m = header.numbers(key, 9);
            for (unsigned int i = 0; i < 9; ++i)
              if (m[i] != (i % 4 == 0 ? 1. : 0.))
                throw header.bad(std::string(key) +
                                 " is not the identity; voxel images must be aligned with "
                                 "the axes");
          }
    }

    /// Voxel size and origin of @p image: from the header unless overridden.
    void set_mhd_geometry(const MhdHeader &header,
                          const std::optional<std::array<double, 3>> &voxel_size,
                          const std::optional<std::array<double, 3>> &origin,
                          VoxelImage &image)
    {
      const ReadFailure    &bad = header.bad;
      std::array<double, 3> h{{1, 1, 1}}, o{{0, 0, 0}};
      for (const char *key : {"ElementSpacing", "ElementSize"})
        if (header.value(key))
          {
            const auto v = header.numbers(key, 3);
            std::copy(v.begin(), v.end(), h.begin());
            break;
          }
      for (const char *key : {"Offset", "Position", "Origin"})
        if (header.value(key))
          {
            const auto v = header.numbers(key, 3);
            std::copy(v.begin(), v.end(), o.begin());
            break;
          }
      if (voxel_size)
        h = *voxel_size;
      else
        for (double x : h)
          if (!(x > 0.) || x > 1e-2)
            throw bad("ElementSpacing " + std::to_string(x) +
                      " is not a voxel size in metres (missing or > 1 cm); give "
                      "'voxel_size' in the case file");
      if (origin)
        o = *origin;
      else if (voxel_size && (o[0] != 0. || o[1] != 0. || o[2] != 0.))
        throw bad("the header has an Offset but 'voxel_size' overrides the spacing: "
                  "give 'origin' as well, the Offset's unit is unknown");
      image.voxel_size = h;
      image.origin     = o;
    }

    /// The data file opened at the start of the data, checked for size.
    struct MhdData
    {
      std::string   file;
      std::ifstream stream;
    };

    void open_data(const MhdHeader &header, const std::string &path,
                   const MhdElement &element, const VoxelImage &image, MhdData &data)
    {
      const ReadFailure &bad      = header.bad;
      const std::size_t  expected = image.n_voxels() * element.bytes;
      std::uint64_t      available = 0;
      std::uint64_t      skip      = 0;
      data.file                    = *header.value("ElementDataFile");
      if (header.value("HeaderSize"))
        {
          const double hs = header.numbers("HeaderSize", 1)[0];
          if (hs < -1 || hs != std::floor(hs))
            throw bad("HeaderSize must be an integer >= 0 (or -1)");
          skip = hs < 0 ? ~std::uint64_t(0) : static_cast<std::uint64_t>(hs);
        }
      if (data.file == "LOCAL")
        {
          data.file                = path;
          const std::uint64_t size = fs::file_size(path);
          available = size - static_cast<std::uint64_t>(header.data_start);
          data.stream.open(path, std::ios::binary);
          data.stream.seekg(header.data_start);
        }
      else
        {
          const fs::path df = fs::path(data.file).is_absolute() ?
                                fs::path(data.file) :
                                fs::path(path).parent_path() / data.file;
          data.file         = df.string();
          if (data.file.find('%') != std::string::npos || data.file == "LIST")
            throw bad("ElementDataFile '" + data.file +
                      "': lists and patterns of data files are not supported");
          detail::require_readable_file(data.file);
          available = fs::file_size(data.file);
          data.stream.open(data.file, std::ios::binary);
        }
      if (skip == ~std::uint64_t(0)) // -1: the data are the last bytes
        skip = available >= expected ? available - expected : 0;
      if (available != skip + expected)
        throw std::runtime_error(
          "cannot read '" + data.file + "' (data of '" + path + "'): expected " +
          std::to_string(expected) + " bytes (" + detail::dims_text(image.dims) +
          " voxels of " + element.type +
          (skip ? " after a " + std::to_string(skip) + "-byte header" : std::string()) +
          "), but it has " + std::to_string(available - std::min(available, skip)) + " bytes");
      data.stream.seekg(static_cast<std::streamoff>(skip), std::ios::cur);
    }

    /// The labels of @p image from the data (8- or 16-bit).
    void read_labels(MhdData &data, const MhdElement &element, VoxelImage &image)
    {
      const std::size_t          n        = image.n_voxels();
      const std::size_t          expected = n * element.bytes;
      std::vector<unsigned char> raw(expected);
      data.stream.read(reinterpret_cast<char *>(raw.data()),
                       static_cast<std::streamsize>(expected));
      if (static_cast<std::size_t>(data.stream.gcount()) != expected)
        throw std::runtime_error("cannot read '" + data.file + "': short read");
      if (element.bytes == 1)
        {
          image.labels.assign(raw.begin(), raw.end());
          return;
        }
      const bool msb = element.msb;
      image.labels.resize(n);
      for (std::size_t c = 0; c < n; ++c)
        {
          const unsigned v = msb ? (raw[2 * c] << 8 | raw[2 * c + 1]) :
                                   (raw[2 * c + 1] << 8 | raw[2 * c]);
          if (v > 255)
            {
              const std::size_t i = c % image.dims[0],
                                j = (c / image.dims[0]) % image.dims[1],
                                k = c / (image.dims[0] * image.dims[1]);
              throw std::runtime_error("cannot read '" + data.file + "': 16-bit label " +
                                       std::to_string(v) + " at voxel " +
                                       detail::voxel_text(i, j, k) +
                                       "; labels must be 0..255");
            }
          image.labels[c] = static_cast<std::uint8_t>(v);
        }
    }
  } // namespace


  VoxelImage read_mhd(const std::string &path,
                      const std::optional<std::array<double, 3>> &voxel_size,
                      const std::optional<std::array<double, 3>> &origin,
                      const std::map<std::uint8_t, std::string> &phase_names)
  {
    const MhdHeader header = read_header(path);
    VoxelImage      image;
    image.dims               = mhd_dims(header);
    const MhdElement element = mhd_element(header);
    check_identity_orientation(header);
    set_mhd_geometry(header, voxel_size, origin, image);
    image.phase_names = phase_names;

    MhdData data;
    open_data(header, path, element, image, data);
    read_labels(data, element, image);
    return image;
  }


  std::vector<std::string> mhd_files(const std::string &path)
  {
    const MhdHeader   header = read_header(path);
    const std::string data   = *header.value("ElementDataFile");
    if (data == "LOCAL")
      return {path};
    const fs::path df = fs::path(data).is_absolute() ? fs::path(data) :
                                                       fs::path(path).parent_path() / data;
    return {path, df.string()};
  }


  void write_mhd(const VoxelImage &image, const std::string &path)
  {
    fs::path raw_path(path);
    raw_path.replace_extension(".raw");
    write_raw(image, raw_path.string());
    std::ostringstream h;
    h.precision(17);
    h << "ObjectType = Image\nNDims = 3\nBinaryData = True\n"
         "BinaryDataByteOrderMSB = False\nCompressedData = False\n"
         "TransformMatrix = 1 0 0 0 1 0 0 0 1\n";
    h << "Offset = " << image.origin[0] << ' ' << image.origin[1] << ' ' << image.origin[2]
      << "\nElementSpacing = " << image.voxel_size[0] << ' ' << image.voxel_size[1] << ' '
      << image.voxel_size[2] << "\nDimSize = " << image.dims[0] << ' ' << image.dims[1] << ' '
      << image.dims[2] << "\nElementType = MET_UCHAR\nElementDataFile = "
      << raw_path.filename().string() << "\n";
    atomic_write_text(path, h.str());
  }
} // namespace solidanode
