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
  };

  /// Build the case's voxel image on rank 0 (generate or read) and broadcast
  /// it. Any error on rank 0 is rethrown on every rank with the same message.
  VoxelImage acquire_image(const MicrostructureSpec &spec, MPI_Comm comm);

  /// Run a case on all ranks of @p comm. Throws std::exception with a
  /// user-facing message on errors (same message on all ranks for input
  /// errors detected before the solve).
  RunResult run_case(const CaseConfig &config, const RunOptions &options,
                     MPI_Comm comm);
} // namespace solidanode
