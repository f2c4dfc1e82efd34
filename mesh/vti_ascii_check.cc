// Plain-text pre-check of the inline ascii arrays of a .vti file, before
// VTK reads it (see check_inline_ascii_arrays() in voxel_io_detail.h), and
// of every array's type.
#include <mesh/voxel_io_detail.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace solidanode
{
  namespace detail
  {
    namespace
    {
      // ---- Plain-text pre-check of inline ascii arrays (no VTK) -------------
      //
      // VTK 9.1 reads an inline ascii array with "is >> value" until the first
      // token that does not parse, and then crashes in ReadPieceData when it
      // got fewer values than the piece needs (found by fuzz_vti_reader). So,
      // before VTK sees the file, we scan its XML text ourselves: for every
      // <DataArray>/<Array> with format="ascii", every whitespace-separated
      // token between the tag and the next '<' must be a number of the array's
      // type, and (for cell, point and field data) there must be exactly
      // NumberOfComponents x cells / points / NumberOfTuples of them. One pass
      // over the file, constant memory apart from one tag; it stops where VTK
      // stops parsing XML ("<AppendedData"). Malformed XML elsewhere is left to
      // VTK's parser, which reports it.

      /// The file as a stream of characters with the byte offset.
      class TextScanner
      {
      public:
        explicit TextScanner(std::streambuf &buffer) : buffer(buffer) {}

        static constexpr int end = std::char_traits<char>::eof();

        int peek() { return buffer.sgetc(); }
        int get()
        {
          const int c = buffer.sbumpc();
          if (c != end)
            ++offset;
          return c;
        }
        /// Whether the next characters are @p text; consumes them if so, and
        /// the matching part otherwise.
        bool accept(const char *text)
        {
          for (; *text != '\0'; ++text)
            {
              if (peek() != static_cast<unsigned char>(*text))
                return false;
              get();
            }
          return true;
        }
        /// Skips past the first occurrence of @p pattern (at most 3
        /// characters); false at the end of the file.
        bool skip_past(const std::string &pattern)
        {
          std::string window;
          for (int c = get(); c != end; c = get())
            {
              window.push_back(static_cast<char>(c));
              if (window.size() > pattern.size())
                window.erase(0, 1);
              if (window == pattern)
                return true;
            }
          return false;
        }
        std::uint64_t position() const { return offset; }

      private:
        std::streambuf &buffer;
        std::uint64_t   offset = 0;
      };

      bool is_space(const int c)
      {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
      }

      /// A text for messages: at most 40 characters, non-printable ones as '?'.
      std::string shown(const std::string &text)
      {
        std::string out = text.substr(0, 40);
        for (char &c : out)
          if (!std::isprint(static_cast<unsigned char>(c)))
            c = '?';
        return text.size() > 40 ? out + "..." : out;
      }

      /// Replaces the XML entities &lt; &gt; &amp; &quot; &apos; and ASCII
      /// character references in an attribute value, as the XML parser will.
      std::string decode_entities(const std::string &value)
      {
        std::string out;
        for (std::size_t i = 0; i < value.size(); ++i)
          {
            const std::size_t semicolon = value.find(';', i);
            if (value[i] != '&' || semicolon == std::string::npos || semicolon - i > 10)
              {
                out.push_back(value[i]);
                continue;
              }
            const std::string entity = value.substr(i + 1, semicolon - i - 1);
            long code = -1;
            if (entity == "lt") code = '<';
            else if (entity == "gt") code = '>';
            else if (entity == "amp") code = '&';
            else if (entity == "quot") code = '"';
            else if (entity == "apos") code = '\'';
            else if (entity.size() > 1 && entity[0] == '#')
              {
                const bool hex = entity[1] == 'x';
                const std::string digits = entity.substr(hex ? 2 : 1);
                if (!digits.empty() &&
                    digits.find_first_not_of(hex ? "0123456789abcdefABCDEF" : "0123456789") ==
                      std::string::npos)
                  code = std::strtol(digits.c_str(), nullptr, hex ? 16 : 10);
              }
            if (code < 0 || code > 127)
              {
                out.push_back(value[i]);
                continue;
              }
            out.push_back(static_cast<char>(code));
            i = semicolon;
          }
        return out;
      }

      /// How the tokens of an ascii array of a VTK XML type name must look.
      struct AsciiValueType
      {
        enum class Kind { signed_integer, unsigned_integer, real, any_number } kind;
        long long          min      = 0;
        unsigned long long max      = 0;
        double             real_max = 0.;
        /// Whether the number of tokens is tuples x components (not for Bit
        /// arrays, whose ascii form VTK stores differently).
        bool counted = true;
        /// String arrays: the tokens are character codes and each string ends
        /// with a 0, so the strings are counted instead. VTK 9.1 writes past
        /// the end of the array when there are more strings than tuples.
        bool strings = false;
      };

      AsciiValueType ascii_value_type(const std::string &type)
      {
        using K = AsciiValueType::Kind;
        const auto sint = [](long long min, long long max) {
          return AsciiValueType{K::signed_integer, min, static_cast<unsigned long long>(max)};
        };
        const auto uint = [](unsigned long long max) {
          return AsciiValueType{K::unsigned_integer, 0, max};
        };
        if (type == "Int8") return sint(-128, 127);
        if (type == "UInt8") return uint(255);
        if (type == "Int16") return sint(-32768, 32767);
        if (type == "UInt16") return uint(65535);
        if (type == "Int32") return sint(std::numeric_limits<std::int32_t>::min(), std::numeric_limits<std::int32_t>::max());
        if (type == "UInt32") return uint(std::numeric_limits<std::uint32_t>::max());
        if (type == "Int64") return sint(std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max());
        if (type == "UInt64") return uint(std::numeric_limits<std::uint64_t>::max());
        if (type == "Float32") return {K::real, 0, 0, std::numeric_limits<float>::max()};
        if (type == "Float64") return {K::real, 0, 0, std::numeric_limits<double>::max()};
        if (type == "String")
          {
            AsciiValueType t = sint(-128, 255); // character codes
            t.strings = true;
            return t;
          }
        if (type == "Bit")
          {
            AsciiValueType t = sint(-32768, 32767);
            t.counted = false;
            return t;
          }
        return {K::any_number, 0, 0, std::numeric_limits<double>::max()};
      }

      /// Empty if @p token is a value of @p type that VTK's "is >> value"
      /// reads completely, else why not.
      std::string check_ascii_token(const std::string &token, const AsciiValueType &type,
                                    const std::string &type_name)
      {
        using K = AsciiValueType::Kind;
        const std::string what = "token '" + shown(token) + "'";
        if (type.kind == K::signed_integer || type.kind == K::unsigned_integer)
          {
            const std::size_t first = (token[0] == '+' || token[0] == '-') ? 1 : 0;
            if (first == token.size() ||
                token.find_first_not_of("0123456789", first) != std::string::npos)
              {
                AsciiValueType real = type;
                real.kind           = K::any_number;
                real.real_max       = std::numeric_limits<double>::max();
                return check_ascii_token(token, real, type_name).empty() ?
                         what + " is not an integer (type " + type_name + ")" :
                         what + " is not a number";
              }
            errno = 0;
            bool in_range;
            if (type.kind == K::signed_integer)
              {
                const long long v = std::strtoll(token.c_str(), nullptr, 10);
                in_range = errno != ERANGE && v >= type.min &&
                           (v < 0 || static_cast<unsigned long long>(v) <= type.max);
              }
            else
              {
                const bool negative =
                  token[0] == '-' && token.find_first_not_of('0', 1) != std::string::npos;
                const unsigned long long v = std::strtoull(token.c_str(), nullptr, 10);
                in_range = !negative && errno != ERANGE && v <= type.max;
              }
            return in_range ? "" : what + " is out of range for type " + type_name;
          }
        // Decimal notation only: VTK's stream reads no hex, "inf" or "nan".
        if (token.find_first_not_of("0123456789+-.eE") != std::string::npos)
          return what + " is not a number";
        char *rest = nullptr;
        errno = 0;
        const double v = std::strtod(token.c_str(), &rest);
        if (rest == token.c_str() || *rest != '\0')
          return what + " is not a number";
        if (!std::isfinite(v) || std::fabs(v) > type.real_max)
          return what + " is out of range" +
                 (type.kind == K::real ? " for type " + type_name : std::string());
        return "";
      }

      /// a * b, saturating at the largest uint64.
      std::uint64_t saturating_product(const std::uint64_t a, const std::uint64_t b)
      {
        const std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
        return (a != 0 && b > max / a) ? max : a * b;
      }

      std::string count_text(const std::uint64_t n)
      {
        return n == std::numeric_limits<std::uint64_t>::max() ? "more than 1.8e19" :
                                                                std::to_string(n);
      }

      /// Parses a non-negative (or, with @p allow_negative, any) integer
      /// attribute value that fits in an int; false otherwise.
      bool parse_int(const std::string &text, long long &value, const bool allow_negative)
      {
        std::size_t first = 0;
        while (first < text.size() && is_space(static_cast<unsigned char>(text[first])))
          ++first;
        std::size_t last = text.size();
        while (last > first && is_space(static_cast<unsigned char>(text[last - 1])))
          --last;
        const std::string t = text.substr(first, last - first);
        const std::size_t digits = (!t.empty() && (t[0] == '+' || t[0] == '-')) ? 1 : 0;
        if (digits == t.size() || t.find_first_not_of("0123456789", digits) != std::string::npos ||
            t.size() > 12)
          return false;
        value = std::strtoll(t.c_str(), nullptr, 10);
        return (allow_negative || value >= 0) && value >= std::numeric_limits<int>::min() &&
               value <= std::numeric_limits<int>::max();
      }

      /// Parses an Extent / WholeExtent attribute: 6 integers with at least
      /// one point along each axis; else throws @p fail(...).
      std::array<long long, 6> parse_extent(const std::string &text, const char *attribute,
                                            const ReadFailure &fail)
      {
        std::array<long long, 6> e{};
        std::istringstream words(text);
        std::string        word;
        int                n = 0;
        while (words >> word)
          if (n == 6 || !parse_int(word, e[n++], true))
            throw fail(std::string("the ") + attribute + " '" + shown(text) +
                       "' is not 6 integers");
        if (n != 6)
          throw fail(std::string("the ") + attribute + " '" + shown(text) +
                     "' is not 6 integers");
        for (unsigned int d = 0; d < 3; ++d)
          if (e[2 * d + 1] < e[2 * d])
            throw fail(std::string("the ") + attribute + " '" + shown(text) +
                       "' is empty along " + "xyz"[d]);
        return e;
      }


      /// One opening tag: its name and attributes, and what is wrong with it.
      struct Tag
      {
        std::string   name;
        std::uint64_t start = 0; ///< byte offset of its '<'
        std::vector<std::pair<std::string, std::string>> attributes;
        bool          self_closing = false;
        bool          gt_in_value  = false;
        std::string   malformed; ///< why the tag is malformed; empty if it is not

        const std::string *attribute(const char *key) const
        {
          for (const auto &[k, v] : attributes)
            if (k == key)
              return &v;
          return nullptr;
        }
      };

      /// How many values VTK reads from an ascii array, and how to say so.
      struct ExpectedValues
      {
        bool          counted = true; ///< false: VTK does not read the array here
        std::uint64_t values  = 0;
        std::string   text;
      };

      /// The scan of one file: the elements it is in, and the checks.
      class AsciiArrayCheck
      {
      public:
        AsciiArrayCheck(std::streambuf &file, const ReadFailure &fail)
          : in(file), fail(fail)
        {}

        /// Scans up to the end of the file or to where VTK stops parsing XML.
        void run();

      private:
        enum class Section { other, point, cell, field };

        std::string read_name();
        void        skip_spaces();
        /// After "<!": skips a comment, CDATA section or declaration.
        bool skip_markup();
        /// After "</": leaves the element it closes.
        bool close_element();
        /// After the name of an opening tag: its attributes up to its end.
        void read_attributes(Tag &tag);
        /// An element other than an array: extents, piece and data section.
        void open_element(const Tag &tag);
        void check_piece_extent(const Tag &tag);
        /// A DataArray / Array element: its tag and its ascii values.
        void check_array(const Tag &tag);
        ExpectedValues expected_values(const Tag &tag, const std::string &which,
                                       long long components) const;
        /// Counts the tokens up to the next '<', checking each one.
        std::uint64_t count_tokens(const AsciiValueType &type,
                                   const std::string &type_name,
                                   const std::string &which);

        TextScanner        in;
        const ReadFailure &fail;

        Section                  section    = Section::other;
        bool                     in_piece   = false;
        bool                     has_extent = false;
        std::string              extent_text;
        std::array<long long, 6> piece_extent{};
        bool                     has_whole = false;
        std::array<long long, 6> whole_extent{};
      };


      std::string AsciiArrayCheck::read_name()
      {
        const int   end = TextScanner::end;
        std::string name;
        while (in.peek() != end && !is_space(in.peek()) && in.peek() != '>' &&
               in.peek() != '/' && in.peek() != '=' && name.size() < 256)
          name.push_back(static_cast<char>(in.get()));
        return name;
      }


      void AsciiArrayCheck::skip_spaces()
      {
        while (in.peek() != TextScanner::end && is_space(in.peek()))
          in.get();
      }


      bool AsciiArrayCheck::skip_markup()
      {
        if (in.accept("--"))
          return in.skip_past("-->");
        if (in.accept("[CDATA["))
          return in.skip_past("]]>");
        return in.skip_past(">");
      }


      bool AsciiArrayCheck::close_element()
      {
        const std::string name = read_name();
        if (name == "PointData" || name == "CellData" || name == "FieldData")
          section = Section::other;
        else if (name == "Piece")
          in_piece = false;
        return in.skip_past(">");
      }


      void AsciiArrayCheck::read_attributes(Tag &tag)
      {
        const int end = TextScanner::end;
        while (true)
          {
            skip_spaces();
            if (in.peek() == end)
              {
                tag.malformed = "is not terminated";
                return;
              }
            if (in.accept(">"))
              return;
            if (in.accept("/"))
              {
                if (!in.accept(">"))
                  tag.malformed = "has a '/' that does not end it";
                tag.self_closing = true;
                return;
              }
            const std::string attribute = read_name();
            skip_spaces();
            if (attribute.empty() || !in.accept("="))
              {
                tag.malformed = "has an attribute without '=\"value\"'";
                return;
              }
            skip_spaces();
            const int quote = in.peek();
            if (quote != '"' && quote != '\'')
              {
                tag.malformed = "has an attribute value without quotes";
                return;
              }
            in.get();
            std::string value;
            int         c;
            for (c = in.get(); c != end && c != quote; c = in.get())
              {
                tag.gt_in_value = tag.gt_in_value || c == '>';
                value.push_back(static_cast<char>(c));
              }
            if (c == end)
              {
                tag.malformed = "is not terminated";
                return;
              }
            tag.attributes.emplace_back(attribute, decode_entities(value));
          }
      }


      void AsciiArrayCheck::check_piece_extent(const Tag &tag)
      {
        const std::string *extent = tag.attribute("Extent");
        has_extent  = extent != nullptr;
        extent_text = has_extent ? *extent : "";
        if (!has_extent)
          return;
        piece_extent = parse_extent(extent_text, "Piece Extent", fail);
        if (has_whole)
          for (unsigned int d = 0; d < 3; ++d)
            if (piece_extent[2 * d] < whole_extent[2 * d] ||
                piece_extent[2 * d + 1] > whole_extent[2 * d + 1])
              throw fail("the Piece Extent '" + shown(extent_text) +
                         "' is not inside the WholeExtent (along " + "xyz"[d] + ")");
      }


      void AsciiArrayCheck::open_element(const Tag &tag)
      {
        if (tag.name == "ImageData")
          if (const std::string *whole = tag.attribute("WholeExtent"))
            {
              whole_extent = parse_extent(*whole, "WholeExtent", fail);
              has_whole    = true;
            }
        if (tag.name == "Piece")
          check_piece_extent(tag);
        if (tag.self_closing)
          return;
        if (tag.name == "Piece")
          in_piece = true;
        else if (tag.name == "PointData")
          section = Section::point;
        else if (tag.name == "CellData")
          section = Section::cell;
        else if (tag.name == "FieldData")
          section = Section::field;
      }


      ExpectedValues AsciiArrayCheck::expected_values(const Tag &tag, const std::string &which,
                                                      const long long components) const
      {
        ExpectedValues    expected;
        const std::string per_component =
          components > 1 ? std::to_string(components) + " components x " : "";
        if (section == Section::point || section == Section::cell)
          {
            if (!in_piece || !has_extent)
              throw fail(which + " is not inside a Piece with an Extent");
            const std::array<long long, 6> &e = piece_extent;
            std::uint64_t values = static_cast<std::uint64_t>(components);
            std::string   sizes;
            for (unsigned int d = 0; d < 3; ++d)
              {
                const long long points = e[2 * d + 1] - e[2 * d] + 1; // >= 1
                // VTK's cell data of a flat piece: one layer of cells.
                const long long count =
                  section == Section::point ? points : std::max(points - 1, 1LL);
                values = saturating_product(values, static_cast<std::uint64_t>(count));
                sizes += (d > 0 ? " x " : "") + std::to_string(count);
              }
            expected.values = values;
            expected.text   = per_component + sizes +
                            (section == Section::point ? " points" : " cells");
          }
        else if (section == Section::field)
          {
            long long tuples = 0; // VTK's default
            if (const std::string *n = tag.attribute("NumberOfTuples"))
              if (!parse_int(*n, tuples, false))
                throw fail(which + " has NumberOfTuples '" + shown(*n) +
                           "', expected an integer >= 0");
            expected.values = saturating_product(static_cast<std::uint64_t>(components),
                                                 static_cast<std::uint64_t>(tuples));
            expected.text   = per_component + std::to_string(tuples) + " tuples";
          }
        else
          expected.counted = false; // VTK does not read arrays elsewhere
        return expected;
      }


      std::uint64_t AsciiArrayCheck::count_tokens(const AsciiValueType &type,
                                                  const std::string &type_name,
                                                  const std::string &which)
      {
        const int     end    = TextScanner::end;
        std::uint64_t tokens = 0;
        std::string   token;
        while (true)
          {
            const int c = in.peek();
            if (c == end || c == '<' || is_space(c))
              {
                if (!token.empty())
                  {
                    const std::string why = check_ascii_token(token, type, type_name);
                    if (!why.empty())
                      throw fail(which + ": " + why);
                    // A string array holds one value per 0.
                    if (!type.strings || token.find_first_not_of("+-0") == std::string::npos)
                      ++tokens;
                    token.clear();
                  }
                if (c == end || c == '<')
                  return tokens;
                in.get();
              }
            else
              {
                if (token.size() == 256)
                  throw fail(which + ": token '" + shown(token) + "' is too long for a number");
                token.push_back(static_cast<char>(c));
                in.get();
              }
          }
      }


      void AsciiArrayCheck::check_array(const Tag &tag)
      {
        const std::string *array_name = tag.attribute("Name");
        const std::string  which =
          "the array '" + (array_name != nullptr ? shown(*array_name) : "(unnamed)") + "'";
        if (!tag.malformed.empty())
          throw fail(which + ": its tag at byte " + std::to_string(tag.start) + " " +
                     tag.malformed);
        // VTK 9.1 crashes reading the header of a file whose field-data
        // array has a type it does not know (found by mutation testing).
        static const char *const vtk_types[] = {"Int8",   "UInt8",   "Int16",  "UInt16",
                                                "Int32",  "UInt32",  "Int64",  "UInt64",
                                                "Float32", "Float64", "String", "Bit"};
        const std::string *declared = tag.attribute("type");
        if (declared == nullptr ||
            std::find(std::begin(vtk_types), std::end(vtk_types), *declared) ==
              std::end(vtk_types))
          throw fail(which + " has type '" + (declared != nullptr ? shown(*declared) : "") +
                     "', expected one of Int8, UInt8, Int16, UInt16, Int32, UInt32, Int64, "
                     "UInt64, Float32, Float64, String, Bit");
        const std::string *format = tag.attribute("format");
        if (format == nullptr || *format != "ascii")
          return;
        if (tag.gt_in_value)
          throw fail(which + " has a '>' inside an attribute value; VTK cannot find "
                             "its ascii data");

        const std::string *type_attribute = tag.attribute("type");
        const std::string  type_name = type_attribute != nullptr ? *type_attribute : "";
        const AsciiValueType type = ascii_value_type(type_name);

        long long components = 1;
        if (const std::string *n = tag.attribute("NumberOfComponents"))
          if (!parse_int(*n, components, false) || components < 1)
            throw fail(which + " has NumberOfComponents '" + shown(*n) +
                       "', expected a positive integer");

        const ExpectedValues expected = expected_values(tag, which, components);
        // Its tokens: VTK reads from just after the tag up to the first
        // token that does not parse, at the latest the next '<'.
        const std::uint64_t tokens =
          tag.self_closing ? 0 : count_tokens(type, type_name, which);
        if (type.counted && expected.counted && tokens != expected.values)
          throw fail(which + " holds " + std::to_string(tokens) +
                     (type.strings ? " ascii strings" : " ascii values") + ", expected " +
                     count_text(expected.values) + " (" + expected.text + ")");
      }


      void AsciiArrayCheck::run()
      {
        const int end = TextScanner::end;
        while (true)
          {
            int c = in.get();
            while (c != end && c != '<')
              c = in.get();
            if (c == end)
              return;
            const std::uint64_t tag_start = in.position() - 1;

            if (in.accept("!"))
              {
                if (!skip_markup())
                  return; // unterminated: VTK's parser reports it
                continue;
              }
            if (in.accept("?"))
              {
                if (!in.skip_past("?>"))
                  return;
                continue;
              }
            if (in.accept("/"))
              {
                if (!close_element())
                  return;
                continue;
              }

            Tag tag;
            tag.start = tag_start;
            tag.name  = read_name();
            if (tag.name.empty())
              continue; // a stray '<': VTK's parser reports it
            if (tag.name == "AppendedData")
              return; // VTK stops parsing XML here; the rest is binary data
            read_attributes(tag);
            if (tag.name == "DataArray" || tag.name == "Array")
              check_array(tag);
            else if (!tag.malformed.empty())
              return; // not ours: VTK's parser reports it
            else
              open_element(tag);
          }
      }
    } // namespace


    void check_inline_ascii_arrays(const std::string &path, const ReadFailure &fail)
    {
      std::filebuf file;
      if (file.open(path, std::ios::in | std::ios::binary) == nullptr)
        return; // reported by the caller's checks and by VTK
      AsciiArrayCheck(file, fail).run();
    }
  } // namespace detail
} // namespace solidanode
