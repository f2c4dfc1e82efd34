// The material-law registry: built-in laws own disjoint keys, every key is
// read, refused in 'steps' cases and mapped onto the point model, and
// output.fields knows every field that is written.
#include <base/yaml_input.h>
#include <solver/input/case_config.h>
#include <solver/drivers/stress_limits.h>
#include <solver/input/output_fields.h>
#include <solver/materials/constitutive.h>
#include <solver/materials/material_law.h>

#include <gtest/gtest.h>

#include <cmath>
#include <set>

using namespace solidanode;

namespace
{
  const std::string case_head = R"(microstructure:
  generate:
    dims: [4, 4, 4]
    voxel_size: 1 um
    matrix: Li
    particles: {phase: Si, volume_fraction: 0.2, radius: 1 um}
materials:
  Si:
    E: 90 GPa
    E_lithiated: 41 GPa
    nu: 0.22
    yield_stress: 1.75 GPa
    yield_stress_lithiated: 1 GPa
    hardening: 2 GPa
    lithium: {capacity: 3579 mAh/g, density: 2.33 g/cm3, swelling: 280 %,
              diffusivity: 1e-15 m2/s}
  Li:
    E: 4.9 GPa
    nu: 0.42
    electrolyte: true
    creep: {rate: 4.25e4 1/s, stress: 0.95 MPa, exponent: 6.6, activation_energy: 37 kJ/mol}
)";
} // namespace

TEST(MaterialLaws, BuiltInLawsOwnDisjointKeys)
{
  std::set<std::string> names, keys;
  for (const MaterialLaw *law : material_laws())
    {
      EXPECT_TRUE(names.insert(law->name()).second) << law->name();
      for (const std::string &k : law->keys())
        EXPECT_TRUE(keys.insert(k).second) << k << " of " << law->name();
      EXPECT_LE(law->history_size(), constitutive::n_history) << law->name();
    }
  for (const char *k : {"lithium", "E_lithiated", "yield_stress", "yield_stress_lithiated",
                        "hardening", "creep"})
    EXPECT_EQ(keys.count(k), 1u) << k;
  EXPECT_THROW(register_law(*material_laws().front()), std::logic_error);
}

TEST(MaterialLaws, EveryWrittenFieldIsSelectable)
{
  const std::set<std::string> known = known_output_fields();
  for (const char *f : {"displacement", "phase", "mpi_rank", "stress", "von_mises", "hydrostatic",
                        "local_porosity", "volumetric_strain", "det_F", "plated_li", "soc",
                        "li_concentration", "plastic_strain"})
    EXPECT_EQ(known.count(f), 1u) << f;
  EXPECT_EQ(output_array("plated_li"), "plated_li_volume_ratio");
  EXPECT_EQ(output_array("plastic_strain"), "equivalent_plastic_strain");
  const CaseConfig c = read_case_string(case_head + R"(protocol:
  - press: {pressure: 10 MPa}
output: {fields: [plated_li, plastic_strain]}
)",
                                        "laws.yaml");
  EXPECT_EQ(c.output.fields, (std::set<std::string>{"plated_li", "plastic_strain"}));
}

