#include <solver/drivers/protocol/protocol_record.h>

#include <postprocess/field_output.h>
#include <postprocess/interfaces.h>
#include <postprocess/pressed_contact.h>
#include <postprocess/statistics.h>
#include <solver/elasticity/voxel_view.h>
#include <solver/input/output_fields.h>
#include <mesh/voxel_mesh.h>

#include <deal.II/grid/grid_tools.h>

#include <algorithm>
#include <cstdio>
#include <optional>

namespace solidanode
{
  using namespace dealii;

  namespace
  {
    /// Copy per-cell data of owned cells to the ghost cells (n values per cell).
    void exchange_ghosts(const parallel::distributed::Triangulation<3> &tria,
                         std::vector<double> &data, unsigned int n)
    {
      using Iterator = parallel::distributed::Triangulation<3>::active_cell_iterator;
      GridTools::exchange_cell_data_to_ghosts<std::vector<double>,
                                              parallel::distributed::Triangulation<3>>(
        tria,
        [&](const Iterator &cell) {
          const std::size_t i = n * cell->active_cell_index();
          return std::optional<std::vector<double>>(
            std::vector<double>(data.begin() + i, data.begin() + i + n));
        },
        [&](const Iterator &cell, const std::vector<double> &v) {
          std::copy(v.begin(), v.end(), data.begin() + n * cell->active_cell_index());
        });
    }

    std::string fmt(double v) { return CsvTable::format(v); }
  } // namespace

  struct ProtocolRecorder::Volumes
  {
    std::map<unsigned int, PhaseAccumulator> vm, hydro, jac;
    std::map<unsigned int, double>           max_eps_p;
    PhaseAccumulator vm_layer, vm_separator; // plating outputs
    double pore_volume = 0., volume = 0., layer_pores = 0., layer_volume = 0.;
  };

  ProtocolRecorder::ProtocolRecorder(const ProtocolModel &model, RunContext &ctx)
    : model_(model)
    , ctx_(ctx)
    , limits_(model.config.materials, phase_names(model))
    , pore_set_(model.pore_labels.begin(), model.pore_labels.end())
    , summary(columns())
    , series(ctx.result.output_directory, model.config.output, ctx.comm)
  {
    series.set_phase_names(model.image.phase_names);
    const auto &fields = model.config.output.fields;
    if ((fields.empty() || fields.count("local_porosity")) && !model.pore_labels.empty())
      {
        ctx.timed("porosity", [&] {
          local_porosity_ = cell_local_porosity(model.image, model.tria, pore_set_,
                                                model.config.output.porosity_window);
        });
      }
  }

  std::vector<std::string> ProtocolRecorder::phase_names(const ProtocolModel &model)
  {
    std::vector<std::string> names;
    for (const auto &[label, p] : model.mech_phases)
      names.push_back(p.name);
    return names;
  }

