// The operations applied to an image after reading: label remapping,
// cropping and downsampling by majority vote.
#include <mesh/image_import.h>
#include <mesh/voxel_io_detail.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace solidanode
{
  using detail::dims_text;
  using detail::voxel_text;

  void remap_labels(VoxelImage &image, const std::map<std::uint8_t, std::uint8_t> &remap)
  {
    if (remap.empty())
      return;
    std::array<std::uint8_t, 256> table;
    for (unsigned int l = 0; l < 256; ++l)
      table[l] = static_cast<std::uint8_t>(l);
    for (const auto &[from, to] : remap)
      table[from] = to;
    for (auto &l : image.labels)
      l = table[l];
    for (const auto &[from, to] : remap)
      {
        image.phase_names.erase(from);
        image.phase_names.erase(to);
      }
  }


  VoxelImage crop(const VoxelImage &image, const std::array<std::size_t, 3> &min,
                  const std::array<std::size_t, 3> &max, const std::string &source)
  {
    for (unsigned int a = 0; a < 3; ++a)
      if (!(min[a] < max[a]) || max[a] > image.dims[a])
        throw std::invalid_argument(
          source + ": the crop box min " + voxel_text(min[0], min[1], min[2]) + ", max " +
          voxel_text(max[0], max[1], max[2]) + " (max exclusive) is empty or leaves the image of " +
          dims_text(image.dims) + " voxels (along " + "xyz"[a] + ")");
    VoxelImage out;
    out.phase_names = image.phase_names;
    out.voxel_size  = image.voxel_size;
    for (unsigned int a = 0; a < 3; ++a)
      {
        out.dims[a]   = max[a] - min[a];
        out.origin[a] = image.origin[a] + min[a] * image.voxel_size[a];
      }
    out.labels.resize(out.n_voxels());
    std::size_t c = 0;
    for (std::size_t k = min[2]; k < max[2]; ++k)
      for (std::size_t j = min[1]; j < max[1]; ++j)
        {
          const auto *row = image.labels.data() + image.index(min[0], j, k);
          std::copy(row, row + out.dims[0], out.labels.data() + c);
          c += out.dims[0];
        }
    return out;
  }


  VoxelImage downsample(const VoxelImage &image, unsigned int factor,
                        const std::string &source)
  {
    if (factor == 0)
      throw std::invalid_argument(source + ": the downsampling factor must be >= 1");
    if (factor == 1)
      return image;
    for (unsigned int a = 0; a < 3; ++a)
      if (image.dims[a] % factor != 0)
        throw std::invalid_argument(
          source + ": cannot downsample " + dims_text(image.dims) + " voxels by " +
          std::to_string(factor) + ": " + std::to_string(image.dims[a]) + " voxels along " +
          "xyz"[a] + " is not a multiple of " + std::to_string(factor) +
          " (crop the image first)");
    VoxelImage out;
    out.phase_names = image.phase_names;
    out.origin      = image.origin;
    for (unsigned int a = 0; a < 3; ++a)
      {
        out.dims[a]       = image.dims[a] / factor;
        out.voxel_size[a] = image.voxel_size[a] * factor;
      }
    out.labels.resize(out.n_voxels());
    std::array<std::uint32_t, 256> count{};
    std::vector<std::uint8_t>      seen;
    for (std::size_t K = 0; K < out.dims[2]; ++K)
      for (std::size_t J = 0; J < out.dims[1]; ++J)
        for (std::size_t I = 0; I < out.dims[0]; ++I)
          {
            seen.clear();
            for (std::size_t k = K * factor; k < (K + 1) * factor; ++k)
              for (std::size_t j = J * factor; j < (J + 1) * factor; ++j)
                {
                  const auto *row = image.labels.data() + image.index(I * factor, j, k);
                  for (unsigned int i = 0; i < factor; ++i)
                    if (count[row[i]]++ == 0)
                      seen.push_back(row[i]);
                }
            std::uint8_t  best = 0;
            std::uint32_t best_count = 0;
            for (const std::uint8_t l : seen)
              {
                // Most voxels wins; a tie goes to the lowest label.
                if (count[l] > best_count || (count[l] == best_count && l < best))
                  {
                    best       = l;
                    best_count = count[l];
                  }
                count[l] = 0;
              }
            out.labels[out.index(I, J, K)] = best;
          }
    return out;
  }


  void apply_image_operations(VoxelImage &image, const ImageOperations &ops,
                              const std::string &source)
  {
    remap_labels(image, ops.remap);
    if (ops.crop)
      image = crop(image, (*ops.crop)[0], (*ops.crop)[1], source);
    if (ops.downsample != 1)
      image = downsample(image, ops.downsample, source);
  }
} // namespace solidanode
