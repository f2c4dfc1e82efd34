// Morphology of a labelled voxel image: volume fractions, porosity,
// interface areas (a consistent estimator, see docs/morphology.md),
// through-thickness connectivity, component sizes and top-surface roughness.
// Used by `solidanode analyze`.
#pragma once

#include <mesh/voxel_image.h>

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace solidanode
{
  /// Interface areas [m^2] estimated by marching tetrahedra on the 3x3x3
  /// box-smoothed indicator of each phase and of each union of two phases
  /// (docs/morphology.md). The faces of the image box are not interfaces.
  struct InterfaceAreas
  {
    /// Total surface of each phase (against all other phases).
    std::map<std::uint8_t, double> phase;
    /// Area of the interface between labels a < b:
    /// (S_a + S_b - S_{a u b}) / 2.
    std::map<std::pair<std::uint8_t, std::uint8_t>, double> pair;
    /// Staircase area (number of voxel faces between a and b times the face
    /// area); a diagnostic only: ~1.5x the true area of curved surfaces.
    std::map<std::pair<std::uint8_t, std::uint8_t>, double> voxel_faces;
    /// Staircase area of each phase against all other phases (the sum of
    /// its pairs' voxel_faces, exactly).
    std::map<std::uint8_t, double> phase_voxel_faces;
    /// Fraction of each phase's voxels whose smoothed indicator lies above
    /// the iso-value, i.e. inside the smoothed surface. Near 1 for phases
    /// several voxels thick; near 0 for one-voxel shells and fibres, which
    /// the smoothed estimator loses (1 without smoothing).
    std::map<std::uint8_t, double> resolved_fraction;
    /// inside_fraction[{a, b}]: fraction of phase b's voxels that lie inside
    /// the smoothed surface of phase a (a thin b embedded in a, such as a
    /// one-voxel fibre in a matrix, vanishes from a's surface).
    std::map<std::pair<std::uint8_t, std::uint8_t>, double> inside_fraction;
    /// union_inside_fraction[{{a, b}, c}]: the same for the union of a and b
    /// (a thin c between a and b, such as a coating, vanishes from it).
    std::map<std::pair<std::pair<std::uint8_t, std::uint8_t>, std::uint8_t>, double>
      union_inside_fraction;
  };

  /// Below this resolved_fraction a phase counts as thin (about one or two
  /// voxels thick): the smoothed estimator does not apply to its surface, to
  /// its interfaces, nor to the interfaces of the phases it touches.
  constexpr double thin_phase_resolved_fraction = 0.5;
  /// When at least this fraction of another phase's voxels lies inside a
  /// phase's smoothed surface (inside_fraction), that phase's smoothed
  /// surface passes over the other phase: it does not apply either.
  constexpr double swallowed_fraction = 0.35;

  /// Smoothing of the indicators before marching tetrahedra: none (raw
  /// indicators; exact for planes, overestimates oblique/curved surfaces),
  /// box (3x3x3 mean) or binomial (3x3x3, weights 1-2-1 per axis).
  enum class AreaSmoothing
  {
    none,
    box,
    binomial
  };
  InterfaceAreas interface_areas(const VoxelImage &image,
                                 AreaSmoothing smoothing = AreaSmoothing::box);

  /// Connected components of equal labels, 6-connectivity (voxels sharing a
  /// face).
  struct PhaseConnectivity
  {
    std::size_t voxels = 0;
    /// Fractions of the phase's voxels in components that touch both the
    /// bottom (k = 0) and the top (k = nz-1) layer, the top layer (whether
    /// or not also the bottom), the bottom layer (ditto).
    double      both = 0., top = 0., bottom = 0.;
    std::size_t components = 0;
    /// Volume-weighted percentiles of the components' equivalent-sphere
    /// diameters (6 V / pi)^(1/3) [m]: d50 is the diameter below which half
    /// of the phase's volume lies. Components cut by the image box count
    /// with their cut volume.
    double d10 = 0., d50 = 0., d90 = 0.;
  };

  /// Union-find over the whole image at once: one uint32 per voxel of
  /// working memory (plus a few bytes per component).
  std::map<std::uint8_t, PhaseConnectivity> connectivity(const VoxelImage &image);

  /// Roughness of the top surface of the set of @p labels: height map
  /// h(i,j) = top face of the highest voxel of the set in column (i,j),
  /// measured from the bottom of the image; columns without such a voxel
  /// are left out.
  struct Roughness
  {
    std::size_t columns = 0, empty_columns = 0;
    double      mean_height = 0.;
    double      Sa = 0.; ///< mean |h - mean h|
    double      Sq = 0.; ///< root mean square of h - mean h
    double      Sz = 0.; ///< max h - min h (peak to valley, not the ISO 5-point mean)
  };
  Roughness top_surface_roughness(const VoxelImage &image,
                                  const std::vector<std::uint8_t> &labels);

  struct MorphologyOptions
  {
    /// Phases counted as porosity; empty: every phase whose name contains
    /// "pore" or "void" (case-insensitive).
    std::vector<std::string> pore_phases;
    /// Phases whose top surface is measured; empty: all non-pore phases.
    std::vector<std::string> surface_phases;
    /// Particle counts per phase name reported by the generator that built
    /// the image (empty when the image was read from a file).
    std::map<std::string, std::size_t> generator_particles;
  };

  struct PhaseReport
  {
    std::uint8_t      label = 0;
    std::string       name;
    bool              pore = false;
    double            volume_fraction = 0.;
    /// Smoothed estimate [m^2], against all other phases; meaningful only
    /// when smoothed_applies.
    double            surface_area = 0.;
    double            voxel_face_area = 0.; ///< staircase area [m^2], exact count
    double            resolved_fraction = 1.; ///< see InterfaceAreas
    bool              smoothed_applies = true;
    std::string       note; ///< why the smoothed estimate does not apply
    PhaseConnectivity connectivity;
    std::optional<std::size_t> generator_particles;
  };

  struct InterfaceReport
  {
    std::uint8_t a = 0, b = 0;
    std::string  name_a, name_b;
    /// Smoothed estimate [m^2] and its specific areas; meaningful only when
    /// smoothed_applies.
    double       area = 0.;
    double       per_volume = 0.;         ///< area / image volume [1/m]
    double       per_projected_area = 0.; ///< area / (Lx Ly) [-]
    double       voxel_face_area = 0.;    ///< staircase area [m^2], exact count
    /// False when a phase of the pair, or a thin phase touching either of
    /// them, is thinner than the smoothing resolves, or when the estimate
    /// exceeds the voxel-face count (an upper bound of the true area).
    bool         smoothed_applies = true;
    std::string  note; ///< why the smoothed estimate does not apply
  };

  struct MorphologyReport
  {
    std::string                  source;
    std::array<std::size_t, 3>   dims{{0, 0, 0}};
    std::array<double, 3>        voxel_size{{0, 0, 0}};
    double                       volume = 0., projected_area = 0.;
    std::vector<std::string>     pore_phases;
    double                       porosity = 0.;
    std::vector<PhaseReport>     phases;
    std::vector<InterfaceReport> interfaces;
    std::vector<std::string>     surface_phases;
    Roughness                    roughness;
  };

  /// Everything above. Throws std::invalid_argument for a pore or surface
  /// phase name that the image does not have.
  MorphologyReport analyze_morphology(const VoxelImage &image,
                                      const MorphologyOptions &options,
                                      const std::string &source);

  /// Human-readable table (µm units).
  std::string morphology_table(const MorphologyReport &report);
  /// JSON, SI units.
  std::string morphology_json(const MorphologyReport &report);
} // namespace solidanode
