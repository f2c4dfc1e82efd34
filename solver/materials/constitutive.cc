#include <solver/materials/cohesive_band.h>
#include <solver/materials/constitutive.h>
#include <solver/materials/isotropic.h>
#include <solver/materials/material_law.h>

#include <array>
#include <cmath>
#include <algorithm>

namespace solidanode
{
  namespace constitutive
  {
    double det(const Tensor2 &a)
    {
      return a[0] * (a[4] * a[8] - a[5] * a[7]) - a[1] * (a[3] * a[8] - a[5] * a[6]) +
             a[2] * (a[3] * a[7] - a[4] * a[6]);
    }

    Tensor2 cofactor(const Tensor2 &a)
    {
      return {{a[4] * a[8] - a[5] * a[7], a[5] * a[6] - a[3] * a[8], a[3] * a[7] - a[4] * a[6],
               a[2] * a[7] - a[1] * a[8], a[0] * a[8] - a[2] * a[6], a[1] * a[6] - a[0] * a[7],
               a[1] * a[5] - a[2] * a[4], a[2] * a[3] - a[0] * a[5], a[0] * a[4] - a[1] * a[3]}};
    }

    namespace
    {
      const double sqrt_2_3 = std::sqrt(2. / 3.);
      /// Relative distance to the yield surface within which a point counts
      /// as loading for the tangent.
      const double yield_tolerance = 1e-10;

      Tensor2 inverse(const Tensor2 &a, double d)
      {
        const Tensor2 c = cofactor(a);
        const double  s = 1. / d;
        return {{c[0] * s, c[3] * s, c[6] * s, c[1] * s, c[4] * s, c[7] * s, c[2] * s, c[5] * s,
                 c[8] * s}};
      }

      /// a b c^T for symmetric b.
      Tensor2 sandwich(const Tensor2 &a, const Tensor2 &b)
      {
        Tensor2 ab{}, r{};
        for (unsigned int i = 0; i < 3; ++i)
          for (unsigned int j = 0; j < 3; ++j)
            ab[3 * i + j] = a[3 * i] * b[j] + a[3 * i + 1] * b[3 + j] + a[3 * i + 2] * b[6 + j];
        for (unsigned int i = 0; i < 3; ++i)
          for (unsigned int j = i; j < 3; ++j)
            {
              r[3 * i + j] =
                ab[3 * i] * a[3 * j] + ab[3 * i + 1] * a[3 * j + 1] + ab[3 * i + 2] * a[3 * j + 2];
              r[3 * j + i] = r[3 * i + j];
            }
        return r;
      }

      Tensor2 from_voigt(const double *v)
      {
        return {{v[0], v[5], v[4], v[5], v[1], v[3], v[4], v[3], v[2]}};
      }

      void to_voigt(const Tensor2 &t, double *v)
      {
        v[0] = t[0];
        v[1] = t[4];
        v[2] = t[8];
        v[3] = t[5];
        v[4] = t[2];
        v[5] = t[1];
      }

      double contract(const Tensor2 &a, const Tensor2 &b)
      {
        double s = 0;
        for (unsigned int i = 0; i < 9; ++i)
          s += a[i] * b[i];
        return s;
      }

      /// Radial return of a deviatoric trial stress of norm @p norm
      /// (Frobenius) with shear stiffness 2 mu_bar = @p two_mu: the flow
      /// increment dg (s = s_trial - two_mu dg n) and the denominator D of
      /// its linearisation, d dg = (d norm - d(two_mu) dg) / D.
      ///   rate-independent J2: f = norm - sqrt(2/3) (sigma_y + H alpha) = 0,
      ///     D = two_mu + 2 H / 3;
      ///   Norton creep (backward Euler over dt): sqrt(2/3) dg =
      ///     dt A (sqrt(3/2) u / sigma_c)^n, u = norm - two_mu dg,
      ///     D = two_mu + u / (n dg);
      /// with both, the larger flow increment.
      struct Return
      {
        bool   loading = false; ///< use the flow tangent
        bool   plastic = false; ///< dg > 0
        double dg = 0., D = 1.;
      };

