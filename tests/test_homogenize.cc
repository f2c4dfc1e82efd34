// Effective properties: conduction and KUBC stiffness on small
// voxel images. Runs on 1 and 2 ranks; every rank builds the same image.
#include <solver/input/case_config.h>
#include <solver/drivers/run.h>
#include <solver/drivers/homogenize.h>
#include <solver/input/homogenize_config.h>
#include <mesh/percolation.h>
#include <base/units.h>
#include <base/yaml_input.h>

#include <deal.II/base/mpi.h>

#include <gtest/gtest.h>

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>

using namespace solidanode;

namespace
{
  const MPI_Comm comm = MPI_COMM_WORLD;

  /// "<name>_np<ranks>", emptied and created by rank 0. Collective.
  std::string fresh_dir(const std::string &name)
  {
    const std::string dir =
      name + "_np" + std::to_string(dealii::Utilities::MPI::n_mpi_processes(comm));
    if (dealii::Utilities::MPI::this_mpi_process(comm) == 0)
      {
        std::filesystem::remove_all(dir);
        std::filesystem::create_directories(dir);
      }
    MPI_Barrier(comm);
    return dir;
  }

  VoxelImage make_image(std::array<std::size_t, 3> dims, double h,
                        const std::function<std::uint8_t(std::size_t, std::size_t, std::size_t)> &f)
  {
    VoxelImage image;
    image.dims       = dims;
    image.voxel_size = {{h, h, h}};
    image.labels.resize(image.n_voxels());
    for (std::size_t k = 0; k < dims[2]; ++k)
      for (std::size_t j = 0; j < dims[1]; ++j)
        for (std::size_t i = 0; i < dims[0]; ++i)
          image.labels[image.index(i, j, k)] = f(i, j, k);
    image.phase_names = {{0, "A"}, {1, "B"}};
    return image;
  }

  LinearSolverSettings tight()
  {
    LinearSolverSettings s;
    s.relative_tolerance = 1e-12;
    s.max_iterations     = 5000;
    return s;
  }

  const std::vector<unsigned int> xyz = {0, 1, 2};
} // namespace

TEST(Units, ElectricalConductivity)
{
  EXPECT_DOUBLE_EQ(parse_quantity("1.5 mS/cm", Dimension::electrical_conductivity), 0.15);
  EXPECT_DOUBLE_EQ(parse_quantity("2 S/cm", Dimension::electrical_conductivity), 200.);
  EXPECT_DOUBLE_EQ(parse_quantity("7 S/m", Dimension::electrical_conductivity), 7.);
  EXPECT_THROW(parse_quantity("1 GPa", Dimension::electrical_conductivity),
               std::invalid_argument);
  EXPECT_THROW(parse_quantity("1 mS/cm", Dimension::pressure), std::invalid_argument);
}

TEST(HomogenizeConfig, ReadsSectionStrictly)
{
  const std::string base = R"(
microstructure: {generate: {dims: [8, 8, 8], voxel_size: 1 um, particles: {radius: 1 um}}}
materials: {Si: {E: 90 GPa, nu: 0.22}, LPSCl: {E: 22 GPa, nu: 0.37}}
steps: [{top: 1 MPa}]
)";
  const CaseConfig c = read_case_string(base + R"(homogenize:
  networks: [{name: ionic, conductivities: {LPSCl: 1.5 mS/cm}}]
  directions: [z, x]
  elasticity: true
)", "h.yaml");
  ASSERT_TRUE(c.homogenize);
  ASSERT_EQ(c.homogenize->networks.size(), 1u);
  EXPECT_DOUBLE_EQ(c.homogenize->networks[0].conductivities.at("LPSCl"), 0.15);
  EXPECT_EQ(c.homogenize->directions, (std::vector<unsigned int>{2, 0}));
  EXPECT_TRUE(c.homogenize->elasticity);
  EXPECT_FALSE(read_case_string(base, "h.yaml").homogenize);
  EXPECT_THROW(read_case_string(base + "homogenize: {elasticty: true}\n", "h.yaml"),
               InputError);
  EXPECT_THROW(read_case_string(base + "homogenize: {networks: [{name: a, "
                                       "conductivities: {LPSCl: 1 GPa}}]}\n", "h.yaml"),
               InputError);
}

