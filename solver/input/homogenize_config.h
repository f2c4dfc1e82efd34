// The 'homogenize:' section of a case file: which conducting
// networks to homogenise, with per-phase conductivities, in which
// directions, and whether to compute the effective stiffness.
// Format and units: docs/homogenization.md. Free of deal.II headers.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace solidanode
{
  class InputNode;

  struct ConductingNetwork
  {
    std::string                   name; ///< e.g. "ionic", "electronic"
    /// Phase name -> conductivity [S/m]; phases not listed are insulating.
    std::map<std::string, double> conductivities;
    /// Phase whose conductivity is sigma_0 in the tortuosity factor; empty =
    /// the listed phase with the largest volume fraction.
    std::string                   reference;
  };

  struct HomogenizeSpec
  {
    std::vector<ConductingNetwork> networks;
    std::vector<unsigned int>      directions{0, 1, 2}; ///< 0 = x, 1 = y, 2 = z
    bool                           elasticity = false;
    /// Effective swelling strain of the composite: isotropic eigenstrain per
    /// phase name at a uniform state of charge; empty = not computed.
    std::map<std::string, double>  swelling;
    /// Conductivity of insulating phases relative to the largest conductivity
    /// of the network (they are kept in the mesh, not removed).
    double                         insulator_ratio = 1e-8;
    double                         relative_tolerance = 1e-10;
    bool                           write_fields = true; ///< current density .pvtu
    /// Sizing advice: repeat the conduction (and stiffness) solves on the
    /// 8 octant sub-volumes and report their spread.
    bool                           sizing = false;
    /// Relative std of the octant values below which the box is reported
    /// as representative.
    double                         sizing_tolerance = 0.05;
  };

  /// Read a 'homogenize' mapping (strict: every key is checked by the case
  /// reader's unknown-key walk). Throws InputError.
  HomogenizeSpec read_homogenize_spec(const InputNode &node);
} // namespace solidanode
