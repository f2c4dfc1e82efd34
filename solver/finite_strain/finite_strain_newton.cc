#include <solver/finite_strain/finite_strain_internal.h>

#include <mesh/voxel_mesh.h>

#include <petscksp.h>

#include <algorithm>
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <string>

namespace solidanode
{
  using namespace dealii;
  using namespace finite_strain_internal;

  void FiniteStrainSolver::set_initial_guess()
  {
    copy_ghosted(u_, u_committed_);
    at_committed_ = false;
    if (newton_.extrapolate && dt_ > 0. && dt_last_ > 0.)
      {
        // Start from the committed state extrapolated along the last step
        // (free DoFs), unless that inverts a point.
        const double s = dt_ / dt_last_;
        {
          LocalForm u(handle(u_)), uc(handle(u_committed_)), up(handle(u_previous_));
          for (unsigned int i = 0; i < n_owned_; ++i)
            if (dof_kind_[i] == 0)
              u.data()[i] += s * (uc.data()[i] - up.data()[i]);
        }
        ghost_update_forward(handle(u_));
        if (residual(u_) < 0.)
          copy_ghosted(u_, u_committed_);
      }
  }


  double FiniteStrainSolver::start_top_load(double top_value)
  {
    double lift = 0.;
    if (top_ == TopCondition::displacement)
      {
        top_value_ = top_committed_;
        lift       = top_value - top_committed_;
      }
    else
      top_value_ = top_value;
    return lift;
  }


  NewtonStatistics FiniteStrainSolver::solve(double top_value, const std::vector<double> &x_cell)
  {
    if (x_cell.size() != tria_.n_active_cells())
      throw std::invalid_argument("FiniteStrainSolver::solve: x_cell must have one value per "
                                  "active cell (tria.n_active_cells())");
    NewtonStatistics st;
    x_ = x_cell;
    if (krylov_spd_)
      {
        krylov_.reset();
        krylov_spd_ = false;
      }
    set_initial_guess();
    double lift = start_top_load(top_value);

    double t0     = MPI_Wtime();
    double r_norm = residual(u_);
    st.residual_seconds += elapsed(t0);
    if (r_norm < 0.)
      {
        st.failure = "inverted quadrature point at the start";
        return st;
      }
    double r0 = r_norm;
    st.initial_residual = r_norm;
    st.residual_norm    = r_norm;

    for (unsigned int it = 0;; ++it)
      {
        if (lift == 0. &&
            (r_norm <= newton_.relative_tolerance * r0 || r_norm <= atol_))
          {
            st.converged = true;
            break;
          }
        if (it == newton_.max_iterations)
          {
            st.failure = "no convergence in " + std::to_string(it) + " Newton iterations";
            break;
          }

        const NewtonStatistics before = st;
        t0            = MPI_Wtime();
        double b_norm = assemble_system(lift, Tangent::consistent);
        st.assemble_seconds += elapsed(t0);
        if (b_norm < 0.)
          {
            st.failure = "invalid state in the tangent assembly";
            break;
          }
        if (it == 0)
          {
            r0                  = std::max(r0, b_norm);
            st.initial_residual = r0;
          }

        const unsigned int its_before = st.linear_iterations;
        const char        *fallback   = "";
        const double       tol_newton = std::max(newton_.relative_tolerance * r0, atol_);
        linear_rtol_ = newton_.max_forcing > 0. && b_norm > 0. ?
                         std::max(linear_.relative_tolerance,
                                  std::min(newton_.max_forcing, 0.1 * tol_newton / b_norm)) :
                         linear_.relative_tolerance;
        const int reason = solve_for_update(it, lift, b_norm, fallback, st);
        st.iterations    = it + 1;
        if (reason < 0)
          {
            st.failure = "linear solver failed: PETSc reason " + std::to_string(reason) +
                         " (also with the fallbacks)";
            break;
          }
        set_constrained_update(lift);
        double t = 1., r_t = -1.;
        bool   accepted = line_search(b_norm, lift == 0., t, r_t, st);
        if (!accepted && r_t >= 0.)
          {
            // The symmetrised tangent of plastic points need not give a
            // descent direction (e.g. elastic unloading from a plastic
            // state): retry along the SPD reference tangent's direction.
            ++st.linear_fallbacks;
            fallback        = " (reference tangent after a failed line search)";
            const double t1 = MPI_Wtime();
            b_norm          = assemble_system(lift, Tangent::reference);
            st.assemble_seconds += elapsed(t1);
            if (linear_solve(true, false, st) >= 0)
              {
                set_constrained_update(lift);
                accepted = line_search(b_norm, lift == 0., t, r_t, st);
              }
          }
        if (!accepted)
          {
            st.failure = r_t < 0. ? "every step length inverts a quadrature point"
                                  : "the line search found no decrease of the residual";
            break;
          }
        if (newton_.verbose && Utilities::MPI::this_mpi_process(comm_) == 0)
          std::printf("  Newton %u: |b| %.3e, %u linear its%s, step %.4g, |R| %.3e (|R0| %.3e); "
                      "assembly %.2f s, residuals %.2f s, AMG setup %.2f s, Krylov %.2f s\n",
                      it, b_norm, st.linear_iterations - its_before, fallback, t, r_t, r0,
                      st.assemble_seconds - before.assemble_seconds,
                      st.residual_seconds - before.residual_seconds,
                      st.setup_seconds - before.setup_seconds,
                      st.solve_seconds - before.solve_seconds);
        if (newton_.verbose)
          std::fflush(stdout);
        copy_ghosted(u_, u_trial_);
        r_norm           = r_t;
        st.residual_norm = r_t;
        advance_top_load(top_value, t, lift);
      }
    st.residual_norm = r_norm;
    return st;
  }