// Layers normal to z: series along z, parallel along x and y. Q1 reproduces
// the piecewise linear potential exactly.
TEST(Homogenize, LayeredSeriesAndParallel)
{
  const double s0 = 2.0, s1 = 0.5;
  const auto   image = make_image({{4, 4, 8}}, 1e-6, [](auto, auto, auto k) {
    return static_cast<std::uint8_t>(k < 3 ? 0 : 1);
  });
  const NetworkResult r = homogenize_conduction(image, "n", {{"A", s0}, {"B", s1}}, "",
                                                xyz, 1e-8, tight(), comm);
  const double f0 = 3. / 8., f1 = 5. / 8.;
  const double parallel = f0 * s0 + f1 * s1, series = 1. / (f0 / s0 + f1 / s1);
  EXPECT_NEAR(r.sigma_eff[0], parallel, 1e-8 * parallel);
  EXPECT_NEAR(r.sigma_eff[1], parallel, 1e-8 * parallel);
  EXPECT_NEAR(r.sigma_eff[2], series, 1e-8 * series);
  EXPECT_LT(r.conservation_error[2], 1e-8);
  EXPECT_DOUBLE_EQ(r.volume_fraction, 1.);
  EXPECT_EQ(r.reference_phase, "B");
  EXPECT_NEAR(r.tortuosity[2], s1 / series, 1e-8);
}

TEST(Homogenize, HomogeneousBlockEqualsInput)
{
  const auto image = make_image({{6, 4, 8}}, 0.5e-6, [](auto, auto, auto) {
    return std::uint8_t(0);
  });
  const NetworkResult r =
    homogenize_conduction(image, "n", {{"A", 0.15}}, "", xyz, 1e-8, tight(), comm);
  for (unsigned int d = 0; d < 3; ++d)
    {
      EXPECT_NEAR(r.sigma_eff[d], 0.15, 1e-10);
      EXPECT_NEAR(r.tortuosity[d], 1., 1e-9);
    }
}

// Insulating voxels (random, fixed pattern) can only lower the conductivity,
// and more of them lowers it further.
TEST(Homogenize, InsulatingInclusionsNeverRaiseConductivity)
{
  auto pattern = [](unsigned int every) {
    return [every](std::size_t i, std::size_t j, std::size_t k) {
      const std::size_t h = (i * 73856093u) ^ (j * 19349663u) ^ (k * 83492791u);
      return static_cast<std::uint8_t>(h % every == 0 ? 1 : 0);
    };
  };
  const auto few  = make_image({{8, 8, 8}}, 1e-6, pattern(7));
  const auto more = make_image({{8, 8, 8}}, 1e-6, [&](auto i, auto j, auto k) {
    return static_cast<std::uint8_t>(pattern(7)(i, j, k) | pattern(5)(i, j, k));
  });
  const auto a = homogenize_conduction(few, "n", {{"A", 1.}}, "", xyz, 1e-8, tight(), comm);
  const auto b = homogenize_conduction(more, "n", {{"A", 1.}}, "", xyz, 1e-8, tight(), comm);
  for (unsigned int d = 0; d < 3; ++d)
    {
      EXPECT_LT(a.sigma_eff[d], 1.);
      EXPECT_LE(b.sigma_eff[d], a.sigma_eff[d] * (1. + 1e-9));
      EXPECT_GE(a.tortuosity[d], 1.);
    }
}

