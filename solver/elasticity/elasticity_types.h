// Plain data types of the elasticity solver, free of deal.II headers so that
// input handling and post-processing can use them cheaply.
#pragma once

#include <base/stress.h>

#include <array>
#include <map>
#include <string>

namespace solidanode
{
  /// Isotropic linear elastic phase. E [Pa], nu [-].
  struct ElasticPhase
  {
    std::string name;
    double      E  = 0.;
    double      nu = 0.;
    /// Void space modelled as a compliant solid: the stack pressure acts on
    /// the solid part of the top face only (a piston does not push on a pore).
    bool        pore = false;
  };

  enum class SideCondition
  {
    rollers, ///< u.n = 0 on all four lateral faces (confined cell)
    free,    ///< rollers on x_min, y_min only; x_max, y_max traction free
    edge     ///< rollers on x_min, y_min and y_max; x_max traction free: a
             ///< plane-strain strip whose x_max face is a free edge
  };

  /// Whether the x_max (y_max) face carries rollers under @p sides.
  inline bool x_max_held(SideCondition sides) { return sides == SideCondition::rollers; }
  inline bool y_max_held(SideCondition sides) { return sides != SideCondition::free; }

  enum class TopCondition
  {
    pressure,     ///< traction -p e_z with p = TopLoad::value [Pa]
    displacement, ///< u_z = TopLoad::value [m] (negative compresses)
    free          ///< traction free
  };

  /// Everything that changes from one load increment to the next.
  struct LoadState
  {
    double top_value = 0.; ///< pressure [Pa] or displacement [m]
    /// Isotropic eigenstrain per material_id [-]; missing ids have none.
    std::map<unsigned int, double> eigenstrain;
  };

  struct LinearSolverSettings
  {
    double       relative_tolerance = 1e-8; ///< ||b - A x|| / ||b||
    unsigned int max_iterations     = 1000;
    /// Extra PETSc options, e.g. "-pc_gamg_threshold 0.02 -ksp_monitor".
    std::string  petsc_options;
  };

  struct SolveStatistics
  {
    unsigned int iterations        = 0;
    double       relative_residual = 0.;
    double       assemble_seconds  = 0.;
    double       setup_seconds     = 0.; ///< preconditioner setup
    double       solve_seconds     = 0.;
  };


} // namespace solidanode
