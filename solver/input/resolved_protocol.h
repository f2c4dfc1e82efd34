// The chemo-mechanics part of a case as resolved (SI units, after defaults),
// for the run record (run.json) of protocol runs.
#pragma once

#include <base/json.h>
#include <solver/input/case_config.h>
#include <solver/input/chemo_config.h>

namespace solidanode
{
  /// Adds to @p j (a resolved_case()): per material the Li storage,
  /// plasticity, creep, electrolyte flag and law constants; "chemo" (kinematics,
  /// temperature, interfaces, time stepping, plating) and "protocol" (the
  /// flattened steps with their stack condition, rates, limits) next to
  /// the empty "steps".
  void add_resolved_protocol(Json &j, const CaseConfig &c, const ChemoSpec &chemo);
} // namespace solidanode
