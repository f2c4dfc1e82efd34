// XDMF + HDF5 output for large runs: one HDF5 file per output step, written
// collectively by all ranks with MPI-IO (each rank writes its hyperslab of
// one global array), and one .xmf file (rank 0) that ParaView and VisIt open
// as a time series. Same arrays as the .pvtu output. Files appear atomically.
#pragma once

#include <postprocess/vtk_writer.h>

#include <mpi.h>

#include <string>
#include <vector>

namespace solidanode
{
  /// What the .xmf needs to know about one step.
  struct XdmfStep
  {
    double                 time = 0.;
    std::string            h5_file; ///< relative to the .xmf
    unsigned long long     n_points = 0, n_cells = 0;
    std::vector<DataArray> point_data, cell_data; ///< names/types only
  };

  /**
   * Write the pieces of all ranks into one HDF5 file (collective): datasets
   * /points (N x 3), /hexahedra (C x 8, global point ids), /point/NAME and
   * /cell/NAME (rows x components). Points at rank boundaries appear once
   * per rank. Returns the step description for write_xdmf().
   */
  XdmfStep write_hdf5_step(const UnstructuredPiece &piece, const std::string &h5_path,
                           double time, MPI_Comm comm);

  /// Write the temporal collection of @p steps (call on one rank).
  void write_xdmf(const std::string &path, const std::vector<XdmfStep> &steps);
} // namespace solidanode
