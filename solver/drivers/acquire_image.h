// The image stage of a run: the case's voxel image built on rank 0
// (generated, built from a recipe or read from a file, then remapped,
// cropped, downsampled and named) and broadcast to every rank.
#pragma once

#include <mesh/voxel_image.h>
#include <solver/input/case_config.h>

#include <mpi.h>

namespace solidanode
{
  /// Build the case's voxel image on rank 0 (generate or read) and broadcast
  /// it. Any error on rank 0 is rethrown on every rank with the same message.
  VoxelImage acquire_image(const MicrostructureSpec &spec, MPI_Comm comm);
} // namespace solidanode
