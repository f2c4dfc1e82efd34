// Stress limit (materials.<phase>.stress_limit): a phase modelled without a
// yield stress cannot say when it would break or flow, so its stresses are
// checked against a limit instead. When the 99th percentile of its von Mises
// stress exceeds the limit in an increment, the run logs a warning (once per
// phase) and summary.csv's column over_stress_limit_<phase> is 1 from then
// on for that increment. Default: 1 GPa for a solid electrolyte
// ('electrolyte: true') without a yield stress, no limit for other phases;
// 'stress_limit: none' turns it off. Sources of the limits the inputs use:
// docs/materials.md.
#include <base/units.h>
#include <base/yaml_input.h>
#include <solver/input/case_config.h>
#include <solver/materials/material_law.h>

#include <cmath>
#include <limits>

namespace solidanode
{
  namespace
  {
    constexpr double electrolyte_default = 1e9; // [Pa]

    class StressLimit final : public MaterialLaw
    {
    public:
      std::string name() const override { return "stress_limit"; }
      std::vector<std::string> keys() const override { return {"stress_limit"}; }
      bool protocol_only() const override { return false; }

      void read(const InputNode &node, MaterialSpec &spec) const override
      {
        const InputNode n = node.child("stress_limit");
        if (n.is_scalar() && n.as_string() == "none")
          {
            spec.stress_limit = std::numeric_limits<double>::infinity();
            return;
          }
        spec.stress_limit = n.as_quantity(Dimension::pressure);
        if (!(spec.stress_limit > 0.) || !std::isfinite(spec.stress_limit))
          n.fail("expected a positive stress like '1 GPa', or 'none'");
      }

      void configure(const MaterialSpec &, const LawContext &, MechanicalPhase &) const override
      {}
      void evaluate(const MechanicalPhase &, double, constitutive::PointMaterial &) const override
      {}
    };
  } // namespace

  const MaterialLaw &laws::stress_limit()
  {
    static const StressLimit law;
    return law;
  }

  double stress_limit_of(const MaterialSpec &spec)
  {
    if (spec.model == MaterialSpec::Model::pore)
      return std::numeric_limits<double>::infinity();
    if (spec.stress_limit > 0.)
      return spec.stress_limit;
    const bool yields = std::isfinite(spec.plasticity.yield_stress);
    return spec.electrolyte && !yields ? electrolyte_default :
                                         std::numeric_limits<double>::infinity();
  }
} // namespace solidanode
