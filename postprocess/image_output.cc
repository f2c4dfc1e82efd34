#include <postprocess/image_output.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>

namespace solidanode
{
  namespace
  {
    /// Corner 0 and corner 6 (lowest and highest coordinates) of a VTK
    /// hexahedron.
    std::array<const double *, 2> corners(const UnstructuredPiece &piece, std::size_t c)
    {
      return {{&piece.points[3 * piece.hexahedra[8 * c]],
               &piece.points[3 * piece.hexahedra[8 * c + 6]]}};
    }

    /// VTK hexahedron vertex @p v is on the high side in direction @p d.
    bool high_side(unsigned int v, unsigned int d)
    {
      static constexpr bool bits[8][3] = {{0, 0, 0}, {1, 0, 0}, {1, 1, 0}, {0, 1, 0},
                                          {0, 0, 1}, {1, 0, 1}, {1, 1, 1}, {0, 1, 1}};
      return bits[v][d];
    }

    /// Grid index of coordinate @p x in direction @p d, or -1 if it is not
    /// on a grid plane.
    long grid_index(const ImageGrid &g, unsigned int d, double x)
    {
      const double a = (x - g.origin[d]) / g.spacing[d];
      const double r = std::round(a);
      return std::abs(a - r) <= 1e-6 ? static_cast<long>(r) : -1;
    }

    /// The grid-cell box [lo, hi) of cell @p c (checked by image_grid_of).
    std::array<std::array<unsigned long, 3>, 2> box_of(const UnstructuredPiece &piece,
                                                       const ImageGrid &g, std::size_t c)
    {
      const auto p = corners(piece, c);
      std::array<std::array<unsigned long, 3>, 2> box{};
      for (unsigned int d = 0; d < 3; ++d)
        for (unsigned int s = 0; s < 2; ++s)
          box[s][d] = static_cast<unsigned long>(grid_index(g, d, p[s][d]));
      return box;
    }

    /// All-to-all of per-destination lists; returns what this rank received,
    /// in the order of the source ranks.
    template <typename T>
    std::vector<T> exchange(const std::vector<std::vector<T>> &send, MPI_Datatype type,
                            MPI_Comm comm)
    {
      const std::size_t n = send.size();
      std::vector<int>  send_counts(n), recv_counts(n), send_offsets(n), recv_offsets(n);
      std::vector<T>    packed;
      for (std::size_t r = 0; r < n; ++r)
        {
          if (send[r].size() > static_cast<std::size_t>(INT_MAX) ||
              packed.size() > static_cast<std::size_t>(INT_MAX))
            throw std::runtime_error("image output: more than 2^31 values for one rank; "
                                     "use output.format 'vtk' or 'xdmf', or more ranks");
          send_counts[r]  = static_cast<int>(send[r].size());
          send_offsets[r] = static_cast<int>(packed.size());
          packed.insert(packed.end(), send[r].begin(), send[r].end());
        }
      MPI_Alltoall(send_counts.data(), 1, MPI_INT, recv_counts.data(), 1, MPI_INT, comm);
      std::size_t total = 0;
      for (std::size_t r = 0; r < n; ++r)
        {
          recv_offsets[r] = static_cast<int>(total);
          total += static_cast<std::size_t>(recv_counts[r]);
        }
      std::vector<T> received(total);
      MPI_Alltoallv(packed.data(), send_counts.data(), send_offsets.data(), type,
                    received.data(), recv_counts.data(), recv_offsets.data(), type, comm);
      return received;
    }

    /// Which (piece cell, linear grid index) pairs go to which slab.
    struct Routes
    {
      std::vector<std::vector<std::size_t>>   cell_of_voxel, cell_of_point;
      std::vector<std::vector<std::uint64_t>> voxel, point;
    };