// A voxelised sphere (volume fraction ~0.2) of conductivity 10 in a matrix of
// 1: inside the Hashin-Shtrikman bounds and within 3 % of Maxwell
// (Maxwell-Garnett = HS lower bound for a conducting inclusion in a poorer
// matrix; the sphere is in a cube with insulated sides, i.e. a simple cubic
// array, for which Rayleigh's correction at f = 0.2 is ~0.1 %). Measured on
// 32^3 voxels (R = 11.5 voxels): f = 0.1914, sigma_eff = 1.530 vs Maxwell
// 1.503 (+1.8 %; conforming Q1 elements overestimate the conductivity, and
// 16^3 voxels give +4 %).
TEST(Homogenize, VoxelisedSphereWithinHashinShtrikman)
{
  const std::size_t N = 32;
  const double      R = 0.36 * N;
  const auto image = make_image({{N, N, N}}, 1e-6, [&](auto i, auto j, auto k) {
    const double x = i + 0.5 - N / 2., y = j + 0.5 - N / 2., z = k + 0.5 - N / 2.;
    return static_cast<std::uint8_t>(x * x + y * y + z * z < R * R ? 1 : 0);
  });
  const double sm = 1., si = 10.;
  const auto r = homogenize_conduction(image, "n", {{"A", sm}, {"B", si}}, "A", {2}, 1e-8,
                                       tight(), comm);
  const double f = image.volume_fractions().at(1);
  const double maxwell = sm * (si + 2 * sm + 2 * f * (si - sm)) / (si + 2 * sm - f * (si - sm));
  const double hs_lower = maxwell;
  const double hs_upper =
    si + (1 - f) / (1. / (sm - si) + f / (3. * si));
  RecordProperty("sphere_fraction", std::to_string(f));
  RecordProperty("sigma_eff", std::to_string(r.sigma_eff[2]));
  RecordProperty("maxwell", std::to_string(maxwell));
  if (dealii::Utilities::MPI::this_mpi_process(comm) == 0)
    std::printf("sphere f = %.4f: sigma_eff = %.5f, Maxwell/HS- = %.5f, HS+ = %.5f\n", f,
                r.sigma_eff[2], maxwell, hs_upper);
  EXPECT_GE(r.sigma_eff[2], hs_lower * (1. - 0.02)); // voxel staircase: 2 % slack
  EXPECT_LE(r.sigma_eff[2], hs_upper);
  EXPECT_NEAR(r.sigma_eff[2], maxwell, 0.03 * maxwell);
}

// The same answer on any number of ranks: compare with the value computed
// on rank 0 alone (a 1-rank communicator).
TEST(Homogenize, RanksAgree)
{
  const auto image = make_image({{8, 8, 8}}, 1e-6, [](auto i, auto j, auto k) {
    return static_cast<std::uint8_t>(((i / 2 + j / 3 + k) % 3) == 0 ? 1 : 0);
  });
  const auto all = homogenize_conduction(image, "n", {{"A", 1.}, {"B", 0.1}}, "", xyz,
                                         1e-8, tight(), comm);
  MPI_Comm self;
  MPI_Comm_split(comm, dealii::Utilities::MPI::this_mpi_process(comm), 0, &self);
  const auto one = homogenize_conduction(image, "n", {{"A", 1.}, {"B", 0.1}}, "", xyz,
                                         1e-8, tight(), self);
  MPI_Comm_free(&self);
  for (unsigned int d = 0; d < 3; ++d)
    EXPECT_NEAR(all.sigma_eff[d], one.sigma_eff[d], 1e-9 * one.sigma_eff[d]);
}

TEST(Homogenize, StiffnessOfHomogeneousImageEqualsInput)
{
  const auto image = make_image({{4, 4, 4}}, 1e-6, [](auto, auto, auto) {
    return std::uint8_t(0);
  });
  ElasticPhase p;
  p.name = "A";
  p.E    = 22e9;
  p.nu   = 0.37;
  const auto s = homogenize_stiffness(image, {{0u, p}}, tight(), comm);
  const double lambda = p.E * p.nu / ((1 + p.nu) * (1 - 2 * p.nu)), mu = p.E / (2 * (1 + p.nu));
  for (unsigned int i = 0; i < 6; ++i)
    for (unsigned int j = 0; j < 6; ++j)
      {
        double expected = 0.;
        if (i < 3 && j < 3)
          expected = lambda + (i == j ? 2 * mu : 0.);
        else if (i == j)
          expected = mu;
        EXPECT_NEAR(s.C[i][j], expected, 1e-8 * p.E) << i << " " << j;
      }
  EXPECT_NEAR(s.E, p.E, 1e-8 * p.E);
  EXPECT_NEAR(s.nu, p.nu, 1e-8);
  EXPECT_LT(s.asymmetry, 1e-9);
}

