#include <solver/drivers/steps/steps_driver.h>

#include <base/file_utils.h>
#include <mesh/voxel_io.h>
#include <postprocess/porosity.h>
#include <solver/drivers/acquire_image.h>
#include <solver/input/resolved_case.h>

#include <algorithm>
#include <cmath>

namespace solidanode
{
  using namespace dealii;

  StepsDriver::StepsDriver(const CaseConfig &config, const RunOptions &options, MPI_Comm comm)
    : config_(config)
    , ctx_(config, options, comm, "")
    , pressure_bc_(config.boundary.top == TopCondition::pressure)
    , applied_column_(pressure_bc_ ? "applied_pressure_Pa" : "applied_top_displacement_m")
    , summary_({})
    , series_(ctx_.result.output_directory, config.output, comm)
  {
    std::vector<std::string> image_warnings;
    ctx_.timed("image",
               [&] { image_ = acquire_image(config.microstructure, comm, &image_warnings); });
    for (const auto &w : image_warnings)
      ctx_.warn("solidanode: warning: " + w);
    series_.set_phase_names(image_.phase_names);
    // Materials against the image: every label has a material, and no
    // material names a phase the image does not contain (same image on every
    // rank, so the same verdict everywhere).
    try
      {
        check_image_phases(config, image_);
      }
    catch (const std::exception &e)
      {
        throw CollectiveError(e.what());
      }
    table_       = std::make_unique<PhaseTable>(config, image_);
    phases_      = table_->elastic_phases();
    pore_labels_ = table_->pore_labels();
    for (const unsigned int l : pore_labels_)
      pore_labels8_.insert(static_cast<std::uint8_t>(l));
    if (config.output.microstructure && ctx_.root && !options.restart)
      write_vti(image_, (ctx_.out / "microstructure.vti").string());
    set_up_solver();
    initial_thickness_ = image_.extent()[2];
    cell_volume_       = image_.voxel_size[0] * image_.voxel_size[1] * image_.voxel_size[2];
    compute_local_porosity();
    porosity_per_slice_ = fraction_per_slice(image_, pore_labels8_);
    std::vector<std::string> names;
    for (const auto &[label, p] : phases_)
      names.push_back(p.name);
    limits_  = std::make_unique<StressLimitWatch>(config.materials, names);
    summary_ = CsvTable(columns());
    for (const auto &s : config.steps)
      total_increments_ += s.increments;
  }

  void StepsDriver::set_up_solver()
  {
    // The matrix-free solver needs multigrid levels: the coarse blocks must
    // be refined at least once (some 2^L, L >= 1, divides every image
    // dimension); otherwise the assembled solver runs.
    const unsigned int mg_refinements = plan_voxel_mesh(image_.dims).n_refinements;
    matrix_free_ = config_.solver.method == SolverSpec::Method::mf;
    if (matrix_free_ && mg_refinements == 0)
      {
        matrix_free_ = false;
        ctx_.log("solidanode: note: the image dimensions " + std::to_string(image_.dims[0]) +
                 "x" + std::to_string(image_.dims[1]) + "x" + std::to_string(image_.dims[2]) +
                 " are not all even, so the voxel mesh has no multigrid levels: using "
                 "solver.method amg (assembled matrix, PETSc CG + GAMG) instead of mf");
      }
    if (matrix_free_ && !config_.solver.linear.petsc_options.empty())
      ctx_.log("solidanode: note: solver.petsc_options apply to solver.method amg only; "
               "the matrix-free multigrid solver ignores them");
    using Tria = parallel::distributed::Triangulation<3>;
    tria_      = std::make_unique<Tria>(
      ctx_.comm,
      matrix_free_ ? Triangulation<3>::limit_level_difference_at_vertices :
                     Triangulation<3>::none,
      matrix_free_ ? Tria::construct_multigrid_hierarchy : Tria::default_setting);
    ctx_.timed("mesh", [&] { mesh_info_ = create_voxel_mesh(image_, *tria_); });
    ctx_.timed("setup", [&] {
      solver_ = std::make_unique<SmallStrainSolver>(*tria_, phases_, config_.boundary.sides,
                                                    config_.boundary.top, config_.solver.linear,
                                                    matrix_free_);
    });
    ctx_.result.n_cells = tria_->n_global_active_cells();
    ctx_.result.n_dofs  = solver_->n_dofs();
    ctx_.log("solidanode: " + std::to_string(image_.dims[0]) + "x" +
             std::to_string(image_.dims[1]) + "x" + std::to_string(image_.dims[2]) +
             " voxels, " + std::to_string(ctx_.result.n_dofs) + " DoFs on " +
             std::to_string(ctx_.n_ranks) + " rank(s), coarse mesh " +
             std::to_string(mesh_info_.n_coarse_cells) + " blocks refined " +
             std::to_string(mesh_info_.n_refinements) + " times; linear solver " +
             (matrix_free_ ? "matrix-free CG + geometric multigrid (" +
                               std::to_string(solver_->n_levels()) + " levels)" :
                             std::string("assembled matrix, PETSc CG + GAMG")));
  }