    Routes route(const UnstructuredPiece &piece, const ImageGrid &g, unsigned int n_slabs)
    {
      std::vector<unsigned long> first(n_slabs);
      for (unsigned int s = 0; s < n_slabs; ++s)
        first[s] = slab_layers(g, s, n_slabs)[0];
      auto slab_of = [&](unsigned long k) {
        return static_cast<unsigned int>(std::upper_bound(first.begin(), first.end(), k) -
                                         first.begin() - 1);
      };
      const auto [nx, ny, nz] = g.cells;
      Routes     r;
      r.cell_of_voxel.resize(n_slabs);
      r.cell_of_point.resize(n_slabs);
      r.voxel.resize(n_slabs);
      r.point.resize(n_slabs);
      for (std::size_t c = 0; c < piece.n_cells(); ++c)
        {
          const auto [lo, hi] = box_of(piece, g, c);
          for (unsigned long k = lo[2]; k < hi[2]; ++k)
            for (unsigned long j = lo[1]; j < hi[1]; ++j)
              for (unsigned long i = lo[0]; i < hi[0]; ++i)
                {
                  r.voxel[slab_of(k)].push_back(i + nx * (j + ny * k));
                  r.cell_of_voxel[slab_of(k)].push_back(c);
                }
          // Grid points in [lo, hi) (closed at the grid's far side): each
          // point comes from one cell of one rank, and goes to the one or
          // two slabs whose extent holds it.
          std::array<unsigned long, 3> end{};
          for (unsigned int d = 0; d < 3; ++d)
            end[d] = hi[d] + (hi[d] == g.cells[d] ? 1 : 0);
          for (unsigned long k = lo[2]; k < end[2]; ++k)
            {
              const unsigned int below = k < nz ? slab_of(k) : n_slabs;
              const unsigned int above = k > 0 ? slab_of(k - 1) : n_slabs;
              const unsigned int n_dest  = above == below ? 1 : 2;
              const unsigned int dest[2] = {below, above};
              for (unsigned long j = lo[1]; j < end[1]; ++j)
                for (unsigned long i = lo[0]; i < end[0]; ++i)
                  for (unsigned int q = 0; q < n_dest; ++q)
                    if (dest[q] < n_slabs)
                      {
                        r.point[dest[q]].push_back(i + (nx + 1) * (j + (ny + 1) * k));
                        r.cell_of_point[dest[q]].push_back(c);
                      }
            }
        }
      return r;
    }

    /// Trilinear interpolation of point array @p a of @p piece in cell @p c
    /// at the grid point @p index: every component, appended to @p out.
    void interpolate(const UnstructuredPiece &piece, const ImageGrid &g, const DataArray &a,
                     std::size_t c, std::uint64_t index, std::vector<double> &out)
    {
      const auto [lo, hi] = box_of(piece, g, c);
      const std::uint64_t ijk[3] = {index % (g.cells[0] + 1),
                                    (index / (g.cells[0] + 1)) % (g.cells[1] + 1),
                                    index / ((g.cells[0] + 1) * (g.cells[1] + 1))};
      double xi[3];
      for (unsigned int d = 0; d < 3; ++d)
        xi[d] = static_cast<double>(ijk[d] - lo[d]) / static_cast<double>(hi[d] - lo[d]);
      const std::size_t first = out.size();
      out.resize(first + a.n_components, 0.);
      for (unsigned int v = 0; v < 8; ++v)
        {
          double w = 1.;
          for (unsigned int d = 0; d < 3; ++d)
            w *= high_side(v, d) ? xi[d] : 1. - xi[d];
          if (w != 0.)
            for (unsigned int comp = 0; comp < a.n_components; ++comp)
              out[first + comp] += w * a.values[a.n_components * piece.hexahedra[8 * c + v] + comp];
        }
    }
  } // namespace

  std::array<unsigned long, 2> slab_layers(const ImageGrid &grid, unsigned int slab,
                                           unsigned int n_slabs)
  {
    const unsigned long nz = grid.cells[2];
    return {{nz * slab / n_slabs, nz * (slab + 1) / n_slabs}};
  }

  std::array<long, 6> slab_extent(const ImageGrid &grid, unsigned int slab,
                                  unsigned int n_slabs)
  {
    const auto z = slab_layers(grid, slab, n_slabs);
    return {{0, static_cast<long>(grid.cells[0]), 0, static_cast<long>(grid.cells[1]),
             static_cast<long>(z[0]), static_cast<long>(z[1])}};
  }

