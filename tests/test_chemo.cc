// Chemo-mechanics: the coupled verification cases and the
// protocol driver end to end. Runs on 1 and 2 MPI ranks.
//
// * diffusion-induced stress at the centre of a voxelised elastic sphere
//   under potentiostatic and galvanostatic lithiation against the closed
//   forms (Cheng & Verbrugge 2009; Zhang, Shyy & Sastry 2007);
// * mass conservation of a protocol run (Li inserted = current x time);
// * stack: fixed thickness -> the pressure rises when Si swells; constant
//   pressure -> the thickness grows instead;
// * restart in the middle of a protocol reproduces the uninterrupted run.
#include <mesh/voxel_io.h>
#include <mesh/voxel_mesh.h>
#include <postprocess/summary.h>
#include <solver/input/case_config.h>
#include <solver/finite_strain/finite_strain.h>
#include <solver/transport/li_transport.h>
#include <solver/drivers/run.h>

#include "protocol_case_support.h"

#include <deal.II/base/mpi.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <tuple>
#include <cstdio>
#include <filesystem>
#include <fstream>

using namespace solidanode;
namespace fs = std::filesystem;

namespace
{
  const MPI_Comm comm = MPI_COMM_WORLD;
  const double   h    = 1e-6;

  /// An octant of a sphere of radius R voxels (label 1) at the corner of an
  /// n^3 box of electrolyte (label 2). Symmetry planes x, y, z = 0.
  VoxelImage octant_sphere(std::size_t n, double R)
  {
    VoxelImage img;
    img.dims        = {{n, n, n}};
    img.voxel_size  = {{h, h, h}};
    img.phase_names = {{1, "Si"}, {2, "SE"}};
    img.labels.assign(img.n_voxels(), 2);
    for (std::size_t k = 0; k < n; ++k)
      for (std::size_t j = 0; j < n; ++j)
        for (std::size_t i = 0; i < n; ++i)
          {
            const double x = i + 0.5, y = j + 0.5, z = k + 0.5;
            if (x * x + y * y + z * z < R * R)
              img.labels[i + n * (j + n * k)] = 1;
          }
    return img;
  }

  double volume_equivalent_radius(const VoxelImage &img)
  {
    std::size_t n = 0;
    for (auto l : img.labels)
      n += l == 1;
    return std::cbrt(8. * 3. * double(n) / (4. * M_PI)) * h;
  }

  /// Potentiostatic sphere, x(R) = 1 from x = 0 (Crank 1975, eq. 6.18/6.20):
  /// centre content and mean content at tau = D t / R^2.
  void potentiostatic(double tau, double &centre, double &mean)
  {
    centre = 1.;
    mean   = 1.;
    for (int n = 1; n < 400; ++n)
      {
        const double e = std::exp(-n * n * M_PI * M_PI * tau);
        centre += 2. * (n % 2 ? -1. : 1.) * e;
        mean -= 6. / (M_PI * M_PI * n * n) * e;
      }
  }

  /// Galvanostatic sphere with surface flux q (D dx/dr = q at r = R) from
  /// x = 0 (Cheng & Verbrugge 2009, eq. 8): x_mean - x_centre at tau.
  double galvanostatic_mean_minus_centre(double tau, double qR_over_D)
  {
    // roots of tan(l) = l
    double sum = 0.;
    for (int n = 1; n < 200; ++n)
      {
        double l = (n + 0.5) * M_PI - 1e-3;
        for (int it = 0; it < 50; ++it)
          l -= (std::tan(l) - l) / (1. / (std::cos(l) * std::cos(l)) - 1.);
        sum += std::exp(-l * l * tau) / (l * std::sin(l));
      }
    // x(0) = (qR/D) [3 tau - 3/10 - 2 sum], mean = 3 tau qR/D
    return qR_over_D * (0.3 + 2. * sum);
  }

  struct SphereProblem
  {
    VoxelImage                                      img;
    dealii::parallel::distributed::Triangulation<3> tria;
    std::unique_ptr<LiTransport>                    li;
    std::unique_ptr<FiniteStrainSolver>             mech;
    double E = 90e9, nu = 0.22, beta = 3e-3, D = 1e-14, c_max = 3e5;