      Return radial_return(double norm, double two_mu, const PointMaterial &m, double alpha_n)
      {
        Return       r;
        const double flow = m.yield + m.H * alpha_n;
        const double ftr  = norm - sqrt_2_3 * flow;
        if (std::isfinite(m.yield) && norm > 0.)
          {
            // On the yield surface within round-off (e.g. the committed
            // state of a point that is flowing): the elasto-plastic tangent
            // (dg = 0), so that round-off does not choose the tangent point
            // by point.
            r.loading = ftr > -yield_tolerance * flow;
            r.plastic = ftr > 0.;
            r.D       = two_mu + 2. * m.H / 3.;
            r.dg      = r.plastic ? ftr / r.D : 0.;
          }
        if (m.creep_rate > 0. && m.dt > 0. && norm > 0.)
          {
            // Solve phi(w) = ln(sqrt(2/3) w / two_mu) - ln(dt A)
            //   - n ln(sqrt(3/2) (norm - w) / sigma_c) = 0 for the stress
            // reduction w in (0, norm); phi increases with w. Newton on
            // t = ln w, kept inside a bracket.
            const double n      = m.creep_exponent;
            const double lndtA  = std::log(m.dt * m.creep_rate);
            auto         phi    = [&](double w) {
              return std::log(sqrt_2_3 * w / two_mu) - lndtA -
                     n * std::log(std::sqrt(1.5) * (norm - w) / m.creep_stress);
            };
            double lo = std::log(norm) - 700., hi = std::log(norm); // ln w bracket
            // Explicit (forward Euler) estimate as the start.
            double t = std::min(std::log(0.5 * norm),
                                std::log(two_mu * std::sqrt(1.5)) + lndtA +
                                  n * std::log(std::sqrt(1.5) * norm / m.creep_stress));
            t = std::max(t, lo + 1.);
            for (int k = 0; k < 200; ++k)
              {
                const double w = std::exp(t);
                const double f = phi(w);
                if (f > 0.)
                  hi = t;
                else
                  lo = t;
                const double df = 1. + n * w / (norm - w);
                double       tn = t - f / df;
                if (!(tn > lo && tn < hi))
                  tn = 0.5 * (lo + hi);
                const bool done = std::abs(tn - t) < 1e-13 || hi - lo < 1e-13;
                t               = tn;
                if (done)
                  break;
              }
            const double w  = std::exp(t);
            const double dg = w / two_mu;
            if (dg > r.dg)
              {
                r.loading = true;
                r.plastic = true;
                r.dg      = dg;
                r.D       = two_mu + (norm - w) / (n * dg);
              }
          }
        return r;
      }

      /// Diagonal of F_s: J_s^(1/3) in every direction, or J_s along the
      /// growth axis and 1 across it.
      std::array<double, 3> swelling_stretch(const PointMaterial &m)
      {
        if (m.growth_axis < 0)
          {
            const double c = std::cbrt(m.Js);
            return {{c, c, c}};
          }
        std::array<double, 3> f{{1., 1., 1.}};
        f[m.growth_axis] = m.Js;
        return f;
      }

      /// Pore closure barrier at r = J_e / J_c (finite) or theta / J_c
      /// (small): the pressure p_c = -kappa_c (1 - r)^2 / r and its slope
      /// d p_c / d ln r = kappa_c (1 - r^2) / r, zero for r >= 1.
      struct Barrier
      {
        double p = 0., dp_dlnr = 0.;
      };

      Barrier closure_barrier(const PointMaterial &m, double r)
      {
        if (!(m.closure_J > 0.) || r >= 1.)
          return {};
        return {-m.closure_bulk * (1. - r) * (1. - r) / r, m.closure_bulk * (1. - r * r) / r};
      }

      /// The quantities of a finite-strain update that its tangent and its
      /// history update need (names as in finite_update).
      struct FiniteState
      {
        const Tensor2               &Finv, &b;
        const std::array<double, 3> &fs;
        const Tensor2               &tau, &n;
        double J, je23, Ibar, norm, snorm, mubar, dg, D, pv, dpc;
        bool   loading, mean_dilatation;
      };

