// libFuzzer target: read_vti() on arbitrary file contents. Errors must be
// std::runtime_error or std::invalid_argument naming the file; anything else
// (another exception, a crash, a sanitizer report) is a bug. Crashes inside
// VTK's own parser count too: read_vti() must not hand VTK what it cannot
// take.
#include "fuzz_temp_file.h"

#include <mesh/voxel_io.h>

#include <stdexcept>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
  const std::string path = solidanode_fuzz::write_temp(data, size, ".vti");
  try
    {
      const solidanode::VoxelImage image = solidanode::read_vti(path);
      if (image.labels.size() != image.n_voxels())
        __builtin_trap(); // read_vti() returned an inconsistent image
    }
  catch (const std::invalid_argument &)
    {
    }
  catch (const std::runtime_error &)
    {
    }
  return 0;
}
