// Verification of the finite-strain / small-strain elasto-plastic solver
// (solver/finite_strain/finite_strain.h, solver/materials/constitutive.h) against closed forms, the
// small-strain ElasticitySolver, and itself on one rank. Runs on 1 and 2 MPI
// ranks (tests/CMakeLists.txt).
#include "voxel_solid.h"

#include <mesh/voxel_mesh.h>
#include <solver/elasticity/elasticity.h>
#include <solver/finite_strain/finite_strain.h>

#include <deal.II/base/mpi.h>
#include <deal.II/grid/grid_tools.h>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <sstream>
#include <utility>

using namespace solidanode;
using dealii::Utilities::MPI::max;
using dealii::Utilities::MPI::sum;

namespace
{
  const double h = 1e-6;

  VoxelImage uniform_image(std::array<std::size_t, 3> dims, std::uint8_t label = 1)
  {
    VoxelImage img;
    img.dims       = dims;
    img.voxel_size = {{h, h, h}};
    img.labels.assign(img.n_voxels(), label);
    img.phase_names = {{label, "solid"}};
    return img;
  }

  /// Cube of n^3 voxels, label 2 inside a sphere of radius r voxels centred
  /// at c (in voxels), label 1 elsewhere; label 0 (pores) where pore(i,j,k).
  template <typename PoreFn>
  VoxelImage sphere_image(std::size_t n, double r, std::array<double, 3> c, PoreFn pore)
  {
    VoxelImage img  = uniform_image({{n, n, n}});
    img.phase_names = {{0, "pore"}, {1, "matrix"}, {2, "sphere"}};
    for (std::size_t k = 0; k < n; ++k)
      for (std::size_t j = 0; j < n; ++j)
        for (std::size_t i = 0; i < n; ++i)
          {
            const double x = i + 0.5 - c[0], y = j + 0.5 - c[1], z = k + 0.5 - c[2];
            if (x * x + y * y + z * z < r * r)
              img.labels[img.index(i, j, k)] = 2;
            else if (pore(i, j, k))
              img.labels[img.index(i, j, k)] = 0;
          }
    return img;
  }

  double kappa_of(double E, double nu) { return E / (3. * (1. - 2. * nu)); }
  double mu_of(double E, double nu) { return E / (2. * (1. + nu)); }

  struct Problem : VoxelSolid
  {
    Problem(const VoxelImage &img, const std::map<unsigned int, MechanicalPhase> &phases,
            SideCondition sides, TopCondition top, Kinematics kin,
            MPI_Comm comm = MPI_COMM_WORLD, double cg_rtol = 1e-10, double newton_rtol = 1e-9)
      : VoxelSolid(img, phases, sides, top, cg_rtol, newton_rtol, kin, comm)
    {}

    /// x per active cell from a function of the cell (owned and ghost cells).
    template <typename Fn>
    std::vector<double> x_field(Fn fn) const
    {
      std::vector<double> x(tria.n_active_cells(), 0.);
      for (const auto &cell : tria.active_cell_iterators())
        if (!cell->is_artificial())
          x[cell->active_cell_index()] = fn(cell);
      return x;
    }
    std::vector<double> uniform_x(double value) const
    {
      return std::vector<double>(tria.n_active_cells(), value);
    }

    /// Largest |s - expected| over owned cells and all ranks.
    double max_stress_error(const std::vector<CellStress> &s, const CellStress &expected) const
    {
      double err = 0;
      for (const auto &cell : tria.active_cell_iterators())
        if (cell->is_locally_owned())
          for (unsigned int c = 0; c < 6; ++c)
            err = std::max(err, std::abs(s[cell->active_cell_index()][c] - expected[c]));
      return max(err, tria.get_communicator());
    }
    double max_error(const std::vector<double> &v, double expected) const
    {
      double err = 0;
      for (const auto &cell : tria.active_cell_iterators())
        if (cell->is_locally_owned())
          err = std::max(err, std::abs(v[cell->active_cell_index()] - expected));
      return max(err, tria.get_communicator());
    }
    double owned_sum(const std::vector<double> &v) const
    {
      double s = 0;
      for (const auto &cell : tria.active_cell_iterators())
        if (cell->is_locally_owned())
          s += v[cell->active_cell_index()];
      return sum(s, tria.get_communicator());
    }

    /// Solve and commit, asserting convergence.
    NewtonStatistics step(double top, const std::vector<double> &x)
    {
      const NewtonStatistics st = solver->solve(top, x);
      EXPECT_TRUE(st.converged) << st.failure;
      solver->commit();
      return st;
    }
  };

  MechanicalPhase si_phase()
  {
    MechanicalPhase p;
    p.name     = "Si";
    p.E0       = 90e9;
    p.E1       = 41e9; // Shenoy et al. 2010 (docs/materials.md)
    p.nu       = 0.22;
    p.swelling = 3.; // J_s(1) = 4
    return p;
  }

  constitutive::Tensor2 random_F(std::mt19937 &rng, double amplitude)
  {
    std::uniform_real_distribution<double> d(-amplitude, amplitude);
    constitutive::Tensor2                  F{{1, 0, 0, 0, 1, 0, 0, 0, 1}};
    for (auto &f : F)
      f += d(rng);
    return F;
  }

