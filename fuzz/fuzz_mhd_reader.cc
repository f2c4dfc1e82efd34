// libFuzzer target: read_mhd() on an arbitrary MetaImage file (header and,
// for ElementDataFile = LOCAL, the data in the same file, as in .mha).
// Only std::runtime_error / std::invalid_argument are expected; an image
// whose label count disagrees with its dimensions, or with a non-positive
// or non-finite voxel size, is a bug.
#include "fuzz_temp_file.h"

#include <mesh/image_import.h>

#include <cmath>
#include <stdexcept>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
  const std::string path = solidanode_fuzz::write_temp(data, size, ".mha");
  try
    {
      const solidanode::VoxelImage image =
        solidanode::read_mhd(path, std::nullopt, std::nullopt, {});
      if (image.labels.size() != image.n_voxels() || image.n_voxels() == 0)
        __builtin_trap();
      for (const double h : image.voxel_size)
        if (!(std::isfinite(h) && h > 0.))
          __builtin_trap();
    }
  catch (const std::invalid_argument &)
    {
    }
  catch (const std::runtime_error &)
    {
    }
  return 0;
}
