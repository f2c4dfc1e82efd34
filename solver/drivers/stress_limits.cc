#include <solver/drivers/stress_limits.h>
#include <solver/materials/material_law.h>

#include <cmath>
#include <sstream>

namespace solidanode
{
  StressLimitWatch::StressLimitWatch(const std::map<std::string, MaterialSpec> &materials,
                                     const std::vector<std::string>             &names)
  {
    for (const std::string &name : names)
      {
        const auto it = materials.find(name);
        if (it == materials.end())
          continue;
        const double limit = stress_limit_of(it->second);
        if (std::isfinite(limit))
          limits_.emplace_back(name, limit);
      }
  }

  std::vector<std::string> StressLimitWatch::columns() const
  {
    std::vector<std::string> c;
    for (const auto &[name, limit] : limits_)
      c.push_back("over_stress_limit_" + name);
    return c;
  }

  std::optional<std::string> StressLimitWatch::check(const std::string &phase,
                                                     const double       p99_von_mises,
                                                     std::map<std::string, std::string> &row)
  {
    for (const auto &[name, limit] : limits_)
      if (name == phase)
        {
          const bool over = !(p99_von_mises <= limit);
          row["over_stress_limit_" + name] = over ? "1" : "0";
          if (!over || !warned_.insert(name).second)
            return std::nullopt;
          std::ostringstream o;
          o.precision(3);
          o << "solidanode: warning: the 99th percentile of the von Mises stress in '" << name
            << "' is " << p99_von_mises / 1e9 << " GPa, above its stress limit " << limit / 1e9
            << " GPa (materials." << name
            << ".stress_limit): a real phase would break or flow there, so its stresses are "
               "not physical; give it a yield stress or check the load "
               "(summary.csv: over_stress_limit_"
            << name << ")";
          return o.str();
        }
    return std::nullopt;
  }
} // namespace solidanode
