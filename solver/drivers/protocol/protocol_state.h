// Where a protocol run is: the protocol step, the load or time within it,
// the stack condition and the Li bookkeeping. Everything a restart needs
// besides the per-cell fields (solver/drivers/protocol/protocol_checkpoint.h).
#pragma once

#include <base/json.h>

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <map>
#include <string>

namespace solidanode
{
  /// How the top of the stack is held.
  enum class Stack
  {
    pressure,        ///< constant stack pressure
    fixed_thickness, ///< mean top displacement held; the pressure follows (>= 0)
    clamped,         ///< as fixed_thickness, but the clamp also pulls (pressure < 0)
    displacement,    ///< prescribed top displacement (boundary.top: displacement)
    punch,           ///< press: a rigid punch driven to reach the stack pressure
    free             ///< no load on the top (boundary.top: free)
  };

  /// "pressure", "fixed_thickness", "clamped", "displacement", "punch", "free" (summary.csv,
  /// checkpoint).
  std::string stack_name(Stack s);

  struct ProtocolState
  {
    std::size_t  step          = 0;     ///< index into the protocol
    bool         step_started  = false;
    unsigned int sub           = 0;     ///< load increments done in the step
    unsigned int steps_in_step = 0;     ///< accepted increments in the step
    double       t_step        = 0.;    ///< time spent in the step [s]
    double       time          = 0.;    ///< protocol time [s]
    double       dt            = 0.;    ///< next time step [s]
    Stack        stack         = Stack::pressure;
    double       pressure      = 0.;    ///< current stack pressure (applied) [Pa]
    double       p_start       = 0.;    ///< at the start of the step [Pa]
    double       top           = 0.;    ///< displacement, punch: current mean top u_z [m]
    double       top_start     = 0.;
    double       u_target      = 0.;    ///< fixed thickness: mean top displacement [m]
    double       compliance    = 0.;    ///< -d(mean u_z)/dp estimate [m/Pa] (fixed thickness, punch)
    double       li_passed     = 0.;    ///< net Li passed by the current source [mol]
    double       plated        = 0.;    ///< plated Li (chemo.plating) [mol]
    bool         alloy_full    = false; ///< lithiation: the alloy took what it could, now plating
    unsigned int increment     = 0;     ///< accepted increments since the start
    std::map<std::string, double> soc_start; ///< set_soc: x at the step start

    /// Into / out of checkpoint.json (keys as the members).
    void to_json(Json &state) const;
    /// Throws YAML::Exception on a missing or malformed key.
    void from_yaml(const YAML::Node &state);
  };
} // namespace solidanode
