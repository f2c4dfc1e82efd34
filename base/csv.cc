// CSV quoting and parsing (RFC 4180).
#include <base/csv.h>

#include <stdexcept>

namespace solidanode
{
  std::string csv_quote(const std::string &field)
  {
    if (field.find_first_of(",\"\r\n") == std::string::npos)
      return field;
    std::string out = "\"";
    for (const char c : field)
      {
        if (c == '"')
          out += '"';
        out += c;
      }
    return out + '"';
  }

  std::string csv_record(const std::vector<std::string> &fields)
  {
    std::string out;
    for (std::size_t i = 0; i < fields.size(); ++i)
      {
        if (i > 0)
          out += ',';
        out += csv_quote(fields[i]);
      }
    return out;
  }

  std::vector<std::vector<std::string>> csv_parse(const std::string &text,
                                                  const std::string &source)
  {
    std::vector<std::vector<std::string>> records;
    std::vector<std::string>              record;
    std::string                           field;
    bool        quoted = false, after_quote = false, any = false;
    std::size_t line = 1, quote_line = 0;
    auto        fail = [&](const std::string &why) {
      throw std::runtime_error("CSV file '" + source + "', line " + std::to_string(line) +
                               ": " + why);
    };
    auto end_field = [&] {
      record.push_back(std::move(field));
      field.clear();
      after_quote = false;
    };
    auto end_record = [&] {
      if (any)
        {
          end_field();
          records.push_back(std::move(record));
        }
      record.clear();
      field.clear();
      any = after_quote = false;
    };
    for (std::size_t i = 0; i < text.size(); ++i)
      {
        const char c = text[i];
        if (quoted)
          {
            if (c == '"' && i + 1 < text.size() && text[i + 1] == '"')
              field += text[++i];
            else if (c == '"')
              quoted = false, after_quote = true;
            else
              field += c, line += c == '\n' ? 1 : 0;
            continue;
          }
        if (c == '\n' || (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n'))
          {
            i += c == '\r' ? 1 : 0;
            end_record();
            ++line;
            continue;
          }
        any = true;
        if (c == ',')
          end_field();
        else if (after_quote)
          fail("text after a closing quote");
        else if (c == '"' && field.empty())
          quoted = true, quote_line = line;
        else if (c == '"')
          fail("a quote inside an unquoted field");
        else
          field += c;
      }
    if (quoted)
      {
        line = quote_line;
        fail("a quoted field is never closed");
      }
    end_record();
    return records;
  }
} // namespace solidanode
