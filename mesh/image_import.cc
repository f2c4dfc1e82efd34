// Importing segmented images: TIFF. MetaImage: mhd_io.cc; the operations
// applied after reading: image_operations.cc.
#include <mesh/image_import.h>
#include <mesh/voxel_io_detail.h>
#include <base/file_utils.h>

#include <vtkCallbackCommand.h>
#include <vtkCommand.h>
#include <vtkDataArray.h>
#include <vtkImageData.h>
#include <vtkNew.h>
#include <vtkPointData.h>
#include <vtkTIFFReader.h>
#include <vtkType.h>
#include <vtkUnsignedCharArray.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>
#include <sstream>
#include <stdexcept>

namespace solidanode
{
  using detail::dims_text;
  using detail::lower;
  using detail::require_readable_file;

  namespace
  {
    namespace fs = std::filesystem;

    /// Collects VTK error messages instead of printing them.
    class VtkErrors
    {
    public:
      explicit VtkErrors(vtkObject *object)
      {
        on_error->SetClientData(&errors);
        on_error->SetCallback(&VtkErrors::collect);
        on_warning->SetCallback(&VtkErrors::ignore);
        object->AddObserver(vtkCommand::ErrorEvent, on_error);
        object->AddObserver(vtkCommand::WarningEvent, on_warning);
      }
      ~VtkErrors() { on_error->SetClientData(nullptr); }
      VtkErrors(const VtkErrors &) = delete;
      VtkErrors &operator=(const VtkErrors &) = delete;
      bool        empty() const { return errors.empty(); }
      std::string first() const
      {
        if (errors.empty())
          return "VTK reported no details";
        std::string t = errors.front();
        const auto  p = t.find("): ");
        if (p != std::string::npos)
          t.erase(0, p + 3);
        while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back())))
          t.pop_back();
        std::replace(t.begin(), t.end(), '\n', ' ');
        return t;
      }

    private:
      static void collect(vtkObject *, unsigned long, void *cd, void *call)
      {
        if (cd != nullptr)
          static_cast<std::vector<std::string> *>(cd)->emplace_back(
            call != nullptr ? static_cast<const char *>(call) : "");
      }
      static void ignore(vtkObject *, unsigned long, void *, void *) {}
      std::vector<std::string>   errors;
      vtkNew<vtkCallbackCommand> on_error, on_warning;
    };

    // ---------------------------------------------------------------- TIFF

    /// What we check of one TIFF page before VTK decodes it.
    struct TiffPage
    {
      std::uint64_t width = 0, height = 0;
      unsigned int  bits = 1, samples = 1, sample_format = 1, photometric = 1;
      unsigned int  compression = 1, orientation = 1;
      bool          tiled = false, big_endian = false;
      std::uint64_t rows_per_strip = 0; ///< 0: all rows in one strip
      std::vector<std::uint64_t> strip_offsets, strip_bytes;
    };

    /// Walk the IFD chain of a classic or Big TIFF file and return its pages.
    std::vector<TiffPage> tiff_pages(const std::string &path)
    {
      const auto bad = [&](const std::string &why) {
        return std::runtime_error("cannot read '" + path + "': " + why);
      };
      require_readable_file(path);
      std::ifstream in(path, std::ios::binary);
      const std::uint64_t file_size = fs::file_size(path);
      unsigned char       head[16] = {};
      in.read(reinterpret_cast<char *>(head), 16);
      if (in.gcount() < 8 ||
          !((head[0] == 'I' && head[1] == 'I') || (head[0] == 'M' && head[1] == 'M')))
        throw bad("it is not a TIFF file (no II/MM byte-order mark)");
      const bool big_endian = head[0] == 'M';
      const auto get = [&](const unsigned char *p, unsigned int n) {
        std::uint64_t v = 0;
        for (unsigned int b = 0; b < n; ++b)
          v |= std::uint64_t(p[big_endian ? n - 1 - b : b]) << (8 * b);
        return v;
      };
      const std::uint64_t magic = get(head + 2, 2);
      if (magic != 42 && magic != 43)
        throw bad("it is not a TIFF file (version " + std::to_string(magic) + ")");
      const bool          big    = magic == 43;
      const unsigned int  off_sz = big ? 8 : 4;
      std::uint64_t       ifd    = big ? get(head + 8, 8) : get(head + 4, 4);
      std::vector<TiffPage> pages;
      while (ifd != 0)
        {
          if (ifd + (big ? 8 : 2) > file_size || pages.size() > (1u << 20))
            throw bad("it is truncated or corrupt (directory of page " +
                      std::to_string(pages.size() + 1) + " outside the file)");
          in.clear();
          in.seekg(static_cast<std::streamoff>(ifd));
          unsigned char cnt[8] = {};
          in.read(reinterpret_cast<char *>(cnt), big ? 8 : 2);
          const std::uint64_t n_entries = get(cnt, big ? 8 : 2);
          const unsigned int  entry_sz  = big ? 20 : 12;
          std::vector<unsigned char> entries(n_entries * entry_sz + off_sz);
          in.read(reinterpret_cast<char *>(entries.data()),
                  static_cast<std::streamsize>(entries.size()));
          if (static_cast<std::size_t>(in.gcount()) != entries.size())
            throw bad("it is truncated (directory of page " +
                      std::to_string(pages.size() + 1) + ")");
          TiffPage page;
          for (std::uint64_t e = 0; e < n_entries; ++e)
            {
              const unsigned char *p     = entries.data() + e * entry_sz;
              const unsigned int   tag   = get(p, 2);
              const unsigned int   type  = get(p + 2, 2);
              const unsigned char *value = p + (big ? 12 : 8);
              // SHORT (3) or LONG (4) / LONG8 (16) first value, inline.
              const std::uint64_t v = type == 3 ? get(value, 2) :
                                      type == 16 ? get(value, 8) :
                                                   get(value, 4);
              const std::uint64_t count = big ? get(p + 4, 8) : get(p + 4, 4);
              // All values of a SHORT/LONG/LONG8 array (strip tables).
              const auto values = [&]() {
                const unsigned int size = type == 3 ? 2 : type == 16 ? 8 : 4;
                std::vector<std::uint64_t> out;
                if (count > (1u << 26))
                  throw bad("it is corrupt (a table of " + std::to_string(count) + " entries)");
                std::vector<unsigned char> bytes(count * size);
                if (count * size <= off_sz)
                  std::copy(value, value + count * size, bytes.begin());
                else
                  {
                    const auto here = in.tellg();
                    in.seekg(static_cast<std::streamoff>(get(value, off_sz)));
                    in.read(reinterpret_cast<char *>(bytes.data()),
                            static_cast<std::streamsize>(bytes.size()));
                    if (static_cast<std::size_t>(in.gcount()) != bytes.size())
                      throw bad("it is truncated (strip table)");
                    in.seekg(here);
                  }
                for (std::uint64_t e2 = 0; e2 < count; ++e2)
                  out.push_back(get(bytes.data() + e2 * size, size));
                return out;
              };
              switch (tag)
                {
                  case 256: page.width = v; break;
                  case 257: page.height = v; break;
                  case 258:
                    // For several samples the values are out of line; the
                    // sample count rejects those pages anyway.
                    page.bits = count == 1 ? static_cast<unsigned int>(v) : 0;
                    break;
                  case 262: page.photometric = static_cast<unsigned int>(v); break;
                  case 277: page.samples = static_cast<unsigned int>(v); break;
                  case 339:
                    page.sample_format = count == 1 ? static_cast<unsigned int>(v) : 0;
                    break;
                  case 259: page.compression = static_cast<unsigned int>(v); break;
                  case 274: page.orientation = static_cast<unsigned int>(v); break;
                  case 278: page.rows_per_strip = v; break;
                  case 273: page.strip_offsets = values(); break;
                  case 279: page.strip_bytes = values(); break;
                  case 322: case 323: case 324: case 325: page.tiled = true; break;
                  default: break;
                }
            }
          page.big_endian = big_endian;
          pages.push_back(page);
          ifd = get(entries.data() + n_entries * entry_sz, off_sz);
        }
      if (pages.empty())
        throw bad("it holds no image");
      for (std::size_t pg = 0; pg < pages.size(); ++pg)
        {
          const TiffPage &p    = pages[pg];
          const std::string at = pages.size() > 1 ? " (page " + std::to_string(pg + 1) +
                                                      " of " + std::to_string(pages.size()) + ")" :
                                                    std::string();
          if (p.width == 0 || p.height == 0)
            throw bad("the image" + at + " has no pixels");
          if (p.samples != 1 || p.photometric == 2)
            throw bad("unsupported pixel type" + at + ": " + std::to_string(p.samples) +
                      " samples per pixel (RGB/colour); expected a greyscale label "
                      "image of 8-bit or 16-bit unsigned integers");
          if (p.sample_format == 3)
            throw bad("unsupported pixel type" + at + ": " + std::to_string(p.bits) +
                      "-bit floating point; expected 8-bit or 16-bit unsigned "
                      "integer labels");
          if (p.sample_format != 1)
            throw bad("unsupported pixel type" + at + ": sample format " +
                      std::to_string(p.sample_format) +
                      " (signed or complex); expected unsigned integer labels");
          if (p.bits != 8 && p.bits != 16)
            throw bad("unsupported pixel type" + at + ": " + std::to_string(p.bits) +
                      "-bit pixels; expected 8-bit or 16-bit unsigned integer labels");
          if (p.width != pages[0].width || p.height != pages[0].height)
            throw bad("inconsistent page sizes: page " + std::to_string(pg + 1) + " is " +
                      std::to_string(p.width) + " x " + std::to_string(p.height) +
                      " pixels, page 1 is " + std::to_string(pages[0].width) + " x " +
                      std::to_string(pages[0].height));
        }
      return pages;
    }

    /// Natural order: runs of digits compare by value.
    bool natural_less(const std::string &a, const std::string &b)
    {
      std::size_t i = 0, j = 0;
      while (i < a.size() && j < b.size())
        {
          if (std::isdigit(static_cast<unsigned char>(a[i])) &&
              std::isdigit(static_cast<unsigned char>(b[j])))
            {
              std::size_t i2 = i, j2 = j;
              while (i2 < a.size() && std::isdigit(static_cast<unsigned char>(a[i2])))
                ++i2;
              while (j2 < b.size() && std::isdigit(static_cast<unsigned char>(b[j2])))
                ++j2;
              std::string x = a.substr(i, i2 - i), y = b.substr(j, j2 - j);
              x.erase(0, std::min(x.find_first_not_of('0'), x.size()));
              y.erase(0, std::min(y.find_first_not_of('0'), y.size()));
              if (x.size() != y.size())
                return x.size() < y.size();
              if (x != y)
                return x < y;
              i = i2;
              j = j2;
            }
          else
            {
              if (a[i] != b[j])
                return a[i] < b[j];
              ++i;
              ++j;
            }
        }
      return a.size() - i < b.size() - j;
    }

    std::vector<std::string> sorted_files(const fs::path &dir,
                                          const std::function<bool(const std::string &)> &match)
    {
      std::vector<std::string> names;
      std::error_code          ec;
      for (const auto &entry : fs::directory_iterator(dir, ec))
        if (entry.is_regular_file() && match(entry.path().filename().string()))
          names.push_back(entry.path().filename().string());
      if (ec)
        throw std::runtime_error("cannot list '" + dir.string() + "': " + ec.message());
      std::sort(names.begin(), names.end(), natural_less);
      std::vector<std::string> files;
      for (const auto &n : names)
        files.push_back((dir / n).string());
      return files;
    }

    std::runtime_error label_too_large(const std::string &path, unsigned int value,
                                       std::size_t i, std::size_t j, std::size_t k,
                                       std::size_t n_pages)
    {
      return std::runtime_error(
        "cannot read '" + path + "': 16-bit label " + std::to_string(value) +
        " at pixel (column " + std::to_string(i) + ", row " + std::to_string(j) +
        (n_pages > 1 ? ", page " + std::to_string(k + 1) : std::string()) +
        "); labels must be 0..255 (remap them before import)");
    }

    /// Decode uncompressed strips ourselves: row r of the file (the first
    /// stored row is r = 0) becomes j = r.
    void decode_uncompressed(const std::string &path, const std::vector<TiffPage> &pages,
                             std::vector<std::uint8_t> &labels, std::size_t k0)
    {
      std::ifstream in(path, std::ios::binary);
      const std::uint64_t file_size = fs::file_size(path);
      for (std::size_t pg = 0; pg < pages.size(); ++pg)
        {
          const TiffPage &p     = pages[pg];
          const auto      bpp   = p.bits / 8;
          const auto      rps   = p.rows_per_strip == 0 ? p.height :
                                                          std::min(p.rows_per_strip, p.height);
          const std::size_t n_strips = (p.height + rps - 1) / rps;
          if (p.strip_offsets.size() != n_strips)
            throw std::runtime_error("cannot read '" + path + "': page " + std::to_string(pg + 1) +
                                     " has " + std::to_string(p.strip_offsets.size()) +
                                     " strips, expected " + std::to_string(n_strips));
          std::vector<unsigned char> buf;
          std::uint8_t *slice = labels.data() + (k0 + pg) * p.width * p.height;
          for (std::size_t st = 0; st < n_strips; ++st)
            {
              const std::uint64_t rows  = std::min<std::uint64_t>(rps, p.height - st * rps);
              const std::uint64_t bytes = rows * p.width * bpp;
              if (p.strip_offsets[st] + bytes > file_size)
                throw std::runtime_error("cannot read '" + path + "': it is truncated (page " +
                                         std::to_string(pg + 1) + " needs " +
                                         std::to_string(p.strip_offsets[st] + bytes) +
                                         " bytes, the file has " + std::to_string(file_size) + ")");
              buf.resize(bytes);
              in.seekg(static_cast<std::streamoff>(p.strip_offsets[st]));
              in.read(reinterpret_cast<char *>(buf.data()), static_cast<std::streamsize>(bytes));
              for (std::uint64_t c = 0; c < rows * p.width; ++c)
                {
                  const std::uint64_t row = st * rps + c / p.width, col = c % p.width;
                  // Orientation 4 (bottom-left) stores the last row first.
                  const std::uint64_t j   = p.orientation == 4 ? p.height - 1 - row : row;
                  unsigned int        v   = buf[c * bpp];
                  if (bpp == 2)
                    v = p.big_endian ? (buf[2 * c] << 8 | buf[2 * c + 1]) :
                                       (buf[2 * c + 1] << 8 | buf[2 * c]);
                  if (v > 255)
                    throw label_too_large(path, v, col, j, pg, pages.size());
                  slice[j * p.width + col] = static_cast<std::uint8_t>(v);
                }
            }
        }
    }

    /// Read one TIFF file into labels starting at slice @p k0: uncompressed
    /// strips ourselves, anything else (compressed, tiled) through VTK.
    void read_tiff_file(const std::string &path, const std::vector<TiffPage> &pages,
                        std::vector<std::uint8_t> &labels, std::size_t k0)
    {
      const TiffPage   &page    = pages[0];
      const std::size_t n_pages = pages.size();
      bool              own     = true;
      for (const auto &p : pages)
        own = own && p.compression == 1 && !p.tiled && (p.orientation == 1 || p.orientation == 4);
      if (own)
        return decode_uncompressed(path, pages, labels, k0);
      vtkNew<vtkTIFFReader> reader;
      VtkErrors             errors(reader);
      reader->SetFileName(path.c_str());
      reader->IgnoreColorMapOn(); // palette images: the indices are the labels
      reader->Update();
      vtkImageData *data = reader->GetOutput();
      if (!errors.empty() || data == nullptr || data->GetPointData()->GetScalars() == nullptr)
        throw std::runtime_error("cannot read '" + path + "': " + errors.first());
      int dims[3];
      data->GetDimensions(dims);
      if (std::uint64_t(dims[0]) != page.width || std::uint64_t(dims[1]) != page.height ||
          std::size_t(dims[2]) != n_pages)
        throw std::runtime_error("cannot read '" + path + "': VTK read " +
                                 std::to_string(dims[0]) + " x " + std::to_string(dims[1]) +
                                 " x " + std::to_string(dims[2]) + " pixels, the file holds " +
                                 std::to_string(n_pages) + " page(s) of " +
                                 std::to_string(page.width) + " x " +
                                 std::to_string(page.height));
      vtkDataArray *s = data->GetPointData()->GetScalars();
      const int     type = s->GetDataType();
      if (s->GetNumberOfComponents() != 1 ||
          (type != VTK_UNSIGNED_CHAR && type != VTK_UNSIGNED_SHORT && type != VTK_SHORT))
        throw std::runtime_error("cannot read '" + path + "': unsupported pixel type " +
                                 std::string(s->GetDataTypeAsString()) + " with " +
                                 std::to_string(s->GetNumberOfComponents()) +
                                 " component(s); expected 8/16-bit greyscale labels");
      // vtkTIFFReader (VTK 9.1) returns the first stored row first, as
      // decode_uncompressed() does (tests/test_image_import.cc compares the
      // two on compressed and uncompressed copies of the same image).
      const bool flip = false;
      const std::size_t w = page.width, h = page.height;
      for (std::size_t k = 0; k < n_pages; ++k)
        for (std::size_t j = 0; j < h; ++j)
          for (std::size_t i = 0; i < w; ++i)
            {
              const std::size_t c = i + w * (j + h * k);
              const unsigned int v = type == VTK_UNSIGNED_CHAR ?
                                       static_cast<const std::uint8_t *>(s->GetVoidPointer(0))[c] :
                                       static_cast<const std::uint16_t *>(s->GetVoidPointer(0))[c];
              const std::size_t jj = flip ? h - 1 - j : j;
              if (v > 255)
                throw label_too_large(path, v, i, jj, k, n_pages);
              labels[(k0 + k) * w * h + jj * w + i] = static_cast<std::uint8_t>(v);
            }
    }
  } // namespace


  std::vector<std::string> tiff_files(const std::string &spec)
  {
    std::error_code ec;
    if (fs::is_directory(spec, ec))
      {
        auto files = sorted_files(spec, [](const std::string &n) {
          const std::string l = lower(n);
          return (l.size() > 4 && l.compare(l.size() - 4, 4, ".tif") == 0) ||
                 (l.size() > 5 && l.compare(l.size() - 5, 5, ".tiff") == 0);
        });
        if (files.empty())
          throw std::runtime_error("cannot read TIFF stack '" + spec +
                                   "': the directory holds no .tif/.tiff files");
        return files;
      }
    const fs::path    p(spec);
    const fs::path    dir  = p.has_parent_path() ? p.parent_path() : fs::path(".");
    const std::string name = p.filename().string();
    static const std::regex printf_conv("%(0?)([0-9]*)d");
    std::smatch             m;
    if (std::regex_search(name, m, printf_conv))
      {
        if (name.find('%', m.position(0) + m.length(0)) != std::string::npos ||
            m.prefix().str().find('%') != std::string::npos)
          throw std::runtime_error("cannot read TIFF stack '" + spec +
                                   "': the pattern must hold exactly one %d conversion");
        // Files whose names match the pattern, by number.
        const std::string prefix = m.prefix().str(), suffix = m.suffix().str();
        std::map<long long, std::string> by_number;
        std::error_code                  ec2;
        for (const auto &entry : fs::directory_iterator(dir, ec2))
          {
            const std::string n = entry.path().filename().string();
            if (n.size() <= prefix.size() + suffix.size() || n.compare(0, prefix.size(), prefix) != 0 ||
                n.compare(n.size() - suffix.size(), suffix.size(), suffix) != 0)
              continue;
            const std::string digits =
              n.substr(prefix.size(), n.size() - prefix.size() - suffix.size());
            if (digits.empty() || digits.size() > 12 ||
                digits.find_first_not_of("0123456789") != std::string::npos)
              continue;
            const long long number = std::stoll(digits);
            char            buf[4096];
            std::snprintf(buf, sizeof buf, name.c_str(), static_cast<int>(number));
            if (buf == n)
              by_number[number] = entry.path().string();
          }
        if (ec2)
          throw std::runtime_error("cannot list '" + dir.string() + "': " + ec2.message());
        if (by_number.empty())
          throw std::runtime_error("cannot read TIFF stack '" + spec +
                                   "': no file matches the pattern");
        std::vector<std::string> files;
        long long                expect = by_number.begin()->first;
        for (const auto &[number, file] : by_number)
          {
            if (number != expect)
              {
                char buf[4096];
                std::snprintf(buf, sizeof buf, name.c_str(), static_cast<int>(expect));
                throw std::runtime_error("cannot read TIFF stack '" + spec + "': slice '" +
                                         (dir / buf).string() + "' is missing (the files run from " +
                                         std::to_string(by_number.begin()->first) + " to " +
                                         std::to_string(by_number.rbegin()->first) + ")");
              }
            files.push_back(file);
            ++expect;
          }
        return files;
      }
    if (name.find_first_of("*?") != std::string::npos)
      {
        std::string re;
        for (char c : name)
          {
            if (c == '*')
              re += ".*";
            else if (c == '?')
              re += '.';
            else if (std::isalnum(static_cast<unsigned char>(c)))
              re += c;
            else
              {
                re += '\\';
                re += c;
              }
          }
        const std::regex glob(re);
        auto files = sorted_files(dir, [&](const std::string &n) {
          return std::regex_match(n, glob);
        });
        if (files.empty())
          throw std::runtime_error("cannot read TIFF stack '" + spec +
                                   "': no file matches the pattern");
        return files;
      }
    return {spec};
  }


  VoxelImage read_tiff(const std::string &spec, const std::array<double, 3> &voxel_size,
                       const std::array<double, 3> &origin,
                       const std::map<std::uint8_t, std::string> &phase_names)
  {
    const std::vector<std::string> files = tiff_files(spec);
    std::vector<std::vector<TiffPage>> pages;
    std::size_t                        nz = 0;
    for (const auto &f : files)
      {
        pages.push_back(tiff_pages(f));
        if (files.size() > 1 && pages.back().size() != 1)
          throw std::runtime_error("cannot read '" + f + "': it holds " +
                                   std::to_string(pages.back().size()) +
                                   " pages; a stack of files needs one page per file");
        const TiffPage &p = pages.back()[0], &first = pages[0][0];
        if (p.width != first.width || p.height != first.height)
          throw std::runtime_error("cannot read '" + f + "': inconsistent slice sizes: it is " +
                                   std::to_string(p.width) + " x " + std::to_string(p.height) +
                                   " pixels, '" + files[0] + "' is " +
                                   std::to_string(first.width) + " x " +
                                   std::to_string(first.height));
        nz += pages.back().size();
      }
    VoxelImage image;
    image.dims        = {{static_cast<std::size_t>(pages[0][0].width),
                          static_cast<std::size_t>(pages[0][0].height), nz}};
    image.voxel_size  = voxel_size;
    image.origin      = origin;
    image.phase_names = phase_names;
    image.labels.resize(image.n_voxels());
    std::size_t k = 0;
    for (std::size_t f = 0; f < files.size(); ++f)
      {
        read_tiff_file(files[f], pages[f], image.labels, k);
        k += pages[f].size();
      }
    return image;
  }


  void write_tiff(const VoxelImage &image, const std::string &path)
  {
    const std::string what = "cannot write '" + path + "'";
    if (image.labels.size() != image.n_voxels() || image.n_voxels() == 0)
      throw std::invalid_argument(what + ": the image has " +
                                  std::to_string(image.labels.size()) + " labels for " +
                                  dims_text(image.dims) + " voxels");
    const std::uint64_t w = image.dims[0], h = image.dims[1], nz = image.dims[2];
    const std::uint64_t page_bytes = w * h;
    const unsigned int  n_tags     = 10;
    const std::uint64_t ifd_bytes  = 2 + 12 * n_tags + 4;
    if (8 + nz * (page_bytes + ifd_bytes + 1) > 0xffffffffULL)
      throw std::invalid_argument(what + ": " + dims_text(image.dims) +
                                  " voxels exceed the 4 GiB of a classic TIFF");
    // Classic little-endian TIFF; per page: the pixels (one strip, first
    // row j = 0), then the page's directory.
    atomic_write(path, [&](const std::string &tmp) {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      if (!out)
        throw std::runtime_error(what + ": cannot open '" + tmp + "': " + std::strerror(errno));
      const auto put = [&](std::uint64_t v, unsigned int n) {
        for (unsigned int b = 0; b < n; ++b)
          out.put(static_cast<char>((v >> (8 * b)) & 0xff));
      };
      out.write("II", 2);
      put(42, 2);
      put(8 + page_bytes + (page_bytes & 1), 4); // first directory
      std::uint64_t pos = 8;
      for (std::uint64_t k = 0; k < nz; ++k)
        {
          const std::uint64_t data = pos;
          out.write(reinterpret_cast<const char *>(image.labels.data() + k * page_bytes),
                    static_cast<std::streamsize>(page_bytes));
          if (page_bytes & 1)
            out.put(0); // directories start on a word boundary
          pos += page_bytes + (page_bytes & 1);
          const std::uint64_t next_page = pos + ifd_bytes;
          const std::uint64_t next_ifd =
            k + 1 < nz ? next_page + page_bytes + (page_bytes & 1) : 0;
          put(n_tags, 2);
          const auto entry = [&](unsigned int tag, unsigned int type, std::uint64_t v) {
            put(tag, 2);
            put(type, 2);
            put(1, 4);
            put(v, type == 3 ? 2 : 4);
            if (type == 3)
              put(0, 2);
          };
          entry(256, 4, w);          // ImageWidth
          entry(257, 4, h);          // ImageLength
          entry(258, 3, 8);          // BitsPerSample
          entry(259, 3, 1);          // Compression: none
          entry(262, 3, 1);          // Photometric: BlackIsZero
          entry(273, 4, data);       // StripOffsets
          entry(277, 3, 1);          // SamplesPerPixel
          entry(278, 4, h);          // RowsPerStrip
          entry(279, 4, page_bytes); // StripByteCounts
          entry(339, 3, 1);          // SampleFormat: unsigned
          put(next_ifd, 4);
          pos = next_page;
        }
      out.close();
      if (!out)
        throw std::runtime_error(what + ": writing '" + tmp + "' failed: " + std::strerror(errno));
    });
  }
} // namespace solidanode
