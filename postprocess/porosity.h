// Local volume fractions of a set of labels (e.g. the local porosity) over a
// cubic averaging window, from a summed-volume table of the image.
#pragma once

#include <mesh/voxel_image.h>

#include <array>
#include <set>
#include <vector>

namespace solidanode
{
  /// Fraction of voxels with a label in @p labels inside the window of
  /// (2 half_width + 1)^3 voxels centred on each voxel of the box
  /// [lo, hi) (voxel indices), clipped at the image boundary. Returned in
  /// box order, x fastest. Memory: 4 bytes per voxel of the box grown by the
  /// window.
  std::vector<float> local_fraction(const VoxelImage &image,
                                    const std::set<std::uint8_t> &labels,
                                    unsigned int half_width,
                                    const std::array<std::size_t, 3> &lo,
                                    const std::array<std::size_t, 3> &hi);

  /// Fraction of voxels with a label in @p labels in each z layer.
  std::vector<double> fraction_per_slice(const VoxelImage &image,
                                         const std::set<std::uint8_t> &labels);
} // namespace solidanode
