// A solved voxel mesh handed to postprocess/ as plain arrays
// (postprocess/voxel_view.h): the only place where the postprocessing's data
// is read out of deal.II DoF handlers and PETSc vectors.
#pragma once

#include <postprocess/voxel_view.h>

#include <deal.II/dofs/dof_handler.h>
#include <deal.II/lac/petsc_vector.h>

#include <vector>

namespace solidanode
{
  /// The locally owned cells with their vertices and the displacement @p u
  /// (ghosted) at them; cell indices are active_cell_index().
  OwnedVoxels owned_voxels(const dealii::DoFHandler<3>              &dof_handler,
                           const dealii::PETScWrappers::MPI::Vector &u);

  /// The faces between different labels of the locally owned cells, each
  /// once (from the cell with the smaller label), with deformed corners.
  std::vector<LabelFace> label_faces(const dealii::DoFHandler<3>              &dof_handler,
                                     const dealii::PETScWrappers::MPI::Vector &u);
} // namespace solidanode
