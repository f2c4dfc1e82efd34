// Thin films on a substrate (docs/thin_film.md) against their closed forms:
// a film that swells on an unstrained substrate carries the biaxial stress
// sigma = -E / (1 - nu) eps_s (small and finite strain); an elastic-
// perfectly-plastic film lithiated and delithiated flows at -sigma_y and
// then at +sigma_y (the stress-capacity loop of a Si film). 1 and 2 ranks.
#include "protocol_case_support.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <utility>
#include <vector>

using namespace solidanode;

namespace
{
  using test_support::value;

  /// A film of Si on an electrolyte substrate, 2 x 2 voxels of 1 um
  /// periodic in x and y (so the film is held in its plane), 3 um each.
  std::string film_case(const std::string &kinematics, const std::string &si,
                        const std::string &protocol)
  {
    return R"(microstructure:
  build:
    dims: [2, 2, 6]
    voxel_size: 1 um
    seed: 1
    periodic: [true, true, false]
    layers:
      - {name: substrate, thickness: 3 um, fill: SE, porosity: 0, populations: []}
      - {name: film, thickness: 3 um, fill: Si, porosity: 0, populations: []}
materials:
  Si: )" + si + R"(
  SE: {E: 22 GPa, nu: 0.37, electrolyte: true}
boundary: {sides: rollers, top: free}
chemo: {kinematics: )" +
           kinematics + R"(}
protocol:
)" + protocol + R"(
output: {interfaces: false, checkpoint_every: 0, fields: [phase]}
)";
  }

  constexpr double E_si = 90e9, nu_si = 0.22;
} // namespace

TEST(ThinFilm, SwellingFilmCarriesTheBiaxialStress)
{
  // beta x = 0.003: eps_s = (1 + beta x)^(1/3) - 1 = 0.9990e-3 (finite),
  // (beta x) / 3 = 1e-3 (small); sigma = -E / (1 - nu) eps_s.
  for (const std::string kin : {"small", "finite"})
    {
      const std::string dir = test_support::output_dir("thin_film", "biaxial_" + kin);
      test_support::clean(dir);
      const CsvTable t = test_support::run_case_text(
        film_case(kin,
                  "{E: 90 GPa, nu: 0.22, lithium: {c_max: 3.11e5 mol/m3, swelling: 0.006, "
                  "diffusivity: 1e-12 m2/s}}",
                  "  - set_soc: {soc: {Si: 0.5}, increments: 2}"),
        dir);
      const std::size_t last  = t.rows().size() - 1;
      const double      eps_s = kin == "small" ? 1e-3 : std::cbrt(1.003) - 1.;
      const double      sigma = -E_si / (1. - nu_si) * eps_s; // -115 MPa
      EXPECT_NEAR(value(t, last, "mean_von_mises_Si_Pa"), -sigma, 0.005 * -sigma) << kin;
      EXPECT_NEAR(value(t, last, "mean_hydrostatic_stress_Si_Pa"), 2. * sigma / 3.,
                  0.005 * -sigma)
        << kin;
      // The substrate is not strained, and the film grows only in thickness:
      // eps_zz = eps_s (1 + nu) / (1 - nu) over 3 um.
      EXPECT_LT(value(t, last, "max_von_mises_SE_Pa"), 1e-3 * -sigma) << kin;
      EXPECT_NEAR(value(t, last, "mean_top_displacement_m"),
                  3e-6 * eps_s * (1. + nu_si) / (1. - nu_si), 0.01 * 3e-6 * eps_s * 1.56)
        << kin;
    }
}

