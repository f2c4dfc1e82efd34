// Li storage of an active phase (materials.<phase>.lithium) and its modulus
// at full lithiation (E_lithiated): the phase swells as J_s(x) = 1 +
// swelling x and stiffens or softens as E(x) = E0 + (E1 - E0) x.
// Equations and sources: docs/chemo_mechanics.md, docs/materials.md.
#include <base/units.h>
#include <base/yaml_input.h>
#include <solver/input/case_config.h>
#include <solver/materials/constitutive.h>
#include <solver/materials/material_law.h>

namespace solidanode
{
  namespace
  {
    class LithiumStorage final : public MaterialLaw
    {
    public:
      std::string name() const override { return "lithium_storage"; }
      std::vector<std::string> keys() const override { return {"E_lithiated", "lithium"}; }

      void read(const InputNode &node, MaterialSpec &spec) const override
      {
        if (const auto e1 = node.optional_child("E_lithiated"))
          {
            spec.plasticity.E_lithiated = e1->as_quantity(Dimension::pressure);
            if (!(spec.plasticity.E_lithiated > 0.))
              e1->fail("expected a positive Young's modulus like '41 GPa'");
          }
        if (const auto li = node.optional_child("lithium"))
          spec.lithium = read_lithium_spec(*li);
      }

      void configure(const MaterialSpec &spec, const LawContext &,
                     MechanicalPhase &phase) const override
      {
        if (!phase.pore)
          phase.E1 = spec.plasticity.E_lithiated;
        if (spec.lithium)
          phase.swelling = spec.lithium->swelling;
      }

      // E(x) and J_s(x) are the kernel's (constitutive::evaluate): the plated
      // Li of a Li-free anode swells through the same J_s without storing Li.
      void evaluate(const MechanicalPhase &, double, constitutive::PointMaterial &) const override
      {}

      std::vector<OutputField> output_fields() const override
      {
        return {{"soc", "soc"}, {"li_concentration", "li_concentration_mol_per_m3"}};
      }
    };
  } // namespace

  const MaterialLaw &laws::lithium_storage()
  {
    static const LithiumStorage law;
    return law;
  }
} // namespace solidanode
