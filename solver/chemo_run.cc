#include <mesh/voxel_io.h>
#include <mesh/voxel_mesh.h>
#include <postprocess/field_output.h>
#include <postprocess/file_utils.h>
#include <postprocess/interfaces.h>
#include <postprocess/statistics.h>
#include <postprocess/summary.h>
#include <solver/chemo_run.h>
#include <solver/finite_strain.h>
#include <solver/li_transport.h>
#include <solver/run_support.h>

#include <deal.II/base/timer.h>
#include <deal.II/grid/grid_tools.h>

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <unordered_map>

namespace solidanode
{
  using namespace dealii;
  namespace fs = std::filesystem;

  namespace
  {
    using Kind = ProtocolStep::Kind;

    constexpr double faraday = 96485.33212; // C/mol

    enum class Stack
    {
      pressure,        ///< constant stack pressure
      fixed_thickness, ///< mean top displacement held; the pressure follows
      displacement     ///< prescribed top displacement (boundary.top: displacement)
    };

    /// Where the protocol is: everything a restart needs besides the fields.
    struct ProtocolState
    {
      std::size_t  step         = 0;     ///< index into the protocol
      bool         step_started = false;
      unsigned int sub          = 0;     ///< load increments done in the step
      unsigned int steps_in_step = 0;    ///< accepted increments in the step
      double       t_step       = 0.;    ///< time spent in the step [s]
      double       time         = 0.;    ///< protocol time [s]
      double       dt           = 0.;    ///< next time step [s]
      Stack        stack        = Stack::pressure;
      double       pressure     = 0.;    ///< current stack pressure (applied) [Pa]
      double       p_start      = 0.;    ///< at the start of the step [Pa]
      double       top          = 0.;    ///< displacement mode: current value [m]
      double       top_start    = 0.;
      double       u_target     = 0.;    ///< fixed thickness: mean top displacement [m]
      double       compliance   = 0.;    ///< -d(mean u_z)/dp estimate [m/Pa]
      double       li_passed    = 0.;    ///< net Li passed by the current source [mol]
      double       plated       = 0.;    ///< plated Li (chemo.plating) [mol]
      bool         alloy_full   = false; ///< lithiation: the alloy took what it could, now plating
      unsigned int increment    = 0;     ///< accepted increments since the start
      std::map<std::string, double> soc_start; ///< set_soc: x at the step start
    };

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

    std::string stack_name(Stack s)
    {
      return s == Stack::pressure ? "pressure" :
             s == Stack::fixed_thickness ? "fixed_thickness" : "displacement";
    }
  } // namespace

