// The chemo-mechanical run driver (issue 4): a case with a 'protocol'
// section. Li transport (solver/li_transport.h) and finite- or small-strain
// elasto-plastic mechanics (solver/finite_strain.h) are coupled by a
// staggered scheme with adaptive time steps; see docs/chemo_mechanics.md.
#pragma once

#include <solver/run.h>

namespace solidanode
{
  /// Run a protocol case (config.chemo must be set). Same options, outputs
  /// and restart behaviour as run_case(), which calls it.
  RunResult run_chemo_case(const CaseConfig &config, const RunOptions &options,
                           MPI_Comm comm);
} // namespace solidanode
