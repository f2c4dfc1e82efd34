#include <solver/elasticity/voxel_view.h>

#include <deal.II/base/mpi.h>

#include <unordered_map>

namespace solidanode
{
  OwnedVoxels owned_voxels(const dealii::DoFHandler<3>              &dof_handler,
                           const dealii::PETScWrappers::MPI::Vector &u)
  {
    OwnedVoxels voxels;
    voxels.rank = static_cast<int>(dealii::Utilities::MPI::this_mpi_process(
      dof_handler.get_triangulation().get_communicator()));
    // deal.II numbers hexahedron vertices lexicographically; VTK goes around
    // the bottom face, then the top face.
    static constexpr unsigned int to_vtk[8] = {0, 1, 3, 2, 4, 5, 7, 6};
    std::unordered_map<unsigned int, std::int64_t> point_of_vertex;
    for (const auto &cell : dof_handler.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          for (unsigned int k = 0; k < 8; ++k)
            {
              const unsigned int v   = to_vtk[k];
              const auto [it, added] = point_of_vertex.emplace(
                cell->vertex_index(v), static_cast<std::int64_t>(point_of_vertex.size()));
              if (added)
                for (unsigned int c = 0; c < 3; ++c)
                  {
                    voxels.points.push_back(cell->vertex(v)[c]);
                    voxels.displacement.push_back(u(cell->vertex_dof_index(v, c)));
                  }
              voxels.hexahedra.push_back(it->second);
            }
          voxels.label.push_back(static_cast<std::uint8_t>(cell->material_id()));
          voxels.cell.push_back(cell->active_cell_index());
        }
    return voxels;
  }

  std::vector<LabelFace> label_faces(const dealii::DoFHandler<3>              &dof_handler,
                                     const dealii::PETScWrappers::MPI::Vector &u)
  {
    // deal.II numbers the 4 vertices of a face lexicographically; a polygon
    // goes around: 0, 1, 3, 2.
    static constexpr unsigned int around[4] = {0, 1, 3, 2};
    std::vector<LabelFace>        faces;
    for (const auto &cell : dof_handler.active_cell_iterators())
      if (cell->is_locally_owned())
        for (unsigned int f = 0; f < 6; ++f)
          {
            if (cell->at_boundary(f))
              continue;
            const auto neighbor = cell->neighbor(f);
            LabelFace  face;
            face.a = cell->material_id();
            face.b = neighbor->material_id();
            if (face.a >= face.b)
              continue; // different labels only, each face once
            face.cell_a = cell->active_cell_index();
            face.cell_b = neighbor->active_cell_index();
            face.face_a = 6 * face.cell_a + f;
            face.face_b = 6 * face.cell_b + cell->neighbor_of_neighbor(f);
            face.axis   = f / 2;
            const auto geometry = cell->face(f);
            face.area = geometry->measure();
            face.z    = geometry->center()[2];
            for (unsigned int k = 0; k < 4; ++k)
              for (unsigned int c = 0; c < 3; ++c)
                face.corners[3 * k + c] =
                  geometry->vertex(around[k])[c] + u(geometry->vertex_dof_index(around[k], c));
            faces.push_back(face);
          }
    return faces;
  }
} // namespace solidanode
