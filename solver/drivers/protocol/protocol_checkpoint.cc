#include <solver/drivers/protocol/protocol_checkpoint.h>

#include <base/file_utils.h>
#include <solver/drivers/input_fingerprints.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <unordered_map>

namespace solidanode
{
  using namespace dealii;
  namespace fs = std::filesystem;

  ProtocolCheckpoint::ProtocolCheckpoint(ProtocolModel &model, RunContext &ctx)
    : model_(model)
    , ctx_(ctx)
  {}

  unsigned long long
  ProtocolCheckpoint::voxel_key(const Triangulation<3>::cell_iterator &cell) const
  {
    const VoxelImage &image = model_.image;
    const auto        ijk   = voxel_of(image, cell->center());
    return static_cast<unsigned long long>(ijk[0] +
                                           image.dims[0] * (ijk[1] + image.dims[1] * ijk[2]));
  }

  std::string ProtocolCheckpoint::cell_file(const unsigned int generation,
                                            const unsigned int rank) const
  {
    char name[96];
    std::snprintf(name, sizeof name, "checkpoint_g%06u_r%05u.bin", generation, rank);
    return (ctx_.out / name).string();
  }

  void ProtocolCheckpoint::write(const ProtocolState &st, const ProtocolRecorder &recorder)
  {
    ++generation_;
    std::vector<std::string> cell_seals; // rank 0: every rank's file
    {
      std::string bytes;
      for (const auto &cell : model_.tria.active_cell_iterators())
        if (cell->is_locally_owned())
          {
            const auto               m   = model_.mech->pack_cell_state(cell);
            const auto               t   = model_.li->pack_cell_state(cell);
            const unsigned long long key = voxel_key(cell);
            const unsigned long long nm = m.size(), nt = t.size();
            bytes.append(reinterpret_cast<const char *>(&key), sizeof key);
            bytes.append(reinterpret_cast<const char *>(&nm), sizeof nm);
            bytes.append(reinterpret_cast<const char *>(&nt), sizeof nt);
            bytes.append(reinterpret_cast<const char *>(m.data()), nm * sizeof(double));
            bytes.append(reinterpret_cast<const char *>(t.data()), nt * sizeof(double));
          }
      // A file that cannot be written (full disk) ends the run on every
      // rank; the previous generation stays the one checkpoint.json names.
      on_every_rank_or_throw(ctx_.comm,
                             [&] { atomic_write_text(cell_file(generation_, ctx_.rank), bytes); });
      cell_seals = Utilities::MPI::gather(ctx_.comm, bytes_fingerprint(bytes), 0);
    }
    on_root_or_throw(ctx_.comm, [&] { write_state(st, recorder, cell_seals); });
  }

  void ProtocolCheckpoint::write_state(const ProtocolState &st, const ProtocolRecorder &recorder,
                                       const std::vector<std::string> &cell_seals)
  {
    Json state          = Json::object();
    state["case_hash"]  = ctx_.case_hash;
    state["inputs"]     = fingerprints_json(ctx_.inputs);
    state["generation"] = generation_;
    state["ranks"]      = ctx_.n_ranks;
    state["cell_files"] = Json::array();
    for (const auto &seal : cell_seals)
      state["cell_files"].push_back(seal);
    st.to_json(state);
    recorder.series.to_json(state);
    seal_checkpoint(state);
    atomic_write_text(ctx_.checkpoint_file, state.dump());
    // Older generations are now unreferenced.
    for (const auto &entry : fs::directory_iterator(ctx_.out))
      {
        const std::string n = entry.path().filename().string();
        unsigned int      g = 0;
        if (std::sscanf(n.c_str(), "checkpoint_g%u_r", &g) == 1 && g != generation_)
          fs::remove(entry.path());
      }
  }

