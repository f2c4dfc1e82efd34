// CSV as in RFC 4180: a field holding a comma, a double quote, CR or LF is
// enclosed in double quotes and its double quotes are doubled; records end
// with "\n". Every table the program writes goes through these helpers.
#pragma once

#include <string>
#include <vector>

namespace solidanode
{
  /// @p field as one CSV field: unchanged when it needs no quotes, else
  /// "..." with every '"' doubled.
  std::string csv_quote(const std::string &field);

  /// One record: the quoted fields joined by ',' (no line end).
  std::string csv_record(const std::vector<std::string> &fields);

  /// Parse a whole CSV text into records of unquoted fields. Quoted fields
  /// may hold commas, quotes and line breaks; "\r\n" ends a record like
  /// "\n"; empty lines are skipped. std::runtime_error for a quote that is
  /// never closed or text after a closing quote, naming @p source and the line.
  std::vector<std::vector<std::string>> csv_parse(const std::string &text,
                                                  const std::string &source);
} // namespace solidanode