// Two-phase layered stiffness: symmetric, positive definite on the diagonal,
// between the Reuss and Voigt bounds.
TEST(Homogenize, StiffnessOfLayeredImageIsSymmetricAndBounded)
{
  const auto image = make_image({{4, 4, 4}}, 1e-6, [](auto, auto, auto k) {
    return static_cast<std::uint8_t>(k < 2 ? 0 : 1);
  });
  ElasticPhase a, b;
  a.E = 90e9, a.nu = 0.22, b.E = 22e9, b.nu = 0.37;
  const auto s = homogenize_stiffness(image, {{0u, a}, {1u, b}}, tight(), comm);
  EXPECT_LT(s.asymmetry, 1e-6);
  for (unsigned int i = 0; i < 6; ++i)
    EXPECT_GT(s.C[i][i], 0.);
  // Voigt / Reuss bounds of the bulk and shear moduli (the isotropic
  // projection of C_eff lies between them).
  auto K = [](const ElasticPhase &p) { return p.E / (3 * (1 - 2 * p.nu)); };
  auto G = [](const ElasticPhase &p) { return p.E / (2 * (1 + p.nu)); };
  EXPECT_LT(s.bulk, 0.5 * (K(a) + K(b)));
  EXPECT_GT(s.bulk, 1. / (0.5 / K(a) + 0.5 / K(b)));
  EXPECT_LT(s.shear, 0.5 * (G(a) + G(b)));
  EXPECT_GT(s.shear, 1. / (0.5 / G(a) + 0.5 / G(b)));
}

// Rayleigh (1892) for a simple cubic array of spheres (volume fraction f,
// conductivity ratio a = sigma_i / sigma_m):
//   sigma_eff / sigma_m = 1 + 3 f / ((a + 2) / (a - 1) - f - 1.305 (a - 1) / (a + 4/3) f^(10/3))
// One sphere at the centre of a cube with insulated sides and a potential
// drop in z is, by mirror symmetry, the unit cell of that periodic array.
// f ~ 0.1, contrast 10, 40^3 voxels: the remaining difference is the Q1 /
// staircase discretisation (conforming elements overestimate sigma).
TEST(Homogenize, SphereArrayMatchesRayleigh)
{
  const std::size_t N = 40;
  const double      R = N * std::cbrt(3. * 0.1 / (4. * M_PI));
  const auto image = make_image({{N, N, N}}, 1e-6, [&](auto i, auto j, auto k) {
    const double x = i + 0.5 - N / 2., y = j + 0.5 - N / 2., z = k + 0.5 - N / 2.;
    return static_cast<std::uint8_t>(x * x + y * y + z * z < R * R ? 1 : 0);
  });
  const double sm = 1., si = 10., a = si / sm;
  const auto r = homogenize_conduction(image, "n", {{"A", sm}, {"B", si}}, "A", {2}, 1e-8,
                                       tight(), comm);
  const double f = image.volume_fractions().at(1);
  const double rayleigh =
    sm * (1. + 3. * f / ((a + 2.) / (a - 1.) - f -
                         1.305 * (a - 1.) / (a + 4. / 3.) * std::pow(f, 10. / 3.)));
  if (dealii::Utilities::MPI::this_mpi_process(comm) == 0)
    std::printf("sphere array f = %.4f: sigma_eff = %.5f, Rayleigh = %.5f (%+.2f %%)\n", f,
                r.sigma_eff[2], rayleigh, 100. * (r.sigma_eff[2] / rayleigh - 1.));
  EXPECT_GE(r.sigma_eff[2], rayleigh * (1. - 0.005));
  EXPECT_NEAR(r.sigma_eff[2], rayleigh, 0.02 * rayleigh);
}

