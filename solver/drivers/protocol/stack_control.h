// The mechanical solve of one protocol increment at the current stack
// condition. Constant pressure and prescribed displacement are one Newton
// solve; at fixed thickness the stack pressure p is found by a secant
// iteration on mean u_z(p) = u_target (the piston cannot pull: p >= 0);
// under the press's rigid punch the punch position d is found by a
// safeguarded secant iteration on p(d) = target (docs/pressing.md).
#pragma once

#include <solver/drivers/protocol/protocol_state.h>
#include <solver/finite_strain/finite_strain.h>
#include <solver/materials/phase_table.h>

#include <string>
#include <vector>

namespace solidanode
{
  /// Newton work of one or more mechanical solves.
  struct MechOutcome
  {
    bool         converged = false;
    unsigned int newton = 0, linear = 0;
    double       assemble_s = 0., amg_s = 0., krylov_s = 0.;
    std::string  failure; ///< of the last Newton solve that failed
    /// That failure was the linear solver's, in the first Newton iteration
    /// (before the step's nonlinearity entered): the same failure after a
    /// smaller step means the step size cannot fix it.
    bool         first_linear_failure = false;
    void add(const MechOutcome &o);
  };

  struct StackSolve
  {
    MechOutcome outcome;
    double      value = 0.; ///< the stack pressure [Pa] (or top displacement [m]) reached
    double      top   = 0.; ///< punch: its position, the mean top u_z [m]
  };

  struct StackTolerance
  {
    double u = 0.; ///< fixed thickness: on the mean top displacement [m]
    double p = 0.; ///< punch: on the stack pressure [Pa]
    /// Fixed thickness: compliance of the cell frame per unit top area
    /// [m/Pa] (1 / frame_stiffness; 0: a rigid gap). The held top then
    /// moves up by frame (p - st.p_start).
    double frame = 0.;
  };

  /// Solve @p mech at content @p x and stack value @p p_or_top (pressure
  /// [Pa] or top displacement [m]) with the top condition of st.stack
  /// (switched at the committed state when it changes); at fixed thickness,
  /// iterate the pressure from st.pressure to within @p tol.u of st.u_target;
  /// with the punch, iterate its position from st.top until the stack
  /// pressure is within @p tol.p of @p p_or_top. Both update st.compliance.
  /// Collective.
  StackSolve solve_at_stack(FiniteStrainSolver &mech, const std::vector<double> &x,
                            double p_or_top, ProtocolState &st, const StackTolerance &tol);

  /// First estimate of -d(mean u_z)/dp [m/Pa] for the secant: a solid column
  /// of height @p thickness with the volume-mean P-wave modulus of the solids.
  double column_compliance(const PhaseTable &table, double thickness);
} // namespace solidanode
