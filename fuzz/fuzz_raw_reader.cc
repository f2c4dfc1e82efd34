// libFuzzer target: read_raw() on arbitrary file contents with dims, voxel
// size and origin taken from the first 8 bytes (so that the declared size
// sometimes matches the file and sometimes not, and the geometry is sometimes
// invalid). Only std::runtime_error / std::invalid_argument are expected.
#include "fuzz_temp_file.h"

#include <mesh/voxel_io.h>

#include <array>
#include <cmath>
#include <limits>
#include <map>
#include <stdexcept>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
  if (size < 8)
    return 0;
  // Bytes 0-2: dims (0..255 each; byte value 255 means "huge", to exercise
  // the overflow checks); byte 3: voxel size class; bytes 4-6: origin class;
  // byte 7: number of named labels.
  std::array<std::size_t, 3> dims;
  for (unsigned int d = 0; d < 3; ++d)
    dims[d] = data[d] == 255 ? std::numeric_limits<std::size_t>::max() / 3 : data[d];
  const double sizes[] = {1e-6, 0., -1e-6, std::numeric_limits<double>::infinity(),
                          std::numeric_limits<double>::quiet_NaN(), 2.5e-7,
                          std::numeric_limits<double>::denorm_min(), 1e300};
  std::array<double, 3> voxel_size;
  voxel_size.fill(sizes[data[3] % 8]);
  std::array<double, 3> origin;
  for (unsigned int d = 0; d < 3; ++d)
    origin[d] = data[4 + d] == 255 ? std::numeric_limits<double>::quiet_NaN() :
                                     1e-6 * data[4 + d];
  std::map<std::uint8_t, std::string> names;
  for (unsigned int l = 0; l < data[7] % 4; ++l)
    names[static_cast<std::uint8_t>(l)] = "phase" + std::to_string(l);

  const std::string path = solidanode_fuzz::write_temp(data + 8, size - 8, ".raw");
  try
    {
      const solidanode::VoxelImage image =
        solidanode::read_raw(path, dims, voxel_size, origin, names);
      if (image.labels.size() != image.n_voxels() ||
          image.labels.size() != size - 8)
        __builtin_trap();
      image.validate(path); // throws std::invalid_argument for unnamed labels
    }
  catch (const std::invalid_argument &)
    {
    }
  catch (const std::runtime_error &)
    {
    }
  return 0;
}