TEST(Homogenize, OctantsAndSpread)
{
  const auto image = make_image({{5, 4, 6}}, 1e-6, [](auto i, auto, auto) {
    return static_cast<std::uint8_t>(i % 2);
  });
  const auto parts = octants(image);
  ASSERT_EQ(parts.size(), 8u);
  for (const auto &p : parts)
    EXPECT_EQ(p.dims, (std::array<std::size_t, 3>{{2, 2, 3}}));
  EXPECT_EQ(parts[1].at(0, 0, 0), image.at(3, 0, 0)); // upper x octant starts at 5 - 2
  const Spread s = spread_of({1., 2., 3., 2.});
  EXPECT_DOUBLE_EQ(s.mean, 2.);
  EXPECT_DOUBLE_EQ(s.min, 1.);
  EXPECT_DOUBLE_EQ(s.max, 3.);
  EXPECT_NEAR(s.relative_std, std::sqrt(0.5) / 2., 1e-15);
}

// The driver on a homogeneous image: octant spread 0, and its JSON read back
// as a material ({homogenized_from: ...}) gives the input E and nu.
TEST(Homogenize, HomogenizedFromRoundTripAndSizing)
{
  namespace fs = std::filesystem;
  const unsigned int rank = dealii::Utilities::MPI::this_mpi_process(comm);
  const std::string  dir  = "homogenize_test_output/roundtrip_np" +
                           std::to_string(dealii::Utilities::MPI::n_mpi_processes(comm));
  if (rank == 0)
    {
      fs::remove_all(dir);
      fs::create_directories(dir);
      std::ofstream(dir + "/a.raw", std::ios::binary) << std::string(8 * 8 * 8, '\0');
      std::ofstream(dir + "/no_stiffness.json") << R"({"networks": []})" << "\n";
    }
  MPI_Barrier(comm);
  const CaseConfig c = read_case_string(R"(
microstructure:
  raw: {file: a.raw, dims: [8, 8, 8], voxel_size: 1 um}
  phases: {0: A}
materials: {A: {E: 22 GPa, nu: 0.37}}
steps: [{top: 0 MPa}]
homogenize:
  networks: [{name: ionic, conductivities: {A: 1.5 mS/cm}}]
  elasticity: true
  sizing: true
  fields: false
  rtol: 1e-12
)", dir + "/h.yaml");
  run_homogenize(c, dir + "/out", comm);
  MPI_Barrier(comm);
  const YAML::Node j = YAML::LoadFile(dir + "/out/homogenize.json");
  const YAML::Node sz = j["sizing"];
  ASSERT_TRUE(sz.IsMap());
  for (const char *d : {"x", "y", "z"})
    {
      EXPECT_NEAR(sz["sigma_eff_S_per_m"]["ionic"][d]["relative_std"].as<double>(), 0., 1e-9);
      EXPECT_NEAR(sz["sigma_eff_S_per_m"]["ionic"][d]["mean"].as<double>(), 0.15, 1e-10);
    }
  EXPECT_NEAR(sz["E_Pa"]["relative_std"].as<double>(), 0., 1e-9);
  EXPECT_TRUE(sz["representative"].as<bool>());

  const std::string base = R"(
microstructure: {generate: {dims: [8, 8, 8], voxel_size: 1 um, particles: {radius: 1 um}}}
steps: [{top: 1 MPa}]
)";
  const CaseConfig l = read_case_string(
    base + "materials: {layer: {homogenized_from: out/homogenize.json}}\n", dir + "/l.yaml");
  const MaterialSpec &m = l.materials.at("layer");
  EXPECT_EQ(m.model, MaterialSpec::Model::linear_elastic);
  EXPECT_NEAR(m.E, 22e9, 1e-6 * 22e9);
  EXPECT_NEAR(m.nu, 0.37, 1e-6);
  EXPECT_NEAR(m.effective_conductivity.at("ionic"), 0.15, 1e-10);
  EXPECT_EQ(m.homogenized_from, fs::path(dir + "/out/homogenize.json").lexically_normal().string());

  auto message = [&](const std::string &materials) {
    try
      {
        read_case_string(base + materials, dir + "/l.yaml");
      }
    catch (const InputError &e)
      {
        return std::string(e.what());
      }
    return std::string("no error");
  };
  const std::string missing = message("materials: {layer: {homogenized_from: nope.json}}\n");
  EXPECT_NE(missing.find("materials.layer.homogenized_from"), std::string::npos) << missing;
  EXPECT_NE(missing.find("nope.json"), std::string::npos) << missing;
  const std::string nostiff =
    message("materials: {layer: {homogenized_from: no_stiffness.json}}\n");
  EXPECT_NE(nostiff.find("no_stiffness.json"), std::string::npos) << nostiff;
  EXPECT_NE(nostiff.find("elasticity"), std::string::npos) << nostiff;
  const std::string both =
    message("materials: {layer: {homogenized_from: out/homogenize.json, E: 1 GPa}}\n");
  EXPECT_NE(both.find("not both"), std::string::npos) << both;
}

