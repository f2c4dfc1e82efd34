#include <base/file_utils.h>
#include <postprocess/vtk_writer.h>

#include <vtkCellArray.h>
#include <vtkCellData.h>
#include <vtkDoubleArray.h>
#include <vtkFloatArray.h>
#include <vtkIdTypeArray.h>
#include <vtkIntArray.h>
#include <vtkNew.h>
#include <vtkPointData.h>
#include <vtkFieldData.h>
#include <vtkImageData.h>
#include <vtkPolyData.h>
#include <vtkStringArray.h>
#include <vtkErrorCode.h>
#include <vtkXMLPolyDataWriter.h>
#include <vtkPoints.h>
#include <vtkSmartPointer.h>
#include <vtkUnsignedCharArray.h>
#include <vtkUnstructuredGrid.h>
#include <vtkVersion.h>
#include <vtkXMLUnstructuredGridWriter.h>
#include <vtkXMLImageDataWriter.h>
#include <vtkXMLWriter.h>
#include <vtkZLibDataCompressor.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iomanip>
#include <sstream>
#include <type_traits>
#include <stdexcept>

namespace solidanode
{
  namespace
  {
    vtkSmartPointer<vtkDataArray> to_vtk(const DataArray &a, std::size_t n_tuples,
                                         const std::string &where)
    {
      if (a.values.size() != n_tuples * a.n_components)
        throw std::runtime_error("VTK output " + where + ": array '" + a.name +
                                 "' has " + std::to_string(a.values.size()) +
                                 " values, expected " +
                                 std::to_string(n_tuples * a.n_components));
      auto fill = [&](auto array) {
        array->SetName(a.name.c_str());
        array->SetNumberOfComponents(static_cast<int>(a.n_components));
        array->SetNumberOfTuples(static_cast<vtkIdType>(n_tuples));
        auto *out = array->GetPointer(0);
        using T   = std::remove_reference_t<decltype(*out)>;
        for (std::size_t i = 0; i < a.values.size(); ++i)
          out[i] = static_cast<T>(a.values[i]);
        return vtkSmartPointer<vtkDataArray>(array);
      };
      vtkSmartPointer<vtkDataArray> v;
      switch (a.type)
        {
          case DataArray::Type::float64:
            v = fill(vtkSmartPointer<vtkDoubleArray>::New());
            break;
          case DataArray::Type::float32:
            v = fill(vtkSmartPointer<vtkFloatArray>::New());
            break;
          case DataArray::Type::int32:
            v = fill(vtkSmartPointer<vtkIntArray>::New());
            break;
          case DataArray::Type::uint8:
            v = fill(vtkSmartPointer<vtkUnsignedCharArray>::New());
            break;
        }
      return v;
    }

    const char *vtk_type_name(DataArray::Type t)
    {
      switch (t)
        {
          case DataArray::Type::float64:
            return "Float64";
          case DataArray::Type::float32:
            return "Float32";
          case DataArray::Type::int32:
            return "Int32";
          case DataArray::Type::uint8:
            return "UInt8";
        }
      return "Float64";
    }

    vtkSmartPointer<vtkPoints> make_points(const std::vector<double> &xyz, bool float32)
    {
      auto fill = [&](auto coords) {
        coords->SetNumberOfComponents(3);
        coords->SetNumberOfTuples(static_cast<vtkIdType>(xyz.size() / 3));
        std::copy(xyz.begin(), xyz.end(), coords->GetPointer(0));
        auto points = vtkSmartPointer<vtkPoints>::New();
        points->SetData(coords);
        return points;
      };
      return float32 ? fill(vtkSmartPointer<vtkFloatArray>::New()) :
                       fill(vtkSmartPointer<vtkDoubleArray>::New());
    }