  RunResult run_chemo_case(const CaseConfig &config, const RunOptions &options,
                           MPI_Comm comm)
  {
    const ChemoSpec   &chemo   = *config.chemo;
    const unsigned int rank    = Utilities::MPI::this_mpi_process(comm);
    const unsigned int n_ranks = Utilities::MPI::n_mpi_processes(comm);
    const bool         root    = rank == 0;
    Timer              wall(comm, true);
    std::map<std::string, double> part_seconds;
    auto timed = [&](const std::string &what, const std::function<void()> &f) {
      Timer t(comm, true);
      f();
      part_seconds[what] += t.wall_time();
    };

    RunResult result;
    result.output_directory = options.output_directory.empty() ? config.output.directory :
                                                                 options.output_directory;
    const fs::path out(result.output_directory);
    result.pvd_file     = (out / "solution.pvd").string();
    result.summary_file = (out / "summary.csv").string();
    const std::string checkpoint_file = (out / "checkpoint.json").string();
    const std::string case_hash       = content_hash(read_text(config.file));
    prepare_output_directory(result.output_directory, options.restart, options.overwrite, comm);
    Log log(root, options.quiet, (out / "solidanode.log").string());
    log(solidanode_banner() + " " + utc_now() + ": " +
        (options.restart ? "restarting " : "running ") + config.file + " (chemo-mechanics, " +
        (chemo.kinematics == ChemoSpec::Kinematics::finite ? "finite" : "small") +
        " strain) on " + std::to_string(n_ranks) + " rank(s)");

    // Image and phases.
    VoxelImage image;
    timed("image", [&] { image = acquire_image(config.microstructure, comm); });
    try
      {
        check_image_phases(config, image);
      }
    catch (const std::exception &e)
      {
        throw CollectiveError(e.what());
      }
    const auto   histogram   = image.histogram();
    const double cell_volume = image.voxel_size[0] * image.voxel_size[1] * image.voxel_size[2];
    double       min_solid_E = std::numeric_limits<double>::infinity();
    double       min_solid_K = std::numeric_limits<double>::infinity(); // bulk modulus
    for (const auto &[label, count] : histogram)
      {
        (void)count;
        const auto &m = config.materials.at(image.phase_names.at(label));
        if (m.model != MaterialSpec::Model::pore)
          {
            min_solid_E = std::min(min_solid_E, m.E);
            min_solid_K = std::min(min_solid_K, m.E / (3. * (1. - 2. * m.nu)));
          }
      }
    if (!std::isfinite(min_solid_E))
      throw CollectiveError(config.file + ": the image holds no solid phase, only pores");

    std::map<unsigned int, MechanicalPhase>      mech_phases;
    std::map<unsigned int, ActiveTransportPhase> active;
    std::set<unsigned int>                       electrolyte, pore_labels;
    std::map<unsigned int, double>               phase_volume; // reference [m^3]
    for (const auto &[label, count] : histogram)
      {
        const auto     &m = config.materials.at(image.phase_names.at(label));
        MechanicalPhase p;
        p.name = m.name;
        phase_volume[label] = double(count) * cell_volume;
        if (m.model == MaterialSpec::Model::pore)
          {
            p.E0   = config.solver.pore_stiffness_ratio * min_solid_E;
            p.nu   = 0.;
            p.pore = true;
            p.closure_J    = config.solver.pore_closure;
            p.closure_bulk = min_solid_K;
            pore_labels.insert(label);
          }
        else
          {
            p.E0        = m.E;
            p.nu        = m.nu;
            p.E1        = m.plasticity.E_lithiated;
            p.yield0    = m.plasticity.yield_stress;
            p.yield1    = m.plasticity.yield_stress_lithiated;
            p.hardening = m.plasticity.hardening;
            if (m.creep)
              {
                p.creep_rate     = m.creep->rate_at(chemo.temperature);
                p.creep_stress   = m.creep->stress;
                p.creep_exponent = m.creep->exponent;
              }
          }
        if (m.lithium)
          {
            p.swelling = m.lithium->swelling;
            ActiveTransportPhase a;
            a.name       = m.name;
            a.c_max      = m.lithium->c_max;
            a.D0         = m.lithium->D0;
            a.D_exponent = m.lithium->D_exponent;
            a.Omega      = m.lithium->partial_molar_volume;
            active[label] = a;
          }
        if (m.electrolyte)
          electrolyte.insert(label);
        mech_phases[label] = p;
      }
    // Plating (Li-free anodes, docs/plating.md): the site phase grows along
    // the axis by the plated volume per reference volume, the same in every
    // voxel of the site.
    const PlatingSpec *plating = chemo.plating ? &*chemo.plating : nullptr;
    std::vector<unsigned int> site_cells; // owned and ghost cells of the site
    unsigned int       plating_label = 0;
    double             site_volume   = 0.; // reference volume of the site [m^3]
    std::set<unsigned int> layer_solids, layer_labels;
    int                collector_label = -1, separator_label = -1;
    if (plating)
      {
        bool found = false;
        for (const auto &[label, count] : histogram)
          {
            (void)count;
            const std::string &name = image.phase_names.at(label);
            if (name == plating->phase)
              {
                found         = true;
                plating_label = label;
                site_volume   = phase_volume.at(label);
                mech_phases[label].swelling    = 1.;
                mech_phases[label].growth_axis = plating->axis;
              }
            if (std::find(plating->layer.begin(), plating->layer.end(), name) !=
                plating->layer.end())
              {
                layer_labels.insert(label);
                if (!pore_labels.count(label))
                  layer_solids.insert(label);
              }
            if (name == plating->collector)
              collector_label = static_cast<int>(label);
            if (name == plating->separator)
              separator_label = static_cast<int>(label);
          }
        if (!found)
          throw CollectiveError(plating->where + ": the plating phase '" + plating->phase +
                                "' has no voxel in the image: give the site (a seed film of "
                                "Li metal, e.g. a 'fill: " + plating->phase +
                                "' layer above the collector)");
      }
    auto plated_ratio = [&](double mol) {
      return plating ? mol * plating->molar_volume / site_volume : 0.;
    };
    // Content for the mechanics: x of the alloys, the plated ratio on the site.
    auto mech_x = [&](const std::vector<double> &x_li, double plated_mol) {
      if (!plating)
        return x_li;
      std::vector<double> x = x_li;
      const double        r = plated_ratio(plated_mol);
      for (const unsigned int c : site_cells)
        x[c] = r;
      return x;
    };

    bool stress_coupling = false;
    double capacity_mol  = 0.; // sum c_max V over the active phases
    for (const auto &[label, a] : active)
      {
        stress_coupling = stress_coupling || a.Omega > 0.;
        capacity_mol += a.c_max * phase_volume.at(label);
      }
    if (config.output.microstructure && root && !options.restart)
      write_vti(image, (out / "microstructure.vti").string());

    // Mesh and solvers.
    parallel::distributed::Triangulation<3> tria(comm);
    VoxelMeshInfo                           mesh_info;
    timed("mesh", [&] { mesh_info = create_voxel_mesh(image, tria); });
    if (plating)
      for (const auto &cell : tria.active_cell_iterators())
        if (!cell->is_artificial() && cell->material_id() == plating_label)
          site_cells.push_back(cell->active_cell_index());
    std::unique_ptr<FiniteStrainSolver> mech;
    std::unique_ptr<LiTransport>        li;
    timed("setup", [&] {
      NewtonSettings newton;
      newton.relative_tolerance = chemo.newton_rtol;
      // ... or an absolute force: newton_rtol x (1 MPa on every voxel face),
      // as an l2 norm over all DoFs. Without it, steps that change little
      // (rest, hold) start from a tiny residual and iterate to rtol of it.
      const double n_dofs_estimate =
        3. * double(image.dims[0] + 1) * double(image.dims[1] + 1) * double(image.dims[2] + 1);
      newton.absolute_tolerance = chemo.newton_rtol * 1e6 * image.voxel_size[0] *
                                  image.voxel_size[1] * std::sqrt(n_dofs_estimate);
      newton.max_iterations     = chemo.newton_max_iterations;
      newton.verbose     = std::getenv("SOLIDANODE_NEWTON_VERBOSE") != nullptr;
      // Extrapolated starts pay off for plating and creep (3 instead of 7-16
      // Newton iterations); for swelling Si they cost ~20 % more.
      newton.extrapolate = plating != nullptr ||
                           std::any_of(mech_phases.begin(), mech_phases.end(), [](const auto &p) {
                             return p.second.creep_rate > 0.;
                           });
      mech = std::make_unique<FiniteStrainSolver>(
        tria, mech_phases, config.boundary.sides, config.boundary.top,
        chemo.kinematics == ChemoSpec::Kinematics::finite ? Kinematics::finite :
                                                            Kinematics::small,
        config.solver.linear, newton);
      if (config.solver.mean_dilatation) // finite kinematics only (checked at input)
        mech->set_mean_dilatation(true);
      TransportSettings ts;
      ts.area_correction = chemo.area_correction;
      li = std::make_unique<LiTransport>(tria, active, electrolyte, chemo.temperature, ts);
    });
    for (const auto &[label, a] : active)
      li->set_uniform(label, config.materials.at(a.name).lithium->initial_soc);
    result.n_cells = tria.n_global_active_cells();
    result.n_dofs  = mech->n_dofs();
    const double initial_thickness = image.extent()[2];
    const double top_area          = image.extent()[0] * image.extent()[1];
    log("solidanode: " + std::to_string(image.dims[0]) + "x" + std::to_string(image.dims[1]) +
        "x" + std::to_string(image.dims[2]) + " voxels, " + std::to_string(result.n_dofs) +
        " displacement DoFs, " + std::to_string(active.size()) + " active phase(s), " +
        std::to_string(chemo.protocol.size()) + " protocol steps");

    // Summary columns.
    std::vector<std::string> columns = {
      "increment", "step", "step_name", "time_s", "dt_s", "state_of_charge", "li_total_mol",
      "li_passed_mol", "stack_mode", "applied_pressure_Pa", "stack_pressure_Pa",
      "mean_top_displacement_m", "thickness_m", "porosity"};
    for (const auto &[label, a] : active)
      {
        (void)label;
        for (const std::string &c :
             {"state_of_charge_" + a.name, "interface_area_" + a.name + "_m2",
              "interface_area_in_contact_" + a.name + "_m2"})
          columns.push_back(c);
      }
    for (const auto &[label, p] : mech_phases)
      {
        (void)label;
        for (const std::string &c :
             {"mean_hydrostatic_stress_" + p.name + "_Pa", "mean_von_mises_" + p.name + "_Pa",
              "p99_von_mises_" + p.name + "_Pa", "max_von_mises_" + p.name + "_Pa",
              "mean_det_F_" + p.name, "max_plastic_strain_" + p.name})
          columns.push_back(c);
      }
    std::vector<std::pair<unsigned int, unsigned int>> solid_pairs;
    for (const auto &[a, pa] : mech_phases)
      for (const auto &[b, pb] : mech_phases)
        if (a < b && !pa.pore && !pb.pore)
          {
            solid_pairs.emplace_back(a, b);
            columns.push_back("contact_area_" + pa.name + "_" + pb.name + "_m2");
          }
    if (plating)
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
    CsvTable     summary(columns);
    OutputSeries series(result.output_directory, config.output, comm);

    ProtocolState st;
    std::string   state_note; // what the checkpoint says about the fields

    // Checkpoint: checkpoint.json (rank 0) + one binary file per rank with
    // the state of its cells, keyed by voxel, so a restart may use any
    // number of ranks. The json is written last and names the generation.
    auto voxel_key = [&](const Triangulation<3>::cell_iterator &cell) {
      const auto ijk = voxel_of(image, cell->center());
      return static_cast<unsigned long long>(ijk[0] +
                                             image.dims[0] * (ijk[1] + image.dims[1] * ijk[2]));
    };
    unsigned int checkpoint_generation = 0;
    auto write_checkpoint = [&]() {
      ++checkpoint_generation;
      char name[96];
      std::snprintf(name, sizeof name, "checkpoint_g%06u_r%05u.bin", checkpoint_generation,
                    rank);
      {
        std::string bytes;
        for (const auto &cell : tria.active_cell_iterators())
          if (cell->is_locally_owned())
            {
              const auto m = mech->pack_cell_state(cell);
              const auto t = li->pack_cell_state(cell);
              const unsigned long long key = voxel_key(cell);
              const unsigned long long nm = m.size(), nt = t.size();
              bytes.append(reinterpret_cast<const char *>(&key), sizeof key);
              bytes.append(reinterpret_cast<const char *>(&nm), sizeof nm);
              bytes.append(reinterpret_cast<const char *>(&nt), sizeof nt);
              bytes.append(reinterpret_cast<const char *>(m.data()), nm * sizeof(double));
              bytes.append(reinterpret_cast<const char *>(t.data()), nt * sizeof(double));
            }
        atomic_write_text((out / name).string(), bytes);
      }
      MPI_Barrier(comm);
      if (root)
        {
          Json state = Json::object();
          state["case_hash"]   = case_hash;
          state["generation"]  = checkpoint_generation;
          state["ranks"]       = n_ranks;
          state["increment"]   = st.increment;
          state["step"]        = static_cast<unsigned long long>(st.step);
          state["step_started"] = st.step_started;
          state["sub"]         = st.sub;
          state["steps_in_step"] = st.steps_in_step;
          state["t_step"]      = st.t_step;
          state["time"]        = st.time;
          state["dt"]          = st.dt;
          state["stack"]       = stack_name(st.stack);
          state["pressure"]    = st.pressure;
          state["p_start"]     = st.p_start;
          state["top"]         = st.top;
          state["top_start"]   = st.top_start;
          state["u_target"]    = st.u_target;
          state["compliance"]  = st.compliance;
          state["li_passed"]   = st.li_passed;
          state["plated"]      = st.plated;
          state["alloy_full"]  = st.alloy_full;
          state["soc_start"]   = Json::object();
          for (const auto &[k, v] : st.soc_start)
            state["soc_start"][k] = v;
          series.to_json(state);
          atomic_write_text(checkpoint_file, state.dump());
          // Older generations are now unreferenced.
          for (const auto &entry : fs::directory_iterator(out))
            {
              const std::string n = entry.path().filename().string();
              unsigned int      g = 0;
              if (std::sscanf(n.c_str(), "checkpoint_g%u_r", &g) == 1 &&
                  g != checkpoint_generation)
                fs::remove(entry.path());
            }
        }
    };

    if (options.restart)
      {
        std::string text;
        on_root_or_throw(comm, [&] { text = read_text(checkpoint_file); });
        text = Utilities::MPI::broadcast(comm, text, 0);
        unsigned int saved_ranks = 0;
        try
          {
            const YAML::Node s = YAML::Load(text);
            if (s["case_hash"].as<std::string>() != case_hash)
              throw CollectiveError("cannot restart: the case file " + config.file +
                                    " changed since the checkpoint in " +
                                    result.output_directory);
            checkpoint_generation = s["generation"].as<unsigned int>();
            saved_ranks           = s["ranks"].as<unsigned int>();
            st.increment          = s["increment"].as<unsigned int>();
            st.step               = s["step"].as<std::size_t>();
            st.step_started       = s["step_started"].as<bool>();
            st.sub                = s["sub"].as<unsigned int>();
            st.steps_in_step      = s["steps_in_step"].as<unsigned int>();
            st.t_step             = s["t_step"].as<double>();
            st.time               = s["time"].as<double>();
            st.dt                 = s["dt"].as<double>();
            const std::string stack = s["stack"].as<std::string>();
            st.stack = stack == "pressure" ? Stack::pressure :
                       stack == "fixed_thickness" ? Stack::fixed_thickness :
                                                    Stack::displacement;
            st.pressure   = s["pressure"].as<double>();
            st.p_start    = s["p_start"].as<double>();
            st.top        = s["top"].as<double>();
            st.top_start  = s["top_start"].as<double>();
            st.u_target   = s["u_target"].as<double>();
            st.compliance = s["compliance"].as<double>();
            st.li_passed  = s["li_passed"].as<double>();
            st.plated     = s["plated"].as<double>();
            st.alloy_full = s["alloy_full"].as<bool>();
            for (const auto &e : s["soc_start"])
              st.soc_start[e.first.as<std::string>()] = e.second.as<double>();
            series.from_yaml(s);
          }
        catch (const YAML::Exception &e)
          {
            throw CollectiveError("cannot restart: checkpoint '" + checkpoint_file +
                                  "' is unreadable: " + e.what());
          }
        // Every rank reads every state file and keeps its own cells.
        std::unordered_map<unsigned long long, Triangulation<3>::active_cell_iterator> mine;
        for (const auto &cell : tria.active_cell_iterators())
          if (cell->is_locally_owned())
            mine.emplace(voxel_key(cell), cell);
        std::size_t restored = 0;
        std::string error;
        for (unsigned int r = 0; r < saved_ranks && error.empty(); ++r)
          {
            char name[96];
            std::snprintf(name, sizeof name, "checkpoint_g%06u_r%05u.bin",
                          checkpoint_generation, r);
            const std::string bytes = read_text((out / name).string());
            std::size_t       pos   = 0;
            auto take = [&](void *dst, std::size_t n) {
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
                    error = std::string("cannot restart: '") + name + "' is truncated or corrupt";
                    break;
                  }
                std::vector<double> m(nm), t(nt);
                if (!take(m.data(), nm * sizeof(double)) || !take(t.data(), nt * sizeof(double)))
                  {
                    error = std::string("cannot restart: '") + name + "' is truncated";
                    break;
                  }
                const auto it = mine.find(key);
                if (it == mine.end())
                  continue;
                mech->unpack_cell_state(it->second, m);
                li->unpack_cell_state(it->second, t);
                ++restored;
              }
          }
        const unsigned int n_errors = Utilities::MPI::sum(error.empty() ? 0u : 1u, comm);
        if (n_errors > 0)
          throw CollectiveError(error.empty() ? "cannot restart: a checkpoint file is corrupt" :
                                                error);
        if (Utilities::MPI::sum(restored, comm) != tria.n_global_active_cells())
          throw CollectiveError("cannot restart: the checkpoint in " + result.output_directory +
                                " does not cover every voxel (other image?)");
        mech->finish_unpack();
        li->finish_unpack();
        restore_summary_rows(summary, result.summary_file, st.increment, comm);
        log("solidanode: continuing after increment " + std::to_string(st.increment) +
            " (protocol step " + std::to_string(st.step + 1) + ", t = " +
            format_seconds(st.time) + ")");
      }