  std::vector<std::string> ProtocolRecorder::columns() const
  {
    std::vector<std::string> columns = {
      "increment", "step", "step_name", "time_s", "dt_s", "state_of_charge", "li_total_mol",
      "li_passed_mol", "stack_mode", "applied_pressure_Pa", "stack_pressure_Pa",
      "mean_top_displacement_m", "thickness_m", "porosity", "temperature_K"};
    for (const auto &[label, a] : model_.active)
      for (const std::string &c :
           {"state_of_charge_" + a.name, "interface_area_" + a.name + "_m2",
            "interface_area_in_contact_" + a.name + "_m2"})
        columns.push_back(c);
    for (const auto &[label, p] : model_.mech_phases)
      for (const std::string &c :
           {"mean_hydrostatic_stress_" + p.name + "_Pa", "mean_von_mises_" + p.name + "_Pa",
            "p99_von_mises_" + p.name + "_Pa", "max_von_mises_" + p.name + "_Pa",
            "mean_det_F_" + p.name, "max_plastic_strain_" + p.name})
        columns.push_back(c);
    for (const std::string &c : limits_.columns())
      columns.push_back(c);
    for (const auto &[a, b] : model_.table->solid_pairs())
      columns.push_back("contact_area_" + model_.mech_phases.at(a).name + "_" +
                        model_.mech_phases.at(b).name + "_m2");
    if (!model_.pore_labels.empty())
      {
        columns.push_back("closed_pore_fraction");
        columns.push_back("pressed_contact_area_m2");
        for (const auto &[a, b] : model_.table->solid_pairs())
          columns.push_back("pressed_contact_area_" + model_.mech_phases.at(a).name + "_" +
                            model_.mech_phases.at(b).name + "_m2");
      }
    for (const auto &[label, a] : model_.active)
      columns.push_back("contact_fraction_" + a.name);
    for (const CohesiveSpec &b : model_.chemo.interfaces)
      for (const char *what : {"mean_damage_", "debonded_fraction_"})
        columns.push_back(what + b.phase + "_" + b.band);
    if (model_.plating)
      for (const char *c :
           {"plated_li_mol", "plated_li_volume_m3", "plated_li_thickness_m", "li_in_alloy_mol",
            "areal_charge_mAh_per_cm2", "layer_porosity", "contact_area_layer_separator_m2",
            "contact_area_layer_li_m2", "lost_area_layer_li_m2", "contact_area_li_collector_m2",
            "lost_area_li_collector_m2", "p99_von_mises_layer_Pa", "max_von_mises_layer_Pa",
            "p99_von_mises_separator_Pa", "max_von_mises_separator_Pa"})
        columns.push_back(c);
    for (const char *c : {"newton_iterations", "linear_iterations", "transport_iterations",
                          "coupling_passes", "contact_changes", "wall_s"})
      columns.push_back(c);
    return columns;
  }

  ProtocolRecorder::Volumes ProtocolRecorder::gather(const std::vector<CellStress> &stress,
                                                     const std::vector<double> &det_f,
                                                     const std::vector<double> &eps_p,
                                                     const std::vector<double> &vol) const
  {
    Volumes            v;
    const PlatingSite *site = model_.plating.get();
    for (const auto &cell : model_.tria.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          const unsigned int i  = cell->active_cell_index();
          const unsigned int id = cell->material_id();
          const bool         pore = model_.pore_labels.count(id) > 0;
          v.vm[id].add(von_mises(stress[i]));
          v.hydro[id].add(hydrostatic(stress[i]));
          v.jac[id].add(det_f[i]);
          v.max_eps_p[id] = std::max(v.max_eps_p[id], eps_p[i]);
          v.volume += vol[i];
          if (pore)
            v.pore_volume += vol[i];
          if (!site)
            continue;
          if (site->layer_labels.count(id))
            {
              v.layer_volume += vol[i];
              if (pore)
                v.layer_pores += vol[i];
            }
          if (site->layer_solids.count(id))
            v.vm_layer.add(von_mises(stress[i]));
          if (static_cast<int>(id) == site->separator_label)
            v.vm_separator.add(von_mises(stress[i]));
        }
    v.volume      = Utilities::MPI::sum(v.volume, model_.comm);
    v.pore_volume = Utilities::MPI::sum(v.pore_volume, model_.comm);
    return v;
  }

