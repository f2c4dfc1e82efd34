// The chemo-mechanical part of a case: Li storage of the active
// phases, finite-strain / plasticity parameters, interface contact, and the
// cell protocol (press, hold, lithiate, delithiate, rest, cycle, set_soc).
// A case with a 'protocol' section is run by solver/drivers/chemo_run.cc; the
// format is documented in docs/input.md and docs/chemo_mechanics.md.
#pragma once

#include <solver/materials/cohesive_band.h>

#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace solidanode
{
  class InputNode;

  /// How a phase stores Li (materials.<phase>.lithium).
  struct LithiumSpec
  {
    double c_max    = 0.; ///< [mol per m^3 of unlithiated phase]
    double swelling = 0.; ///< J_s(x) = 1 + swelling x (Si: ~2.8-3)
    double D0       = 0.; ///< diffusivity at x = 0 [m^2/s]
    double D_exponent = 0.; ///< D(x) = D0 exp(D_exponent x)
    double partial_molar_volume = 0.; ///< Omega [m^3/mol], stress-assisted flux
    double initial_soc = 0.; ///< x at the start of the run
  };

  /// Mechanics of a phase beyond (E, nu): lithiated modulus and J2 plasticity.
  struct PlasticitySpec
  {
    double E_lithiated = -1.; ///< E at x = 1 [Pa]; < 0: constant E
    double yield_stress = std::numeric_limits<double>::infinity(); ///< at x = 0 [Pa]
    double yield_stress_lithiated = -1.; ///< at x = 1 [Pa]; < 0: constant
    double hardening = 0.; ///< linear isotropic hardening modulus [Pa]
    /// Johnson-Cook thermal softening of the yield stress and the hardening:
    /// factor 1 - T*^m, T* = (T - reference) / (melting - reference) in
    /// [0, 1); melting_temperature = 0: none.
    double melting_temperature   = 0.;     ///< [K]
    double softening_exponent    = 1.;     ///< m [-]
    double reference_temperature = 298.15; ///< temperature of yield_stress [K]
  };

  /// Norton power-law creep of a phase (materials.<phase>.creep; Li metal):
  /// d(eps_p)/dt = A exp(-Q / (R T)) (q / stress)^exponent, q von Mises.
  struct CreepSpec
  {
    double A        = 0.; ///< prefactor [1/s]
    double stress   = 1.; ///< reference stress [Pa]
    double exponent = 1.; ///< n [-]
    double activation_energy = 0.; ///< Q [J/mol]
    /// A exp(-Q / (R T)) [1/s].
    double rate_at(double temperature) const;
  };

  /// Li plating of a Li-free anode (chemo.plating; docs/plating.md).
  struct PlatingSpec
  {
    std::string phase;     ///< the plating-site phase (a seed film of Li metal)
    double molar_volume = 13.0e-6; ///< of Li metal [m^3/mol]
    int    axis = 2;       ///< growth direction (z: normal to the collector)
    std::vector<std::string> layer; ///< phases of the carbon/Ag layer (outputs)
    std::string collector; ///< collector phase (outputs); may be empty
    std::string separator; ///< electrolyte separator phase (outputs); may be empty
    /// Lithiation goes into the alloying (active) phases while their mean
    /// state of charge is below this, then plates.
    double alloy_until = 0.95;
    /// Plating-site faces count as lost where n.sigma.n exceeds this [Pa].
    double interface_strength = 0.;
    std::string where; ///< file (chemo.plating), for messages
  };

  /// One protocol step, flattened (cycles are expanded when read).
  struct ProtocolStep
  {
    enum class Kind
    {
      press,      ///< ramp the stack pressure up to 'pressure', then release to 'release_to'
      hold,       ///< constant stack pressure / thickness for a time
      lithiate,   ///< galvanostatic (C-rate) or potentiostatic (surface_soc) insertion
      delithiate, ///< galvanostatic extraction
      rest,       ///< no current for a time
      set_soc     ///< uniform state of charge, set instantly (ramped in increments)
    };
    Kind        kind = Kind::hold;
    std::string name; ///< for the summary and messages, e.g. "lithiate (cycle 2)"
    std::string where; ///< file:line of the step in the case file, for messages

    /// Stack condition during the step. Unset: as in the previous step
    /// (initially a constant stack pressure of 0).
    std::optional<double> pressure;         ///< constant stack pressure [Pa]
    bool                  fixed_thickness = false; ///< hold the thickness of the step start
    bool                  clamped = false; ///< with fixed_thickness: the clamp also pulls
    /// With fixed_thickness: stiffness of the cell frame per unit top area
    /// [Pa/m]; the gap opens by (p - p_step_start) / frame_stiffness. 0: rigid.
    double                frame_stiffness = 0.;
    std::optional<double> top_displacement; ///< boundary.top: displacement [m]

    /// press, hold: temperature of the step (yield stresses with
    /// thermal_softening, creep rates) [K]; unset: chemo.temperature.
    std::optional<double> temperature;

    // press
    double       release_to = 0.; ///< stack pressure after the release [Pa]
    unsigned int increments = 4;  ///< press: per ramp; set_soc: ramp increments

    // lithiate / delithiate
    double c_rate     = 0.;  ///< [1/h]; 1 C fills the active capacity in one hour
    /// Galvanostatic by current per top (xy) area instead of a C-rate [A/m^2]
    /// ('charge' becomes the duration charge / current_density).
    std::optional<double> current_density;
    std::optional<double> surface_soc; ///< potentiostatic: x held on the contact faces
    std::optional<double> until_soc;   ///< stop when the electrode state of charge reaches it
    std::optional<double> duration;    ///< [s] (hold, rest, potentiostatic; limit otherwise)

    // set_soc
    std::map<std::string, double> soc; ///< by phase name (all active phases if from a number)

    unsigned int output_every = 1; ///< write fields every n-th time step (and the step's last)
  };

  struct ChemoSpec
  {
    enum class Kinematics
    {
      finite,
      small
    };
    Kinematics kinematics  = Kinematics::finite;
    double     temperature = 298.15; ///< [K]

    /// interfaces: contact is lost where the normal traction exceeds the
    /// tensile strength and regained where it is below -regain_pressure.
    double tensile_strength = std::numeric_limits<double>::infinity(); ///< [Pa]
    double regain_pressure  = 0.; ///< [Pa], >= 0
    /// Interfaces that debond (cohesive bands; they decide contact on
    /// their faces instead of tensile_strength).
    std::vector<CohesiveSpec> interfaces;
    bool   area_correction  = true; ///< staircase correction of interface areas
    /// Galvanostatic current over the in-contact faces of a phase: per unit
    /// area (false) or weighted by the availability 1 - x (x on
    /// extraction) of the face's voxel (true; a first-order surface reaction).
    bool   availability_weighting = true;

    // Newton and time stepping
    double       newton_rtol   = 1e-8;
    unsigned int newton_max_iterations = 25;
    /// Inexact Newton: the CG of a Newton step stops at a relative residual
    /// of at most this (NewtonSettings::max_forcing); 0: at solver.rtol.
    double       newton_forcing = 1e-3;
    /// Keep the AMG of a solve's first tangent for its later Newton steps.
    bool         newton_lag_amg = true;
    double       max_soc_change = 0.02; ///< per time step (galvanostatic)
    double       dt_initial     = 0.;   ///< [s]; 0: from max_soc_change / 4
    double       dt_min         = 1e-3; ///< [s]; a clear error below it
    unsigned int coupling_iterations = 3; ///< staggered transport/mechanics passes
    double       coupling_tolerance  = 1e-4; ///< max change of x between passes

    std::optional<PlatingSpec> plating;

    std::vector<ProtocolStep> protocol;
  };

  /// boundary.top as the protocol reader needs it: which stack keys a step
  /// may give (pressure / thickness: fixed; top_displacement; none).
  enum class ProtocolTop
  {
    pressure,
    displacement,
    free
  };

  /// Read the 'protocol' list and the optional 'chemo' section (kinematics,
  /// temperature, interfaces, time stepping) of a case. @p material_names
  /// are the phases under 'materials' (to check set_soc), @p top the
  /// case's boundary.top.
  ChemoSpec read_chemo_spec(const InputNode &root, const std::vector<std::string> &active_phases,
                            ProtocolTop top);

  /// materials.<phase>.lithium (capacity + density or c_max, swelling,
  /// diffusivity, ...).
  LithiumSpec read_lithium_spec(const InputNode &node);

  /// materials.<phase>.creep (rate, stress, exponent, activation_energy).
  CreepSpec read_creep_spec(const InputNode &node);

  /// chemo.plating (phase, molar_volume, layer, collector, separator, ...).
  PlatingSpec read_plating_spec(const InputNode &node);

  const char *protocol_kind_name(ProtocolStep::Kind k);
} // namespace solidanode
