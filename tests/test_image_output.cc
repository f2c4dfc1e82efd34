// Image-data output of a voxel mesh partitioned into pieces that are not
// boxes: a mesh of 8 x 4 x 12 voxels of 0.5 (fine cells in the lower half,
// cells of 2 x 2 x 2 voxels in the upper half, dealt round-robin to the
// ranks), sent to z-slabs and written as .pvti + .vti, read back with VTK's
// own parallel reader. Cell arrays must land in every voxel their cell
// covers, a trilinear point field must be reproduced exactly at every grid
// point, and meshes that are not on a grid are refused on every rank.
#include <postprocess/image_output.h>

#include <gtest/gtest.h>
#include <vtkCellData.h>
#include <vtkDataArray.h>
#include <vtkImageData.h>
#include <vtkNew.h>
#include <vtkPointData.h>
#include <vtkXMLPImageDataReader.h>

#include <mpi.h>

#include <array>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

using namespace solidanode;
namespace fs = std::filesystem;

namespace
{
  const MPI_Comm comm = MPI_COMM_WORLD;
  constexpr double h = 0.5;

  int rank()
  {
    int r = 0;
    MPI_Comm_rank(comm, &r);
    return r;
  }
  int n_ranks()
  {
    int n = 1;
    MPI_Comm_size(comm, &n);
    return n;
  }

  /// A trilinear point field (reproduced exactly by trilinear interpolation).
  std::array<double, 3> u(double x, double y, double z)
  {
    return {{x + 2. * y, 3. * z - y, 0.1 * x * y * z}};
  }
  /// Cell values from the cell's centre.
  double scalar(double x, double y, double z) { return x + 10. * y + 100. * z; }
  std::uint8_t label(double x, double y, double z)
  {
    return static_cast<std::uint8_t>(std::lround(4. * x + 7. * y + 3. * z)) % 5;
  }

  /// The cells [x0, x0+e] x ... of the test mesh, in a fixed global order.
  std::vector<std::array<double, 4>> all_cells()
  {
    std::vector<std::array<double, 4>> cells; // x0 y0 z0 edge
    for (unsigned int k = 0; k < 6; ++k)      // fine: z in [0, 3]
      for (unsigned int j = 0; j < 4; ++j)
        for (unsigned int i = 0; i < 8; ++i)
          cells.push_back({{h * i, h * j, h * k, h}});
    for (unsigned int k = 0; k < 3; ++k) // coarse: z in [3, 6]
      for (unsigned int j = 0; j < 2; ++j)
        for (unsigned int i = 0; i < 4; ++i)
          cells.push_back({{2 * h * i, 2 * h * j, 3. + 2 * h * k, 2 * h}});
    return cells;
  }

  /// This rank's cells (every n-th cell: pieces that are not boxes), each
  /// with its own 8 points, and the arrays of the field output.
  UnstructuredPiece my_piece(double shift = 0., bool drop_one = false)
  {
    const auto        cells = all_cells();
    UnstructuredPiece p;
    DataArray         disp{"displacement_m", 3, DataArray::Type::float64, {}};
    DataArray         phase{"phase", 1, DataArray::Type::uint8, {}};
    DataArray         value{"value", 1, DataArray::Type::float64, {}};
    DataArray         tensor{"tensor", 6, DataArray::Type::float32, {}};
    for (std::size_t c = 0; c < cells.size(); ++c)
      {
        if (static_cast<int>(c % n_ranks()) != rank() || (drop_one && c == 17))
          continue;
        const auto [x0, y0, z0, e] = cells[c];
        const double dx            = c == 5 ? shift : 0.;
        for (unsigned int v = 0; v < 8; ++v)
          {
            const double x = x0 + dx + e * (v == 1 || v == 2 || v == 5 || v == 6);
            const double y = y0 + e * (v == 2 || v == 3 || v == 6 || v == 7);
            const double z = z0 + e * (v >= 4);
            p.hexahedra.push_back(static_cast<std::int64_t>(p.n_points()));
            p.points.insert(p.points.end(), {x, y, z});
            const auto w = u(x, y, z);
            disp.values.insert(disp.values.end(), w.begin(), w.end());
          }
        const double xc = x0 + e / 2, yc = y0 + e / 2, zc = z0 + e / 2;
        phase.values.push_back(label(xc, yc, zc));
        value.values.push_back(scalar(xc, yc, zc));
        for (unsigned int i = 0; i < 6; ++i)
          tensor.values.push_back(static_cast<float>((i + 1) * scalar(xc, yc, zc)));
      }
    p.point_data = {disp};
    p.cell_data  = {phase, value, tensor};
    return p;
  }

  fs::path work_dir()
  {
    const fs::path d = fs::path("image_output_np" + std::to_string(n_ranks()));
    if (rank() == 0)
      {
        fs::remove_all(d);
        fs::create_directories(d / "pieces");
      }
    MPI_Barrier(comm);
    return d;
  }

