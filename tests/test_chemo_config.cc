// Reading protocol cases (solver/input/chemo_config.*): units, defaults, cycle
// expansion and the error messages for mistakes a battery modeller makes.
#include <solver/input/case_config.h>
#include <base/units.h>
#include <base/yaml_input.h>

#include <gtest/gtest.h>

#include <cmath>
#include <string>

using namespace solidanode;

namespace
{
  const std::string head = R"(microstructure:
  generate:
    dims: [4, 4, 4]
    voxel_size: 1 um
    matrix: LPSCl
    particles: {phase: Si, volume_fraction: 0.2, radius: 1 um}
materials:
  Si:
    E: 90 GPa
    E_lithiated: 41 GPa
    nu: 0.22
    yield_stress: 1.75 GPa
    yield_stress_lithiated: 1 GPa
    lithium: {capacity: 3579 mAh/g, density: 2.33 g/cm3, swelling: 280 %,
              diffusivity: 1e-15 m2/s, partial_molar_volume: 9 cm3/mol}
  LPSCl: {E: 22 GPa, nu: 0.37, electrolyte: true}
)";

  std::string error_of(const std::string &text)
  {
    try
      {
        read_case_string(text, "p.yaml");
      }
    catch (const InputError &e)
      {
        return e.what();
      }
    return "no error";
  }
} // namespace

TEST(ChemoConfig, UnitsOfTheNewQuantities)
{
  EXPECT_DOUBLE_EQ(parse_quantity("1e-14 cm2/s", Dimension::diffusivity), 1e-18);
  EXPECT_DOUBLE_EQ(parse_quantity("3579 mAh/g", Dimension::specific_capacity), 3579 * 3600.);
  EXPECT_DOUBLE_EQ(parse_quantity("1 mAh/cm2", Dimension::areal_capacity), 36000.);
  EXPECT_DOUBLE_EQ(parse_quantity("9 cm3/mol", Dimension::molar_volume), 9e-6);
  EXPECT_DOUBLE_EQ(parse_quantity("2 mol/L", Dimension::concentration), 2000.);
  EXPECT_DOUBLE_EQ(parse_quantity("25 degC", Dimension::temperature), 298.15);
  EXPECT_DOUBLE_EQ(parse_quantity("60 \xC2\xB0""C", Dimension::temperature), 333.15);
  EXPECT_DOUBLE_EQ(parse_quantity("300 K", Dimension::temperature), 300.);
  EXPECT_THROW(parse_quantity("25 C", Dimension::temperature), std::invalid_argument);
  EXPECT_THROW(parse_quantity("3 GPa", Dimension::diffusivity), std::invalid_argument);
}

TEST(ChemoConfig, ProtocolIsReadAndCyclesExpand)
{
  const CaseConfig c = read_case_string(head + R"(protocol:
  - press: {pressure: 500 MPa, release_to: 20 MPa, increments: 3}
  - hold: {time: 10 min}
  - cycle:
      repeat: 2
      steps:
        - lithiate: {c_rate: 0.1, until_soc: 0.9, thickness: fixed}
        - delithiate: {c_rate: 0.1, until_soc: 0.05, output_every: 3}
  - set_soc: {soc: {Si: 0.5}, increments: 2}
chemo: {kinematics: small, temperature: 60 degC, tensile_strength: 5 MPa}
)",
                                        "p.yaml");
  ASSERT_TRUE(c.chemo);
  const ChemoSpec &s = *c.chemo;
  EXPECT_EQ(s.kinematics, ChemoSpec::Kinematics::small);
  EXPECT_NEAR(s.temperature, 333.15, 1e-12);
  EXPECT_DOUBLE_EQ(s.tensile_strength, 5e6);
  ASSERT_EQ(s.protocol.size(), 7u); // press, hold, 2 x (lithiate, delithiate), set_soc
  EXPECT_EQ(s.protocol[0].kind, ProtocolStep::Kind::press);
  EXPECT_DOUBLE_EQ(*s.protocol[0].pressure, 500e6);
  EXPECT_DOUBLE_EQ(s.protocol[0].release_to, 20e6);
  EXPECT_EQ(s.protocol[0].increments, 3u);
  EXPECT_DOUBLE_EQ(*s.protocol[1].duration, 600.);
  EXPECT_EQ(s.protocol[4].name, "lithiate (cycle 2)");
  EXPECT_TRUE(s.protocol[4].fixed_thickness);
  EXPECT_DOUBLE_EQ(s.protocol[4].c_rate, 0.1);
  EXPECT_DOUBLE_EQ(*s.protocol[5].until_soc, 0.05);
  EXPECT_EQ(s.protocol[5].output_every, 3u);
  EXPECT_DOUBLE_EQ(s.protocol[6].soc.at("Si"), 0.5);
  EXPECT_TRUE(c.steps.empty());

  // Si: c_max = 3579 mAh/g x 2.33 g/cm3 / F = 3.11e5 mol/m3 (docs/materials.md).
  const MaterialSpec &si = c.materials.at("Si");
  ASSERT_TRUE(si.lithium);
  EXPECT_NEAR(si.lithium->c_max, 3.11e5, 0.01e5);
  EXPECT_DOUBLE_EQ(si.lithium->swelling, 2.8);
  EXPECT_DOUBLE_EQ(si.lithium->partial_molar_volume, 9e-6);
  EXPECT_DOUBLE_EQ(si.plasticity.yield_stress, 1.75e9);
  EXPECT_DOUBLE_EQ(si.plasticity.yield_stress_lithiated, 1e9);
  EXPECT_DOUBLE_EQ(si.plasticity.E_lithiated, 41e9);
  EXPECT_TRUE(c.materials.at("LPSCl").electrolyte);
}

