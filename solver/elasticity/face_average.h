// Area-weighted mean of one displacement component over a face of the voxel
// box, shared by the elasticity solvers (assembled and matrix-free).
#pragma once

#include <deal.II/dofs/dof_handler.h>

namespace solidanode
{
  /// Mean of component @p component of the FESystem(FE_Q(1), 3) field @p u
  /// (with ghost values) over the box face @p face (0..5: x_min, x_max,
  /// y_min, y_max, bottom, top). Face f of the box is face f of the voxels
  /// that touch it, as boundary ids follow deal.II's face numbering; 2-point
  /// Gauss is exact for Q1. Collective. Instantiated for PETSc and deal.II
  /// distributed vectors.
  template <typename VectorType>
  double mean_face_value(const dealii::DoFHandler<3> &dof_handler, const VectorType &u,
                         unsigned int face, unsigned int component);
} // namespace solidanode
