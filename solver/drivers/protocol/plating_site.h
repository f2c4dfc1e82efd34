// The plating site of a Li-free anode (chemo.plating, docs/plating.md): the
// seed-film phase that grows along the axis by the plated volume per
// reference volume (the same in every voxel of the site), and the phases
// around it that the outputs name (layer, collector, separator).
#pragma once

#include <solver/elasticity/elasticity_types.h>
#include <solver/input/chemo_config.h>
#include <solver/materials/constitutive.h>
#include <solver/materials/phase_table.h>

#include <deal.II/distributed/tria.h>

#include <mpi.h>

#include <map>
#include <set>
#include <vector>

namespace solidanode
{
  /// Site faces shared with the layer solids and with the collector [m^2]:
  /// in contact, or lost where the normal stress exceeds the interface
  /// strength.
  struct SiteContact
  {
    double layer = 0., layer_lost = 0., collector = 0., collector_lost = 0.;
  };

  class PlatingSite
  {
  public:
    /// Finds the phases of @p spec in the table and makes the site phase of
    /// @p mech_phases swell along the growth axis. Throws CollectiveError if
    /// the site phase has no voxel.
    PlatingSite(const PlatingSpec &spec, const PhaseTable &table,
                std::map<unsigned int, MechanicalPhase> &mech_phases);

    /// Make the site phase in @p mech_phases swell along the growth axis
    /// (the constructor does this; again after the phases are rebuilt).
    void shape_phases(std::map<unsigned int, MechanicalPhase> &mech_phases) const;

    /// Remember the owned and ghost cells of the site (after the mesh exists).
    void find_cells(const dealii::parallel::distributed::Triangulation<3> &tria);

    /// Plated volume per reference site volume for @p mol plated Li [-].
    double ratio(double mol) const;
    /// The content the mechanics sees: @p x_li of the alloys, with the
    /// plated ratio on the site cells.
    std::vector<double> content(const std::vector<double> &x_li, double plated_mol) const;
    /// Per-cell plated ratio (zero off the site), for the output field.
    std::vector<double> field(std::size_t n_cells, double plated_mol) const;
    /// Contact of the site with the layer and the collector under @p stress
    /// (cell averages by active cell index). Collective.
    SiteContact contact(const dealii::parallel::distributed::Triangulation<3> &tria,
                        const std::vector<CellStress> &stress,
                        const std::array<double, 3> &voxel_size, MPI_Comm comm) const;

    const PlatingSpec     &spec;
    unsigned int           label = 0;
    double                 site_volume = 0.; ///< reference volume of the site [m^3]
    std::set<unsigned int> layer_labels;     ///< every phase of the layer
    std::set<unsigned int> layer_solids;     ///< its solid phases
    int                    collector_label = -1, separator_label = -1;

  private:
    std::vector<unsigned int> cells_; ///< owned and ghost cells of the site
  };
} // namespace solidanode
