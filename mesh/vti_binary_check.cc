// Sizes of the binary arrays of a .vti file (inline base64 and appended raw
// or base64, compressed or not) against their headers and the extent, before
// VTK reads them: VTK 9.1 reads a short inline array past its end (a crash),
// ignores surplus data and fills a missing tail with zeros.
#include <mesh/voxel_io_detail.h>

#include <vtkXMLDataElement.h>
#include <vtkXMLDataParser.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace solidanode
{
  namespace detail
  {
    namespace
    {
      std::size_t word_size(const std::string &type)
      {
        if (type == "Int8" || type == "UInt8")
          return 1;
        if (type == "Int16" || type == "UInt16")
          return 2;
        if (type == "Int32" || type == "UInt32" || type == "Float32")
          return 4;
        if (type == "Int64" || type == "UInt64" || type == "Float64")
          return 8;
        return 0; // String, Bit: no fixed size
      }

      int base64_value(const char c)
      {
        if (c >= 'A' && c <= 'Z')
          return c - 'A';
        if (c >= 'a' && c <= 'z')
          return c - 'a' + 26;
        if (c >= '0' && c <= '9')
          return c - '0' + 52;
        return c == '+' ? 62 : c == '/' ? 63 : -1;
      }

      /// Decoded bytes of @p text (no whitespace); stops at '='.
      std::vector<std::uint8_t> decode_base64(const std::string &text, const ReadFailure &fail,
                                              const std::string &which)
      {
        std::vector<std::uint8_t> out;
        out.reserve(text.size() / 4 * 3);
        unsigned int bits = 0, n = 0;
        for (const char c : text)
          {
            if (c == '=')
              break;
            const int v = base64_value(c);
            if (v < 0)
              throw fail(which + " holds a character that is not base64");
            bits = (bits << 6) | unsigned(v);
            n += 6;
            if (n >= 8)
              {
                n -= 8;
                out.push_back(static_cast<std::uint8_t>((bits >> n) & 0xff));
              }
          }
        return out;
      }

      /// Base64 of @p text: the first @p header_bytes decoded bytes and the
      /// number of bytes after them. VTK encodes header and data as two
      /// base64 runs (the header's padded with '='); one run is accepted too.
      std::pair<std::vector<std::uint8_t>, std::uint64_t>
      split_base64(const std::string &text, const std::size_t header_bytes,
                   const ReadFailure &fail, const std::string &which)
      {
        const std::size_t header_chars = 4 * ((header_bytes + 2) / 3);
        if (text.size() >= header_chars && header_bytes % 3 != 0 &&
            text[header_chars - 1] == '=')
          {
            auto header = decode_base64(text.substr(0, header_chars), fail, which);
            header.resize(header_bytes);
            return {header, decode_base64(text.substr(header_chars), fail, which).size()};
          }
        auto all = decode_base64(text, fail, which);
        if (all.size() < header_bytes)
          throw fail(which + " is shorter than its header");
        return {std::vector<std::uint8_t>(all.begin(), all.begin() + header_bytes),
                all.size() - header_bytes};
      }

      struct Format
      {
        std::size_t header_word = 4; ///< UInt32 or UInt64
        bool        big_endian  = false;
        bool        compressed  = false;

        std::uint64_t word(const std::vector<std::uint8_t> &bytes, const std::size_t i) const
        {
          std::uint64_t v = 0;
          for (std::size_t b = 0; b < header_word; ++b)
            {
              const std::size_t k = big_endian ? b : header_word - 1 - b;
              v                   = (v << 8) | bytes[i * header_word + k];
            }
          return v;
        }
      };

      /// What the header of one array declares.
      struct Declared
      {
        std::uint64_t header_bytes = 0, data_bytes = 0, stored_bytes = 0;
      };

      /// @p header: the first word (enough to know the header size), then the
      /// whole header once @p more has read it.
      template <typename ReadHeader>
      Declared declared_sizes(const Format &f, ReadHeader &&read_header, const ReadFailure &fail,
                              const std::string &which)
      {
        Declared d;
        if (!f.compressed)
          {
            d.header_bytes = f.header_word;
            d.data_bytes = d.stored_bytes = f.word(read_header(d.header_bytes), 0);
            return d;
          }
        const std::uint64_t blocks = f.word(read_header(f.header_word), 0);
        if (blocks > (std::uint64_t(1) << 32))
          throw fail(which + " declares " + std::to_string(blocks) + " compressed blocks");
        d.header_bytes                          = (3 + blocks) * f.header_word;
        const std::vector<std::uint8_t> header  = read_header(d.header_bytes);
        const std::uint64_t             block   = f.word(header, 1);
        const std::uint64_t             last    = f.word(header, 2);
        if (blocks > 0 && (block == 0 || last > block))
          throw fail(which + " has an inconsistent compression header");
        d.data_bytes = blocks == 0 ? 0 : (blocks - 1) * block + (last == 0 ? block : last);
        for (std::uint64_t b = 0; b < blocks; ++b)
          d.stored_bytes += f.word(header, 3 + b);
        // No compressor VTK uses expands data by more than ~10^4 (zlib at
        // most 1032:1); a larger claim is a damaged header, which VTK would
        // try to allocate.
        if (d.data_bytes / 16384 > d.stored_bytes + 1)
          throw fail(which + " declares " + std::to_string(d.data_bytes) +
                     " bytes uncompressed from " + std::to_string(d.stored_bytes) +
                     " compressed: its compression header is damaged");
        return d;
      }

      /// The text from @p position (in a file) to the next '<', whitespace
      /// dropped; with @p after_tag, @p position is the '<' of an element and
      /// the text starts after its start tag.
      std::string text_until_tag(std::ifstream &in, const std::int64_t position,
                                 const bool after_tag = false)
      {
        in.clear();
        in.seekg(position);
        char quote = 0;
        for (char c; after_tag && in.get(c);)
          if (quote != 0)
            quote = c == quote ? 0 : quote;
          else if (c == '"' || c == '\'')
            quote = c;
          else if (c == '>')
            break;
        std::string text;
        for (char c; in.get(c) && c != '<';)
          if (!std::isspace(static_cast<unsigned char>(c)))
            text += c;
        return text;
      }

      /// The bytes of the file from @p position on (fewer at its end).
      std::vector<std::uint8_t> file_bytes(std::ifstream &in, const std::int64_t position,
                                           const std::uint64_t n)
      {
        in.clear();
        in.seekg(0, std::ios::end);
        const std::int64_t size = in.tellg();
        in.seekg(position);
        // Never more than the file holds (a damaged header may declare GBs).
        std::vector<std::uint8_t> bytes(
          std::min<std::uint64_t>(n, size > position ? std::uint64_t(size - position) : 0));
        in.read(reinterpret_cast<char *>(bytes.data()), static_cast<std::streamsize>(n));
        bytes.resize(static_cast<std::size_t>(in.gcount()));
        return bytes;
      }

      struct ArrayCheck
      {
        std::ifstream     &in;
        std::uint64_t      file_size;
        vtkXMLDataParser  *parser;
        Format             format;
        std::string        appended_encoding;
        const ReadFailure &fail;

        /// One DataArray/Array; @p expected: bytes its extent requires (0:
        /// not known).
        void check(vtkXMLDataElement *e, const std::uint64_t expected,
                   const std::string &expected_text)
        {
          const char *fmt  = e->GetAttribute("format");
          const char *name = e->GetAttribute("Name");
          const std::string which =
            std::string("the array '") + (name ? name : "") + "' (" + (fmt ? fmt : "") + ")";
          if (fmt == nullptr || (std::strcmp(fmt, "binary") && std::strcmp(fmt, "appended")))
            return;
          Declared      d;
          std::uint64_t available = 0;
          if (std::strcmp(fmt, "binary") == 0)
            {
              const std::string text = text_until_tag(in, e->GetXMLByteIndex(), true);
              d                      = declared_sizes(
                format,
                [&](const std::uint64_t n) {
                  auto [header, rest] = split_base64(text, n, fail, which);
                  available           = rest;
                  return header;
                },
                fail, which);
            }
          else
            {
              const char *offset_text = e->GetAttribute("offset");
              const std::int64_t offset = offset_text ? std::atoll(offset_text) : -1;
              const std::int64_t start  = parser->GetAppendedDataPosition() + offset;
              if (offset < 0 || start < 0 || std::uint64_t(start) > file_size)
                throw fail(which + " has an offset outside the file");
              const bool raw = appended_encoding != "base64";
              d = declared_sizes(
                format,
                [&](const std::uint64_t n) {
                  if (!raw)
                    return split_base64(text_until_tag(in, start), n, fail, which).first;
                  auto bytes = file_bytes(in, start, n);
                  if (bytes.size() < n)
                    throw fail(which + ": the file ends inside its header");
                  return bytes;
                },
                fail, which);
              available = raw ? file_size - std::uint64_t(start) - d.header_bytes : d.stored_bytes;
              if (available > d.stored_bytes)
                available = d.stored_bytes; // the next array follows
            }
          if (available != d.stored_bytes)
            throw fail(which + " holds " + std::to_string(available) +
                       " bytes of data, but its header declares " +
                       std::to_string(d.stored_bytes));
          if (expected > 0 && d.data_bytes != expected)
            throw fail(which + " holds " + std::to_string(d.data_bytes) + " bytes, expected " +
                       std::to_string(expected) + " (" + expected_text + ")");
        }
      };

      std::uint64_t extent_count(const char *extent_text, const bool cells,
                                 std::string &text)
      {
        long e[6] = {0, 0, 0, 0, 0, 0};
        if (extent_text == nullptr ||
            std::sscanf(extent_text, "%ld %ld %ld %ld %ld %ld", &e[0], &e[1], &e[2], &e[3], &e[4],
                        &e[5]) != 6)
          return 0;
        std::uint64_t n = 1;
        text.clear();
        for (int d = 0; d < 3; ++d)
          {
            const long k = e[2 * d + 1] - e[2 * d] + (cells ? 0 : 1);
            if (k <= 0 || k > (1L << 21))
              return 0;
            n *= std::uint64_t(k);
            text += (d ? " x " : "") + std::to_string(k);
          }
        text += cells ? " cells" : " points";
        return n;
      }
    } // namespace


    void check_binary_arrays(vtkXMLDataParser *parser, const std::string &path,
                             const ReadFailure &fail)
    {
      vtkXMLDataElement *root = parser->GetRootElement();
      if (root == nullptr)
        return;
      std::ifstream in(path, std::ios::binary);
      if (!in)
        return;
      in.seekg(0, std::ios::end);
      ArrayCheck check{in, std::uint64_t(in.tellg()), parser, {}, "raw", fail};
      const char *header_type       = root->GetAttribute("header_type");
      const char *byte_order        = root->GetAttribute("byte_order");
      const char *compressor        = root->GetAttribute("compressor");
      check.format.header_word      = header_type && !std::strcmp(header_type, "UInt64") ? 8 : 4;
      check.format.big_endian       = byte_order && !std::strcmp(byte_order, "BigEndian");
      check.format.compressed       = compressor && *compressor;
      if (vtkXMLDataElement *appended = root->FindNestedElementWithName("AppendedData"))
        if (const char *enc = appended->GetAttribute("encoding"))
          check.appended_encoding = enc;

      vtkXMLDataElement *image = root->FindNestedElementWithName("ImageData");
      if (image == nullptr)
        return;
      for (int p = 0; p < image->GetNumberOfNestedElements(); ++p)
        {
          vtkXMLDataElement *piece = image->GetNestedElement(p);
          if (std::strcmp(piece->GetName(), "FieldData") == 0)
            {
              // Field data (e.g. phase_names): no size follows from the extent,
              // but the header must match the data that are there.
              for (int a = 0; a < piece->GetNumberOfNestedElements(); ++a)
                check.check(piece->GetNestedElement(a), 0, "");
              continue;
            }
          const bool is_piece = std::strcmp(piece->GetName(), "Piece") == 0;
          for (int s = 0; s < piece->GetNumberOfNestedElements(); ++s)
            {
              vtkXMLDataElement *section = piece->GetNestedElement(s);
              const bool cells  = std::strcmp(section->GetName(), "CellData") == 0;
              const bool points = std::strcmp(section->GetName(), "PointData") == 0;
              std::string   text;
              const std::uint64_t n =
                is_piece && (cells || points) ?
                  extent_count(piece->GetAttribute("Extent"), cells, text) :
                  0;
              for (int a = 0; a < section->GetNumberOfNestedElements(); ++a)
                {
                  vtkXMLDataElement *array = section->GetNestedElement(a);
                  const char        *type  = array->GetAttribute("type");
                  int                components = 1;
                  array->GetScalarAttribute("NumberOfComponents", components);
                  const std::size_t w = word_size(type ? type : "");
                  const std::uint64_t expected =
                    components > 0 ? n * w * std::uint64_t(components) : 0;
                  check.check(array, expected,
                              text + " of " + std::string(type ? type : "?") +
                                (components > 1 ? " x " + std::to_string(components) : ""));
                }
            }
        }
    }
  } // namespace detail
} // namespace solidanode