      /// C_p^{-1} after plastic flow, in Voigt order into @p hnew; false if
      /// the isochoric projection fails.
      bool plastic_history(const PointMaterial &m, const FiniteState &st, const Tensor2 &s,
                           double *hnew)
      {
        // bbar_e = s / mu + y I with y near Ibar such that
        // det bbar_e = 1 (plastic incompressibility, Simo & Hughes
        // 1998, Remark 9.2.2): y^3 - (A:A / 2) y + det A - 1 = 0 for
        // A = s / mu (deviatoric). Then b_e = J_e^(2/3) bbar_e and
        // C_p^{-1} = F_hat^{-1} b_e F_hat^{-T}. The stress s is kept,
        // so recomputing the state from the new history at the same
        // F gives the same stress.
        Tensor2 a;
        for (unsigned int i = 0; i < 9; ++i)
          a[i] = s[i] / m.mu;
        const double j2 = 0.5 * contract(a, a), da = det(a);
        double       y  = st.Ibar;
        for (int k = 0; k < 20; ++k)
          {
            const double g  = y * y * y - j2 * y + da - 1.;
            const double dy = g / (3. * y * y - j2);
            y -= dy;
            if (std::abs(dy) < 1e-15 * y)
              break;
          }
        if (!(y > 0.) || !std::isfinite(y))
          return false;
        Tensor2      be;
        const double je23i = 1. / st.je23;
        for (unsigned int i = 0; i < 9; ++i)
          be[i] = je23i * a[i];
        for (unsigned int i = 0; i < 9; i += 4)
          be[i] += je23i * y;
        Tensor2 Fhinv; // F_s F^{-1}
        for (unsigned int i = 0; i < 3; ++i)
          for (unsigned int j = 0; j < 3; ++j)
            Fhinv[3 * i + j] = st.fs[i] * st.Finv[3 * i + j];
        const Tensor2 cp = sandwich(Fhinv, be);
        to_voigt(cp, hnew);
        return true;
      }

      /// The consistent tangent A_ijkl = dP_ij / dF_kl of finite_update.
      void finite_tangent(const PointMaterial &m, const FiniteState &st, double *A)
      {
        const Tensor2 &b = st.b, &Finv = st.Finv, &tau = st.tau, &n = st.n;
        const double   je23 = st.je23, J = st.J, norm = st.norm, snorm = st.snorm;
        const double   mubar = st.mubar, dg = st.dg, D = st.D, pv = st.pv, dpc = st.dpc;
        const bool     loading = st.loading, mean_dilatation = st.mean_dilatation;
        for (unsigned int k = 0; k < 3; ++k)
          for (unsigned int l = 0; l < 3; ++l)
            {
              // Direction dF = e_k (x) e_l: grad dv = l = dF F^{-1} has only
              // row k, equal to row l of F^{-1}.
              const double *fl  = &Finv[3 * l];
              const double  trl = fl[k];
              double        w[3]; // row l of F^{-1} times b
              for (unsigned int j = 0; j < 3; ++j)
                w[j] = fl[0] * b[j] + fl[1] * b[3 + j] + fl[2] * b[6 + j];
              Tensor2 dbbar; // d bbar = J_e^(-2/3) (l b + b l^T - 2/3 tr(l) b)
              for (unsigned int i = 0; i < 9; ++i)
                dbbar[i] = -2. / 3. * trl * b[i];
              for (unsigned int j = 0; j < 3; ++j)
                {
                  dbbar[3 * k + j] += w[j];
                  dbbar[3 * j + k] += w[j];
                }
              for (auto &v : dbbar)
                v *= je23;
              const double dIbar = (dbbar[0] + dbbar[4] + dbbar[8]) / 3.;
              Tensor2      ds    = dbbar;
              ds[0] -= dIbar;
              ds[4] -= dIbar;
              ds[8] -= dIbar;
              for (auto &v : ds)
                v *= m.mu; // d s_trial
              if (loading)
                {
                  const double dnorm  = contract(n, ds);
                  const double dmubar = m.mu * dIbar;
                  const double ddg    = (dnorm - 2. * dmubar * dg) / D;
                  const double dsnorm = dnorm - 2. * dmubar * dg - 2. * mubar * ddg;
                  for (unsigned int i = 0; i < 9; ++i)
                    ds[i] = dsnorm * n[i] + snorm * (ds[i] - n[i] * dnorm) / norm;
                }
              // M = d tau - tau l^T,  dP = M F^{-T}
              Tensor2 M;
              for (unsigned int i = 0; i < 9; ++i)
                M[i] = m.Js * ds[i];
              // d tau_vol: J (p + J dp/dJ) tr(l) point-wise; with the mean
              // dilatation only J p tr(l) here (p fixed; its change is the
              // element's rank-one term, FiniteStrainSolver::cell_kernel).
              const double dvol = mean_dilatation ? J * pv : m.Js * (m.kappa + dpc);
              for (unsigned int i = 0; i < 9; i += 4)
                M[i] += dvol * trl;
              for (unsigned int i = 0; i < 3; ++i)
                M[3 * i + k] -=
                  tau[3 * i] * fl[0] + tau[3 * i + 1] * fl[1] + tau[3 * i + 2] * fl[2];
              for (unsigned int i = 0; i < 3; ++i)
                for (unsigned int j = 0; j < 3; ++j)
                  A[9 * (3 * i + j) + 3 * k + l] = M[3 * i] * Finv[3 * j] +
                                                   M[3 * i + 1] * Finv[3 * j + 1] +
                                                   M[3 * i + 2] * Finv[3 * j + 2];
            }
      }

