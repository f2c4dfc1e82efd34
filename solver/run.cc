#include <mesh/image_import.h>
#include <mesh/sphere_generator.h>
#include <mesh/voxel_io.h>
#include <mesh/voxel_mesh.h>
#include <postprocess/field_output.h>
#include <postprocess/file_utils.h>
#include <postprocess/interfaces.h>
#include <postprocess/json.h>
#include <postprocess/porosity.h>
#include <postprocess/statistics.h>
#include <postprocess/summary.h>
#include <postprocess/vtk_writer.h>
#include <postprocess/xdmf_writer.h>
#include <solver/elasticity.h>
#include <solver/mf_elasticity.h>
#include <solver/run.h>
#include <solver/chemo_run.h>
#include <solver/run_support.h>

#include <deal.II/base/mpi.h>
#include <deal.II/base/revision.h>
#include <deal.II/base/timer.h>
#include <deal.II/dofs/dof_tools.h>
#include <deal.II/lac/petsc_vector.h>

#include <petscversion.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <limits>
#include <sstream>

namespace solidanode
{
  using namespace dealii;
  namespace fs = std::filesystem;

  namespace
  {
    void broadcast_bytes(std::vector<std::uint8_t> &data, MPI_Comm comm)
    {
      unsigned long long n = data.size();
      MPI_Bcast(&n, 1, MPI_UNSIGNED_LONG_LONG, 0, comm);
      data.resize(n);
      const std::size_t chunk = std::size_t(1) << 30;
      for (std::size_t offset = 0; offset < n; offset += chunk)
        MPI_Bcast(data.data() + offset,
                  static_cast<int>(std::min<std::size_t>(chunk, n - offset)),
                  MPI_UNSIGNED_CHAR, 0, comm);
    }

    /// The small-strain solver of a `steps` case: matrix-free CG + geometric
    /// multigrid (MFElasticitySolver) or assembled matrix + PETSc GAMG
    /// (ElasticitySolver), behind one interface. Both give the displacement
    /// on their own DoFHandler; the matrix-free one keeps it in a deal.II
    /// distributed vector, copied after every solve into a ghosted PETSc
    /// vector for the postprocessing (field output, interfaces).
    class SmallStrainSolver
    {
    public:
      SmallStrainSolver(const parallel::distributed::Triangulation<3> &tria,
                        const std::map<unsigned int, ElasticPhase>    &phases,
                        SideCondition sides, TopCondition top,
                        const LinearSolverSettings &settings, bool matrix_free)
      {
        if (matrix_free)
          {
            mf_ = std::make_unique<MFElasticitySolver>(tria, phases, sides, top, settings);
            IndexSet relevant;
            DoFTools::extract_locally_relevant_dofs(mf_->dof_handler(), relevant);
            const IndexSet &owned = mf_->dof_handler().locally_owned_dofs();
            IndexSet        ghosts = relevant;
            ghosts.subtract_set(owned);
            solution_.reinit(owned, ghosts, tria.get_communicator());
          }
        else
          amg_ = std::make_unique<ElasticitySolver>(tria, phases, sides, top, settings);
      }

      SolveStatistics solve(const LoadState &load)
      {
        if (amg_)
          return amg_->solve(load);
        const SolveStatistics stats = mf_->solve(load);
        // Same DoFHandler, same parallel layout: copy the owned range.
        const auto &u     = mf_->solution();
        const auto  range = mf_->dof_handler().locally_owned_dofs();
        PetscScalar *array;
        AssertThrow(VecGetArray(static_cast<const Vec &>(solution_), &array) == 0, ExcMessage("VecGetArray"));
        std::size_t k = 0;
        for (auto i = range.begin(); i != range.end(); ++i, ++k)
          array[k] = u(*i);
        AssertThrow(VecRestoreArray(static_cast<const Vec &>(solution_), &array) == 0,
                    ExcMessage("VecRestoreArray"));
        solution_.update_ghost_values();
        return stats;
      }

      std::vector<CellStress> cell_stresses(const LoadState &load,
                                            std::vector<double> *volumetric) const
      {
        return amg_ ? amg_->cell_stresses(load, volumetric) :
                      mf_->cell_stresses(load, volumetric);
      }
      const DoFHandler<3> &dof_handler() const
      {
        return amg_ ? amg_->dof_handler() : mf_->dof_handler();
      }
      /// Displacement [m] with ghost entries.
      const PETScWrappers::MPI::Vector &solution() const
      {
        return amg_ ? amg_->solution() : solution_;
      }
      double mean_top_displacement() const
      {
        return amg_ ? amg_->mean_top_displacement() : mf_->mean_top_displacement();
      }
      types::global_dof_index n_dofs() const
      {
        return amg_ ? amg_->n_dofs() : mf_->n_dofs();
      }
      bool matrix_free() const { return mf_ != nullptr; }
      unsigned int n_levels() const { return mf_ ? mf_->n_levels() : 1; }

