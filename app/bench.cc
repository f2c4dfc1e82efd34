// solidanode_bench: the Si/LPSCl performance benchmark (README, Performance), kept exactly so
// that figures stay comparable.
//
// n^3 voxels of 1 um, labels 0 pore, 1 Si, 2 LPSCl. Si = overlapping spheres
// of radius n/10 voxels, centres uniform in the box, as many as make 25 % of
// the volume if they did not overlap (about 19-22 % results); then 5 % of
// the remaining LPSCl voxels become pores at random. E = 90 GPa (Si),
// 25 GPa (LPSCl), pores as the solver treats them; nu = 0.25; isotropic
// eigenstrain 0.01 in Si; rollers on x = 0, y = 0, z = 0; stack pressure
// 0.1 GPa on the top face; linear elasticity, Q1 voxels; rtol 1e-8.
//
// Usage: mpirun -np 2 solidanode_bench [--n 64] [--raw FILE] [--seed S]
//        [--write-raw FILE] [--solver amg|mf] [--coarse arithmetic|harmonic|geometric]
//        [--mg-precision float|double] [--smoother-degree K] [--coarse-pore-ratio R]
//        [-- PETSC_OPTIONS]
// --solver mf (default since it measured 7x faster at 64^3 with a quarter of
// the memory, README "Performance"): matrix-free operator, CG + geometric
// multigrid (MFElasticitySolver; the other options are its multigrid
// settings); --solver amg: assembled matrix, PETSc CG + GAMG
// (ElasticitySolver), the figures before the matrix-free solver.
// Prints a table and one JSON line (prefix "BENCH ").
#include <mesh/voxel_io.h>
#include <mesh/voxel_mesh.h>
#include <base/json.h>
#include <solver/elasticity/elasticity.h>
#include <solver/elasticity/mf_elasticity.h>

#include <deal.II/base/mpi.h>
#include <deal.II/base/timer.h>

#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

using namespace solidanode;

namespace
{
  double uniform(std::mt19937_64 &rng)
  {
    return (rng() >> 11) * 0x1.0p-53;
  }

  VoxelImage benchmark_image(std::size_t n, std::uint64_t seed)
  {
    VoxelImage img;
    img.dims        = {{n, n, n}};
    img.voxel_size  = {{1e-6, 1e-6, 1e-6}};
    img.phase_names = {{0, "pore"}, {1, "Si"}, {2, "LPSCl"}};
    img.labels.assign(img.n_voxels(), 2);
    std::mt19937_64 rng(seed);
    const double    r = n / 10.;
    const std::size_t n_spheres = static_cast<std::size_t>(
      std::round(0.25 * double(n * n * n) / (4. / 3. * M_PI * r * r * r)));
    for (std::size_t s = 0; s < n_spheres; ++s)
      {
        const double c[3] = {uniform(rng) * n, uniform(rng) * n, uniform(rng) * n};
        const long   lo[3] = {long(std::floor(c[0] - r)), long(std::floor(c[1] - r)),
                              long(std::floor(c[2] - r))};
        for (long k = std::max(0L, lo[2]); k <= std::min(long(n) - 1, lo[2] + long(2 * r) + 1); ++k)
          for (long j = std::max(0L, lo[1]); j <= std::min(long(n) - 1, lo[1] + long(2 * r) + 1); ++j)
            for (long i = std::max(0L, lo[0]); i <= std::min(long(n) - 1, lo[0] + long(2 * r) + 1); ++i)
              {
                const double dx = i + 0.5 - c[0], dy = j + 0.5 - c[1], dz = k + 0.5 - c[2];
                if (dx * dx + dy * dy + dz * dz <= r * r)
                  img.labels[img.index(i, j, k)] = 1;
              }
      }
    for (auto &l : img.labels)
      if (l == 2 && uniform(rng) < 0.05)
        l = 0;
    return img;
  }

  double peak_rss_bytes()
  {
    rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss * 1024.; // Linux: kilobytes
  }

  /// STREAM triad a = b + s c on arrays much larger than the caches;
  /// returns bytes per second of this rank (all ranks run it together).
  double stream_triad(MPI_Comm comm)
  {
    const std::size_t   n = 20'000'000;
    std::vector<double> a(n, 0.), b(n, 1.), c(n, 2.);
    double              best = 1e300;
    for (int r = 0; r < 5; ++r)
      {
        MPI_Barrier(comm);
        const auto t0 = std::chrono::steady_clock::now();
        for (std::size_t i = 0; i < n; ++i)
          a[i] = b[i] + 3.0 * c[i];
        const double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        best = std::min(best, t);
      }
    volatile double sink = a[n / 2];
    (void)sink;
    return 3. * 8. * n / best;
  }

  struct BenchOptions
  {
    std::size_t       n    = 64;
    std::uint64_t     seed = 7;
    std::string       raw, write_raw_file, solver_name = "mf";
    MultigridSettings mg;
  };