    SphereProblem(std::size_t n, double R)
      : img(octant_sphere(n, R))
      , tria(comm)
    {
      create_voxel_mesh(img, tria);
      li = std::make_unique<LiTransport>(
        tria, std::map<unsigned int, ActiveTransportPhase>{{1, {"Si", c_max, D, 0., 0.}}},
        std::set<unsigned int>{2}, 298.15);
      std::map<unsigned int, MechanicalPhase> phases;
      phases[1].name     = "Si";
      phases[1].E0       = E;
      phases[1].nu       = nu;
      phases[1].swelling = beta;
      phases[2].name     = "SE";
      phases[2].E0       = 1e-5 * E; // free sphere
      phases[2].nu       = 0.;
      LinearSolverSettings lin;
      lin.relative_tolerance = 1e-10;
      mech = std::make_unique<FiniteStrainSolver>(tria, phases, SideCondition::free,
                                                  TopCondition::free, Kinematics::small, lin,
                                                  NewtonSettings());
    }

    /// Centre (corner voxel) mean stress and x after solving the mechanics.
    std::pair<double, double> centre()
    {
      const auto st = mech->solve(0., li->cell_x());
      EXPECT_TRUE(st.converged);
      const auto s = mech->cell_cauchy_stress();
      double     sigma = 0., x = 0.;
      for (const auto &cell : tria.active_cell_iterators())
        if (cell->is_locally_owned() && cell->center().norm() < h)
          {
            sigma = hydrostatic(s[cell->active_cell_index()]);
            x     = li->cell_x()[cell->active_cell_index()];
          }
      return {dealii::Utilities::MPI::sum(sigma, comm), dealii::Utilities::MPI::sum(x, comm)};
    }

    /// sigma_centre = 2 E beta / (9 (1 - nu)) (x_mean - x_centre): the
    /// closed form of a free linear elastic sphere with eigenstrain beta x / 3.
    double stress_factor() const { return 2. * E * beta / (9. * (1. - nu)); }
  };
} // namespace

TEST(Chemo, PotentiostaticSphereCentreStress)
{
  SphereProblem p(16, 12.);
  const double  R  = volume_equivalent_radius(p.img);
  TransportSource src;
  src.mode      = SourceMode::potentiostatic;
  src.surface_x = 1.;
  const double dt = 0.001 * R * R / p.D;
  double       t  = 0.;
  for (const double tau_check : {0.03, 0.06, 0.12})
    {
      while (t < tau_check * R * R / p.D - 0.5 * dt)
        {
          ASSERT_TRUE(p.li->step(dt, src, nullptr).converged);
          p.li->commit();
          t += dt;
        }
      double xc, xm;
      potentiostatic(t * p.D / (R * R), xc, xm);
      const double mean = p.li->mean_x(1);
      const auto [sigma, x0] = p.centre();
      const double expected = p.stress_factor() * (xm - xc);
      EXPECT_NEAR(mean, xm, 0.03 * xm) << "tau " << tau_check;
      if (dealii::Utilities::MPI::this_mpi_process(comm) == 0)
        std::printf("potentiostatic tau %.3f: mean x %.5f (closed form %.5f, %+.2f %%), centre "
                    "stress %.4g Pa (closed form %.4g Pa, %+.2f %%)\n",
                    tau_check, mean, xm, 100. * (mean / xm - 1.), sigma, expected,
                    100. * (sigma / expected - 1.));
      EXPECT_NEAR(sigma, expected, 0.05 * expected)
        << "tau " << tau_check << ": centre stress " << sigma << " Pa, closed form "
        << expected << " Pa (x centre " << x0 << " vs " << xc << ")";
    }
}

TEST(Chemo, GalvanostaticSphereCentreStress)
{
  SphereProblem p(16, 12.);
  const double  R = volume_equivalent_radius(p.img);
  // Molar rate into the octant for a surface flux q: q c_max (4 pi R^2 / 8).
  const double    q = 0.2 * p.D / R; // qR/D = 0.2
  TransportSource src;
  src.mode          = SourceMode::galvanostatic;
  src.molar_rate[1] = q * p.c_max * 0.5 * M_PI * R * R;
  const double dt   = 0.001 * R * R / p.D;
  double       t    = 0.;
  for (const double tau_check : {0.05, 0.1, 0.3})
    {
      while (t < tau_check * R * R / p.D - 0.5 * dt)
        {
          ASSERT_TRUE(p.li->step(dt, src, nullptr).converged);
          p.li->commit();
          t += dt;
        }
      const double tau      = t * p.D / (R * R);
      const double expected = p.stress_factor() * galvanostatic_mean_minus_centre(tau, 0.2);
      const auto [sigma, x0] = p.centre();
      EXPECT_NEAR(sigma, expected, 0.05 * expected)
        << "tau " << tau << ": centre stress " << sigma << " Pa, closed form " << expected;
      if (dealii::Utilities::MPI::this_mpi_process(comm) == 0)
        std::printf("galvanostatic tau %.3f: centre stress %.4g Pa (closed form %.4g Pa, "
                    "%+.2f %%)\n", tau, sigma, expected, 100. * (sigma / expected - 1.));
      // Mass: x_mean = Ndot t / (c_max V) exactly (volume of the voxel octant).
      const double V = double(std::count(p.img.labels.begin(), p.img.labels.end(), 1)) * h * h * h;
      EXPECT_NEAR(p.li->mean_x(1), src.molar_rate[1] * t / (p.c_max * V), 1e-9);
    }
}

