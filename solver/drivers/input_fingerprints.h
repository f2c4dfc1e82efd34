// Fingerprints of the files a run reads (the case, the image and its data
// files, homogenized_from results): recorded in run.json and every
// checkpoint, and compared on --restart so that a run never continues on
// changed inputs.
#pragma once

#include <base/json.h>
#include <solver/input/case_config.h>

#include <mpi.h>
#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

namespace solidanode
{
  struct InputFingerprint
  {
    std::string role;        ///< "case", "image", "image[2]", "homogenized_from.Si"
    std::string file;        ///< as the case names it (resolved)
    std::string fingerprint; ///< file_fingerprint()
  };

  /// Every input file of @p config with its fingerprint: computed on rank 0,
  /// the same list on every rank; a file that cannot be read is a
  /// CollectiveError naming it.
  std::vector<InputFingerprint> input_fingerprints(const CaseConfig &config, MPI_Comm comm);

  /// [{"role": ..., "file": ..., "fingerprint": ...}, ...]
  Json fingerprints_json(const std::vector<InputFingerprint> &inputs);

  /// CollectiveError "cannot restart: the image file 'x.vti' changed since
  /// the checkpoint in DIR ..." when a file of @p saved (the checkpoint's
  /// "inputs") differs from @p now or is no longer read, or a new one is.
  /// A checkpoint without "inputs" (written before fingerprints) is accepted.
  void check_fingerprints(const YAML::Node &saved, const std::vector<InputFingerprint> &now,
                          const std::string &directory);

  /// Add "seal": a fingerprint of the content of @p state (keys and scalar
  /// values as written, whitespace aside), as the last member. Call last,
  /// just before writing a checkpoint.
  void seal_checkpoint(Json &state);

  /// CollectiveError "cannot restart: checkpoint 'F' was changed or damaged
  /// after it was written ..." unless @p state (read from @p file) carries
  /// the seal of its content. Call with the same text on every rank.
  void check_checkpoint_seal(const YAML::Node &state, const std::string &file);
} // namespace solidanode
