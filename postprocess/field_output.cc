#include <postprocess/field_output.h>

namespace solidanode
{
  UnstructuredPiece make_elasticity_piece(const OwnedVoxels           &voxels,
                                          const CellFields            &cell_fields,
                                          const std::set<std::string> &fields,
                                          bool                         float32)
  {
    const auto &stresses = *cell_fields.stress;
    auto wanted = [&](const char *name) { return fields.empty() || fields.count(name) > 0; };
    const auto real = float32 ? DataArray::Type::float32 : DataArray::Type::float64;

    UnstructuredPiece piece;
    piece.points    = voxels.points;
    piece.hexahedra = voxels.hexahedra;
    DataArray displacement{"displacement_m", 3, real, voxels.displacement};
    DataArray phase{"phase", 1, DataArray::Type::uint8, {}};
    DataArray mpi_rank{"mpi_rank", 1, DataArray::Type::int32, {}};
    DataArray stress{"cauchy_stress_Pa", 6, real, {}};
    DataArray vm{"von_mises_Pa", 1, real, {}};
    DataArray hydro{"hydrostatic_stress_Pa", 1, real, {}};
    DataArray volumetric{"volumetric_strain", 1, real, {}};
    DataArray porosity{"local_porosity", 1, DataArray::Type::float32, {}};
    std::vector<DataArray> extra;
    for (const auto &e : cell_fields.extra)
      extra.push_back(DataArray{e.array, 1, real, {}});

    for (std::size_t k = 0; k < voxels.n_cells(); ++k)
      {
        const std::size_t c = voxels.cell[k];
        const CellStress &s = stresses[c];
        phase.values.push_back(voxels.label[k]);
        mpi_rank.values.push_back(voxels.rank);
        // Voigt xx yy zz yz xz xy -> VTK's symmetric tensor order
        // xx yy zz xy yz xz (ParaView shows 6 components as a symmetric tensor)
        const double t[6] = {s[0], s[1], s[2], s[5], s[3], s[4]};
        stress.values.insert(stress.values.end(), t, t + 6);
        vm.values.push_back(von_mises(s));
        hydro.values.push_back(hydrostatic(s));
        if (cell_fields.volumetric_strain)
          volumetric.values.push_back((*cell_fields.volumetric_strain)[c]);
        if (cell_fields.local_porosity)
          porosity.values.push_back((*cell_fields.local_porosity)[c]);
        for (std::size_t e = 0; e < extra.size(); ++e)
          extra[e].values.push_back((*cell_fields.extra[e].values)[c]);
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
