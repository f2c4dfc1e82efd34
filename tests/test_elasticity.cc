// Verification of the small-strain elasticity solver against analytic
// solutions. Runs on 1 and 2 MPI ranks (see tests/CMakeLists.txt).
#include <mesh/sphere_generator.h>
#include <mesh/voxel_mesh.h>
#include <solver/elasticity/elasticity.h>

#include <deal.II/base/mpi.h>

#include <gtest/gtest.h>

#include <cmath>
#include <map>

using namespace solidanode;
using dealii::Utilities::MPI::sum;

namespace
{
  const double E  = 22e9;
  const double nu = 0.37;
  const double h  = 1e-6;

  /// P-wave (oedometric) modulus: sigma_zz / eps_zz under uniaxial strain.
  double p_wave(double E_, double nu_)
  {
    return E_ * (1. - nu_) / ((1. + nu_) * (1. - 2. * nu_));
  }

  VoxelImage uniform_image(std::array<std::size_t, 3> dims)
  {
    VoxelImage img;
    img.dims       = dims;
    img.voxel_size = {{h, h, h}};
    img.labels.assign(img.n_voxels(), 1);
    img.phase_names = {{1, "solid"}};
    return img;
  }

  struct Problem
  {
    dealii::parallel::distributed::Triangulation<3> tria;
    std::unique_ptr<ElasticitySolver>               solver;

    Problem(const VoxelImage &img, const std::map<unsigned int, ElasticPhase> &phases,
            SideCondition sides, TopCondition top, MPI_Comm comm = MPI_COMM_WORLD,
            double rtol = 1e-10)
      : tria(comm)
    {
      create_voxel_mesh(img, tria);
      LinearSolverSettings settings;
      settings.relative_tolerance = rtol;
      solver = std::make_unique<ElasticitySolver>(tria, phases, sides, top, settings);
    }

    /// Largest |component - expected| over all owned cells and all ranks.
    double max_stress_error(const std::vector<CellStress> &s, const CellStress &expected)
    {
      double err = 0;
      for (const auto &cell : tria.active_cell_iterators())
        if (cell->is_locally_owned())
          for (unsigned int c = 0; c < 6; ++c)
            err = std::max(err, std::abs(s[cell->active_cell_index()][c] - expected[c]));
      return dealii::Utilities::MPI::max(err, tria.get_communicator());
    }
  };

  const std::map<unsigned int, ElasticPhase> one_phase = {{1, {"solid", E, nu}}};
} // namespace

TEST(Elasticity, UniaxialStrainUnderStackPressure)
{
  // Confined block (rollers on the sides, bottom fixed in z) under a top
  // pressure p: sigma_zz = -p, sigma_xx = sigma_yy = nu/(1-nu) sigma_zz,
  // eps_zz = -p / M. Trilinear elements reproduce this exactly.
  const double p = 50e6;
  Problem      prob(uniform_image({{6, 4, 10}}), one_phase, SideCondition::rollers,
                    TopCondition::pressure);
  LoadState load;
  load.top_value          = p;
  const auto stats        = prob.solver->solve(load);
  const auto stresses     = prob.solver->cell_stresses(load);
  const double lateral    = nu / (1. - nu) * (-p);
  const double error      = prob.max_stress_error(stresses, CellStress{{lateral, lateral, -p, 0, 0, 0}});
  EXPECT_LT(error, 1e-6 * p);
  EXPECT_LT(stats.relative_residual, 1e-10);
  const double H = 10 * h;
  EXPECT_NEAR(prob.solver->mean_top_displacement(), -p * H / p_wave(E, nu),
              1e-8 * p * H / p_wave(E, nu));
}

TEST(Elasticity, PrescribedTopDisplacementGivesOedometricStress)
{
  const double H = 8 * h, delta = -0.01 * H;
  Problem prob(uniform_image({{4, 4, 8}}), one_phase, SideCondition::rollers,
               TopCondition::displacement);
  LoadState load;
  load.top_value      = delta;
  prob.solver->solve(load);
  const auto   stresses = prob.solver->cell_stresses(load);
  const double szz      = p_wave(E, nu) * delta / H;
  const double sxx      = nu / (1. - nu) * szz;
  EXPECT_LT(prob.max_stress_error(stresses, CellStress{{sxx, sxx, szz, 0, 0, 0}}), 1e-6 * std::abs(szz));
  EXPECT_NEAR(prob.solver->mean_top_displacement(), delta, 1e-12 * std::abs(delta));
}

