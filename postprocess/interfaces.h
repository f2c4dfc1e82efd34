// Interfaces between phases: the voxel faces whose two cells carry different
// labels. Each face is counted once (by the owner of the cell with the
// smaller label). Used for the interface/contact map (.vtp), the contact
// area per phase pair in summary.csv and the per-slice profiles.
#pragma once

#include <base/stress.h>
#include <postprocess/voxel_view.h>
#include <postprocess/vtk_writer.h>

#include <mpi.h>

#include <cstdint>
#include <map>
#include <set>
#include <utility>
#include <vector>

namespace solidanode
{
  struct InterfaceSummary
  {
    /// Reference area [m^2] of all faces between labels (a, b), a < b, and of
    /// those in contact; summed over all ranks.
    std::map<std::pair<unsigned int, unsigned int>, double> area, contact_area;
    /// Contact area [m^2] between solid phases per z slice (voxel layer),
    /// summed over all ranks and pairs.
    std::vector<double> contact_area_per_slice;
  };

  /// Contact states and Li fluxes kept by a chemo-mechanical model, per
  /// face of every owned and ghost cell (index 6 * active_cell_index + face).
  struct InterfaceStates
  {
    /// Non-zero: the face has lost contact (either cell may say so).
    const std::vector<std::uint8_t> *lost = nullptr;
    /// Li molar flux density into the cell across the face [mol m^-2 s^-1].
    const std::vector<double>       *flux = nullptr;
    /// Per owned and ghost cell: non-zero for a pore cell that pressing has
    /// closed (postprocess/pressed_contact.h); its faces to solids are
    /// pressed contact (contact_state 2).
    const std::vector<std::uint8_t> *closed_pore = nullptr;
  };

  /**
   * Sum up the interface faces @p faces of the locally owned cells.
   *
   * @p pore_labels: labels that are void; a face between a solid and a pore
   * is a free surface (contact_state 0), a face between two solids is in
   * contact (contact_state 1; the small-strain model keeps interfaces
   * bonded, a contact law will set this from the gap and traction).
   * @p stresses must hold the stress of owned and ghost cells (by the cell
   * indices of LabelFace).
   * If @p piece is not null, it receives the faces in the deformed
   * configuration with cell data phase_pair (256 a + b), phase_a, phase_b,
   * area_m2, normal_traction_Pa (n.sigma.n from the mean of the two cells'
   * stresses, negative in compression), contact_state and, with @p states,
   * li_flux_mol_per_m2_s (into the active phase). With @p states, a face
   * between two solids is in contact unless either cell marks it lost, and
   * a face between a solid and a closed pore has contact_state 2.
   * Collective over @p comm (reduces the summary).
   */
  InterfaceSummary collect_interfaces(const std::vector<LabelFace>  &faces,
                                      const std::vector<CellStress> &stresses,
                                      const std::set<unsigned int>  &pore_labels,
                                      unsigned int n_slices, double z0, double slice_thickness,
                                      PolygonPiece *piece, MPI_Comm comm,
                                      const InterfaceStates *states = nullptr);
} // namespace solidanode
