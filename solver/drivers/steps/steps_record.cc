// Solving and recording one increment of a `steps` case. Part of
// StepsDriver (steps_driver.h).
#include <solver/drivers/steps/steps_driver.h>

#include <postprocess/field_output.h>
#include <postprocess/interfaces.h>
#include <postprocess/statistics.h>
#include <solver/elasticity/voxel_view.h>

#include <cmath>
#include <cstdio>

namespace solidanode
{
  using namespace dealii;

  namespace
  {
    std::string fmt(double v) { return CsvTable::format(v); }
  } // namespace

  StepsDriver::Solved StepsDriver::solve(const Increment &inc)
  {
    const StepSpec &step = config_.steps[inc.step];
    Solved          out;
    try
      {
        ctx_.timed("solve", [&] { out.stats = solver_->solve(inc.load); });
      }
    catch (const CollectiveError &e)
      {
        // The model is linear and path independent: a smaller increment
        // reaches the same system, so cutting the step cannot help. Keep
        // everything written so far and say where.
        if (inc.number > 1)
          write_checkpoint(inc.number - 1);
        char load[64];
        if (config_.boundary.top == TopCondition::free)
          std::snprintf(load, sizeof load, "free top");
        else
          std::snprintf(load, sizeof load, "%s %.6g %s",
                        pressure_bc_ ? "top pressure" : "top displacement",
                        pressure_bc_ ? top_ / 1e6 : top_ * 1e6, pressure_bc_ ? "MPa" : "um");
        char where[240];
        std::snprintf(where, sizeof where, "increment %u (step %zu '%s', %s)", inc.number,
                      inc.step + 1, step.name.c_str(), load);
        ctx_.log(std::string("solidanode: ") + e.what() + " at " + where);
        throw CollectiveError(
          std::string(e.what()) + " at " + where + ". Results up to increment " +
          std::to_string(inc.number - 1) + " are complete in " + ctx_.result.output_directory +
          (inc.number > 1 ? " (checkpoint written; --restart continues)" : "") +
          (matrix_free_ ? ". Try solver.max_iterations, a larger solver.pore_stiffness_ratio, or "
                          "solver.method: amg." :
                          ". Try solver.max_iterations, a larger solver.pore_stiffness_ratio, or "
                          "PETSc options (-ksp_monitor to watch)."));
      }
    ctx_.timed("stress",
               [&] { out.stress = solver_->cell_stresses(inc.load, &out.volumetric); });
    return out;
  }

  std::string StepsDriver::check_state(const Increment &inc, const Solved &solved)
  {
    const MPI_Comm    comm  = ctx_.comm;
    const std::string where = "increment " + std::to_string(inc.number) + " (step '" +
                              config_.steps[inc.step].name + "')";
    // Non-finite values never reach a result file.
    double bad = 0.;
    for (const auto &cell : tria_->active_cell_iterators())
      if (cell->is_locally_owned())
        for (double v : solved.stress[cell->active_cell_index()])
          if (!std::isfinite(v))
            bad = 1.;
    if (Utilities::MPI::max(bad, comm) > 0.)
      throw CollectiveError("non-finite stress at " + where + "; nothing was written for it");

    // Inverted voxels: 1 + tr(eps), the small-strain volume ratio, must stay
    // positive; report where it does not. Deformed pore volume for the porosity.
    double           worst = 1e300, volume = 0., pore_volume = 0.;
    std::size_t      count = 0;
    unsigned int     worst_label = 0;
    dealii::Point<3> worst_at;
    for (const auto &cell : tria_->active_cell_iterators())
      if (cell->is_locally_owned())
        {
          const double j = 1. + solved.volumetric[cell->active_cell_index()];
          if (j <= 0.)
            ++count;
          volume += cell_volume_ * std::max(0., j);
          if (pore_labels_.count(cell->material_id()))
            pore_volume += cell_volume_ * std::max(0., j);
          if (j < worst)
            {
              worst       = j;
              worst_label = cell->material_id();
              worst_at    = cell->center();
            }
        }
    const auto   global_count = Utilities::MPI::sum(count, comm);
    const double global_worst = Utilities::MPI::min(worst, comm);
    volume                    = Utilities::MPI::sum(volume, comm);
    pore_volume               = Utilities::MPI::sum(pore_volume, comm);
    const double thickness    = initial_thickness_ + solver_->mean_top_displacement();
    const double porosity     = volume > 0. ? pore_volume / volume : 0.;
    std::string  problem;
    if (global_count > 0)
      {
        // The rank that holds the worst voxel tells where it is.
        const int mine  = worst == global_worst ? int(ctx_.rank) : int(ctx_.n_ranks);
        const int owner = Utilities::MPI::min(mine, comm);
        double    info[4] = {worst_at[0], worst_at[1], worst_at[2], double(worst_label)};
        MPI_Bcast(info, 4, MPI_DOUBLE, owner, comm);
        char line[300];
        std::snprintf(line, sizeof line,
                      "%zu voxel(s) inverted (1 + tr eps <= 0; worst %.3g in phase '%s' at "
                      "(%.4g, %.4g, %.4g) um)",
                      static_cast<std::size_t>(global_count), global_worst,
                      phases_.at(static_cast<unsigned int>(info[3])).name.c_str(),
                      info[0] * 1e6, info[1] * 1e6, info[2] * 1e6);
        problem = line;
      }
    if (!(thickness > 0.))
      problem += (problem.empty() ? "" : "; ") + std::string("thickness ") +
                 fmt(thickness) + " m <= 0";
    if (!(porosity >= 0. && porosity <= 1.))
      problem += (problem.empty() ? "" : "; ") + std::string("porosity ") +
                 fmt(porosity) + " outside [0, 1]";
    if (problem.empty())
      return "";
    if (!config_.solver.allow_invalid_states)
      throw CollectiveError(
        "physically invalid state at " + where + ": " + problem +
        "; the small-strain model is outside its range (nothing was written for this "
        "increment; the earlier ones are complete). Set 'solver: {allow_invalid_states: "
        "true}' to continue and record such states in summary.csv and run.json");
    ctx_.log("solidanode: warning: physically invalid state at " + where + ": " + problem);
    return problem;
  }

