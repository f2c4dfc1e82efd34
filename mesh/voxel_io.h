// Reading and writing voxel images: VTK ImageData (.vti) and raw uint8.
// All writers are atomic: they write "<path>.tmp.<pid>" and rename it.
#pragma once

#include <mesh/voxel_image.h>

#include <string>

namespace solidanode
{
  /**
   * Read a .vti file. The labels come from the cell array "phase" (any
   * integer type with values 0..255; otherwise an error). Spacing and origin
   * are taken as SI metres. Phase names come from the field-data string array
   * "phase_names" with entries "LABEL=NAME" when present (as written by
   * write_vti); labels without a name are left unnamed for the caller to fill.
   * Errors (missing file, not ImageData, no "phase" array, values out of
   * range) throw std::runtime_error naming the file.
   */
  VoxelImage read_vti(const std::string &path);

  /// Write @p image as .vti with the uint8 cell array "phase", spacing and
  /// origin in metres and the field data "phase_names". Atomic.
  void write_vti(const VoxelImage &image, const std::string &path);

  /// Read raw uint8 labels, x fastest. The file size must equal
  /// dims[0]*dims[1]*dims[2] bytes, else std::runtime_error naming the file,
  /// the expected and the actual size.
  VoxelImage read_raw(const std::string &path,
                      const std::array<std::size_t, 3> &dims,
                      const std::array<double, 3> &voxel_size,
                      const std::array<double, 3> &origin,
                      const std::map<std::uint8_t, std::string> &phase_names);

  /// Write the labels as raw uint8, x fastest. Atomic.
  void write_raw(const VoxelImage &image, const std::string &path);
} // namespace solidanode