    /// Cells of @p per_cell points each; ids are checked against @p n_points.
    vtkSmartPointer<vtkCellArray> make_cells(const std::vector<std::int64_t> &ids,
                                             std::size_t per_cell, std::size_t n_points,
                                             const std::string &path)
    {
      const std::size_t    n_cells = ids.size() / per_cell;
      vtkNew<vtkIdTypeArray> offsets, connectivity;
      offsets->SetNumberOfTuples(static_cast<vtkIdType>(n_cells + 1));
      connectivity->SetNumberOfTuples(static_cast<vtkIdType>(ids.size()));
      for (std::size_t c = 0; c <= n_cells; ++c)
        offsets->SetValue(static_cast<vtkIdType>(c), static_cast<vtkIdType>(per_cell * c));
      for (std::size_t i = 0; i < ids.size(); ++i)
        {
          if (ids[i] < 0 || static_cast<std::size_t>(ids[i]) >= n_points)
            throw std::runtime_error("VTK output " + path + ": point id out of range");
          connectivity->SetValue(static_cast<vtkIdType>(i), static_cast<vtkIdType>(ids[i]));
        }
      auto cells = vtkSmartPointer<vtkCellArray>::New();
      cells->SetData(offsets, connectivity);
      return cells;
    }

    void add_phase_names(vtkDataObject *data, const VtkOptions &options)
    {
      if (options.phase_names.empty())
        return;
      vtkNew<vtkStringArray> names;
      names->SetName("phase_names");
      for (const auto &entry : options.phase_names)
        names->InsertNextValue(entry);
      data->GetFieldData()->AddArray(names);
    }

    /// Binary appended, optionally zlib-compressed, written atomically.
    void write_xml(vtkXMLWriter *writer, const std::string &path,
                   const VtkOptions &options, std::size_t n_ids)
    {
      atomic_write(path, [&](const std::string &tmp) {
        writer->SetFileName(tmp.c_str());
        writer->SetDataModeToAppended();
        // Connectivity and offsets as Int32 (half of Int64) where the
        // piece's point ids fit, which they do for any piece a rank holds.
        if (n_ids < (std::size_t(1) << 31))
          writer->SetIdTypeToInt32();
        writer->EncodeAppendedDataOff();
        if (options.compress)
          {
            vtkNew<vtkZLibDataCompressor> compressor;
            writer->SetCompressor(compressor);
          }
        else
          writer->SetCompressor(nullptr);
        // VTK reports a failed write (full disk) on stderr, with a pipeline
        // dump; ours is the one message the user gets.
        const int shown = vtkObject::GetGlobalWarningDisplay();
        vtkObject::GlobalWarningDisplayOff();
        errno           = 0;
        const int  ok   = writer->Write();
        const int  err  = errno;
        const auto code = writer->GetErrorCode();
        vtkObject::SetGlobalWarningDisplay(shown);
        if (ok != 1 || code != vtkErrorCode::NoError)
          throw std::runtime_error(
            "cannot write '" + path + "': " +
            (code == vtkErrorCode::OutOfDiskSpaceError ? std::string(std::strerror(ENOSPC)) :
             err != 0 ? std::string(std::strerror(err)) :
                        std::string("VTK XML writer failed (disk full or no permission?)")));
      });
    }

    std::string xml_escape(const std::string &s)
    {
      std::string r;
      for (char c : s)
        switch (c)
          {
            case '&': r += "&amp;"; break;
            case '<': r += "&lt;"; break;
            case '>': r += "&gt;"; break;
            case '"': r += "&quot;"; break;
            default: r += c;
          }
      return r;
    }
  } // namespace

  namespace
  {
    /// What a parallel index file (.pvtu, .pvtp, .pvti) says besides its
    /// arrays: attributes of the kind element and of each piece, and the
    /// point coordinates' type (none for image data).
    struct ParallelLayout
    {
      std::string              kind, kind_attributes;
      std::vector<std::string> piece_attributes;
      const char              *points_type = nullptr;
    };

    void write_parallel_header(const std::string &path, const ParallelLayout &layout,
                               const std::vector<std::string> &piece_files,
                               const std::vector<DataArray> &point_data,
                               const std::vector<DataArray> &cell_data);

    const char *points_type(bool float32) { return float32 ? "Float32" : "Float64"; }

