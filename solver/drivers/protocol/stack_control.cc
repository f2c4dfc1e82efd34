#include <solver/drivers/protocol/stack_control.h>

#include <solver/materials/isotropic.h>

#include <algorithm>
#include <cmath>

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

  StackSolve solve_at_stack(FiniteStrainSolver &mech, const std::vector<double> &x,
                            const double p_or_top, ProtocolState &st, const double u_tolerance)
  {
    StackSolve out;
    auto       once = [&](double value) {
      const NewtonStatistics s = mech.solve(value, x);
      out.outcome.newton += s.iterations;
      out.outcome.linear += s.linear_iterations;
      out.outcome.assemble_s += s.assemble_seconds + s.residual_seconds;
      out.outcome.amg_s += s.setup_seconds;
      out.outcome.krylov_s += s.solve_seconds;
      if (!s.converged)
        out.outcome.failure = s.failure;
      out.value = value;
      return s.converged;
    };
    auto done = [&](double value) {
      out.outcome.converged = true;
      out.value             = value;
      return out;
    };
    if (st.stack != Stack::fixed_thickness)
      {
        out.outcome.converged = once(p_or_top);
        return out;
      }
    double p0 = st.pressure;
    if (!once(p0))
      return out;
    double g0 = mech.mean_top_displacement() - st.u_target;
    if (std::abs(g0) <= u_tolerance)
      return done(p0);
    double c = st.compliance; // -du/dp > 0
    for (unsigned int k = 0; k < 12; ++k)
      {
        const double p1 = std::max(0., p0 + g0 / c);
        if (p1 == p0) // p = 0 and still short of the target: the piston lifts off
          return done(p0);
        if (!once(p1))
          return out;
        const double g1 = mech.mean_top_displacement() - st.u_target;
        if (std::abs(g1) <= u_tolerance || (p1 == 0. && g1 > 0.))
          {
            if (p1 != p0 && std::abs(g1 - g0) > 0.)
              st.compliance = std::max(1e-30, -(g1 - g0) / (p1 - p0));
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
