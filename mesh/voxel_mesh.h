// From a voxel image to a distributed hexahedral mesh whose cells are the
// voxels and whose material_id is the voxel label.
//
// The fine mesh is never built on one rank. A coarse mesh of voxel blocks
// (2^L voxels per edge, L as large as the image dimensions allow) is
// replicated on every rank, refined L times by p4est, and only the cells a
// rank owns (plus its ghost layer) are labelled from the image. See
// docs/voxel_mesh.md.
#pragma once

#include <mesh/voxel_image.h>

#include <deal.II/distributed/tria.h>

#include <array>

namespace solidanode
{
  /// Boundary ids set on the faces of the voxel box (deal.II's colorize
  /// convention for a hyper-rectangle).
  namespace boundary_id
  {
    constexpr unsigned int x_min = 0, x_max = 1, y_min = 2, y_max = 3,
                           bottom = 4 /* z_min, current collector */,
                           top = 5 /* z_max, stack pressure */;
  } // namespace boundary_id

  struct VoxelMeshInfo
  {
    unsigned int                 n_refinements = 0; ///< L
    std::array<unsigned int, 3>  coarse_cells{{0, 0, 0}};
    std::size_t                  n_coarse_cells = 0;
  };

  /// Coarse block layout chosen for @p dims: the largest L such that 2^L
  /// divides every dimension.
  VoxelMeshInfo plan_voxel_mesh(const std::array<std::size_t, 3> &dims);

  /// Build @p tria (which must be empty) from @p image. Every non-artificial
  /// active cell gets material_id = label of its voxel.
  VoxelMeshInfo
  create_voxel_mesh(const VoxelImage &image,
                    dealii::parallel::distributed::Triangulation<3> &tria);

  /// Voxel (i, j, k) containing point @p p, clamped to the image.
  std::array<std::size_t, 3> voxel_of(const VoxelImage &image,
                                      const dealii::Point<3> &p);
} // namespace solidanode
