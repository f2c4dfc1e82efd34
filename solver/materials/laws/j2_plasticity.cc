// J2 plasticity with linear isotropic hardening and a yield stress linear in
// the state of charge: sigma_y(x) = yield0 + (yield1 - yield0) x. Finite
// strain: Simo's radial return on the Kirchhoff deviator (Simo & Hughes 1998,
// Box 9.1), history C_p^{-1} and alpha; small strain: the classical radial
// return, history eps_p and alpha (constitutive.cc, docs/finite_strain.md).
#include <base/units.h>
#include <base/yaml_input.h>
#include <solver/input/case_config.h>
#include <solver/materials/constitutive.h>
#include <solver/materials/material_law.h>

#include <cmath>

namespace solidanode
{
  namespace
  {
    class J2Plasticity final : public MaterialLaw
    {
    public:
      std::string name() const override { return "j2_plasticity"; }
      std::vector<std::string> keys() const override
      {
        return {"yield_stress", "yield_stress_lithiated", "hardening"};
      }

      void read(const InputNode &node, MaterialSpec &spec) const override
      {
        auto &pl = spec.plasticity;
        if (const auto y = node.optional_child("yield_stress"))
          {
            pl.yield_stress = y->as_quantity(Dimension::pressure);
            if (!(pl.yield_stress > 0.))
              y->fail("expected a positive yield stress like '1 GPa'");
          }
        if (const auto y = node.optional_child("yield_stress_lithiated"))
          {
            if (!node.has("yield_stress"))
              y->fail("give 'yield_stress' (at x = 0) too");
            pl.yield_stress_lithiated = y->as_quantity(Dimension::pressure);
            if (!(pl.yield_stress_lithiated > 0.))
              y->fail("expected a positive yield stress like '1 GPa'");
          }
        if (const auto h = node.optional_child("hardening"))
          {
            if (!node.has("yield_stress"))
              h->fail("hardening needs 'yield_stress'");
            pl.hardening = h->as_quantity(Dimension::pressure);
            if (!(pl.hardening >= 0.))
              h->fail("expected a hardening modulus >= 0");
          }
      }

      void configure(const MaterialSpec &spec, const LawContext &,
                     MechanicalPhase &phase) const override
      {
        if (phase.pore)
          return;
        phase.yield0    = spec.plasticity.yield_stress;
        phase.yield1    = spec.plasticity.yield_stress_lithiated;
        phase.hardening = spec.plasticity.hardening;
      }

      void evaluate(const MechanicalPhase &phase, double x,
                    constitutive::PointMaterial &m) const override
      {
        if (std::isfinite(phase.yield0))
          m.yield = phase.yield1 >= 0. ? phase.yield0 + (phase.yield1 - phase.yield0) * x
                                       : phase.yield0;
        m.H = phase.hardening;
      }

      /// C_p^{-1} (finite) or eps_p (small) in Voigt order, then alpha.
      unsigned int history_size() const override { return constitutive::n_history; }

      std::vector<OutputField> output_fields() const override
      {
        return {{"plastic_strain", "equivalent_plastic_strain"}};
      }
    };
  } // namespace

  const MaterialLaw &laws::j2_plasticity()
  {
    static const J2Plasticity law;
    return law;
  }
} // namespace solidanode