  InterfaceSummary ProtocolRecorder::interfaces(const std::vector<CellStress> &stress,
                                                const std::vector<std::uint8_t> &closed_pore,
                                                PolygonPiece *piece) const
  {
    // Interface states (contact flags, Li flux) per face of owned and ghost
    // cells, for the interface map and the contact areas.
    const std::size_t   n = model_.tria.n_active_cells();
    std::vector<double> face_data(12 * n, 0.);
    for (const auto &f : model_.li->interface_faces())
      {
        face_data[12 * f.cell + f.face]     = f.in_contact ? 0. : 1.;
        face_data[12 * f.cell + 6 + f.face] = f.flux_density;
      }
    exchange_ghosts(model_.tria, face_data, 12);
    std::vector<std::uint8_t> lost(6 * n, 0);
    std::vector<double>       flux(6 * n, 0.);
    for (std::size_t c = 0; c < n; ++c)
      for (unsigned int f = 0; f < 6; ++f)
        {
          lost[6 * c + f] = face_data[12 * c + f] != 0. ? 1 : 0;
          flux[6 * c + f] = face_data[12 * c + 6 + f];
        }
    InterfaceStates  states{&lost, &flux, &closed_pore};
    InterfaceSummary summary_;
    ctx_.timed("interfaces", [&] {
      summary_ = collect_interfaces(
        label_faces(model_.mech->dof_handler(), model_.mech->solution()), stress,
        model_.pore_labels, static_cast<unsigned int>(model_.image.dims[2]),
        model_.image.origin[2], model_.image.voxel_size[2], piece,
        model_.tria.get_communicator(), &states);
    });
    return summary_;
  }

  std::vector<std::uint8_t> ProtocolRecorder::closed_pores(const std::vector<double> &det_f) const
  {
    const double j_closed = std::max(0.2, 2. * model_.config.solver.pore_closure);
    std::vector<double> flag(model_.tria.n_active_cells(), 0.);
    if (!model_.pore_labels.empty())
      for (const auto &cell : model_.tria.active_cell_iterators())
        if (cell->is_locally_owned() && model_.pore_labels.count(cell->material_id()) &&
            det_f[cell->active_cell_index()] <= j_closed)
          flag[cell->active_cell_index()] = 1.;
    exchange_ghosts(model_.tria, flag, 1);
    return std::vector<std::uint8_t>(flag.begin(), flag.end());
  }

  void ProtocolRecorder::add_pressed_columns(Row &row, const std::vector<std::uint8_t> &closed,
                                             const InterfaceSummary &interfaces) const
  {
    PressedContact pc;
    if (!model_.pore_labels.empty())
      {
        std::vector<std::size_t> local;
        for (const auto &cell : model_.tria.active_cell_iterators())
          if (cell->is_locally_owned() && closed[cell->active_cell_index()])
            {
              const auto v = voxel_of(model_.image, cell->center());
              local.push_back(model_.image.index(v[0], v[1], v[2]));
            }
        pc = pressed_contacts(model_.image, pore_set_, local, 2, model_.comm);
        row["closed_pore_fraction"] =
          fmt(pc.n_pore > 0 ? static_cast<double>(pc.n_closed) / static_cast<double>(pc.n_pore) : 0.);
        double total = 0.; // all pairs, a phase pressed onto itself included
        for (const auto &[pair, area] : pc.area)
          total += area;
        row["pressed_contact_area_m2"] = fmt(total);
        for (const auto &pair : model_.table->solid_pairs())
          {
            const auto it = pc.area.find(pair);
            row["pressed_contact_area_" + model_.mech_phases.at(pair.first).name + "_" +
                model_.mech_phases.at(pair.second).name + "_m2"] =
              fmt(it == pc.area.end() ? 0. : it->second);
          }
      }
    // Contact fraction of an active phase's surface: faces to other solids
    // in contact plus contact made across closed pores, over all its faces.
    for (const auto &[label, a] : model_.active)
      {
        double surface = 0., touching = 0.;
        for (const auto &[pair, area] : interfaces.area)
          if (pair.first == label || pair.second == label)
            surface += area;
        for (const auto &[pair, area] : interfaces.contact_area)
          if (pair.first == label || pair.second == label)
            touching += area;
        for (const auto &[pair, area] : pc.area)
          if ((pair.first == label) != (pair.second == label))
            touching += area;
        row["contact_fraction_" + a.name] = fmt(surface > 0. ? std::min(1., touching / surface) : 0.);
      }
  }

