// libFuzzer target: read_tiff() on arbitrary file contents (one file, one or
// more pages; uncompressed strips decoded by our reader, anything else handed
// to VTK's vtkTIFFReader). Only std::runtime_error / std::invalid_argument
// are expected; an image whose label count disagrees with its dimensions is
// a bug.
#include "fuzz_temp_file.h"

#include <mesh/image_import.h>

#include <stdexcept>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
  const std::string path = solidanode_fuzz::write_temp(data, size, ".tif");
  try
    {
      const solidanode::VoxelImage image =
        solidanode::read_tiff(path, {{1e-6, 1e-6, 1e-6}}, {{0., 0., 0.}}, {});
      if (image.labels.size() != image.n_voxels() || image.n_voxels() == 0)
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
