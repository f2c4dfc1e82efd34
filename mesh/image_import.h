// Importing segmented images: TIFF (multi-page files and stacks of
// single-page files), MetaImage (.mhd header + raw data), and the image
// operations applied after reading any image: label remapping, cropping and
// downsampling by majority vote. The formats are documented in
// docs/input.md ("Importing segmented images").
#pragma once

#include <mesh/voxel_image.h>

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace solidanode
{
  /**
   * The files of a TIFF source, in slice order (k = 0 first). @p spec is one
   * of
   *  - a file: one (multi-page) TIFF, every page is one z slice;
   *  - a directory: every *.tif / *.tiff file in it (one slice each);
   *  - a printf pattern with one integer conversion ("slices/s_%04d.tif"):
   *    every existing file the pattern produces, by number; a gap in the
   *    numbering is an error;
   *  - a glob pattern with '*' / '?' in the file name ("slices/s_*.tif").
   * Directories and globs are ordered "naturally" (digit runs compare as
   * numbers: s_2 before s_10). Throws std::runtime_error naming @p spec if
   * nothing matches.
   */
  std::vector<std::string> tiff_files(const std::string &spec);

  /**
   * Read a greyscale label image from TIFF (see tiff_files() for @p spec).
   * Pixels must be 8-bit unsigned, or 16-bit unsigned with every value
   * <= 255; anything else (float, signed, RGB/multi-sample, 1-bit, 32-bit,
   * palette colours are read as their indices) is an error. Pixel (column c,
   * row r) of page/file k becomes voxel (c, r, k), where row 0 is the first
   * row stored in the file (the top row as most viewers, e.g. Fiji, show it;
   * the Orientation tag "bottom-left" is honoured). Uncompressed strips are
   * decoded here, compressed or tiled files by VTK's vtkTIFFReader.
   * All pages/files must have the same size. Errors are std::runtime_error
   * naming the offending file (and page).
   */
  VoxelImage read_tiff(const std::string &spec,
                       const std::array<double, 3> &voxel_size,
                       const std::array<double, 3> &origin,
                       const std::map<std::uint8_t, std::string> &phase_names);

  /// Write the labels as one multi-page 8-bit TIFF (page k = slice k, first
  /// stored row j = 0), uncompressed, classic (< 4 GiB). Atomic. Geometry
  /// and names are not stored.
  void write_tiff(const VoxelImage &image, const std::string &path);

  /**
   * Read a MetaImage: the text header @p path (.mhd) names the data file
   * (ElementDataFile, relative to the header, or LOCAL for data following
   * the header in the same file, as in .mha). Supported: NDims = 3,
   * ElementType MET_UCHAR (or MET_USHORT with values <= 255), uncompressed,
   * either byte order, identity TransformMatrix. ElementSpacing and Offset
   * are metres unless @p voxel_size / @p origin override them (a spacing
   * above 1 cm without an override is refused as "probably not metres").
   */
  VoxelImage read_mhd(const std::string &path,
                      const std::optional<std::array<double, 3>> &voxel_size,
                      const std::optional<std::array<double, 3>> &origin,
                      const std::map<std::uint8_t, std::string> &phase_names);

  /// Write "<path>" (.mhd header, spacing/offset in metres) and the data
  /// file "<path without .mhd>.raw" (uint8). Both atomic.
  void write_mhd(const VoxelImage &image, const std::string &path);

  /// The files a MetaImage consists of: the header @p path and, unless the
  /// data are LOCAL, its ElementDataFile (resolved as read_mhd() does).
  std::vector<std::string> mhd_files(const std::string &path);

  /// Operations applied to an image after reading, in this order: remap,
  /// crop, downsample.
  struct ImageOperations
  {
    /// old label -> new label; labels not listed keep their value. Phase
    /// names read from the file for any label that is a key or a value here
    /// are dropped (name the new labels in the case's 'phases').
    std::map<std::uint8_t, std::uint8_t> remap;
    /// Voxel box [min, max) (min inclusive, max exclusive), in voxels of
    /// the image as read.
    std::optional<std::array<std::array<std::size_t, 3>, 2>> crop;
    /// Integer factor >= 1; every factor^3 block becomes one voxel.
    unsigned int downsample = 1;

    bool empty() const { return remap.empty() && !crop && downsample == 1; }
  };

  /// Relabel: label l becomes remap.at(l) when listed.
  void remap_labels(VoxelImage &image,
                    const std::map<std::uint8_t, std::uint8_t> &remap);

  /// The voxels in [min, max); the origin moves to the box's lower corner.
  /// std::invalid_argument naming @p source if the box is empty or leaves
  /// the image.
  VoxelImage crop(const VoxelImage &image, const std::array<std::size_t, 3> &min,
                  const std::array<std::size_t, 3> &max,
                  const std::string &source = "image");

  /**
   * Coarsen by @p factor along each axis: each factor^3 block becomes one
   * voxel carrying the block's most frequent label; a tie goes to the
   * lowest of the tied labels. Every dimension must be divisible by
   * @p factor (else std::invalid_argument naming @p source, suggesting a
   * crop). The voxel size grows by @p factor, the origin stays.
   */
  VoxelImage downsample(const VoxelImage &image, unsigned int factor,
                        const std::string &source = "image");

  /// remap, crop, downsample (each when requested).
  void apply_image_operations(VoxelImage &image, const ImageOperations &ops,
                              const std::string &source);
} // namespace solidanode
