// A toy constitutive law, added the way a new law is added: this one file and
// one registration line (register_law below). It scales a phase's elastic
// moduli by a factor (materials.<phase>.stiffness_scale) and declares an
// output field, and the tests check that the input reader, the refusal in
// 'steps' cases, the point update and output.fields all see it.
#include <base/units.h>
#include <base/yaml_input.h>
#include <solver/input/case_config.h>
#include <solver/input/output_fields.h>
#include <solver/materials/constitutive.h>
#include <solver/materials/material_law.h>

#include <gtest/gtest.h>

using namespace solidanode;

namespace
{
  class StiffnessScale final : public MaterialLaw
  {
  public:
    std::string name() const override { return "stiffness_scale"; }
    std::vector<std::string> keys() const override { return {"stiffness_scale"}; }
    void read(const InputNode &node, MaterialSpec &spec) const override
    {
      const InputNode f = node.child("stiffness_scale");
      const double    x = f.as_quantity(Dimension::dimensionless);
      if (!(x > 0.))
        f.fail("expected a positive factor");
      spec.parameters["stiffness_scale.factor"] = x;
    }
    void configure(const MaterialSpec &spec, const LawContext &,
                   MechanicalPhase &phase) const override
    {
      const auto it = spec.parameters.find("stiffness_scale.factor");
      if (it != spec.parameters.end())
        phase.parameters[it->first] = it->second;
    }
    void evaluate(const MechanicalPhase &phase, double, constitutive::PointMaterial &m) const override
    {
      const auto it = phase.parameters.find("stiffness_scale.factor");
      if (it == phase.parameters.end())
        return;
      m.kappa *= it->second;
      m.mu *= it->second;
    }
    std::vector<OutputField> output_fields() const override
    {
      return {{"stiffness_scale", "stiffness_scale"}};
    }
  };

  const StiffnessScale toy;
  // The registration line.
  const bool registered = (register_law(toy), true);

  const std::string materials = R"(microstructure:
  generate:
    dims: [4, 4, 4]
    voxel_size: 1 um
    matrix: LPSCl
    particles: {phase: Si, volume_fraction: 0.2, radius: 1 um}
materials:
  Si:
    E: 90 GPa
    nu: 0.22
    stiffness_scale: 2
    lithium: {capacity: 3579 mAh/g, density: 2.33 g/cm3, swelling: 280 %,
              diffusivity: 1e-15 m2/s}
  LPSCl: {E: 22 GPa, nu: 0.37, electrolyte: true}
)";
} // namespace

TEST(ToyLaw, IsReadConfiguredAndScalesTheStress)
{
  ASSERT_TRUE(registered);
  const CaseConfig c = read_case_string(materials + R"(protocol:
  - press: {pressure: 10 MPa}
chemo: {kinematics: small}
output: {fields: [stiffness_scale, soc]}
)",
                                        "toy.yaml");
  const MaterialSpec &si = c.materials.at("Si");
  EXPECT_DOUBLE_EQ(si.parameters.at("stiffness_scale.factor"), 2.);
  EXPECT_EQ(c.output.fields.count("stiffness_scale"), 1u);
  EXPECT_EQ(output_array("stiffness_scale"), "stiffness_scale");

  // The same phase with and without the law: every stress component doubles
  // in a small-strain elastic update (sigma is linear in kappa and mu).
  MechanicalPhase plain;
  plain.E0 = si.E;
  plain.nu = si.nu;
  MechanicalPhase scaled = plain;
  toy.configure(si, LawContext{}, scaled);
  const constitutive::Tensor2 F = {{1.001, 0.0004, 0., 0., 0.9995, 0.0002, 0., 0., 1.}};
  double                      h[constitutive::n_history];
  constitutive::initial_history(Kinematics::small, h);
  constitutive::PointResponse a, b;
  ASSERT_TRUE(constitutive::update(Kinematics::small, constitutive::evaluate(plain, 0.), F, h, a,
                                   nullptr, nullptr));
  ASSERT_TRUE(constitutive::update(Kinematics::small, constitutive::evaluate(scaled, 0.), F, h,
                                   b, nullptr, nullptr));
  for (unsigned int i = 0; i < 9; ++i)
    EXPECT_NEAR(b.P[i], 2. * a.P[i], 1e-9 * std::abs(a.P[0])) << "component " << i;
  EXPECT_GT(std::abs(a.P[0]), 1e6); // a real stress, not zero against zero
}

TEST(ToyLaw, ItsKeyIsRefusedInAStepsCase)
{
  ASSERT_TRUE(registered);
  try
    {
      std::string text = materials;
      const auto  at   = text.find("    lithium:");
      text.erase(at, text.find("  LPSCl") - at); // a plain elastic Si
      read_case_string(text + "steps: [{top: 1 MPa}]\n", "toy.yaml");
      FAIL() << "a 'steps' case accepted a protocol-only law key";
    }
  catch (const InputError &e)
    {
      EXPECT_NE(std::string(e.what()).find("materials.Si.stiffness_scale"), std::string::npos)
        << e.what();
    }
}
