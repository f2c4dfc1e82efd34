// The matrix-free multigrid elasticity solver (solver/elasticity/mf_elasticity.h):
// analytic uniaxial strain, and agreement with the assembled
// ElasticitySolver on random composites with pores for every boundary
// condition and multigrid option. Runs on 1 and 2 MPI ranks.
#include <mesh/voxel_mesh.h>
#include <solver/elasticity/elasticity.h>
#include <solver/elasticity/mf_elasticity.h>

#include <deal.II/base/mpi.h>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <map>
#include <random>

using namespace solidanode;

namespace
{
  const double h = 1e-6;

  using Tria = dealii::parallel::distributed::Triangulation<3>;

  std::unique_ptr<Tria> multigrid_tria(const VoxelImage &img)
  {
    auto tria = std::make_unique<Tria>(MPI_COMM_WORLD,
                                       dealii::Triangulation<3>::limit_level_difference_at_vertices,
                                       Tria::construct_multigrid_hierarchy);
    create_voxel_mesh(img, *tria);
    return tria;
  }

  VoxelImage uniform_image(std::array<std::size_t, 3> dims, unsigned char label = 1)
  {
    VoxelImage img;
    img.dims       = dims;
    img.voxel_size = {{h, h, h}};
    img.labels.assign(img.n_voxels(), label);
    img.phase_names = {{0, "pore"}, {1, "Si"}, {2, "LPSCl"}};
    return img;
  }

  /// Si spheres in LPSCl with single-voxel pores, the benchmark recipe in
  /// small (same image on every rank: fixed seed).
  VoxelImage composite(std::array<std::size_t, 3> dims, unsigned seed)
  {
    VoxelImage   img = uniform_image(dims, 2);
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> u(0., 1.);
    const double r = 2.5;
    for (int s = 0; s < 12; ++s)
      {
        const double c[3] = {u(rng) * dims[0], u(rng) * dims[1], u(rng) * dims[2]};
        for (std::size_t k = 0; k < dims[2]; ++k)
          for (std::size_t j = 0; j < dims[1]; ++j)
            for (std::size_t i = 0; i < dims[0]; ++i)
              {
                const double dx = i + .5 - c[0], dy = j + .5 - c[1], dz = k + .5 - c[2];
                if (dx * dx + dy * dy + dz * dz <= r * r)
                  img.labels[img.index(i, j, k)] = 1;
              }
      }
    for (auto &l : img.labels)
      if (l == 2 && u(rng) < 0.08)
        l = 0;
    return img;
  }

  const std::map<unsigned int, ElasticPhase> benchmark_phases = {
    {0, {"pore", 25e9 * 1e-4, 0., true}}, {1, {"Si", 90e9, 0.25}}, {2, {"LPSCl", 25e9, 0.25}}};

  double max_over_ranks(double x) { return dealii::Utilities::MPI::max(x, MPI_COMM_WORLD); }

  struct Difference
  {
    double displacement, stress;
  };

