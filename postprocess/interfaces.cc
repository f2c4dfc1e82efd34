#include <postprocess/interfaces.h>


#include <algorithm>
#include <cmath>

namespace solidanode
{
  InterfaceSummary collect_interfaces(const std::vector<LabelFace>  &faces,
                                      const std::vector<CellStress> &stresses,
                                      const std::set<unsigned int>  &pore_labels,
                                      unsigned int n_slices, double z0, double slice_thickness,
                                      PolygonPiece *piece, MPI_Comm comm,
                                      const InterfaceStates *states)
  {
    InterfaceSummary result;
    result.contact_area_per_slice.assign(n_slices, 0.);

    DataArray pair{"phase_pair", 1, DataArray::Type::int32, {}};
    DataArray phase_a{"phase_a", 1, DataArray::Type::uint8, {}};
    DataArray phase_b{"phase_b", 1, DataArray::Type::uint8, {}};
    DataArray area{"area_m2", 1, DataArray::Type::float64, {}};
    DataArray traction{"normal_traction_Pa", 1, DataArray::Type::float64, {}};
    DataArray state{"contact_state", 1, DataArray::Type::int32, {}};
    DataArray flux{"li_flux_mol_per_m2_s", 1, DataArray::Type::float64, {}};

    for (const LabelFace &face : faces)
      {
        const unsigned int a = face.a, b = face.b;
        bool contact = pore_labels.count(a) == 0 && pore_labels.count(b) == 0;
        if (contact && states != nullptr && states->lost != nullptr)
          contact = (*states->lost)[face.face_a] == 0 && (*states->lost)[face.face_b] == 0;
        result.area[{a, b}] += face.area;
        if (contact)
          {
            result.contact_area[{a, b}] += face.area;
            long long k = static_cast<long long>(std::floor((face.z - z0) / slice_thickness));
            k           = std::clamp<long long>(k, 0, static_cast<long long>(n_slices) - 1);
            result.contact_area_per_slice[static_cast<std::size_t>(k)] += face.area;
          }
        if (piece == nullptr)
          continue;

        // Face normal +-e_axis: n.sigma.n = sigma_(axis,axis) for either sign.
        const double snn =
          0.5 * (stresses[face.cell_a][face.axis] + stresses[face.cell_b][face.axis]);
        const auto first = static_cast<std::int64_t>(piece->n_points());
        piece->points.insert(piece->points.end(), face.corners.begin(), face.corners.end());
        for (unsigned int k = 0; k < 4; ++k)
          piece->quads.push_back(first + k);
        pair.values.push_back(256. * a + b);
        phase_a.values.push_back(a);
        phase_b.values.push_back(b);
        area.values.push_back(face.area);
        traction.values.push_back(snn);
        const bool pressed =
          !contact && states != nullptr && states->closed_pore != nullptr &&
          ((pore_labels.count(a) && !pore_labels.count(b) && (*states->closed_pore)[face.cell_a]) ||
           (pore_labels.count(b) && !pore_labels.count(a) && (*states->closed_pore)[face.cell_b]));
        state.values.push_back(contact ? 1. : pressed ? 2. : 0.);
        if (states != nullptr && states->flux != nullptr)
          flux.values.push_back((*states->flux)[face.face_a] + (*states->flux)[face.face_b]);
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
