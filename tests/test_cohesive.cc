// Cohesive bands (solver/materials/cohesive_band.h) against their closed
// forms: a point opened in uniaxial strain follows the bilinear traction-
// separation law (peak = strength, dissipated energy per unit area = fracture
// energy), unloads along the secant, and resists closing with the bulk
// modulus after it has broken; a column of two phases pulled apart by its
// top (rollers on the sides) breaks in the band layer only, with the same
// peak and energy, and is pushed back without penetration; a delithiated Si
// layer under a held top debonds from the electrolyte at the band's
// strength, loses contact (no Li flux) and regains it when relithiation
// presses the crack closed. 1 and 2 ranks.
#include <mesh/voxel_mesh.h>
#include <solver/finite_strain/finite_strain.h>

#include "protocol_case_support.h"
#include <solver/materials/cohesive_band.h>

#include <deal.II/base/mpi.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>

using namespace solidanode;

namespace
{
  constexpr double E = 20e9, nu = 0.3, f_t = 20e6;
  const double     kappa_b = E / (3. * (1. - 2. * nu)), mu_b = E / (2. * (1. + nu));
  const double     M = kappa_b + 4. * mu_b / 3.;

  constitutive::PointMaterial band_point(double G_c, double h)
  {
    MechanicalPhase phase;
    phase.E0                      = E;
    phase.nu                      = nu;
    constitutive::PointMaterial m = constitutive::evaluate(phase, 0.);
    m.band_strength               = f_t;
    m.band_energy                 = G_c;
    m.band_thickness              = h;
    m.band_residual               = 1e-4;
    return m;
  }

  constitutive::Tensor2 uniaxial(double eps)
  {
    return {{1., 0., 0., 0., 1., 0., 0., 0., 1. + eps}};
  }

  /// Open a point to @p eps_end in @p n equal increments (committing each);
  /// returns {peak traction, energy per unit area int P_zz d(h eps)}.
  std::pair<double, double> open_point(Kinematics kin, const constitutive::PointMaterial &m,
                                       double eps_end, unsigned int n, double *history)
  {
    double peak = 0., work = 0., eps_prev = 0., P_prev = 0.;
    double next[constitutive::n_history];
    for (unsigned int i = 1; i <= n; ++i)
      {
        const double                eps = eps_end * i / n;
        constitutive::PointResponse r;
        EXPECT_TRUE(constitutive::update(kin, m, uniaxial(eps), history, r, next, nullptr));
        std::copy(next, next + constitutive::n_history, history);
        peak = std::max(peak, r.P[8]);
        work += 0.5 * (r.P[8] + P_prev) * (eps - eps_prev) * m.band_thickness;
        eps_prev = eps;
        P_prev   = r.P[8];
      }
    return {peak, work};
  }
} // namespace

TEST(CohesiveBand, PointFollowsTheBilinearLaw)
{
  for (const Kinematics kin : {Kinematics::small, Kinematics::finite})
    {
      // G_c = 0.2 J/m2, h = 1 um: eps_f = 2 %, eps_0 = 0.074 %.
      const double G_c = 0.2, h = 1e-6;
      const auto   m   = band_point(G_c, h);
      const auto   law = constitutive::band_law(m);
      ASSERT_NEAR(law.eps0, f_t / M, 1e-15);
      ASSERT_NEAR(law.epsf, 2. * G_c / (f_t * h), 1e-15);
      double hist[constitutive::n_history];
      constitutive::initial_history(kin, hist);
      const auto [peak, work] = open_point(kin, m, 1.5 * law.epsf, 6000, hist);
      const double tol = kin == Kinematics::small ? 0.01 : 0.03;
      EXPECT_NEAR(peak, f_t, tol * f_t) << "kinematics " << int(kin);
      EXPECT_NEAR(work, G_c, tol * G_c) << "kinematics " << int(kin);
      EXPECT_NEAR(hist[7], 1.5 * law.epsf, tol * law.epsf);

      // Broken: no tension left but the residual, full bulk modulus in
      // compression (no penetration), shear stiffness gone.
      constitutive::PointResponse r;
      ASSERT_TRUE(constitutive::update(kin, m, uniaxial(0.5 * law.epsf), hist, r, nullptr,
                                       nullptr));
      EXPECT_LT(r.P[8], 2e-4 * M * 0.5 * law.epsf);
      EXPECT_GE(r.P[8], 0.);
      ASSERT_TRUE(constitutive::update(kin, m, uniaxial(-1e-3), hist, r, nullptr, nullptr));
      EXPECT_NEAR(r.P[8], -kappa_b * 1e-3, 0.01 * kappa_b * 1e-3) << "kinematics " << int(kin);
    }
}

