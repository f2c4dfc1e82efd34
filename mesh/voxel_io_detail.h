// Helpers shared by the readers and writers of voxel images (voxel_io.cc,
// vti_reader.cc, vti_ascii_check.cc, image_import.cc, mhd_io.cc,
// image_operations.cc). Private to mesh/: not part of the library's API.
#pragma once

#include <array>
#include <cstddef>
#include <stdexcept>
#include <string>

class vtkXMLDataParser;

namespace solidanode
{
  namespace detail
  {
    /// The cell array of the labels and the field data of the phase names
    /// in a .vti file.
    inline const char *const phase_array_name       = "phase";
    inline const char *const phase_names_array_name = "phase_names";

    /// "NX x NY x NZ".
    std::string dims_text(const std::array<std::size_t, 3> &dims);

    /// "(I, J, K)".
    std::string voxel_text(std::size_t i, std::size_t j, std::size_t k);

    /// @p value as an ostream prints it by default.
    std::string to_text(double value);

    /// The text of errno value @p err ("unknown I/O error" for 0).
    std::string os_error(int err);

    /// The system's text for ENOENT.
    std::string no_such_file();

    /// @p s in lower case (ASCII).
    std::string lower(std::string s);

    /// Throws std::runtime_error "cannot read '<path>': ..." unless @p path
    /// is a regular file that can be opened.
    void require_readable_file(const std::string &path);

    /// Throws std::invalid_argument starting with @p what unless the
    /// geometry is usable: positive dimensions whose product fits in a
    /// size_t, finite positive voxel sizes and a finite origin. Unlike
    /// VoxelImage::validate(), phase names are not required here.
    void check_geometry(const std::array<std::size_t, 3> &dims,
                        const std::array<double, 3> &voxel_size,
                        const std::array<double, 3> &origin,
                        const std::string &what);

    /// The error of a reader: "cannot read '<path>': <why>".
    struct ReadFailure
    {
      std::string path;

      std::runtime_error operator()(const std::string &why) const
      {
        return std::runtime_error("cannot read '" + path + "': " + why);
      }
    };

    /**
     * Plain-text pre-check of the inline ascii arrays of the .vti file
     * @p path, before VTK sees it (vti_ascii_check.cc): throws @p fail(...)
     * on the first ascii array VTK cannot read completely, and on a Piece
     * whose Extent is not inside the WholeExtent (VTK 9.1 then writes past
     * the end of its arrays; found by fuzz_vti_reader). Does nothing if the
     * file cannot be opened.
     */
    void check_inline_ascii_arrays(const std::string &path, const ReadFailure &fail);

    /**
     * The binary arrays of a parsed .vti (vti_binary_check.cc): for every
     * DataArray in "binary" (inline base64) or "appended" (raw or base64)
     * format, compressed or not, the data its header declares must be
     * there, and a cell or point array must hold exactly the values its
     * Piece Extent requires (x its components); throws @p fail(...) naming
     * the array and both sizes.
     */
    void check_binary_arrays(vtkXMLDataParser *parser, const std::string &path,
                             const ReadFailure &fail);
  } // namespace detail
} // namespace solidanode
