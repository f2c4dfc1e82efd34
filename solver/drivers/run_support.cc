#include <base/file_utils.h>
#include <mesh/voxel_mesh.h>
#include <postprocess/image_output.h>
#include <postprocess/porosity.h>
#include <solver/drivers/run_support.h>

#include <deal.II/base/revision.h>

#include <petscversion.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <functional>
#include <iostream>

namespace solidanode
{
  namespace fs = std::filesystem;

  namespace
  {
    volatile std::sig_atomic_t checkpoint_signal = 0;

    extern "C" void on_checkpoint_signal(int signal)
    {
      checkpoint_signal = signal;
    }
  } // namespace

  void install_checkpoint_signal_handlers()
  {
    std::signal(SIGTERM, on_checkpoint_signal);
    std::signal(SIGUSR1, on_checkpoint_signal);
  }

  bool checkpoint_signal_pending(MPI_Comm comm)
  {
    return dealii::Utilities::MPI::max(int(checkpoint_signal), comm) != 0;
  }

  const char *solidanode_version() { return SOLIDANODE_VERSION; }
  const char *solidanode_git_hash() { return SOLIDANODE_GIT_HASH; }
  std::string solidanode_banner()
  {
    return std::string("solidanode ") + SOLIDANODE_VERSION + " (" + SOLIDANODE_GIT_HASH + ")";
  }