    private:
      std::unique_ptr<ElasticitySolver>   amg_;
      std::unique_ptr<MFElasticitySolver> mf_;
      PETScWrappers::MPI::Vector          solution_; ///< ghosted copy (mf)
    };

    /// The case as resolved (SI units), for run.json.
    Json resolved_case(const CaseConfig &c, const VoxelImage &image)
    {
      Json j = Json::object();
      j["file"] = c.file;
      Json &m   = j["microstructure"];
      m["source"] = c.microstructure.source == MicrostructureSpec::Source::generate ?
                      "generate" :
                    c.microstructure.source == MicrostructureSpec::Source::vti ? "vti" :
                    c.microstructure.source == MicrostructureSpec::Source::raw ? "raw" :
                                                                                  "other";
      if (!c.microstructure.file.empty())
        m["file"] = c.microstructure.file;
      if (c.microstructure.source == MicrostructureSpec::Source::generate)
        {
          const auto &g = c.microstructure.generator;
          m["seed"]                = static_cast<unsigned long long>(g.seed);
          m["particle_fraction"]   = g.particle_fraction;
          m["radius_median_m"]     = g.radius_median;
          m["radius_log_std"]      = g.radius_log_std;
          m["allow_overlap"]       = g.allow_overlap;
          m["pore_fraction"]       = g.pore_fraction;
          m["pore_radius_m"]       = g.pore_radius;
        }
      Json dims = Json::array(), h = Json::array(), origin = Json::array();
      for (unsigned int d = 0; d < 3; ++d)
        {
          dims.push_back(static_cast<unsigned long long>(image.dims[d]));
          h.push_back(image.voxel_size[d]);
          origin.push_back(image.origin[d]);
        }
      m["dims"]         = dims;
      m["voxel_size_m"] = h;
      m["origin_m"]     = origin;
      Json &fractions   = m["volume_fractions"];
      for (const auto &[label, f] : image.volume_fractions())
        fractions[image.phase_names.at(label)] = f;

      Json &mats = j["materials"];
      for (const auto &[name, mat] : c.materials)
        {
          Json &e = mats[name];
          if (mat.model == MaterialSpec::Model::pore)
            e["model"] = "pore";
          else
            {
              e["model"] = "linear_elastic";
              e["E_Pa"]  = mat.E;
              e["nu"]    = mat.nu;
            }
        }
      j["boundary"]["sides"] = c.boundary.sides == SideCondition::rollers ? "rollers" : "free";
      j["boundary"]["top"]   = c.boundary.top == TopCondition::pressure     ? "pressure" :
                               c.boundary.top == TopCondition::displacement ? "displacement" :
                                                                              "free";
      Json &steps = j["steps"];
      steps       = Json::array();
      for (const auto &s : c.steps)
        {
          Json e          = Json::object();
          e["name"]       = s.name;
          e["increments"] = s.increments;
          if (s.top)
            e[c.boundary.top == TopCondition::pressure ? "top_pressure_Pa" :
                                                         "top_displacement_m"] = *s.top;
          for (const auto &[phase, v] : s.eigenstrain)
            e["eigenstrain"][phase] = v;
          steps.push_back(e);
        }
      Json &o = j["output"];
      o["directory"]         = c.output.directory;
      o["every"]             = c.output.every;
      o["format"] = c.output.vtk && c.output.xdmf ? "both" : c.output.xdmf ? "xdmf" : "vtk";
      o["float32"]           = c.output.float32;
      o["compress"]          = c.output.compress;
      o["interfaces"]        = c.output.interfaces;
      o["profiles"]          = c.output.profiles;
      o["porosity_window_m"] = c.output.porosity_window;
      o["checkpoint_every"]  = c.output.checkpoint_every;
      Json &s = j["solver"];
      s["rtol"]                 = c.solver.linear.relative_tolerance;
      s["max_iterations"]       = c.solver.linear.max_iterations;
      s["petsc_options"]        = c.solver.linear.petsc_options;
      s["pore_stiffness_ratio"] = c.solver.pore_stiffness_ratio;
      s["pore_closure"]         = c.solver.pore_closure;
      s["mean_dilatation"]      = c.solver.mean_dilatation;
      s["method"] = c.solver.method == SolverSpec::Method::mf ? "mf" : "amg";
      return j;
    }
  } // namespace