  int FiniteStrainSolver::solve_for_update(unsigned int it, double lift, double &b_norm,
                                           const char *&fallback, NewtonStatistics &st)
  {
    // CG on the symmetrised consistent tangent; FGMRES with the same AMG
    // when CG meets an indefinite preconditioner; the SPD reference
    // tangent when the consistent one is indefinite or CG fails otherwise.
    int reason = linear_solve(it == 0, false, st);
    if (newton_.verbose && reason < 0 && Utilities::MPI::this_mpi_process(comm_) == 0)
      std::printf("  Newton %u: CG on the consistent tangent stopped, PETSc reason %d\n", it,
                  reason);
    if (reason == KSP_DIVERGED_INDEFINITE_PC || reason == KSP_DIVERGED_BREAKDOWN ||
        reason == KSP_DIVERGED_PC_FAILED)
      {
        ++st.linear_fallbacks;
        fallback = " (FGMRES)";
        reason   = linear_solve(false, true, st);
      }
    if (reason < 0)
      {
        ++st.linear_fallbacks;
        fallback        = " (reference tangent)";
        const double t0 = MPI_Wtime();
        b_norm          = assemble_system(lift, Tangent::reference);
        st.assemble_seconds += elapsed(t0);
        // The reference tangent is SPD: an AMG built with CG eigenvalue
        // estimates (SpdEigenEstimates) holds where the default one turned
        // indefinite (Si posts among pore voxels at 1e-4 of the stiffness).
        if (!krylov_spd_)
          {
            krylov_.reset();
            krylov_spd_ = true;
          }
        reason = linear_solve(true, false, st);
      }
    return reason;
  }


  void FiniteStrainSolver::set_constrained_update(double lift)
  {
    PetscScalar *d = nullptr;
    check_petsc(VecGetArray(handle(du_), &d), "VecGetArray");
    for (const unsigned int i : owned_constrained_)
      d[i] = dof_kind_[i] == 2 ? lift : 0.;
    VecRestoreArray(handle(du_), &d);
  }