  void ProtocolRecorder::add_band_columns(Row &row) const
  {
    if (model_.chemo.interfaces.empty())
      return;
    std::vector<double> damage, debonded;
    model_.mech->cell_band_state(&damage, &debonded);
    for (const CohesiveSpec &b : model_.chemo.interfaces)
      {
        double n[3] = {0., 0., 0.}; // band cells, sum of damage, debonded cells
        for (const auto &cell : model_.tria.active_cell_iterators())
          if (cell->is_locally_owned() && debonded[cell->active_cell_index()] >= 0. &&
              model_.mech_phases.at(cell->material_id()).name == b.band)
            {
              n[0] += 1.;
              n[1] += damage[cell->active_cell_index()];
              n[2] += debonded[cell->active_cell_index()];
            }
        MPI_Allreduce(MPI_IN_PLACE, n, 3, MPI_DOUBLE, MPI_SUM, model_.comm);
        row["mean_damage_" + b.phase + "_" + b.band] = fmt(n[0] > 0. ? n[1] / n[0] : 0.);
        row["debonded_fraction_" + b.phase + "_" + b.band] = fmt(n[0] > 0. ? n[2] / n[0] : 0.);
      }
  }

  void ProtocolRecorder::add_phase_columns(Row &row, Volumes &v,
                                           const InterfaceSummary &interfaces)
  {
    const MPI_Comm comm = model_.comm;
    for (const auto &[label, a] : model_.active)
      {
        row["state_of_charge_" + a.name] =
          fmt(model_.li->total_li(label) / (a.c_max * model_.phase_volume(label)));
        row["interface_area_" + a.name + "_m2"] = fmt(model_.li->interface_area(label, false));
        row["interface_area_in_contact_" + a.name + "_m2"] =
          fmt(model_.li->interface_area(label, true));
      }
    for (const auto &[label, p] : model_.mech_phases)
      {
        v.vm[label].reduce(comm);
        v.hydro[label].reduce(comm);
        v.jac[label].reduce(comm);
        const double mp = Utilities::MPI::max(v.max_eps_p[label], comm);
        row["mean_hydrostatic_stress_" + p.name + "_Pa"] = fmt(v.hydro[label].mean());
        row["mean_von_mises_" + p.name + "_Pa"]          = fmt(v.vm[label].mean());
        row["p99_von_mises_" + p.name + "_Pa"] = fmt(v.vm[label].histogram.quantile(0.99));
        row["max_von_mises_" + p.name + "_Pa"] = fmt(v.vm[label].max);
        row["mean_det_F_" + p.name]            = fmt(v.jac[label].mean());
        row["max_plastic_strain_" + p.name]    = fmt(mp);
        if (const auto warning = limits_.check(p.name, v.vm[label].histogram.quantile(0.99), row))
          ctx_.warn(*warning);
      }
    for (const auto &pair : model_.table->solid_pairs())
      {
        const auto it = interfaces.contact_area.find(pair);
        row["contact_area_" + model_.mech_phases.at(pair.first).name + "_" +
            model_.mech_phases.at(pair.second).name + "_m2"] =
          fmt(it == interfaces.contact_area.end() ? 0. : it->second);
      }
  }