    Json record = run_record(n_ranks, st.increment);
    record["model"]                = "chemo-mechanics";
    record["mesh"]["cells"]        = static_cast<unsigned long long>(result.n_cells);
    record["mesh"]["dofs"]         = static_cast<unsigned long long>(result.n_dofs);
    record["mesh"]["coarse_cells"] = static_cast<unsigned long long>(mesh_info.n_coarse_cells);
    record["mesh"]["refinements"]  = mesh_info.n_refinements;
    record["case_file"]            = config.file;
    record["case_hash"]            = case_hash;
    record["kinematics"] = chemo.kinematics == ChemoSpec::Kinematics::finite ? "finite" : "small";
    record["temperature_K"]        = chemo.temperature;
    record["capacity_mol"]         = capacity_mol;
    record["capacity_mAh"]         = capacity_mol * faraday / 3.6;
    for (const auto &[label, a] : active)
      {
        Json &e = record["active_phases"][a.name];
        e["label"]               = label;
        e["c_max_mol_per_m3"]    = a.c_max;
        e["D0_m2_per_s"]         = a.D0;
        e["D_exponent"]          = a.D_exponent;
        e["partial_molar_volume_m3_per_mol"] = a.Omega;
        e["swelling"]            = mech_phases.at(label).swelling;
        e["volume_m3"]           = phase_volume.at(label);
      }
    if (plating)
      {
        record["plating"]["phase"]          = plating->phase;
        record["plating"]["label"]          = plating_label;
        record["plating"]["site_volume_m3"] = site_volume;
        record["plating"]["molar_volume_m3_per_mol"] = plating->molar_volume;
        record["plating"]["growth_axis"]    = plating->axis;
        record["plating"]["alloy_until"]    = plating->alloy_until;
      }
    record["status"] = "running";
    if (root)
      atomic_write_text((out / "run.json").string(), record.dump());