TEST(ChemoConfig, MistakesAreNamed)
{
  // A charge step needs an end.
  EXPECT_NE(error_of(head + "protocol:\n  - lithiate: {c_rate: 0.1}\n")
              .find("needs 'until_soc', 'time' or 'charge'"),
            std::string::npos);
  // Misspelt step.
  EXPECT_NE(error_of(head + "protocol:\n  - lithiat: {c_rate: 0.1, time: 1 h}\n")
              .find("found step 'lithiat'"),
            std::string::npos);
  // set_soc of a phase that stores no Li.
  EXPECT_NE(error_of(head + "protocol:\n  - set_soc: {soc: {LPSCl: 0.5}}\n")
              .find("phase 'LPSCl' stores no Li"),
            std::string::npos);
  // Both stack conditions.
  EXPECT_NE(error_of(head + "protocol:\n  - hold: {time: 1 h, pressure: 2 MPa, thickness: fixed}\n")
              .find("not both"),
            std::string::npos);
  // Unknown key inside a step, with its position.
  const std::string e = error_of(head + "protocol:\n  - rest: {time: 1 h, tme: 2 h}\n");
  EXPECT_NE(e.find("p.yaml:"), std::string::npos) << e;
  EXPECT_NE(e.find("tme"), std::string::npos) << e;
  // Plasticity in a small-strain 'steps' case is refused, not ignored.
  EXPECT_NE(error_of(head + "steps:\n  - {top: 1 MPa}\n").find("chemo-mechanical cases only"),
            std::string::npos);
  // No electrolyte: nowhere for Li to enter, so no lithiate/delithiate
  // (also inside a cycle); setting the state of charge is fine.
  std::string no_el = head;
  no_el.replace(no_el.find(", electrolyte: true"), 19, "");
  EXPECT_NE(error_of(no_el + "protocol:\n  - cycle: {repeat: 2, steps: [{rest: {time: 1 h}}, "
                             "{delithiate: {c_rate: 1, until_soc: 0}}]}\n")
              .find("electrolyte: true', and step 'delithiate (cycle 1)'"),
            std::string::npos);
  EXPECT_EQ(error_of(no_el + "protocol:\n  - rest: {time: 1 h}\n"), "no error");
}