  void StepsDriver::compute_local_porosity()
  {
    // Local porosity (reference configuration), once: it depends on the
    // image only. Computed for the bounding box of the owned cells.
    const bool wanted = (config_.output.fields.empty() ||
                         config_.output.fields.count("local_porosity")) &&
                        !pore_labels_.empty();
    if (!wanted)
      return;
    ctx_.timed("porosity", [&] {
      local_porosity_ =
        cell_local_porosity(image_, *tria_, pore_labels8_, config_.output.porosity_window);
    });
  }

  std::vector<std::string> StepsDriver::columns() const
  {
    // Global, then per phase and per solid phase pair.
    std::vector<std::string> columns = {"increment", "step", "step_name", applied_column_,
                                        "mean_top_displacement_m", "thickness_m",
                                        "stack_pressure_Pa", "porosity"};
    for (const auto &[label, p] : phases_)
      for (const std::string &c :
           {"eigenstrain_" + p.name, "mean_hydrostatic_stress_" + p.name + "_Pa",
            "mean_von_mises_" + p.name + "_Pa", "p50_von_mises_" + p.name + "_Pa",
            "p99_von_mises_" + p.name + "_Pa", "max_von_mises_" + p.name + "_Pa",
            "mean_sigma_zz_" + p.name + "_Pa"})
        columns.push_back(c);
    for (const std::string &c : limits_->columns())
      columns.push_back(c);
    for (const auto &[a, b] : table_->solid_pairs())
      columns.push_back("contact_area_" + phases_.at(a).name + "_" + phases_.at(b).name +
                        "_m2");
    for (const char *c : {"cg_iterations", "relative_residual", "solve_wall_s"})
      columns.push_back(c);
    if (config_.solver.allow_invalid_states)
      columns.push_back("invalid_state");
    return columns;
  }

  RunResult StepsDriver::run()
  {
    if (ctx_.options.restart)
      restore_checkpoint();
    // run.json: written now (status "running") and rewritten at the end.
    Json record = run_record(ctx_.n_ranks, done_);
    record["mesh"]["cells"]        = static_cast<unsigned long long>(ctx_.result.n_cells);
    record["mesh"]["dofs"]         = static_cast<unsigned long long>(ctx_.result.n_dofs);
    record["mesh"]["coarse_cells"] = static_cast<unsigned long long>(mesh_info_.n_coarse_cells);
    record["mesh"]["refinements"]  = mesh_info_.n_refinements;
    record["linear_solver"]        = matrix_free_ ? "mf" : "amg";
    record["case"]                 = resolved_case(config_, image_);
    record["case_hash"]            = ctx_.case_hash;
    record["inputs"]               = fingerprints_json(ctx_.inputs);
    record["status"]               = "running";
    ctx_.write_record(record);

    unsigned int increment = 0;
    bool         stopped   = false;
    for (std::size_t s = 0; s < config_.steps.size() && !stopped; ++s)
      for (unsigned int k = 1; k <= config_.steps[s].increments && !stopped; ++k)
        {
          const Increment inc = load_of(s, k, ++increment);
          if (increment <= done_)
            continue; // finished before the restart
          Timer        timer(ctx_.comm, true);
          const Solved solved = solve(inc);
          invalid_state_      = check_state(inc, solved);
          if (!invalid_state_.empty())
            invalid_states_.emplace_back(inc.number, invalid_state_);
          record_increment(inc, solved, timer);
          stopped = checkpoint_or_stop(increment);
        }
    ctx_.result.n_increments = increment;
    if (config_.solver.allow_invalid_states)
      {
        Json &list = record["invalid_states"];
        list       = Json::array();
        for (const auto &[number, what] : invalid_states_)
          {
            Json e         = Json::object();
            e["increment"] = number;
            e["what"]      = what;
            list.push_back(e);
          }
      }
    ctx_.finish(record, stopped, run_count_);
    return ctx_.result;
  }

