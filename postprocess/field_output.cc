#include <postprocess/field_output.h>

#include <deal.II/base/mpi.h>

#include <unordered_map>

namespace solidanode
{
  UnstructuredPiece
  make_elasticity_piece(const dealii::DoFHandler<3>             &dof_handler,
                        const dealii::PETScWrappers::MPI::Vector &u,
                        const CellFields                        &cell_fields,
                        const std::set<std::string>             &fields,
                        bool                                     float32)
  {
    const auto &stresses = *cell_fields.stress;
    auto wanted = [&](const char *name) { return fields.empty() || fields.count(name) > 0; };
    const auto real = float32 ? DataArray::Type::float32 : DataArray::Type::float64;
    const int  rank = static_cast<int>(dealii::Utilities::MPI::this_mpi_process(
      dof_handler.get_triangulation().get_communicator()));

    UnstructuredPiece piece;
    DataArray displacement{"displacement_m", 3, real, {}};
    DataArray phase{"phase", 1, DataArray::Type::uint8, {}};
    DataArray mpi_rank{"mpi_rank", 1, DataArray::Type::int32, {}};
    DataArray stress{"cauchy_stress_Pa", 9, real, {}};
    DataArray vm{"von_mises_Pa", 1, real, {}};
    DataArray hydro{"hydrostatic_stress_Pa", 1, real, {}};
    DataArray volumetric{"volumetric_strain", 1, real, {}};
    DataArray porosity{"local_porosity", 1, DataArray::Type::float32, {}};

    // deal.II numbers hexahedron vertices lexicographically; VTK goes around
    // the bottom face, then the top face.
    std::vector<DataArray> extra;
    for (const auto &e : cell_fields.extra)
      extra.push_back(DataArray{e.array, 1, real, {}});

    static constexpr unsigned int to_vtk[8] = {0, 1, 3, 2, 4, 5, 7, 6};
    std::unordered_map<unsigned int, std::int64_t> point_of_vertex;
    for (const auto &cell : dof_handler.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          for (unsigned int k = 0; k < 8; ++k)
            {
              const unsigned int v   = to_vtk[k];
              const auto [it, added] = point_of_vertex.emplace(
                cell->vertex_index(v),
                static_cast<std::int64_t>(point_of_vertex.size()));
              if (added)
                for (unsigned int c = 0; c < 3; ++c)
                  {
                    piece.points.push_back(cell->vertex(v)[c]);
                    displacement.values.push_back(u(cell->vertex_dof_index(v, c)));
                  }
              piece.hexahedra.push_back(it->second);
            }
          const CellStress &s = stresses[cell->active_cell_index()];
          phase.values.push_back(cell->material_id());
          mpi_rank.values.push_back(rank);
          // Voigt xx yy zz yz xz xy -> row-major 3x3
          const double t[9] = {s[0], s[5], s[4], s[5], s[1], s[3], s[4], s[3], s[2]};
          stress.values.insert(stress.values.end(), t, t + 9);
          vm.values.push_back(von_mises(s));
          hydro.values.push_back(hydrostatic(s));
          if (cell_fields.volumetric_strain)
            volumetric.values.push_back(
              (*cell_fields.volumetric_strain)[cell->active_cell_index()]);
          if (cell_fields.local_porosity)
            porosity.values.push_back(
              (*cell_fields.local_porosity)[cell->active_cell_index()]);
          for (std::size_t e = 0; e < extra.size(); ++e)
            extra[e].values.push_back((*cell_fields.extra[e].values)[cell->active_cell_index()]);
        }
    if (wanted("displacement"))
      piece.point_data.push_back(std::move(displacement));
    if (wanted("phase"))
      piece.cell_data.push_back(std::move(phase));
    if (wanted("mpi_rank"))
      piece.cell_data.push_back(std::move(mpi_rank));
    if (wanted("stress"))
      piece.cell_data.push_back(std::move(stress));
    if (wanted("von_mises"))
      piece.cell_data.push_back(std::move(vm));
    if (wanted("hydrostatic"))
      piece.cell_data.push_back(std::move(hydro));
    if (wanted("volumetric_strain") && cell_fields.volumetric_strain)
      piece.cell_data.push_back(std::move(volumetric));
    if (wanted("local_porosity") && cell_fields.local_porosity)
      piece.cell_data.push_back(std::move(porosity));
    for (std::size_t e = 0; e < extra.size(); ++e)
      if (wanted(cell_fields.extra[e].field.c_str()))
        piece.cell_data.push_back(std::move(extra[e]));
    return piece;
  }
} // namespace solidanode
