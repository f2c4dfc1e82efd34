// Closed forms of a laterally confined stack of layers in series (rollers
// on the sides, load along z), for the split neo-Hookean of
// solver/materials/constitutive.h: kappa = E / (3 (1 - 2 nu)),
// mu = E / (2 (1 + nu)). A confined layer has F_e = diag(1, 1, s); layers
// in series carry the same sigma_zz. Shared by test_plating and
// test_lif_layer.
#pragma once

#include <cmath>
#include <vector>

namespace solidanode
{
  namespace test_support
  {
    namespace confined
    {
      inline double kappa_of(double E, double nu) { return E / (3. * (1. - 2. * nu)); }
      inline double mu_of(double E, double nu) { return E / (2. * (1. + nu)); }

      /// Cauchy (= nominal) axial stress of a laterally confined layer with
      /// elastic stretch s: F_e = diag(1, 1, s).
      inline double confined_stress(double kappa, double mu, double s)
      {
        return (kappa * std::log(s) + 2. / 3. * mu * std::pow(s, -2. / 3.) * (s * s - 1.)) / s;
      }
      /// Lateral Cauchy stress of the same state.
      inline double confined_lateral_stress(double kappa, double mu, double s)
      {
        return (kappa * std::log(s) - mu / 3. * std::pow(s, -2. / 3.) * (s * s - 1.)) / s;
      }
      /// Elastic stretch s of a confined layer under the axial stress sigma
      /// (< 0 compressive): confined_stress(s) = sigma (monotonic in s).
      inline double confined_stretch(double kappa, double mu, double sigma)
      {
        double lo = 1e-3, hi = 3.;
        for (int it = 0; it < 200; ++it)
          {
            const double mid = 0.5 * (lo + hi);
            (confined_stress(kappa, mu, mid) > sigma ? hi : lo) = mid;
          }
        return 0.5 * (lo + hi);
      }

      /// One layer of a laterally confined stack: thickness, moduli and the
      /// growth stretch g along z (1 + x_plate for plated Li, 1 otherwise).
      struct Layer
      {
        double thickness, kappa, mu, growth = 1.;
      };
      /// The stack pressure p (> 0 compressive) at which the confined layers in
      /// series have the total thickness H: sum_i h_i g_i s_i(-p) = H with
      /// s_i(sigma) the elastic stretch of layer i (equal sigma_zz in series).
      /// Held by a frame of compliance @p frame [m/Pa] per unit area that
      /// had the pressure @p p0 at H, the thickness is H + frame (p - p0).
      inline double series_pressure(const std::vector<Layer> &layers, double H,
                                    double frame = 0., double p0 = 0.)
      {
        auto thickness = [&](double p) {
          double t = 0.;
          for (const auto &l : layers)
            t += l.thickness * l.growth * confined_stretch(l.kappa, l.mu, -p);
          return t;
        };
        double lo = -1e9, hi = 50e9; // thickness decreases with p
        for (int it = 0; it < 200; ++it)
          {
            const double mid = 0.5 * (lo + hi);
            (thickness(mid) > H + frame * (mid - p0) ? lo : hi) = mid;
          }
        return 0.5 * (lo + hi);
      }
    } // namespace confined
  } // namespace test_support
} // namespace solidanode