    std::string extent_text(const std::array<long, 6> &e)
    {
      std::ostringstream x;
      for (unsigned int i = 0; i < 6; ++i)
        x << (i ? " " : "") << e[i];
      return x.str();
    }

    std::string triple_text(const std::array<double, 3> &v)
    {
      std::ostringstream x;
      x << std::setprecision(17) << v[0] << ' ' << v[1] << ' ' << v[2];
      return x.str();
    }
  } // namespace

  std::size_t ImagePiece::n_points() const
  {
    std::size_t n = 1;
    for (unsigned int d = 0; d < 3; ++d)
      n *= static_cast<std::size_t>(std::max(0L, extent[2 * d + 1] - extent[2 * d] + 1));
    return n;
  }

  std::size_t ImagePiece::n_cells() const
  {
    std::size_t n = 1;
    for (unsigned int d = 0; d < 3; ++d)
      n *= static_cast<std::size_t>(std::max(0L, extent[2 * d + 1] - extent[2 * d]));
    return n;
  }

  void write_vtu(const UnstructuredPiece &piece, const std::string &path,
                 const VtkOptions &options)
  {
    if (piece.points.size() % 3 != 0 || piece.hexahedra.size() % 8 != 0)
      throw std::runtime_error("VTK output " + path + ": malformed mesh arrays");
    vtkNew<vtkUnstructuredGrid> grid;
    grid->SetPoints(make_points(piece.points, options.float32_points));
    grid->SetCells(VTK_HEXAHEDRON, make_cells(piece.hexahedra, 8, piece.n_points(), path));

    for (const auto &a : piece.point_data)
      grid->GetPointData()->AddArray(to_vtk(a, piece.n_points(), path));
    for (const auto &a : piece.cell_data)
      grid->GetCellData()->AddArray(to_vtk(a, piece.n_cells(), path));
    add_phase_names(grid, options);

    vtkNew<vtkXMLUnstructuredGridWriter> writer;
    writer->SetInputData(grid);
    write_xml(writer, path, options, std::max(piece.n_points(), piece.hexahedra.size()));
  }

  void write_vtp(const PolygonPiece &piece, const std::string &path,
                 const VtkOptions &options)
  {
    if (piece.points.size() % 3 != 0 || piece.quads.size() % 4 != 0)
      throw std::runtime_error("VTK output " + path + ": malformed polygon arrays");
    vtkNew<vtkPolyData> poly;
    poly->SetPoints(make_points(piece.points, options.float32_points));
    poly->SetPolys(make_cells(piece.quads, 4, piece.n_points(), path));
    add_phase_names(poly, options);
    for (const auto &a : piece.cell_data)
      poly->GetCellData()->AddArray(to_vtk(a, piece.n_cells(), path));

    vtkNew<vtkXMLPolyDataWriter> writer;
    writer->SetInputData(poly);
    write_xml(writer, path, options, std::max(piece.n_points(), piece.quads.size()));
  }

  void write_pvtp(const std::string &path,
                  const std::vector<std::string> &piece_files,
                  const PolygonPiece &layout, bool float32_points)
  {
    write_parallel_header(path, {"PPolyData", "", {}, points_type(float32_points)}, piece_files,
                          {}, layout.cell_data);
  }

  void write_pvtu(const std::string &path,
                  const std::vector<std::string> &piece_files,
                  const UnstructuredPiece &layout, bool float32_points)
  {
    write_parallel_header(path, {"PUnstructuredGrid", "", {}, points_type(float32_points)},
                          piece_files, layout.point_data, layout.cell_data);
  }