TEST(CohesiveBand, ShearDissipatesTheSameFractureEnergyAsOpening)
{
  // Simple shear F = I + gamma e_x (x) e_z, small strain: tau = (1 - d) mu
  // gamma, eps_eq = tau_eff / sqrt(mu M): the peak is f_t sqrt(mu / M)
  // and int tau d(h gamma) = G_c, as in opening.
  const double G_c = 0.2, h = 1e-6;
  const auto   m   = band_point(G_c, h);
  double       hist[constitutive::n_history], next[constitutive::n_history];
  constitutive::initial_history(Kinematics::small, hist);
  const double gamma_end = 1.5 * constitutive::band_law(m).epsf * std::sqrt(M / mu_b);
  double       peak = 0., work = 0., g_prev = 0., t_prev = 0.;
  for (unsigned int i = 1; i <= 6000; ++i)
    {
      const double                g = gamma_end * i / 6000.;
      constitutive::PointResponse r;
      ASSERT_TRUE(constitutive::update(Kinematics::small, m, {{1., 0., g, 0., 1., 0., 0., 0., 1.}},
                                       hist, r, next, nullptr));
      std::copy(next, next + constitutive::n_history, hist);
      peak = std::max(peak, r.P[2]);
      work += 0.5 * (r.P[2] + t_prev) * (g - g_prev) * h;
      g_prev = g;
      t_prev = r.P[2];
    }
  EXPECT_NEAR(peak, f_t * std::sqrt(mu_b / M), 0.01 * f_t);
  EXPECT_NEAR(work, G_c, 0.01 * G_c);
  EXPECT_LT(t_prev, 2e-4 * mu_b * gamma_end);
}

TEST(CohesiveBand, UnloadsAlongTheSecant)
{
  const double G_c = 0.2, h = 1e-6;
  const auto   m   = band_point(G_c, h);
  const auto   law = constitutive::band_law(m);
  double       hist[constitutive::n_history];
  constitutive::initial_history(Kinematics::small, hist);
  const double eps_a = 0.5 * (law.eps0 + law.epsf); // half way down the softening branch
  open_point(Kinematics::small, m, eps_a, 3000, hist);
  const double d      = constitutive::band_damage(m, hist[7]);
  const double expect = f_t * (law.epsf - eps_a) / (law.epsf - law.eps0);
  EXPECT_NEAR((1. - d) * M * eps_a, expect, 1e-3 * expect);
  for (const double frac : {0.75, 0.5, 0.25})
    {
      constitutive::PointResponse r;
      double                      next[constitutive::n_history];
      ASSERT_TRUE(constitutive::update(Kinematics::small, m, uniaxial(frac * eps_a), hist, r,
                                       next, nullptr));
      EXPECT_NEAR(r.P[8], frac * expect, 1e-3 * expect) << frac;
      EXPECT_EQ(next[7], hist[7]) << "no damage on unloading";
    }
}