  void ProtocolRecorder::add_plating_columns(Row &row, const ProtocolState &st, Volumes &v,
                                             const InterfaceSummary &interfaces,
                                             const double li_alloy,
                                             const std::vector<CellStress> &stress) const
  {
    const PlatingSite &site     = *model_.plating;
    const MPI_Comm     comm     = model_.comm;
    const double       v_plated = st.plated * site.spec.molar_volume;
    row["plated_li_mol"]         = fmt(st.plated);
    row["plated_li_volume_m3"]   = fmt(v_plated);
    row["plated_li_thickness_m"] = fmt(v_plated / model_.top_area);
    row["li_in_alloy_mol"]       = fmt(li_alloy);
    // C/m2 -> mAh/cm2: / 3.6e4
    row["areal_charge_mAh_per_cm2"] = fmt(st.li_passed * faraday / model_.top_area / 3.6e4);
    v.layer_volume        = Utilities::MPI::sum(v.layer_volume, comm);
    v.layer_pores         = Utilities::MPI::sum(v.layer_pores, comm);
    row["layer_porosity"] = fmt(v.layer_volume > 0. ? v.layer_pores / v.layer_volume : 0.);
    double layer_sep = 0.;
    for (const auto &[pair, area] : interfaces.contact_area)
      if ((static_cast<int>(pair.first) == site.separator_label &&
           site.layer_solids.count(pair.second)) ||
          (static_cast<int>(pair.second) == site.separator_label &&
           site.layer_solids.count(pair.first)))
        layer_sep += area;
    row["contact_area_layer_separator_m2"] = fmt(layer_sep);
    const SiteContact sc = site.contact(model_.tria, stress, model_.image.voxel_size, comm);
    row["contact_area_layer_li_m2"]     = fmt(sc.layer);
    row["lost_area_layer_li_m2"]        = fmt(sc.layer_lost);
    row["contact_area_li_collector_m2"] = fmt(sc.collector);
    row["lost_area_li_collector_m2"]    = fmt(sc.collector_lost);
    v.vm_layer.reduce(comm);
    v.vm_separator.reduce(comm);
    auto p99 = [](const PhaseAccumulator &a) {
      return a.count > 0. ? a.histogram.quantile(0.99) : 0.;
    };
    auto max = [](const PhaseAccumulator &a) { return a.count > 0. ? a.max : 0.; };
    row["p99_von_mises_layer_Pa"]     = fmt(p99(v.vm_layer));
    row["max_von_mises_layer_Pa"]     = fmt(max(v.vm_layer));
    row["p99_von_mises_separator_Pa"] = fmt(p99(v.vm_separator));
    row["max_von_mises_separator_Pa"] = fmt(max(v.vm_separator));
  }

  void ProtocolRecorder::write_fields(const ProtocolState &st,
                                      const std::vector<CellStress> &stress,
                                      const std::vector<double> &det_f,
                                      const std::vector<double> &eps_p,
                                      const PolygonPiece *interface_piece)
  {
    const auto               &tria = model_.tria;
    const std::vector<double> &x   = model_.li->cell_x();
    std::vector<double>        concentration(tria.n_active_cells(), 0.);
    for (const auto &cell : tria.active_cell_iterators())
      if (cell->is_locally_owned() && model_.active.count(cell->material_id()))
        concentration[cell->active_cell_index()] =
          x[cell->active_cell_index()] * model_.active.at(cell->material_id()).c_max;
    // Volume change J - 1 (tr eps of a steps run to first order).
    std::vector<double> volumetric(det_f.size());
    for (std::size_t c = 0; c < det_f.size(); ++c)
      volumetric[c] = det_f[c] - 1.;
    CellFields fields;
    fields.stress            = &stress;
    fields.volumetric_strain = &volumetric;
    fields.local_porosity    = local_porosity_.empty() ? nullptr : &local_porosity_;
    fields.extra  = {{"soc", output_array("soc"), &x},
                     {"li_concentration", output_array("li_concentration"), &concentration},
                     {"det_F", output_array("det_F"), &det_f},
                     {"plastic_strain", output_array("plastic_strain"), &eps_p}};
    std::vector<double> plated_field, damage;
    if (model_.plating)
      {
        plated_field = model_.plating->field(tria.n_active_cells(), st.plated);
        fields.extra.push_back({"plated_li", output_array("plated_li"), &plated_field});
      }
    if (!model_.chemo.interfaces.empty())
      {
        model_.mech->cell_band_state(&damage, nullptr);
        fields.extra.push_back({"interface_damage", output_array("interface_damage"), &damage});
      }
    const UnstructuredPiece piece =
      make_elasticity_piece(owned_voxels(model_.mech->dof_handler(), model_.mech->solution()),
                            fields, model_.config.output.fields, model_.config.output.float32);
    char base[32];
    std::snprintf(base, sizeof base, "%05u", st.increment);
    series.write(base, st.time, piece, interface_piece);
  }