  /// Every rank throws, each with the same message, containing @p words.
  void expect_refused(const UnstructuredPiece &piece)
  {
    std::string message;
    try
      {
        image_grid_of(piece, comm);
      }
    catch (const std::runtime_error &e)
      {
        message = e.what();
      }
    EXPECT_NE(message.find("output.format 'image' needs a mesh of axis-aligned boxes"),
              std::string::npos)
      << "rank " << rank() << ": '" << message << "'";
    int length = static_cast<int>(message.size()), longest = 0;
    MPI_Allreduce(&length, &longest, 1, MPI_INT, MPI_MAX, comm);
    EXPECT_EQ(length, longest);
  }
} // namespace

TEST(ImageOutput, GridOfTheMesh)
{
  const ImageGrid g = image_grid_of(my_piece(), comm);
  EXPECT_EQ(g.cells, (std::array<unsigned long, 3>{{8, 4, 12}}));
  for (unsigned int d = 0; d < 3; ++d)
    {
      EXPECT_DOUBLE_EQ(g.origin[d], 0.);
      EXPECT_DOUBLE_EQ(g.spacing[d], h);
    }
  // Slabs: 12 layers over n ranks, consecutive, covering all.
  unsigned long next = 0;
  for (int s = 0; s < n_ranks(); ++s)
    {
      const auto z = slab_layers(g, s, n_ranks());
      EXPECT_EQ(z[0], next);
      next = z[1];
    }
  EXPECT_EQ(next, 12u);
}

TEST(ImageOutput, RefusesMeshesOffTheGrid)
{
  expect_refused(my_piece(0.3 * h)); // one cell shifted off the grid planes
  expect_refused(my_piece(0., true)); // a hole
}

TEST(ImageOutput, SlabsWrittenAndReadBack)
{
  const fs::path          dir   = work_dir();
  const UnstructuredPiece piece = my_piece();
  const ImageGrid         g     = image_grid_of(piece, comm);
  const ImagePiece        slab  = image_slab(piece, g, comm);
  const auto              z     = slab_layers(g, rank(), n_ranks());
  EXPECT_EQ(slab.n_cells(), 8u * 4u * (z[1] - z[0]));
  char name[64];
  std::snprintf(name, sizeof name, "pieces/s_r%05d.vti", rank());
  write_vti(slab, (dir / name).string());
  MPI_Barrier(comm);
  if (rank() != 0)
    return;
  std::vector<std::string>         files;
  std::vector<std::array<long, 6>> extents;
  for (int r = 0; r < n_ranks(); ++r)
    {
      std::snprintf(name, sizeof name, "pieces/s_r%05d.vti", r);
      files.push_back(name);
      extents.push_back(slab_extent(g, r, n_ranks()));
    }
  write_pvti((dir / "s.pvti").string(), files, extents, slab);

  vtkNew<vtkXMLPImageDataReader> reader;
  reader->SetFileName((dir / "s.pvti").c_str());
  reader->Update();
  vtkImageData *image = reader->GetOutput();
  int           dims[3];
  image->GetDimensions(dims);
  ASSERT_EQ(dims[0], 9);
  ASSERT_EQ(dims[1], 5);
  ASSERT_EQ(dims[2], 13);
  vtkDataArray *phase  = image->GetCellData()->GetArray("phase");
  vtkDataArray *value  = image->GetCellData()->GetArray("value");
  vtkDataArray *tensor = image->GetCellData()->GetArray("tensor");
  vtkDataArray *disp   = image->GetPointData()->GetArray("displacement_m");
  ASSERT_TRUE(phase && value && tensor && disp);
  EXPECT_STREQ(phase->GetClassName(), "vtkUnsignedCharArray");
  EXPECT_STREQ(tensor->GetClassName(), "vtkFloatArray");
  EXPECT_EQ(tensor->GetNumberOfComponents(), 6);
  unsigned int wrong_cells = 0, wrong_points = 0;
  for (int k = 0; k < 12; ++k)
    for (int j = 0; j < 4; ++j)
      for (int i = 0; i < 8; ++i)
        {
          // The centre of the mesh cell that covers voxel (i, j, k).
          const bool   fine = k < 6;
          const double e    = fine ? h : 2 * h;
          const double xc = e * (std::floor(h * i / e) + 0.5), yc = e * (std::floor(h * j / e) + 0.5),
                       zc = fine ? h * (k + 0.5) : 3. + e * (std::floor((h * k - 3.) / e) + 0.5);
          const vtkIdType id = i + 8 * (j + 4 * k);
          wrong_cells += phase->GetComponent(id, 0) != label(xc, yc, zc) ||
                         value->GetComponent(id, 0) != scalar(xc, yc, zc) ||
                         tensor->GetComponent(id, 5) !=
                           static_cast<float>(6. * scalar(xc, yc, zc));
        }
  for (int k = 0; k <= 12; ++k)
    for (int j = 0; j <= 4; ++j)
      for (int i = 0; i <= 8; ++i)
        {
          const auto      w  = u(h * i, h * j, h * k);
          const vtkIdType id = i + 9 * (j + 5 * k);
          for (int c = 0; c < 3; ++c)
            wrong_points += std::abs(disp->GetComponent(id, c) - w[c]) > 1e-12 * (1. + std::abs(w[c]));
        }
  EXPECT_EQ(wrong_cells, 0u) << "of 384 voxels";
  EXPECT_EQ(wrong_points, 0u) << "of 585 grid points";
}
