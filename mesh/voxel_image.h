// A labelled 3D voxel image: the microstructure every solidanode run starts
// from. One uint8 label per voxel; a table maps labels to phase names.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace solidanode
{
  struct VoxelImage
  {
    /// Number of voxels along x, y, z.
    std::array<std::size_t, 3> dims{{0, 0, 0}};
    /// Edge length of a voxel along x, y, z [m].
    std::array<double, 3> voxel_size{{0., 0., 0.}};
    /// Position of the lower corner of voxel (0,0,0) [m].
    std::array<double, 3> origin{{0., 0., 0.}};
    /// Labels, x fastest: labels[i + nx * (j + ny * k)].
    std::vector<std::uint8_t> labels;
    /// Label -> phase name, e.g. {0: "pore", 1: "Si", 2: "LPSCl"}.
    std::map<std::uint8_t, std::string> phase_names;

    std::size_t n_voxels() const { return dims[0] * dims[1] * dims[2]; }
    std::size_t index(std::size_t i, std::size_t j, std::size_t k) const
    {
      return i + dims[0] * (j + dims[1] * k);
    }
    std::uint8_t at(std::size_t i, std::size_t j, std::size_t k) const
    {
      return labels[index(i, j, k)];
    }
    /// Physical size of the image along x, y, z [m].
    std::array<double, 3> extent() const;
    /// Number of voxels carrying each label present in the image.
    std::map<std::uint8_t, std::size_t> histogram() const;
    /// Volume fraction of each label present.
    std::map<std::uint8_t, double> volume_fractions() const;
    /// Label of the phase called @p name; throws std::invalid_argument if
    /// there is none.
    std::uint8_t label_of(const std::string &name) const;

    /// Throws std::invalid_argument naming @p source and the problem if: a
    /// dimension is zero, a voxel size is not finite and > 0, labels.size()
    /// differs from n_voxels(), or a label present in the image has no phase
    /// name (the message names the first such voxel as (i, j, k)).
    void validate(const std::string &source) const;
  };

  bool operator==(const VoxelImage &a, const VoxelImage &b);
} // namespace solidanode
