// Checkpoints of a protocol run: checkpoint.json (rank 0: the protocol state,
// the output series, the case hash and the generation) and one binary file
// per rank with the committed state of its cells (mechanics history and
// Li content), keyed by voxel so that a restart may use any number of
// ranks. The json is written last and names the generation; older
// generations are removed once it is written.
#pragma once

#include <solver/drivers/protocol/protocol_model.h>
#include <solver/drivers/protocol/protocol_record.h>
#include <solver/drivers/protocol/protocol_state.h>
#include <solver/drivers/run_support.h>

#include <string>
#include <vector>

namespace solidanode
{
  class ProtocolCheckpoint
  {
  public:
    ProtocolCheckpoint(ProtocolModel &model, RunContext &ctx);

    /// Write a new generation of the state (collective).
    void write(const ProtocolState &st, const ProtocolRecorder &recorder);
    /// Read the newest generation back into @p st, the solvers and the
    /// recorder's series and summary rows. Throws CollectiveError naming
    /// the file when the case changed or a file is unreadable, truncated or
    /// does not cover the image. Collective.
    void restore(ProtocolState &st, ProtocolRecorder &recorder);

  private:
    unsigned long long voxel_key(const dealii::Triangulation<3>::cell_iterator &cell) const;
    std::string        cell_file(unsigned int generation, unsigned int rank) const;
    /// This rank's cells out of every rank's file of the generation (each
    /// checked against its seal, the fingerprint written with it); returns
    /// the number restored, or sets @p error.
    std::size_t read_cells(const std::vector<std::string> &seals, std::string &error);
    /// Rank 0: checkpoint.json of the current generation (naming every
    /// rank's cell file by its seal); then the older generations go.
    void write_state(const ProtocolState &st, const ProtocolRecorder &recorder,
                     const std::vector<std::string> &cell_seals);

    ProtocolModel &model_;
    RunContext    &ctx_;
    unsigned int   generation_ = 0;
  };
} // namespace solidanode