  bool FiniteStrainSolver::line_search(double b_norm, bool energy, double &t, double &r_t,
                                       NewtonStatistics &st)
  {
    // The full step if it decreases the residual norm; else (with
    // line_search and no prescribed lift on the step) the step length at
    // which the energy stops decreasing along du; else backtracking:
    // halve the step while it inverts a point or does not decrease the
    // residual norm.
    t   = 1.;
    r_t = -1.;
    bool         accepted = false;
    const double t0       = MPI_Wtime();
    energy                = energy && newton_.line_search;
    // phi(0) = du . R(u) = -du . b while r_ still holds the right-hand side.
    PetscScalar du_b = 0.;
    if (energy)
      check_petsc(VecDot(handle(du_), handle(r_), &du_b), "VecDot");
    for (unsigned int halving = 0;; ++halving)
      {
        check_petsc(VecWAXPY(handle(u_trial_), t, handle(du_), handle(u_)), "VecWAXPY");
        ghost_update_forward(handle(u_trial_));
        r_t = residual(u_trial_);
        if (r_t >= 0. && (!newton_.line_search || r_t < b_norm || r_t <= atol_))
          {
            accepted = true;
            break;
          }
        if (halving == 0 && energy && energy_line_search(-double(du_b), t, r_t, st))
          {
            accepted = true;
            break;
          }
        if (halving == newton_.max_step_halvings)
          break;
        t *= 0.5;
        ++st.step_halvings;
      }
    st.residual_seconds += elapsed(t0);
    return accepted;
  }


  bool FiniteStrainSolver::energy_line_search(double phi0, double &t, double &r_t,
                                              NewtonStatistics &st)
  {
    // phi(t) = du . R(u + t du), the derivative of the (incremental)
    // energy along du; +inf where a point inverts. On entry u_trial_ =
    // u + du, r_ = R(u + du) and r_t its norm (< 0: a point inverted).
    const double inf = std::numeric_limits<double>::infinity();
    auto         dot_r = [&](double r_norm) {
      if (r_norm < 0.)
        return inf;
      PetscScalar d = 0.;
      check_petsc(VecDot(handle(du_), handle(r_), &d), "VecDot");
      return double(d);
    };
    auto phi = [&](double s, double &r_norm) {
      check_petsc(VecWAXPY(handle(u_trial_), s, handle(du_), handle(u_)), "VecWAXPY");
      ghost_update_forward(handle(u_trial_));
      r_norm = residual(u_trial_);
      return dot_r(r_norm);
    };
    if (!(phi0 < 0.))
      return false;
    double r_hi = r_t;
    double lo = 0., f_lo = phi0, hi = 1., f_hi = dot_r(r_t);
    // An inadmissible end: halve it until admissible.
    for (unsigned int k = 0; f_hi == inf && k < newton_.max_step_halvings; ++k)
      {
        hi *= 0.5;
        ++st.step_halvings;
        f_hi = phi(hi, r_hi);
      }
    if (f_hi == inf)
      return false;
    if (f_hi <= 0.)
      {
        // Still descending at hi: take it (the energy decreased all along).
        t   = hi;
        r_t = r_hi;
        return true;
      }
    // Regula falsi on [lo, hi], phi(lo) < 0 < phi(hi), safeguarded by
    // bisection when its point falls in the outer tenths of the bracket, to
    // |phi| <= |phi0| / 2 (a curvature condition); else the last point at
    // which the energy still decreased.
    for (unsigned int k = 0; k < 16; ++k)
      {
        double s = (lo * f_hi - hi * f_lo) / (f_hi - f_lo);
        if (!(s > lo + 0.1 * (hi - lo) && s < hi - 0.1 * (hi - lo)))
          s = 0.5 * (lo + hi);
        double       r_s = 0.;
        const double f_s = phi(s, r_s);
        ++st.step_halvings;
        if (f_s != inf && std::abs(f_s) <= 0.5 * std::abs(phi0))
          {
            t   = s;
            r_t = r_s;
            return true;
          }
        if (f_s < 0.)
          lo = s, f_lo = f_s;
        else
          hi = s, f_hi = f_s;
      }
    if (lo > 0.)
      {
        t = lo;
        phi(lo, r_t); // u_trial_ back at the accepted point
        return true;
      }
    return false;
  }