    // ---------------------------------------------------------------------
    // One mechanical solve at the current stack condition with content x.
    // Fixed thickness: the stack pressure is found by a secant iteration on
    // mean u_z(p) = u_target (the piston cannot pull: p >= 0).
    struct MechOutcome
    {
      bool         converged = false;
      unsigned int newton = 0, linear = 0;
      double       assemble_s = 0., amg_s = 0., krylov_s = 0.;
      std::string  failure; ///< of the last Newton solve that failed
      void add(const MechOutcome &o)
      {
        newton += o.newton;
        linear += o.linear;
        assemble_s += o.assemble_s;
        amg_s += o.amg_s;
        krylov_s += o.krylov_s;
      }
    };
    const double u_tolerance = 1e-4 * image.voxel_size[2];
    auto solve_mechanics = [&](const std::vector<double> &x, double p_or_top) {
      MechOutcome outcome;
      auto once = [&](double value) {
        const NewtonStatistics s = mech->solve(value, x);
        outcome.newton += s.iterations;
        outcome.linear += s.linear_iterations;
        outcome.assemble_s += s.assemble_seconds + s.residual_seconds;
        outcome.amg_s += s.setup_seconds;
        outcome.krylov_s += s.solve_seconds;
        if (!s.converged)
          outcome.failure = s.failure;
        return s.converged;
      };
      if (st.stack != Stack::fixed_thickness)
        {
          outcome.converged = once(p_or_top);
          return std::make_pair(outcome, p_or_top);
        }
      double p0 = st.pressure;
      if (!once(p0))
        return std::make_pair(outcome, p0);
      double g0 = mech->mean_top_displacement() - st.u_target;
      if (std::abs(g0) <= u_tolerance)
        {
          outcome.converged = true;
          return std::make_pair(outcome, p0);
        }
      double c = st.compliance; // -du/dp > 0
      for (unsigned int k = 0; k < 12; ++k)
        {
          double p1 = std::max(0., p0 + g0 / c);
          if (p1 == p0) // p = 0 and still short of the target: the piston lifts off
            {
              outcome.converged = true;
              return std::make_pair(outcome, p0);
            }
          if (!once(p1))
            return std::make_pair(outcome, p1);
          const double g1 = mech->mean_top_displacement() - st.u_target;
          if (std::abs(g1) <= u_tolerance || (p1 == 0. && g1 > 0.))
            {
              if (p1 != p0 && std::abs(g1 - g0) > 0.)
                st.compliance = std::max(1e-30, -(g1 - g0) / (p1 - p0));
              outcome.converged = true;
              return std::make_pair(outcome, p1);
            }
          if (std::abs(g1 - g0) > 0. && -(g1 - g0) / (p1 - p0) > 0.)
            c = -(g1 - g0) / (p1 - p0);
          p0 = p1;
          g0 = g1;
        }
      return std::make_pair(outcome, p0); // not converged
    };

    // Plating site faces shared with the layer solids and with the
    // collector: in contact unless the normal stress across the face (mean
    // of the two voxels, reference face area) exceeds the interface strength.
    struct SiteContact
    {
      double layer = 0., layer_lost = 0., collector = 0., collector_lost = 0.;
    };
    auto site_contact = [&](const std::vector<CellStress> &stress) {
      SiteContact sc;
      // Voigt order xx yy zz yz xz xy: the normal component of face f is f / 2.
      const double area[3] = {image.voxel_size[1] * image.voxel_size[2],
                              image.voxel_size[0] * image.voxel_size[2],
                              image.voxel_size[0] * image.voxel_size[1]};
      for (const auto &cell : tria.active_cell_iterators())
        if (cell->is_locally_owned() && cell->material_id() == plating_label)
          for (unsigned int f = 0; f < 6; ++f)
            {
              if (cell->at_boundary(f))
                continue;
              const auto         nb = cell->neighbor(f);
              const unsigned int id = nb->material_id();
              const bool to_layer   = layer_solids.count(id) > 0;
              const bool to_coll    = static_cast<int>(id) == collector_label;
              if (!to_layer && !to_coll)
                continue;
              const unsigned int d  = f / 2;
              const double       tn = 0.5 * (stress[cell->active_cell_index()][d] +
                                             stress[nb->active_cell_index()][d]);
              const bool lost = tn > plating->interface_strength;
              (to_layer ? (lost ? sc.layer_lost : sc.layer) :
                          (lost ? sc.collector_lost : sc.collector)) += area[d];
            }
      sc.layer          = Utilities::MPI::sum(sc.layer, comm);
      sc.layer_lost     = Utilities::MPI::sum(sc.layer_lost, comm);
      sc.collector      = Utilities::MPI::sum(sc.collector, comm);
      sc.collector_lost = Utilities::MPI::sum(sc.collector_lost, comm);
      return sc;
    };