TEST(Elasticity, FreeSwellingIsStressFree)
{
  // Only symmetry planes x=0, y=0, z=0 restrain the block: a uniform
  // eigenstrain produces u = eps* x and no stress at all.
  const double eps = 0.01;
  Problem      prob(uniform_image({{4, 6, 8}}), one_phase, SideCondition::free,
                    TopCondition::free);
  LoadState load;
  load.eigenstrain[1] = eps;
  prob.solver->solve(load);
  const auto stresses = prob.solver->cell_stresses(load);
  // Compare with the stress scale of a fully constrained swelling, 3 K eps.
  const double scale = E / (1. - 2. * nu) * eps;
  EXPECT_LT(prob.max_stress_error(stresses, CellStress{{0, 0, 0, 0, 0, 0}}), 1e-7 * scale);
  EXPECT_NEAR(prob.solver->mean_top_displacement(), eps * 8 * h, 1e-9 * eps * 8 * h);
  EXPECT_NEAR(prob.solver->mean_face_displacement(boundary_id::x_max, 0), eps * 4 * h,
              1e-9 * eps * 4 * h);
  EXPECT_NEAR(prob.solver->mean_face_displacement(boundary_id::y_max, 1), eps * 6 * h,
              1e-9 * eps * 6 * h);
}

TEST(Elasticity, LayersInSeriesUnderPressure)
{
  // Layers normal to z with different stiffness: every layer carries
  // sigma_zz = -p, so the top moves by -p sum(h_i / M_i) exactly.
  VoxelImage img = uniform_image({{4, 4, 12}});
  for (std::size_t k = 0; k < 12; ++k)
    for (std::size_t j = 0; j < 4; ++j)
      for (std::size_t i = 0; i < 4; ++i)
        img.labels[img.index(i, j, k)] = (k < 5) ? 1 : 2;
  img.phase_names = {{1, "Si"}, {2, "LPSCl"}};
  const std::map<unsigned int, ElasticPhase> phases = {{1, {"Si", 90e9, 0.22}},
                                                       {2, {"LPSCl", 22e9, 0.37}}};
  const double p = 20e6;
  Problem prob(img, phases, SideCondition::rollers, TopCondition::pressure);
  LoadState load;
  load.top_value = p;
  prob.solver->solve(load);
  const double expected = -p * (5 * h / p_wave(90e9, 0.22) + 7 * h / p_wave(22e9, 0.37));
  EXPECT_NEAR(prob.solver->mean_top_displacement(), expected, 1e-8 * std::abs(expected));
  const auto stresses = prob.solver->cell_stresses(load);
  double worst = 0;
  for (const auto &cell : prob.tria.active_cell_iterators())
    if (cell->is_locally_owned())
      worst = std::max(worst, std::abs(stresses[cell->active_cell_index()][2] + p));
  EXPECT_LT(dealii::Utilities::MPI::max(worst, MPI_COMM_WORLD), 1e-6 * p);
}

