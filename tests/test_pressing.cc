// Pressing a porous layer: pores collapse by plastic flow of the solids
// around them, stay (mostly) closed when the press is released, and their
// closure brings the solid surfaces on either side into contact
// (docs/pressing.md). Asserted: the contact walk on a known image (1 and 2
// ranks), permanent densification that grows with the pressure, spring-back
// on release, pressed contact that forms and stays, and a result that the
// pores' stand-in stiffness does not decide.
#include <mesh/voxel_io.h>
#include <postprocess/pressed_contact.h>

#include "protocol_case_support.h"

#include <deal.II/base/mpi.h>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <map>
#include <string>

using namespace solidanode;
namespace fs = std::filesystem;

namespace
{
  const MPI_Comm comm = MPI_COMM_WORLD;
  unsigned int   rank() { return dealii::Utilities::MPI::this_mpi_process(comm); }
  unsigned int   n_ranks() { return dealii::Utilities::MPI::n_mpi_processes(comm); }

  /// 10^3 voxels of 1 um: phase C below z = 5, SE above, flat pores of
  /// 3 x 3 x 1 voxels (two per layer z = 1..8, placed by a fixed LCG),
  /// 12.7 % of the volume.
  VoxelImage porous_block()
  {
    VoxelImage img;
    img.dims        = {{10, 10, 10}};
    img.voxel_size  = {{1e-6, 1e-6, 1e-6}};
    img.phase_names = {{0, "pore"}, {1, "C"}, {2, "SE"}};
    img.labels.assign(img.n_voxels(), 0);
    for (std::size_t k = 0; k < 10; ++k)
      for (std::size_t j = 0; j < 10; ++j)
        for (std::size_t i = 0; i < 10; ++i)
          img.labels[img.index(i, j, k)] = k < 5 ? 1 : 2;
    std::uint64_t state = 12345;
    const auto    next  = [&state] {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      return static_cast<std::size_t>((state >> 33) % 8); // corner 0..7
    };
    for (std::size_t k = 1; k < 9; ++k)
      for (int n = 0; n < 2; ++n)
        {
          const std::size_t i0 = next(), j0 = next();
          for (std::size_t j = j0; j < j0 + 3; ++j)
            for (std::size_t i = i0; i < i0 + 3; ++i)
              img.labels[img.index(i, j, k)] = 0;
        }
    return img;
  }

  std::string write_image(const std::string &dir)
  {
    const std::string path = dir + "/block.vti";
    if (rank() == 0)
      {
        fs::create_directories(dir);
        write_vti(porous_block(), path);
      }
    MPI_Barrier(comm);
    return fs::absolute(path).string();
  }