  /// Relative differences (max norm over owned DoFs / owned cells, divided
  /// by the largest value) between the assembled and matrix-free solutions.
  Difference compare(const VoxelImage &img, SideCondition sides, TopCondition top,
                     const LoadState &load, const MultigridSettings &mg = MultigridSettings(),
                     unsigned int *mf_iterations = nullptr)
  {
    auto                 tria = multigrid_tria(img);
    LinearSolverSettings settings;
    settings.relative_tolerance = 1e-12;
    ElasticitySolver   reference(*tria, benchmark_phases, sides, top, settings);
    MFElasticitySolver mf(*tria, benchmark_phases, sides, top, settings, mg);
    reference.solve(load);
    const SolveStatistics stats = mf.solve(load);
    EXPECT_LE(stats.relative_residual, 1e-12);
    if (mf_iterations)
      *mf_iterations = stats.iterations;
    EXPECT_EQ(mf.n_dofs(), reference.n_dofs());

    double max_u = 0, diff_u = 0;
    for (const auto i : reference.dof_handler().locally_owned_dofs())
      {
        max_u  = std::max(max_u, std::abs(reference.solution()(i)));
        diff_u = std::max(diff_u, std::abs(reference.solution()(i) - mf.solution()(i)));
      }
    const auto s_ref = reference.cell_stresses(load);
    const auto s_mf  = mf.cell_stresses(load);
    double     max_s = 0, diff_s = 0;
    for (const auto &cell : tria->active_cell_iterators())
      if (cell->is_locally_owned())
        for (unsigned int c = 0; c < 6; ++c)
          {
            const auto k = cell->active_cell_index();
            max_s  = std::max(max_s, std::abs(s_ref[k][c]));
            diff_s = std::max(diff_s, std::abs(s_ref[k][c] - s_mf[k][c]));
          }
    EXPECT_GT(max_over_ranks(max_u), 0.);
    const Difference d{max_over_ranks(diff_u) / max_over_ranks(max_u),
                       max_over_ranks(diff_s) / max_over_ranks(max_s)};
    if (dealii::Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
      std::printf("  mf vs assembled: %u CG its, relative difference u %.2e, stress %.2e\n",
                  stats.iterations, d.displacement, d.stress);
    return d;
  }
} // namespace

TEST(MFElasticity, UniaxialStrainUnderStackPressure)
{
  // Confined block under a top pressure p: sigma_zz = -p,
  // sigma_xx = sigma_yy = nu/(1-nu) sigma_zz, top displacement -p H / M with
  // the P-wave modulus M = E (1-nu) / ((1+nu)(1-2nu)); exact for Q1.
  const double E = 22e9, nu = 0.37, p = 50e6, H = 16 * h;
  const std::map<unsigned int, ElasticPhase> phases = {{1, {"solid", E, nu}}};
  auto                 tria = multigrid_tria(uniform_image({{8, 8, 16}}));
  LinearSolverSettings settings;
  settings.relative_tolerance = 1e-10;
  MFElasticitySolver solver(*tria, phases, SideCondition::rollers, TopCondition::pressure,
                            settings);
  EXPECT_EQ(solver.n_levels(), 4u); // 8 x 8 x 16 = 1 x 1 x 2 blocks of 8^3
  LoadState load;
  load.top_value = p;
  const auto stats = solver.solve(load);
  EXPECT_LE(stats.relative_residual, 1e-10);
  EXPECT_LE(stats.iterations, 20u);
  const auto   s       = solver.cell_stresses(load);
  const double lateral = nu / (1. - nu) * (-p);
  double       err     = 0;
  for (const auto &cell : tria->active_cell_iterators())
    if (cell->is_locally_owned())
      {
        const auto &c = s[cell->active_cell_index()];
        err = std::max({err, std::abs(c[0] - lateral), std::abs(c[1] - lateral),
                        std::abs(c[2] + p), std::abs(c[3]), std::abs(c[4]), std::abs(c[5])});
      }
  EXPECT_LT(max_over_ranks(err), 1e-6 * p);
  const double M = E * (1. - nu) / ((1. + nu) * (1. - 2. * nu));
  EXPECT_NEAR(solver.mean_top_displacement(), -p * H / M, 1e-8 * p * H / M);
}

TEST(MFElasticity, PrescribedTopDisplacementGivesOedometricStress)
{
  const double E = 22e9, nu = 0.37, H = 8 * h, delta = -0.01 * H;
  const std::map<unsigned int, ElasticPhase> phases = {{1, {"solid", E, nu}}};
  auto tria = multigrid_tria(uniform_image({{4, 4, 8}}));
  MFElasticitySolver solver(*tria, phases, SideCondition::rollers, TopCondition::displacement,
                            LinearSolverSettings());
  LoadState load;
  load.top_value = delta;
  solver.solve(load);
  const double M   = E * (1. - nu) / ((1. + nu) * (1. - 2. * nu));
  const auto   s   = solver.cell_stresses(load);
  double       err = 0;
  for (const auto &cell : tria->active_cell_iterators())
    if (cell->is_locally_owned())
      err = std::max(err, std::abs(s[cell->active_cell_index()][2] - M * delta / H));
  EXPECT_LT(max_over_ranks(err), 1e-6 * std::abs(M * delta / H));
  EXPECT_NEAR(solver.mean_top_displacement(), delta, 1e-12 * std::abs(delta));
}

TEST(MFElasticity, EqualsAssembledSolverBenchmarkConditions)
{
  // The benchmark's conditions: symmetry planes x=0, y=0, z=0, top pressure
  // on the solid part of the top face, eigenstrain in Si, pores 1e-4.
  LoadState load;
  load.top_value      = 0.1e9;
  load.eigenstrain[1] = 0.01;
  unsigned int its    = 0;
  const auto   d = compare(composite({{16, 16, 16}}, 1), SideCondition::free,
                           TopCondition::pressure, load, MultigridSettings(), &its);
  EXPECT_LE(d.displacement, 1e-6);
  EXPECT_LE(d.stress, 1e-6);
  EXPECT_LE(its, 60u);
}

TEST(MFElasticity, EqualsAssembledSolverRollersAndDisplacement)
{
  // Rollers on all sides, prescribed top displacement (inhomogeneous
  // constraint), coarse mesh of 3 x 2 x 5 blocks of 4^3 voxels.
  LoadState load;
  load.top_value      = -0.2e-6;
  load.eigenstrain[1] = 0.005;
  const auto d = compare(composite({{12, 8, 20}}, 2), SideCondition::rollers,
                         TopCondition::displacement, load);
  EXPECT_LE(d.displacement, 1e-6);
  EXPECT_LE(d.stress, 1e-6);
}

TEST(MFElasticity, MultigridOptionsGiveTheSameSolution)
{
  // Double-precision levels and the other coarse-coefficient averages change
  // the preconditioner only.
  LoadState load;
  load.top_value      = 0.1e9;
  load.eigenstrain[1] = 0.01;
  const VoxelImage img = composite({{16, 16, 8}}, 3);
  for (const auto mode : {CoarseCoefficient::arithmetic, CoarseCoefficient::harmonic,
                          CoarseCoefficient::geometric})
    for (const bool single : {true, false})
      {
        MultigridSettings mg;
        mg.coarse_coefficient = mode;
        mg.single_precision   = single;
        mg.coarse_pore_ratio  = single ? 0.01 : 0.;
        const auto d = compare(img, SideCondition::free, TopCondition::pressure, load, mg);
        EXPECT_LE(d.displacement, 1e-6) << int(mode) << ' ' << single;
        EXPECT_LE(d.stress, 1e-6) << int(mode) << ' ' << single;
      }
}

TEST(MFElasticity, RepeatedSolveStartsFromPreviousSolution)
{
  auto tria = multigrid_tria(composite({{8, 8, 8}}, 4));
  MFElasticitySolver solver(*tria, benchmark_phases, SideCondition::free,
                            TopCondition::pressure, LinearSolverSettings());
  LoadState load;
  load.top_value = 0.1e9;
  const auto first  = solver.solve(load);
  const auto second = solver.solve(load);
  EXPECT_GT(first.iterations, 0u);
  EXPECT_EQ(second.iterations, 0u); // already converged
}

TEST(MFElasticity, NeedsMultigridHierarchy)
{
  Tria tria(MPI_COMM_WORLD);
  create_voxel_mesh(uniform_image({{4, 4, 4}}), tria);
  EXPECT_THROW(MFElasticitySolver(tria, benchmark_phases, SideCondition::free,
                                  TopCondition::pressure, LinearSolverSettings()),
               std::invalid_argument);
}
