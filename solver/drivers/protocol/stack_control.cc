#include <solver/drivers/protocol/stack_control.h>

#include <solver/materials/isotropic.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace solidanode
{
  void MechOutcome::add(const MechOutcome &o)
  {
    newton += o.newton;
    linear += o.linear;
    assemble_s += o.assemble_s;
    amg_s += o.amg_s;
    krylov_s += o.krylov_s;
  }

  namespace
  {
    /// The top condition of the stack mode, switched at the committed state.
    void set_top_for(FiniteStrainSolver &mech, ProtocolState &st)
    {
      if (st.stack == Stack::free || st.stack == Stack::displacement)
        return; // boundary.top decides, for the whole run
      const TopCondition top =
        st.stack == Stack::punch ? TopCondition::displacement : TopCondition::pressure;
      if (mech.top_condition() == top)
        return;
      mech.set_top_condition(top);
      if (st.stack == Stack::punch)
        st.top = mech.top_value();
    }

    /// The punch: find its position d with p(d) = target, p = top force /
    /// top area. p falls as d rises (u_z < 0 presses); a secant on the last
    /// two points (the committed state first), kept inside the bracket of
    /// positions known to give too much and too little pressure.
    template <typename Once>
    bool drive_punch(FiniteStrainSolver &mech, const double target, ProtocolState &st,
                     const double p_tolerance, Once &&once, StackSolve &out)
    {
      double d0 = st.top, p0 = st.pressure, c = st.compliance;
      double d_over = -std::numeric_limits<double>::infinity(); // p > target here
      double d_under = std::numeric_limits<double>::infinity(); // p < target here
      double d1 = d0 - c * (target - p0);
      for (unsigned int k = 0; k < 20; ++k)
        {
          if (!once(d1))
            return false;
          const double p1 = mech.top_force() / mech.top_area();
          const double slope = -(d1 - d0) / (p1 - p0);
          if (std::isfinite(slope) && slope > 0.)
            c = slope;
          out.value = p1;
          out.top   = d1;
          if (std::abs(p1 - target) <= p_tolerance)
            {
              st.compliance = c;
              return true;
            }
          (p1 > target ? d_over : d_under) = d1;
          d0 = d1;
          p0 = p1;
          d1 = d1 - c * (target - p1);
          if (!(d1 > d_over && d1 < d_under) && std::isfinite(d_over) && std::isfinite(d_under))
            d1 = 0.5 * (d_over + d_under);
        }
      out.outcome.failure = "the punch did not reach the stack pressure in 20 solves";
      return false;
    }
  } // namespace

  StackSolve solve_at_stack(FiniteStrainSolver &mech, const std::vector<double> &x,
                            const double p_or_top, ProtocolState &st, const StackTolerance &tol)
  {
    set_top_for(mech, st);
    StackSolve out;
    auto       once = [&](double value) {
      const NewtonStatistics s = mech.solve(value, x);
      out.outcome.newton += s.iterations;
      out.outcome.linear += s.linear_iterations;
      out.outcome.assemble_s += s.assemble_seconds + s.residual_seconds;
      out.outcome.amg_s += s.setup_seconds;
      out.outcome.krylov_s += s.solve_seconds;
      if (!s.converged)
        {
          out.outcome.failure = s.failure;
          out.outcome.first_linear_failure =
            s.iterations == 1 && s.failure.rfind("linear solver failed", 0) == 0;
        }
      out.value = value;
      return s.converged;
    };
    auto done = [&](double value) {
      out.outcome.converged = true;
      out.value             = value;
      return out;
    };
    if (st.stack == Stack::punch)
      {
        out.outcome.converged = drive_punch(mech, p_or_top, st, tol.p, once, out);
        return out;
      }
    if (st.stack != Stack::fixed_thickness && st.stack != Stack::clamped)
      {
        out.outcome.converged = once(p_or_top);
        return out;
      }
    double p0 = st.pressure;
    if (!once(p0))
      return out;
    // The gap: the top held at u_target, opened by the frame's spring.
    const auto gap = [&](double p) {
      return mech.mean_top_displacement() - st.u_target - tol.frame * (p - st.p_start);
    };
    double g0 = gap(p0);
    double c  = st.compliance + tol.frame; // -dg/dp > 0: column and frame
    // Held to tol.u, and to a pressure error g / c of at most 1e-3 of the
    // pressure (or of 0.1 MPa): on a short, stiff column 1e-4 of a voxel
    // is a pressure error of ~M 1e-4 / n_voxels.
    const auto held = [&](double g, double p) {
      return std::abs(g) <= std::min(tol.u, c * 1e-3 * std::max(std::abs(p), 1e5));
    };
    if (held(g0, p0))
      return done(p0);
    for (unsigned int k = 0; k < 12; ++k)
      {
        const double p1 = st.stack == Stack::clamped ? p0 + g0 / c : std::max(0., p0 + g0 / c);
        if (p1 == p0) // p = 0 and still short of the target: the piston lifts off
          return done(p0);
        if (!once(p1))
          return out;
        const double g1 = gap(p1);
        if (held(g1, p1) || (p1 == 0. && g1 > 0.))
          {
            if (p1 != p0 && std::abs(g1 - g0) > 0.)
              st.compliance = std::max(1e-30, -(g1 - g0) / (p1 - p0) - tol.frame);
            return done(p1);
          }
        if (std::abs(g1 - g0) > 0. && -(g1 - g0) / (p1 - p0) > 0.)
          c = -(g1 - g0) / (p1 - p0);
        p0 = p1;
        g0 = g1;
      }
    out.value = p0; // not converged
    return out;
  }

  double column_compliance(const PhaseTable &table, const double thickness)
  {
    double m = 0., v = 0.;
    for (const auto &[label, p] : table.phases())
      if (!p.pore)
        {
          m += p.volume * isotropic::p_wave_modulus(p.E, p.nu);
          v += p.volume;
        }
    return thickness / (m / v);
  }
} // namespace solidanode
