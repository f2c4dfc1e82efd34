// Contact made by pressing: pores that close bring the solid surfaces on
// either side of them together. Along the pressing axis, a run of closed
// pore voxels between two solid voxels (labels a and b) counts as one voxel
// face of new a|b contact (reference area). A pore voxel is closed when the
// caller says so (the protocol recorder: det F <= 2 J_c, docs/pressing.md).
// An open pore voxel in the run, or the image boundary, breaks it.
#pragma once

#include <mesh/voxel_image.h>

#include <mpi.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <utility>
#include <vector>

namespace solidanode
{
  struct PressedContact
  {
    /// Reference area [m^2] of new contact between solid labels a <= b
    /// across closed pores (a == b: a phase pressed onto itself).
    std::map<std::pair<unsigned int, unsigned int>, double> area;
    /// Pore voxels in the image and those closed, over all ranks.
    std::size_t n_pore = 0, n_closed = 0;
    /// Per voxel (x fastest), on every rank: 1 where the pore is closed.
    std::vector<std::uint8_t> closed;
  };

  /**
   * Contacts across closed pores along @p axis (0, 1, 2; 2 for a uniaxial
   * press in z). @p closed_local: image indices of the pore voxels this rank
   * owns that are closed. Collective over @p comm; every rank gets the same
   * result. Memory: one byte per voxel of the image on every rank.
   */
  PressedContact pressed_contacts(const VoxelImage &image, const std::set<std::uint8_t> &pore_labels,
                                  const std::vector<std::size_t> &closed_local, unsigned int axis,
                                  MPI_Comm comm);
} // namespace solidanode
