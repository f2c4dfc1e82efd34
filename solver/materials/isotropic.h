// Isotropic linear elasticity: the moduli every law and solver derives from
// Young's modulus E [Pa] and Poisson's ratio nu [-]. One place, so that the
// assembled, matrix-free, finite-strain and homogenization code agree.
#pragma once

namespace solidanode::isotropic
{
  /// First Lame parameter lambda = E nu / ((1 + nu)(1 - 2 nu)) [Pa].
  constexpr double lambda(double E, double nu)
  {
    return E * nu / ((1. + nu) * (1. - 2. * nu));
  }
  /// Shear modulus mu = E / (2 (1 + nu)) [Pa].
  constexpr double shear_modulus(double E, double nu)
  {
    return E / (2. * (1. + nu));
  }
  /// Bulk modulus K = E / (3 (1 - 2 nu)) [Pa].
  constexpr double bulk_modulus(double E, double nu)
  {
    return E / (3. * (1. - 2. * nu));
  }
  /// P-wave (confined, uniaxial-strain) modulus M = lambda + 2 mu [Pa].
  constexpr double p_wave_modulus(double E, double nu)
  {
    return E * (1. - nu) / ((1. + nu) * (1. - 2. * nu));
  }
} // namespace solidanode::isotropic
