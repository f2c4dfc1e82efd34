#include <base/file_utils.h>
#include <postprocess/vtk_writer.h>
#include <postprocess/xdmf_writer.h>

#include <hdf5.h>

#include <cstdio>
#include <filesystem>
#include <sstream>
#include <stdexcept>

namespace solidanode
{
  namespace
  {
    void check(herr_t status, const std::string &what, const std::string &path)
    {
      if (status < 0)
        throw std::runtime_error("cannot write '" + path + "': HDF5 " + what + " failed");
    }

    hid_t memory_type(DataArray::Type t)
    {
      switch (t)
        {
          case DataArray::Type::float64: return H5T_NATIVE_DOUBLE;
          case DataArray::Type::float32: return H5T_NATIVE_FLOAT;
          case DataArray::Type::int32: return H5T_NATIVE_INT32;
          case DataArray::Type::uint8: return H5T_NATIVE_UINT8;
        }
      return H5T_NATIVE_DOUBLE;
    }

    /// Write rows [offset, offset + local_rows) of a global (total_rows x
    /// columns) dataset, collectively.
    template <typename T>
    void write_rows(hid_t file, const std::string &name, hid_t type,
                    const std::vector<T> &local, unsigned long long columns,
                    unsigned long long offset, unsigned long long total_rows,
                    const std::string &path)
    {
      const hsize_t dims[2] = {total_rows, columns};
      const hid_t   space   = H5Screate_simple(2, dims, nullptr);
      const hid_t   set = H5Dcreate2(file, name.c_str(), type, space, H5P_DEFAULT,
                                     H5P_DEFAULT, H5P_DEFAULT);
      if (set < 0)
        throw std::runtime_error("cannot write '" + path + "': HDF5 dataset " + name);
      const hsize_t start[2] = {offset, 0};
      const hsize_t count[2] = {local.size() / columns, columns};
      check(H5Sselect_hyperslab(space, H5S_SELECT_SET, start, nullptr, count, nullptr),
            "hyperslab", path);
      const hid_t memory = H5Screate_simple(2, count, nullptr);
      if (count[0] == 0)
        {
          H5Sselect_none(space);
          H5Sselect_none(memory);
        }
      const hid_t transfer = H5Pcreate(H5P_DATASET_XFER);
      H5Pset_dxpl_mpio(transfer, H5FD_MPIO_COLLECTIVE);
      check(H5Dwrite(set, type, memory, space, transfer, local.data()), "write " + name, path);
      H5Pclose(transfer);
      H5Sclose(memory);
      H5Sclose(space);
      H5Dclose(set);
    }

    template <typename T>
    std::vector<T> converted(const std::vector<double> &v)
    {
      return std::vector<T>(v.begin(), v.end());
    }

    void write_array(hid_t file, const std::string &name, const DataArray &a,
                     unsigned long long offset, unsigned long long total,
                     const std::string &path)
    {
      const hid_t type = memory_type(a.type);
      switch (a.type)
        {
          case DataArray::Type::float64:
            write_rows(file, name, type, a.values, a.n_components, offset, total, path);
            break;
          case DataArray::Type::float32:
            write_rows(file, name, type, converted<float>(a.values), a.n_components,
                       offset, total, path);
            break;
          case DataArray::Type::int32:
            write_rows(file, name, type, converted<std::int32_t>(a.values), a.n_components,
                       offset, total, path);
            break;
          case DataArray::Type::uint8:
            write_rows(file, name, type, converted<std::uint8_t>(a.values), a.n_components,
                       offset, total, path);
            break;
        }
    }

    const char *xdmf_number(DataArray::Type t, int &precision)
    {
      switch (t)
        {
          case DataArray::Type::float64: precision = 8; return "Float";
          case DataArray::Type::float32: precision = 4; return "Float";
          case DataArray::Type::int32: precision = 4; return "Int";
          case DataArray::Type::uint8: precision = 1; return "UChar";
        }
      precision = 8;
      return "Float";
    }

    const char *attribute_type(unsigned int components)
    {
      return components == 1 ? "Scalar" : components == 3 ? "Vector" : components == 9 ? "Tensor" : "Matrix";
    }
  } // namespace