  StepsDriver::Increment StepsDriver::load_of(const std::size_t s, const unsigned int k,
                                              const unsigned int number)
  {
    const StepSpec               &step = config_.steps[s];
    double                        top_start = 0.;
    std::map<std::string, double> eig_start;
    for (std::size_t q = 0; q < s; ++q)
      {
        top_start = config_.steps[q].top.value_or(top_start);
        for (const auto &[phase, v] : config_.steps[q].eigenstrain)
          eig_start[phase] = v;
      }
    const double top_end = step.top.value_or(top_start);
    const double alpha   = double(k) / step.increments;
    top_                 = top_start + alpha * (top_end - top_start);
    eig_                 = eig_start;
    for (const auto &[phase, target] : step.eigenstrain)
      {
        const double from = eig_start.count(phase) ? eig_start.at(phase) : 0.;
        eig_[phase]       = from + alpha * (target - from);
      }
    Increment inc;
    inc.number         = number;
    inc.step           = s;
    inc.load.top_value = top_;
    for (const auto &[label, p] : phases_)
      if (eig_.count(p.name))
        inc.load.eigenstrain[label] = eig_.at(p.name);
    return inc;
  }

  void StepsDriver::write_checkpoint(const unsigned int increment)
  {
    on_root_or_throw(ctx_.comm, [&] {
      Json state           = Json::object();
      state["increment"]   = increment;
      state["case_hash"]   = ctx_.case_hash;
      state["inputs"]      = fingerprints_json(ctx_.inputs);
      state["top"]         = top_;
      state["eigenstrain"] = Json::object();
      for (const auto &[phase, v] : eig_)
        state["eigenstrain"][phase] = v;
      series_.to_json(state);
      // The small-strain model is path independent: the load position and
      // the lists of outputs are the whole state.
      seal_checkpoint(state);
      atomic_write_text(ctx_.checkpoint_file, state.dump());
    });
  }

  void StepsDriver::restore_checkpoint()
  {
    std::string text;
    on_root_or_throw(ctx_.comm, [&] { text = read_text(ctx_.checkpoint_file); });
    text = Utilities::MPI::broadcast(ctx_.comm, text, 0);
    try
      {
        const YAML::Node state = YAML::Load(text);
        check_checkpoint_seal(state, ctx_.checkpoint_file);
        if (state["case_hash"].as<std::string>() != ctx_.case_hash)
          throw CollectiveError("cannot restart: the case file " + config_.file +
                                " changed since the checkpoint in " +
                                ctx_.result.output_directory);
        check_fingerprints(state["inputs"], ctx_.inputs, ctx_.result.output_directory);
        done_ = state["increment"].as<unsigned int>();
        top_  = state["top"].as<double>();
        for (const auto &e : state["eigenstrain"])
          eig_[e.first.as<std::string>()] = e.second.as<double>();
        series_.from_yaml(state);
      }
    catch (const YAML::Exception &e)
      {
        throw CollectiveError("cannot restart: checkpoint '" + ctx_.checkpoint_file +
                              "' is unreadable: " + e.what());
      }
    restore_summary_rows(summary_, ctx_.result.summary_file, done_, ctx_.comm);
    ctx_.log("solidanode: continuing after increment " + std::to_string(done_));
  }

  bool StepsDriver::checkpoint_or_stop(const unsigned int increment)
  {
    // Checkpoints: at the chosen interval, on a signal, at the end of a
    // chunk (max_increments), and at the very end.
    const bool     signal = checkpoint_signal_pending(ctx_.comm);
    const bool     chunk  = ctx_.options.max_increments > 0 &&
                       run_count_ >= ctx_.options.max_increments;
    const unsigned every    = config_.output.checkpoint_every;
    const bool     interval = every > 0 && increment % every == 0;
    if (signal || chunk || interval || increment == total_increments_)
      ctx_.timed("checkpoint", [&] { write_checkpoint(increment); });
    if ((signal || chunk) && increment < total_increments_)
      {
        ctx_.log(std::string("solidanode: stopped after increment ") +
                 std::to_string(increment) + (signal ? " on a signal" : "") +
                 "; checkpoint written, continue with --restart");
        return true;
      }
    return false;
  }
} // namespace solidanode