  VoxelImage acquire_image(const MicrostructureSpec &spec, MPI_Comm comm)
  {
    VoxelImage image;
    on_root_or_throw(comm, [&] {
      switch (spec.source)
        {
          case MicrostructureSpec::Source::generate:
            image = generate_spheres(spec.generator);
            break;
          case MicrostructureSpec::Source::build:
            {
              BuildReport report;
              image = build_microstructure(*spec.build, &report);
              std::cout << format_report(report) << std::flush;
              break;
            }
          case MicrostructureSpec::Source::vti:
            image = read_vti(spec.file);
            break;
          case MicrostructureSpec::Source::raw:
            image = read_raw(spec.file, spec.dims, spec.voxel_size, spec.origin,
                             spec.phase_names);
            break;
          case MicrostructureSpec::Source::tiff:
            image = read_tiff(spec.file, spec.voxel_size, spec.origin, spec.phase_names);
            break;
          case MicrostructureSpec::Source::mhd:
            image = read_mhd(spec.file,
                             spec.voxel_size[0] > 0. ?
                               std::optional<std::array<double, 3>>(spec.voxel_size) :
                               std::nullopt,
                             spec.origin_given ?
                               std::optional<std::array<double, 3>>(spec.origin) :
                               std::nullopt,
                             {});
            break;
        }
      // remap, crop, downsample (names from the case apply to the result).
      apply_image_operations(image, spec.operations,
                             spec.file.empty() ? std::string("microstructure") : spec.file);
      for (const auto &[label, name] : spec.phase_names)
        image.phase_names[label] = name;
      image.validate(spec.source == MicrostructureSpec::Source::generate ||
                         spec.source == MicrostructureSpec::Source::build ?
                       std::string("generated microstructure") :
                       spec.file);
    });

    // Metadata travels as text, labels as bytes.
    std::ostringstream meta;
    meta.precision(17);
    if (Utilities::MPI::this_mpi_process(comm) == 0)
      {
        for (unsigned int d = 0; d < 3; ++d)
          meta << image.dims[d] << ' ' << image.voxel_size[d] << ' '
               << image.origin[d] << ' ';
        meta << image.phase_names.size() << '\n';
        for (const auto &[label, name] : image.phase_names)
          meta << int(label) << ' ' << name << '\n';
      }
    std::istringstream in(Utilities::MPI::broadcast(comm, meta.str(), 0));
    if (Utilities::MPI::this_mpi_process(comm) != 0)
      {
        std::size_t n_names = 0;
        for (unsigned int d = 0; d < 3; ++d)
          in >> image.dims[d] >> image.voxel_size[d] >> image.origin[d];
        in >> n_names;
        image.phase_names.clear();
        for (std::size_t i = 0; i < n_names; ++i)
          {
            int         label;
            std::string name;
            in >> label;
            in.get();
            std::getline(in, name);
            image.phase_names[static_cast<std::uint8_t>(label)] = name;
          }
      }
    broadcast_bytes(image.labels, comm);
    return image;
  }

