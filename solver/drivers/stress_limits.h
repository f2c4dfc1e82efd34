// Flags for phases whose stress exceeds what they can carry (their
// materials.<phase>.stress_limit, laws/stress_limit.cc): one summary.csv
// column per phase with a limit, and a warning line the first time a phase
// exceeds it. Shared by the steps and protocol recorders.
#pragma once

#include <solver/input/case_config.h>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace solidanode
{
  class StressLimitWatch
  {
  public:
    /// The phases of @p names that are in @p materials and have a finite limit.
    StressLimitWatch(const std::map<std::string, MaterialSpec> &materials,
                     const std::vector<std::string>             &names);

    /// over_stress_limit_<phase> for every watched phase, in the given order.
    std::vector<std::string> columns() const;

    /// Set the phase's column of @p row (1 when @p p99_von_mises exceeds its
    /// limit, else 0; nothing for an unwatched phase). Returns the warning
    /// line the first time the phase exceeds its limit.
    std::optional<std::string> check(const std::string &phase, double p99_von_mises,
                                     std::map<std::string, std::string> &row);

  private:
    std::vector<std::pair<std::string, double>> limits_;
    std::set<std::string>                       warned_;
  };
} // namespace solidanode