TEST(CohesiveBand, RefusesSnapBackBands)
{
  // 2 M G_c / f_t^2 for E = 20 GPa, G_c = 0.2 J/m2, f_t = 20 MPa: 26.9 um.
  EXPECT_NEAR(max_band_thickness(M, f_t, 0.2), 2. * M * 0.2 / (f_t * f_t), 1e-12);
  EXPECT_GT(max_band_thickness(M, f_t, 0.2), 1e-6);
}

namespace
{
  /// A column of 2 x 2 x 8 voxels of 1 um: phase 1 (stiff) below z = 4 um,
  /// phase 2 above; the band is phase 2's first layer. Rollers on the sides
  /// and the bottom, the top pulled by a rigid punch.
  struct Column
  {
    dealii::parallel::distributed::Triangulation<3> tria{MPI_COMM_WORLD};
    std::unique_ptr<FiniteStrainSolver>             solver;

    Column(Kinematics kin, double G_c)
    {
      VoxelImage img;
      img.dims       = {{2, 2, 8}};
      img.voxel_size = {{1e-6, 1e-6, 1e-6}};
      img.labels.resize(img.n_voxels());
      for (std::size_t k = 0; k < 8; ++k)
        for (std::size_t j = 0; j < 2; ++j)
          for (std::size_t i = 0; i < 2; ++i)
            img.labels[img.index(i, j, k)] = k < 4 ? 1 : 2;
      img.phase_names = {{1, "stiff"}, {2, "band_phase"}};
      create_voxel_mesh(img, tria);
      MechanicalPhase stiff, soft;
      stiff.E0 = 90e9;
      stiff.nu = 0.22;
      soft.E0  = E;
      soft.nu  = nu;
      LinearSolverSettings lin;
      lin.relative_tolerance = 1e-10;
      NewtonSettings newton;
      newton.relative_tolerance = 1e-9;
      solver = std::make_unique<FiniteStrainSolver>(
        tria, std::map<unsigned int, MechanicalPhase>{{1, stiff}, {2, soft}},
        SideCondition::rollers, TopCondition::displacement, kin, lin, newton);
      solver->set_cohesive_bands({{1, 2, f_t, G_c, 1e-4}});
    }

    /// Pull to @p u_end as the protocol drivers step a load: an increment
    /// whose band opening is too large for the explicit damage
    /// (band_step_ratio() > 1) is halved, an accepted one doubled (up to
    /// @p du_max). Returns {peak traction, work per unit area}; @p last is
    /// the final traction, @p increments the number accepted.
    std::pair<double, double> pull_to(double u_end, double du_max, double &last,
                                      unsigned int &increments)
    {
      const std::vector<double> x(tria.n_active_cells(), 0.);
      double u = 0., du = du_max, peak = 0., work = 0., t_prev = 0.;
      while (u < u_end)
        {
          const double u1 = std::min(u_end, u + du);
          const auto   st = solver->solve(u1, x);
          EXPECT_TRUE(st.converged) << st.failure;
          if (solver->band_step_ratio() > 1. && du > 1e-6 * du_max)
            {
              solver->revert();
              du *= 0.5;
              continue;
            }
          solver->commit();
          const double t = -solver->top_force() / solver->top_area();
          peak           = std::max(peak, t);
          work += 0.5 * (t + t_prev) * (u1 - u);
          t_prev = t;
          u      = u1;
          du     = std::min(du_max, 2. * du);
          ++increments;
        }
      last = t_prev;
      return {peak, work};
    }

    /// Tensile traction on the top [Pa] after solving and committing at u.
    double pull(double u)
    {
      const std::vector<double> x(tria.n_active_cells(), 0.);
      const auto                st = solver->solve(u, x);
      EXPECT_TRUE(st.converged) << st.failure;
      solver->commit();
      return -solver->top_force() / solver->top_area();
    }
  };
} // namespace