      bool finite_update(const PointMaterial &m, const Tensor2 &F, const double *hn,
                         PointResponse &out, double *hnew, double *A, double Jbar)
      {
        const double J = det(F);
        if (!(J > 0.) || !(m.Js > 0.) || Jbar < 0.)
          return false;
        const Tensor2 Finv = inverse(F, J);
        const double  Je   = J / m.Js;
        const auto    fs   = swelling_stretch(m); // F_s = diag(fs)
        Tensor2       Fh;                         // F_hat = F F_s^{-1} = F_e F_p
        for (unsigned int i = 0; i < 3; ++i)
          for (unsigned int j = 0; j < 3; ++j)
            Fh[3 * i + j] = F[3 * i + j] / fs[j];
        const Tensor2 b    = sandwich(Fh, from_voigt(hn)); // trial b_e
        const double  je23 = std::pow(Je, -2. / 3.);
        Tensor2       bbar;
        for (unsigned int i = 0; i < 9; ++i)
          bbar[i] = je23 * b[i];
        const double Ibar = (bbar[0] + bbar[4] + bbar[8]) / 3.;
        Tensor2      str  = bbar; // trial deviatoric Kirchhoff stress
        str[0] -= Ibar;
        str[4] -= Ibar;
        str[8] -= Ibar;
        for (auto &v : str)
          v *= m.mu;
        const double norm    = std::sqrt(contract(str, str));
        const double alpha_n = hn[6];
        const double mubar   = m.mu * Ibar;
        const Return ret     = radial_return(norm, 2. * mubar, m, alpha_n);
        const bool   plastic = ret.plastic, loading = ret.loading;
        const double D = ret.D, dg = ret.dg;

        double  snorm = norm;
        Tensor2 n{}, s = str;
        if (loading)
          {
            snorm = norm - 2. * mubar * dg;
            for (unsigned int i = 0; i < 9; ++i)
              {
                n[i] = str[i] / norm;
                s[i] = snorm * n[i];
              }
          }
        // Volumetric part at J_v = J (point-wise) or at the element mean
        // Jbar (mean dilatation): tau_vol = J p(J_v) I with the Cauchy
        // pressure p(J_v) = (kappa ln J_ev + p_c) / J_ev, J_ev = J_v / J_s.
        const bool   mean_dilatation = Jbar > 0.;
        const double Jev             = mean_dilatation ? Jbar / m.Js : Je;
        const double lnJe            = std::log(Jev);
        Tensor2      tau;
        for (unsigned int i = 0; i < 9; ++i)
          tau[i] = m.Js * s[i];
        // Pore closure barrier, r = J_e / J_c < 1: p_c = -kappa_c (1 - r)^2 / r,
        // zero with zero slope at r = 1 (no jump in the tangent), ~ -kappa_c / r
        // as r -> 0; d p_c = kappa_c (1 - r^2) / r tr(l).
        const Barrier barrier = closure_barrier(m, m.closure_J > 0. ? Jev / m.closure_J : 1.);
        const double  pc = barrier.p, dpc = barrier.dp_dlnr;
        const double pv      = (m.kappa * lnJe + pc) / Jev; // Cauchy pressure at J_v
        for (unsigned int i = 0; i < 9; i += 4)
          tau[i] += J * pv;
        // dp/dJ_v at Jbar, for the element's rank-one volumetric tangent.
        out.dp_dJbar = mean_dilatation ? ((m.kappa + dpc) / Jev - pv) / (Jev * m.Js) : 0.;
        for (unsigned int i = 0; i < 9; ++i)
          out.cauchy[i] = tau[i] / J;
        // P = tau F^{-T}
        for (unsigned int i = 0; i < 3; ++i)
          for (unsigned int j = 0; j < 3; ++j)
            out.P[3 * i + j] = tau[3 * i] * Finv[3 * j] + tau[3 * i + 1] * Finv[3 * j + 1] +
                               tau[3 * i + 2] * Finv[3 * j + 2];
        out.J       = J;
        out.Je      = Je;
        out.alpha   = alpha_n + (plastic ? sqrt_2_3 * dg : 0.);
        out.plastic = plastic;

        const FiniteState st{Finv, b,     fs, tau, n,  J,  je23,    Ibar,
                             norm, snorm, mubar, dg, D, pv, dpc, loading, mean_dilatation};
        if (hnew)
          {
            if (plastic && !plastic_history(m, st, s, hnew))
              return false;
            if (!plastic)
              for (unsigned int k = 0; k < 6; ++k)
                hnew[k] = hn[k];
            hnew[6] = out.alpha;
          }
        if (A)
          finite_tangent(m, st, A);
        return true;
      }

