// Cohesive bands of the finite-strain solver: which cells carry the band law
// and their damage state (solver/materials/cohesive_band.h).
#include <solver/finite_strain/finite_strain_internal.h>
#include <solver/materials/cohesive_band.h>

#include <cmath>
#include <memory>

namespace solidanode
{
  using namespace dealii;
  using namespace finite_strain_internal;

  double FiniteStrainSolver::band_thickness() const
  {
    return std::cbrt(h_[0] * h_[1] * h_[2]);
  }

  void FiniteStrainSolver::set_cohesive_bands(const std::vector<Band> &bands)
  {
    bands_ = bands;
    cell_band_.assign(bands.empty() ? 0 : tria_.n_active_cells(), -1);
    cell_band_normal_.assign(cell_band_.size(), {{0.f, 0.f, 1.f}});
    if (bands.size() > 127)
      throw std::invalid_argument("at most 127 cohesive interfaces");
    // A neighbour across face f that is present on this rank (not
    // artificial) and has material @p m; finer neighbours are its children.
    auto touches = [](const auto &cell, unsigned int f, unsigned int m) {
      if (cell->at_boundary(f))
        return false;
      const auto nb = cell->neighbor(f);
      if (!nb->has_children())
        return !nb->is_artificial() && nb->material_id() == m;
      for (unsigned int sf = 0; sf < nb->face(cell->neighbor_of_neighbor(f))->n_children(); ++sf)
        {
          const auto child = cell->neighbor_child_on_subface(f, sf);
          if (!child->is_artificial() && child->material_id() == m)
            return true;
        }
      return false;
    };
    for (const auto &cell : tria_.active_cell_iterators())
      if (cell->is_locally_owned() || cell->is_ghost())
        for (unsigned int b = 0; b < bands_.size() && cell_band_[cell->active_cell_index()] < 0;
             ++b)
          if (cell->material_id() == bands_[b].band)
            {
              // The interface normal: the sum of the outward normals of the
              // faces shared with the other phase (a staircase's mean
              // normal); the first such face's axis where they cancel.
              double       n[3] = {0., 0., 0.};
              int          first = -1;
              for (unsigned int f = 0; f < GeometryInfo<3>::faces_per_cell; ++f)
                if (touches(cell, f, bands_[b].phase))
                  {
                    n[f / 2] += f % 2 ? 1. : -1.;
                    first = first < 0 ? int(f / 2) : first;
                  }
              if (first < 0)
                continue;
              const unsigned int c    = cell->active_cell_index();
              const double       norm = std::sqrt(n[0] * n[0] + n[1] * n[1] + n[2] * n[2]);
              cell_band_[c]           = static_cast<signed char>(b);
              for (unsigned int i = 0; i < 3; ++i)
                cell_band_normal_[c][i] =
                  static_cast<float>(norm > 0. ? n[i] / norm : (int(i) == first ? 1. : 0.));
            }
  }

  void FiniteStrainSolver::apply_band(unsigned int cell, constitutive::PointMaterial &m) const
  {
    if (cell_band_.empty() || cell_band_[cell] < 0)
      return;
    const Band &b    = bands_[cell_band_[cell]];
    m.band_strength  = b.strength;
    m.band_energy    = b.fracture_energy;
    m.band_thickness = band_thickness();
    m.band_residual  = b.residual;
    for (unsigned int i = 0; i < 3; ++i)
      m.band_normal[i] = cell_band_normal_[cell][i];
  }

  void FiniteStrainSolver::cell_band_state(std::vector<double> *damage,
                                           std::vector<double> *debonded) const
  {
    const std::size_t n = tria_.n_active_cells();
    if (damage)
      damage->assign(n, 0.);
    if (debonded)
      debonded->assign(n, -1.);
    if (cell_band_.empty())
      return;
    for (const auto *list : {&owned_cells_, &ghost_cells_})
      for (const unsigned int c : *list)
        if (cell_band_[c] >= 0)
          {
            constitutive::PointMaterial m =
              constitutive::evaluate(phases_[cell_phase_[c]], x_committed_[c]);
            apply_band(c, m);
            const double epsf   = constitutive::band_law(m).epsf;
            double       d      = 0.;
            bool         broken = true;
            for (unsigned int q = 0; q < n_qp; ++q)
              {
                const double kappa = history_[std::size_t(c) * cell_hist + q * n_hist + 7];
                d += constitutive::band_damage(m, kappa) / n_qp;
                broken = broken && kappa >= epsf;
              }
            if (damage)
              (*damage)[c] = d;
            if (debonded)
              (*debonded)[c] = broken ? 1. : 0.;
          }
  }
} // namespace solidanode

namespace solidanode
{
  double FiniteStrainSolver::band_step_ratio() const
  {
    double worst = 0.;
    if (!cell_band_.empty())
      {
        std::vector<double> h(cell_hist);
        LocalForm           ul(handle(u_));
        auto                out = std::make_unique<CellOutput>();
        for (const unsigned int c : owned_cells_)
          if (cell_band_[c] >= 0 && cell_kernel(c, ul.data(), false, Tangent::none, h.data(), *out))
            {
              constitutive::PointMaterial m = constitutive::evaluate(phases_[cell_phase_[c]], x_[c]);
              apply_band(c, m);
              const auto law = constitutive::band_law(m);
              for (unsigned int q = 0; q < n_qp; ++q)
                {
                  const double kn = history_[std::size_t(c) * cell_hist + q * n_hist + 7];
                  const double k1 = h[q * n_hist + 7];
                  const double grown = std::max(k1, law.eps0) - std::max(kn, law.eps0);
                  worst = std::max(worst, grown / constitutive::band_kappa_step(law, kn));
                }
            }
      }
    return Utilities::MPI::max(worst, comm_);
  }
} // namespace solidanode