namespace
{
  /// A Si slab in electrolyte, 8 x 8 x 8 voxels of 1 um: Si fills z in
  /// [2, 6) voxels over the whole cross-section, electrolyte below and above.
  std::string slab_case(const std::string &vti, const std::string &stack,
                        const std::string &extra_protocol = "")
  {
    return "microstructure: {vti: " + vti + R"(}
materials:
  Si:
    E: 90 GPa
    nu: 0.22
    lithium: {c_max: 3.11e5 mol/m3, swelling: 0.3, diffusivity: 1e-12 m2/s}
  SE: {E: 22 GPa, nu: 0.37, electrolyte: true}
boundary: {sides: rollers, top: pressure}
chemo: {kinematics: finite, max_soc_change: 0.05}
protocol:
  - press: {pressure: 20 MPa, release_to: 10 MPa, increments: 1}
  - lithiate: {c_rate: 2, until_soc: 0.3, )" +
           stack + "}\n" + extra_protocol + "output: {interfaces: true, checkpoint_every: 0}\n";
  }

  std::string slab_image(const std::string &dir)
  {
    VoxelImage img;
    img.dims        = {{8, 8, 8}};
    img.voxel_size  = {{h, h, h}};
    img.phase_names = {{1, "Si"}, {2, "SE"}};
    img.labels.assign(img.n_voxels(), 2);
    for (std::size_t k = 2; k < 6; ++k)
      for (std::size_t j = 0; j < 8; ++j)
        for (std::size_t i = 0; i < 8; ++i)
          img.labels[i + 8 * (j + 8 * k)] = 1;
    const std::string path = dir + "/slab.vti";
    if (dealii::Utilities::MPI::this_mpi_process(comm) == 0)
      {
        fs::create_directories(dir);
        write_vti(img, path);
      }
    MPI_Barrier(comm);
    return fs::absolute(path).string();
  }

  std::string test_dir(const std::string &name)
  {
    return test_support::output_dir("chemo", name);
  }
  using test_support::clean;
  using test_support::value;
  using test_support::run_case_text;
} // namespace

TEST(Chemo, ProtocolConservesLiAndStackRespondsToSwelling)
{
  const std::string dir = test_dir("stack");
  clean(dir);
  const std::string vti = slab_image(dir);

  // Constant stack pressure: Li in = current x time, thickness grows.
  const CsvTable a = run_case_text(slab_case(vti, "pressure: 10 MPa"), dir + "/pressure");
  const std::size_t last = a.rows().size() - 1;
  ASSERT_GE(last, 3u);
  EXPECT_NEAR(value(a, last, "state_of_charge"), 0.3, 1e-9);
  const double passed = value(a, last, "li_passed_mol");
  EXPECT_NEAR(value(a, last, "li_total_mol"), passed, 1e-6 * passed);
  // Si: 4 of 8 layers swell by J_s = 1 + 0.3 x 0.3 = 1.09, laterally
  // confined by the rollers: eps* = J_s^(1/3) - 1 in every direction, the
  // lateral part pushed back elastically, so the layer thickens by
  // 4 um eps* (1 + nu) / (1 - nu) = 0.182 um (linearised; the stack
  // pressure is unchanged).
  const double t0 = value(a, 1, "thickness_m"), t1 = value(a, last, "thickness_m");
  const double eps = std::cbrt(1.09) - 1., expected = 4e-6 * eps * 1.22 / 0.78;
  EXPECT_NEAR(t1 - t0, expected, 0.03 * expected);
  EXPECT_NEAR(value(a, last, "stack_pressure_Pa"), 10e6, 0.05e6);

  // Fixed thickness: the thickness stays, the stack pressure rises until the
  // free thickening of the Si layer is taken up by compressing the Si and
  // electrolyte layers in series (P-wave moduli M = E (1-nu)/((1+nu)(1-2nu))):
  // p = 0.182 um / (4 um / M_Si + 4 um / M_SE) + 10 MPa ~ 1.3 GPa.
  const CsvTable b = run_case_text(slab_case(vti, "thickness: fixed"), dir + "/fixed");
  const std::size_t lb = b.rows().size() - 1;
  EXPECT_NEAR(value(b, lb, "thickness_m"), value(b, 1, "thickness_m"), 1e-4 * h);
  auto M = [](double E, double nu) { return E * (1 - nu) / ((1 + nu) * (1 - 2 * nu)); };
  const double p = expected / (4e-6 / M(90e9, 0.22) + 4e-6 / M(22e9, 0.37)) + 10e6;
  EXPECT_NEAR(value(b, lb, "stack_pressure_Pa"), p, 0.05 * p);
  EXPECT_NEAR(value(b, lb, "li_total_mol"), value(b, lb, "li_passed_mol"),
              1e-6 * value(b, lb, "li_passed_mol"));
}