  /// Reads the command line up to "--"; false (usage printed on @p root)
  /// on an unknown or incomplete argument.
  bool parse_options(int argc, char **argv, bool root, BenchOptions &o)
  {
    MultigridSettings &mg = o.mg;
    for (int i = 1; i < argc; ++i)
      {
        const std::string a = argv[i];
        if (a == "--")
          break;
        if (a == "--n" && i + 1 < argc)
          o.n = std::stoul(argv[++i]);
        else if (a == "--seed" && i + 1 < argc)
          o.seed = std::stoull(argv[++i]);
        else if (a == "--raw" && i + 1 < argc)
          o.raw = argv[++i];
        else if (a == "--write-raw" && i + 1 < argc)
          o.write_raw_file = argv[++i];
        else if (a == "--solver" && i + 1 < argc &&
                 (std::string(argv[i + 1]) == "amg" || std::string(argv[i + 1]) == "mf"))
          o.solver_name = argv[++i];
        else if (a == "--coarse" && i + 1 < argc &&
                 std::string(argv[i + 1]) == "arithmetic")
          mg.coarse_coefficient = CoarseCoefficient::arithmetic, ++i;
        else if (a == "--coarse" && i + 1 < argc && std::string(argv[i + 1]) == "harmonic")
          mg.coarse_coefficient = CoarseCoefficient::harmonic, ++i;
        else if (a == "--coarse" && i + 1 < argc && std::string(argv[i + 1]) == "geometric")
          mg.coarse_coefficient = CoarseCoefficient::geometric, ++i;
        else if (a == "--mg-precision" && i + 1 < argc &&
                 (std::string(argv[i + 1]) == "float" || std::string(argv[i + 1]) == "double"))
          mg.single_precision = std::string(argv[++i]) == "float";
        else if (a == "--smoother-degree" && i + 1 < argc)
          mg.smoother_degree = std::stoul(argv[++i]);
        else if (a == "--coarse-pore-ratio" && i + 1 < argc)
          mg.coarse_pore_ratio = std::stod(argv[++i]);
        else
          {
            if (root)
              std::cerr << "usage: solidanode_bench [--n N] [--seed S] [--raw FILE] "
                           "[--write-raw FILE] [--solver amg|mf] "
                           "[--coarse arithmetic|harmonic|geometric] "
                           "[--mg-precision float|double] [--smoother-degree K] "
                           "[--coarse-pore-ratio R] [-- PETSC_OPTIONS]\n";
            return false;
          }
      }
    return true;
  }

  /// What the benchmark measured.
  struct BenchFigures
  {
    unsigned int    ranks = 1;
    std::size_t     voxels = 0;
    double          si_fraction = 0., pore_fraction = 0., ndofs = 0.;
    double          t_image = 0., t_mesh = 0., t_setup = 0., t_total = 0.;
    SolveStatistics stats;
    unsigned int    mf_levels = 0;
    std::map<std::string, double> mf_setup_timings;
    double          peak_memory = 0., matvec = 0., matvec_bytes = 0., stream = 0.;
  };

  /// The table and the JSON line (prefix "BENCH ").
  void print_report(const BenchOptions &o, const BenchFigures &f)
  {
    const bool             mf    = o.solver_name == "mf";
    const SolveStatistics &stats = f.stats;
    std::printf("solidanode_bench n=%zu ranks=%u solver=%s: %zu voxels, Si %.3f, pores %.3f, "
                "%.0f DoFs\n",
                o.n, f.ranks, o.solver_name.c_str(), f.voxels, f.si_fraction, f.pore_fraction,
                f.ndofs);
    if (mf)
      std::printf("  image %.2f s, mesh %.2f s, dofs+matrix-free %.2f s, rhs %.2f s, "
                  "multigrid setup %.2f s (%u levels), solve %.2f s (%u CG its, %.3f s/it)\n",
                  f.t_image, f.t_mesh, f.t_setup, stats.assemble_seconds, stats.setup_seconds,
                  f.mf_levels, stats.solve_seconds, stats.iterations,
                  stats.solve_seconds / std::max(1u, stats.iterations));
    if (mf)
      {
        std::printf("  setup parts on rank 0:");
        for (const auto &[what, seconds] : f.mf_setup_timings)
          std::printf(" %s %.2f s;", what.c_str(), seconds);
        std::printf("\n");
      }
    else
      std::printf("  image %.2f s, mesh %.2f s, dofs+sparsity %.2f s, assembly %.2f s, "
                  "AMG setup %.2f s, solve %.2f s (%u CG its, %.3f s/it)\n",
                  f.t_image, f.t_mesh, f.t_setup, stats.assemble_seconds, stats.setup_seconds,
                  stats.solve_seconds, stats.iterations,
                  stats.solve_seconds / std::max(1u, stats.iterations));
    std::printf("  total %.2f s; peak memory %.2f GB over all ranks (%.0f bytes/DoF)\n",
                f.t_total, f.peak_memory / 1e9, f.peak_memory / f.ndofs);
    std::printf("  matvec %.4f s, %.2f GB/s achieved vs STREAM triad %.2f GB/s: ratio %.2f\n",
                f.matvec, f.matvec_bytes / f.matvec / 1e9, f.stream / 1e9,
                f.matvec_bytes / f.matvec / f.stream);
    Json j = Json::object();
    j["n"] = static_cast<unsigned long long>(o.n);
    j["ranks"] = f.ranks;
    j["solver"] = o.solver_name;
    j["dofs"] = f.ndofs;
    j["si_fraction"] = f.si_fraction;
    j["total_s"] = f.t_total;
    j["image_s"] = f.t_image;
    j["mesh_s"] = f.t_mesh;
    j["setup_s"] = f.t_setup;
    j["assembly_s"] = stats.assemble_seconds;
    j["preconditioner_setup_s"] = stats.setup_seconds;
    j["solve_s"] = stats.solve_seconds;
    j["iterations"] = stats.iterations;
    j["relative_residual"] = stats.relative_residual;
    j["peak_memory_bytes"] = f.peak_memory;
    j["matvec_s"] = f.matvec;
    j["matvec_bandwidth_ratio"] = f.matvec_bytes / f.matvec / f.stream;
    if (mf)
      for (const auto &[what, seconds] : f.mf_setup_timings)
        j["setup_parts_rank0_s"][what] = seconds;
    std::printf("BENCH %s\n", j.dump(0).c_str());
  }
} // namespace