TEST(ThinFilm, PlasticFilmFlowsInCompressionThenInTension)
{
  // eps_s = 0.01 on lithiation (trial 1154 MPa) and back: the film flows at
  // -sigma_y, unloads elastically by 2 sigma_y and flows at +sigma_y.
  const double      sigma_y = 500e6;
  const std::string dir     = test_support::output_dir("thin_film", "plastic_loop");
  test_support::clean(dir);
  const CsvTable t = test_support::run_case_text(
    film_case("small",
              "{E: 90 GPa, nu: 0.22, yield_stress: 500 MPa, lithium: {c_max: 3.11e5 mol/m3, "
              "swelling: 0.06, diffusivity: 1e-12 m2/s}}",
              "  - set_soc: {soc: {Si: 0.5}, increments: 10}\n"
              "  - set_soc: {soc: {Si: 0.0}, increments: 10}"),
    dir);
  const std::size_t n = t.rows().size();
  ASSERT_EQ(n, 20u);
  const std::size_t lithiated = 9, delithiated = n - 1;
  EXPECT_NEAR(value(t, lithiated, "mean_von_mises_Si_Pa"), sigma_y, 1e-3 * sigma_y);
  EXPECT_NEAR(value(t, lithiated, "mean_hydrostatic_stress_Si_Pa"), -2. * sigma_y / 3.,
              1e-3 * sigma_y);
  EXPECT_NEAR(value(t, delithiated, "mean_von_mises_Si_Pa"), sigma_y, 1e-3 * sigma_y);
  EXPECT_NEAR(value(t, delithiated, "mean_hydrostatic_stress_Si_Pa"), 2. * sigma_y / 3.,
              1e-3 * sigma_y);
  // Elastic until the trial stress reaches the yield stress: x = 0.5 x 500 /
  // 1154 = 0.217, i.e. the first four increments (x = 0.05 ... 0.2).
  EXPECT_EQ(value(t, 0, "max_plastic_strain_Si"), 0.);
  EXPECT_GT(value(t, lithiated, "max_plastic_strain_Si"), 0.);
}

TEST(ThinFilm, ClampedFilmPullsItsInterfaceApartAndStrandsItsLi)
{
  // The film of film_case() lithiated to 0.5 under 1 MPa, then delithiated
  // in a clamp (thickness: clamped): the stack pressure turns into tension,
  // peaks at the interface strength (5 MPa), the band debonds, the contact
  // is lost and the step ends there (cut-off); the Li still in the film
  // stays.
  const std::string dir = test_support::output_dir("thin_film", "clamped");
  test_support::clean(dir);
  std::string text = film_case(
    "finite",
    "{E: 90 GPa, nu: 0.22, lithium: {c_max: 3.11e5 mol/m3, swelling: 0.2, diffusivity: 1e-12 "
    "m2/s}}",
    "  - set_soc: {soc: {Si: 0.5}, increments: 2, pressure: 1 MPa}\n"
    "  - delithiate: {c_rate: 1, until_soc: 0.05, thickness: clamped}");
  text.replace(text.find("top: free"), 9, "top: pressure");
  // 0.1 um voxels, 30 of them (1.5 um per layer): the clamp holds the
  // thickness to 1e-4 voxel, i.e. the stack pressure to ~M 1e-4 / 30 =
  // 0.13 MPa on this column.
  for (const auto &[from, to] : std::vector<std::pair<std::string, std::string>>{
         {"voxel_size: 1 um", "voxel_size: 0.1 um"},
         {"dims: [2, 2, 6]", "dims: [2, 2, 30]"},
         {"thickness: 3 um", "thickness: 1.5 um"},
         {"thickness: 3 um", "thickness: 1.5 um"}})
    text.replace(text.find(from), from.size(), to);
  text.replace(text.find("chemo: {kinematics: finite}"), 27,
               "chemo:\n  kinematics: finite\n  interfaces:\n"
               "    - {between: [Si, SE], strength: 5 MPa, fracture_energy: 0.005 J/m2}");
  const CsvTable    t    = test_support::run_case_text(text, dir);
  const std::size_t last = t.rows().size() - 1;
  double            peak = 0.;
  for (std::size_t r = 0; r <= last; ++r)
    peak = std::min(peak, value(t, r, "stack_pressure_Pa"));
  EXPECT_NEAR(peak, -5e6, 0.05 * 5e6);
  EXPECT_EQ(test_support::string_value(t, last, "stack_mode"), "clamped");
  EXPECT_EQ(value(t, last, "debonded_fraction_Si_SE"), 1.);
  EXPECT_EQ(value(t, last, "interface_area_in_contact_Si_m2"), 0.);
  // 1 MPa on the film while it swells, then the clamp.
  EXPECT_NEAR(value(t, 1, "stack_pressure_Pa"), 1e6, 1e-3 * 1e6);
  // Stranded: the step ended at the lost contact, well before soc 0.05.
  EXPECT_GT(value(t, last, "state_of_charge_Si"), 0.1);
  EXPECT_NEAR(value(t, last, "thickness_m"), value(t, 1, "thickness_m"), 2e-4 * 1e-7);
}
