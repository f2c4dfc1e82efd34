#include <solver/transport/li_transport.h>

#include <solver/elasticity/elastic_krylov.h>
#include <base/errors.h>

#include <deal.II/base/mpi.h>
#include <deal.II/dofs/dof_tools.h>
#include <deal.II/lac/dynamic_sparsity_pattern.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <unordered_map>

namespace solidanode
{
  using namespace dealii;

  void LiTransport::build_geometry()
  {
    // Voxel size from the owned cells (all cells are the same box).
    std::array<double, 3> h{{0., 0., 0.}};
    for (const auto &cell : tria_.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          for (unsigned int d = 0; d < 3; ++d)
            h[d] = cell->extent_in_direction(d);
          break;
        }
    for (unsigned int d = 0; d < 3; ++d)
      h_[d] = Utilities::MPI::max(h[d], comm_);
    for (const auto &cell : tria_.active_cell_iterators())
      if (cell->is_locally_owned())
        for (unsigned int d = 0; d < 3; ++d)
          if (std::abs(cell->extent_in_direction(d) - h_[d]) > 1e-10 * h_[d])
            throw std::logic_error("Li transport: cells are not identical voxels");
    volume_ = h_[0] * h_[1] * h_[2];
    const std::array<double, 3> face_area{{h_[1] * h_[2], h_[0] * h_[2], h_[0] * h_[1]}};

    // Index of every owned and ghost cell in the one-value-per-cell
    // (FE_DGQ(0)) vectors, used to send values to ghost cells.
    LinearAlgebra::distributed::Vector<double> cell_values(owned_, relevant_, comm_);
    all_local_.assign(tria_.n_active_cells(), -1);
    std::vector<types::global_dof_index> dofs(1);
    for (const auto &cell : dof_handler_.active_cell_iterators())
      if (!cell->is_artificial())
        {
          cell->get_dof_indices(dofs);
          all_local_[cell->active_cell_index()] =
            static_cast<int>(cell_values.get_partitioner()->global_to_local(dofs[0]));
        }

    // Unknowns only in the cells of active phases (often ~20 % of the
    // image): numbered consecutively per rank, the numbers sent to ghosts.
    unsigned long long n_local = 0;
    for (const auto &cell : tria_.active_cell_iterators())
      if (cell->is_locally_owned() && phases_.count(cell->material_id()) != 0)
        ++n_local;
    unsigned long long offset = 0;
    MPI_Exscan(&n_local, &offset, 1, MPI_UNSIGNED_LONG_LONG, MPI_SUM, comm_);
    if (Utilities::MPI::this_mpi_process(comm_) == 0)
      offset = 0;
    const unsigned long long n_total = Utilities::MPI::sum(n_local, comm_);
    {
      unsigned long long next = offset;
      for (const auto &cell : tria_.active_cell_iterators())
        if (cell->is_locally_owned())
          cell_values.local_element(all_local_[cell->active_cell_index()]) =
            phases_.count(cell->material_id()) != 0 ? static_cast<double>(next++) : -1.;
      cell_values.update_ghost_values();
    }
    std::vector<long long> unknown_of_cell(tria_.n_active_cells(), -1);
    active_owned_ = IndexSet(n_total);
    active_owned_.add_range(offset, offset + n_local);
    active_relevant_ = active_owned_;
    for (const auto &cell : tria_.active_cell_iterators())
      if (!cell->is_artificial())
        {
          const double v = cell_values.local_element(all_local_[cell->active_cell_index()]);
          if (v >= 0.)
            {
              unknown_of_cell[cell->active_cell_index()] = static_cast<long long>(v);
              active_relevant_.add_index(static_cast<types::global_dof_index>(v));
            }
        }
    active_relevant_.compress();
    x_.reinit(active_owned_, active_relevant_, comm_);
    x_old_.reinit(active_owned_, active_relevant_, comm_);
    local_of_cell_.assign(tria_.n_active_cells(), -1);
    std::vector<types::global_dof_index> dof_of_cell(tria_.n_active_cells(), 0);
    for (unsigned int i = 0; i < tria_.n_active_cells(); ++i)
      if (unknown_of_cell[i] >= 0)
        {
          dof_of_cell[i]    = static_cast<types::global_dof_index>(unknown_of_cell[i]);
          local_of_cell_[i] = static_cast<int>(x_.get_partitioner()->global_to_local(dof_of_cell[i]));
        }

    // Rows: the owned cells of active phases; their same-phase neighbours
    // and their interface faces with the electrolyte.
    DynamicSparsityPattern dsp(active_relevant_);
    row_of_cell_.assign(tria_.n_active_cells(), -1);
    for (const auto &cell : tria_.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          const unsigned int idx   = cell->active_cell_index();
          const unsigned int label = cell->material_id();
          if (phases_.count(label) == 0)
            continue;
          const auto dof = dof_of_cell[idx];
          dsp.add(dof, dof);
          Row row;
          row.cell           = idx;
          row.local          = static_cast<unsigned int>(local_of_cell_[idx]);
          row.dof            = dof;
          row.phase          = label;
          row.first_neighbor = static_cast<unsigned int>(neighbors_.size());
          row.first_face     = static_cast<unsigned int>(faces_.size());
          for (unsigned int f = 0; f < 6; ++f)
            {
              if (cell->at_boundary(f))
                continue;
              const auto nb = cell->neighbor(f);
              if (!nb->is_active())
                throw std::logic_error("Li transport: the voxel mesh is not uniform");
              const unsigned int nb_idx   = nb->active_cell_index();
              const unsigned int nb_label = nb->material_id();
              const unsigned int axis     = f / 2;
              if (nb_label == label)
                {
                  neighbors_.push_back({static_cast<unsigned int>(local_of_cell_[nb_idx]),
                                        dof_of_cell[nb_idx], nb_idx,
                                        face_area[axis] / h_[axis]});
                  dsp.add(dof, dof_of_cell[nb_idx]);
                }
              else if (electrolyte_.count(nb_label) != 0)
                {
                  InterfaceFace face;
                  face.cell           = idx;
                  face.face           = f;
                  face.label          = label;
                  face.neighbor_label = nb_label;
                  face.area           = face_area[axis];
                  face.normal[axis]   = (f % 2 == 0) ? -1. : 1.;
                  faces_.push_back(face);
                  face_neighbor_cell_.push_back(nb_idx);
                }
            }
          row.end_neighbor = static_cast<unsigned int>(neighbors_.size());
          row.end_face     = static_cast<unsigned int>(faces_.size());
          row_of_cell_[idx] = static_cast<int>(rows_.size());
          rows_.push_back(row);
        }

    matrix_.reinit(active_owned_, active_owned_, dsp, comm_);
    rhs_.reinit(active_owned_, comm_);
    delta_.reinit(active_owned_, comm_);
  }