  void StepsDriver::record_increment(const Increment &inc, const Solved &solved,
                                     const Timer &timer)
  {
    const MPI_Comm comm = ctx_.comm;
    // Phase statistics and deformed porosity.
    std::map<unsigned int, PhaseAccumulator> vm, hydro, szz;
    double total_szz = 0, total_n = 0, pore_volume = 0, volume = 0;
    for (const auto &cell : tria_->active_cell_iterators())
      if (cell->is_locally_owned())
        {
          const CellStress  &st = solved.stress[cell->active_cell_index()];
          const unsigned int id = cell->material_id();
          vm[id].add(von_mises(st));
          hydro[id].add(hydrostatic(st));
          szz[id].add(st[2]);
          total_szz += st[2];
          total_n += 1;
          const double v =
            cell_volume_ * std::max(0., 1. + solved.volumetric[cell->active_cell_index()]);
          volume += v;
          if (pore_labels_.count(id))
            pore_volume += v;
        }
    total_szz       = Utilities::MPI::sum(total_szz, comm);
    total_n         = Utilities::MPI::sum(total_n, comm);
    volume          = Utilities::MPI::sum(volume, comm);
    pore_volume     = Utilities::MPI::sum(pore_volume, comm);
    const double uz = solver_->mean_top_displacement();

    // Interfaces: contact areas and the interface map.
    const bool write_vtk = inc.number % config_.output.every == 0 || inc.number == total_increments_;
    PolygonPiece     interface_piece;
    InterfaceSummary interfaces;
    ctx_.timed("interfaces", [&] {
      interfaces = collect_interfaces(
        label_faces(solver_->dof_handler(), solver_->solution()), solved.stress, pore_labels_,
        static_cast<unsigned int>(image_.dims[2]), image_.origin[2], image_.voxel_size[2],
        write_vtk && config_.output.interfaces ? &interface_piece : nullptr, comm);
    });

    const StepSpec                    &step = config_.steps[inc.step];
    std::map<std::string, std::string> row;
    row["increment"]               = std::to_string(inc.number);
    row["step"]                    = std::to_string(inc.step + 1);
    row["step_name"]               = step.name;
    row[applied_column_]           = fmt(top_);
    row["mean_top_displacement_m"] = fmt(uz);
    row["thickness_m"]             = fmt(initial_thickness_ + uz);
    row["stack_pressure_Pa"]       = fmt(-total_szz / total_n);
    row["porosity"]                = fmt(volume > 0 ? pore_volume / volume : 0.);
    if (config_.solver.allow_invalid_states)
      row["invalid_state"] = invalid_state_;
    for (const auto &[label, p] : phases_)
      {
        vm[label].reduce(comm);
        hydro[label].reduce(comm);
        szz[label].reduce(comm);
        row["eigenstrain_" + p.name] = fmt(eig_.count(p.name) ? eig_.at(p.name) : 0.);
        row["mean_hydrostatic_stress_" + p.name + "_Pa"] = fmt(hydro[label].mean());
        row["mean_von_mises_" + p.name + "_Pa"]          = fmt(vm[label].mean());
        row["p50_von_mises_" + p.name + "_Pa"] = fmt(vm[label].histogram.quantile(0.5));
        row["p99_von_mises_" + p.name + "_Pa"] = fmt(vm[label].histogram.quantile(0.99));
        row["max_von_mises_" + p.name + "_Pa"] = fmt(vm[label].max);
        row["mean_sigma_zz_" + p.name + "_Pa"] = fmt(szz[label].mean());
        if (const auto warning =
              limits_->check(p.name, vm[label].histogram.quantile(0.99), row))
          ctx_.warn(*warning);
      }
    for (const auto &pair : table_->solid_pairs())
      {
        const auto it = interfaces.contact_area.find(pair);
        row["contact_area_" + phases_.at(pair.first).name + "_" + phases_.at(pair.second).name +
            "_m2"] = fmt(it == interfaces.contact_area.end() ? 0. : it->second);
      }
    const SolveStatistics &stats = solved.stats;
    row["cg_iterations"]         = std::to_string(stats.iterations);
    row["relative_residual"]     = fmt(stats.relative_residual);
    row["solve_wall_s"] = fmt(stats.assemble_seconds + stats.setup_seconds + stats.solve_seconds);
    if (ctx_.root)
      summary_.add_row(row);

    // Volume and interface output, profiles.
    ctx_.timed("output", [&] {
      char base[32];
      std::snprintf(base, sizeof base, "%05u", inc.number);
      if (write_vtk)
        {
          CellFields cell_fields;
          cell_fields.stress            = &solved.stress;
          cell_fields.volumetric_strain = &solved.volumetric;
          cell_fields.local_porosity = local_porosity_.empty() ? nullptr : &local_porosity_;
          const UnstructuredPiece piece =
            make_elasticity_piece(owned_voxels(solver_->dof_handler(), solver_->solution()),
                                  cell_fields, config_.output.fields, config_.output.float32);
          series_.write(base, double(inc.number), piece,
                        config_.output.interfaces ? &interface_piece : nullptr);
        }
      if (config_.output.profiles && write_vtk)
        write_profiles(base, solved, interfaces);
      on_root_or_throw(ctx_.comm, [&] { summary_.write(ctx_.result.summary_file); });
    });

    ++run_count_;
    const double seconds = timer.wall_time();
    solve_total_ += seconds;
    const double eta = solve_total_ / run_count_ * double(total_increments_ - inc.number);
    // A free top has no applied value: report where it went.
    const bool free_top = config_.boundary.top == TopCondition::free;
    char       line[320];
    std::snprintf(line, sizeof line,
                  "[%u/%u] step %zu '%s': %s %.4g %s, thickness %.6g um, stack "
                  "pressure %.4g MPa, %u CG its, %.2f s, ETA %s",
                  inc.number, total_increments_, inc.step + 1, step.name.c_str(),
                  pressure_bc_ ? "top pressure" :
                  free_top     ? "free top, mean top displacement" :
                                 "top displacement",
                  pressure_bc_ ? top_ / 1e6 : (free_top ? uz : top_) * 1e6,
                  pressure_bc_ ? "MPa" : "um", (initial_thickness_ + uz) * 1e6, -total_szz / total_n / 1e6, stats.iterations,
                  seconds, format_seconds(eta).c_str());
    ctx_.log(line);
    ctx_.result.final_thickness = initial_thickness_ + uz;
  }

