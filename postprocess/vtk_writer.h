// Parallel VTK XML output without deal.II: each rank writes its piece of an
// unstructured hexahedral mesh (.vtu), rank 0 writes the .pvtu that lists the
// pieces and the .pvd time series that ParaView opens. Points are shared
// between the cells of a piece (one point per mesh vertex, not eight per cell).
// All files are written atomically.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace solidanode
{
  /// One named data array. Values are stored as double and written with the
  /// given type. Symmetric tensors have 6 components (xx yy zz xy yz xz, VTK's order),
  /// vectors 3.
  struct DataArray
  {
    enum class Type
    {
      float64,
      float32,
      int32,
      uint8
    };
    std::string         name;
    unsigned int        n_components = 1;
    Type                type         = Type::float64;
    std::vector<double> values; ///< n_tuples * n_components
  };

  struct UnstructuredPiece
  {
    std::vector<double>       points;     ///< x, y, z per point [m]
    std::vector<std::int64_t> hexahedra;  ///< 8 point ids per cell, VTK order
    std::vector<DataArray>    point_data;
    std::vector<DataArray>    cell_data;

    std::size_t n_points() const { return points.size() / 3; }
    std::size_t n_cells() const { return hexahedra.size() / 8; }
  };

  /// Polygons (quadrilaterals) with their own points, e.g. interface faces.
  struct PolygonPiece
  {
    std::vector<double>       points; ///< x, y, z per point [m]
    std::vector<std::int64_t> quads;  ///< 4 point ids per polygon
    std::vector<DataArray>    cell_data;

    std::size_t n_points() const { return points.size() / 3; }
    std::size_t n_cells() const { return quads.size() / 4; }
  };

  /// A box of a regular grid (vtkImageData): grid points (i, j, k) at
  /// origin + (i, j, k) * spacing, cells between them. Arrays are ordered
  /// x fastest, then y, then z, over the piece's extent.
  struct ImagePiece
  {
    std::array<double, 3> origin{}, spacing{};
    /// Point index ranges of the whole grid and of this piece, inclusive:
    /// x0 x1 y0 y1 z0 z1 (cells: x0 .. x1-1, ...).
    std::array<long, 6>    whole_extent{}, extent{};
    std::vector<DataArray> point_data;
    std::vector<DataArray> cell_data;

    std::size_t n_points() const;
    std::size_t n_cells() const;
  };

  struct VtkOptions
  {
    bool compress = true; ///< zlib-compressed binary appended data
    /// Written as the field data string array "phase_names" of every file,
    /// one "label=name" entry per phase (as in microstructure.vti); none
    /// when empty.
    std::vector<std::string> phase_names;
    /// Point coordinates as Float32 (else Float64).
    bool float32_points = false;
  };

  /// Write one piece as .vtu (VTK's own XML writer). Throws std::runtime_error
  /// naming the path on failure; checks that array sizes match the mesh.
  void write_vtu(const UnstructuredPiece &piece, const std::string &path,
                 const VtkOptions &options = {});

  /// Write one polygon piece as .vtp (atomic).
  void write_vtp(const PolygonPiece &piece, const std::string &path,
                 const VtkOptions &options = {});

  /// Write one image piece as .vti (atomic); its extent is the piece's.
  void write_vti(const ImagePiece &piece, const std::string &path,
                 const VtkOptions &options = {});

  /// Write a .pvti over @p piece_files (relative to the .pvti) with their
  /// extents; grid and arrays as in @p layout (values are ignored).
  void write_pvti(const std::string &path, const std::vector<std::string> &piece_files,
                  const std::vector<std::array<long, 6>> &piece_extents,
                  const ImagePiece &layout);

  /// Write a .pvtp that references @p piece_files and declares the cell
  /// arrays of @p layout; @p float32_points as VtkOptions::float32_points
  /// of the pieces.
  void write_pvtp(const std::string &path,
                  const std::vector<std::string> &piece_files,
                  const PolygonPiece &layout, bool float32_points = false);

  /// Write a .pvtu that references @p piece_files (relative to the .pvtu)
  /// and declares the arrays of @p layout (values are ignored).
  void write_pvtu(const std::string &path,
                  const std::vector<std::string> &piece_files,
                  const UnstructuredPiece &layout, bool float32_points = false);

  /// Version of the VTK library in use, e.g. "9.1.0".
  std::string vtk_version();

  /// Significant digits of the times in .pvd (and .xmf) indexes: enough to
  /// keep times 1 ms apart distinct up to 1e8 s, few enough that round-off
  /// (400.00000000000034) is not printed.
  inline constexpr int time_digits = 12;

  /// @p time with time_digits significant digits, e.g. "400", "0.003".
  std::string format_time(double time);

  /// Write a .pvd collection of (time, file) pairs; files relative to the
  /// pvd; times written by format_time.
  void write_pvd(const std::string &path,
                 const std::vector<std::pair<double, std::string>> &datasets);
} // namespace solidanode