  std::string press_case(const std::string &vti, const std::string &pressure,
                         const std::string &ratio)
  {
    return "microstructure: {vti: " + vti + R"(}
materials:
  pore: {model: pore}
  C: {E: 10 GPa, nu: 0.3, yield_stress: 50 MPa, hardening: 100 MPa}
  SE: {E: 22 GPa, nu: 0.3, yield_stress: 50 MPa, hardening: 100 MPa}
boundary: {sides: rollers, top: pressure}
chemo: {kinematics: finite}
solver: {pore_stiffness_ratio: )" +
           ratio + R"(}
protocol:
  - press: {pressure: )" +
           pressure + R"(, increments: 8}
output: {every: 1000, checkpoint_every: 0, microstructure: false}
)";
  }

  struct Pressed
  {
    double porosity_peak = 0., porosity_released = 0., thickness_peak = 0.,
           thickness_released = 0., contact_peak = 0., contact_released = 0.,
           contact_c_se = 0., closed_released = 0.;
  };

  Pressed run_press(const std::string &pressure, const std::string &ratio)
  {
    const std::string dir =
      test_support::output_dir("pressing", "p" + pressure.substr(0, pressure.find(' ')) + "_r" + ratio);
    test_support::clean(dir);
    const CsvTable t = test_support::run_case_text(press_case(write_image(dir), pressure, ratio), dir);
    std::size_t peak = 0;
    for (std::size_t r = 0; r < t.n_rows(); ++r)
      if (test_support::value(t, r, "applied_pressure_Pa") > test_support::value(t, peak, "applied_pressure_Pa"))
        peak = r;
    const std::size_t last = t.n_rows() - 1;
    Pressed p;
    p.porosity_peak      = test_support::value(t, peak, "porosity");
    p.porosity_released  = test_support::value(t, last, "porosity");
    p.thickness_peak     = test_support::value(t, peak, "thickness_m");
    p.thickness_released = test_support::value(t, last, "thickness_m");
    p.contact_peak       = test_support::value(t, peak, "pressed_contact_area_m2");
    p.contact_released   = test_support::value(t, last, "pressed_contact_area_m2");
    p.contact_c_se       = test_support::value(t, last, "pressed_contact_area_C_SE_m2");
    p.closed_released    = test_support::value(t, last, "closed_pore_fraction");
    EXPECT_DOUBLE_EQ(test_support::value(t, last, "applied_pressure_Pa"), 0.);
    return p;
  }

  /// Each (pressure, ratio) is run once per process.
  Pressed press(const std::string &pressure, const std::string &ratio = "1e-4")
  {
    static std::map<std::string, Pressed> done;
    const std::string key = pressure + "|" + ratio;
    if (!done.count(key))
      done[key] = run_press(pressure, ratio);
    return done.at(key);
  }

  /// A solid block of phase SE, n x n x 6 voxels of 1 um, written to
  /// @p dir/solid.vti; returns its absolute path. Collective.
  std::string solid_block(const std::string &dir, unsigned int n)
  {
    const std::string vti = dir + "/solid.vti";
    if (rank() == 0)
      {
        VoxelImage img;
        img.dims        = {{n, n, 6}};
        img.voxel_size  = {{1e-6, 1e-6, 1e-6}};
        img.phase_names = {{1, "SE"}};
        img.labels.assign(img.n_voxels(), 1);
        fs::create_directories(dir);
        write_vti(img, vti);
      }
    MPI_Barrier(comm);
    return fs::absolute(vti).string();
  }

  double initial_porosity()
  {
    const VoxelImage img = porous_block();
    std::size_t      n   = 0;
    for (const auto l : img.labels)
      n += l == 0;
    return static_cast<double>(n) / static_cast<double>(img.n_voxels());
  }
} // namespace

TEST(PressedContact, ClosedPoreRunsBetweenSolidsCountAlongTheAxis)
{
  // One column of 8 voxels (z) in a 2 x 1 x 8 image: A P P B P A P P.
  // Column x = 0: closed pores at z 1, 2 (A|B contact), z 4 (B|A), z 6, 7
  // closed but at the top boundary (no contact). Column x = 1: all A
  // except an open pore at z 3.
  VoxelImage img;
  img.dims        = {{2, 1, 8}};
  img.voxel_size  = {{2e-6, 3e-6, 1e-6}};
  img.phase_names = {{0, "pore"}, {1, "A"}, {2, "B"}};
  const std::uint8_t column[8] = {1, 0, 0, 2, 0, 1, 0, 0};
  img.labels.assign(img.n_voxels(), 1);
  for (std::size_t k = 0; k < 8; ++k)
    img.labels[img.index(0, 0, k)] = column[k];
  img.labels[img.index(1, 0, 3)] = 0;
  // Closed: every pore of column 0; each rank passes its share.
  std::vector<std::size_t> closed;
  std::size_t              i = 0;
  for (const std::size_t k : {1, 2, 4, 6, 7})
    if (i++ % n_ranks() == rank())
      closed.push_back(img.index(0, 0, k));
  const PressedContact pc = pressed_contacts(img, {0}, closed, 2, comm);
  EXPECT_EQ(pc.n_pore, 6u);
  EXPECT_EQ(pc.n_closed, 5u);
  ASSERT_EQ(pc.area.size(), 1u);
  // Two A|B contacts of one x-y face each (2 um x 3 um).
  EXPECT_DOUBLE_EQ(pc.area.at({1, 2}), 2. * 6e-12);
  // Across x (axis 0) nothing bridges: each closed pore has the other
  // column's A on one side and the image boundary on the other.
  EXPECT_TRUE(pressed_contacts(img, {0}, closed, 0, comm).area.empty());
}

