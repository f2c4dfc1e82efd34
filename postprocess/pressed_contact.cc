#include <postprocess/pressed_contact.h>

#include <algorithm>
#include <array>
#include <stdexcept>
#include <string>

namespace solidanode
{
  PressedContact pressed_contacts(const VoxelImage &image, const std::set<std::uint8_t> &pore_labels,
                                  const std::vector<std::size_t> &closed_local,
                                  const unsigned int axis, MPI_Comm comm)
  {
    if (axis > 2)
      throw std::invalid_argument("pressed_contacts: axis must be 0, 1 or 2, got " +
                                  std::to_string(axis));
    const std::size_t n = image.n_voxels();
    PressedContact    result;
    result.closed.assign(n, 0);
    for (const std::size_t v : closed_local)
      if (v < n && pore_labels.count(image.labels[v]))
        result.closed[v] = 1;
    // Every voxel is owned by one rank: the maximum is the owner's flag.
    // Counts above INT_MAX go in chunks.
    const std::size_t chunk = std::size_t(1) << 30;
    for (std::size_t off = 0; off < n; off += chunk)
      MPI_Allreduce(MPI_IN_PLACE, result.closed.data() + off,
                    static_cast<int>(std::min(chunk, n - off)), MPI_UINT8_T, MPI_MAX, comm);

    std::array<bool, 256> pore{};
    for (const std::uint8_t l : pore_labels)
      pore[l] = true;
    const auto is_pore = [&](const std::size_t v) { return pore[image.labels[v]]; };
    for (std::size_t v = 0; v < n; ++v)
      if (is_pore(v))
        {
          ++result.n_pore;
          result.n_closed += result.closed[v];
        }

    // Lines along the axis: index = base + stride * t, t = 0 .. len - 1.
    const std::array<std::size_t, 3> d = image.dims;
    const std::array<std::size_t, 3> stride{{1, d[0], d[0] * d[1]}};
    const unsigned int a1 = (axis + 1) % 3, a2 = (axis + 2) % 3;
    const double face = image.voxel_size[a1] * image.voxel_size[a2];
    const std::size_t len = d[axis];
    for (std::size_t p = 0; p < d[a1]; ++p)
      for (std::size_t q = 0; q < d[a2]; ++q)
        {
          const std::size_t base = p * stride[a1] + q * stride[a2];
          std::size_t       t    = 0;
          while (t < len)
            {
              const std::size_t v = base + t * stride[axis];
              if (!result.closed[v]) // set for pore voxels only
                {
                  ++t;
                  continue;
                }
              // A run of closed pores starts at t; find its end.
              std::size_t end = t;
              while (end < len && result.closed[base + end * stride[axis]])
                ++end;
              if (t > 0 && end < len)
                {
                  const std::size_t below = base + (t - 1) * stride[axis];
                  const std::size_t above = base + end * stride[axis];
                  if (!is_pore(below) && !is_pore(above))
                    {
                      const unsigned int la = image.labels[below], lb = image.labels[above];
                      result.area[{std::min(la, lb), std::max(la, lb)}] += face;
                    }
                }
              t = end;
            }
        }
    return result;
  }
} // namespace solidanode