      bool small_update(const PointMaterial &m, const Tensor2 &F, const double *hn,
                        PointResponse &out, double *hnew, double *A)
      {
        Tensor2 eps;
        for (unsigned int i = 0; i < 3; ++i)
          for (unsigned int j = 0; j < 3; ++j)
            eps[3 * i + j] = 0.5 * (F[3 * i + j] + F[3 * j + i]) - (i == j ? 1. : 0.);
        const double tr    = eps[0] + eps[4] + eps[8];
        const double eps_s = (m.Js - 1.) / 3.;
        const Tensor2 ep   = from_voigt(hn);
        Tensor2       str;
        for (unsigned int i = 0; i < 9; ++i)
          str[i] = 2. * m.mu * (eps[i] - ep[i]);
        for (unsigned int i = 0; i < 9; i += 4)
          str[i] -= 2. * m.mu * tr / 3.;
        if (m.growth_axis >= 0) // deviator of eps_s = (J_s - 1) e_a (x) e_a
          for (unsigned int i = 0; i < 3; ++i)
            str[4 * i] -= 2. * m.mu * (m.Js - 1.) *
                          ((int(i) == m.growth_axis ? 1. : 0.) - 1. / 3.);
        const double norm    = std::sqrt(contract(str, str));
        const double alpha_n = hn[6];
        const Return ret     = radial_return(norm, 2. * m.mu, m, alpha_n);
        const bool   plastic = ret.plastic, loading = ret.loading;
        const double D = ret.D, dg = ret.dg;
        Tensor2      n{}, s = str;
        if (loading)
          for (unsigned int i = 0; i < 9; ++i)
            {
              n[i] = str[i] / norm;
              s[i] = str[i] - 2. * m.mu * dg * n[i];
            }
        double p = m.kappa * (tr - 3. * eps_s);
        // Pore closure barrier on the linear volume ratio theta = 1 + tr(eps
        // - eps_s): p_c(r) of finite_update with r = theta / J_c, continued
        // linearly below r_0 = 0.1 so that no strain is inadmissible.
        double dpc = 0.; // d p_c / d theta
        if (m.closure_J > 0.)
          {
            const double  r = (1. + tr - 3. * eps_s) / m.closure_J, r0 = 0.1;
            const double  rr      = std::max(r, r0);
            const Barrier barrier = closure_barrier(m, rr);
            dpc = barrier.dp_dlnr / (rr * m.closure_J);
            p += barrier.p + (r < r0 ? dpc * m.closure_J * (r - r0) : 0.);
          }
        for (unsigned int i = 0; i < 9; ++i)
          out.P[i] = s[i];
        for (unsigned int i = 0; i < 9; i += 4)
          out.P[i] += p;
        out.cauchy  = out.P;
        out.J       = det(F);
        out.Je      = 1. + tr - 3. * eps_s;
        out.alpha   = alpha_n + sqrt_2_3 * dg;
        out.plastic = plastic;
        if (hnew)
          {
            Tensor2 epn = ep;
            for (unsigned int i = 0; i < 9; ++i)
              epn[i] += dg * n[i];
            to_voigt(epn, hnew);
            hnew[6] = out.alpha;
          }
        if (A)
          {
            // C = kappa 1(x)1 + 2 mu theta (I - 1/3 1(x)1) - 2 mu thetabar n(x)n
            // (Simo & Hughes 1998, Box 3.2); dP/dF = C : sym.
            const double theta    = loading ? 1. - 2. * m.mu * dg / norm : 1.;
            const double thetabar = loading ? 2. * m.mu / D - (1. - theta) : 0.;
            for (unsigned int i = 0; i < 3; ++i)
              for (unsigned int j = 0; j < 3; ++j)
                for (unsigned int k = 0; k < 3; ++k)
                  for (unsigned int l = 0; l < 3; ++l)
                    {
                      const double dij = i == j, dkl = k == l;
                      const double isym = 0.5 * ((i == k && j == l) + (i == l && j == k));
                      A[9 * (3 * i + j) + 3 * k + l] =
                        (m.kappa + dpc) * dij * dkl + 2. * m.mu * theta * (isym - dij * dkl / 3.) -
                        2. * m.mu * thetabar * n[3 * i + j] * n[3 * k + l];
                    }
          }
        return true;
      }
    } // namespace

