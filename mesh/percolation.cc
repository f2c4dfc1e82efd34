#include <mesh/percolation.h>

#include <stdexcept>
#include <vector>

namespace solidanode
{
  bool percolates(const VoxelImage &image, const std::array<bool, 256> &in,
                  const unsigned int direction)
  {
    if (direction > 2)
      throw std::invalid_argument("percolates: direction must be 0, 1 or 2");
    const std::size_t n[3] = {image.dims[0], image.dims[1], image.dims[2]};
    const std::size_t stride[3] = {1, n[0], n[0] * n[1]};
    const std::size_t total     = image.n_voxels();
    if (image.labels.size() != total || total == 0)
      return false;
    std::vector<std::uint8_t> seen(total, 0);
    std::vector<std::size_t>  front;
    const auto coord = [&](std::size_t c, unsigned int d) { return (c / stride[d]) % n[d]; };
    for (std::size_t c = 0; c < total; ++c)
      if (coord(c, direction) == 0 && in[image.labels[c]])
        {
          seen[c] = 1;
          front.push_back(c);
        }
    while (!front.empty())
      {
        const std::size_t c = front.back();
        front.pop_back();
        if (coord(c, direction) + 1 == n[direction])
          return true;
        for (unsigned int d = 0; d < 3; ++d)
          {
            const std::size_t x = coord(c, d);
            if (x > 0 && !seen[c - stride[d]] && in[image.labels[c - stride[d]]])
              {
                seen[c - stride[d]] = 1;
                front.push_back(c - stride[d]);
              }
            if (x + 1 < n[d] && !seen[c + stride[d]] && in[image.labels[c + stride[d]]])
              {
                seen[c + stride[d]] = 1;
                front.push_back(c + stride[d]);
              }
          }
      }
    return false;
  }
} // namespace solidanode
