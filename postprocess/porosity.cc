#include <postprocess/porosity.h>

#include <algorithm>
#include <cstdint>
#include <stdexcept>

namespace solidanode
{
  std::vector<float> local_fraction(const VoxelImage &image,
                                    const std::set<std::uint8_t> &labels,
                                    unsigned int half_width,
                                    const std::array<std::size_t, 3> &lo,
                                    const std::array<std::size_t, 3> &hi)
  {
    std::array<std::size_t, 3> glo, ghi, n;
    for (unsigned int d = 0; d < 3; ++d)
      {
        if (lo[d] > hi[d] || hi[d] > image.dims[d])
          throw std::invalid_argument("local_fraction: box outside the image");
        glo[d] = lo[d] > half_width ? lo[d] - half_width : 0;
        ghi[d] = std::min(image.dims[d], hi[d] + half_width);
        n[d]   = ghi[d] - glo[d];
      }
    bool in_set[256] = {};
    for (auto l : labels)
      in_set[l] = true;

    // Summed-volume table S over the grown box, with a zero layer in front:
    // S(i,j,k) = number of marked voxels in [glo, glo + (i,j,k)).
    const std::size_t sx = n[0] + 1, sy = n[1] + 1, sz = n[2] + 1;
    std::vector<std::uint32_t> S(sx * sy * sz, 0);
    auto at = [&](std::size_t i, std::size_t j, std::size_t k) -> std::uint32_t & {
      return S[i + sx * (j + sy * k)];
    };
    for (std::size_t k = 1; k < sz; ++k)
      for (std::size_t j = 1; j < sy; ++j)
        for (std::size_t i = 1; i < sx; ++i)
          {
            const std::uint32_t v =
              in_set[image.at(glo[0] + i - 1, glo[1] + j - 1, glo[2] + k - 1)] ? 1 : 0;
            at(i, j, k) = v + at(i - 1, j, k) + at(i, j - 1, k) + at(i, j, k - 1) -
                          at(i - 1, j - 1, k) - at(i - 1, j, k - 1) - at(i, j - 1, k - 1) +
                          at(i - 1, j - 1, k - 1);
          }

    std::vector<float> result;
    result.reserve((hi[0] - lo[0]) * (hi[1] - lo[1]) * (hi[2] - lo[2]));
    for (std::size_t k = lo[2]; k < hi[2]; ++k)
      for (std::size_t j = lo[1]; j < hi[1]; ++j)
        for (std::size_t i = lo[0]; i < hi[0]; ++i)
          {
            const std::size_t ijk[3] = {i, j, k};
            std::size_t       a[3], b[3]; // window [a, b) in grown-box coordinates
            double            volume = 1.;
            for (unsigned int d = 0; d < 3; ++d)
              {
                const std::size_t from = ijk[d] > half_width ? ijk[d] - half_width : 0;
                const std::size_t to   = std::min(image.dims[d], ijk[d] + half_width + 1);
                a[d]                   = from - glo[d];
                b[d]                   = to - glo[d];
                volume *= double(to - from);
              }
            const double count = double(at(b[0], b[1], b[2])) - at(a[0], b[1], b[2]) -
                                 at(b[0], a[1], b[2]) - at(b[0], b[1], a[2]) +
                                 at(a[0], a[1], b[2]) + at(a[0], b[1], a[2]) +
                                 at(b[0], a[1], a[2]) - at(a[0], a[1], a[2]);
            result.push_back(static_cast<float>(count / volume));
          }
    return result;
  }

  std::vector<double> fraction_per_slice(const VoxelImage &image,
                                         const std::set<std::uint8_t> &labels)
  {
    std::vector<double> f(image.dims[2], 0.);
    const std::size_t   per_slice = image.dims[0] * image.dims[1];
    for (std::size_t k = 0; k < image.dims[2]; ++k)
      {
        std::size_t count = 0;
        for (std::size_t q = 0; q < per_slice; ++q)
          count += labels.count(image.labels[k * per_slice + q]);
        f[k] = double(count) / double(per_slice);
      }
    return f;
  }
} // namespace solidanode