    // Statistics, summary row and fields of the accepted state.
    const unsigned int total_steps = static_cast<unsigned int>(chemo.protocol.size());
    Timer              progress_timer(comm, true);
    auto record_increment = [&](const ProtocolStep &ps, double dt, const MechOutcome &mo,
                                unsigned int transport_its, unsigned int passes,
                                unsigned int contact_changes, bool write_fields,
                                double increment_seconds) {
      ++st.increment;
      const std::vector<CellStress> stress = mech->cell_cauchy_stress();
      const std::vector<double>     det_f  = mech->cell_jacobian();
      const std::vector<double>     eps_p  = mech->cell_plastic_strain();
      const std::vector<double>     vol    = mech->cell_deformed_volume();
      const std::vector<double>    &x      = li->cell_x();

      std::map<unsigned int, PhaseAccumulator> vm, hydro, jac;
      std::map<unsigned int, double>           max_eps_p;
      PhaseAccumulator vm_layer, vm_separator; // plating outputs
      double pore_volume = 0., volume = 0., layer_pores = 0., layer_volume = 0.;
      for (const auto &cell : tria.active_cell_iterators())
        if (cell->is_locally_owned())
          {
            const unsigned int i  = cell->active_cell_index();
            const unsigned int id = cell->material_id();
            vm[id].add(von_mises(stress[i]));
            hydro[id].add(hydrostatic(stress[i]));
            jac[id].add(det_f[i]);
            max_eps_p[id] = std::max(max_eps_p[id], eps_p[i]);
            volume += vol[i];
            if (pore_labels.count(id))
              pore_volume += vol[i];
            if (layer_labels.count(id))
              {
                layer_volume += vol[i];
                if (pore_labels.count(id))
                  layer_pores += vol[i];
              }
            if (layer_solids.count(id))
              vm_layer.add(von_mises(stress[i]));
            if (static_cast<int>(id) == separator_label)
              vm_separator.add(von_mises(stress[i]));
          }
      volume      = Utilities::MPI::sum(volume, comm);
      pore_volume = Utilities::MPI::sum(pore_volume, comm);
      const double uz           = mech->mean_top_displacement();
      const double stack_p      = mech->top_force() / top_area;
      double       li_alloy     = 0.;
      std::map<unsigned int, double> soc_phase;
      for (const auto &[label, a] : active)
        {
          const double n = li->total_li(label);
          li_alloy += n;
          soc_phase[label] = n / (a.c_max * phase_volume.at(label));
        }
      const double soc      = capacity_mol > 0. ? li_alloy / capacity_mol : 0.;
      const double li_total = li_alloy + st.plated;

      // Interface states (contact flags, Li flux) per face of owned and
      // ghost cells, for the interface map and the contact areas.
      std::vector<double> face_data(12 * tria.n_active_cells(), 0.);
      for (const auto &f : li->interface_faces())
        {
          face_data[12 * f.cell + f.face]     = f.in_contact ? 0. : 1.;
          face_data[12 * f.cell + 6 + f.face] = f.flux_density;
        }
      exchange_ghosts(tria, face_data, 12);
      std::vector<std::uint8_t> lost(6 * tria.n_active_cells(), 0);
      std::vector<double>       flux(6 * tria.n_active_cells(), 0.);
      for (std::size_t c = 0; c < tria.n_active_cells(); ++c)
        for (unsigned int f = 0; f < 6; ++f)
          {
            lost[6 * c + f] = face_data[12 * c + f] != 0. ? 1 : 0;
            flux[6 * c + f] = face_data[12 * c + 6 + f];
          }
      InterfaceStates states{&lost, &flux};
      PolygonPiece    interface_piece;
      InterfaceSummary interfaces;
      timed("interfaces", [&] {
        interfaces = collect_interfaces(mech->dof_handler(), mech->solution(), stress,
                                        pore_labels, static_cast<unsigned int>(image.dims[2]),
                                        image.origin[2], image.voxel_size[2],
                                        write_fields && config.output.interfaces ?
                                          &interface_piece : nullptr,
                                        &states);
      });

      std::map<std::string, std::string> row;
      row["increment"]   = std::to_string(st.increment);
      row["step"]        = std::to_string(st.step + 1);
      row["step_name"]   = ps.name;
      row["time_s"]      = CsvTable::format(st.time);
      row["dt_s"]        = CsvTable::format(dt);
      row["state_of_charge"] = CsvTable::format(soc);
      row["li_total_mol"]  = CsvTable::format(li_total);
      row["li_passed_mol"] = CsvTable::format(st.li_passed);
      row["stack_mode"]    = stack_name(st.stack);
      row["applied_pressure_Pa"] =
        CsvTable::format(st.stack == Stack::displacement ? 0. : st.pressure);
      row["stack_pressure_Pa"]       = CsvTable::format(stack_p);
      row["mean_top_displacement_m"] = CsvTable::format(uz);
      row["thickness_m"]             = CsvTable::format(initial_thickness + uz);
      row["porosity"] = CsvTable::format(volume > 0. ? pore_volume / volume : 0.);
      for (const auto &[label, a] : active)
        {
          row["state_of_charge_" + a.name] = CsvTable::format(soc_phase.at(label));
          row["interface_area_" + a.name + "_m2"] =
            CsvTable::format(li->interface_area(label, false));
          row["interface_area_in_contact_" + a.name + "_m2"] =
            CsvTable::format(li->interface_area(label, true));
        }
      for (const auto &[label, p] : mech_phases)
        {
          vm[label].reduce(comm);
          hydro[label].reduce(comm);
          jac[label].reduce(comm);
          const double mp = Utilities::MPI::max(max_eps_p[label], comm);
          row["mean_hydrostatic_stress_" + p.name + "_Pa"] = CsvTable::format(hydro[label].mean());
          row["mean_von_mises_" + p.name + "_Pa"] = CsvTable::format(vm[label].mean());
          row["p99_von_mises_" + p.name + "_Pa"] =
            CsvTable::format(vm[label].histogram.quantile(0.99));
          row["max_von_mises_" + p.name + "_Pa"] = CsvTable::format(vm[label].max);
          row["mean_det_F_" + p.name]            = CsvTable::format(jac[label].mean());
          row["max_plastic_strain_" + p.name]    = CsvTable::format(mp);
        }
      for (const auto &pair : solid_pairs)
        {
          const auto it = interfaces.contact_area.find(pair);
          row["contact_area_" + mech_phases.at(pair.first).name + "_" +
              mech_phases.at(pair.second).name + "_m2"] =
            CsvTable::format(it == interfaces.contact_area.end() ? 0. : it->second);
        }
      if (plating)
        {
          const double     v_plated = st.plated * plating->molar_volume;
          row["plated_li_mol"]          = CsvTable::format(st.plated);
          row["plated_li_volume_m3"]    = CsvTable::format(v_plated);
          row["plated_li_thickness_m"]  = CsvTable::format(v_plated / top_area);
          row["li_in_alloy_mol"]        = CsvTable::format(li_alloy);
          // C/m2 -> mAh/cm2: / 3.6e4
          row["areal_charge_mAh_per_cm2"] =
            CsvTable::format(st.li_passed * faraday / top_area / 3.6e4);
          layer_volume = Utilities::MPI::sum(layer_volume, comm);
          layer_pores  = Utilities::MPI::sum(layer_pores, comm);
          row["layer_porosity"] =
            CsvTable::format(layer_volume > 0. ? layer_pores / layer_volume : 0.);
          double layer_sep = 0.;
          for (const auto &[pair, area] : interfaces.contact_area)
            if ((static_cast<int>(pair.first) == separator_label && layer_solids.count(pair.second)) ||
                (static_cast<int>(pair.second) == separator_label && layer_solids.count(pair.first)))
              layer_sep += area;
          row["contact_area_layer_separator_m2"] = CsvTable::format(layer_sep);
          const SiteContact sc = site_contact(stress);
          row["contact_area_layer_li_m2"]     = CsvTable::format(sc.layer);
          row["lost_area_layer_li_m2"]        = CsvTable::format(sc.layer_lost);
          row["contact_area_li_collector_m2"] = CsvTable::format(sc.collector);
          row["lost_area_li_collector_m2"]    = CsvTable::format(sc.collector_lost);
          vm_layer.reduce(comm);
          vm_separator.reduce(comm);
          auto p99 = [](const PhaseAccumulator &a) {
            return a.count > 0. ? a.histogram.quantile(0.99) : 0.;
          };
          row["p99_von_mises_layer_Pa"]     = CsvTable::format(p99(vm_layer));
          row["max_von_mises_layer_Pa"]     = CsvTable::format(vm_layer.count > 0. ? vm_layer.max : 0.);
          row["p99_von_mises_separator_Pa"] = CsvTable::format(p99(vm_separator));
          row["max_von_mises_separator_Pa"] =
            CsvTable::format(vm_separator.count > 0. ? vm_separator.max : 0.);
        }
      row["newton_iterations"]    = std::to_string(mo.newton);
      row["linear_iterations"]    = std::to_string(mo.linear);
      row["transport_iterations"] = std::to_string(transport_its);
      row["coupling_passes"]      = std::to_string(passes);
      row["contact_changes"]      = std::to_string(contact_changes);
      row["wall_s"]               = CsvTable::format(increment_seconds);
      if (root)
        summary.add_row(row);

      timed("output", [&] {
        if (write_fields)
          {
            std::vector<double> concentration(tria.n_active_cells(), 0.);
            for (const auto &cell : tria.active_cell_iterators())
              if (cell->is_locally_owned() && active.count(cell->material_id()))
                concentration[cell->active_cell_index()] =
                  x[cell->active_cell_index()] * active.at(cell->material_id()).c_max;
            CellFields fields;
            fields.stress = &stress;
            fields.extra  = {{"soc", "soc", &x},
                             {"li_concentration", "li_concentration_mol_per_m3", &concentration},
                             {"det_F", "det_F", &det_f},
                             {"plastic_strain", "equivalent_plastic_strain", &eps_p}};
            std::vector<double> plated_field;
            if (plating)
              {
                plated_field.assign(tria.n_active_cells(), 0.);
                for (const unsigned int c : site_cells)
                  plated_field[c] = plated_ratio(st.plated);
                fields.extra.push_back({"plated_li", "plated_li_volume_ratio", &plated_field});
              }
            const UnstructuredPiece piece =
              make_elasticity_piece(mech->dof_handler(), mech->solution(), fields,
                                    config.output.fields, config.output.float32);
            char base[32];
            std::snprintf(base, sizeof base, "%05u", st.increment);
            series.write(base, st.time, piece,
                         config.output.interfaces ? &interface_piece : nullptr);
          }
        if (root)
          summary.write(result.summary_file);
      });

      char line[512];
      std::snprintf(line, sizeof line,
                    "[%u] step %zu/%u '%s': t %s, soc %.4f, stack %.4g MPa, thickness %.6g um, "
                    "porosity %.4f, %u Newton / %u linear its, %.2f s (assembly %.2f, AMG %.2f, "
                    "Krylov %.2f)",
                    st.increment, st.step + 1, total_steps, ps.name.c_str(),
                    format_seconds(st.time).c_str(), soc, stack_p / 1e6,
                    (initial_thickness + uz) * 1e6, volume > 0. ? pore_volume / volume : 0.,
                    mo.newton, mo.linear, increment_seconds, mo.assemble_s, mo.amg_s,
                    mo.krylov_s);
      log(line);
      result.final_thickness = initial_thickness + uz;
    };

