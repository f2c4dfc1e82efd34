// Minimal microstructure generator for the demo and for tests: random
// polydisperse spheres of one phase in a matrix of another, plus pores.
// The full recipe library (coatings, fibres, dense packing) is separate.
#pragma once

#include <mesh/voxel_image.h>

#include <cstdint>
#include <string>
#include <vector>

namespace solidanode
{
  struct SphereGeneratorParameters
  {
    std::array<std::size_t, 3> dims{{32, 32, 32}};
    double voxel_size = 1e-6; ///< [m], isotropic
    std::uint64_t seed = 1;

    std::string matrix_phase = "LPSCl";
    std::string particle_phase = "Si";
    std::string pore_phase = "pore";

    /// Target volume fraction of the particle phase, in [0, 1).
    double particle_fraction = 0.3;
    /// Particle radii are lognormal: median radius [m] and the standard
    /// deviation of ln(r) (0 gives monodisperse spheres). Radii are clipped
    /// to [0.5 voxel, min(dims)/2 voxels].
    double radius_median = 4e-6;
    double radius_log_std = 0.0;
    /// Whether particles may overlap each other.
    bool allow_overlap = false;

    /// Target volume fraction of pores, in [0, 1), carved out of the
    /// matrix only (never out of particles) as spheres of pore_radius [m].
    double pore_fraction = 0.0;
    double pore_radius = 1e-6;
  };

  struct GeneratorReport
  {
    double particle_fraction = 0.; ///< achieved, on the voxel grid
    double pore_fraction = 0.;     ///< achieved, on the voxel grid
    std::size_t n_particles = 0;
    std::size_t n_pores = 0;
  };

  /**
   * Random sequential addition of spheres, voxelised by voxel centre, until
   * the target fractions are reached (or, for non-overlapping particles, a
   * bounded number of failed attempts, reported through @p report). Labels:
   * 0 = pore, 1 = particle, 2 = matrix, with phase_names set accordingly.
   *
   * Reproducible: the same parameters give the same image bit for bit on
   * any machine and any number of MPI ranks (the generator uses its own
   * portable random number transforms, not std:: distributions whose output
   * is implementation defined). Throws std::invalid_argument for parameters
   * out of range, naming the parameter.
   */
  VoxelImage generate_spheres(const SphereGeneratorParameters &p,
                              GeneratorReport *report = nullptr);

  /// One line per phase (particles, pores) whose achieved volume fraction
  /// misses its target by more than @p tolerance (absolute), naming the
  /// phase, the target and the value reached.
  std::vector<std::string> fraction_warnings(const SphereGeneratorParameters &p,
                                             const GeneratorReport &report,
                                             double tolerance = 0.02);
} // namespace solidanode
