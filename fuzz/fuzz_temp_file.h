// A per-process temporary file for the image-reader fuzz targets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <unistd.h>

namespace solidanode_fuzz
{
  /// Write @p size bytes to "/tmp/solidanode_fuzz_<pid><suffix>" and return
  /// the path; the same path is reused for every input of this process.
  inline std::string write_temp(const std::uint8_t *data, std::size_t size,
                                const std::string &suffix)
  {
    const std::string path =
      "/tmp/solidanode_fuzz_" + std::to_string(::getpid()) + suffix;
    std::FILE *f = std::fopen(path.c_str(), "wb");
    if (f == nullptr)
      throw std::logic_error("fuzz harness: cannot create " + path);
    if (size > 0 && std::fwrite(data, 1, size, f) != size)
      throw std::logic_error("fuzz harness: cannot write " + path);
    std::fclose(f);
    return path;
  }
} // namespace solidanode_fuzz
