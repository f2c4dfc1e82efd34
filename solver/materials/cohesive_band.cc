#include <base/units.h>
#include <base/yaml_input.h>
#include <solver/materials/cohesive_band.h>

#include <algorithm>
#include <cmath>

namespace solidanode
{
  std::vector<CohesiveSpec> read_cohesive_interfaces(const InputNode &interfaces,
                                                     const InputNode &materials)
  {
    if (!interfaces.is_sequence())
      interfaces.fail("expected a list of interfaces, like "
                      "[{between: [Si, LPSCl], strength: 20 MPa, fracture_energy: 0.5 J/m2}]");
    std::vector<CohesiveSpec> specs;
    for (const InputNode &e : interfaces.elements())
      {
        CohesiveSpec    s;
        const InputNode between = e.child("between");
        const auto      names   = between.elements();
        if (!between.is_sequence() || names.size() != 2)
          between.fail("expected the two phases, like [Si, LPSCl] (the band lies in the "
                       "second one's voxels)");
        s.phase = names[0].as_string();
        s.band  = names[1].as_string();
        for (const auto &n : names)
          if (!materials.has(n.as_string()))
            n.fail("'" + n.as_string() + "' is not a phase under materials");
        if (s.phase == s.band)
          between.fail("expected two different phases");
        for (const auto &earlier : specs)
          if (earlier.band == s.band && earlier.phase == s.phase)
            between.fail("this pair is listed twice");
        s.strength = e.quantity("strength", Dimension::pressure);
        if (!(s.strength > 0.))
          e.child("strength").fail("expected a positive tensile strength, like '20 MPa'");
        s.fracture_energy = e.quantity("fracture_energy", Dimension::surface_energy);
        if (!(s.fracture_energy > 0.))
          e.child("fracture_energy").fail("expected a positive energy, like '0.5 J/m2'");
        s.residual = e.quantity("residual_stiffness", Dimension::dimensionless, s.residual);
        if (!(s.residual > 0. && s.residual < 0.1))
          e.child("residual_stiffness").fail("expected a fraction in (0, 0.1), like 1e-4");
        s.where = e.file() + ": " + e.path();
        specs.push_back(s);
      }
    return specs;
  }

  double max_band_thickness(double M, double strength, double fracture_energy)
  {
    return 2. * M * fracture_energy / (strength * strength);
  }

  namespace constitutive
  {
    namespace
    {
      /// M = K + 4 mu / 3 of the band's undamaged moduli [Pa].
      double constrained_modulus(const PointMaterial &m) { return m.kappa + 4. * m.mu / 3.; }
    } // namespace

    BandLaw band_law(const PointMaterial &m)
    {
      const double M = constrained_modulus(m);
      BandLaw      b;
      b.eps0 = m.band_strength / M;
      b.epsf = 2. * m.band_energy / (m.band_strength * m.band_thickness);
      b.dmax = 1. - m.band_residual;
      return b;
    }

    double band_kappa_step(const BandLaw &law, double kappa_n)
    {
      return 0.02 * std::max(law.eps0, kappa_n - law.eps0);
    }

    double band_damage(const PointMaterial &m, double kappa)
    {
      const BandLaw b = band_law(m);
      if (!(kappa > b.eps0))
        return 0.;
      if (kappa >= b.epsf)
        return b.dmax;
      const double M     = constrained_modulus(m);
      const double sigma = m.band_strength * (b.epsf - kappa) / (b.epsf - b.eps0);
      return std::clamp(1. - sigma / (M * kappa), 0., b.dmax);
    }

    bool cohesive_band_update(Kinematics kinematics, const PointMaterial &m, const Tensor2 &F,
                              const double *history_n, PointResponse &out,
                              double *history_new, double *A, double Jbar)
    {
      const double kappa_n = history_n[7];
      const double d       = band_damage(m, kappa_n);
      // Opening or closing: the elastic volume ratio (of the element's mean
      // det F with the mean dilatation), or 1 + tr(eps) - tr(eps_s) (small).
      const double J       = Jbar > 0. ? Jbar : det(F);
      const bool   tension = kinematics == Kinematics::finite
                               ? J / m.Js > 1.
                               : F[0] + F[4] + F[8] - 3. > m.Js - 1.;
      PointMaterial e = m;
      e.band_strength = 0.;
      e.mu *= 1. - d;
      e.yield *= 1. - d;
      e.H *= 1. - d;
      if (tension)
        e.kappa *= 1. - d;
      if (!update(kinematics, e, F, history_n, out, history_new, A, Jbar))
        return false;
      out.damage = d;
      // Effective (undamaged) Kirchhoff stress per unit swelling volume:
      // the damaged parts divided by 1 - d.
      const double scale = (kinematics == Kinematics::finite ? out.J : 1.) / m.Js;
      Tensor2      tau;
      for (unsigned int i = 0; i < 9; ++i)
        tau[i] = out.cauchy[i] * scale;
      const double p     = (tau[0] + tau[4] + tau[8]) / 3.;
      const double p_eff = tension ? p / (1. - d) : p;
      // The effective (undamaged) traction t = tau_eff n on the interface
      // plane: its normal part sigma_nn and its shear t_s. Stresses within
      // the plane (the band layer's share of its phase's in-plane load) do
      // not open the interface.
      const auto &n = m.band_normal;
      double      t[3];
      for (unsigned int i = 0; i < 3; ++i)
        {
          t[i] = 0.;
          for (unsigned int j = 0; j < 3; ++j)
            t[i] += ((tau[3 * i + j] - (i == j ? p : 0.)) / (1. - d) + (i == j ? p_eff : 0.)) * n[j];
        }
      const double s_nn = t[0] * n[0] + t[1] * n[1] + t[2] * n[2];
      const double t_s2 = std::max(0., t[0] * t[0] + t[1] * t[1] + t[2] * t[2] - s_nn * s_nn);
      // Y+ = <sigma_nn>+^2 / (2 M) + t_s^2 / (2 mu): the energy per unit
      // volume of opening and sliding the band; eps_eq = sqrt(2 Y+ / M).
      const double M   = constrained_modulus(m);
      const double Y   = (s_nn > 0. ? s_nn * s_nn / (2. * M) : 0.) + t_s2 / (2. * m.mu);
      const double eps = std::sqrt(2. * Y / M);
      if (history_new)
        history_new[7] = std::max(kappa_n, eps);
      return true;
    }
  } // namespace constitutive
} // namespace solidanode
