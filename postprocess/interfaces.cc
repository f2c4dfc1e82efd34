#include <postprocess/interfaces.h>

#include <deal.II/base/mpi.h>

#include <algorithm>
#include <cmath>

namespace solidanode
{
  InterfaceSummary collect_interfaces(const dealii::DoFHandler<3>             &dof_handler,
                                      const dealii::PETScWrappers::MPI::Vector &u,
                                      const std::vector<CellStress>           &stresses,
                                      const std::set<unsigned int>            &pore_labels,
                                      unsigned int                             n_slices,
                                      double z0, double slice_thickness,
                                      PolygonPiece                            *piece,
                                      const InterfaceStates                   *states)
  {
    const MPI_Comm comm = dof_handler.get_triangulation().get_communicator();
    InterfaceSummary result;
    result.contact_area_per_slice.assign(n_slices, 0.);

    DataArray pair{"phase_pair", 1, DataArray::Type::int32, {}};
    DataArray phase_a{"phase_a", 1, DataArray::Type::uint8, {}};
    DataArray phase_b{"phase_b", 1, DataArray::Type::uint8, {}};
    DataArray area{"area_m2", 1, DataArray::Type::float64, {}};
    DataArray traction{"normal_traction_Pa", 1, DataArray::Type::float64, {}};
    DataArray state{"contact_state", 1, DataArray::Type::int32, {}};
    DataArray flux{"li_flux_mol_per_m2_s", 1, DataArray::Type::float64, {}};

    // deal.II numbers the 4 vertices of a face lexicographically; a polygon
    // goes around: 0, 1, 3, 2.
    static constexpr unsigned int around[4] = {0, 1, 3, 2};
    for (const auto &cell : dof_handler.active_cell_iterators())
      if (cell->is_locally_owned())
        for (unsigned int f = 0; f < 6; ++f)
          {
            if (cell->at_boundary(f))
              continue;
            const auto         neighbor = cell->neighbor(f);
            const unsigned int a        = cell->material_id();
            const unsigned int b        = neighbor->material_id();
            if (a >= b)
              continue; // different labels only, each face once
            const double face_area = cell->face(f)->measure();
            // The same face seen from the neighbour.
            const std::size_t here  = 6 * cell->active_cell_index() + f;
            const std::size_t there =
              6 * neighbor->active_cell_index() + cell->neighbor_of_neighbor(f);
            bool contact = pore_labels.count(a) == 0 && pore_labels.count(b) == 0;
            if (contact && states != nullptr && states->lost != nullptr)
              contact = (*states->lost)[here] == 0 && (*states->lost)[there] == 0;
            result.area[{a, b}] += face_area;
            if (contact)
              {
                result.contact_area[{a, b}] += face_area;
                const double z  = cell->face(f)->center()[2];
                long long    k  = static_cast<long long>(std::floor((z - z0) / slice_thickness));
                k               = std::clamp<long long>(k, 0, static_cast<long long>(n_slices) - 1);
                result.contact_area_per_slice[static_cast<std::size_t>(k)] += face_area;
              }
            if (piece == nullptr)
              continue;

            // Face f of an axis-aligned hexahedron has normal +-e_axis, and
            // n.sigma.n = sigma_(axis,axis) for either sign.
            const unsigned int axis = f / 2;
            const CellStress  &s1   = stresses[cell->active_cell_index()];
            const CellStress  &s2   = stresses[neighbor->active_cell_index()];
            const double       snn  = 0.5 * (s1[axis] + s2[axis]); // n.s.n = s_axis,axis

            const auto first = static_cast<std::int64_t>(piece->n_points());
            const auto face  = cell->face(f);
            for (unsigned int k = 0; k < 4; ++k)
              {
                const unsigned int v = around[k];
                for (unsigned int c = 0; c < 3; ++c)
                  piece->points.push_back(face->vertex(v)[c] + u(face->vertex_dof_index(v, c)));
                piece->quads.push_back(first + k);
              }
            pair.values.push_back(256. * a + b);
            phase_a.values.push_back(a);
            phase_b.values.push_back(b);
            area.values.push_back(face_area);
            traction.values.push_back(snn);
            state.values.push_back(contact ? 1. : 0.);
            if (states != nullptr && states->flux != nullptr)
              flux.values.push_back((*states->flux)[here] + (*states->flux)[there]);
          }
    if (piece != nullptr)
      piece->cell_data = {std::move(pair),     std::move(phase_a),  std::move(phase_b),
                          std::move(area),     std::move(traction), std::move(state)};
    if (piece != nullptr && states != nullptr && states->flux != nullptr)
      piece->cell_data.push_back(std::move(flux));

    // Reduce the maps: every rank must know all pairs.
    auto reduce_map = [&](std::map<std::pair<unsigned int, unsigned int>, double> &m) {
      std::vector<double> dense(256 * 256, 0.);
      for (const auto &[key, value] : m)
        dense[256 * key.first + key.second] = value;
      MPI_Allreduce(MPI_IN_PLACE, dense.data(), static_cast<int>(dense.size()), MPI_DOUBLE,
                    MPI_SUM, comm);
      m.clear();
      for (unsigned int i = 0; i < dense.size(); ++i)
        if (dense[i] != 0.)
          m[{i / 256, i % 256}] = dense[i];
    };
    reduce_map(result.area);
    reduce_map(result.contact_area);
    MPI_Allreduce(MPI_IN_PLACE, result.contact_area_per_slice.data(),
                  static_cast<int>(n_slices), MPI_DOUBLE, MPI_SUM, comm);
    return result;
  }
} // namespace solidanode