  void FiniteStrainSolver::advance_top_load(double top_value, double t, double &lift)
  {
    // A prescribed top displacement is applied as far as the accepted step.
    if (lift == 0.)
      return;
    if (t == 1.)
      {
        top_value_ = top_value;
        lift       = 0.;
      }
    else
      {
        top_value_ += t * lift;
        lift *= (1. - t);
      }
  }


  int FiniteStrainSolver::linear_solve(bool rebuild_amg, bool fgmres, NewtonStatistics &st)
  {
    // The AMG of the first tangent of a solve serves the later Newton
    // iterations while CG with it converges in at most twice (+10) the
    // iterations it took when fresh; otherwise it is set up again.
    const bool lag = newton_.lag_preconditioner && !rebuild_amg && krylov_ &&
                     fresh_linear_its_ > 0;
    const int reason = krylov_solve(lag, rebuild_amg, fgmres, st);
    if (lag && reason < 0)
      return krylov_solve(false, rebuild_amg, fgmres, st);
    return reason;
  }


  int FiniteStrainSolver::krylov_solve(bool lag, bool rebuild_amg, bool fgmres,
                                       NewtonStatistics &st)
  {
    double                  t0 = MPI_Wtime();
    PC                      pc = nullptr;
    const SpdEigenEstimates spd(krylov_spd_);
    if (!krylov_)
      krylov_ = std::make_unique<ElasticKrylov>(dof_handler_, owned_, matrix_, linear_,
                                                /*nonzero_initial_guess=*/false);
    else
      {
        KSP ksp = krylov_->ksp();
        check_petsc(KSPSetReusePreconditioner(ksp, lag ? PETSC_TRUE : PETSC_FALSE),
                    "KSPSetReusePreconditioner");
        if (!lag)
          {
            // A fresh AMG hierarchy for the first tangent of each solve, the
            // same aggregates and prolongators for the later ones if so
            // configured.
            check_petsc(KSPGetPC(ksp, &pc), "KSPGetPC");
            check_petsc(PCGAMGSetReuseInterpolation(
                          pc, (newton_.reuse_amg_interpolation && !rebuild_amg) ? PETSC_TRUE
                                                                                : PETSC_FALSE),
                        "PCGAMGSetReuseInterpolation");
            // PCSetUp rebuilds (or, with reuse, updates) the hierarchy when
            // the matrix changed; KSPSolve would do it anyway, this times it.
            check_petsc(PCSetUp(pc), "PCSetUp (AMG setup)");
          }
      }
    st.setup_seconds += elapsed(t0);

    KSP ksp = krylov_->ksp();
    t0      = MPI_Wtime();
    check_petsc(KSPSetTolerances(ksp, linear_rtol_, 1e-300, PETSC_DEFAULT,
                                 static_cast<PetscInt>(linear_.max_iterations)),
                "KSPSetTolerances");
    if (fgmres)
      {
        check_petsc(KSPSetType(ksp, KSPFGMRES), "KSPSetType");
        check_petsc(KSPGMRESSetRestart(ksp, 50), "KSPGMRESSetRestart");
        check_petsc(KSPSetNormType(ksp, KSP_NORM_UNPRECONDITIONED), "KSPSetNormType");
      }
    check_petsc(KSPSolve(ksp, handle(r_), handle(du_)), "KSPSolve");
    KSPConvergedReason reason;
    PetscInt           its = 0;
    KSPGetConvergedReason(ksp, &reason);
    KSPGetIterationNumber(ksp, &its);
    if (fgmres)
      {
        check_petsc(KSPSetType(ksp, KSPCG), "KSPSetType");
        check_petsc(KSPSetNormType(ksp, KSP_NORM_UNPRECONDITIONED), "KSPSetNormType");
      }
    st.linear_iterations += static_cast<unsigned int>(its);
    st.solve_seconds += elapsed(t0);
    const auto n = static_cast<unsigned int>(its);
    if (!lag)
      fresh_linear_its_ = reason < 0 ? 0u : std::max(1u, n);
    else if (n > 2 * fresh_linear_its_ + 10)
      fresh_linear_its_ = 0; // the next solve sets the AMG up again
    return static_cast<int>(reason);
  }
} // namespace solidanode
