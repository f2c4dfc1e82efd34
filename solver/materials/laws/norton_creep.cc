// Norton power-law creep (materials.<phase>.creep; Li metal):
//   d(eps_p)/dt = A exp(-Q / (R T)) (q / sigma_c)^n,  q the von Mises stress,
// integrated by backward Euler on the same radial return as J2 plasticity
// (the larger flow increment wins; constitutive.cc). The Arrhenius factor is
// taken at the run temperature. Data and sources: docs/plating.md,
// docs/materials.md.
#include <base/yaml_input.h>
#include <solver/input/case_config.h>
#include <solver/materials/constitutive.h>
#include <solver/materials/material_law.h>

namespace solidanode
{
  namespace
  {
    class NortonCreep final : public MaterialLaw
    {
    public:
      std::string name() const override { return "norton_creep"; }
      std::vector<std::string> keys() const override { return {"creep"}; }

      void read(const InputNode &node, MaterialSpec &spec) const override
      {
        spec.creep = read_creep_spec(node.child("creep"));
      }

      void configure(const MaterialSpec &spec, const LawContext &context,
                     MechanicalPhase &phase) const override
      {
        if (phase.pore || !spec.creep)
          return;
        phase.creep_rate     = spec.creep->rate_at(context.temperature);
        phase.creep_stress   = spec.creep->stress;
        phase.creep_exponent = spec.creep->exponent;
      }

      void evaluate(const MechanicalPhase &phase, double,
                    constitutive::PointMaterial &m) const override
      {
        m.creep_rate     = phase.creep_rate;
        m.creep_stress   = phase.creep_stress;
        m.creep_exponent = phase.creep_exponent;
      }

      /// Shares the J2 history (eps_p or C_p^{-1}, alpha).
      unsigned int history_size() const override { return constitutive::n_history; }
    };
  } // namespace

  const MaterialLaw &laws::norton_creep()
  {
    static const NortonCreep law;
    return law;
  }
} // namespace solidanode
