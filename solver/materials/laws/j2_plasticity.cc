// J2 plasticity with linear isotropic hardening and a yield stress linear in
// the state of charge: sigma_y(x) = yield0 + (yield1 - yield0) x, both and
// the hardening scaled by the Johnson-Cook thermal softening factor
// 1 - T*^m, T* = (T - T_ref) / (T_m - T_ref) (Johnson & Cook 1983), at the
// temperature of the step (docs/finite_strain.md, docs/pressing.md). Finite
// strain: Simo's radial return on the Kirchhoff deviator (Simo & Hughes 1998,
// Box 9.1), history C_p^{-1} and alpha; small strain: the classical radial
// return, history eps_p and alpha (constitutive.cc, docs/finite_strain.md).
#include <base/units.h>
#include <base/yaml_input.h>
#include <solver/input/case_config.h>
#include <solver/materials/constitutive.h>
#include <solver/materials/material_law.h>

#include <cmath>
#include <stdexcept>
#include <string>

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
        return {"yield_stress", "yield_stress_lithiated", "hardening", "thermal_softening"};
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
        if (const auto t = node.optional_child("thermal_softening"))
          read_softening(node, *t, pl);
      }

      /// thermal_softening: {melting_temperature, exponent (1), reference (25 degC)}
      static void read_softening(const InputNode &node, const InputNode &t, PlasticitySpec &pl)
      {
        if (!node.has("yield_stress"))
          t.fail("thermal_softening scales 'yield_stress'; give it too");
        if (!t.is_map())
          t.fail("expected a map like '{melting_temperature: 1235 K, exponent: 1, "
                 "reference: 25 degC}'");
        pl.reference_temperature =
          t.quantity("reference", Dimension::temperature, pl.reference_temperature);
        if (!(pl.reference_temperature > 0.))
          t.child("reference").fail("expected an absolute temperature > 0, like '25 degC'");
        pl.melting_temperature = t.quantity("melting_temperature", Dimension::temperature);
        if (!(pl.melting_temperature > pl.reference_temperature))
          t.child("melting_temperature")
            .fail("expected a melting temperature above the reference temperature " +
                  std::to_string(pl.reference_temperature) + " K");
        pl.softening_exponent = t.quantity("exponent", Dimension::dimensionless, 1.);
        if (!(pl.softening_exponent > 0. && pl.softening_exponent <= 10.))
          t.child("exponent").fail("expected an exponent m in (0, 10] of 1 - T*^m");
      }

      void configure(const MaterialSpec &spec, const LawContext &context,
                     MechanicalPhase &phase) const override
      {
        if (phase.pore)
          return;
        const PlasticitySpec &pl = spec.plasticity;
        const double          f  = softening_factor(pl, context.temperature);
        if (!(f > 0.))
          throw std::invalid_argument(
            "phase '" + phase.name + "': the temperature " + std::to_string(context.temperature) +
            " K is at or above its thermal_softening melting_temperature " +
            std::to_string(pl.melting_temperature) + " K (no yield stress left)");
        phase.yield0    = pl.yield_stress * f;
        phase.yield1    = pl.yield_stress_lithiated >= 0. ? pl.yield_stress_lithiated * f : -1.;
        phase.hardening = pl.hardening * f;
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

  double softening_factor(const PlasticitySpec &pl, const double T)
  {
    if (!(pl.melting_temperature > 0.) || T <= pl.reference_temperature)
      return 1.;
    const double T_star =
      (T - pl.reference_temperature) / (pl.melting_temperature - pl.reference_temperature);
    return T_star >= 1. ? 0. : 1. - std::pow(T_star, pl.softening_exponent);
  }

  void check_melting_temperatures(const InputNode &materials_node,
                                  const std::map<std::string, MaterialSpec> &materials,
                                  const ChemoSpec &chemo)
  {
    for (const auto &[name, m] : materials)
      {
        const double T_m  = m.plasticity.melting_temperature;
        const auto   fail = [&](double T, const std::string &what) {
          materials_node.child(name).child("thermal_softening").fail(
            "melting_temperature " + std::to_string(T_m) + " K is not above the temperature " +
            std::to_string(T) + " K of " + what + ": the phase would have no yield stress left");
        };
        if (!(T_m > 0.))
          continue;
        if (chemo.temperature >= T_m)
          fail(chemo.temperature, "the case (chemo.temperature)");
        for (const ProtocolStep &step : chemo.protocol)
          if (step.temperature && *step.temperature >= T_m)
            fail(*step.temperature, "step '" + step.name + "' (" + step.where + ")");
      }
  }

  const MaterialLaw &laws::j2_plasticity()
  {
    static const J2Plasticity law;
    return law;
  }
} // namespace solidanode