TEST(Chemo, RestartInTheMiddleOfAProtocolMatchesTheUninterruptedRun)
{
  const std::string dir = test_dir("restart");
  clean(dir);
  const std::string vti  = slab_image(dir);
  // With stress-assisted flux, so that the staggered passes are exercised;
  // partial molar volume 1e-6 m3/mol, about the swelling / c_max of the
  // case (0.3 / 3.11e5). (With 9e-6 m3/mol, 9x the volume the swelling
  // implies, the passes do not converge in delithiation and the steps cut
  // back below 1 s; docs/chemo_mechanics.md.)
  std::string text = slab_case(vti, "pressure: 10 MPa",
                               "  - delithiate: {c_rate: 2, until_soc: 0.1}\n");
  const std::string plain = "diffusivity: 1e-12 m2/s}";
  text.replace(text.find(plain), plain.size(),
               "diffusivity: 1e-12 m2/s, partial_molar_volume: 1e-6 m3/mol}");
  const CsvTable full = run_case_text(text, dir + "/full");
  run_case_text(text, dir + "/chunked", 3);
  const CsvTable chunked = run_case_text(text, dir + "/chunked", 0, true);
  ASSERT_EQ(full.rows().size(), chunked.rows().size());
  const std::size_t last = full.rows().size() - 1;
  EXPECT_NEAR(value(full, last, "li_total_mol"), value(full, last, "li_passed_mol"),
              1e-6 * value(full, last, "li_passed_mol"));
  for (const char *c : {"state_of_charge", "thickness_m", "time_s", "li_total_mol", "stack_pressure_Pa"})
    EXPECT_NEAR(value(chunked, last, c), value(full, last, c),
                1e-8 * std::abs(value(full, last, c)) + 1e-15)
      << c;
}

TEST(Chemo, AvailabilityWeightedCurrentKeepsSmallParticlesBelowSaturation)
{
  // A big octant particle (R = 10 voxels) and a 2x2x2 voxel particle in
  // electrolyte (R^2/D = 1000 s): per unit area, the small particle (area
  // per volume 3/h vs 3/R) fills ~5x faster and passes x = 1 before the
  // electrode reaches a state of charge of 0.5; weighted by 1 - x, no voxel
  // leaves [0, 1]. Both conserve Li exactly.
  VoxelImage img = octant_sphere(16, 10.);
  for (std::size_t k = 12; k < 14; ++k)
    for (std::size_t j = 12; j < 14; ++j)
      for (std::size_t i = 12; i < 14; ++i)
        img.labels[i + 16 * (j + 16 * k)] = 1;
  dealii::parallel::distributed::Triangulation<3> tria(comm);
  create_voxel_mesh(img, tria);
  const double c_max = 3e5, D = 1e-13;
  const double V = double(std::count(img.labels.begin(), img.labels.end(), 1)) * h * h * h;
  for (const bool weighted : {false, true})
    {
      LiTransport li(tria, {{1, {"Si", c_max, D, 0., 0.}}}, {2}, 298.15);
      TransportSource src;
      src.mode                   = SourceMode::galvanostatic;
      src.availability_weighting = weighted;
      src.molar_rate[1]          = c_max * V / 3600.; // 1 C
      double max_x = 0., t = 0.;
      for (int k = 0; k < 25; ++k) // to a state of charge of 0.5
        {
          const auto st = li.step(72., src, nullptr);
          ASSERT_TRUE(st.converged);
          li.commit();
          t += 72.;
          max_x = std::max(max_x, st.max_x);
        }
      EXPECT_NEAR(li.total_li(1), src.molar_rate[1] * t, 1e-9 * src.molar_rate[1] * t);
      if (weighted)
        EXPECT_LE(max_x, 1.) << "weighted by availability";
      else
        EXPECT_GT(max_x, 1.) << "uniform flux density: the small particle overfills";
    }
}