TEST(Homogenize, EffectiveSwellingStrainIsTheMeanEigenstrain)
{
  // With the same elastic constants everywhere and no macroscopic stress,
  // the mean strain equals the mean eigenstrain exactly, whatever the
  // arrangement (Hill/Levin): effective strain = f_Si eps in every direction.
  const std::string dir = fresh_dir("homogenize_test_output/swelling");
  const CaseConfig c = read_case_string(R"(
microstructure:
  generate:
    dims: [12, 12, 12]
    voxel_size: 1 um
    seed: 4
    matrix: LPSCl
    particles: {phase: Si, volume_fraction: 0.3, radius: 2.5 um}
materials: {Si: {E: 50 GPa, nu: 0.3}, LPSCl: {E: 50 GPa, nu: 0.3}}
steps: [{top: 0 MPa}]
homogenize:
  swelling: {Si: 0.02}
  fields: false
  rtol: 1e-12
)", dir + "/s.yaml");
  run_homogenize(c, dir + "/out", comm);
  MPI_Barrier(comm);
  const YAML::Node j     = YAML::LoadFile(dir + "/out/homogenize.json");
  const VoxelImage image = acquire_image(c.microstructure, comm);
  const double     f_si  = image.volume_fractions().at(image.label_of("Si"));
  for (const char *d : {"x", "y", "z"})
    EXPECT_NEAR(j["swelling"]["effective_strain"][d].as<double>(), f_si * 0.02, 1e-8) << d;
  EXPECT_NEAR(j["swelling"]["effective_volumetric_strain"].as<double>(), 3 * f_si * 0.02, 3e-8);
}

