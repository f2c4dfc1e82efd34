// What a caller asks of a run and what it gets back (every driver).
#pragma once

#include <cstddef>
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

} // namespace solidanode
