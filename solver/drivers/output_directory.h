// The output directory of a run: locked for the run's duration, made ready
// for a new run, a restart or an overwrite. With --overwrite the earlier
// results are moved aside into DIR/.overwritten and only removed once the
// new run has started (its case, inputs and image read and checked); a run
// that fails before that gets them back.
#pragma once

#include <base/file_utils.h>

#include <mpi.h>

#include <memory>
#include <string>

namespace solidanode
{
  /// Where --overwrite keeps the earlier results until the new run started.
  constexpr const char *overwritten_subdirectory = ".overwritten";

  /// Lock @p directory (created if needed) on rank 0 for as long as the
  /// returned object lives; nullptr on other ranks. Collective: if another
  /// run holds it, every rank throws CollectiveError naming the directory.
  std::unique_ptr<DirectoryLock> lock_output_directory(const std::string &directory,
                                                       MPI_Comm comm);

  /// Make the output directory ready (collective): with @p restart it must
  /// hold a checkpoint; otherwise earlier results are refused unless
  /// @p overwrite, which moves them (only files solidanode writes) into
  /// DIR/.overwritten. Returns true on rank 0 if it did.
  bool prepare_output_directory(const std::string &directory, bool restart, bool overwrite,
                                MPI_Comm comm);

  /// Rank 0, after a failed start: remove what the new run wrote and move
  /// the earlier results back from DIR/.overwritten. Never throws; false if
  /// that failed (the results then remain in DIR/.overwritten).
  bool restore_overwritten(const std::string &directory) noexcept;

  /// Rank 0, once the new run has started: remove DIR/.overwritten.
  void drop_overwritten(const std::string &directory);
} // namespace solidanode