TEST(MaterialLaws, PhaseConstantsReachThePointModel)
{
  const CaseConfig c = read_case_string(case_head + R"(protocol:
  - press: {pressure: 10 MPa}
chemo: {temperature: 60 degC}
)",
                                        "laws.yaml");
  LawContext ctx;
  ctx.temperature = c.chemo->temperature;
  MechanicalPhase si, li;
  si.E0 = 90e9;
  si.nu = 0.22;
  li.E0 = 4.9e9;
  li.nu = 0.42;
  for (const MaterialLaw *law : material_laws())
    {
      law->configure(c.materials.at("Si"), ctx, si);
      law->configure(c.materials.at("Li"), ctx, li);
    }
  const double x = 0.25;
  const auto   m = constitutive::evaluate(si, x);
  const double E = 90e9 + (41e9 - 90e9) * x;
  EXPECT_NEAR(m.mu, E / (2. * 1.22), 1e-6 * m.mu);
  EXPECT_NEAR(m.kappa, E / (3. * (1. - 0.44)), 1e-6 * m.kappa);
  EXPECT_NEAR(m.Js, 1. + 2.8 * x, 1e-12);
  EXPECT_NEAR(m.yield, 1.75e9 + (1e9 - 1.75e9) * x, 1.);
  EXPECT_DOUBLE_EQ(m.H, 2e9);
  EXPECT_EQ(m.creep_rate, 0.); // Si does not creep

  const auto ml = constitutive::evaluate(li, 0.);
  const double rate = 4.25e4 * std::exp(-37e3 / (8.314462618 * 333.15));
  EXPECT_NEAR(ml.creep_rate, rate, 1e-12 * rate);
  EXPECT_DOUBLE_EQ(ml.creep_stress, 0.95e6);
  EXPECT_DOUBLE_EQ(ml.creep_exponent, 6.6);
  EXPECT_FALSE(std::isfinite(ml.yield)); // no yield stress given: elastic
}

TEST(MaterialLaws, StressLimitFlagsAnElectrolyteAboveOneGigapascal)
{
  // Li is an electrolyte here without a yield stress: 1 GPa by default;
  // Si yields: no limit unless one is given.
  const CaseConfig c = read_case_string(case_head + R"(protocol:
  - press: {pressure: 10 MPa}
)",
                                        "laws.yaml");
  EXPECT_DOUBLE_EQ(stress_limit_of(c.materials.at("Li")), 1e9);
  EXPECT_FALSE(std::isfinite(stress_limit_of(c.materials.at("Si"))));

  StressLimitWatch watch(c.materials, {"Si", "Li"});
  ASSERT_EQ(watch.columns(), std::vector<std::string>{"over_stress_limit_Li"});
  std::map<std::string, std::string> row;
  EXPECT_FALSE(watch.check("Li", 0.99e9, row).has_value());
  EXPECT_EQ(row.at("over_stress_limit_Li"), "0");
  const auto warning = watch.check("Li", 6.3e9, row);
  ASSERT_TRUE(warning.has_value());
  EXPECT_NE(warning->find("'Li' is 6.3 GPa, above its stress limit 1 GPa"), std::string::npos)
    << *warning;
  EXPECT_EQ(row.at("over_stress_limit_Li"), "1");
  EXPECT_FALSE(watch.check("Li", 7e9, row).has_value()); // warned once
  EXPECT_EQ(row.at("over_stress_limit_Li"), "1");
  EXPECT_FALSE(watch.check("Si", 50e9, row).has_value()); // not watched
  EXPECT_EQ(row.count("over_stress_limit_Si"), 0u);

  // A given limit, and 'none'.
  const CaseConfig given = read_case_string(
    std::string(case_head).replace(case_head.find("    electrolyte: true"), 21,
                                   "    electrolyte: true\n    stress_limit: 250 MPa") +
      "protocol:\n  - press: {pressure: 10 MPa}\n",
    "laws.yaml");
  EXPECT_DOUBLE_EQ(stress_limit_of(given.materials.at("Li")), 250e6);
  const CaseConfig none = read_case_string(
    std::string(case_head).replace(case_head.find("    electrolyte: true"), 21,
                                   "    electrolyte: true\n    stress_limit: none") +
      "protocol:\n  - press: {pressure: 10 MPa}\n",
    "laws.yaml");
  EXPECT_FALSE(std::isfinite(stress_limit_of(none.materials.at("Li"))));
  try
    {
      (void)read_case_string(
        std::string(case_head).replace(case_head.find("    electrolyte: true"), 21,
                                       "    electrolyte: true\n    stress_limit: -1 MPa") +
          "protocol:\n  - press: {pressure: 10 MPa}\n",
        "laws.yaml");
      FAIL() << "no error";
    }
  catch (const std::exception &e)
    {
      EXPECT_NE(std::string(e.what()).find("stress_limit"), std::string::npos) << e.what();
    }
}
