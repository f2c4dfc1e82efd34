// Material laws: each law is one file under solver/materials/laws/ that owns
// its input keys (under materials.<phase>), how it reads and checks them, how
// its parameters reach the point-wise mechanics, the history it needs per
// quadrature point and the cell output fields it provides. The registry
// (law_registry.cc) lists the built-in laws; a new law is one new file plus
// one line there (or one register_law() call, as a test does).
//
// The stress update itself is the kernel in constitutive.cc (split
// neo-Hookean or small-strain elasticity with a radial return that serves J2
// plasticity and Norton creep, and the pore-closure barrier); a law sets the
// point parameters that kernel reads (constitutive::PointMaterial). Where to
// add what: docs/architecture.md.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace solidanode
{
  class InputNode;
  struct MaterialSpec;
  struct PlasticitySpec;
  struct ChemoSpec;
  struct MechanicalPhase;
  namespace constitutive
  {
    struct PointMaterial;
  }

  /// A cell field a law (or the core) writes: the name `output.fields` selects
  /// and the VTK array name, which carries the unit.
  struct OutputField
  {
    std::string name;
    std::string array;
  };

  /// What the phase table knows when it turns a material into solver data.
  struct LawContext
  {
    double temperature  = 298.15; ///< run temperature [K]
    double pore_closure = 0.;     ///< solver.pore_closure (volume ratio J_c)
    double min_solid_K  = 0.;     ///< bulk modulus of the softest solid [Pa]
  };

  class MaterialLaw
  {
  public:
    virtual ~MaterialLaw() = default;

    /// Short name used in messages and docs ("j2_plasticity").
    virtual std::string name() const = 0;
    /// Keys under materials.<phase> that belong to this law.
    virtual std::vector<std::string> keys() const = 0;
    /// Whether the keys need a chemo-mechanical ('protocol') case; a 'steps'
    /// case (small-strain linear elasticity) refuses them.
    virtual bool protocol_only() const { return true; }
    /// Read and check the law's keys from @p material (called when at least
    /// one of keys() is present) into @p spec; fail with the key named.
    virtual void read(const InputNode &material, MaterialSpec &spec) const = 0;
    /// Set the law's constants of a phase for the protocol mechanics.
    virtual void configure(const MaterialSpec &spec, const LawContext &context,
                           MechanicalPhase &phase) const = 0;
    /// Set the law's point parameters at state of charge @p x (called once per
    /// cell and evaluation; a law whose constants are unset leaves @p m alone).
    virtual void evaluate(const MechanicalPhase &phase, double x,
                          constitutive::PointMaterial &m) const = 0;
    /// History values per quadrature point the law needs in the kernel's
    /// history array (at most constitutive::n_history over all laws).
    virtual unsigned int history_size() const { return 0; }
    /// Cell fields the law provides (selectable in output.fields).
    virtual std::vector<OutputField> output_fields() const { return {}; }
  };

  /// The registered laws, built-in ones first, in registration order.
  const std::vector<const MaterialLaw *> &material_laws();

  /// Add a law (kept by reference; it must outlive the program's use of the
  /// registry). Throws std::logic_error if its name or one of its keys is
  /// already taken, or if its history does not fit the kernel's array.
  void register_law(const MaterialLaw &law);

  /// The built-in laws (laws/*.cc), for the registry.
  namespace laws
  {
    const MaterialLaw &lithium_storage();
    const MaterialLaw &j2_plasticity();
    const MaterialLaw &norton_creep();
    const MaterialLaw &pore_closure();
    const MaterialLaw &stress_limit();
  } // namespace laws

  /// The von Mises stress above which @p spec's phase is flagged (its 99th
  /// percentile, per increment) [Pa]; infinity: none (laws/stress_limit.cc).
  double stress_limit_of(const MaterialSpec &spec);

  /// The Johnson-Cook factor 1 - T*^m on the yield stress and hardening of
  /// @p pl at temperature @p T [K]: 1 at or below the reference temperature
  /// or without thermal_softening, 0 at or above the melting temperature
  /// (laws/j2_plasticity.cc).
  double softening_factor(const PlasticitySpec &pl, double T);

  /// Fail at materials.<phase>.thermal_softening (@p materials_node) if the
  /// case or one of its steps is as hot as the phase's melting temperature.
  void check_melting_temperatures(const InputNode &materials_node,
                                  const std::map<std::string, MaterialSpec> &materials,
                                  const ChemoSpec &chemo);
} // namespace solidanode
