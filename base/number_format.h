// Numbers as text: the shortest decimal that reads back to the same double.
// Used by every table and record the program writes (CSV, JSON).
#pragma once

#include <string>

namespace solidanode
{
  /// Shortest "%.Ng" (N = 6..17) that parses back to @p value exactly;
  /// "nan", "inf", "-inf" for non-finite values.
  std::string format_number(double value);
} // namespace solidanode
