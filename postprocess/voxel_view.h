// What the postprocessing needs of a solved voxel mesh, as plain arrays: the
// locally owned cells with their vertices and displacements, and the voxel
// faces between different labels. The solver side fills them
// (solver/elasticity/voxel_view.h); postprocess/ never sees its DoF handlers
// or vectors.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace solidanode
{
  /// The locally owned cells of a voxel mesh. Cell field arrays handed to the
  /// postprocessing are indexed by the solver's cell index (`cell` below).
  struct OwnedVoxels
  {
    std::vector<double>       points;       ///< 3 per point, reference position [m]
    std::vector<double>       displacement; ///< 3 per point [m]
    std::vector<std::int64_t> hexahedra;    ///< 8 point indices per cell, VTK order
    std::vector<std::uint8_t> label;        ///< per owned cell
    std::vector<std::size_t>  cell;         ///< per owned cell: index into cell arrays
    int                       rank = 0;     ///< MPI rank that owns them

    std::size_t n_cells() const { return label.size(); }
  };

  /// An interior voxel face between labels a < b, seen from the owned cell
  /// with label a (each face once over all ranks).
  struct LabelFace
  {
    unsigned int a = 0, b = 0;
    std::size_t  cell_a = 0, cell_b = 0; ///< cell indices of the two sides
    /// Indices of the face in per-face arrays of the two sides (6 cell + face).
    std::size_t  face_a = 0, face_b = 0;
    unsigned int axis = 0; ///< normal direction (0, 1, 2)
    double       area = 0.; ///< reference area [m^2]
    double       z    = 0.; ///< reference height of the face centre [m]
    /// Deformed corners, 3 coordinates each, in the order around the face.
    std::array<double, 12> corners{};
  };
} // namespace solidanode