  void write_vti(const ImagePiece &piece, const std::string &path, const VtkOptions &options)
  {
    vtkNew<vtkImageData> image;
    const auto &e = piece.extent;
    image->SetExtent(static_cast<int>(e[0]), static_cast<int>(e[1]), static_cast<int>(e[2]),
                     static_cast<int>(e[3]), static_cast<int>(e[4]), static_cast<int>(e[5]));
    image->SetOrigin(piece.origin.data());
    image->SetSpacing(piece.spacing.data());
    for (const auto &a : piece.point_data)
      image->GetPointData()->AddArray(to_vtk(a, piece.n_points(), path));
    for (const auto &a : piece.cell_data)
      image->GetCellData()->AddArray(to_vtk(a, piece.n_cells(), path));
    add_phase_names(image, options);

    vtkNew<vtkXMLImageDataWriter> writer;
    writer->SetInputData(image);
    write_xml(writer, path, options, 0);
  }

  void write_pvti(const std::string &path, const std::vector<std::string> &piece_files,
                  const std::vector<std::array<long, 6>> &piece_extents,
                  const ImagePiece &layout)
  {
    ParallelLayout p{"PImageData",
                     "WholeExtent=\"" + extent_text(layout.whole_extent) + "\" Origin=\"" +
                       triple_text(layout.origin) + "\" Spacing=\"" +
                       triple_text(layout.spacing) + "\" ",
                     {},
                     nullptr};
    for (const auto &extent : piece_extents)
      p.piece_attributes.push_back("Extent=\"" + extent_text(extent) + "\" ");
    write_parallel_header(path, p, piece_files, layout.point_data, layout.cell_data);
  }

  namespace
  {
    void write_parallel_header(const std::string &path, const ParallelLayout &layout,
                               const std::vector<std::string> &piece_files,
                               const std::vector<DataArray> &point_data,
                               const std::vector<DataArray> &cell_data)
    {
      const std::string &kind = layout.kind;
      std::ostringstream x;
      x << "<?xml version=\"1.0\"?>\n"
        << "<VTKFile type=\"" << kind << "\" version=\"1.0\" "
           "byte_order=\"LittleEndian\" header_type=\"UInt64\">\n"
        << "  <" << kind << " " << layout.kind_attributes << "GhostLevel=\"0\">\n";
      auto arrays = [&](const char *tag, const std::vector<DataArray> &list) {
        x << "    <" << tag << ">\n";
        for (const auto &a : list)
          x << "      <PDataArray type=\"" << vtk_type_name(a.type) << "\" Name=\""
            << xml_escape(a.name) << "\" NumberOfComponents=\"" << a.n_components
            << "\"/>\n";
        x << "    </" << tag << ">\n";
      };
      arrays("PPointData", point_data);
      arrays("PCellData", cell_data);
      if (layout.points_type != nullptr)
        x << "    <PPoints>\n"
          << "      <PDataArray type=\"" << layout.points_type
          << "\" Name=\"Points\" NumberOfComponents=\"3\"/>\n"
          << "    </PPoints>\n";
      for (std::size_t i = 0; i < piece_files.size(); ++i)
        x << "    <Piece "
          << (i < layout.piece_attributes.size() ? layout.piece_attributes[i] : std::string())
          << "Source=\"" << xml_escape(piece_files[i]) << "\"/>\n";
      x << "  </" << kind << ">\n</VTKFile>\n";
      atomic_write_text(path, x.str());
    }
  } // namespace

  std::string vtk_version()
  {
    return vtkVersion::GetVTKVersion();
  }

  std::string format_time(double time)
  {
    std::ostringstream x;
    x << std::setprecision(time_digits) << time;
    return x.str();
  }

  void write_pvd(const std::string &path,
                 const std::vector<std::pair<double, std::string>> &datasets)
  {
    std::ostringstream x;
    x << "<?xml version=\"1.0\"?>\n"
      << "<VTKFile type=\"Collection\" version=\"0.1\" byte_order=\"LittleEndian\">\n"
      << "  <Collection>\n";
    for (const auto &[t, f] : datasets)
      x << "    <DataSet timestep=\"" << format_time(t) << "\" group=\"\" part=\"0\" file=\""
        << xml_escape(f) << "\"/>\n";
    x << "  </Collection>\n</VTKFile>\n";
    atomic_write_text(path, x.str());
  }
} // namespace solidanode
