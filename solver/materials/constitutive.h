// Plain data of the finite-strain / small-strain elasto-plastic mechanics
// (phases, Newton settings and statistics) and the point-wise material laws,
// free of deal.II headers so that input handling can use them cheaply.
//
// Finite strain (Kinematics::finite), per quadrature point:
//   F = F_e F_p F_s,  F_s = J_s(x)^(1/3) I,  J_s(x) = 1 + swelling x,  det F_p = 1
//   Kirchhoff stress of the elastic part (split neo-Hookean, Simo 1992):
//     tau_e = kappa ln(J_e) I + mu dev(bbar_e),  b_e = F_e F_e^T,
//     bbar_e = J_e^(-2/3) b_e,  sigma = tau_e / J_e (Cauchy)
//   J2 plasticity on dev(tau_e) with yield sigma_y(x) + H alpha, Simo's
//   radial return (Simo & Hughes 1998, Box 9.1); history C_p^{-1}, alpha.
//   Pores (optional): tau -= kappa_c (1 - r)^2 / r I for r = J_e / J_c < 1,
//   a barrier that closes a crushed pore voxel near J_c instead of inverting.
//   Optional Norton creep on the same radial return (backward Euler, the
//   larger of the creep and the rate-independent flow), and optional
//   growth along one axis, F_s = I + (J_s - 1) e_a (x) e_a (docs/plating.md).
// Small strain (Kinematics::small):
//   sigma = kappa tr(eps - eps_s) I + 2 mu (dev eps - eps_p),
//   eps_s = (J_s(x) - 1) / 3 I, classical radial return; history eps_p, alpha.
// Equations, units, tangents and sources: docs/finite_strain.md.
#pragma once

#include <array>
#include <limits>
#include <map>
#include <string>

namespace solidanode
{
  /// Mechanical data of one phase (one material_id). SI units.
  struct MechanicalPhase
  {
    std::string name;
    double E0 = 0.;  ///< Young's modulus at x = 0 [Pa]
    double nu = 0.;  ///< Poisson ratio [-]
    double E1 = -1.; ///< Young's modulus at x = 1 [Pa]; < 0: E0. E(x) = E0 + (E1 - E0) x
    /// Volumetric swelling per unit state of charge: J_s(x) = 1 + swelling x
    /// (a-Si: J_s ~ 3.8-4 at full lithiation, Obrovac & Christensen 2004;
    /// docs/materials.md).
    double swelling = 0.;
    /// Initial J2 yield stress at x = 0 and x = 1 [Pa], linear in x;
    /// yield0 = inf: elastic; yield1 < 0: yield0 for every x.
    double yield0 = std::numeric_limits<double>::infinity();
    double yield1 = -1.;
    double hardening = 0.; ///< linear isotropic hardening modulus H [Pa]
    /// Direction of the swelling: -1 isotropic, F_s = J_s^(1/3) I; 0, 1, 2:
    /// along that axis only, F_s = I + (J_s - 1) e_a (x) e_a (plated Li
    /// growing normal to the collector, docs/plating.md).
    int growth_axis = -1;
    /// Norton power-law creep, d(eps_p)/dt = creep_rate (q / creep_stress)^n
    /// with q the von Mises stress (Kirchhoff in finite strain):
    /// creep_rate = A exp(-Q / (R T)) at the run temperature [1/s]; 0: none.
    double creep_rate     = 0.;
    double creep_stress   = 1.; ///< sigma_c [Pa]
    double creep_exponent = 1.; ///< n [-]
    /// Void modelled as a compliant solid (the caller gives its E, nu): it
    /// carries no stack pressure on the top face, like ElasticPhase::pore.
    bool pore = false;
    /// Pore closure (finite strain): below the elastic volume ratio
    /// closure_J the point also carries the Kirchhoff stress p_c I,
    /// p_c = -closure_bulk (1 - r)^2 / r with r = J_e / closure_J, which
    /// starts with zero slope and grows without bound as J_e -> 0, so that a
    /// crushed pore voxel stops near closure_J and then transmits contact
    /// pressure instead of inverting. 0: none.
    double closure_J    = 0.;
    double closure_bulk = 0.; ///< [Pa]
    /// Constants of laws registered outside the built-in set
    /// (solver/materials/material_law.h), by "law.key".
    std::map<std::string, double> parameters;
  };

  enum class Kinematics
  {
    finite, ///< total Lagrangian, F = F_e F_p F_s, neo-Hookean, Simo J2
    small   ///< eps = sym grad u, linear isotropic elasticity, J2
  };

  struct NewtonSettings
  {
    /// Converged when ||R|| <= relative_tolerance ||R_0|| (free DoFs, l2) ...
    double       relative_tolerance = 1e-8;
    /// ... or ||R|| <= absolute_tolerance [N]; <= 0: 1e-12 max(E) h^2.
    double       absolute_tolerance = 0.;
    unsigned int max_iterations     = 25;
    /// Backtracking (halving) on the residual norm when a full step does not
    /// decrease it. Steps that invert a quadrature point are halved always.
    bool         line_search        = true;
    unsigned int max_step_halvings  = 8;
    /// Keep the AMG aggregates/prolongators of the first tangent of a solve
    /// and recompute only the coarse operators and smoothers for the later
    /// Newton iterations (PCGAMGSetReuseInterpolation). Off by default: on
    /// the 32^3 benchmark with plastic Si, CG then needed > 1000 iterations.
    bool         reuse_amg_interpolation = false;
    /// Keep the whole AMG hierarchy of the first tangent of a solve for the
    /// later Newton iterations (CG on the new tangent, preconditioned by the
    /// old one); rebuilt when CG with it fails or needs more than twice the
    /// iterations (+10) of the fresh one.
    bool         lag_preconditioner = true;
    /// Inexact Newton: CG stops at eta = max(solver rtol, min(max_forcing,
    /// 0.1 tol / |b|)), tol = max(relative_tolerance |R0|, atol); 0: at the
    /// solver rtol always.
    double       max_forcing = 1e-3;
    /// Start each time step (FiniteStrainSolver::set_time_step > 0) from
    /// the committed displacement extrapolated linearly along the last
    /// committed step, instead of the committed displacement itself.
    bool         extrapolate = false;
    /// Print one line per Newton iteration on rank 0 (stdout).
    bool         verbose = false;
  };

