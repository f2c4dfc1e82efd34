// Reading and writing voxel images: VTK ImageData (.vti) and raw uint8.
#include <mesh/voxel_io.h>
#include <base/file_utils.h>

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
#include <cstdint>
#include <cstdlib>
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
    template <typename Fail>
    std::array<long long, 6> parse_extent(const std::string &text, const char *attribute,
                                          const Fail &fail)
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

    /// Scans @p path as described above; throws @p fail(...) on the first
    /// ascii array VTK cannot read completely, and on a Piece whose Extent
    /// is not inside the WholeExtent (VTK 9.1 then writes past the end of
    /// its arrays; found by fuzz_vti_reader).
    template <typename Fail>
    void check_inline_ascii_arrays(const std::string &path, const Fail &fail)
    {
      std::filebuf file;
      if (file.open(path, std::ios::in | std::ios::binary) == nullptr)
        return; // reported by the caller's checks and by VTK
      TextScanner in(file);
      const int   end = TextScanner::end;

      enum class Section { other, point, cell, field };
      Section     section    = Section::other;
      bool        in_piece   = false;
      bool        has_extent = false;
      std::string extent_text;
      std::array<long long, 6> piece_extent{};
      bool                     has_whole = false;
      std::array<long long, 6> whole_extent{};

      const auto read_name = [&] {
        std::string name;
        while (in.peek() != end && !is_space(in.peek()) && in.peek() != '>' &&
               in.peek() != '/' && in.peek() != '=' && name.size() < 256)
          name.push_back(static_cast<char>(in.get()));
        return name;
      };
      const auto skip_spaces = [&] {
        while (in.peek() != end && is_space(in.peek()))
          in.get();
      };

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
              bool ok;
              if (in.accept("--"))
                ok = in.skip_past("-->");
              else if (in.accept("[CDATA["))
                ok = in.skip_past("]]>");
              else
                ok = in.skip_past(">");
              if (!ok)
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
              const std::string name = read_name();
              if (name == "PointData" || name == "CellData" || name == "FieldData")
                section = Section::other;
              else if (name == "Piece")
                in_piece = false;
              if (!in.skip_past(">"))
                return;
              continue;
            }

          // An opening tag: its name and attributes.
          const std::string name = read_name();
          if (name.empty())
            continue; // a stray '<': VTK's parser reports it
          if (name == "AppendedData")
            return; // VTK stops parsing XML here; the rest is binary data
          const bool is_array = name == "DataArray" || name == "Array";
          std::vector<std::pair<std::string, std::string>> attributes;
          bool self_closing = false;
          bool gt_in_value  = false;
          std::string malformed;
          while (true)
            {
              skip_spaces();
              if (in.peek() == end)
                {
                  malformed = "is not terminated";
                  break;
                }
              if (in.accept(">"))
                break;
              if (in.accept("/"))
                {
                  if (!in.accept(">"))
                    malformed = "has a '/' that does not end it";
                  self_closing = true;
                  break;
                }
              const std::string attribute = read_name();
              skip_spaces();
              if (attribute.empty() || !in.accept("="))
                {
                  malformed = "has an attribute without '=\"value\"'";
                  break;
                }
              skip_spaces();
              const int quote = in.peek();
              if (quote != '"' && quote != '\'')
                {
                  malformed = "has an attribute value without quotes";
                  break;
                }
              in.get();
              std::string value;
              for (c = in.get(); c != end && c != quote; c = in.get())
                {
                  gt_in_value = gt_in_value || c == '>';
                  value.push_back(static_cast<char>(c));
                }
              if (c == end)
                {
                  malformed = "is not terminated";
                  break;
                }
              attributes.emplace_back(attribute, decode_entities(value));
            }
          const auto attribute = [&](const char *key) -> const std::string * {
            for (const auto &[k, v] : attributes)
              if (k == key)
                return &v;
            return nullptr;
          };

          if (!is_array)
            {
              if (!malformed.empty())
                return; // not ours: VTK's parser reports it
              if (name == "ImageData")
                if (const std::string *whole = attribute("WholeExtent"))
                  {
                    whole_extent = parse_extent(*whole, "WholeExtent", fail);
                    has_whole    = true;
                  }
              if (name == "Piece")
                {
                  const std::string *extent = attribute("Extent");
                  has_extent  = extent != nullptr;
                  extent_text = has_extent ? *extent : "";
                  if (has_extent)
                    {
                      piece_extent = parse_extent(extent_text, "Piece Extent", fail);
                      if (has_whole)
                        for (unsigned int d = 0; d < 3; ++d)
                          if (piece_extent[2 * d] < whole_extent[2 * d] ||
                              piece_extent[2 * d + 1] > whole_extent[2 * d + 1])
                            throw fail("the Piece Extent '" + shown(extent_text) +
                                       "' is not inside the WholeExtent (along " +
                                       "xyz"[d] + ")");
                    }
                }
              if (self_closing)
                continue;
              if (name == "Piece")
                in_piece = true;
              else if (name == "PointData")
                section = Section::point;
              else if (name == "CellData")
                section = Section::cell;
              else if (name == "FieldData")
                section = Section::field;
              continue;
            }

          const std::string *array_name = attribute("Name");
          const std::string  which =
            "the array '" + (array_name != nullptr ? shown(*array_name) : "(unnamed)") + "'";
          if (!malformed.empty())
            throw fail(which + ": its tag at byte " + std::to_string(tag_start) + " " +
                       malformed);
          const std::string *format = attribute("format");
          if (format == nullptr || *format != "ascii")
            continue;
          if (gt_in_value)
            throw fail(which + " has a '>' inside an attribute value; VTK cannot find "
                               "its ascii data");

          const std::string *type_attribute = attribute("type");
          const std::string  type_name = type_attribute != nullptr ? *type_attribute : "";
          const AsciiValueType type = ascii_value_type(type_name);

          long long components = 1;
          if (const std::string *n = attribute("NumberOfComponents"))
            if (!parse_int(*n, components, false) || components < 1)
              throw fail(which + " has NumberOfComponents '" + shown(*n) +
                         "', expected a positive integer");

          // How many values VTK will read from it.
          bool          counted  = type.counted;
          std::uint64_t expected = 0;
          std::string   expected_text;
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
              expected      = values;
              expected_text = per_component + sizes +
                              (section == Section::point ? " points" : " cells");
            }
          else if (section == Section::field)
            {
              long long tuples = 0; // VTK's default
              if (const std::string *n = attribute("NumberOfTuples"))
                if (!parse_int(*n, tuples, false))
                  throw fail(which + " has NumberOfTuples '" + shown(*n) +
                             "', expected an integer >= 0");
              expected = saturating_product(static_cast<std::uint64_t>(components),
                                            static_cast<std::uint64_t>(tuples));
              expected_text = per_component + std::to_string(tuples) + " tuples";
            }
          else
            counted = false; // VTK does not read arrays elsewhere

          // Its tokens: VTK reads from just after the tag up to the first
          // token that does not parse, at the latest the next '<'.
          std::uint64_t tokens = 0;
          if (!self_closing)
            {
              std::string token;
              while (true)
                {
                  c = in.peek();
                  if (c == end || c == '<' || is_space(c))
                    {
                      if (!token.empty())
                        {
                          const std::string why = check_ascii_token(token, type, type_name);
                          if (!why.empty())
                            throw fail(which + ": " + why);
                          // A string array holds one value per 0.
                          if (!type.strings ||
                              token.find_first_not_of("+-0") == std::string::npos)
                            ++tokens;
                          token.clear();
                        }
                      if (c == end || c == '<')
                        break;
                      in.get();
                    }
                  else
                    {
                      if (token.size() == 256)
                        throw fail(which + ": token '" + shown(token) +
                                   "' is too long for a number");
                      token.push_back(static_cast<char>(c));
                      in.get();
                    }
                }
            }
          if (counted && tokens != expected)
            throw fail(which + " holds " + std::to_string(tokens) +
                       (type.strings ? " ascii strings" : " ascii values") + ", expected " +
                       count_text(expected) + " (" + expected_text + ")");
        }
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

    // Our own check of the inline ascii arrays, which VTK 9.1 crashes on
    // when they hold too few values or tokens that are not numbers.
    check_inline_ascii_arrays(path, fail);

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