TEST(CohesiveBand, ColumnBreaksInTheBandWithTheFractureEnergy)
{
  for (const auto &[kin, G_c, tol] :
       {std::tuple{Kinematics::small, 1.0, 0.03}, std::tuple{Kinematics::finite, 0.2, 0.03}})
    {
      Column       col(kin, G_c);
      const double delta_f = 2. * G_c / f_t;
      double       t_last  = 0.;
      unsigned int n       = 0;
      const double u_end   = 1.3 * delta_f + 10e-9;
      const auto [peak, work] = col.pull_to(u_end, 0.02 * delta_f, t_last, n);
      // What the column still stores elastically (secant, residual band).
      const double stored = 0.5 * t_last * u_end;
      if (dealii::Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
        std::printf("column, kinematics %d: peak %.4g MPa, G %.4g J/m2 in %u increments\n",
                    int(kin), peak / 1e6, work - stored, n);
      EXPECT_NEAR(peak, f_t, tol * f_t) << "kinematics " << int(kin);
      EXPECT_NEAR(work - stored, G_c, tol * G_c) << "kinematics " << int(kin);

      std::vector<double> damage, debonded;
      col.solver->cell_band_state(&damage, &debonded);
      unsigned int band_cells = 0, broken = 0, damaged_elsewhere = 0;
      for (const auto &cell : col.tria.active_cell_iterators())
        if (cell->is_locally_owned())
          {
            const unsigned int c    = cell->active_cell_index();
            const double       z    = cell->center()[2];
            const bool         band = z > 4e-6 && z < 5e-6;
            band_cells += band;
            broken += band && debonded[c] == 1. && damage[c] > 0.999;
            damaged_elsewhere += !band && (damage[c] != 0. || debonded[c] != -1.);
          }
      EXPECT_EQ(dealii::Utilities::MPI::sum(band_cells, MPI_COMM_WORLD), 4u);
      EXPECT_EQ(dealii::Utilities::MPI::sum(broken, MPI_COMM_WORLD), 4u);
      EXPECT_EQ(dealii::Utilities::MPI::sum(damaged_elsewhere, MPI_COMM_WORLD), 0u);

      // Pushed back past closing: the bulk stiffness of the broken band in
      // series with the rest (uniaxial strain), no penetration.
      col.pull(0.);
      const double M_stiff = 90e9 * (1. - 0.22) / ((1. + 0.22) * (1. - 2. * 0.22));
      const double u_c     = -2e-9;
      const double expect  = u_c / (4e-6 / M_stiff + 3e-6 / M + 1e-6 / kappa_b);
      EXPECT_NEAR(col.pull(u_c), expect, 0.01 * std::abs(expect))
        << "kinematics " << int(kin);
    }
}

namespace
{
  /// A Si layer (4 um, initially at state of charge 0.5) under an
  /// electrolyte layer (4 um), 2 x 2 x 8 voxels of 1 um. The mesh is the
  /// unswollen Si: the top is first moved to where the Si at 0.5 is free in
  /// z (its free thickening under lateral confinement, 4 um (1.005^(1/3) - 1)
  /// (1 + nu) / (1 - nu) = 10.41 nm) and held there; delithiating the Si
  /// then pulls on the Si/SE band until it breaks; lithiating past 0.5
  /// presses the crack closed.
  std::string shrinking_layer_case()
  {
    return R"(microstructure:
  build:
    dims: [2, 2, 8]
    voxel_size: 1 um
    seed: 1
    periodic: [true, true, false]
    layers:
      - {name: si, thickness: 4 um, fill: Si, porosity: 0, populations: []}
      - {name: se, thickness: 4 um, fill: SE, porosity: 0, populations: []}
materials:
  Si:
    E: 90 GPa
    nu: 0.22
    lithium: {c_max: 3.11e5 mol/m3, swelling: 0.01, diffusivity: 1e-12 m2/s, initial_soc: 0.5}
  SE: {E: 22 GPa, nu: 0.37, electrolyte: true}
boundary: {sides: rollers, top: displacement}
chemo:
  kinematics: finite
  interfaces:
    - {between: [Si, SE], strength: 20 MPa, fracture_energy: 0.05 J/m2}
protocol:
  - rest: {time: 1 s, top_displacement: 10.41 nm}
  - set_soc: {soc: {Si: 0.0}, increments: 200, output_every: 1000}
  - rest: {time: 1 s}
  - set_soc: {soc: {Si: 0.8}, increments: 20, output_every: 1000}
  - rest: {time: 1 s}
output: {interfaces: false, checkpoint_every: 0, fields: [phase, interface_damage]}
)";
  }
} // namespace

