// What every run driver (solver/drivers/run.cc: small-strain load steps;
// solver/drivers/chemo_run.cc: chemo-mechanical protocols) shares: the output
// directory, the log, run.json, checkpoint signals and the time series of
// volume and interface files (.pvtu/.pvtp/.pvd, XDMF + HDF5).
#pragma once

#include <base/json.h>
#include <mesh/voxel_image.h>
#include <postprocess/summary.h>
#include <postprocess/vtk_writer.h>
#include <postprocess/xdmf_writer.h>
#include <solver/input/case_config.h>
#include <base/errors.h>

#include <solver/drivers/input_fingerprints.h>
#include <solver/drivers/output_directory.h>
#include <solver/drivers/run_options.h>

#include <deal.II/base/mpi.h>
#include <deal.II/base/timer.h>
#include <deal.II/distributed/tria.h>

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace solidanode
{
  /// Run @p f; the message of what it threw ("" if nothing).
  template <typename F>
  std::string error_of_call(F &&f)
  {
    try
      {
        f();
      }
    catch (const std::exception &e)
      {
        return *e.what() != '\0' ? e.what() : "unknown error";
      }
    return "";
  }

  /// Run @p f on rank 0; if it throws, every rank throws the same message
  /// (as CollectiveError).
  template <typename F>
  void on_root_or_throw(MPI_Comm comm, F &&f)
  {
    std::string error;
    if (dealii::Utilities::MPI::this_mpi_process(comm) == 0)
      error = error_of_call(f);
    error = dealii::Utilities::MPI::broadcast(comm, error, 0);
    if (!error.empty())
      throw CollectiveError(error);
  }

  /// Run @p f on every rank; if it throws on any rank, every rank throws
  /// the message of the lowest such rank (as CollectiveError). Also a
  /// synchronisation point, like a barrier.
  template <typename F>
  void on_every_rank_or_throw(MPI_Comm comm, F &&f)
  {
    const std::string  error = error_of_call(f);
    const unsigned int n     = dealii::Utilities::MPI::n_mpi_processes(comm);
    const unsigned int first = dealii::Utilities::MPI::min(
      error.empty() ? n : dealii::Utilities::MPI::this_mpi_process(comm), comm);
    if (first == n)
      return;
    throw CollectiveError(dealii::Utilities::MPI::broadcast(comm, error, first));
  }

  /// "0.1.0" and the git hash at configure time. Only run_support.cc is
  /// compiled with these definitions, so a new commit recompiles one file.
  const char *solidanode_version();
  const char *solidanode_git_hash();
  /// "solidanode 0.1.0 (abc1234)"
  std::string solidanode_banner();

  std::string read_text(const std::string &path);
  std::string utc_now();
  std::string format_seconds(double s);

  /// Set by SIGTERM / SIGUSR1 (what batch schedulers send before the
  /// wall-time kill): the run checkpoints after the current increment.
  void install_checkpoint_signal_handlers();

  /// True on every rank if any rank received SIGTERM/SIGUSR1 (collective).
  bool checkpoint_signal_pending(MPI_Comm comm);

  /// Console (rank 0, unless quiet) and log file (rank 0, always).
  class Log
  {
  public:
    Log(bool root, bool quiet, const std::string &path);
    void operator()(const std::string &line);
    /// To standard error (also when quiet) and the log file.
    void warning(const std::string &line);

  private:
    bool          root_, quiet_;
    std::ofstream file_;
  };

  /// On restart: the first @p n_rows rows of the summary.csv at @p path
  /// back into @p summary (rank 0; other ranks leave it empty). Collective.
  void restore_summary_rows(CsvTable &summary, const std::string &path, std::size_t n_rows,
                            MPI_Comm comm);

  /// The run.json skeleton: program, library versions, start time, ranks.
  Json run_record(unsigned int n_ranks, unsigned int restarted_after);

  /**
   * The time series of result files in an output directory: one
   * solution_<base>.pvtu (+ pieces/) and/or solution_<base>.h5 per output,
   * interfaces_<base>.pvtp, and the index files solution.pvd,
   * interfaces.pvd, solution.xmf, rewritten atomically after each output.
   */
  class OutputSeries
  {
  public:
    OutputSeries(std::string directory, const OutputSpec &spec, MPI_Comm comm);

    /// Write one output (collective). @p base names the files (e.g. "00012"),
    /// @p time is the value in the .pvd/.xmf index, made distinct by
    /// distinct_output_time. @p interfaces may be null.
    void write(const std::string &base, double time, const UnstructuredPiece &piece,
               const PolygonPiece *interfaces);

    /// Names written as the field data "phase_names" ("label=name") of every
    /// piece.
    void set_phase_names(const std::map<std::uint8_t, std::string> &names);

    /// Offset between index times that would not increase [s]: 1 ms.
    static constexpr double time_offset = 1e-3;

    /// The time an output is indexed at: @p time, or @p previous +
    /// time_offset when @p time does not exceed @p previous by that much
    /// (increments that take no time: press, set_soc), so that every time
    /// in the index is distinct and ParaView's time slider reaches each.
    static double distinct_output_time(double time, const std::vector<double> &previous);

    /// The lists of written files, for checkpoint.json, and back.
    void to_json(Json &state) const;
    void from_yaml(const YAML::Node &state);

  private:
    /// Rank 0: the .pvtu/.pvtp index of one output and the .pvd series.
    void write_index_files(const std::string &base, double time,
                           const UnstructuredPiece &piece, const PolygonPiece *interfaces);
    /// Rank 0: the .pvti of one image output and the .pvd series.
    void write_image_index(const std::string &base, double time, const ImagePiece &layout);

    std::string                                  directory_;
    OutputSpec                                   spec_;
    MPI_Comm                                     comm_;
    std::vector<std::pair<double, std::string>>  pvd_, interfaces_pvd_;
    std::vector<XdmfStep>                        xdmf_steps_;
    std::vector<std::string>                     phase_names_;
  };

  /// Local porosity (pore fraction in a cubic window of @p window metres,
  /// 0: 5 voxels, reference configuration) of each locally owned cell of
  /// @p tria, indexed by active cell index; computed for the bounding box of
  /// the owned cells.
  std::vector<double> cell_local_porosity(const VoxelImage                                      &image,
                                          const dealii::parallel::distributed::Triangulation<3> &tria,
                                          const std::set<std::uint8_t> &pore_labels,
                                          double                        window);

  /**
   * What every driver does before its first and after its last increment:
   * the output directory locked and made ready (restart / overwrite rules:
   * with --overwrite the earlier results come back if the run fails before
   * its first run.json is written, and are removed then), the log
   * opened with the banner line, the case file's hash for restarts, wall
   * time per part of the run, and run.json.
   */
  class RunContext
  {
    /// Started first: its construction synchronises the ranks (a barrier),
    /// so no rank enters the output-directory checks while another is still
    /// reading the results of an earlier run.
    dealii::Timer wall_;

  public:
    /// @p what follows the case file in the first log line (e.g. the model).
    RunContext(const CaseConfig &config, const RunOptions &options, MPI_Comm comm,
               const std::string &what);
    /// Before the run started (no run.json yet): the earlier results back.
    ~RunContext();
    RunContext(const RunContext &)            = delete;
    RunContext &operator=(const RunContext &) = delete;

    MPI_Comm              comm;
    RunOptions            options;
    unsigned int          rank, n_ranks;
    bool                  root;
    RunResult             result;          ///< directory and file names filled in
    std::filesystem::path out;             ///< the output directory
    std::string           checkpoint_file; ///< out/checkpoint.json
    std::string           case_hash;       ///< bytes_fingerprint() of the case text as run
    /// Every input file and its fingerprint (run.json, checkpoints).
    std::vector<InputFingerprint> inputs;

  private:
    std::unique_ptr<DirectoryLock> lock_; ///< rank 0: held for the whole run
    bool overwritten_pending_;            ///< rank 0: earlier results are aside

  public:
    Log                   log;

    /// Run @p f and add its wall time to part @p part of run.json.
    void timed(const std::string &part, const std::function<void()> &f);
    /// A warning: into the log, on standard error of rank 0 (also with
    /// --quiet), and into run.json's "warnings" at the end.
    void warn(const std::string &line);
    /// run.json, atomically (rank 0). The first one marks the start of the
    /// run: results moved aside by --overwrite are removed.
    void write_record(const Json &record);
    /// Status, end time and wall times into @p record, written; the last
    /// log line. Sets result.completed.
    void finish(Json &record, bool stopped, unsigned int increments_run);

  private:
    std::map<std::string, double> part_seconds_;
    std::vector<std::string>      warnings_;
  };
} // namespace solidanode
