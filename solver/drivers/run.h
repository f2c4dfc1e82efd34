// `solidanode run`: a case file -> image -> mesh -> problem -> steps ->
// outputs (VTK/XDMF time series, summary.csv, run.json, checkpoints).
#pragma once

#include <base/errors.h>
#include <solver/drivers/acquire_image.h>
#include <solver/drivers/run_options.h>
#include <solver/input/case_config.h>

#include <mpi.h>

namespace solidanode
{
  /// Run a case on all ranks of @p comm: a `steps` case with the small-strain
  /// driver (solver/drivers/steps/steps_driver.h), a `protocol` case with
  /// the chemo-mechanical one (solver/drivers/protocol/protocol_driver.h).
  /// Throws std::exception with a user-facing message on errors (same
  /// message on all ranks for input errors detected before the solve).
  RunResult run_case(const CaseConfig &config, const RunOptions &options, MPI_Comm comm);
} // namespace solidanode
