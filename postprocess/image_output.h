// Image-data output (.pvti + one .vti per rank) of a voxel mesh: the cells of
// a p4est partition are not boxes, so the owned cells' values are sent to
// z-slabs of the grid, one slab per rank, and each rank writes its slab.
// Without points and connectivity an image piece is a fraction of the size
// of the same .vtu piece. Cells larger than one grid cell (coarsened meshes)
// fill every grid cell they cover; point arrays are interpolated trilinearly
// inside each cell, which is exact for the Q1 fields the solver writes.
#pragma once

#include <postprocess/vtk_writer.h>

#include <mpi.h>

#include <array>
#include <string>
#include <vector>

namespace solidanode
{
  /// The regular grid under a hexahedral mesh of axis-aligned boxes.
  struct ImageGrid
  {
    std::array<double, 3>        origin{}, spacing{};
    std::array<unsigned long, 3> cells{}; ///< grid cells per direction
  };

  /**
   * The grid of the mesh of all ranks' @p piece (collective): spacing the
   * smallest cell edge per direction, spanning the bounding box. Throws
   * std::runtime_error on every rank, with the same message, when a cell is
   * not a box of whole grid cells or the cells do not fill the box.
   */
  ImageGrid image_grid_of(const UnstructuredPiece &piece, MPI_Comm comm);

  /// The z-layers of cells of slab @p slab of @p n_slabs: [first, last).
  std::array<unsigned long, 2> slab_layers(const ImageGrid &grid, unsigned int slab,
                                           unsigned int n_slabs);

  /// The extent of slab @p slab (point index ranges, inclusive) as written
  /// in the .pvti.
  std::array<long, 6> slab_extent(const ImageGrid &grid, unsigned int slab,
                                  unsigned int n_slabs);

  /**
   * This rank's z-slab of the image of all ranks' @p piece (collective):
   * cell arrays copied into every grid cell a mesh cell covers, point arrays
   * interpolated trilinearly. Every rank's piece must have the same arrays;
   * a slab with no cell layers (more ranks than layers) is empty.
   */
  ImagePiece image_slab(const UnstructuredPiece &piece, const ImageGrid &grid, MPI_Comm comm);
} // namespace solidanode