  void StepsDriver::write_profiles(const std::string &base, const Solved &solved,
                                   const InterfaceSummary &interfaces)
  {
    // Per z layer: porosity (reference), mean sigma_zz and von Mises of the
    // solid, solid contact area.
    const std::size_t   nz = image_.dims[2];
    std::vector<double> sums(3 * nz, 0.);
    for (const auto &cell : tria_->active_cell_iterators())
      if (cell->is_locally_owned() && !pore_labels_.count(cell->material_id()))
        {
          const std::size_t k  = voxel_of(image_, cell->center())[2];
          const CellStress &st = solved.stress[cell->active_cell_index()];
          sums[3 * k] += 1.;
          sums[3 * k + 1] += st[2];
          sums[3 * k + 2] += von_mises(st);
        }
    MPI_Allreduce(MPI_IN_PLACE, sums.data(), static_cast<int>(sums.size()), MPI_DOUBLE,
                  MPI_SUM, ctx_.comm);
    if (!ctx_.root)
      return;
    CsvTable profile({"slice", "z_m", "porosity", "solid_mean_sigma_zz_Pa",
                      "solid_mean_von_mises_Pa", "contact_area_m2"});
    for (std::size_t k = 0; k < nz; ++k)
      {
        const double n = std::max(sums[3 * k], 1.);
        profile.add_row({{"slice", std::to_string(k)},
                         {"z_m", fmt(image_.origin[2] + (k + 0.5) * image_.voxel_size[2])},
                         {"porosity", fmt(porosity_per_slice_[k])},
                         {"solid_mean_sigma_zz_Pa", fmt(sums[3 * k + 1] / n)},
                         {"solid_mean_von_mises_Pa", fmt(sums[3 * k + 2] / n)},
                         {"contact_area_m2", fmt(interfaces.contact_area_per_slice[k])}});
      }
    profile.write((ctx_.out / ("profiles_" + base + ".csv")).string());
  }
} // namespace solidanode