  struct NewtonStatistics
  {
    bool         converged         = false;
    unsigned int iterations        = 0; ///< Newton steps (linear solves)
    unsigned int linear_iterations = 0; ///< CG iterations, all steps
    unsigned int step_halvings     = 0; ///< line-search cuts, all steps
    /// Linear solves that needed a fallback: FGMRES with the same AMG after
    /// CG met an indefinite preconditioner, or the SPD reference tangent
    /// (linear elasticity at the cell's moduli) when the consistent tangent
    /// is indefinite (far from equilibrium, e.g. a large swelling step).
    unsigned int linear_fallbacks  = 0;
    double       residual_norm     = 0.; ///< final ||R|| [N]
    double       initial_residual  = 0.; ///< ||R_0|| [N] (with the prescribed-displacement lift)
    double       assemble_seconds  = 0.; ///< tangent + residual assembly
    double       residual_seconds  = 0.; ///< residual-only evaluations (line search, checks)
    double       setup_seconds     = 0.; ///< AMG setup
    double       solve_seconds     = 0.; ///< CG
    std::string  failure;               ///< why it did not converge (empty if it did)
  };

  namespace constitutive
  {
    /// 3x3 tensor, row major: T[3 i + j] = T_ij.
    using Tensor2 = std::array<double, 9>;

    /// History values per quadrature point: C_p^{-1} (finite) or eps_p
    /// (small) in Voigt order xx yy zz yz xz xy, then alpha, then kappa, the
    /// largest equivalent strain a cohesive band point has seen
    /// (solver/materials/cohesive_band.h; 0 elsewhere).
    constexpr unsigned int n_history = 8;

    /// Phase constants evaluated at a state of charge x.
    struct PointMaterial
    {
      double kappa = 0.;     ///< bulk modulus [Pa]
      double mu    = 0.;     ///< shear modulus [Pa]
      double Js    = 1.;     ///< swelling volume ratio [-]
      double yield = std::numeric_limits<double>::infinity(); ///< [Pa]
      double H     = 0.;     ///< hardening modulus [Pa]
      int    growth_axis = -1; ///< see MechanicalPhase::growth_axis
      double creep_rate  = 0.; ///< [1/s]; creep acts when creep_rate > 0 and dt > 0
      double creep_stress = 1.; ///< [Pa]
      double creep_exponent = 1.;
      double dt          = 0.; ///< time step of the update [s] (creep)
      double closure_J    = 0.; ///< see MechanicalPhase::closure_J
      double closure_bulk = 0.; ///< [Pa]
      /// Cohesive band (a voxel layer that debonds, cohesive_band.h):
      /// tensile strength [Pa] (0: no band), fracture energy [J/m^2], band
      /// thickness [m], residual stiffness fraction of a broken band [-].
      double band_strength = 0., band_energy = 0., band_thickness = 0., band_residual = 0.;
      /// Unit normal of the band's interface (reference configuration):
      /// from the faces the band cell shares with the other phase.
      std::array<double, 3> band_normal{{0., 0., 1.}};
    };

    double  det(const Tensor2 &a);
    /// cof(a) = det(a) a^{-T} = d det(a) / d a.
    Tensor2 cofactor(const Tensor2 &a);

    /// The point parameters of @p phase at state of charge @p x: the moduli
    /// E(x), nu and the swelling J_s(x) here, then every registered law's
    /// parameters (MaterialLaw::evaluate).
    PointMaterial evaluate(const MechanicalPhase &phase, double x);

    /// History of a virgin point: C_p^{-1} = I (finite) or eps_p = 0 (small).
    void initial_history(Kinematics kinematics, double *history);

    struct PointResponse
    {
      Tensor2 P{};      ///< first Piola-Kirchhoff stress [Pa]
      Tensor2 cauchy{}; ///< Cauchy stress [Pa] (small: sigma)
      double  J     = 1.; ///< det F
      double  Je    = 1.; ///< det F_e = J / J_s (small: 1 + tr eps_e)
      double  alpha = 0.; ///< equivalent plastic strain after the update
      double  damage = 0.; ///< damage of a cohesive band point in this update [-]
      bool    plastic = false;
      /// Mean dilatation only: d p / d Jbar [Pa], p the Cauchy pressure of
      /// the volumetric part (the same at every point of an element).
      double  dp_dJbar = 0.;
    };

    /// Return mapping at deformation gradient @p F from the committed history
    /// @p history_n. Writes the updated history to @p history_new and the
    /// consistent tangent A_ijkl = dP_ij / dF_kl to @p A[9 (3i+j) + 3k+l]
    /// when they are not null. Returns false if det F <= 0 (finite strain).
    /// @p Jbar > 0 (finite strain): mean dilatation, the volumetric stress
    /// J p(Jbar) I from the element's mean det F instead of J p(J) I; @p A
    /// then holds p fixed (its change is the element's rank-one term with
    /// PointResponse::dp_dJbar, docs/finite_strain.md).
    bool update(Kinematics kinematics, const PointMaterial &m, const Tensor2 &F,
                const double *history_n, PointResponse &out,
                double *history_new, double *A, double Jbar = 0.);
  } // namespace constitutive
} // namespace solidanode
