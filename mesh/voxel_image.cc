// A labelled 3D voxel image: extent, statistics and consistency checks.
#include <mesh/voxel_image.h>

#include <base/names.h>

#include <cmath>
#include <sstream>
#include <stdexcept>

namespace solidanode
{
  namespace
  {
    std::string to_text(const double value)
    {
      std::ostringstream out;
      out << value;
      return out.str();
    }
  } // namespace

  std::array<double, 3> VoxelImage::extent() const
  {
    return {{static_cast<double>(dims[0]) * voxel_size[0],
             static_cast<double>(dims[1]) * voxel_size[1],
             static_cast<double>(dims[2]) * voxel_size[2]}};
  }

  std::map<std::uint8_t, std::size_t> VoxelImage::histogram() const
  {
    // Count into a flat table first: one pass, no map lookups per voxel.
    std::array<std::size_t, 256> counts{};
    for (const std::uint8_t label : labels)
      ++counts[label];

    std::map<std::uint8_t, std::size_t> result;
    for (std::size_t l = 0; l < counts.size(); ++l)
      if (counts[l] > 0)
        result.emplace(static_cast<std::uint8_t>(l), counts[l]);
    return result;
  }

  std::map<std::uint8_t, double> VoxelImage::volume_fractions() const
  {
    std::map<std::uint8_t, double> result;
    if (labels.empty())
      return result;
    const double n = static_cast<double>(labels.size());
    for (const auto &[label, count] : histogram())
      result.emplace(label, static_cast<double>(count) / n);
    return result;
  }

  std::uint8_t VoxelImage::label_of(const std::string &name) const
  {
    for (const auto &[label, phase] : phase_names)
      if (phase == name)
        return label;

    std::string known;
    for (const auto &[label, phase] : phase_names)
      known += (known.empty() ? "" : ", ") + std::string("'") + phase + "'";
    throw std::invalid_argument("no phase named '" + name + "' in the image" +
                                (known.empty() ? std::string(" (it has no phase names)") :
                                                 " (known: " + known + ")"));
  }

  void VoxelImage::validate(const std::string &source) const
  {
    static const char axis_name[3] = {'x', 'y', 'z'};
    for (unsigned int d = 0; d < 3; ++d)
      {
        if (dims[d] == 0)
          throw std::invalid_argument(source + ": the image has no voxels along " +
                                      axis_name[d] + " (dims[" + std::to_string(d) +
                                      "] = 0)");
        if (!std::isfinite(voxel_size[d]) || !(voxel_size[d] > 0.))
          throw std::invalid_argument(source + ": the voxel size along " +
                                      axis_name[d] + " must be finite and > 0, got " +
                                      to_text(voxel_size[d]));
      }

    // n_voxels() could wrap around for absurd dimensions; check without
    // overflow before comparing with the number of labels.
    const std::size_t max = static_cast<std::size_t>(-1);
    if (dims[1] > max / dims[0] || dims[2] > max / (dims[0] * dims[1]))
      throw std::invalid_argument(source + ": the image dimensions " +
                                  std::to_string(dims[0]) + " x " +
                                  std::to_string(dims[1]) + " x " +
                                  std::to_string(dims[2]) + " are too large");
    if (labels.size() != n_voxels())
      throw std::invalid_argument(
        source + ": the image has " + std::to_string(labels.size()) +
        " labels but " + std::to_string(dims[0]) + " x " + std::to_string(dims[1]) +
        " x " + std::to_string(dims[2]) + " = " + std::to_string(n_voxels()) +
        " voxels");

    for (const auto &[label, name] : phase_names)
      {
        const std::string problem = name_problem(name);
        if (!problem.empty())
          throw std::invalid_argument(source + ": the name of phase label " +
                                      std::to_string(label) + " ('" + printable(name) + "') is not allowed: " +
                                      problem + "; expected " + safe_name_rule());
      }

    // Which labels have a name; then find the first voxel without one.
    std::array<bool, 256> named{};
    for (const auto &entry : phase_names)
      named[entry.first] = true;
    for (std::size_t n = 0; n < labels.size(); ++n)
      if (!named[labels[n]])
        {
          const std::size_t i = n % dims[0];
          const std::size_t j = (n / dims[0]) % dims[1];
          const std::size_t k = n / (dims[0] * dims[1]);
          throw std::invalid_argument(
            source + ": label " + std::to_string(labels[n]) + " at voxel (" +
            std::to_string(i) + ", " + std::to_string(j) + ", " +
            std::to_string(k) + ") has no phase name");
        }
  }

  bool operator==(const VoxelImage &a, const VoxelImage &b)
  {
    return a.dims == b.dims && a.voxel_size == b.voxel_size &&
           a.origin == b.origin && a.phase_names == b.phase_names &&
           a.labels == b.labels;
  }
} // namespace solidanode
