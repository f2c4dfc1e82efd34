// The `solidanode run` driver: case file -> image -> mesh -> load steps ->
// VTK time series and summary.csv.
#pragma once

#include <mesh/voxel_image.h>
#include <solver/case_config.h>
#include <solver/errors.h>

#include <mpi.h>

#include <stdexcept>
#include <string>

namespace solidanode
{
  struct RunOptions
  {
    std::string output_directory; ///< overrides output.directory when set
    bool        overwrite = false; ///< replace the results of an earlier run
    bool        quiet     = false; ///< no progress lines
    /// Continue from the checkpoint in the output directory.
    bool        restart   = false;
    /// Stop (with a checkpoint) after this many increments in this run; 0 =
    /// no limit. For tests of restart and for chunked batch jobs.
    unsigned int max_increments = 0;
  };

  struct RunResult
  {
    std::string  output_directory;
    std::string  pvd_file;
    std::string  summary_file;
    unsigned int n_increments = 0;
    std::size_t  n_cells      = 0;
    std::size_t  n_dofs       = 0;
    double       final_thickness = 0.; ///< [m]
    /// False if the run stopped early (signal or max_increments) after
    /// writing a checkpoint; `--restart` continues it.
    bool         completed = true;
  };

  /// Set by SIGTERM / SIGUSR1 (what batch schedulers send before the
  /// wall-time kill): the run checkpoints after the current increment.
  void install_checkpoint_signal_handlers();

  /// Build the case's voxel image on rank 0 (generate or read) and broadcast
  /// it. Any error on rank 0 is rethrown on every rank with the same message.
  VoxelImage acquire_image(const MicrostructureSpec &spec, MPI_Comm comm);

  /// Run a case on all ranks of @p comm. Throws std::exception with a
  /// user-facing message on errors (same message on all ranks for input
  /// errors detected before the solve).
  RunResult run_case(const CaseConfig &config, const RunOptions &options,
                     MPI_Comm comm);
} // namespace solidanode
