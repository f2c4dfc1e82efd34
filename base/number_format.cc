#include <base/number_format.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace solidanode
{
  std::string format_number(double value)
  {
    if (!std::isfinite(value))
      return std::isnan(value) ? "nan" : (value > 0 ? "inf" : "-inf");
    char buffer[40];
    for (int precision = 6; precision <= 17; ++precision)
      {
        std::snprintf(buffer, sizeof buffer, "%.*g", precision, value);
        if (std::strtod(buffer, nullptr) == value)
          break;
      }
    return buffer;
  }
} // namespace solidanode
