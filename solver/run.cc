#include <mesh/sphere_generator.h>
#include <mesh/voxel_io.h>
#include <mesh/voxel_mesh.h>
#include <postprocess/field_output.h>
#include <postprocess/file_utils.h>
#include <postprocess/summary.h>
#include <postprocess/vtk_writer.h>
#include <solver/elasticity.h>
#include <solver/run.h>

#include <deal.II/base/mpi.h>
#include <deal.II/base/timer.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <limits>
#include <sstream>

namespace solidanode
{
  using namespace dealii;
  namespace fs = std::filesystem;

  namespace
  {
    /// Run @p f on rank 0; if it throws, every rank throws the same message.
    template <typename F>
    void on_root_or_throw(MPI_Comm comm, F &&f)
    {
      std::string error;
      if (Utilities::MPI::this_mpi_process(comm) == 0)
        {
          try
            {
              f();
            }
          catch (const std::exception &e)
            {
              error = e.what();
              if (error.empty())
                error = "unknown error";
            }
        }
      error = Utilities::MPI::broadcast(comm, error, 0);
      if (!error.empty())
        throw CollectiveError(error);
    }

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

    std::string phase_column(const std::string &what, const std::string &phase,
                             const std::string &unit)
    {
      return what + "_" + phase + (unit.empty() ? "" : "_" + unit);
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
          case MicrostructureSpec::Source::vti:
            image = read_vti(spec.file);
            break;
          case MicrostructureSpec::Source::raw:
            image = read_raw(spec.file, spec.dims, spec.voxel_size, spec.origin,
                             spec.phase_names);
            break;
        }
      for (const auto &[label, name] : spec.phase_names)
        image.phase_names[label] = name;
      image.validate(spec.source == MicrostructureSpec::Source::generate ?
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
    const unsigned int rank    = Utilities::MPI::this_mpi_process(comm);
    const unsigned int n_ranks = Utilities::MPI::n_mpi_processes(comm);
    const bool         talk    = rank == 0 && !options.quiet;
    Timer              wall(comm, true);

    RunResult result;
    result.output_directory = options.output_directory.empty() ?
                                config.output.directory :
                                options.output_directory;
    const fs::path out(result.output_directory);
    result.pvd_file     = (out / "solution.pvd").string();
    result.summary_file = (out / "summary.csv").string();

    // Never overwrite earlier results silently.
    on_root_or_throw(comm, [&] {
      if (fs::exists(result.pvd_file) || fs::exists(result.summary_file))
        {
          if (!options.overwrite)
            throw std::runtime_error(
              "output directory '" + result.output_directory +
              "' already holds results (solution.pvd or summary.csv); "
              "use --overwrite to replace them or set output.directory / --output");
          for (const auto &entry : fs::directory_iterator(out))
            {
              const std::string name = entry.path().filename().string();
              if (name.rfind("solution", 0) == 0 || name == "pieces" ||
                  name == "summary.csv")
                fs::remove_all(entry.path());
            }
        }
      create_directories((out / "pieces").string());
    });

    // Microstructure.
    const VoxelImage image = acquire_image(config.microstructure, comm);
    const auto       histogram = image.histogram();
    // Every rank holds the same image, so every rank reaches the same verdict.
    std::map<unsigned int, ElasticPhase> phases;
    double min_solid_E = std::numeric_limits<double>::infinity();
    for (const auto &[label, count] : histogram)
      {
        const std::string &name = image.phase_names.at(label);
        const auto         it   = config.materials.find(name);
        if (it == config.materials.end())
          throw CollectiveError(config.file + ": phase '" + name + "' (label " +
                                   std::to_string(label) + ", " +
                                   std::to_string(count) +
                                   " voxels) has no entry under 'materials'");
        if (it->second.model == MaterialSpec::Model::linear_elastic)
          min_solid_E = std::min(min_solid_E, it->second.E);
      }
    if (!std::isfinite(min_solid_E))
      throw CollectiveError(config.file +
                               ": the image holds no solid phase, only pores");
    for (const auto &[label, count] : histogram)
      {
        (void)count;
        const auto &m = config.materials.at(image.phase_names.at(label));
        ElasticPhase p;
        p.name = m.name;
        if (m.model == MaterialSpec::Model::pore)
          {
            p.E    = config.solver.pore_stiffness_ratio * min_solid_E;
            p.nu   = 0.;
            p.pore = true;
          }
        else
          {
            p.E  = m.E;
            p.nu = m.nu;
          }
        phases[label] = p;
      }
    if (config.output.microstructure && rank == 0)
      write_vti(image, (out / "microstructure.vti").string());

    // Mesh and solver.
    parallel::distributed::Triangulation<3> tria(comm);
    const VoxelMeshInfo mesh_info = create_voxel_mesh(image, tria);
    ElasticitySolver solver(tria, phases, config.boundary.sides,
                            config.boundary.top, config.solver.linear);
    result.n_cells = tria.n_global_active_cells();
    result.n_dofs  = solver.n_dofs();
    const double initial_thickness = image.extent()[2];
    if (talk)
      std::cout << "solidanode: " << image.dims[0] << "x" << image.dims[1] << "x"
                << image.dims[2] << " voxels, " << result.n_dofs << " DoFs on "
                << n_ranks << " rank(s), coarse mesh " << mesh_info.n_coarse_cells
                << " blocks refined " << mesh_info.n_refinements << " times\n";

    // Summary columns: global, then per phase (in label order).
    const bool pressure_bc = config.boundary.top == TopCondition::pressure;
    std::vector<std::string> columns = {
      "increment", "step", "step_name",
      pressure_bc ? "applied_pressure_Pa" : "applied_top_displacement_m",
      "mean_top_displacement_m", "thickness_m", "stack_pressure_Pa"};
    for (const auto &[label, p] : phases)
      {
        (void)label;
        for (const char *what : {"eigenstrain"})
          columns.push_back(phase_column(what, p.name, ""));
        columns.push_back(phase_column("mean_hydrostatic_stress", p.name, "Pa"));
        columns.push_back(phase_column("mean_von_mises", p.name, "Pa"));
        columns.push_back(phase_column("max_von_mises", p.name, "Pa"));
        columns.push_back(phase_column("mean_sigma_zz", p.name, "Pa"));
      }
    for (const char *c : {"cg_iterations", "relative_residual", "solve_wall_s"})
      columns.push_back(c);
    CsvTable summary(columns);

    std::vector<std::pair<double, std::string>> pvd;
    double                                      top = 0.;
    std::map<std::string, double>               eig; // by phase name
    unsigned int                                increment = 0;
    for (std::size_t s = 0; s < config.steps.size(); ++s)
      {
        const StepSpec &step      = config.steps[s];
        const double    top_start = top;
        const double    top_end   = step.top.value_or(top);
        const auto      eig_start = eig;
        for (unsigned int k = 1; k <= step.increments; ++k)
          {
            ++increment;
            const double alpha = double(k) / step.increments;
            top                = top_start + alpha * (top_end - top_start);
            for (const auto &[phase, target] : step.eigenstrain)
              {
                const double from = eig_start.count(phase) ? eig_start.at(phase) : 0.;
                eig[phase]        = from + alpha * (target - from);
              }
            LoadState load;
            load.top_value = top;
            for (const auto &[label, p] : phases)
              if (eig.count(p.name))
                load.eigenstrain[label] = eig.at(p.name);

            const SolveStatistics stats = solver.solve(load);
            const auto stresses = solver.cell_stresses(load);

            // Phase statistics.
            struct Acc
            {
              double n = 0, hydro = 0, vm = 0, vm_max = 0, szz = 0;
            };
            std::map<unsigned int, Acc> acc;
            double total_szz = 0, total_n = 0;
            for (const auto &cell : tria.active_cell_iterators())
              if (cell->is_locally_owned())
                {
                  const CellStress &st = stresses[cell->active_cell_index()];
                  Acc              &a  = acc[cell->material_id()];
                  a.n += 1;
                  a.hydro += hydrostatic(st);
                  a.vm += von_mises(st);
                  a.vm_max = std::max(a.vm_max, von_mises(st));
                  a.szz += st[2];
                  total_szz += st[2];
                  total_n += 1;
                }
            total_szz = Utilities::MPI::sum(total_szz, comm);
            total_n   = Utilities::MPI::sum(total_n, comm);
            const double uz = solver.mean_top_displacement();

            std::map<std::string, std::string> row;
            row["increment"] = std::to_string(increment);
            row["step"]      = std::to_string(s + 1);
            row["step_name"] = step.name;
            row[columns[3]]  = CsvTable::format(top);
            row["mean_top_displacement_m"] = CsvTable::format(uz);
            row["thickness_m"] = CsvTable::format(initial_thickness + uz);
            row["stack_pressure_Pa"] = CsvTable::format(-total_szz / total_n);
            for (const auto &[label, p] : phases)
              {
                Acc a = acc[label];
                a.n      = Utilities::MPI::sum(a.n, comm);
                a.hydro  = Utilities::MPI::sum(a.hydro, comm);
                a.vm     = Utilities::MPI::sum(a.vm, comm);
                a.szz    = Utilities::MPI::sum(a.szz, comm);
                a.vm_max = Utilities::MPI::max(a.vm_max, comm);
                const double n = std::max(a.n, 1.);
                row[phase_column("eigenstrain", p.name, "")] =
                  CsvTable::format(eig.count(p.name) ? eig.at(p.name) : 0.);
                row[phase_column("mean_hydrostatic_stress", p.name, "Pa")] =
                  CsvTable::format(a.hydro / n);
                row[phase_column("mean_von_mises", p.name, "Pa")] =
                  CsvTable::format(a.vm / n);
                row[phase_column("max_von_mises", p.name, "Pa")] =
                  CsvTable::format(a.vm_max);
                row[phase_column("mean_sigma_zz", p.name, "Pa")] =
                  CsvTable::format(a.szz / n);
              }
            row["cg_iterations"]     = std::to_string(stats.iterations);
            row["relative_residual"] = CsvTable::format(stats.relative_residual);
            row["solve_wall_s"] = CsvTable::format(
              stats.assemble_seconds + stats.setup_seconds + stats.solve_seconds);
            summary.add_row(row);

            // Volume output.
            const bool last = (s + 1 == config.steps.size()) && k == step.increments;
            if (increment % config.output.every == 0 || last)
              {
                char base[32];
                std::snprintf(base, sizeof base, "solution_%05u", increment);
                char piece_name[64];
                std::snprintf(piece_name, sizeof piece_name, "pieces/%s_r%05u.vtu",
                              base, rank);
                const UnstructuredPiece piece = make_elasticity_piece(
                  solver.dof_handler(), solver.solution(), stresses, false);
                write_vtu(piece, (out / piece_name).string());
                MPI_Barrier(comm);
                if (rank == 0)
                  {
                    std::vector<std::string> pieces;
                    for (unsigned int r = 0; r < n_ranks; ++r)
                      {
                        char name[64];
                        std::snprintf(name, sizeof name, "pieces/%s_r%05u.vtu", base, r);
                        pieces.push_back(name);
                      }
                    write_pvtu((out / (std::string(base) + ".pvtu")).string(), pieces,
                               piece);
                    pvd.emplace_back(double(increment), std::string(base) + ".pvtu");
                    write_pvd(result.pvd_file, pvd);
                  }
              }
            if (rank == 0)
              summary.write(result.summary_file);

            if (talk)
              std::printf("step %zu/%zu '%s' increment %u: %s %.4g %s, thickness "
                          "%.6g um, %u CG its (res %.1e), %.2f s\n",
                          s + 1, config.steps.size(), step.name.c_str(), increment,
                          pressure_bc ? "top pressure" : "top displacement",
                          pressure_bc ? top / 1e6 : top * 1e6,
                          pressure_bc ? "MPa" : "um", (initial_thickness + uz) * 1e6,
                          stats.iterations, stats.relative_residual,
                          stats.assemble_seconds + stats.setup_seconds +
                            stats.solve_seconds);
            result.final_thickness = initial_thickness + uz;
          }
      }
    result.n_increments = increment;
    if (talk)
      std::cout << "solidanode: done in " << wall.wall_time() << " s; open "
                << result.pvd_file << " in ParaView; table " << result.summary_file
                << "\n";
    return result;
  }
} // namespace solidanode
