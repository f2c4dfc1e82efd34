// Microstructure builder: particle populations (spheres, ellipsoids, curved
// fibres) with size distributions, amounts by volume or weight, overlap
// rules and coating shells, optionally densely packed, then a fill phase and
// pores; in one or several stacked layers. Algorithms and formulas:
// docs/microstructure.md. YAML: `microstructure.build` (solver/input/microstructure_config.h).
#pragma once

#include <mesh/packing.h>
#include <mesh/voxel_image.h>

#include <array>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace solidanode
{
  enum class ParticleShape
  {
    sphere,
    ellipsoid, ///< random orientation, semi-axes in the ratio `aspect`
    fibre      ///< curved cylinder: a chain of straight segments
  };

  /// Lognormal particle diameters: ln d ~ N(ln d50, log_std^2); log_std = 0
  /// gives a fixed size. Draws are clipped to [d50 e^{-2.5 s}, d50 e^{2.5 s}].
  struct SizeDistribution
  {
    double d50     = 1e-6; ///< median diameter [m] (ellipsoid: of the volume-equivalent sphere)
    double log_std = 0.;   ///< standard deviation of ln d

    static SizeDistribution fixed(double d) { return {d, 0.}; }
    static SizeDistribution lognormal(double d50, double log_std) { return {d50, log_std}; }
    /// Least-squares lognormal through D10, D50, D90 in log space:
    /// ln d50_fit = (ln D10 + ln D50 + ln D90) / 3,
    /// log_std = (ln D90 - ln D10) / (2 * 1.2815515655446004).
    /// Throws std::invalid_argument unless 0 < D10 <= D50 <= D90.
    static SizeDistribution from_quantiles(double d10, double d50, double d90);
  };

  struct PopulationSpec
  {
    std::string phase;
    ParticleShape shape = ParticleShape::sphere;
    SizeDistribution size; ///< diameter (fibres: fibre diameter)
    /// Ellipsoid semi-axis ratios (any scale; the volume is that of the
    /// sphere of diameter `size`).
    std::array<double, 3> aspect{{1., 1., 1.}};
    double fibre_length = 0.; ///< [m], along the centre line
    /// Worm-like-chain persistence length [m]; infinity = straight.
    double persistence_length = std::numeric_limits<double>::infinity();

    /// Amount: either a volume fraction of the layer, or a weight fraction
    /// of the layer's solids (then `density` is required, and all
    /// populations of the layer must use weight fractions).
    bool   by_weight       = false;
    double volume_fraction = 0.;
    double weight_fraction = 0.;
    double density         = 0.; ///< [kg/m^3]

    enum class Overlap
    {
      allowed,   ///< may share space; earlier particles keep shared voxels
      forbidden, ///< no voxel shared with any earlier particle or coating
      limited    ///< at most max_overlap of its voxels already taken
    };
    Overlap overlap     = Overlap::forbidden;
    double  max_overlap = 0.; ///< fraction of the particle's voxels (limited)

    /// Optional coating shell around every particle (empty phase = none).
    std::string coating_phase;
    double      coating_thickness = 0.; ///< [m]
  };

  struct PackingSpec
  {
    bool enabled = false; ///< pack the layer's sphere populations densely
    /// Overlap allowed between packed spheres, fraction of the smaller radius.
    double max_overlap = 0.;
    unsigned int max_sweeps = 5000;
    double contraction_rate = 1e-3;
  };

  /// The layer's fill cut into columns: along x (and y for posts) the fill
  /// takes [0, width) of every pitch width + gap, counted from the image
  /// origin; the gaps stay pore. `walls` cuts along x only (walls that run
  /// along y); otherwise square posts. Particles are placed as without it.
  struct ColumnSpec
  {
    double width = 0.; ///< [m]; 0 = no columns
    double gap   = 0.; ///< [m]
    bool   walls = false;
  };

  struct LayerSpec
  {
    std::string name = "layer";
    /// Thickness [m]; 0 = the whole image height (single layer). Layers are
    /// stacked from z = 0 upwards.
    double thickness = 0.;
    std::string fill_phase;     ///< empty: no fill, free space stays pore
    double fill_density = 0.;   ///< [kg/m^3], needed with weight fractions
    double porosity = 0.;       ///< target void fraction of the layer
    /// Porosity as a prediction: the sphere populations are packed until
    /// jammed (no target), in the recipe's proportions; the other solids
    /// keep their share relative to them and 'porosity' is ignored.
    bool jammed = false;
    double pore_diameter = 0.;  ///< [m] of carved pores; 0 = 2 voxels
    ColumnSpec columns;         ///< fill only inside columns (none by default)
    PackingSpec packing;
    std::vector<PopulationSpec> populations;
  };

  struct BuildSpec
  {
    std::array<std::size_t, 3> dims{{32, 32, 32}};
    double voxel_size = 1e-6; ///< [m], cubic voxels
    std::uint64_t seed = 1;
    std::array<bool, 3> periodic{{true, true, false}};
    std::string pore_phase = "pore"; ///< label 0
    std::vector<LayerSpec> layers;
  };

  struct PopulationReport
  {
    std::string phase;
    std::size_t n_particles = 0;
    double target_fraction = 0.;   ///< volume fraction of the layer asked for
    double achieved_fraction = 0.; ///< voxels labelled / layer voxels
    std::string coating_phase;
    double coating_fraction = 0.;        ///< coating voxels / layer voxels
    double coating_thickness_voxels = 0.;///< requested thickness / voxel size
    /// True when the coating is thinner than a voxel: it is then written as
    /// (at least) a one-voxel shell, i.e. thicker than requested.
    bool coating_one_voxel_shell = false;
    /// True for fibres thinner than a voxel: drawn as 6-connected one-voxel
    /// lines along the centre line.
    bool thin_fibre = false;
  };

  struct LayerReport
  {
    std::string name;
    double z0 = 0., z1 = 0.; ///< [m]
    std::size_t n_voxels = 0;
    std::vector<PopulationReport> populations;
    double fill_fraction = 0.;
    double porosity_target = 0.;
    double porosity = 0.;
    bool packed = false;
    bool jammed = false;
    /// Jammed mode: solid fraction of the packed spheres (continuum) at
    /// jamming, and the recipe's share of them in the solid (so the layer's
    /// solid fraction is jammed_fraction / packed_share).
    double jammed_fraction = 0.;
    double packed_share    = 0.;
    PackingReport packing;
    double packed_voxel_fraction = 0.; ///< voxels of the packed spheres / layer voxels
  };

  struct BuildReport
  {
    std::vector<LayerReport> layers;
    /// Lines worth telling the user (e.g. coatings written as one-voxel shells).
    std::vector<std::string> notes;
    double seconds = 0.;
  };

  /**
   * Volume fraction of every population of @p layer (in order), and of the
   * fill as the last entry. With weight fractions w_i and densities rho_i of
   * the populations, the fill's weight fraction w_f = 1 - sum w_i and density
   * rho_f, and the layer porosity e:
   *   phi_i = (1 - e) (w_i / rho_i) / (sum_k w_k / rho_k + w_f / rho_f).
   * With volume fractions the given values are returned, and the fill gets
   * 1 - e - sum phi_i. Throws std::invalid_argument for inconsistent input.
   */
  std::vector<double> layer_volume_fractions(const LayerSpec &layer);

  /// Build the image. Labels: 0 = pore phase, then phases in order of first
  /// appearance. Deterministic for a given spec on every platform.
  VoxelImage build_microstructure(const BuildSpec &spec, BuildReport *report = nullptr);

  /// Default tolerance of fraction_warnings: absolute volume fraction.
  constexpr double fraction_tolerance = 0.02;

  /// One line per population (and layer porosity with a target) whose
  /// achieved volume fraction misses its target by more than @p tolerance
  /// (absolute), naming the layer, the phase, the target and the value
  /// reached. Jammed layers have no porosity target.
  std::vector<std::string> fraction_warnings(const BuildReport &report,
                                             double tolerance = fraction_tolerance);

  /// Human-readable lines for the report (one per layer, population, note).
  std::string format_report(const BuildReport &report);
} // namespace solidanode