  /// Largest |A - central differences of P| over all entries (and max |A|)
  /// of the tangent of constitutive::update at F from history h (at a fixed
  /// element mean Jbar > 0 for the mean dilatation).
  std::pair<double, double> tangent_fd_error(Kinematics kin, const constitutive::PointMaterial &m,
                                             const constitutive::Tensor2 &F, const double *h,
                                             double eps, double Jbar = 0.)
  {
    constitutive::PointResponse r;
    double                      A[81];
    EXPECT_TRUE(constitutive::update(kin, m, F, h, r, nullptr, A, Jbar));
    double worst = 0, scale = 0;
    for (unsigned int kl = 0; kl < 9; ++kl)
      {
        auto Fp = F, Fm = F;
        Fp[kl] += eps;
        Fm[kl] -= eps;
        constitutive::PointResponse rp, rm;
        EXPECT_TRUE(constitutive::update(kin, m, Fp, h, rp, nullptr, nullptr, Jbar));
        EXPECT_TRUE(constitutive::update(kin, m, Fm, h, rm, nullptr, nullptr, Jbar));
        for (unsigned int ij = 0; ij < 9; ++ij)
          {
            const double fd = (rp.P[ij] - rm.P[ij]) / (2. * eps);
            worst           = std::max(worst, std::abs(fd - A[9 * ij + kl]));
            scale           = std::max(scale, std::abs(A[9 * ij + kl]));
          }
      }
    return {worst, scale};
  }
} // namespace

TEST(Constitutive, TangentIsTheDerivativeOfTheReturnMapping)
{
  // A_ijkl = dP_ij/dF_kl against central differences, elastic and plastic
  // points, both kinematics, with a non-trivial plastic history.
  std::mt19937 rng(5);
  for (const Kinematics kin : {Kinematics::finite, Kinematics::small})
    for (const double yield : {std::numeric_limits<double>::infinity(), 0.3e9})
      {
        MechanicalPhase phase = si_phase();
        phase.yield0          = yield;
        phase.yield1          = yield * 0.6;
        phase.hardening       = 2e9;
        const auto m          = constitutive::evaluate(phase, 0.3);
        double     h0[constitutive::n_history], h1[constitutive::n_history];
        constitutive::initial_history(kin, h0);
        constitutive::PointResponse r;
        // A first step to create history, then the point under test.
        ASSERT_TRUE(constitutive::update(kin, m, random_F(rng, 0.08), h0, r, h1, nullptr));
        const auto F = random_F(rng, 0.1);
        ASSERT_TRUE(constitutive::update(kin, m, F, h1, r, nullptr, nullptr));
        EXPECT_EQ(r.plastic, std::isfinite(yield));
        const auto [worst, scale] = tangent_fd_error(kin, m, F, h1, 1e-6);
        EXPECT_LT(worst, 1e-6 * scale) << "kinematics " << int(kin) << ", yield " << yield;
        if (kin == Kinematics::finite)
          {
            // Mean dilatation: the point tangent at a fixed element mean
            // Jbar, and d p / d Jbar of the Cauchy pressure p = tr(tau) / 3J
            // less the deviatoric part (which does not depend on Jbar).
            const double Jbar = 1.07;
            const auto [worst_md, scale_md] = tangent_fd_error(kin, m, F, h1, 1e-6, Jbar);
            EXPECT_LT(worst_md, 1e-6 * scale_md) << "mean dilatation, yield " << yield;
            constitutive::PointResponse rp, rm;
            ASSERT_TRUE(constitutive::update(kin, m, F, h1, r, nullptr, nullptr, Jbar));
            ASSERT_TRUE(constitutive::update(kin, m, F, h1, rp, nullptr, nullptr, Jbar + 1e-6));
            ASSERT_TRUE(constitutive::update(kin, m, F, h1, rm, nullptr, nullptr, Jbar - 1e-6));
            auto pressure = [](const constitutive::PointResponse &q) {
              return (q.cauchy[0] + q.cauchy[4] + q.cauchy[8]) / 3.;
            };
            const double fd = (pressure(rp) - pressure(rm)) / 2e-6;
            EXPECT_NEAR(r.dp_dJbar, fd, 1e-6 * std::abs(fd)) << "yield " << yield;
          }
      }
}

