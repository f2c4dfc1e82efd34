// `solidanode sweep STUDY.yaml`: runs the cases of a study (study/sweep.h)
// one after the other, each as its own MPI job (mpirun -np N <this program>
// run CASE), forwarding the batch scheduler's stop signals so that a case
// checkpoints before the wall-time kill.
#pragma once

#include <string>

namespace solidanode
{
  struct SweepOptions
  {
    unsigned int n_ranks  = 1;
    int          only_case = -1;  ///< --case K
    bool         dry_run  = false;
    bool         collect  = false; ///< only (re)write study.csv
    std::string  output;          ///< overrides the study's output
    std::string  program;         ///< solidanode executable; default /proc/self/exe
  };

  /// The whole `solidanode sweep` command; returns the exit code (0 if
  /// every case that was run finished, 1 if some failed, 3 if stopped by a
  /// signal).
  int run_sweep(const std::string &study_file, const SweepOptions &options);

  /// `solidanode sweep STUDY.yaml [--dry-run] [--np N] [--case K] [--collect]
  /// [--output DIR]` from the command line (argv[1] == "sweep"). Runs without
  /// MPI: every case is its own mpirun. Returns the exit code.
  int sweep_main(int argc, char **argv);
} // namespace solidanode