  ImageGrid image_grid_of(const UnstructuredPiece &piece, MPI_Comm comm)
  {
    constexpr double inf = std::numeric_limits<double>::infinity();
    std::array<double, 3> lo{{inf, inf, inf}}, hi{{-inf, -inf, -inf}}, h{{inf, inf, inf}};
    for (std::size_t c = 0; c < piece.n_cells(); ++c)
      {
        const auto p = corners(piece, c);
        for (unsigned int d = 0; d < 3; ++d)
          {
            lo[d] = std::min(lo[d], p[0][d]);
            hi[d] = std::max(hi[d], p[1][d]);
            h[d]  = std::min(h[d], p[1][d] - p[0][d]);
          }
      }
    MPI_Allreduce(MPI_IN_PLACE, lo.data(), 3, MPI_DOUBLE, MPI_MIN, comm);
    MPI_Allreduce(MPI_IN_PLACE, h.data(), 3, MPI_DOUBLE, MPI_MIN, comm);
    MPI_Allreduce(MPI_IN_PLACE, hi.data(), 3, MPI_DOUBLE, MPI_MAX, comm);
    ImageGrid g;
    int       bad = 0;
    for (unsigned int d = 0; d < 3; ++d)
      {
        bad |= !(std::isfinite(h[d]) && h[d] > 0.);
        g.origin[d]  = lo[d];
        g.spacing[d] = h[d];
        g.cells[d]   = bad ? 0 : static_cast<unsigned long>(std::lround((hi[d] - lo[d]) / h[d]));
        if (g.cells[d] > 0) // the mean cell of the grid: less round-off than one edge
          g.spacing[d] = (hi[d] - lo[d]) / static_cast<double>(g.cells[d]);
      }
    unsigned long long covered = 0;
    for (std::size_t c = 0; c < piece.n_cells() && !bad; ++c)
      {
        const auto         p      = corners(piece, c);
        unsigned long long volume = 1;
        for (unsigned int d = 0; d < 3; ++d)
          {
            const long a = grid_index(g, d, p[0][d]), b = grid_index(g, d, p[1][d]);
            bad |= a < 0 || b <= a;
            volume *= static_cast<unsigned long long>(std::max(0L, b - a));
            for (unsigned int v = 0; v < 8; ++v) // the other corners: a box
              bad |= std::abs(piece.points[3 * piece.hexahedra[8 * c + v] + d] -
                              p[high_side(v, d)][d]) > 1e-6 * h[d];
          }
        covered += volume;
      }
    MPI_Allreduce(MPI_IN_PLACE, &bad, 1, MPI_INT, MPI_MAX, comm);
    MPI_Allreduce(MPI_IN_PLACE, &covered, 1, MPI_UNSIGNED_LONG_LONG, MPI_SUM, comm);
    if (bad || covered != static_cast<unsigned long long>(g.cells[0]) * g.cells[1] * g.cells[2])
      throw std::runtime_error(
        "output.format 'image' needs a mesh of axis-aligned boxes of whole voxels that fill "
        "its bounding box, and this mesh is not one; use format 'vtk' or 'xdmf'");
    return g;
  }

  ImagePiece image_slab(const UnstructuredPiece &piece, const ImageGrid &grid, MPI_Comm comm)
  {
    int rank = 0, n_ranks = 1;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &n_ranks);
    const unsigned int n_slabs = static_cast<unsigned int>(n_ranks);
    ImagePiece         slab;
    slab.origin       = grid.origin;
    slab.spacing      = grid.spacing;
    slab.whole_extent = slab_extent(grid, 0, 1);
    slab.extent       = slab_extent(grid, static_cast<unsigned int>(rank), n_slabs);

    const Routes routes = route(piece, grid, n_slabs);
    const auto   z0     = static_cast<std::uint64_t>(slab.extent[4]);
    const auto   nx = grid.cells[0], ny = grid.cells[1];
    // Where each received value goes in this slab's arrays; every cell and
    // point of the slab exactly once.
    auto placement = [&](const std::vector<std::vector<std::uint64_t>> &indices,
                         std::uint64_t layer, std::size_t n_local, const char *what) {
      std::vector<std::uint64_t> at = exchange(indices, MPI_UINT64_T, comm);
      std::vector<char>          seen(n_local, 0);
      for (auto &i : at)
        {
          i -= layer * z0;
          if (i >= n_local || seen[i]++)
            throw std::logic_error(std::string("image output: a ") + what +
                                   " of the slab was sent twice or outside it");
        }
      if (std::count(seen.begin(), seen.end(), 0) != 0)
        throw std::logic_error(std::string("image output: a ") + what + " of the slab is missing");
      return at;
    };
    const auto voxel_at = placement(routes.voxel, nx * ny, slab.n_cells(), "cell");
    const bool empty    = slab.n_cells() == 0; // more ranks than layers
    const auto point_at = placement(routes.point, (nx + 1) * (ny + 1),
                                    empty ? 0 : slab.n_points(), "point");

    auto move = [&](const DataArray &a, bool points) {
      const auto &cells = points ? routes.cell_of_point : routes.cell_of_voxel;
      const auto &index = points ? routes.point : routes.voxel;
      std::vector<std::vector<double>> send(n_slabs);
      for (unsigned int s = 0; s < n_slabs; ++s)
        for (std::size_t e = 0; e < cells[s].size(); ++e)
          if (points)
            interpolate(piece, grid, a, cells[s][e], index[s][e], send[s]);
          else
            send[s].insert(send[s].end(), &a.values[a.n_components * cells[s][e]],
                           &a.values[a.n_components * (cells[s][e] + 1)]);
      const std::vector<double> got = exchange(send, MPI_DOUBLE, comm);
      const auto               &at  = points ? point_at : voxel_at;
      DataArray                 out{a.name, a.n_components, a.type, {}};
      out.values.resize(at.size() * a.n_components);
      for (std::size_t e = 0; e < at.size(); ++e)
        for (unsigned int comp = 0; comp < a.n_components; ++comp)
          out.values[a.n_components * at[e] + comp] = got[a.n_components * e + comp];
      return out;
    };
    for (const auto &a : piece.point_data)
      slab.point_data.push_back(move(a, true));
    for (const auto &a : piece.cell_data)
      slab.cell_data.push_back(move(a, false));
    return slab;
  }
} // namespace solidanode
