// A cell's stress as plain data (Voigt order), shared by the solvers and the
// postprocessing.
#pragma once

#include <array>
#include <cmath>

namespace solidanode
{
  /// Volume-averaged stress of one cell, Voigt order xx, yy, zz, yz, xz, xy [Pa].
  using CellStress = std::array<double, 6>;

  /// (s_xx + s_yy + s_zz) / 3 [Pa], negative in compression.
  inline double hydrostatic(const CellStress &s) { return (s[0] + s[1] + s[2]) / 3.; }

  /// sqrt(3/2 s:s) for the deviator s [Pa].
  inline double von_mises(const CellStress &s)
  {
    const double a = s[0] - s[1], b = s[1] - s[2], c = s[2] - s[0];
    return std::sqrt(0.5 * (a * a + b * b + c * c) +
                     3. * (s[3] * s[3] + s[4] * s[4] + s[5] * s[5]));
  }
} // namespace solidanode