  RunResult run_case(const CaseConfig &config, const RunOptions &options,
                     MPI_Comm comm)
  {
    if (config.chemo)
      return run_chemo_case(config, options, comm);
    const unsigned int rank    = Utilities::MPI::this_mpi_process(comm);
    const unsigned int n_ranks = Utilities::MPI::n_mpi_processes(comm);
    const bool         root    = rank == 0;
    Timer              wall(comm, true);
    std::map<std::string, double> phase_seconds; // wall time per part of the run
    auto timed = [&](const std::string &what, const std::function<void()> &f) {
      Timer t(comm, true);
      f();
      phase_seconds[what] += t.wall_time();
    };

    RunResult result;
    result.output_directory = options.output_directory.empty() ?
                                config.output.directory :
                                options.output_directory;
    const fs::path out(result.output_directory);
    result.pvd_file     = (out / "solution.pvd").string();
    result.summary_file = (out / "summary.csv").string();
    const std::string checkpoint_file = (out / "checkpoint.json").string();
    const std::string case_hash       = content_hash(read_text(config.file));

    // Never overwrite earlier results silently; a restart needs a checkpoint.
    prepare_output_directory(result.output_directory, options.restart, options.overwrite, comm);
    Log log(root, options.quiet, (out / "solidanode.log").string());
    log(solidanode_banner() + " " + utc_now() + ": " +
        (options.restart ? "restarting " : "running ") + config.file + " on " +
        std::to_string(n_ranks) + " rank(s)");

    // Microstructure.
    VoxelImage image;
    timed("image", [&] { image = acquire_image(config.microstructure, comm); });
    const auto histogram = image.histogram();
    // Materials against the image: every label has a material, and no
    // material names a phase the image does not contain (same image on every
    // rank, so the same verdict everywhere).
    try
      {
        check_image_phases(config, image);
      }
    catch (const std::exception &e)
      {
        throw CollectiveError(e.what());
      }

    // Every rank holds the same image, so every rank reaches the same verdict.
    std::map<unsigned int, ElasticPhase> phases;
    std::set<unsigned int>               pore_labels;
    std::set<std::uint8_t>               pore_labels8;
    double min_solid_E = std::numeric_limits<double>::infinity();
    for (const auto &[label, count] : histogram)
      {
        const std::string &name = image.phase_names.at(label);
        const auto         it   = config.materials.find(name);
        if (it == config.materials.end())
          throw CollectiveError(config.file + ": phase '" + name + "' (label " +
                                std::to_string(label) + ", " + std::to_string(count) +
                                " voxels) has no entry under 'materials'");
        if (it->second.model == MaterialSpec::Model::linear_elastic)
          min_solid_E = std::min(min_solid_E, it->second.E);
      }
    if (!std::isfinite(min_solid_E))
      throw CollectiveError(config.file + ": the image holds no solid phase, only pores");
    for (const auto &[label, count] : histogram)
      {
        (void)count;
        const auto  &m = config.materials.at(image.phase_names.at(label));
        ElasticPhase p;
        p.name = m.name;
        if (m.model == MaterialSpec::Model::pore)
          {
            p.E    = config.solver.pore_stiffness_ratio * min_solid_E;
            p.nu   = 0.;
            p.pore = true;
            pore_labels.insert(label);
            pore_labels8.insert(label);
          }
        else
          {
            p.E  = m.E;
            p.nu = m.nu;
          }
        phases[label] = p;
      }
    if (config.output.microstructure && root && !options.restart)
      write_vti(image, (out / "microstructure.vti").string());

    // Mesh and solver. The matrix-free solver needs multigrid levels: the
    // coarse blocks must be refined at least once (some 2^L, L >= 1, divides
    // every image dimension); otherwise the assembled solver runs.
    const unsigned int mg_refinements = plan_voxel_mesh(image.dims).n_refinements;
    bool matrix_free = config.solver.method == SolverSpec::Method::mf;
    if (matrix_free && mg_refinements == 0)
      {
        matrix_free = false;
        log("solidanode: note: the image dimensions " + std::to_string(image.dims[0]) + "x" +
            std::to_string(image.dims[1]) + "x" + std::to_string(image.dims[2]) +
            " are not all even, so the voxel mesh has no multigrid levels: using "
            "solver.method amg (assembled matrix, PETSc CG + GAMG) instead of mf");
      }
    if (matrix_free && !config.solver.linear.petsc_options.empty())
      log("solidanode: note: solver.petsc_options apply to solver.method amg only; "
          "the matrix-free multigrid solver ignores them");
    parallel::distributed::Triangulation<3> tria(
      comm,
      matrix_free ? Triangulation<3>::limit_level_difference_at_vertices :
                    Triangulation<3>::none,
      matrix_free ? parallel::distributed::Triangulation<3>::construct_multigrid_hierarchy :
                    parallel::distributed::Triangulation<3>::default_setting);
    VoxelMeshInfo                           mesh_info;
    timed("mesh", [&] { mesh_info = create_voxel_mesh(image, tria); });
    std::unique_ptr<SmallStrainSolver> solver;
    timed("setup", [&] {
      solver = std::make_unique<SmallStrainSolver>(tria, phases, config.boundary.sides,
                                                   config.boundary.top, config.solver.linear,
                                                   matrix_free);
    });
    result.n_cells = tria.n_global_active_cells();
    result.n_dofs  = solver->n_dofs();
    const double initial_thickness = image.extent()[2];
    const double cell_volume =
      image.voxel_size[0] * image.voxel_size[1] * image.voxel_size[2];
    log("solidanode: " + std::to_string(image.dims[0]) + "x" + std::to_string(image.dims[1]) +
        "x" + std::to_string(image.dims[2]) + " voxels, " + std::to_string(result.n_dofs) +
        " DoFs on " + std::to_string(n_ranks) + " rank(s), coarse mesh " +
        std::to_string(mesh_info.n_coarse_cells) + " blocks refined " +
        std::to_string(mesh_info.n_refinements) + " times; linear solver " +
        (matrix_free ? "matrix-free CG + geometric multigrid (" +
                         std::to_string(solver->n_levels()) + " levels)" :
                       std::string("assembled matrix, PETSc CG + GAMG")));

    // Local porosity (reference configuration), once: it depends on the
    // image only. Computed for the bounding box of the owned cells.
    std::vector<double> local_porosity;
    const bool want_local_porosity =
      (config.output.fields.empty() || config.output.fields.count("local_porosity")) &&
      !pore_labels.empty();
    if (want_local_porosity)
      timed("porosity", [&] {
        const double window = config.output.porosity_window > 0. ?
                                config.output.porosity_window :
                                5. * image.voxel_size[0];
        const unsigned int half = static_cast<unsigned int>(
          std::max(0., std::round((window / image.voxel_size[0] - 1.) / 2.)));
        std::array<std::size_t, 3> lo{{image.dims[0], image.dims[1], image.dims[2]}},
          hi{{0, 0, 0}};
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
        local_porosity.assign(tria.n_active_cells(), 0.);
        if (hi[0] > lo[0])
          {
            const auto box = local_fraction(image, pore_labels8, half, lo, hi);
            for (const auto &cell : tria.active_cell_iterators())
              if (cell->is_locally_owned())
                {
                  const auto ijk = voxel_of(image, cell->center());
                  local_porosity[cell->active_cell_index()] =
                    box[(ijk[0] - lo[0]) +
                        (hi[0] - lo[0]) * ((ijk[1] - lo[1]) + (hi[1] - lo[1]) * (ijk[2] - lo[2]))];
                }
          }
      });
    const std::vector<double> porosity_per_slice = fraction_per_slice(image, pore_labels8);

    // Summary columns: global, then per phase and per solid phase pair.
    const bool pressure_bc = config.boundary.top == TopCondition::pressure;
    const std::string applied_column =
      pressure_bc ? "applied_pressure_Pa" : "applied_top_displacement_m";
    std::vector<std::string> columns = {"increment", "step", "step_name", applied_column,
                                        "mean_top_displacement_m", "thickness_m",
                                        "stack_pressure_Pa", "porosity"};
    for (const auto &[label, p] : phases)
      {
        (void)label;
        for (const std::string &c :
             {"eigenstrain_" + p.name, "mean_hydrostatic_stress_" + p.name + "_Pa",
              "mean_von_mises_" + p.name + "_Pa", "p50_von_mises_" + p.name + "_Pa",
              "p99_von_mises_" + p.name + "_Pa", "max_von_mises_" + p.name + "_Pa",
              "mean_sigma_zz_" + p.name + "_Pa"})
          columns.push_back(c);
      }
    std::vector<std::pair<unsigned int, unsigned int>> solid_pairs;
    for (const auto &[a, pa] : phases)
      for (const auto &[b, pb] : phases)
        if (a < b && !pa.pore && !pb.pore)
          {
            solid_pairs.emplace_back(a, b);
            columns.push_back("contact_area_" + pa.name + "_" + pb.name + "_m2");
          }
    for (const char *c : {"cg_iterations", "relative_residual", "solve_wall_s"})
      columns.push_back(c);
    CsvTable summary(columns);

    // Load history and outputs, possibly continued from a checkpoint.
    OutputSeries                                series(result.output_directory, config.output, comm);
    double                                      top = 0.;
    std::map<std::string, double>               eig; // by phase name
    unsigned int                                done = 0; // increments finished
    if (options.restart)
      {
        std::string state_text;
        on_root_or_throw(comm, [&] { state_text = read_text(checkpoint_file); });
        state_text = Utilities::MPI::broadcast(comm, state_text, 0);
        try
          {
            const YAML::Node state = YAML::Load(state_text);
            if (state["case_hash"].as<std::string>() != case_hash)
              throw CollectiveError("cannot restart: the case file " + config.file +
                                    " changed since the checkpoint in " +
                                    result.output_directory);
            done = state["increment"].as<unsigned int>();
            top  = state["top"].as<double>();
            for (const auto &e : state["eigenstrain"])
              eig[e.first.as<std::string>()] = e.second.as<double>();
            series.from_yaml(state);
          }
        catch (const YAML::Exception &e)
          {
            throw CollectiveError("cannot restart: checkpoint '" + checkpoint_file +
                                  "' is unreadable: " + e.what());
          }
        restore_summary_rows(summary, result.summary_file, done, comm);
        log("solidanode: continuing after increment " + std::to_string(done));
      }

    unsigned int total_increments = 0;
    for (const auto &s : config.steps)
      total_increments += s.increments;

    // run.json: written now (status "running") and rewritten at the end.
    Json record = run_record(n_ranks, done);
    record["mesh"]["cells"]          = static_cast<unsigned long long>(result.n_cells);
    record["mesh"]["dofs"]           = static_cast<unsigned long long>(result.n_dofs);
    record["mesh"]["coarse_cells"]   = static_cast<unsigned long long>(mesh_info.n_coarse_cells);
    record["mesh"]["refinements"]    = mesh_info.n_refinements;
    record["linear_solver"]          = matrix_free ? "mf" : "amg";
    record["case"]                   = resolved_case(config, image);
    record["case_hash"]              = case_hash;
    record["status"]                 = "running";
    if (root)
      atomic_write_text((out / "run.json").string(), record.dump());

    auto write_checkpoint = [&](unsigned int increment) {
      if (!root)
        return;
      Json state = Json::object();
      state["increment"] = increment;
      state["case_hash"] = case_hash;
      state["top"]       = top;
      state["eigenstrain"] = Json::object();
      for (const auto &[phase, v] : eig)
        state["eigenstrain"][phase] = v;
      series.to_json(state);
      // The small-strain model is path independent: the load position
      // and the lists of outputs are the whole state.
      atomic_write_text(checkpoint_file, state.dump());
    };

    unsigned int increment   = 0;
    unsigned int run_count   = 0; // increments solved in this run
    double       solve_total = 0.;
    bool         stopped     = false;
    for (std::size_t s = 0; s < config.steps.size() && !stopped; ++s)
      {
        const StepSpec &step = config.steps[s];
        // Values at the start of the step come from replaying the history,
        // so a restart resumes the ramp exactly.
        double                        top_start = 0.;
        std::map<std::string, double> eig_start;
        {
          double                        t = 0.;
          std::map<std::string, double> e;
          for (std::size_t q = 0; q < s; ++q)
            {
              t = config.steps[q].top.value_or(t);
              for (const auto &[phase, v] : config.steps[q].eigenstrain)
                e[phase] = v;
            }
          top_start = t;
          eig_start = e;
        }
        const double top_end = step.top.value_or(top_start);
        for (unsigned int k = 1; k <= step.increments; ++k)
          {
            ++increment;
            const double alpha = double(k) / step.increments;
            top                = top_start + alpha * (top_end - top_start);
            eig                = eig_start;
            for (const auto &[phase, target] : step.eigenstrain)
              {
                const double from = eig_start.count(phase) ? eig_start.at(phase) : 0.;
                eig[phase]        = from + alpha * (target - from);
              }
            if (increment <= done)
              continue; // finished before the restart

            LoadState load;
            load.top_value = top;
            for (const auto &[label, p] : phases)
              if (eig.count(p.name))
                load.eigenstrain[label] = eig.at(p.name);

            Timer                 increment_timer(comm, true);
            SolveStatistics       stats;
            try
              {
                timed("solve", [&] { stats = solver->solve(load); });
              }
            catch (const CollectiveError &e)
              {
                // The model is linear and path independent: a smaller
                // increment reaches the same system, so cutting the step
                // cannot help. Keep everything written so far and say where.
                if (increment > 1)
                  write_checkpoint(increment - 1);
                char where[200];
                std::snprintf(where, sizeof where,
                              "increment %u (step %zu '%s', %s %.6g %s)", increment, s + 1,
                              step.name.c_str(), pressure_bc ? "top pressure" : "top displacement",
                              pressure_bc ? top / 1e6 : top * 1e6, pressure_bc ? "MPa" : "um");
                log(std::string("solidanode: ") + e.what() + " at " + where);
                throw CollectiveError(
                  std::string(e.what()) + " at " + where + ". Results up to increment " +
                  std::to_string(increment - 1) + " are complete in " +
                  result.output_directory +
                  (increment > 1 ? " (checkpoint written; --restart continues)" : "") +
                  (matrix_free ?
                     ". Try solver.max_iterations, a larger solver.pore_stiffness_ratio, or "
                     "solver.method: amg." :
                     ". Try solver.max_iterations, a larger solver.pore_stiffness_ratio, or "
                     "PETSc options (-ksp_monitor to watch)."));
              }
            std::vector<double>     volumetric;
            std::vector<CellStress> stresses;
            timed("stress", [&] { stresses = solver->cell_stresses(load, &volumetric); });

            // Non-finite values never reach a result file.
            double bad = 0.;
            for (const auto &cell : tria.active_cell_iterators())
              if (cell->is_locally_owned())
                for (double v : stresses[cell->active_cell_index()])
                  if (!std::isfinite(v))
                    bad = 1.;
            if (Utilities::MPI::max(bad, comm) > 0.)
              throw CollectiveError("non-finite stress at increment " +
                                    std::to_string(increment) + " (step '" + step.name +
                                    "'); nothing was written for it");

            // Inverted voxels: 1 + tr(eps), the small-strain volume ratio,
            // must stay positive; report where it does not.
            {
              double      worst = 1e300;
              std::size_t count = 0;
              unsigned int worst_label = 0;
              dealii::Point<3> worst_at;
              for (const auto &cell : tria.active_cell_iterators())
                if (cell->is_locally_owned())
                  {
                    const double j = 1. + volumetric[cell->active_cell_index()];
                    if (j <= 0.)
                      ++count;
                    if (j < worst)
                      {
                        worst       = j;
                        worst_label = cell->material_id();
                        worst_at    = cell->center();
                      }
                  }
              const auto   global_count = Utilities::MPI::sum(count, comm);
              const double global_worst = Utilities::MPI::min(worst, comm);
              if (global_count > 0)
                {
                  // The rank that holds the worst voxel tells where it is.
                  const int mine = worst == global_worst ? int(rank) : int(n_ranks);
                  const int owner = Utilities::MPI::min(mine, comm);
                  double    info[4] = {worst_at[0], worst_at[1], worst_at[2], double(worst_label)};
                  MPI_Bcast(info, 4, MPI_DOUBLE, owner, comm);
                  char line[300];
                  std::snprintf(line, sizeof line,
                                "solidanode: warning: %zu voxel(s) inverted at increment %u "
                                "(1 + tr eps <= 0; worst %.3g in phase '%s' at (%.4g, %.4g, "
                                "%.4g) um): the small-strain model is outside its range there",
                                static_cast<std::size_t>(global_count), increment, global_worst,
                                phases.at(static_cast<unsigned int>(info[3])).name.c_str(),
                                info[0] * 1e6, info[1] * 1e6, info[2] * 1e6);
                  log(line);
                }
            }

            // Phase statistics and deformed porosity.
            std::map<unsigned int, PhaseAccumulator> vm, hydro, szz;
            double total_szz = 0, total_n = 0, pore_volume = 0, volume = 0;
            for (const auto &cell : tria.active_cell_iterators())
              if (cell->is_locally_owned())
                {
                  const CellStress &st = stresses[cell->active_cell_index()];
                  const unsigned int id = cell->material_id();
                  vm[id].add(von_mises(st));
                  hydro[id].add(hydrostatic(st));
                  szz[id].add(st[2]);
                  total_szz += st[2];
                  total_n += 1;
                  const double v = cell_volume *
                                   std::max(0., 1. + volumetric[cell->active_cell_index()]);
                  volume += v;
                  if (pore_labels.count(id))
                    pore_volume += v;
                }
            total_szz   = Utilities::MPI::sum(total_szz, comm);
            total_n     = Utilities::MPI::sum(total_n, comm);
            volume      = Utilities::MPI::sum(volume, comm);
            pore_volume = Utilities::MPI::sum(pore_volume, comm);
            const double uz = solver->mean_top_displacement();

            // Interfaces: contact areas and the interface map.
            const bool write_vtk =
              increment % config.output.every == 0 || increment == total_increments;
            PolygonPiece     interface_piece;
            InterfaceSummary interfaces;
            timed("interfaces", [&] {
              interfaces = collect_interfaces(
                solver->dof_handler(), solver->solution(), stresses, pore_labels,
                static_cast<unsigned int>(image.dims[2]), image.origin[2],
                image.voxel_size[2],
                write_vtk && config.output.interfaces ? &interface_piece : nullptr);
            });

            std::map<std::string, std::string> row;
            row["increment"]               = std::to_string(increment);
            row["step"]                    = std::to_string(s + 1);
            row["step_name"]               = step.name;
            row[applied_column]            = CsvTable::format(top);
            row["mean_top_displacement_m"] = CsvTable::format(uz);
            row["thickness_m"]             = CsvTable::format(initial_thickness + uz);
            row["stack_pressure_Pa"]       = CsvTable::format(-total_szz / total_n);
            row["porosity"] = CsvTable::format(volume > 0 ? pore_volume / volume : 0.);
            for (const auto &[label, p] : phases)
              {
                vm[label].reduce(comm);
                hydro[label].reduce(comm);
                szz[label].reduce(comm);
                row["eigenstrain_" + p.name] =
                  CsvTable::format(eig.count(p.name) ? eig.at(p.name) : 0.);
                row["mean_hydrostatic_stress_" + p.name + "_Pa"] =
                  CsvTable::format(hydro[label].mean());
                row["mean_von_mises_" + p.name + "_Pa"] = CsvTable::format(vm[label].mean());
                row["p50_von_mises_" + p.name + "_Pa"] =
                  CsvTable::format(vm[label].histogram.quantile(0.5));
                row["p99_von_mises_" + p.name + "_Pa"] =
                  CsvTable::format(vm[label].histogram.quantile(0.99));
                row["max_von_mises_" + p.name + "_Pa"] = CsvTable::format(vm[label].max);
                row["mean_sigma_zz_" + p.name + "_Pa"] = CsvTable::format(szz[label].mean());
              }
            for (const auto &pair : solid_pairs)
              {
                const auto it = interfaces.contact_area.find(pair);
                row["contact_area_" + phases.at(pair.first).name + "_" +
                    phases.at(pair.second).name + "_m2"] =
                  CsvTable::format(it == interfaces.contact_area.end() ? 0. : it->second);
              }
            row["cg_iterations"]     = std::to_string(stats.iterations);
            row["relative_residual"] = CsvTable::format(stats.relative_residual);
            row["solve_wall_s"] = CsvTable::format(stats.assemble_seconds +
                                                   stats.setup_seconds + stats.solve_seconds);
            if (root)
              summary.add_row(row);

            // Volume and interface output, profiles.
            timed("output", [&] {
              char base[32];
              std::snprintf(base, sizeof base, "%05u", increment);
              if (write_vtk)
                {
                  CellFields cell_fields;
                  cell_fields.stress            = &stresses;
                  cell_fields.volumetric_strain = &volumetric;
                  cell_fields.local_porosity =
                    want_local_porosity ? &local_porosity : nullptr;
                  const UnstructuredPiece piece =
                    make_elasticity_piece(solver->dof_handler(), solver->solution(),
                                          cell_fields, config.output.fields,
                                          config.output.float32);
                  series.write(base, double(increment), piece,
                               config.output.interfaces ? &interface_piece : nullptr);
                }
              if (config.output.profiles && write_vtk)
                {
                  // Per z layer: porosity (reference), mean sigma_zz and
                  // von Mises of the solid, solid contact area.
                  const std::size_t   nz = image.dims[2];
                  std::vector<double> sums(3 * nz, 0.);
                  for (const auto &cell : tria.active_cell_iterators())
                    if (cell->is_locally_owned() && !pore_labels.count(cell->material_id()))
                      {
                        const std::size_t k = voxel_of(image, cell->center())[2];
                        const CellStress &st = stresses[cell->active_cell_index()];
                        sums[3 * k] += 1.;
                        sums[3 * k + 1] += st[2];
                        sums[3 * k + 2] += von_mises(st);
                      }
                  MPI_Allreduce(MPI_IN_PLACE, sums.data(), static_cast<int>(sums.size()),
                                MPI_DOUBLE, MPI_SUM, comm);
                  if (root)
                    {
                      CsvTable profile({"slice", "z_m", "porosity", "solid_mean_sigma_zz_Pa",
                                        "solid_mean_von_mises_Pa", "contact_area_m2"});
                      for (std::size_t k = 0; k < nz; ++k)
                        {
                          const double n = std::max(sums[3 * k], 1.);
                          profile.add_row(
                            {{"slice", std::to_string(k)},
                             {"z_m", CsvTable::format(image.origin[2] +
                                                      (k + 0.5) * image.voxel_size[2])},
                             {"porosity", CsvTable::format(porosity_per_slice[k])},
                             {"solid_mean_sigma_zz_Pa", CsvTable::format(sums[3 * k + 1] / n)},
                             {"solid_mean_von_mises_Pa", CsvTable::format(sums[3 * k + 2] / n)},
                             {"contact_area_m2",
                              CsvTable::format(interfaces.contact_area_per_slice[k])}});
                        }
                      profile.write((out / (std::string("profiles_") + base + ".csv")).string());
                    }
                }
              if (root)
                summary.write(result.summary_file);
            });

            ++run_count;
            const double this_increment = increment_timer.wall_time();
            solve_total += this_increment;
            const double eta =
              solve_total / run_count * double(total_increments - increment);
            char line[320];
            std::snprintf(line, sizeof line,
                          "[%u/%u] step %zu '%s': %s %.4g %s, thickness %.6g um, stack "
                          "pressure %.4g MPa, %u CG its, %.2f s, ETA %s",
                          increment, total_increments, s + 1, step.name.c_str(),
                          pressure_bc ? "top pressure" : "top displacement",
                          pressure_bc ? top / 1e6 : top * 1e6, pressure_bc ? "MPa" : "um",
                          (initial_thickness + uz) * 1e6, -total_szz / total_n / 1e6,
                          stats.iterations, this_increment,
                          format_seconds(eta).c_str());
            log(line);
            result.final_thickness = initial_thickness + uz;

            // Checkpoints: at the chosen interval, on a signal, at the end of
            // a chunk (max_increments), and at the very end.
            const bool signal = checkpoint_signal_pending(comm);
            const bool chunk_end =
              options.max_increments > 0 && run_count >= options.max_increments;
            const bool interval = config.output.checkpoint_every > 0 &&
                                  increment % config.output.checkpoint_every == 0;
            if (signal || chunk_end || interval || increment == total_increments)
              timed("checkpoint", [&] { write_checkpoint(increment); });
            if ((signal || chunk_end) && increment < total_increments)
              {
                log(std::string("solidanode: stopped after increment ") +
                    std::to_string(increment) + (signal ? " on a signal" : "") +
                    "; checkpoint written, continue with --restart");
                stopped = true;
                break;
              }
          }
      }
    result.n_increments = increment;
    result.completed    = !stopped;

    record["status"]          = stopped ? "stopped (checkpoint written)" : "finished";
    record["finished_utc"]    = utc_now();
    record["wall_seconds"]    = wall.wall_time();
    record["increments_run"]  = run_count;
    for (const auto &[what, seconds] : phase_seconds)
      record["wall_seconds_by_part"][what] = seconds;
    if (root)
      atomic_write_text((out / "run.json").string(), record.dump());
    log("solidanode: " + std::string(stopped ? "stopped" : "done") + " in " +
        format_seconds(wall.wall_time()) + "; open " + result.pvd_file +
        " in ParaView; table " + result.summary_file);
    return result;
  }
} // namespace solidanode
