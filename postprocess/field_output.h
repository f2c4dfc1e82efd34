// Turn the locally owned part of a solution into a VTK piece: shared points
// at the mesh vertices, one hexahedron per owned voxel.
#pragma once

#include <base/stress.h>
#include <postprocess/voxel_view.h>
#include <postprocess/vtk_writer.h>

#include <set>
#include <string>
#include <vector>

namespace solidanode
{
  /**
   * Point data: "displacement_m" (3 components).
   * Cell data: "phase" (voxel label, uint8), "mpi_rank" (int32),
   * "cauchy_stress_Pa" (symmetric, 6 components xx yy zz xy yz xz), "von_mises_Pa",
   * "hydrostatic_stress_Pa" (mean normal stress, negative in compression),
   * "volumetric_strain" (tr eps), "local_porosity" (pore fraction in a
   * window around the voxel). Cell vectors are indexed by OwnedVoxels::cell.
   */
  struct CellFields
  {
    const std::vector<CellStress> *stress            = nullptr; ///< required
    const std::vector<double>     *volumetric_strain = nullptr; ///< optional
    const std::vector<double>     *local_porosity    = nullptr; ///< optional
    /// More scalar cell fields (chemo-mechanics: state of charge, det F,
    /// plastic strain, ...): @p field is the name 'output.fields' selects,
    /// @p array the VTK array name (with its unit).
    struct Extra
    {
      std::string                field, array;
      const std::vector<double> *values = nullptr;
    };
    std::vector<Extra> extra;
  };

  /// @p fields selects what is written (names that output.fields accepts;
  /// empty = all available). Optional cell fields that are null are skipped.
  UnstructuredPiece make_elasticity_piece(const OwnedVoxels           &voxels,
                                          const CellFields            &cell_fields,
                                          const std::set<std::string> &fields,
                                          bool                         float32);
} // namespace solidanode