TEST(Pressing, DensificationIsPermanentAndGrowsWithPressure)
{
  const double  phi0 = initial_porosity();
  const Pressed low  = press("100 MPa");
  const Pressed high = press("200 MPa");
  if (rank() == 0)
    std::cout << "porosity " << phi0 << "; 100 MPa: peak " << low.porosity_peak << ", released "
              << low.porosity_released << ", contact " << low.contact_released << " m2; 200 MPa: peak "
              << high.porosity_peak << ", released " << high.porosity_released << ", contact "
              << high.contact_released << " m2 (C|SE " << high.contact_c_se << "), closed "
              << high.closed_released << '\n';
  // Permanent: lower porosity after release, more so at the higher pressure.
  EXPECT_LT(low.porosity_released, phi0 - 0.005);
  EXPECT_LT(high.porosity_released, low.porosity_released - 0.01);
  // Spring-back: release gives back a little, elastic, part.
  for (const Pressed &p : {low, high})
    {
      EXPECT_GE(p.porosity_released, p.porosity_peak);
      EXPECT_GT(p.thickness_released, p.thickness_peak);
      EXPECT_LT(p.thickness_released - p.thickness_peak, 0.03 * 10e-6); // elastic: small
    }
  // Contact made by pressing, kept after release, more at higher pressure.
  EXPECT_GT(high.contact_released, 0.);
  EXPECT_GE(high.contact_released, low.contact_released);
  EXPECT_GE(high.contact_peak, high.contact_released);
  EXPECT_GT(high.closed_released, 0.);
  EXPECT_LE(high.closed_released, 1.);
}

TEST(Pressing, PoreStandInStiffnessDoesNotDecideTheResult)
{
  // The pores' stand-in stiffness r * min E: the result converges as
  // r -> 0, and the default r = 1e-4 is within 0.002 of r = 1e-5.
  const Pressed r4 = press("200 MPa", "1e-4");
  const Pressed r5 = press("200 MPa", "1e-5");
  if (rank() == 0)
    std::cout << "released porosity r = 1e-4: " << r4.porosity_released
              << ", r = 1e-5: " << r5.porosity_released << '\n';
  EXPECT_NEAR(r4.porosity_released, r5.porosity_released, 0.002);
  EXPECT_NEAR(r4.thickness_released, r5.thickness_released, 0.002 * 10e-6);
}

TEST(Pressing, RigidPunchOnAnElasticBlockGivesTheConfinedModulus)
{
  // A solid elastic block in a die (rollers on the sides) pressed by the
  // rigid punch to 20 MPa and released to 5 MPa: the top carries the
  // requested pressures (the peak within the punch's 0.2 % tolerance, the
  // release exactly, on the top faces after lift-off) and the thickness
  // change is H p / M, M = E (1 - nu) / ((1 + nu)(1 - 2 nu)) the confined
  // (P-wave) modulus, within 1 % (finite strain at a strain of 1.5e-3).
  const std::string dir = test_support::output_dir("pressing", "punch_elastic");
  test_support::clean(dir);
  const std::string vti = solid_block(dir, 4);
  const CsvTable t = test_support::run_case_text("microstructure: {vti: " + vti + R"(}
materials:
  SE: {E: 10 GPa, nu: 0.3}
boundary: {sides: rollers, top: pressure}
chemo: {kinematics: finite}
protocol:
  - press: {pressure: 20 MPa, release_to: 5 MPa, increments: 3}
output: {every: 1000, checkpoint_every: 0, microstructure: false}
)", dir);
  const double E = 10e9, nu = 0.3, H = 6e-6;
  const double M = E * (1. - nu) / ((1. + nu) * (1. - 2. * nu));
  ASSERT_EQ(t.n_rows(), 6u);
  const double p_peak = test_support::value(t, 2, "stack_pressure_Pa");
  const double p_end  = test_support::value(t, 5, "stack_pressure_Pa");
  EXPECT_NEAR(p_peak, 20e6, 2e-3 * 20e6);
  EXPECT_DOUBLE_EQ(test_support::value(t, 5, "applied_pressure_Pa"), 5e6);
  EXPECT_NEAR(p_end, 5e6, 1e-3 * 5e6);
  EXPECT_NEAR(H - test_support::value(t, 2, "thickness_m"), H * p_peak / M, 0.01 * H * p_peak / M);
  EXPECT_NEAR(H - test_support::value(t, 5, "thickness_m"), H * 5e6 / M, 0.01 * H * 5e6 / M);
  EXPECT_EQ(test_support::string_value(t, 2, "stack_mode"), "punch");
  EXPECT_EQ(test_support::string_value(t, 5, "stack_mode"), "pressure");
}