    PointMaterial evaluate(const MechanicalPhase &phase, double x)
    {
      PointMaterial m;
      const double  E = phase.E1 >= 0. ? phase.E0 + (phase.E1 - phase.E0) * x : phase.E0;
      m.kappa         = isotropic::bulk_modulus(E, phase.nu);
      m.mu            = isotropic::shear_modulus(E, phase.nu);
      m.Js            = 1. + phase.swelling * x;
      m.growth_axis   = phase.growth_axis;
      for (const MaterialLaw *law : material_laws())
        law->evaluate(phase, x, m);
      return m;
    }

    void initial_history(Kinematics kinematics, double *history)
    {
      const double d = kinematics == Kinematics::finite ? 1. : 0.;
      history[0] = history[1] = history[2] = d;
      history[3] = history[4] = history[5] = history[6] = history[7] = 0.;
    }

    bool update(Kinematics kinematics, const PointMaterial &m, const Tensor2 &F,
                const double *history_n, PointResponse &out, double *history_new, double *A,
                double Jbar)
    {
      if (m.band_strength > 0.)
        return cohesive_band_update(kinematics, m, F, history_n, out, history_new, A, Jbar);
      const bool ok = kinematics == Kinematics::finite
                        ? finite_update(m, F, history_n, out, history_new, A, Jbar)
                        : small_update(m, F, history_n, out, history_new, A);
      if (ok && history_new)
        history_new[7] = history_n[7];
      return ok;
    }
  } // namespace constitutive
} // namespace solidanode