// A homogeneous Si block, no electrolyte, free sides and free top: set_soc
// swells it stress-free, J_s = 1 + beta x in every direction, so the
// thickness grows by ((1 + beta x)^(1/3) - 1) T exactly (finite strain).
TEST(Chemo, FreeSwellingBlockWithoutElectrolyte)
{
  const std::string dir = test_dir("free_block");
  clean(dir);
  VoxelImage img;
  img.dims        = {{4, 4, 6}};
  img.voxel_size  = {{h, h, h}};
  img.phase_names = {{1, "Si"}};
  img.labels.assign(img.n_voxels(), 1);
  const std::string path = dir + "/block.vti";
  if (dealii::Utilities::MPI::this_mpi_process(comm) == 0)
    {
      fs::create_directories(dir);
      write_vti(img, path);
    }
  MPI_Barrier(comm);
  const CsvTable t = run_case_text("microstructure: {vti: " + fs::absolute(path).string() + R"(}
materials:
  Si:
    E: 90 GPa
    nu: 0.22
    lithium: {c_max: 3.11e5 mol/m3, swelling: 0.3, diffusivity: 1e-12 m2/s}
boundary: {sides: free, top: free}
chemo: {kinematics: finite}
protocol:
  - set_soc: {soc: 0.5, increments: 2}
output: {interfaces: false, checkpoint_every: 0}
)", dir + "/run");
  const std::size_t last = t.rows().size() - 1;
  const double      T    = 6 * h;
  EXPECT_NEAR(value(t, last, "state_of_charge"), 0.5, 1e-9);
  const double expected = (std::cbrt(1. + 0.3 * 0.5) - 1.) * T;
  std::printf("free block: thickness change %.6g um, expected %.6g um\n",
              (value(t, last, "thickness_m") - T) * 1e6, expected * 1e6);
  EXPECT_NEAR(value(t, last, "thickness_m") - T, expected, 1e-6 * expected);
  EXPECT_NEAR(value(t, last, "mean_top_displacement_m"), expected, 1e-6 * expected);
  EXPECT_NEAR(value(t, last, "stack_pressure_Pa"), 0., 1e3);
}

TEST(Chemo, LinearSolverFailureThatTheStepSizeCannotFixEndsAtOnce)
{
  // CG (and its fallbacks) limited to one iteration fail in the first
  // Newton iteration whatever the step: the run must stop after one
  // halving with an error that says so, not after halving to 1/64 of a load
  // increment or to chemo.dt_min. Load path (press) and time path
  // (lithiate, the press removed).
  const std::string dir = test_dir("linear_failure");
  clean(dir);
  const std::string vti  = slab_image(dir);
  const std::string base = slab_case(vti, "pressure: 10 MPa") + "solver: {max_iterations: 1}\n";
  const std::string press = "  - press: {pressure: 20 MPa, release_to: 10 MPa, increments: 1}\n";
  std::string       no_press = base;
  no_press.erase(no_press.find(press), press.size());
  for (const auto &[name, text, step] :
       {std::tuple{"load", base, "'press'"}, std::tuple{"time", no_press, "'lithiate'"}})
    {
      std::string message;
      const auto  start = std::chrono::steady_clock::now();
      try
        {
          run_case_text(text, dir + "/" + name);
        }
      catch (const std::exception &e)
        {
          message = e.what();
        }
      const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      EXPECT_NE(message.find("a smaller step cannot fix this"), std::string::npos)
        << name << ": " << message;
      EXPECT_NE(message.find("linear solver failed"), std::string::npos) << message;
      EXPECT_NE(message.find(step), std::string::npos) << message;
      if (dealii::Utilities::MPI::this_mpi_process(comm) == 0)
        std::printf("%s path: stopped after %.2f s: %s\n", name, seconds, message.c_str());
    }
}