  void LiTransport::estimate_normals()
  {
    // Integer voxel coordinates of all non-artificial cells.
    std::array<double, 3> lo{{1e300, 1e300, 1e300}};
    for (const auto &cell : tria_.active_cell_iterators())
      if (cell->is_locally_owned())
        for (unsigned int d = 0; d < 3; ++d)
          lo[d] = std::min(lo[d], cell->center()[d]);
    std::array<long, 3> n{{0, 0, 0}};
    for (unsigned int d = 0; d < 3; ++d)
      lo[d] = -Utilities::MPI::max(-lo[d], comm_);
    auto coords = [&](const Point<3> &c) {
      return std::array<long, 3>{{std::lround((c[0] - lo[0]) / h_[0]),
                                  std::lround((c[1] - lo[1]) / h_[1]),
                                  std::lround((c[2] - lo[2]) / h_[2])}};
    };
    for (const auto &cell : tria_.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          const auto ijk = coords(cell->center());
          for (unsigned int d = 0; d < 3; ++d)
            n[d] = std::max(n[d], ijk[d] + 1);
        }
    for (unsigned int d = 0; d < 3; ++d)
      n[d] = static_cast<long>(Utilities::MPI::max(static_cast<double>(n[d]), comm_));
    auto key = [&](const std::array<long, 3> &ijk) {
      return static_cast<std::uint64_t>(ijk[0]) +
             static_cast<std::uint64_t>(n[0]) *
               (static_cast<std::uint64_t>(ijk[1]) +
                static_cast<std::uint64_t>(n[1]) * static_cast<std::uint64_t>(ijk[2]));
    };
    std::unordered_map<std::uint64_t, unsigned int> cell_at;
    std::vector<unsigned int> label_of(tria_.n_active_cells(), 0);
    std::vector<std::array<long, 3>> ijk_of(tria_.n_active_cells());
    cell_at.reserve(tria_.n_active_cells());
    for (const auto &cell : tria_.active_cell_iterators())
      if (!cell->is_artificial())
        {
          const auto ijk = coords(cell->center());
          cell_at[key(ijk)]                     = cell->active_cell_index();
          label_of[cell->active_cell_index()]   = cell->material_id();
          ijk_of[cell->active_cell_index()]     = ijk;
        }
    // Cell at (i, j, k), clamped to the image (the outermost layer repeats,
    // as in the morphology estimator: a mirror plane at the box faces).
    auto at = [&](std::array<long, 3> ijk) {
      for (unsigned int d = 0; d < 3; ++d)
        ijk[d] = std::clamp(ijk[d], 0L, n[d] - 1);
      const auto it = cell_at.find(key(ijk));
      if (it == cell_at.end())
        throw std::logic_error("Li transport: voxel outside the ghost layer");
      return it->second;
    };

    // Box-smoothed indicator of each active phase (3x3x3 mean) on owned
    // cells, then on ghosts; normals from its gradient at the face centres.
    LinearAlgebra::distributed::Vector<double> smooth(owned_, relevant_, comm_);
    for (const auto &[label, phase] : phases_)
      {
        bool needed = false;
        for (const auto &f : faces_)
          needed = needed || f.label == label;
        smooth = 0.;
        if (Utilities::MPI::max(needed ? 1 : 0, comm_) == 0)
          continue;
        for (const auto &cell : tria_.active_cell_iterators())
          if (cell->is_locally_owned())
            {
              const auto c     = ijk_of[cell->active_cell_index()];
              int        count = 0;
              for (long dk = -1; dk <= 1; ++dk)
                for (long dj = -1; dj <= 1; ++dj)
                  for (long di = -1; di <= 1; ++di)
                    count += label_of[at({{c[0] + di, c[1] + dj, c[2] + dk}})] == label;
              smooth.local_element(all_local_[cell->active_cell_index()]) = count / 27.;
            }
        smooth.update_ghost_values();
        auto s = [&](const std::array<long, 3> &ijk) {
          return smooth.local_element(all_local_[at(ijk)]);
        };
        for (auto &face : faces_)
          if (face.label == label)
            {
              const unsigned int  axis = face.face / 2;
              const long          sign = (face.face % 2 == 0) ? -1 : 1;
              const auto          a    = ijk_of[face.cell];
              std::array<long, 3> b    = a;
              b[axis] += sign;
              Tensor<1, 3> grad;
              grad[axis] = sign * (s(b) - s(a)) / h_[axis];
              for (unsigned int t = 0; t < 3; ++t)
                if (t != axis)
                  {
                    auto ap = a, am = a, bp = b, bm = b;
                    ++ap[t];
                    --am[t];
                    ++bp[t];
                    --bm[t];
                    grad[t] = (s(ap) - s(am) + s(bp) - s(bm)) / (4. * h_[t]);
                  }
              const double norm = grad.norm();
              if (norm > 1e-12 / h_[axis])
                for (unsigned int d = 0; d < 3; ++d)
                  face.normal[d] = -grad[d] / norm;
              // else: keep the axis normal.
              const double l1 = std::abs(face.normal[0]) + std::abs(face.normal[1]) +
                                std::abs(face.normal[2]);
              face.weight = settings_.area_correction ? 1. / l1 : 1.;
            }
      }
  }
} // namespace solidanode
