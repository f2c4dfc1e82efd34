// Percolation of a set of phases through a voxel image: is there a
// 6-connected path (voxels sharing a face) of the set from one face of the
// box to the opposite face? Used to decide whether a conduction network
// has a tortuosity at all (solidanode homogenize).
#pragma once

#include <mesh/voxel_image.h>

#include <array>
#include <cstdint>

namespace solidanode
{
  /// True if the voxels whose label has @p in[label] connect the face
  /// x_d = min to the face x_d = max (d = @p direction: 0 x, 1 y, 2 z) by
  /// a path of face-sharing voxels. Flood fill from the min face: one byte
  /// per voxel of working memory.
  bool percolates(const VoxelImage &image, const std::array<bool, 256> &in,
                  unsigned int direction);
} // namespace solidanode
