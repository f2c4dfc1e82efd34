// The voxel mesh: one cell per voxel, labels carried into material_id,
// boundary ids on the box faces, no rank holds the whole fine mesh.
#include <mesh/voxel_mesh.h>

#include <deal.II/base/mpi.h>

#include <gtest/gtest.h>

using namespace solidanode;

namespace
{
  VoxelImage patterned(std::array<std::size_t, 3> dims)
  {
    VoxelImage img;
    img.dims       = dims;
    img.voxel_size = {{0.5e-6, 0.25e-6, 1e-6}};
    img.origin     = {{1e-6, -2e-6, 3e-6}};
    img.labels.resize(img.n_voxels());
    for (std::size_t k = 0; k < dims[2]; ++k)
      for (std::size_t j = 0; j < dims[1]; ++j)
        for (std::size_t i = 0; i < dims[0]; ++i)
          img.labels[img.index(i, j, k)] = static_cast<std::uint8_t>((i + 2 * j + 3 * k) % 5);
    for (std::uint8_t l = 0; l < 5; ++l)
      img.phase_names[l] = "p" + std::to_string(l);
    return img;
  }
} // namespace

TEST(VoxelMesh, PlanUsesLargestPowerOfTwoBlocks)
{
  const auto a = plan_voxel_mesh({{48, 48, 48}});
  EXPECT_EQ(a.n_refinements, 4u);
  EXPECT_EQ(a.coarse_cells, (std::array<unsigned int, 3>{{3, 3, 3}}));
  const auto b = plan_voxel_mesh({{50, 40, 30}});
  EXPECT_EQ(b.n_refinements, 1u);
  EXPECT_EQ(b.coarse_cells, (std::array<unsigned int, 3>{{25, 20, 15}}));
  EXPECT_EQ(b.n_coarse_cells, 25u * 20u * 15u);
  const auto c = plan_voxel_mesh({{64, 32, 7}});
  EXPECT_EQ(c.n_refinements, 0u);
}

TEST(VoxelMesh, CellsAreVoxelsWithTheirLabels)
{
  const VoxelImage img = patterned({{12, 8, 20}});
  dealii::parallel::distributed::Triangulation<3> tria(MPI_COMM_WORLD);
  const auto info = create_voxel_mesh(img, tria);
  EXPECT_EQ(info.n_refinements, 2u);
  EXPECT_EQ(tria.n_global_active_cells(), img.n_voxels());

  std::size_t owned = 0, wrong_label = 0, wrong_size = 0;
  std::map<unsigned int, std::size_t> faces_per_boundary;
  for (const auto &cell : tria.active_cell_iterators())
    if (cell->is_locally_owned())
      {
        ++owned;
        const auto ijk = voxel_of(img, cell->center());
        if (cell->material_id() != img.at(ijk[0], ijk[1], ijk[2]))
          ++wrong_label;
        for (unsigned int d = 0; d < 3; ++d)
          if (std::abs(cell->extent_in_direction(d) - img.voxel_size[d]) >
              1e-12 * img.voxel_size[d])
            ++wrong_size;
        // The centre must be the voxel centre, not just inside it.
        for (unsigned int d = 0; d < 3; ++d)
          if (std::abs(cell->center()[d] -
                       (img.origin[d] + (ijk[d] + 0.5) * img.voxel_size[d])) >
              1e-9 * img.voxel_size[d])
            ++wrong_size;
        for (unsigned int f = 0; f < 6; ++f)
          if (cell->at_boundary(f))
            ++faces_per_boundary[cell->face(f)->boundary_id()];
      }
  const MPI_Comm comm = MPI_COMM_WORLD;
  EXPECT_EQ(dealii::Utilities::MPI::sum(owned, comm), img.n_voxels());
  EXPECT_EQ(dealii::Utilities::MPI::sum(wrong_label, comm), 0u);
  EXPECT_EQ(dealii::Utilities::MPI::sum(wrong_size, comm), 0u);
  const std::size_t expected_faces[6] = {8 * 20, 8 * 20, 12 * 20, 12 * 20, 12 * 8, 12 * 8};
  for (unsigned int b = 0; b < 6; ++b)
    EXPECT_EQ(dealii::Utilities::MPI::sum(faces_per_boundary[b], comm), expected_faces[b])
      << "boundary id " << b;
  // With more than one rank, no rank owns all cells.
  if (dealii::Utilities::MPI::n_mpi_processes(comm) > 1)
    EXPECT_LT(owned, img.n_voxels());
}