TEST(Constitutive, PoreClosureTangentIsTheDerivativeOfTheStress)
{
  // A pore point crushed below the closure volume ratio (J = 0.054 < J_c =
  // 0.1): the barrier's tangent against central differences.
  MechanicalPhase pore;
  pore.name         = "pore";
  pore.E0           = 2.2e6;
  pore.nu           = 0.;
  pore.pore         = true;
  pore.closure_J    = 0.1;
  pore.closure_bulk = 27e9;
  const auto m      = constitutive::evaluate(pore, 0.);
  double     h[constitutive::n_history], h0[constitutive::n_history];
  constitutive::initial_history(Kinematics::finite, h);
  constitutive::initial_history(Kinematics::small, h0);
  const constitutive::Tensor2 F{{0.45, 0.02, 0., 0.01, 0.4, 0.03, 0., 0.02, 0.3}};
  constitutive::PointResponse r;
  ASSERT_TRUE(constitutive::update(Kinematics::finite, m, F, h, r, nullptr, nullptr));
  ASSERT_LT(r.Je, pore.closure_J);
  const auto [worst, scale] = tangent_fd_error(Kinematics::finite, m, F, h, 1e-7);
  if (dealii::Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
    std::printf("pore closure tangent at J = %.4f: max |A - FD| %.2e of max |A| %.2e\n", r.J,
                worst, scale);
  EXPECT_LT(worst, 1e-6 * scale);

  // The linear pore filler of the finite-strain solver (small-strain
  // stress): the barrier on theta = 1 + tr(eps), its tangent, and its linear
  // continuation below r = 0.1, where the pressure and its slope are
  // continuous and every strain is admissible.
  const auto pressure = [&](double theta) {
    const double                c = theta - 1.;
    const constitutive::Tensor2 Fd{{1. + c, 0., 0., 0., 1., 0., 0., 0., 1.}};
    constitutive::PointResponse q;
    EXPECT_TRUE(constitutive::update(Kinematics::small, m, Fd, h0, q, nullptr, nullptr));
    return (q.cauchy[0] + q.cauchy[4] + q.cauchy[8]) / 3.;
  };
  for (const double theta : {0.06, 0.02, 0.005, -0.5})
    {
      const double r  = std::max(theta / pore.closure_J, 0.1);
      const double pc = -pore.closure_bulk * (1. - r) * (1. - r) / r;
      const double slope = pore.closure_bulk * (1. - r) * (1. + r) / (r * r * pore.closure_J);
      const double expected =
        m.kappa * (theta - 1.) + pc + (theta < 0.01 ? slope * (theta - 0.01) : 0.);
      EXPECT_NEAR(pressure(theta), expected, 1e-9 * std::abs(expected)) << "theta " << theta;
      const constitutive::Tensor2 Fs{{theta - 0.02, 0.03, 0., 0.01, 1.01, 0.02, 0., 0.01, 1.01}};
      const auto [w_s, s_s] = tangent_fd_error(Kinematics::small, m, Fs, h0, 1e-7);
      EXPECT_LT(w_s, 1e-6 * s_s) << "theta " << theta;
    }
}

TEST(FiniteStrain, FreeSwellingToFourTimesTheVolume)
{
  // Symmetry planes x=0, y=0, z=0 only: a uniform J_s = 4 gives the stress-
  // free stretch 4^(1/3) in every direction, in four increments of x.
  const std::array<std::size_t, 3> dims{{4, 4, 6}};
  Problem prob(uniform_image(dims), {{1, si_phase()}}, SideCondition::free, TopCondition::free,
               Kinematics::finite);
  unsigned int worst_iterations = 0;
  for (const double x : {0.25, 0.5, 0.75, 1.})
    {
      const auto st    = prob.step(0., prob.uniform_x(x));
      worst_iterations = std::max(worst_iterations, st.iterations);
    }
  EXPECT_LE(worst_iterations, 6u);
  EXPECT_GE(worst_iterations, 3u); // it is a nonlinear problem
  const double stretch = std::cbrt(4.) - 1.;
  EXPECT_LT(prob.max_stress_error(prob.solver->cell_cauchy_stress(), CellStress{}), 1e-6 * 41e9);
  for (unsigned int d = 0; d < 3; ++d)
    EXPECT_NEAR(prob.solver->mean_face_displacement(2 * d + 1, d), stretch * dims[d] * h,
                1e-9 * stretch * dims[d] * h)
      << "direction " << d;
  EXPECT_LT(prob.max_error(prob.solver->cell_jacobian(), 4.), 1e-9);
  const double volume = dims[0] * dims[1] * dims[2] * h * h * h;
  EXPECT_NEAR(prob.owned_sum(prob.solver->cell_deformed_volume()), 4. * volume, 1e-9 * volume);
  EXPECT_NEAR(prob.solver->top_force(), 0., 1e-9 * 41e9 * 16 * h * h);
}

TEST(FiniteStrain, ClampedSwellingHydrostaticStress)
{
  // Rollers and a fixed top: F = I, F_e = J_s^(-1/3) I, so
  // sigma = kappa ln(J_e) / J_e I = -J_s kappa(E1) ln(J_s) I.
  Problem prob(uniform_image({{4, 4, 4}}), {{1, si_phase()}}, SideCondition::rollers,
               TopCondition::displacement, Kinematics::finite);
  const auto   st    = prob.step(0., prob.uniform_x(1.));
  const double Js    = 4.;
  const double sigma = -Js * kappa_of(41e9, 0.22) * std::log(Js);
  EXPECT_LE(st.iterations, 1u);
  EXPECT_LT(prob.max_stress_error(prob.solver->cell_cauchy_stress(),
                                  CellStress{{sigma, sigma, sigma, 0, 0, 0}}),
            1e-6 * std::abs(sigma));
  EXPECT_LT(prob.max_error(prob.solver->cell_jacobian(), 1.), 1e-12);
  // Reaction on the top: -sigma_zz times the area.
  EXPECT_NEAR(prob.solver->top_force(), -sigma * 16 * h * h, 1e-6 * std::abs(sigma) * 16 * h * h);
}

TEST(FiniteStrain, UniaxialCompressionTopForce)
{
  // Rollers, prescribed top displacement (no swelling): F = diag(1, 1, l),
  // tau_zz = kappa ln l + 2 mu / 3 l^(-2/3) (l^2 - 1), P_zz = tau_zz / l;
  // the top force from the weak-form residual is -P_zz A.
  const double H = 6 * h;
  Problem prob(uniform_image({{3, 3, 6}}), {{1, si_phase()}}, SideCondition::rollers,
               TopCondition::displacement, Kinematics::finite);
  const double delta = -0.2 * H;
  const auto   st    = prob.step(delta, prob.uniform_x(0.));
  EXPECT_LE(st.iterations, 6u);
  const double l = 1. + delta / H, kappa = kappa_of(90e9, 0.22), mu = mu_of(90e9, 0.22);
  const double tau_zz = kappa * std::log(l) + 2. * mu / 3. * std::pow(l, -2. / 3.) * (l * l - 1.);
  const double force  = -tau_zz / l * 9 * h * h;
  EXPECT_NEAR(prob.solver->top_force(), force, 1e-6 * std::abs(force));
  EXPECT_NEAR(prob.solver->mean_top_displacement(), delta, 1e-12 * H);
  EXPECT_LT(prob.max_error(prob.solver->cell_jacobian(), l), 1e-10);
  // Half-way there and back: the same state again (elastic).
  prob.step(delta / 2, prob.uniform_x(0.));
  prob.step(delta, prob.uniform_x(0.));
  EXPECT_NEAR(prob.solver->top_force(), force, 1e-6 * std::abs(force));
}

TEST(FiniteStrain, LaterallyConfinedSwelling)
{
  // Rollers, free top: F = diag(1, 1, l), J_e = l / J_s,
  // bbar_e = l^(-2/3) diag(1, 1, l^2); sigma_zz = 0 fixes l:
  //   kappa ln(l / J_s) + 2 mu / 3 l^(-2/3) (l^2 - 1) = 0,
  // then sigma_xx = (kappa ln J_e - mu / 3 l^(-2/3) (l^2 - 1)) / J_e.
  const double H = 5 * h;
  Problem prob(uniform_image({{3, 3, 5}}), {{1, si_phase()}}, SideCondition::rollers,
               TopCondition::free, Kinematics::finite);
  unsigned int worst_iterations = 0;
  for (const double x : {0.25, 0.5, 0.75, 1.})
    worst_iterations = std::max(worst_iterations, prob.step(0., prob.uniform_x(x)).iterations);
  EXPECT_LE(worst_iterations, 6u);

  const double Js = 4., kappa = kappa_of(41e9, 0.22), mu = mu_of(41e9, 0.22);
  auto g = [&](double l) {
    return kappa * std::log(l / Js) + 2. * mu / 3. * std::pow(l, -2. / 3.) * (l * l - 1.);
  };
  double l = Js;
  for (int k = 0; k < 50; ++k)
    {
      const double dl = 1e-7 * l, dg = (g(l + dl) - g(l - dl)) / (2 * dl);
      l -= g(l) / dg;
    }
  ASSERT_LT(std::abs(g(l)), 1e-6 * kappa);
  const double Je  = l / Js;
  const double sxx = (kappa * std::log(Je) - mu / 3. * std::pow(l, -2. / 3.) * (l * l - 1.)) / Je;
  EXPECT_LT(prob.max_stress_error(prob.solver->cell_cauchy_stress(), CellStress{{sxx, sxx, 0, 0, 0, 0}}),
            1e-6 * std::abs(sxx));
  EXPECT_NEAR(prob.solver->mean_top_displacement(), (l - 1.) * H, 1e-6 * (l - 1.) * H);
  EXPECT_LT(prob.max_error(prob.solver->cell_jacobian(), l), 1e-6 * l);
}

namespace
{
  /// Biaxial in-plane stress of a laterally confined film (rollers, free
  /// top) with isotropic eigenstrain e, small strain, J2 with linear
  /// hardening H: elastic -M e (M = E / (1 - nu)) until M e = sigma_y, then
  /// -(sigma_y + 2 H q) with plastic strain q = (M e - sigma_y) / (M + 2 H)
  /// (eps_p = q diag(-1, -1, 2), equivalent plastic strain alpha = 2 q).
  std::pair<double, double> film_stress(double e, double E, double nu, double sy, double H)
  {
    const double M = E / (1. - nu);
    if (M * e <= sy)
      return {-M * e, 0.};
    const double q = (M * e - sy) / (M + 2. * H);
    return {-(sy + 2. * H * q), 2. * q};
  }
} // namespace

TEST(FiniteStrain, ThinFilmYieldsAndHoldsTheFlowStress)
{
  // Laterally confined block with a growing eigenstrain (a film on a rigid
  // substrate): small strain against the closed form, perfect plasticity
  // and hardening; finite strain at these small strains agrees to ~1e-3.
  const double E = 100e9, nu = 0.25, sy = 0.1e9;
  const double e_yield = sy * (1. - nu) / E, e_max = 4. * e_yield;
  for (const double H : {0., 20e9})
    {
      MechanicalPhase film;
      film.name      = "film";
      film.E0        = E;
      film.nu        = nu;
      film.swelling  = 3. * e_max; // eps_s = (J_s - 1) / 3 = e_max x
      film.yield0    = sy;
      film.hardening = H;
      Problem small(uniform_image({{3, 3, 4}}), {{1, film}}, SideCondition::rollers,
                    TopCondition::free, Kinematics::small);
      Problem finite(uniform_image({{3, 3, 4}}), {{1, film}}, SideCondition::rollers,
                     TopCondition::free, Kinematics::finite);
      double worst_small = 0, worst_finite = 0, worst_alpha = 0;
      bool   yielded = false;
      for (int k = 1; k <= 8; ++k)
        {
          const double x = k / 8.;
          const auto   st = small.step(0., small.uniform_x(x));
          EXPECT_LE(st.iterations, 3u) << "small strain, x = " << x;
          finite.step(0., finite.uniform_x(x));
          const auto [sxx, alpha] = film_stress(e_max * x, E, nu, sy, H);
          yielded                 = yielded || alpha > 0;
          worst_small = std::max(worst_small, small.max_stress_error(small.solver->cell_cauchy_stress(),
                                                                     CellStress{{sxx, sxx, 0, 0, 0, 0}}));
          worst_alpha = std::max(worst_alpha, small.max_error(small.solver->cell_plastic_strain(), alpha));
          worst_finite = std::max(worst_finite, finite.max_stress_error(finite.solver->cell_cauchy_stress(),
                                                                        CellStress{{sxx, sxx, 0, 0, 0, 0}}));
        }
      EXPECT_TRUE(yielded);
      EXPECT_LT(worst_small, 1e-8 * sy) << "H = " << H;
      EXPECT_LT(worst_alpha, 1e-10) << "H = " << H;
      EXPECT_LT(worst_finite, 2e-3 * sy) << "H = " << H;
    }
}

TEST(FiniteStrain, ConfinedSiSwellsPlasticallyAtLargeStrain)
{
  // Laterally confined Si lithiated to J_s = 4 with a flow stress of 1 GPa:
  // it yields early, and from then on the Kirchhoff stress of the elastic
  // part stays on the yield surface: J_e * sigma_vM = sigma_y (perfect
  // plasticity), with sigma_zz = 0 and an equi-biaxial in-plane stress;
  // the rest of the swelling goes into the thickness.
  MechanicalPhase si = si_phase();
  si.yield0          = 1e9;
  const double H     = 4 * h;
  Problem prob(uniform_image({{2, 2, 4}}), {{1, si}}, SideCondition::rollers, TopCondition::free,
               Kinematics::finite);
  unsigned int worst_iterations = 0;
  for (int k = 1; k <= 8; ++k)
    worst_iterations = std::max(worst_iterations, prob.step(0., prob.uniform_x(k / 8.)).iterations);
  EXPECT_LE(worst_iterations, 8u);
  const auto   s  = prob.solver->cell_cauchy_stress();
  const auto   J  = prob.solver->cell_jacobian();
  const double l  = 1. + prob.solver->mean_top_displacement() / H;
  const double Je = l / 4.;
  EXPECT_LT(prob.max_error(J, l), 1e-9 * l);
  double worst = 0;
  for (const auto &cell : prob.tria.active_cell_iterators())
    if (cell->is_locally_owned())
      {
        const auto &c = s[cell->active_cell_index()];
        worst = std::max({worst, std::abs(von_mises(c) * Je - 1e9), std::abs(c[2]),
                          std::abs(c[0] - c[1])});
        EXPECT_LT(c[0], 0.); // compressive in-plane
      }
  EXPECT_LT(max(worst, MPI_COMM_WORLD), 1e-6 * 1e9);
  // tau_e = diag(-sigma_y, -sigma_y, 0) and tr(tau_e) / 3 = kappa ln J_e:
  // the thickness stretch is l = J_s exp(-2 sigma_y / (3 kappa(E1))).
  EXPECT_NEAR(l, 4. * std::exp(-2e9 / (3. * kappa_of(41e9, 0.22))), 1e-6 * l);
  EXPECT_GT(prob.max_error(prob.solver->cell_plastic_strain(), 0.), 0.5);
}

TEST(FiniteStrain, MeanDilatationKeepsANearlyIncompressibleMatrixFromLocking)
{
  // An octant of a swelling sphere (symmetry planes x, y, z = 0, the far
  // faces free) in a nearly incompressible matrix (nu = 0.499). Eshelby: the
  // matrix around a dilating sphere deforms isochorically (u ~ x / |x|^3)
  // and the sphere carries sigma = -3 K_i eps* 4 mu_m / (3 K_i + 4 mu_m) I
  // (infinite matrix; eps* = J_s^(1/3) - 1). Point-wise trilinear elements
  // lock on that field and overestimate the pressure; with the element's
  // mean dilatation the voxel sphere of radius 2.5 voxels comes within the
  // staircase error. The consistent tangent (with the rank-one volumetric
  // term) keeps Newton quadratic.
  const std::size_t n = 8;
  const double      a = 2.5, Js = 1.03;
  const auto        img = sphere_image(n, a, {{0., 0., 0.}}, [](auto, auto, auto) { return false; });
  MechanicalPhase   matrix, sphere;
  matrix.name     = "matrix";
  matrix.E0       = 1e9;
  matrix.nu       = 0.499;
  sphere.name     = "sphere";
  sphere.E0       = 1e9;
  sphere.nu       = 0.3;
  sphere.swelling = Js - 1.;
  const double K_i = kappa_of(sphere.E0, sphere.nu), mu_m = mu_of(matrix.E0, matrix.nu);
  const double eshelby =
    -3. * K_i * (std::cbrt(Js) - 1.) * 4. * mu_m / (3. * K_i + 4. * mu_m); // [Pa]
  double error[2] = {0., 0.};
  for (const bool md : {false, true})
    {
      Problem prob(img, {{1, matrix}, {2, sphere}}, SideCondition::free, TopCondition::free,
                   Kinematics::finite);
      prob.solver->set_mean_dilatation(md);
      const auto st = prob.step(0., prob.uniform_x(1.));
      EXPECT_LE(st.iterations, 4u) << "mean dilatation " << md;
      const auto s = prob.solver->cell_cauchy_stress();
      double     p = 0., count = 0.;
      for (const auto &cell : prob.tria.active_cell_iterators())
        if (cell->is_locally_owned() && cell->material_id() == 2)
          {
            const auto &c = s[cell->active_cell_index()];
            p += (c[0] + c[1] + c[2]) / 3.;
            count += 1.;
          }
      p         = sum(p, MPI_COMM_WORLD) / sum(count, MPI_COMM_WORLD);
      error[md] = std::abs(p / eshelby - 1.);
      if (dealii::Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
        std::printf("mean dilatation %d: sphere mean stress %.4g Pa (Eshelby %.4g), error %.3f, "
                    "%u Newton\n",
                    int(md), p, eshelby, error[md], st.iterations);
    }
  EXPECT_LT(error[1], 0.12);
  EXPECT_GT(error[0], 4. * error[1]); // the point-wise element does lock here
}

TEST(FiniteStrain, SmallKinematicsEqualsElasticitySolver)
{
  // Sphere (label 2) in a matrix (label 1) with a few pores (label 0) in the
  // top layers, per-phase eigenstrain, stack pressure on top: the linear
  // elastic small-strain problem of ElasticitySolver, to solver tolerance.
  const std::size_t n   = 12;
  VoxelImage        img = sphere_image(n, 4.5, {{6., 6., 5.}}, [](std::size_t i, std::size_t j, std::size_t k) {
    return k >= 10 && (i + 2 * j) % 5 == 0;
  });
  const std::map<unsigned int, ElasticPhase> elastic = {
    {0, {"pore", 22e9 * 1e-4, 0., true}}, {1, {"matrix", 22e9, 0.37}}, {2, {"sphere", 90e9, 0.22}}};
  std::map<unsigned int, MechanicalPhase> mech;
  for (const auto &[id, p] : elastic)
    {
      MechanicalPhase m;
      m.name      = p.name;
      m.E0        = p.E;
      m.nu        = p.nu;
      m.pore      = p.pore;
      mech[id]    = m;
    }
  mech[1].swelling = 3. * 0.002; // eigenstrain 0.002 at x = 1
  mech[2].swelling = 3. * 0.01;  // eigenstrain 0.01 at x = 1
  const double p   = 50e6;

  dealii::parallel::distributed::Triangulation<3> tria(MPI_COMM_WORLD);
  create_voxel_mesh(img, tria);
  LinearSolverSettings lin;
  lin.relative_tolerance = 1e-12;
  ElasticitySolver reference(tria, elastic, SideCondition::rollers, TopCondition::pressure, lin);
  LoadState load;
  load.top_value      = p;
  load.eigenstrain[1] = 0.002;
  load.eigenstrain[2] = 0.01;
  reference.solve(load);

  NewtonSettings newton;
  newton.relative_tolerance = 1e-10;
  FiniteStrainSolver solver(tria, mech, SideCondition::rollers, TopCondition::pressure,
                            Kinematics::small, lin, newton);
  const auto st = solver.solve(p, std::vector<double>(tria.n_active_cells(), 1.));
  ASSERT_TRUE(st.converged) << st.failure;
  EXPECT_EQ(st.iterations, 1u); // linear problem
  solver.commit();

  // Same mesh, same FE: the same DoF numbering.
  const auto &a = reference.solution(), &b = solver.solution();
  double diff = 0, scale = 0;
  for (const auto i : reference.dof_handler().locally_owned_dofs())
    {
      diff  = std::max(diff, std::abs(a(i) - b(i)));
      scale = std::max(scale, std::abs(a(i)));
    }
  diff  = max(diff, MPI_COMM_WORLD);
  scale = max(scale, MPI_COMM_WORLD);
  EXPECT_LT(diff, 1e-8 * scale) << "max |u| " << scale;

  const auto s_ref = reference.cell_stresses(load);
  const auto s_fs  = solver.cell_cauchy_stress();
  double     sdiff = 0;
  for (const auto &cell : tria.active_cell_iterators())
    if (cell->is_locally_owned())
      for (unsigned int c = 0; c < 6; ++c)
        sdiff = std::max(sdiff, std::abs(s_ref[cell->active_cell_index()][c] -
                                         s_fs[cell->active_cell_index()][c]));
  EXPECT_LT(max(sdiff, MPI_COMM_WORLD), 1e-7 * 0.01 * 90e9);
  // Top force = p A (the piston pushes on the solid faces only).
  const double area = n * n * h * h;
  EXPECT_NEAR(solver.top_force(), p * area, 1e-8 * p * area);
}

namespace
{
  /// One phase everywhere; x = 1 in a ball (r = 3.5 voxels) at the centre of
  /// a 10^3 cube, x = 0 elsewhere; rollers, free top. Returns the mean top
  /// displacement and the top force.
  struct BallResult
  {
    double top_displacement, top_force;
  };
  BallResult swell_ball(Kinematics kin, double swelling, MPI_Comm comm)
  {
    MechanicalPhase phase = si_phase();
    phase.swelling        = swelling;
    Problem prob(uniform_image({{10, 10, 10}}), {{1, phase}}, SideCondition::rollers,
                 TopCondition::free, kin, comm, 1e-11, 1e-10);
    const auto x = prob.x_field([](const auto &cell) {
      const auto c = cell->center() / h;
      const double r2 = (c[0] - 5) * (c[0] - 5) + (c[1] - 5) * (c[1] - 5) + (c[2] - 5) * (c[2] - 5);
      return r2 < 3.5 * 3.5 ? 1. : 0.;
    });
    const auto st = prob.solver->solve(0., x);
    EXPECT_TRUE(st.converged) << st.failure;
    EXPECT_LE(st.iterations, 4u);
    prob.solver->commit();
    if (comm == MPI_COMM_WORLD)
      {
        // Ghost cells report the same stress as their owners.
        const auto s = prob.solver->cell_cauchy_stress();
        using Data   = std::vector<double>;
        double worst = 0;
        dealii::GridTools::exchange_cell_data_to_ghosts<Data, dealii::parallel::distributed::Triangulation<3>>(
          prob.tria,
          [&](const auto &cell) -> dealii::std_cxx17::optional<Data> {
            const auto &v = s[cell->active_cell_index()];
            return Data(v.begin(), v.end());
          },
          [&](const auto &cell, const Data &d) {
            for (unsigned int c = 0; c < 6; ++c)
              worst = std::max(worst, std::abs(d[c] - s[cell->active_cell_index()][c]));
          });
        EXPECT_EQ(worst, 0.);
      }
    return {prob.solver->mean_top_displacement(), prob.solver->top_force()};
  }
} // namespace

TEST(FiniteStrain, FiniteMatchesSmallAtSmallSwellingAndRankCountDoesNotMatter)
{
  // A swelling ball given by x per cell: finite and small strain differ by
  // O(strain), i.e. the relative difference halves with the swelling; the
  // same problem on each rank alone gives the same top displacement.
  double rel[2];
  const double swelling[2] = {0.03, 0.015};
  for (int k = 0; k < 2; ++k)
    {
      const auto fin = swell_ball(Kinematics::finite, swelling[k], MPI_COMM_WORLD);
      const auto sml = swell_ball(Kinematics::small, swelling[k], MPI_COMM_WORLD);
      rel[k] = std::abs(fin.top_displacement - sml.top_displacement) / std::abs(sml.top_displacement);
      EXPECT_NEAR(fin.top_force, 0., 1e-9 * 41e9 * swelling[k] * 100 * h * h);
      if (k == 0)
        {
          const auto self = swell_ball(Kinematics::finite, swelling[k], MPI_COMM_SELF);
          EXPECT_NEAR(self.top_displacement, fin.top_displacement,
                      1e-8 * std::abs(fin.top_displacement));
        }
    }
  EXPECT_LT(rel[0], 0.05);
  EXPECT_GT(rel[0], 1e-4); // the two models do differ
  EXPECT_NEAR(rel[0] / rel[1], 2., 0.3) << rel[0] << " " << rel[1];
}

TEST(FiniteStrain, CheckpointRestartOnOneRank)
{
  // Two plastic increments on all ranks, packed per cell, unpacked into a
  // solver on each rank alone; the restarted solver continues identically.
  MechanicalPhase si = si_phase();
  si.yield0          = 0.5e9;
  si.hardening       = 5e9;
  MechanicalPhase matrix;
  matrix.name = "LPSCl";
  matrix.E0   = 22e9;
  matrix.nu   = 0.37;
  const std::map<unsigned int, MechanicalPhase> phases = {{1, matrix}, {2, si}};
  const VoxelImage img = sphere_image(8, 3., {{4., 4., 4.}}, [](auto, auto, auto) { return false; });
  Problem world(img, phases, SideCondition::rollers, TopCondition::displacement, Kinematics::finite);
  Problem self(img, phases, SideCondition::rollers, TopCondition::displacement, Kinematics::finite,
               MPI_COMM_SELF);
  const double delta = -0.01 * 8 * h;
  world.step(delta, world.uniform_x(0.1));
  world.step(delta, world.uniform_x(0.2));
  // A rejected attempt must leave no trace.
  world.solver->solve(2 * delta, world.uniform_x(0.5));
  world.solver->revert();

  auto key = [](const auto &cell) {
    const auto c = cell->center() / h;
    return std::lround(c[0] - 0.5) + 100 * std::lround(c[1] - 0.5) + 10000 * std::lround(c[2] - 0.5);
  };
  std::vector<double> blobs;
  for (const auto &cell : world.tria.active_cell_iterators())
    if (cell->is_locally_owned())
      {
        blobs.push_back(key(cell));
        const auto d = world.solver->pack_cell_state(cell);
        blobs.insert(blobs.end(), d.begin(), d.end());
      }
  std::map<long, std::vector<double>> state;
  for (const auto &part : dealii::Utilities::MPI::all_gather(MPI_COMM_WORLD, blobs))
    for (std::size_t i = 0; i < part.size(); i += 1 + FiniteStrainSolver::n_packed_values)
      state[std::lround(part[i])] =
        std::vector<double>(part.begin() + i + 1, part.begin() + i + 1 + FiniteStrainSolver::n_packed_values);
  for (const auto &cell : self.tria.active_cell_iterators())
    if (cell->is_locally_owned())
      self.solver->unpack_cell_state(cell, state.at(key(cell)));
  self.solver->finish_unpack();

  EXPECT_NEAR(self.solver->mean_top_displacement(), world.solver->mean_top_displacement(), 1e-15);
  EXPECT_NEAR(self.solver->top_force(), world.solver->top_force(),
              1e-8 * std::abs(world.solver->top_force()));
  const double plastic_world = world.owned_sum(world.solver->cell_plastic_strain());
  const double plastic_self  = self.owned_sum(self.solver->cell_plastic_strain());
  EXPECT_GT(plastic_world, 0.);
  EXPECT_NEAR(plastic_self, plastic_world, 1e-9 * plastic_world);

  world.step(2 * delta, world.uniform_x(0.4));
  self.step(2 * delta, self.uniform_x(0.4));
  EXPECT_NEAR(self.solver->top_force(), world.solver->top_force(),
              1e-7 * std::abs(world.solver->top_force()));
  EXPECT_NEAR(self.owned_sum(self.solver->cell_plastic_strain()),
              world.owned_sum(world.solver->cell_plastic_strain()), 1e-7 * plastic_world);
}

TEST(FiniteStrain, DISABLED_Benchmark)
{
  // Not a test: seconds per Newton iteration against one linear elastic
  // solve on the image of app/bench.cc (n^3, SOLIDANODE_FS_BENCH_N, default
  // 64). Run: test_finite_strain --gtest_also_run_disabled_tests
  //           --gtest_filter='*Benchmark*'
  const char       *env = std::getenv("SOLIDANODE_FS_BENCH_N");
  const std::size_t n   = env ? std::stoul(env) : 64;
  VoxelImage img;
  img.dims        = {{n, n, n}};
  img.voxel_size  = {{1e-6, 1e-6, 1e-6}};
  img.phase_names = {{0, "pore"}, {1, "Si"}, {2, "LPSCl"}};
  img.labels.assign(img.n_voxels(), 2);
  std::mt19937_64 rng(7);
  auto uniform = [&]() { return (rng() >> 11) * 0x1.0p-53; };
  const double r = n / 10.;
  const std::size_t n_spheres =
    static_cast<std::size_t>(std::round(0.25 * double(n * n * n) / (4. / 3. * M_PI * r * r * r)));
  for (std::size_t s = 0; s < n_spheres; ++s)
    {
      const double c[3] = {uniform() * n, uniform() * n, uniform() * n};
      for (std::size_t k = 0; k < n; ++k)
        for (std::size_t j = 0; j < n; ++j)
          for (std::size_t i = 0; i < n; ++i)
            {
              const double dx = i + 0.5 - c[0], dy = j + 0.5 - c[1], dz = k + 0.5 - c[2];
              if (dx * dx + dy * dy + dz * dz <= r * r)
                img.labels[img.index(i, j, k)] = 1;
            }
    }
  for (auto &l : img.labels)
    if (l == 2 && uniform() < 0.05)
      l = 0;

  dealii::parallel::distributed::Triangulation<3> tria(MPI_COMM_WORLD);
  create_voxel_mesh(img, tria);
  LinearSolverSettings lin;
  lin.relative_tolerance = 1e-8;
  const bool root = dealii::Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0;

  {
    const std::map<unsigned int, ElasticPhase> phases = {
      {0, {"pore", 25e9 * 1e-4, 0., true}}, {1, {"Si", 90e9, 0.25}}, {2, {"LPSCl", 25e9, 0.25}}};
    ElasticitySolver elastic(tria, phases, SideCondition::free, TopCondition::pressure, lin);
    LoadState load;
    load.top_value      = 0.1e9;
    load.eigenstrain[1] = 0.01;
    const auto s = elastic.solve(load);
    if (root)
      std::printf("linear elastic solve: assembly %.2f s, AMG setup %.2f s, CG %.2f s (%u its), "
                  "total %.2f s\n",
                  s.assemble_seconds, s.setup_seconds, s.solve_seconds, s.iterations,
                  s.assemble_seconds + s.setup_seconds + s.solve_seconds);
    std::fflush(stdout);
  }
  // Cases "kinematics:reuse", e.g. SOLIDANODE_FS_BENCH_CASES="finite:1 small:0".
  const char *cases_env = std::getenv("SOLIDANODE_FS_BENCH_CASES");
  std::istringstream cases(cases_env ? cases_env : "finite:1 finite:0");
  const char *inc_env    = std::getenv("SOLIDANODE_FS_BENCH_INCREMENTS");
  const int   increments = inc_env ? std::stoi(inc_env) : 4;
  for (std::string c; cases >> c;)
      {
        const Kinematics kin   = c.rfind("small", 0) == 0 ? Kinematics::small : Kinematics::finite;
        const bool       reuse = c.back() == '1';
        MechanicalPhase si;
        si.name     = "Si";
        si.E0       = 90e9;
        si.nu       = 0.25;
        si.swelling = 1.2 * 1.2 * 1.2 - 1.; // eigenstrain 0.2
        si.yield0   = 1e9;
        MechanicalPhase lpscl;
        lpscl.name = "LPSCl";
        lpscl.E0   = 25e9;
        lpscl.nu   = 0.25;
        MechanicalPhase pore;
        pore.name = "pore";
        pore.E0   = 25e9 * 1e-4;
        pore.nu   = 0.;
        pore.pore = true;
        NewtonSettings newton;
        newton.reuse_amg_interpolation = reuse;
        newton.verbose                 = std::getenv("FS_VERBOSE") != nullptr;
        FiniteStrainSolver solver(tria, {{0, pore}, {1, si}, {2, lpscl}}, SideCondition::free,
                                  TopCondition::pressure, kin, lin, newton);
        const char *steps_env = std::getenv("SOLIDANODE_FS_BENCH_STEPS");
        const int   steps     = steps_env ? std::stoi(steps_env) : increments;
        for (int k = 1; k <= std::min(steps, increments); ++k)
          {
            const auto st = solver.solve(0.1e9, std::vector<double>(tria.n_active_cells(),
                                                                    double(k) / increments));
            solver.commit();
            if (root)
              std::printf("%s reuse=%d x=%.2f: converged %d, %u Newton its, %u CG its, %u cuts, %u fallbacks; "
                          "per Newton iteration: assembly %.2f s, residuals %.2f s, AMG setup %.2f s, "
                          "CG %.2f s, total %.2f s\n",
                          kin == Kinematics::finite ? "finite" : "small", int(reuse),
                          double(k) / increments, int(st.converged), st.iterations,
                          st.linear_iterations, st.step_halvings, st.linear_fallbacks,
                          st.assemble_seconds / st.iterations, st.residual_seconds / st.iterations,
                          st.setup_seconds / st.iterations, st.solve_seconds / st.iterations,
                          (st.assemble_seconds + st.residual_seconds + st.setup_seconds +
                           st.solve_seconds) / st.iterations);
            std::fflush(stdout);
          }
      }
}