// A network that does not percolate along z (a conducting slab with an
// insulating layer across it) has no tortuosity there: NaN, reported as
// "does not percolate" / null; along x and y it percolates and tau = 1/eps.
// A network whose phases are absent is "not present", not a tortuosity of 0.
TEST(Homogenize, PercolationAndAbsentPhases)
{
  // Phase A everywhere but the layer k = 3 (phase B, insulating): A
  // percolates along x and y, not along z.
  const auto image = make_image({{4, 4, 8}}, 1e-6, [](auto, auto, auto k) {
    return static_cast<std::uint8_t>(k == 3 ? 1 : 0);
  });
  const NetworkResult r =
    homogenize_conduction(image, "n", {{"A", 1.}}, "", xyz, 1e-8, tight(), comm);
  EXPECT_TRUE(r.present);
  EXPECT_TRUE(r.percolates[0]);
  EXPECT_TRUE(r.percolates[1]);
  EXPECT_FALSE(r.percolates[2]);
  EXPECT_NEAR(r.tortuosity[0], 1., 1e-8); // eps sigma_0 / (eps sigma_0)
  EXPECT_TRUE(std::isnan(r.tortuosity[2]));
  EXPECT_LT(r.sigma_eff[2], 1e-6); // only the insulators' leakage
  // B in the network but 1e-6 times poorer: the network spans along z only
  // through B, so there is no tortuosity factor relative to A's sigma_0.
  const NetworkResult w =
    homogenize_conduction(image, "n", {{"A", 1.}, {"B", 1e-6}}, "A", xyz, 1e-8, tight(), comm);
  EXPECT_TRUE(w.percolates[2]);
  EXPECT_FALSE(w.percolates_at_sigma_0[2]);
  EXPECT_TRUE(w.percolates_at_sigma_0[0]);
  EXPECT_EQ(w.sigma_0_phases, std::vector<std::string>{"A"});
  EXPECT_TRUE(std::isnan(w.tortuosity[2]));
  EXPECT_NEAR(w.tortuosity[0], 1. / (7. / 8. + 1e-6 / 8.), 1e-8); // eps = 1, parallel
  // Comparable conductivities (within 1 %) count together.
  const NetworkResult c2 =
    homogenize_conduction(image, "n", {{"A", 1.}, {"B", 0.5}}, "A", {2}, 1e-8, tight(), comm);
  EXPECT_TRUE(c2.percolates_at_sigma_0[2]);
  EXPECT_NEAR(c2.tortuosity[2], 1. / (8. / (7. + 2.)), 1e-8); // series: 8 / (7/1 + 1/0.5)
  // Diagonal contact only (voxels sharing an edge) does not connect.
  const auto stairs = make_image({{2, 2, 2}}, 1e-6, [](auto i, auto, auto k) {
    return static_cast<std::uint8_t>(i == k ? 0 : 1);
  });
  std::array<bool, 256> a_only{};
  a_only[0] = true;
  EXPECT_FALSE(percolates(stairs, a_only, 2));
  EXPECT_FALSE(percolates(stairs, a_only, 0));
  a_only[1] = true; // A and B together fill the box
  EXPECT_TRUE(percolates(stairs, a_only, 2));
  // Absent: no solve, no number.
  const NetworkResult a =
    homogenize_conduction(image, "e", {{"C", 1e3}}, "", xyz, 1e-8, tight(), comm);
  EXPECT_FALSE(a.present);
  EXPECT_EQ(a.volume_fraction, 0.);
  EXPECT_TRUE(std::isnan(a.tortuosity[2]));

  // The command: JSON and table agree.
  const std::string dir = fresh_dir("test_homogenize_percolation");
  const CaseConfig c = read_case_string(R"(
microstructure:
  generate:
    dims: [8, 8, 8]
    voxel_size: 1 um
    seed: 4
    matrix: LPSCl
    particles: {phase: Si, volume_fraction: 0.05, radius: 1 um}
materials: {Si: {E: 50 GPa, nu: 0.3}, LPSCl: {E: 50 GPa, nu: 0.3}, SWCNT: {E: 300 GPa, nu: 0.2}}
steps: [{top: 0 MPa}]
homogenize:
  networks:
    - {name: ionic, conductivities: {LPSCl: 1.5 mS/cm}}
    - {name: particles, conductivities: {Si: 1 S/m}}
    - {name: electronic, conductivities: {SWCNT: 1e4 S/m}}
  directions: [z]
  fields: false
)", dir + "/p.yaml");
  testing::internal::CaptureStdout();
  run_homogenize(c, dir + "/out", comm);
  const std::string table = testing::internal::GetCapturedStdout();
  MPI_Barrier(comm);
  const YAML::Node j = YAML::LoadFile(dir + "/out/homogenize.json");
  const YAML::Node ionic = j["networks"][0], si = j["networks"][1], cnt = j["networks"][2];
  EXPECT_TRUE(ionic["percolates"]["z"].as<bool>());
  EXPECT_GT(ionic["tortuosity_factor"]["z"].as<double>(), 1.);
  // Isolated 1 um spheres at 5 %: no path.
  EXPECT_FALSE(si["percolates"]["z"].as<bool>());
  EXPECT_TRUE(si["tortuosity_factor"]["z"].IsNull());
  EXPECT_FALSE(cnt["present"].as<bool>());
  EXPECT_FALSE(cnt["tortuosity_factor"]);
  if (dealii::Utilities::MPI::this_mpi_process(comm) == 0)
    {
      EXPECT_NE(table.find("network particles: volume fraction"), std::string::npos) << table;
      EXPECT_NE(table.find("does not percolate (no connected path of Si between the two z faces"),
                std::string::npos)
        << table;
      EXPECT_NE(table.find("network electronic: not present (none of its conducting phases "
                           "SWCNT is in the image)"),
                std::string::npos)
        << table;
      EXPECT_EQ(table.find("tortuosity factor 1e+0"), std::string::npos) << table;
    }
}