  void ProtocolRecorder::record(ProtocolState &st, const ProtocolStep &ps,
                                const IncrementReport &r)
  {
    ++st.increment;
    const auto                   &mech   = *model_.mech;
    const std::vector<CellStress> stress = mech.cell_cauchy_stress();
    const std::vector<double>     det_f  = mech.cell_jacobian();
    const std::vector<double>     eps_p  = mech.cell_plastic_strain();
    Volumes v = gather(stress, det_f, eps_p, mech.cell_deformed_volume());
    const double uz       = mech.mean_top_displacement();
    const double stack_p  = mech.top_force() / model_.top_area;
    double       li_alloy = 0.;
    for (const auto &[label, a] : model_.active)
      li_alloy += model_.li->total_li(label);
    const double soc      = model_.capacity_mol > 0. ? li_alloy / model_.capacity_mol : 0.;
    const bool   maps     = r.write_fields && model_.config.output.interfaces;
    PolygonPiece interface_piece;
    const std::vector<std::uint8_t> closed = closed_pores(det_f);
    const InterfaceSummary faces = interfaces(stress, closed, maps ? &interface_piece : nullptr);
    const double porosity = v.volume > 0. ? v.pore_volume / v.volume : 0.;
    const double thickness = model_.initial_thickness + uz;

    Row row;
    row["increment"]           = std::to_string(st.increment);
    row["step"]                = std::to_string(st.step + 1);
    row["step_name"]           = ps.name;
    row["time_s"]              = fmt(st.time);
    row["dt_s"]                = fmt(r.dt);
    row["state_of_charge"]     = fmt(soc);
    row["li_total_mol"]        = fmt(li_alloy + st.plated);
    row["li_passed_mol"]       = fmt(st.li_passed);
    row["stack_mode"]          = stack_name(st.stack);
    row["applied_pressure_Pa"] = fmt(st.stack == Stack::displacement ? 0. : st.pressure);
    row["stack_pressure_Pa"]   = fmt(stack_p);
    row["mean_top_displacement_m"] = fmt(uz);
    row["thickness_m"]             = fmt(thickness);
    row["porosity"]                = fmt(porosity);
    row["temperature_K"]           = fmt(model_.temperature);
    add_phase_columns(row, v, faces);
    add_pressed_columns(row, closed, faces);
    add_band_columns(row);
    if (model_.plating)
      add_plating_columns(row, st, v, faces, li_alloy, stress);
    const MechOutcome &mo       = r.mechanics;
    row["newton_iterations"]    = std::to_string(mo.newton);
    row["linear_iterations"]    = std::to_string(mo.linear);
    row["transport_iterations"] = std::to_string(r.transport_iterations);
    row["coupling_passes"]      = std::to_string(r.coupling_passes);
    row["contact_changes"]      = std::to_string(r.contact_changes);
    row["wall_s"]               = fmt(r.wall_seconds);
    if (ctx_.root)
      summary.add_row(row);

    ctx_.timed("output", [&] {
      if (r.write_fields)
        write_fields(st, stress, det_f, eps_p,
                     model_.config.output.interfaces ? &interface_piece : nullptr);
      on_root_or_throw(ctx_.comm, [&] { summary.write(ctx_.result.summary_file); });
    });

    char line[512];
    std::snprintf(line, sizeof line,
                  "[%u] step %zu/%zu '%s': t %s, soc %.4f, stack %.4g MPa, thickness %.6g um, "
                  "porosity %.4f, %u Newton / %u linear its, %.2f s (assembly %.2f, AMG %.2f, "
                  "Krylov %.2f)",
                  st.increment, st.step + 1, model_.chemo.protocol.size(), ps.name.c_str(),
                  format_seconds(st.time).c_str(), soc, stack_p / 1e6, thickness * 1e6,
                  porosity, mo.newton, mo.linear, r.wall_seconds, mo.assemble_s, mo.amg_s,
                  mo.krylov_s);
    ctx_.log(line);
    ctx_.result.final_thickness = thickness;
  }
} // namespace solidanode