  std::size_t ProtocolCheckpoint::read_cells(const std::vector<std::string> &seals,
                                             std::string                    &error)
  {
    // Every rank reads every state file and keeps its own cells.
    std::unordered_map<unsigned long long, Triangulation<3>::active_cell_iterator> mine;
    for (const auto &cell : model_.tria.active_cell_iterators())
      if (cell->is_locally_owned())
        mine.emplace(voxel_key(cell), cell);
    std::size_t restored = 0;
    for (unsigned int r = 0; r < seals.size() && error.empty(); ++r)
      {
        const std::string file  = cell_file(generation_, r);
        const std::string name  = fs::path(file).filename().string();
        const std::string bytes = read_text(file);
        if (bytes_fingerprint(bytes) != seals[r])
          {
            error = "cannot restart: '" + file +
                    "' was changed or damaged after the checkpoint was written (expected " +
                    seals[r] + ", found " + bytes_fingerprint(bytes) + ")";
            break;
          }
        std::size_t       pos   = 0;
        auto              take  = [&](void *dst, std::size_t n) {
          if (pos + n > bytes.size())
            return false;
          std::memcpy(dst, bytes.data() + pos, n);
          pos += n;
          return true;
        };
        while (pos < bytes.size())
          {
            unsigned long long key = 0, nm = 0, nt = 0;
            if (!take(&key, sizeof key) || !take(&nm, sizeof nm) || !take(&nt, sizeof nt) ||
                nm > 4096 || nt > 4096)
              {
                error = "cannot restart: '" + name + "' is truncated or corrupt";
                break;
              }
            std::vector<double> m(nm), t(nt);
            if (!take(m.data(), nm * sizeof(double)) || !take(t.data(), nt * sizeof(double)))
              {
                error = "cannot restart: '" + name + "' is truncated";
                break;
              }
            const auto it = mine.find(key);
            if (it == mine.end())
              continue;
            model_.mech->unpack_cell_state(it->second, m);
            model_.li->unpack_cell_state(it->second, t);
            ++restored;
          }
      }
    return restored;
  }

  void ProtocolCheckpoint::restore(ProtocolState &st, ProtocolRecorder &recorder)
  {
    const MPI_Comm comm = ctx_.comm;
    std::string    text;
    on_root_or_throw(comm, [&] { text = read_text(ctx_.checkpoint_file); });
    text                     = Utilities::MPI::broadcast(comm, text, 0);
    std::vector<std::string> seals; // of every rank's cell file
    try
      {
        const YAML::Node s = YAML::Load(text);
        check_checkpoint_seal(s, ctx_.checkpoint_file);
        if (s["case_hash"].as<std::string>() != ctx_.case_hash)
          throw CollectiveError("cannot restart: the case file " + model_.config.file +
                                " changed since the checkpoint in " +
                                ctx_.result.output_directory);
        check_fingerprints(s["inputs"], ctx_.inputs, ctx_.result.output_directory);
        generation_ = s["generation"].as<unsigned int>();
        seals       = s["cell_files"].as<std::vector<std::string>>();
        if (seals.size() != s["ranks"].as<unsigned int>())
          throw CollectiveError("cannot restart: checkpoint '" + ctx_.checkpoint_file +
                                "' lists " + std::to_string(seals.size()) +
                                " cell files for " + s["ranks"].as<std::string>() + " ranks");
        st.from_yaml(s);
        recorder.series.from_yaml(s);
      }
    catch (const YAML::Exception &e)
      {
        throw CollectiveError("cannot restart: checkpoint '" + ctx_.checkpoint_file +
                              "' is unreadable: " + e.what());
      }
    std::string       error;
    const std::size_t restored = read_cells(seals, error);
    if (Utilities::MPI::sum(error.empty() ? 0u : 1u, comm) > 0)
      throw CollectiveError(error.empty() ? "cannot restart: a checkpoint file is corrupt" :
                                            error);
    if (Utilities::MPI::sum(restored, comm) != model_.tria.n_global_active_cells())
      throw CollectiveError("cannot restart: the checkpoint in " +
                            ctx_.result.output_directory +
                            " does not cover every voxel (other image?)");
    model_.mech->finish_unpack();
    model_.li->finish_unpack();
    restore_summary_rows(recorder.summary, ctx_.result.summary_file, st.increment, comm);
    ctx_.log("solidanode: continuing after increment " + std::to_string(st.increment) +
             " (protocol step " + std::to_string(st.step + 1) + ", t = " +
             format_seconds(st.time) + ")");
  }
} // namespace solidanode
