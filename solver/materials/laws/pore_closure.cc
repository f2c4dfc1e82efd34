// Pores (materials.<phase>.model: pore): void modelled as a compliant solid
// (the phase table gives it E = solver.pore_stiffness_ratio times the softest
// solid's E and nu = 0, docs/elasticity.md) that carries no stack pressure on
// the top face. In finite strain a crushed pore voxel closes: below the
// elastic volume ratio J_c = solver.pore_closure it carries the extra
// Kirchhoff stress p_c I, p_c = -K_c (1 - r)^2 / r, r = J_e / J_c, with K_c
// the softest solid's bulk modulus (docs/finite_strain.md).
#include <base/yaml_input.h>
#include <solver/input/case_config.h>
#include <solver/materials/constitutive.h>
#include <solver/materials/material_law.h>

namespace solidanode
{
  namespace
  {
    class PoreClosure final : public MaterialLaw
    {
    public:
      std::string name() const override { return "pore_closure"; }
      /// Selected by 'model: pore'; its constants are solver keys.
      std::vector<std::string> keys() const override { return {}; }
      bool protocol_only() const override { return false; }
      void read(const InputNode &, MaterialSpec &) const override {}

      void configure(const MaterialSpec &spec, const LawContext &context,
                     MechanicalPhase &phase) const override
      {
        if (spec.model != MaterialSpec::Model::pore)
          return;
        phase.pore         = true;
        phase.closure_J    = context.pore_closure;
        phase.closure_bulk = context.min_solid_K;
      }

      void evaluate(const MechanicalPhase &phase, double,
                    constitutive::PointMaterial &m) const override
      {
        m.closure_J    = phase.closure_J;
        m.closure_bulk = phase.closure_bulk;
      }
    };
  } // namespace

  const MaterialLaw &laws::pore_closure()
  {
    static const PoreClosure law;
    return law;
  }
} // namespace solidanode