  XdmfStep write_hdf5_step(const UnstructuredPiece &piece, const std::string &h5_path,
                           double time, MPI_Comm comm)
  {
    int rank = 0;
    MPI_Comm_rank(comm, &rank);
    unsigned long long local[2] = {piece.n_points(), piece.n_cells()}, offset[2] = {0, 0},
                       total[2] = {0, 0};
    MPI_Exscan(local, offset, 2, MPI_UNSIGNED_LONG_LONG, MPI_SUM, comm);
    if (rank == 0)
      offset[0] = offset[1] = 0;
    MPI_Allreduce(local, total, 2, MPI_UNSIGNED_LONG_LONG, MPI_SUM, comm);

    const std::string tmp = temporary_name(h5_path);
    // Every rank must agree on the temporary name: use rank 0's.
    int  length = static_cast<int>(tmp.size());
    MPI_Bcast(&length, 1, MPI_INT, 0, comm);
    std::string shared_tmp = tmp;
    shared_tmp.resize(length);
    MPI_Bcast(shared_tmp.data(), length, MPI_CHAR, 0, comm);

    const hid_t access = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_fapl_mpio(access, comm, MPI_INFO_NULL);
    const hid_t file = H5Fcreate(shared_tmp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, access);
    H5Pclose(access);
    // The outcome is collective: all ranks throw or none.
    int ok = file >= 0 ? 1 : 0;
    MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_MIN, comm);
    if (!ok)
      {
        if (file >= 0)
          H5Fclose(file);
        throw std::runtime_error("cannot create '" + h5_path +
                                 "' (HDF5 with MPI-IO): no permission or disk full?");
      }

    write_rows(file, "/points", H5T_NATIVE_DOUBLE, piece.points, 3, offset[0], total[0],
               h5_path);
    std::vector<std::int64_t> hexahedra(piece.hexahedra);
    for (auto &id : hexahedra)
      id += static_cast<std::int64_t>(offset[0]);
    write_rows(file, "/hexahedra", H5T_NATIVE_INT64, hexahedra, 8, offset[1], total[1],
               h5_path);
    for (const char *group : {"/point", "/cell"})
      H5Gclose(H5Gcreate2(file, group, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    for (const auto &a : piece.point_data)
      write_array(file, "/point/" + a.name, a, offset[0], total[0], h5_path);
    for (const auto &a : piece.cell_data)
      write_array(file, "/cell/" + a.name, a, offset[1], total[1], h5_path);
    check(H5Fclose(file), "close", h5_path);
    MPI_Barrier(comm);
    if (rank == 0 && std::rename(shared_tmp.c_str(), h5_path.c_str()) != 0)
      throw std::runtime_error("cannot write '" + h5_path + "': renaming the temporary failed");

    XdmfStep step;
    step.time     = time;
    step.h5_file  = std::filesystem::path(h5_path).filename().string();
    step.n_points = total[0];
    step.n_cells  = total[1];
    for (const auto &a : piece.point_data)
      step.point_data.push_back({a.name, a.n_components, a.type, {}});
    for (const auto &a : piece.cell_data)
      step.cell_data.push_back({a.name, a.n_components, a.type, {}});
    return step;
  }

  void write_xdmf(const std::string &path, const std::vector<XdmfStep> &steps)
  {
    std::ostringstream x;
    x.precision(17);
    x << "<?xml version=\"1.0\" ?>\n<Xdmf Version=\"3.0\">\n <Domain>\n"
      << "  <Grid Name=\"solution\" GridType=\"Collection\" CollectionType=\"Temporal\">\n";
    for (const auto &s : steps)
      {
        auto item = [&](unsigned long long rows, unsigned int cols, DataArray::Type t,
                        const std::string &dataset) {
          int         precision = 8;
          const char *number    = xdmf_number(t, precision);
          x << "     <DataItem Dimensions=\"" << rows << " " << cols << "\" NumberType=\""
            << number << "\" Precision=\"" << precision << "\" Format=\"HDF\">" << s.h5_file
            << ":" << dataset << "</DataItem>\n";
        };
        x << "   <Grid Name=\"mesh\" GridType=\"Uniform\">\n"
          << "    <Time Value=\"" << format_time(s.time) << "\"/>\n"
          << "    <Topology TopologyType=\"Hexahedron\" NumberOfElements=\"" << s.n_cells
          << "\">\n"
          << "     <DataItem Dimensions=\"" << s.n_cells
          << " 8\" NumberType=\"Int\" Precision=\"8\" Format=\"HDF\">" << s.h5_file
          << ":/hexahedra</DataItem>\n"
          << "    </Topology>\n"
          << "    <Geometry GeometryType=\"XYZ\">\n";
        item(s.n_points, 3, DataArray::Type::float64, "/points");
        x << "    </Geometry>\n";
        for (const auto &a : s.point_data)
          {
            x << "    <Attribute Name=\"" << a.name << "\" AttributeType=\""
              << attribute_type(a.n_components) << "\" Center=\"Node\">\n";
            item(s.n_points, a.n_components, a.type, "/point/" + a.name);
            x << "    </Attribute>\n";
          }
        for (const auto &a : s.cell_data)
          {
            x << "    <Attribute Name=\"" << a.name << "\" AttributeType=\""
              << attribute_type(a.n_components) << "\" Center=\"Cell\">\n";
            item(s.n_cells, a.n_components, a.type, "/cell/" + a.name);
            x << "    </Attribute>\n";
          }
        x << "   </Grid>\n";
      }
    x << "  </Grid>\n </Domain>\n</Xdmf>\n";
    atomic_write_text(path, x.str());
  }
} // namespace solidanode