TEST(Pressing, HotPressFlowsAtTheThermallySoftenedYieldStress)
{
  // A solid elastic-perfectly-plastic block in the die, small strain,
  // pressed to 300 MPa at 25 degC and again at 150 degC. In confined
  // compression the mean stress is K e (plastic flow keeps the volume) and,
  // once the block flows, sigma_z - sigma_x = -sigma_y, so at the peak
  // p = -K e + (2/3) sigma_y(T) whatever came before: e = -(p - 2 sigma_y / 3) / K.
  // Johnson-Cook softening with T_m = 275 degC halves sigma_y at 150 degC
  // (T* = 0.5, m = 1). Asserted: the peak strain of both presses within
  // 0.5 % and the temperature column of each step.
  const std::string dir = test_support::output_dir("pressing", "hot_press");
  test_support::clean(dir);
  const std::string vti = solid_block(dir, 3);
  const CsvTable t = test_support::run_case_text("microstructure: {vti: " + vti + R"(}
materials:
  SE: {E: 10 GPa, nu: 0.3, yield_stress: 150 MPa,
       thermal_softening: {melting_temperature: 275 degC, exponent: 1, reference: 25 degC}}
boundary: {sides: rollers, top: pressure}
chemo: {kinematics: small}
protocol:
  - press: {pressure: 300 MPa, increments: 4}
  - press: {pressure: 300 MPa, increments: 4, temperature: 150 degC}
  - hold: {time: 1 s, pressure: 0 MPa}
output: {every: 1000, checkpoint_every: 0, microstructure: false}
)", dir);
  const double E = 10e9, nu = 0.3, H = 6e-6, K = E / (3. * (1. - 2. * nu));
  std::map<int, std::size_t> peak; // step -> row of the highest pressure
  for (std::size_t r = 0; r < t.n_rows(); ++r)
    {
      const int step = static_cast<int>(test_support::value(t, r, "step"));
      if (!peak.count(step) || test_support::value(t, r, "stack_pressure_Pa") >
                                 test_support::value(t, peak[step], "stack_pressure_Pa"))
        peak[step] = r;
      EXPECT_DOUBLE_EQ(test_support::value(t, r, "temperature_K"), step == 2 ? 423.15 : 298.15)
        << "row " << r;
    }
  ASSERT_EQ(peak.size(), 3u);
  for (const auto &[step, sigma_y] : std::map<int, double>{{1, 150e6}, {2, 75e6}})
    {
      const std::size_t r = peak.at(step);
      const double      p = test_support::value(t, r, "stack_pressure_Pa");
      const double      e = (test_support::value(t, r, "thickness_m") - H) / H;
      EXPECT_NEAR(p, 300e6, 2e-3 * 300e6) << "step " << step;
      EXPECT_NEAR(e, -(p - 2. * sigma_y / 3.) / K, 5e-3 * (p - 2. * sigma_y / 3.) / K)
        << "step " << step;
    }
}
