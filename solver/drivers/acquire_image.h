// The image stage of a run: the case's voxel image built on rank 0
// (generated, built from a recipe or read from a file, then remapped,
// cropped, downsampled and named) and broadcast to every rank.
#pragma once

#include <mesh/voxel_image.h>
#include <solver/input/case_config.h>

#include <mpi.h>

#include <string>
#include <vector>

namespace solidanode
{
  /// Build the case's voxel image on rank 0 (generate or read) and broadcast
  /// it. Any error on rank 0 is rethrown on every rank with the same message.
  /// A generated or built phase whose volume fraction misses its target by
  /// more than 0.02 gives a warning naming the phase, target and value
  /// reached: appended to @p warnings on rank 0 if given (the caller logs
  /// them), else printed on rank 0's standard error.
  VoxelImage acquire_image(const MicrostructureSpec &spec, MPI_Comm comm,
                           std::vector<std::string> *warnings = nullptr);
} // namespace solidanode
