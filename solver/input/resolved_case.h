// The case as resolved (SI units, after defaults), for the run record
// (run.json).
#pragma once

#include <base/json.h>
#include <mesh/voxel_image.h>
#include <solver/input/case_config.h>

namespace solidanode
{
  /// File, microstructure (with the image's dims, voxel size, fractions),
  /// materials, boundary, steps, output and solver settings.
  Json resolved_case(const CaseConfig &c, const VoxelImage &image);
} // namespace solidanode