    auto fail = [&](const ProtocolStep &ps, const std::string &why) {
      if (st.increment > 0)
        write_checkpoint();
      char where[300];
      std::snprintf(where, sizeof where, " in protocol step %zu '%s' (%s) at t = %s, stack %s %.4g MPa",
                    st.step + 1, ps.name.c_str(), ps.where.c_str(),
                    format_seconds(st.time).c_str(), stack_name(st.stack).c_str(),
                    st.pressure / 1e6);
      log("solidanode: " + why + where);
      throw CollectiveError(why + where + ". Results up to increment " +
                            std::to_string(st.increment) + " are complete in " +
                            result.output_directory +
                            (st.increment > 0 ? " (checkpoint written; --restart continues)" : "") +
                            ".");
    };

    // ---------------------------------------------------------------------
    // The protocol.
    const double       hour     = 3600.;
    unsigned int       run_count = 0;
    bool               stopped   = false;
    std::vector<double> x_trial;
    while (st.step < chemo.protocol.size() && !stopped)
      {
        const ProtocolStep &ps = chemo.protocol[st.step];
        const bool charge = ps.kind == Kind::lithiate || ps.kind == Kind::delithiate;
        const bool galvanostatic = charge && !ps.surface_soc;
        const double sign = ps.kind == Kind::delithiate ? -1. : 1.;
        // Total Li rate of a galvanostatic step [mol/s] (C-rate of the alloy
        // capacity, or current per top area) and the nominal time step.
        const double rate = !galvanostatic      ? 0. :
                            ps.current_density ? sign * *ps.current_density * top_area / faraday :
                                                 sign * ps.c_rate * capacity_mol / hour;
        double dt_soc = 0.;
        if (galvanostatic)
          {
            dt_soc = capacity_mol > 0. ? chemo.max_soc_change * capacity_mol / std::abs(rate) :
                                         std::numeric_limits<double>::infinity();
            if (ps.duration)
              dt_soc = std::min(dt_soc, *ps.duration / 20.);
            if (!std::isfinite(dt_soc)) // no alloy and no duration: until_soc of nothing
              dt_soc = hour / 10.;
          }
        const double dt_span = ps.duration ? *ps.duration : dt_soc > 0. ? dt_soc * 50. : hour;
        const double dt_max  = galvanostatic ? dt_soc : dt_span / 4.;

        if (!st.step_started)
          {
            st.step_started  = true;
            st.sub           = 0;
            st.steps_in_step = 0;
            st.t_step        = 0.;
            st.p_start       = st.pressure;
            st.top_start     = st.top;
            st.alloy_full    = false;
            st.dt = chemo.dt_initial > 0. ? std::min(chemo.dt_initial, dt_max) : dt_max / 4.;
            if (ps.kind == Kind::press)
              st.stack = Stack::pressure;
            else if (ps.pressure)
              st.stack = Stack::pressure;
            else if (ps.fixed_thickness)
              {
                st.stack    = Stack::fixed_thickness;
                st.u_target = mech->mean_top_displacement();
                if (!(st.compliance > 0.))
                  {
                    // First estimate of -du/dp: a solid column of the
                    // volume-mean P-wave modulus; the secant corrects it.
                    double m = 0., v = 0.;
                    for (const auto &[label, p] : mech_phases)
                      if (!p.pore)
                        {
                          const double nu = p.nu;
                          m += phase_volume.at(label) * p.E0 * (1. - nu) /
                               ((1. + nu) * (1. - 2. * nu));
                          v += phase_volume.at(label);
                        }
                    st.compliance = initial_thickness / (m / v);
                  }
              }
            else if (ps.top_displacement)
              st.stack = Stack::displacement;
            if (ps.kind == Kind::set_soc)
              {
                st.soc_start.clear();
                for (const auto &[label, a] : active)
                  st.soc_start[a.name] = li->mean_x(label);
              }
            log("solidanode: protocol step " + std::to_string(st.step + 1) + "/" +
                std::to_string(total_steps) + " '" + ps.name + "' (" +
                protocol_kind_name(ps.kind) + "), stack " + stack_name(st.stack));
          }

        Timer        increment_timer(comm, true);
        MechOutcome  mo;
        unsigned int transport_its = 0, passes = 0, contact_changes = 0;
        bool         step_done = false;
        double       dt_taken  = 0.;

        if (ps.kind == Kind::press || ps.kind == Kind::set_soc)
          {
            // Load increments: press ramps up to the peak and down to
            // release_to; set_soc ramps x. A failed increment is split.
            const unsigned int n_up   = ps.increments;
            const unsigned int n_down = ps.kind == Kind::press && ps.release_to < *ps.pressure ?
                                          ps.increments : 0;
            auto target_at = [&](double s) { // s in [0, n_up + n_down]
              if (ps.kind == Kind::set_soc)
                return std::min(1., s / n_up);
              if (s <= n_up)
                return st.p_start + (*ps.pressure - st.p_start) * s / n_up;
              return *ps.pressure + (ps.release_to - *ps.pressure) * (s - n_up) / n_down;
            };
            double s_from = st.sub, s_to = st.sub + 1.;
            while (true)
              {
                const double value = target_at(s_to);
                bool         ok    = false;
                mech->set_time_step(0.); // quasi-static: no creep
                if (ps.kind == Kind::press)
                  {
                    const auto [o, p] = solve_mechanics(mech_x(li->cell_x(), st.plated), value);
                    mo.add(o);
                    ok = o.converged;
                    if (ok)
                      st.pressure = p;
                  }
                else
                  {
                    for (const auto &[label, a] : active)
                      {
                        const auto it = ps.soc.find(a.name);
                        if (it == ps.soc.end())
                          continue;
                        const double from = st.soc_start.at(a.name);
                        li->set_uniform(label, from + (it->second - from) * value);
                      }
                    const auto [o, p] = solve_mechanics(
                      mech_x(li->cell_x(), st.plated),
                      st.stack == Stack::displacement ? st.top : st.pressure);
                    mo.add(o);
                    ok = o.converged;
                    if (ok)
                      st.pressure = p;
                  }
                if (ok)
                  {
                    mech->commit();
                    li->commit();
                    if (s_to >= st.sub + 1. - 1e-12)
                      break;
                    s_from = s_to;
                    s_to   = st.sub + 1.;
                    continue;
                  }
                mech->revert();
                li->revert();
                if (s_to - s_from < 1. / 64.)
                  fail(ps, "Newton did not converge even with the load increment cut to 1/64");
                s_to = 0.5 * (s_from + s_to);
              }
            ++st.sub;
            step_done = st.sub >= n_up + n_down;
          }
        else
          {
            // Time steps: hold, rest, lithiate, delithiate.
            const double soc_now = [&] {
              double n = 0.;
              for (const auto &[label, a] : active)
                n += li->total_li(label);
              return capacity_mol > 0. ? n / capacity_mol : 0.;
            }();
            // Where the current goes: the alloying phases, or (chemo.plating)
            // plating once they are full, and stripping of plated Li first.
            enum class Route
            {
              alloy,
              plate,
              strip
            };
            Route route = Route::alloy;
            if (plating && galvanostatic)
              {
                if (sign > 0.)
                  route = st.alloy_full || capacity_mol <= 0. ||
                              soc_now >= plating->alloy_until - 1e-9 ?
                            Route::plate :
                            Route::alloy;
                else if (st.plated > 0.)
                  route = Route::strip;
              }
            TransportSource source;
            if (galvanostatic && route == Route::alloy)
              {
                source.mode                   = SourceMode::galvanostatic;
                source.availability_weighting = chemo.availability_weighting;
                for (const auto &[label, a] : active)
                  source.molar_rate[label] =
                    rate * a.c_max * phase_volume.at(label) / capacity_mol;
              }
            else if (ps.surface_soc)
              {
                source.mode      = SourceMode::potentiostatic;
                source.surface_x = *ps.surface_soc;
              }
            // Plating and stripping are not limited by the alloy's state of
            // charge: at least 20 steps per step duration.
            const double dt_cap = route == Route::alloy || !ps.duration ? dt_max :
                                                                          *ps.duration / 20.;
            double       dt     = std::min(st.dt, dt_cap);
            bool         final_step = false;
            if (ps.duration && st.t_step + dt >= *ps.duration * (1. - 1e-12))
              {
                dt         = *ps.duration - st.t_step;
                final_step = true;
              }
            if (route == Route::strip && std::abs(rate) * dt >= st.plated)
              {
                dt         = st.plated / std::abs(rate); // the last plated Li
                final_step = false;
              }
            if (galvanostatic && ps.until_soc && route == Route::alloy)
              {
                const double t_left = (*ps.until_soc - soc_now) * capacity_mol / rate;
                if (t_left <= 0.)
                  {
                    dt         = 0.;
                    final_step = true;
                  }
                else if (dt >= t_left * (1. - 1e-9))
                  {
                    dt         = t_left;
                    final_step = true;
                  }
              }
            if (plating && route == Route::alloy && sign > 0. && capacity_mol > 0.)
              {
                // End the alloy part exactly at alloy_until, then plate.
                const double t_left = (plating->alloy_until - soc_now) * capacity_mol / rate;
                if (t_left > 0. && dt >= t_left * (1. - 1e-9))
                  {
                    dt         = t_left;
                    final_step = false;
                  }
              }
            if (ps.pressure && st.stack == Stack::pressure)
              st.pressure = *ps.pressure; // hold/charge at a new stack pressure
            if (ps.top_displacement)
              st.top = *ps.top_displacement;
            const double dt_floor = std::max(chemo.dt_min, 1e-9 * dt_span);
            bool         cut_off  = false;
            bool         rerouted = false; // the alloy is full: plate from now on
            double       plated_trial = st.plated;
            while (dt > 0.)
              {
                plated_trial = route == Route::alloy ? st.plated : st.plated + rate * dt;
                if (route == Route::strip && std::abs(rate) * dt >= st.plated * (1. - 1e-12))
                  plated_trial = 0.; // the last of it (dt was cut to end there)
                mech->set_time_step(dt);
                // Staggered passes: transport with the stress of the last
                // pass, then mechanics with the new content.
                std::vector<double> sigma_h;
                auto fill_sigma = [&](const std::vector<CellStress> &s) {
                  sigma_h.assign(s.size(), 0.);
                  for (std::size_t i = 0; i < s.size(); ++i)
                    sigma_h[i] = hydrostatic(s[i]);
                };
                if (stress_coupling)
                  fill_sigma(mech->cell_cauchy_stress());
                bool        ok = true;
                std::string why;
                double      p_new = st.pressure;
                passes            = 0;
                mo                = MechOutcome();
                transport_its     = 0;
                cut_off           = false; // of this attempt
                for (unsigned int pass = 0; pass < chemo.coupling_iterations; ++pass)
                  {
                    ++passes;
                    const TransportStepStatistics ts =
                      li->step(dt, source, stress_coupling ? &sigma_h : nullptr);
                    transport_its += ts.iterations;
                    if (!ts.converged)
                      {
                        ok  = false;
                        why = ts.message;
                        break;
                      }
                    if (!ts.in_range && charge)
                      {
                        ok      = false;
                        cut_off = true;
                        why     = "x left [0, 1] (surface saturated, or Li driven by stress gradients)";
                        break;
                      }
                    const std::vector<double> x_pass = li->cell_x();
                    // Converged passes: the content moved by less than the
                    // tolerance under the updated stress, so the mechanics
                    // of the previous pass stands (it lags by at most
                    // coupling_tolerance in x) and is not solved again.
                    if (pass > 0)
                      {
                        double change = 0.;
                        for (std::size_t i = 0; i < x_pass.size(); ++i)
                          change = std::max(change, std::abs(x_pass[i] - x_trial[i]));
                        if (Utilities::MPI::max(change, comm) <= chemo.coupling_tolerance)
                          break;
                      }
                    const auto [o, p] = solve_mechanics(
                      mech_x(x_pass, plated_trial),
                      st.stack == Stack::displacement ? st.top : st.pressure);
                    mo.add(o);
                    if (!o.converged)
                      {
                        ok  = false;
                        why = "mechanics: " + o.failure;
                        break;
                      }
                    p_new = p;
                    if (!stress_coupling)
                      break;
                    x_trial = x_pass;
                    fill_sigma(mech->cell_cauchy_stress());
                  }
                x_trial.clear();
                if (ok)
                  {
                    mech->commit();
                    li->commit();
                    st.pressure = p_new;
                    st.plated   = plated_trial;
                    if (galvanostatic)
                      st.li_passed += rate * dt;
                    break;
                  }
                mech->revert();
                li->revert();
                log("solidanode: step of " + format_seconds(dt) + " rejected (" + why +
                    "); trying " + format_seconds(0.5 * dt));
                dt *= 0.5;
                final_step = false;
                if (dt < dt_floor)
                  {
                    if (cut_off && plating && sign > 0.)
                      {
                        // The alloy takes no more: the current plates Li.
                        log("solidanode: the alloying phases are full in step '" + ps.name +
                            "' (soc " + std::to_string(soc_now) + "); plating from now on");
                        st.alloy_full = true;
                        rerouted      = true;
                        dt            = 0.;
                        break;
                      }
                    if (cut_off)
                      {
                        // Like a voltage cut-off: the surface is saturated
                        // (lithiation) or empty (delithiation); end the step.
                        log("solidanode: cut-off in step '" + ps.name +
                            "': the surface content reached its limit; moving on");
                        dt = 0.;
                        break;
                      }
                    fail(ps, why + " and the time step fell below " +
                               format_seconds(dt_floor) + " (chemo.dt_min)");
                  }
              }
            dt_taken = dt;
            if (dt > 0.)
              {
                st.t_step += dt;
                st.time += dt;
                // Contact: lost under tension, regained under compression,
                // from the accepted stresses; acts from the next step on.
                if (std::isfinite(chemo.tensile_strength) || chemo.regain_pressure > 0.)
                  {
                    contact_changes = li->update_contact(mech->cell_cauchy_stress(),
                                                         chemo.tensile_strength,
                                                         chemo.regain_pressure);
                    li->commit();
                  }
                // Next step: grow when easy, keep within the limits.
                const double grow = mo.newton <= 6 * passes ? 1.5 : 1.;
                st.dt = std::min(dt_cap, std::max(st.dt, dt) * grow);
              }
            step_done = (final_step || dt == 0.) && !rerouted; // dt = 0: reached, or cut off
          }

        if (dt_taken > 0. || ps.kind == Kind::press || ps.kind == Kind::set_soc)
          {
            ++st.steps_in_step;
            const bool write_fields =
              st.steps_in_step % ps.output_every == 0 || step_done;
            record_increment(ps, dt_taken, mo, transport_its, passes, contact_changes,
                             write_fields, increment_timer.wall_time());
            ++run_count;
          }
        if (step_done)
          {
            ++st.step;
            st.step_started = false;
          }

        const bool signal    = checkpoint_signal_pending(comm);
        const bool chunk_end = options.max_increments > 0 && run_count >= options.max_increments;
        const bool interval  = config.output.checkpoint_every > 0 &&
                              st.increment % config.output.checkpoint_every == 0;
        const bool finished  = st.step >= chemo.protocol.size();
        if (signal || chunk_end || interval || finished)
          timed("checkpoint", [&] { write_checkpoint(); });
        if ((signal || chunk_end) && !finished)
          {
            log("solidanode: stopped after increment " + std::to_string(st.increment) +
                (signal ? " on a signal" : "") + "; checkpoint written, continue with --restart");
            stopped = true;
          }
      }
    (void)progress_timer;
    result.n_increments = st.increment;
    result.completed    = !stopped;
    record["status"]         = stopped ? "stopped (checkpoint written)" : "finished";
    record["finished_utc"]   = utc_now();
    record["wall_seconds"]   = wall.wall_time();
    record["increments_run"] = run_count;
    record["protocol_time_s"] = st.time;
    for (const auto &[what, seconds] : part_seconds)
      record["wall_seconds_by_part"][what] = seconds;
    if (root)
      atomic_write_text((out / "run.json").string(), record.dump());
    log("solidanode: " + std::string(stopped ? "stopped" : "done") + " in " +
        format_seconds(wall.wall_time()) + "; open " + result.pvd_file +
        " in ParaView; table " + result.summary_file);
    return result;
  }
} // namespace solidanode