  std::string read_text(const std::string &path)
  {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), {});
  }

  std::string utc_now()
  {
    const std::time_t t = std::time(nullptr);
    char              buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
    return buf;
  }

  std::string format_seconds(double s)
  {
    char buf[32];
    if (s < 10) // sub-second time steps stay readable
      std::snprintf(buf, sizeof buf, "%.3g s", s);
    else if (s < 120)
      std::snprintf(buf, sizeof buf, "%.0f s", s);
    else if (s < 7200)
      std::snprintf(buf, sizeof buf, "%.1f min", s / 60);
    else
      std::snprintf(buf, sizeof buf, "%.1f h", s / 3600);
    return buf;
  }

  Log::Log(bool root, bool quiet, const std::string &path)
    : root_(root)
    , quiet_(quiet)
  {
    if (root_)
      file_.open(path, std::ios::app);
  }

  void Log::operator()(const std::string &line)
  {
    if (!root_)
      return;
    if (!quiet_)
      std::cout << line << std::endl;
    if (file_)
      file_ << line << std::endl;
  }

  void Log::warning(const std::string &line)
  {
    if (!root_)
      return;
    std::cerr << line << std::endl;
    if (file_)
      file_ << line << std::endl;
  }

  void restore_summary_rows(CsvTable &summary, const std::string &path, std::size_t n_rows,
                            MPI_Comm comm)
  {
    std::vector<std::vector<std::string>> rows;
    on_root_or_throw(comm, [&] {
      if (fs::exists(path))
        rows = CsvTable::read(path).rows();
    });
    if (dealii::Utilities::MPI::this_mpi_process(comm) != 0)
      return;
    const auto &columns = summary.columns();
    for (std::size_t r = 0; r < rows.size() && r < n_rows; ++r)
      {
        std::map<std::string, std::string> row;
        for (std::size_t c = 0; c < columns.size() && c < rows[r].size(); ++c)
          row[columns[c]] = rows[r][c];
        summary.add_row(row);
      }
  }

  Json run_record(unsigned int n_ranks, unsigned int restarted_after)
  {
    Json record = Json::object();
    record["program"]["name"]    = "solidanode";
    record["program"]["version"] = SOLIDANODE_VERSION;
    record["program"]["git"]     = SOLIDANODE_GIT_HASH;
    record["libraries"]["deal.II"] = DEAL_II_PACKAGE_VERSION;
    record["libraries"]["PETSc"] = std::to_string(PETSC_VERSION_MAJOR) + "." +
                                   std::to_string(PETSC_VERSION_MINOR) + "." +
                                   std::to_string(PETSC_VERSION_SUBMINOR);
    record["libraries"]["VTK"]   = vtk_version();
    record["started_utc"]        = utc_now();
    record["mpi_ranks"]          = n_ranks;
    record["restarted_after_increment"] = restarted_after;
    return record;
  }

  OutputSeries::OutputSeries(std::string directory, const OutputSpec &spec, MPI_Comm comm)
    : directory_(std::move(directory))
    , spec_(spec)
    , comm_(comm)
  {}

  std::vector<double> cell_local_porosity(const VoxelImage                                      &image,
                                          const dealii::parallel::distributed::Triangulation<3> &tria,
                                          const std::set<std::uint8_t> &pore_labels,
                                          double                        window)
  {
    if (window <= 0.)
      window = 5. * image.voxel_size[0];
    const unsigned int half = static_cast<unsigned int>(
      std::max(0., std::round((window / image.voxel_size[0] - 1.) / 2.)));
    std::array<std::size_t, 3> lo{{image.dims[0], image.dims[1], image.dims[2]}}, hi{{0, 0, 0}};
    for (const auto &cell : tria.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          const auto ijk = voxel_of(image, cell->center());
          for (unsigned int d = 0; d < 3; ++d)
            {
              lo[d] = std::min(lo[d], ijk[d]);
              hi[d] = std::max(hi[d], ijk[d] + 1);
            }
        }
    std::vector<double> porosity(tria.n_active_cells(), 0.);
    if (hi[0] <= lo[0])
      return porosity;
    const auto box = local_fraction(image, pore_labels, half, lo, hi);
    for (const auto &cell : tria.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          const auto ijk = voxel_of(image, cell->center());
          porosity[cell->active_cell_index()] =
            box[(ijk[0] - lo[0]) +
                (hi[0] - lo[0]) * ((ijk[1] - lo[1]) + (hi[1] - lo[1]) * (ijk[2] - lo[2]))];
        }
    return porosity;
  }

  double OutputSeries::distinct_output_time(double time, const std::vector<double> &previous)
  {
    if (previous.empty())
      return time;
    const double last = previous.back();
    return time >= last + time_offset ? time : last + time_offset;
  }

  void OutputSeries::set_phase_names(const std::map<std::uint8_t, std::string> &names)
  {
    phase_names_.clear();
    for (const auto &[label, name] : names)
      phase_names_.push_back(std::to_string(label) + "=" + name);
  }

  namespace
  {
    /// "pieces/<kind>_<base>_r<rank>.<ext>": one rank's piece of an output.
    std::string piece_file(const char *kind, const std::string &base, const unsigned int rank,
                           const char *ext)
    {
      char name[128];
      std::snprintf(name, sizeof name, "pieces/%s_%s_r%05u.%s", kind, base.c_str(), rank, ext);
      return name;
    }
  } // namespace

  void OutputSeries::write(const std::string &base, double physical_time,
                           const UnstructuredPiece &piece, const PolygonPiece *interfaces)
  {
    std::vector<double> previous;
    for (const auto &[t, f] : pvd_)
      previous.push_back(t);
    for (const auto &x : xdmf_steps_)
      previous.push_back(x.time);
    std::sort(previous.begin(), previous.end());
    const double time = distinct_output_time(physical_time, previous);
    const unsigned int rank    = dealii::Utilities::MPI::this_mpi_process(comm_);
    const fs::path     out(directory_);
    const VtkOptions   vtk_options{spec_.compress, phase_names_, spec_.float32};
    auto piece_name = [&](const char *kind, unsigned int r, const char *ext) {
      return piece_file(kind, base, r, ext);
    };
    if (spec_.xdmf)
      {
        const std::string h5   = "solution_" + base + ".h5";
        XdmfStep          step = write_hdf5_step(piece, (out / h5).string(), time, comm_);
        for (auto &earlier : xdmf_steps_) // same arrays in every step
          if (earlier.point_data.empty() && earlier.cell_data.empty())
            {
              earlier.point_data = step.point_data;
              earlier.cell_data  = step.cell_data;
            }
        xdmf_steps_.push_back(step);
        if (rank == 0)
          write_xdmf((out / "solution.xmf").string(), xdmf_steps_);
      }
    const bool with_interfaces = interfaces != nullptr && spec_.interfaces;
    ImagePiece slab;
    if (spec_.image)
      slab = image_slab(piece, image_grid_of(piece, comm_), comm_);
    // All pieces exist before the index files; a piece that cannot be
    // written (full disk) ends the run on every rank.
    on_every_rank_or_throw(comm_, [&] {
      if (spec_.vtk)
        write_vtu(piece, (out / piece_name("solution", rank, "vtu")).string(), vtk_options);
      if (spec_.image && slab.n_cells() > 0)
        write_vti(slab, (out / piece_name("solution", rank, "vti")).string(), vtk_options);
      if (with_interfaces)
        write_vtp(*interfaces, (out / piece_name("interfaces", rank, "vtp")).string(),
                  vtk_options);
    });
    on_root_or_throw(comm_, [&] {
      write_index_files(base, time, piece, interfaces);
      if (spec_.image)
        write_image_index(base, time, slab);
    });
  }

  void OutputSeries::write_image_index(const std::string &base, const double time,
                                       const ImagePiece &layout)
  {
    const unsigned int n_ranks = dealii::Utilities::MPI::n_mpi_processes(comm_);
    const ImageGrid    grid{layout.origin, layout.spacing,
                            {{static_cast<unsigned long>(layout.whole_extent[1]),
                              static_cast<unsigned long>(layout.whole_extent[3]),
                              static_cast<unsigned long>(layout.whole_extent[5])}}};
    std::vector<std::string>         pieces;
    std::vector<std::array<long, 6>> extents;
    for (unsigned int r = 0; r < n_ranks; ++r)
      if (const auto e = slab_extent(grid, r, n_ranks); e[5] > e[4])
        {
          pieces.push_back(piece_file("solution", base, r, "vti"));
          extents.push_back(e);
        }
    const std::string pvti = "solution_" + base + ".pvti";
    write_pvti((fs::path(directory_) / pvti).string(), pieces, extents, layout);
    pvd_.emplace_back(time, pvti);
    write_pvd((fs::path(directory_) / "solution.pvd").string(), pvd_);
  }

  void OutputSeries::write_index_files(const std::string &base, const double time,
                                       const UnstructuredPiece &piece,
                                       const PolygonPiece      *interfaces)
  {
    const fs::path     out(directory_);
    const unsigned int n_ranks         = dealii::Utilities::MPI::n_mpi_processes(comm_);
    const bool         with_interfaces = interfaces != nullptr && spec_.interfaces;
    auto piece_name = [&](const char *kind, unsigned int r, const char *ext) {
      return piece_file(kind, base, r, ext);
    };
    std::vector<std::string> pieces, ipieces;
    for (unsigned int r = 0; r < n_ranks; ++r)
      {
        pieces.push_back(piece_name("solution", r, "vtu"));
        ipieces.push_back(piece_name("interfaces", r, "vtp"));
      }
    if (spec_.vtk)
      {
        const std::string pvtu = "solution_" + base + ".pvtu";
        write_pvtu((out / pvtu).string(), pieces, piece, spec_.float32);
        pvd_.emplace_back(time, pvtu);
        write_pvd((out / "solution.pvd").string(), pvd_);
      }
    if (with_interfaces)
      {
        const std::string pvtp = "interfaces_" + base + ".pvtp";
        write_pvtp((out / pvtp).string(), ipieces, *interfaces, spec_.float32);
        interfaces_pvd_.emplace_back(time, pvtp);
        write_pvd((out / "interfaces.pvd").string(), interfaces_pvd_);
      }
  }

  void OutputSeries::to_json(Json &state) const
  {
    for (const char *which : {"pvd", "interfaces_pvd"})
      {
        Json &list = state[which];
        list       = Json::array();
        for (const auto &[t, f] : (std::string(which) == "pvd" ? pvd_ : interfaces_pvd_))
          {
            Json e = Json::array();
            e.push_back(t);
            e.push_back(f);
            list.push_back(e);
          }
      }
    Json &xdmf_list = state["xdmf"];
    xdmf_list       = Json::array();
    for (const auto &x : xdmf_steps_)
      {
        Json e = Json::array();
        e.push_back(x.time);
        e.push_back(x.h5_file);
        e.push_back(x.n_points);
        e.push_back(x.n_cells);
        xdmf_list.push_back(e);
      }
  }

  void OutputSeries::from_yaml(const YAML::Node &state)
  {
    pvd_.clear();
    interfaces_pvd_.clear();
    xdmf_steps_.clear();
    for (const auto &e : state["pvd"])
      pvd_.emplace_back(e[0].as<double>(), e[1].as<std::string>());
    for (const auto &e : state["interfaces_pvd"])
      interfaces_pvd_.emplace_back(e[0].as<double>(), e[1].as<std::string>());
    for (const auto &e : state["xdmf"])
      {
        XdmfStep step;
        step.time     = e[0].as<double>();
        step.h5_file  = e[1].as<std::string>();
        step.n_points = e[2].as<unsigned long long>();
        step.n_cells  = e[3].as<unsigned long long>();
        xdmf_steps_.push_back(step); // arrays filled in at the next output
      }
  }

  namespace
  {
    RunResult initial_result(const CaseConfig &config, const RunOptions &options)
    {
      RunResult r;
      r.output_directory =
        options.output_directory.empty() ? config.output.directory : options.output_directory;
      r.pvd_file     = (fs::path(r.output_directory) / "solution.pvd").string();
      r.summary_file = (fs::path(r.output_directory) / "summary.csv").string();
      return r;
    }
  } // namespace

  RunContext::RunContext(const CaseConfig &config, const RunOptions &options_, MPI_Comm comm_,
                         const std::string &what)
    : wall_(comm_, true)
    , comm(comm_)
    , options(options_)
    , rank(dealii::Utilities::MPI::this_mpi_process(comm_))
    , n_ranks(dealii::Utilities::MPI::n_mpi_processes(comm_))
    , root(rank == 0)
    , result(initial_result(config, options_))
    , out(result.output_directory)
    , checkpoint_file((out / "checkpoint.json").string())
    , case_hash(bytes_fingerprint(config.overridden_text.empty() ? read_text(config.file) :
                                                              config.overridden_text))
    , inputs(input_fingerprints(config, comm_))
    , lock_(lock_output_directory(result.output_directory, comm_))
    , overwritten_pending_(prepare_output_directory(result.output_directory, options_.restart,
                                                    options_.overwrite, comm_))
    , log(root, options_.quiet, (out / "solidanode.log").string())
  {
    log(solidanode_banner() + " " + utc_now() + ": " +
        (options.restart ? "restarting " : "running ") + config.file + what + " on " +
        std::to_string(n_ranks) + " rank(s)");
    // The case file as given, next to its results (the resolved input is in
    // run.json).
    // With --set overrides: the document that was read, overrides named.
    if (root && !config.overridden_text.empty())
      {
        std::string header = "# " + config.file + " with --set";
        for (const auto &o : config.overrides)
          header += " '" + o + "'";
        atomic_write_text((out / "case.yaml").string(),
                          header + "\n" + config.overridden_text);
      }
    else if (root && fs::is_regular_file(config.file))
      atomic_write_text((out / "case.yaml").string(), read_text(config.file));
  }

  void RunContext::timed(const std::string &part, const std::function<void()> &f)
  {
    dealii::Timer t(comm, true);
    f();
    part_seconds_[part] += t.wall_time();
  }

  void RunContext::warn(const std::string &line)
  {
    warnings_.push_back(line);
    log.warning(line);
  }

  RunContext::~RunContext()
  {
    if (!overwritten_pending_)
      return;
    if (restore_overwritten(out.string()))
      std::cerr << "solidanode: the earlier results in '" << out.string()
                << "' were kept (the new run did not start)" << std::endl;
    else
      std::cerr << "solidanode: the earlier results are in '"
                << (out / overwritten_subdirectory).string() << "'" << std::endl;
  }

  void RunContext::write_record(const Json &record)
  {
    on_root_or_throw(comm, [&] {
      atomic_write_text((out / "run.json").string(), record.dump());
      if (overwritten_pending_)
        {
          drop_overwritten(out.string());
          overwritten_pending_ = false;
        }
    });
  }

  void RunContext::finish(Json &record, const bool stopped, const unsigned int increments_run)
  {
    result.completed         = !stopped;
    record["status"]         = stopped ? "stopped (checkpoint written)" : "finished";
    record["finished_utc"]   = utc_now();
    record["wall_seconds"]   = wall_.wall_time();
    record["increments_run"] = increments_run;
    for (const auto &[what, seconds] : part_seconds_)
      record["wall_seconds_by_part"][what] = seconds;
    Json warnings = Json::array();
    for (const std::string &w : warnings_)
      warnings.push_back(w);
    record["warnings"] = warnings;
    write_record(record);
    log("solidanode: " + std::string(stopped ? "stopped" : "done") + " in " +
        format_seconds(wall_.wall_time()) + "; open " + result.pvd_file +
        " in ParaView; table " + result.summary_file);
  }
} // namespace solidanode
