// Dense packing of polydisperse spheres by collective rearrangement
// (Jodrey-Tory-like contraction): random centres with the target radii, then
// overlapping pairs are pushed apart (Gauss-Seidel sweeps over a cell list)
// while an outer radius scale shrinks towards the largest overlap-free
// (inner) scale; the packing stops when both meet. See
// docs/microstructure.md for the algorithm and the fractions it reaches.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace solidanode
{
  struct PackingSphere
  {
    std::array<double, 3> centre{{0., 0., 0.}};
    double radius = 0.; ///< target radius; scaled in place by pack_spheres
    /// Fixed spheres (e.g. particles of a layer below) never move or grow;
    /// mobile spheres are pushed out of them.
    bool fixed = false;
  };

  struct PackingParameters
  {
    /// The domain is [0, domain[d]) along each axis (any length unit, the
    /// same as the radii).
    std::array<double, 3> domain{{1., 1., 1.}};
    std::array<bool, 3> periodic{{true, true, true}};
    /// Centres of mobile spheres stay in [centre_lo, centre_hi] along
    /// non-periodic axes (spheres may stick out and are then cut by the
    /// faces of the image). Ignored on periodic axes.
    std::array<double, 3> centre_lo{{0., 0., 0.}};
    std::array<double, 3> centre_hi{{1., 1., 1.}};
    /// Largest overlap r_i + r_j - d allowed in the result, as a fraction of
    /// the smaller radius. 0 = no overlap at all.
    double max_overlap = 0.;
    /// Budget of relaxation sweeps (one sweep visits every pair once).
    unsigned int max_sweeps = 5000;
    /// Fraction of the gap between outer and inner scale closed per sweep.
    /// Smaller is denser and slower: 1e-3 reaches ~0.62 (monodisperse) to
    /// ~0.63 (lognormal, sigma 0.5) in a few hundred sweeps.
    double contraction_rate = 1e-3;
    /// Seed for the initial random centres of the mobile spheres.
    std::uint64_t seed = 1;
    /// Draw random initial centres (otherwise start from the given ones).
    bool random_start = true;
  };

  struct PackingReport
  {
    std::size_t n_mobile = 0;
    std::size_t n_fixed = 0;
    /// Fraction of the centre region filled by the target radii (what a
    /// scale of 1 would give).
    double target_fraction = 0.;
    /// Final radius scale (<= 1): radii are target * scale.
    double scale = 0.;
    /// Sum of mobile sphere volumes / volume of the centre region.
    double fraction = 0.;
    /// Largest remaining overlap / smaller radius over all pairs (<=
    /// max_overlap by construction).
    double max_overlap = 0.;
    unsigned int sweeps = 0;
    double seconds = 0.;
  };

  /**
   * Pack the mobile spheres of @p spheres. On return their centres are the
   * packed positions and their radii are target * report.scale, where the
   * scale is the largest at which no pair overlaps by more than
   * max_overlap (checked over all pairs). Deterministic for a given input
   * and seed on every platform.
   */
  PackingReport pack_spheres(std::vector<PackingSphere> &spheres,
                             const PackingParameters &p);
} // namespace solidanode