int main(int argc, char **argv)
{
  dealii::Utilities::MPI::MPI_InitFinalize mpi(argc, argv, 1);
  const MPI_Comm comm = MPI_COMM_WORLD;
  const bool     root = dealii::Utilities::MPI::this_mpi_process(comm) == 0;

  BenchOptions o;
  if (!parse_options(argc, argv, root, o))
    return 2;
  BenchFigures f;
  f.ranks = dealii::Utilities::MPI::n_mpi_processes(comm);

  dealii::Timer total(comm, true);
  dealii::Timer t(comm, true);
  VoxelImage    image;
  if (!o.raw.empty())
    image = read_raw(o.raw, {{o.n, o.n, o.n}}, {{1e-6, 1e-6, 1e-6}}, {{0, 0, 0}},
                     {{0, "pore"}, {1, "Si"}, {2, "LPSCl"}});
  else
    image = benchmark_image(o.n, o.seed);
  if (root && !o.write_raw_file.empty())
    write_raw(image, o.write_raw_file);
  f.t_image = t.wall_time();

  t.restart();
  const bool mf = o.solver_name == "mf";
  // Geometric multigrid needs the level hierarchy of the p4est forest.
  dealii::parallel::distributed::Triangulation<3> tria(
    comm, dealii::Triangulation<3>::limit_level_difference_at_vertices,
    mf ? dealii::parallel::distributed::Triangulation<3>::construct_multigrid_hierarchy
       : dealii::parallel::distributed::Triangulation<3>::default_setting);
  create_voxel_mesh(image, tria);
  f.t_mesh = t.wall_time();

  t.restart();
  const std::map<unsigned int, ElasticPhase> phases = {
    {0, {"pore", 25e9 * 1e-4, 0., true}}, {1, {"Si", 90e9, 0.25}}, {2, {"LPSCl", 25e9, 0.25}}};
  LinearSolverSettings settings;
  settings.relative_tolerance = 1e-8;
  LoadState load;
  load.top_value      = 0.1e9;
  load.eigenstrain[1] = 0.01;
  std::unique_ptr<ElasticitySolver>   amg_solver;
  std::unique_ptr<MFElasticitySolver> mf_solver;
  if (mf)
    mf_solver = std::make_unique<MFElasticitySolver>(tria, phases, SideCondition::free,
                                                     TopCondition::pressure, settings, o.mg);
  else
    amg_solver = std::make_unique<ElasticitySolver>(tria, phases, SideCondition::free,
                                                    TopCondition::pressure, settings);
  f.t_setup = t.wall_time();

  f.stats   = mf ? mf_solver->solve(load) : amg_solver->solve(load);
  f.t_total = total.wall_time();

  // Peak memory of the solve, before the STREAM arrays are allocated.
  f.peak_memory = dealii::Utilities::MPI::sum(peak_rss_bytes(), comm);
  f.matvec      = mf ? mf_solver->time_operator_application(20)
                     : amg_solver->time_matrix_vector_product(20);
  f.ndofs       = double(mf ? mf_solver->n_dofs() : amg_solver->n_dofs());
  // Bytes one operator application must move at least. CSR: values +
  // column indices, row pointers, the input vector (read once at best) and
  // the output vector. Matrix-free: input vector, output read and written,
  // 8 vertex indices and two coefficients per cell.
  f.matvec_bytes =
    mf ? mf_solver->operator_bytes()
       : amg_solver->n_matrix_nonzeros() * (8. + 4.) + f.ndofs * (4. + 8. + 8.);
  f.stream = dealii::Utilities::MPI::sum(stream_triad(comm), comm);

  const auto fractions = image.volume_fractions();
  f.voxels             = image.n_voxels();
  f.si_fraction        = fractions.count(1) ? fractions.at(1) : 0.;
  f.pore_fraction      = fractions.count(0) ? fractions.at(0) : 0.;
  if (mf)
    {
      f.mf_levels        = mf_solver->n_levels();
      f.mf_setup_timings = mf_solver->setup_timings();
    }
  if (root)
    print_report(o, f);
  return 0;
}
