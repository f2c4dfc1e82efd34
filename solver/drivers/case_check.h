// solidanode check: what a case will cost before it runs. The image is
// built or read and checked against the materials; then memory and time per
// increment are estimated from per-voxel costs measured on the project's
// 2-core machine (constants and their sources in case_check.cc,
// docs/performance.md and cluster/README.md).
#pragma once

#include <base/json.h>
#include <mesh/voxel_image.h>
#include <solver/input/case_config.h>

#include <mpi.h>

#include <array>
#include <cstddef>
#include <string>

namespace solidanode
{
  struct CostEstimate
  {
    std::string solver;       ///< "mf", "amg" or "protocol (assembled tangent + GAMG)"
    std::size_t voxels = 0;
    unsigned int ranks = 1;
    double memory_total_bytes = 0.;    ///< all ranks together
    double memory_per_rank_bytes = 0.;
    double setup_seconds = 0.;         ///< mesh, DoFs, operator/preconditioner, once
    double seconds_per_increment = 0.; ///< one load increment / time step
    double seconds_per_increment_high = 0.; ///< upper end of the range
    double output_bytes_per_increment = 0.; ///< default output settings, one output time
    /// Steps cases: every increment of every step; protocol cases: 0 (the
    /// time steps are adaptive).
    unsigned int increments = 0;
    std::string source; ///< where the per-voxel constants come from
  };

  /// Per-voxel costs times the voxels of @p dims, on @p ranks cores (an
  /// idle machine; a loaded one takes about 2-4x longer).
  CostEstimate estimate_cost(const CaseConfig &config, const std::array<std::size_t, 3> &dims,
                             unsigned int ranks);

  /// Human-readable: the resolved input (SI units) and the estimate.
  std::string check_report(const CaseConfig &config, const VoxelImage &image,
                           const CostEstimate &estimate);

  /// The command: reads the case's image (generate/build/read, on rank 0),
  /// checks it against the materials (check_image_phases), prints
  /// check_report on rank 0. Throws InputError for an invalid case.
  void run_check(const CaseConfig &config, MPI_Comm comm);
} // namespace solidanode