TEST(CohesiveBand, DelithiatedLayerDebondsAndLosesContactUntilPressedClosed)
{
  using namespace test_support;
  const std::string dir = output_dir("cohesive", "shrinking_layer");
  clean(dir);
  const CsvTable t = run_case_text(shrinking_layer_case(), dir);
  // The last row of each protocol step.
  std::map<int, std::size_t> last_of;
  for (std::size_t r = 0; r < t.rows().size(); ++r)
    last_of[static_cast<int>(value(t, r, "step"))] = r;
  ASSERT_EQ(last_of.size(), 5u);
  const std::size_t shrunk = last_of[2], rested = last_of[3], rows = t.rows().size();
  // Relieved: the band starts (nearly) unloaded.
  EXPECT_LT(std::abs(value(t, last_of[1], "stack_pressure_Pa")), 0.05 * f_t);
  // The stack pressure (tensile < 0) peaks at the band's strength, then the
  // band softens and lets go.
  double peak = 0.;
  for (std::size_t r = 0; r <= shrunk; ++r)
    peak = std::min(peak, value(t, r, "stack_pressure_Pa"));
  EXPECT_NEAR(peak, -f_t, 0.05 * f_t); // rows every 0.0025 in x: ~0.4 MPa apart
  EXPECT_GT(value(t, shrunk, "stack_pressure_Pa"), -0.01 * f_t);
  EXPECT_EQ(value(t, shrunk, "debonded_fraction_Si_SE"), 1.);
  EXPECT_GT(value(t, shrunk, "mean_damage_Si_SE"), 0.999);
  // Contact (and the Li flux) is lost once a time step has passed ...
  const double full = value(t, 0, "interface_area_in_contact_Si_m2");
  EXPECT_NEAR(full, 4e-12, 1e-15); // the 2 x 2 faces of 1 um^2
  EXPECT_EQ(value(t, rested, "interface_area_in_contact_Si_m2"), 0.);
  // ... and regained when the swelling Si presses the crack closed.
  EXPECT_GT(value(t, rows - 1, "stack_pressure_Pa"), 0.);
  EXPECT_NEAR(value(t, rows - 1, "interface_area_in_contact_Si_m2"), full, 1e-15);
}

TEST(CohesiveBand, BandThickerThanItsLawAllowsIsRefused)
{
  // f_t = 2 GPa, G_c = 0.01 J/m2 in the electrolyte (M = 38.9 GPa): the
  // band may be at most 2 M G_c / f_t^2 = 0.19 nm thick, the voxel is 1 um.
  std::string text = shrinking_layer_case();
  text.replace(text.find("strength: 20 MPa, fracture_energy: 0.05 J/m2"),
               std::string("strength: 20 MPa, fracture_energy: 0.05 J/m2").size(),
               "strength: 2 GPa, fracture_energy: 0.01 J/m2");
  const std::string dir = test_support::output_dir("cohesive", "snap_back");
  test_support::clean(dir);
  std::string message;
  try
    {
      test_support::run_case_text(text, dir);
    }
  catch (const std::exception &e)
    {
      message = e.what();
    }
  EXPECT_NE(message.find("chemo.interfaces"), std::string::npos) << message;
  EXPECT_NE(message.find("must be thinner than 2 M G_c / f_t^2"), std::string::npos) << message;
}