// boundary.top: free in a protocol: no stack pressure, so every step key
// that sets one is refused, naming the key; set_soc/hold/rest are fine.
// A single active phase without an electrolyte (a swelling block) is
// allowed as long as no step moves Li across interfaces.
TEST(ChemoConfig, FreeTopAndNoElectrolyte)
{
  const std::string block = R"(microstructure:
  generate:
    dims: [4, 4, 4]
    voxel_size: 1 um
    matrix: Si
    particles: {phase: Si2, volume_fraction: 0.0, radius: 1 um}
materials:
  Si: {E: 90 GPa, nu: 0.22, lithium: {c_max: 3.11e5 mol/m3, swelling: 0.3, diffusivity: 1e-12 m2/s}}
  Si2: {E: 90 GPa, nu: 0.22}
boundary: {sides: free, top: free}
)";
  const CaseConfig c = read_case_string(block + R"(protocol:
  - set_soc: {soc: 0.5, increments: 2}
  - rest: {time: 1 h}
)", "p.yaml");
  ASSERT_TRUE(c.chemo);
  EXPECT_EQ(c.chemo->protocol.size(), 2u);
  EXPECT_EQ(c.boundary.top, TopCondition::free);

  const std::string hold = error_of(block + "protocol:\n  - hold: {time: 1 h, pressure: 5 MPa}\n");
  EXPECT_NE(hold.find("p.yaml:12:"), std::string::npos) << hold;
  EXPECT_NE(hold.find("key 'protocol[0].hold.pressure': boundary.top is 'free' (no stack "
                      "pressure, the top moves freely): a step cannot set 'pressure'"),
            std::string::npos)
    << hold;
  const std::string fixed =
    error_of(block + "protocol:\n  - rest: {time: 1 h, thickness: fixed}\n");
  EXPECT_NE(fixed.find("a step cannot set 'thickness: fixed'"), std::string::npos) << fixed;
  const std::string press = error_of(block + "protocol:\n  - press: {pressure: 5 MPa}\n");
  EXPECT_NE(press.find("'press' needs boundary.top: pressure (it is 'free')"), std::string::npos)
    << press;
  const std::string lith =
    error_of(block + "protocol:\n  - lithiate: {c_rate: 1, until_soc: 0.5}\n");
  EXPECT_NE(lith.find("store Li, but no phase is marked 'electrolyte: true', and step "
                      "'lithiate' (p.yaml (protocol[0].lithiate)) moves Li across"),
            std::string::npos)
    << lith;
}

// chemo.interfaces (cohesive bands): read with units, mistakes named with
// the key.
TEST(ChemoConfig, CohesiveInterfaces)
{
  const std::string steps = "protocol:\n  - rest: {time: 1 h}\n";
  auto with = [&](const std::string &entry) {
    return head + "chemo:\n  interfaces:\n    - " + entry + "\n" + steps;
  };
  const CaseConfig c = read_case_string(
    with("{between: [Si, LPSCl], strength: 20 MPa, fracture_energy: 500 mJ/m2}"), "p.yaml");
  ASSERT_EQ(c.chemo->interfaces.size(), 1u);
  const CohesiveSpec &b = c.chemo->interfaces[0];
  EXPECT_EQ(b.phase, "Si");
  EXPECT_EQ(b.band, "LPSCl");
  EXPECT_DOUBLE_EQ(b.strength, 20e6);
  EXPECT_DOUBLE_EQ(b.fracture_energy, 0.5);
  EXPECT_DOUBLE_EQ(b.residual, 1e-4);
  EXPECT_NE(b.where.find("p.yaml"), std::string::npos) << b.where;

  auto error_has = [&](const std::string &entry, const std::string &words) {
    const std::string e = error_of(with(entry));
    EXPECT_NE(e.find(words), std::string::npos) << entry << ": " << e;
    EXPECT_NE(e.find("p.yaml:"), std::string::npos) << e;
  };
  error_has("{between: [Si, LSPCl], strength: 20 MPa, fracture_energy: 0.5 J/m2}",
            "'LSPCl' is not a phase under materials");
  error_has("{between: [Si], strength: 20 MPa, fracture_energy: 0.5 J/m2}",
            "expected the two phases");
  error_has("{between: [Si, Si], strength: 20 MPa, fracture_energy: 0.5 J/m2}",
            "two different phases");
  error_has("{between: [Si, LPSCl], strength: 0 MPa, fracture_energy: 0.5 J/m2}",
            "positive tensile strength");
  error_has("{between: [Si, LPSCl], strength: 20 MPa, fracture_energy: 0.5 MPa}",
            "fracture_energy");
  error_has("{between: [Si, LPSCl], strength: 20 MPa}", "fracture_energy");
  error_has("{between: [Si, LPSCl], strength: 20 MPa, fracture_energy: 0.5 J/m2, "
            "residual_stiffness: 0.5}",
            "expected a fraction in (0, 0.1)");
}
