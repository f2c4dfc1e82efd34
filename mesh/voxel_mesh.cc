#include <mesh/voxel_mesh.h>

#include <deal.II/grid/grid_generator.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace solidanode
{
  VoxelMeshInfo plan_voxel_mesh(const std::array<std::size_t, 3> &dims)
  {
    VoxelMeshInfo info;
    for (unsigned int d = 0; d < 3; ++d)
      if (dims[d] == 0)
        throw std::invalid_argument("voxel mesh: image dimension is zero");
    // Largest L with 2^L | dims[d] for all d.
    unsigned int L = 0;
    while (L < 20)
      {
        const std::size_t block = std::size_t(1) << (L + 1);
        bool divisible = true;
        for (unsigned int d = 0; d < 3; ++d)
          divisible = divisible && (dims[d] % block == 0);
        if (!divisible)
          break;
        ++L;
      }
    info.n_refinements = L;
    info.n_coarse_cells = 1;
    for (unsigned int d = 0; d < 3; ++d)
      {
        info.coarse_cells[d] = static_cast<unsigned int>(dims[d] >> L);
        info.n_coarse_cells *= info.coarse_cells[d];
      }
    return info;
  }

  std::array<std::size_t, 3> voxel_of(const VoxelImage &image,
                                      const dealii::Point<3> &p)
  {
    std::array<std::size_t, 3> ijk;
    for (unsigned int d = 0; d < 3; ++d)
      {
        const double s = (p[d] - image.origin[d]) / image.voxel_size[d];
        const long long i = static_cast<long long>(std::floor(s));
        ijk[d] = static_cast<std::size_t>(
          std::clamp<long long>(i, 0, static_cast<long long>(image.dims[d]) - 1));
      }
    return ijk;
  }

  VoxelMeshInfo
  create_voxel_mesh(const VoxelImage &image,
                    dealii::parallel::distributed::Triangulation<3> &tria)
  {
    image.validate("voxel mesh");
    const VoxelMeshInfo info = plan_voxel_mesh(image.dims);

    const auto ext = image.extent();
    const dealii::Point<3> p0(image.origin[0], image.origin[1], image.origin[2]);
    const dealii::Point<3> p1(p0[0] + ext[0], p0[1] + ext[1], p0[2] + ext[2]);
    const std::vector<unsigned int> repetitions(info.coarse_cells.begin(),
                                                info.coarse_cells.end());
    dealii::GridGenerator::subdivided_hyper_rectangle(tria, repetitions, p0, p1,
                                                      /*colorize=*/true);
    tria.refine_global(info.n_refinements);

    for (const auto &cell : tria.active_cell_iterators())
      if (!cell->is_artificial())
        {
          const auto ijk = voxel_of(image, cell->center());
          cell->set_material_id(image.at(ijk[0], ijk[1], ijk[2]));
        }
    return info;
  }
} // namespace solidanode