TEST(Elasticity, EshelbySphereMeanPressure)
{
  // One octant of a sphere (radius R = 10 voxels) with eigenstrain eps at the
  // corner of a 40^3 box whose x=0, y=0, z=0 faces are symmetry planes: this
  // is a full sphere in an 80^3 traction-free block. Inside an inclusion in
  // an infinite matrix of the same material the hydrostatic stress is
  // uniform, -2 E eps / (3 (1 - nu)), for any inclusion shape (Eshelby 1957),
  // so the staircase voxel sphere changes nothing; the finite block lowers it
  // by about the volume fraction (0.8 %).
  const std::size_t n = 40;
  const double      R = 10.;
  VoxelImage        img = uniform_image({{n, n, n}});
  img.phase_names       = {{1, "matrix"}, {2, "sphere"}};
  for (std::size_t k = 0; k < n; ++k)
    for (std::size_t j = 0; j < n; ++j)
      for (std::size_t i = 0; i < n; ++i)
        {
          const double x = i + 0.5, y = j + 0.5, z = k + 0.5;
          if (x * x + y * y + z * z < R * R)
            img.labels[img.index(i, j, k)] = 2;
        }
  const std::map<unsigned int, ElasticPhase> phases = {{1, {"matrix", E, nu}},
                                                       {2, {"sphere", E, nu}}};
  const double eps = 0.01;
  Problem      prob(img, phases, SideCondition::free, TopCondition::free,
                    MPI_COMM_WORLD, 1e-9);
  LoadState load;
  load.eigenstrain[2] = eps;
  prob.solver->solve(load);
  const auto stresses = prob.solver->cell_stresses(load);
  // Mean hydrostatic stress of the cells whose centre is at distance
  // [r_min, r_max) from the sphere centre, in units of voxels.
  auto mean_hydrostatic = [&](double r_min, double r_max) {
    double sum_p = 0, count = 0;
    for (const auto &cell : prob.tria.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          const double r = cell->center().norm() / h;
          if (r >= r_min && r < r_max)
            {
              sum_p += hydrostatic(stresses[cell->active_cell_index()]);
              count += 1;
            }
        }
    return sum(sum_p, MPI_COMM_WORLD) / sum(count, MPI_COMM_WORLD);
  };
  const double eshelby = -2. * E * eps / (3. * (1. - nu));
  // Inside, away from the staircase surface: the Eshelby value.
  const double interior = mean_hydrostatic(0., R - 2.);
  EXPECT_NEAR(interior / eshelby, 1.0, 0.02)
    << "interior " << interior << " Pa, Eshelby " << eshelby << " Pa";
  // All voxels of the sphere: the one-voxel interface layer, where Q1
  // elements smear the jump in eigenstrain, adds an O(h/R) error (~4 % here).
  const double whole = mean_hydrostatic(0., R);
  EXPECT_NEAR(whole / eshelby, 1.0, 0.06)
    << "voxel sphere " << whole << " Pa, Eshelby " << eshelby << " Pa";
  // Outside an inclusion in an infinite body the field is pure shear; in the
  // finite block a small uniform tension of order f * |Eshelby| remains.
  const double outside = mean_hydrostatic(R + 2., 1e9);
  EXPECT_LT(std::abs(outside), 0.02 * std::abs(eshelby)) << "matrix " << outside << " Pa";
}

TEST(Elasticity, SameResultOnOneRankAndOnAllRanks)
{
  // Solve a random composite on all ranks and, independently, on each rank
  // alone (MPI_COMM_SELF); displacements at every vertex must agree to the
  // solver tolerance.
  SphereGeneratorParameters gp;
  gp.dims              = {{16, 16, 16}};
  gp.voxel_size        = h;
  gp.seed              = 11;
  gp.particle_fraction = 0.25;
  gp.radius_median     = 3 * h;
  gp.radius_log_std    = 0.2;
  gp.pore_fraction     = 0.05;
  gp.pore_radius       = 1 * h;
  const VoxelImage img = generate_spheres(gp);
  const std::map<unsigned int, ElasticPhase> phases = {
    {0, {"pore", 22e9 * 1e-4, 0.}}, {1, {"Si", 90e9, 0.22}}, {2, {"LPSCl", 22e9, 0.37}}};
  LoadState load;
  load.top_value      = 30e6;
  load.eigenstrain[1] = 0.01;

  Problem world(img, phases, SideCondition::rollers, TopCondition::pressure,
                MPI_COMM_WORLD, 1e-11);
  Problem self(img, phases, SideCondition::rollers, TopCondition::pressure,
               MPI_COMM_SELF, 1e-11);
  world.solver->solve(load);
  self.solver->solve(load);

  // Reference values by vertex position, from the single-rank solve.
  auto key = [&](const dealii::Point<3> &p) {
    return std::array<long, 3>{{std::lround(p[0] / h), std::lround(p[1] / h),
                                std::lround(p[2] / h)}};
  };
  std::map<std::array<long, 3>, std::array<double, 3>> reference;
  for (const auto &cell : self.solver->dof_handler().active_cell_iterators())
    for (unsigned int v = 0; v < 8; ++v)
      for (unsigned int c = 0; c < 3; ++c)
        reference[key(cell->vertex(v))][c] =
          self.solver->solution()(cell->vertex_dof_index(v, c));

  double max_u = 0, max_diff = 0;
  for (const auto &cell : world.solver->dof_handler().active_cell_iterators())
    if (cell->is_locally_owned())
      for (unsigned int v = 0; v < 8; ++v)
        for (unsigned int c = 0; c < 3; ++c)
          {
            const double u = world.solver->solution()(cell->vertex_dof_index(v, c));
            max_u          = std::max(max_u, std::abs(u));
            max_diff = std::max(max_diff, std::abs(u - reference.at(key(cell->vertex(v)))[c]));
          }
  max_u    = dealii::Utilities::MPI::max(max_u, MPI_COMM_WORLD);
  max_diff = dealii::Utilities::MPI::max(max_diff, MPI_COMM_WORLD);
  EXPECT_GT(max_u, 0.);
  EXPECT_LT(max_diff, 1e-7 * max_u);
}
