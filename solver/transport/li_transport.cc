#include <solver/transport/li_transport.h>

#include <solver/elasticity/elastic_krylov.h>
#include <base/errors.h>

#include <deal.II/base/mpi.h>
#include <deal.II/dofs/dof_tools.h>
#include <deal.II/lac/dynamic_sparsity_pattern.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <sstream>
#include <stdexcept>

namespace solidanode
{
  using namespace dealii;

  namespace
  {
    /// Molar gas constant [J mol^-1 K^-1] (CODATA 2018, exact).
    constexpr double gas_constant = 8.314462618;

    /// Bernoulli function B(t) = t / (e^t - 1) of the Scharfetter-Gummel flux.
    double bernoulli(const double t)
    {
      if (std::abs(t) < 1e-12)
        return 1. - 0.5 * t;
      return t / std::expm1(t);
    }
  } // namespace


  LiTransport::LiTransport(const parallel::distributed::Triangulation<3> &tria,
                           const std::map<unsigned int, ActiveTransportPhase> &active,
                           const std::set<unsigned int> &electrolyte_labels,
                           const double temperature, const TransportSettings &settings)
    : tria_(tria)
    , comm_(tria.get_communicator())
    , phases_(active)
    , electrolyte_(electrolyte_labels)
    , RT_(gas_constant * temperature)
    , settings_(settings)
    , fe_(0)
    , dof_handler_(tria)
  {
    if (!(temperature > 0.) || !std::isfinite(temperature))
      throw std::invalid_argument("Li transport: the temperature must be > 0 K");
    for (const auto &[label, p] : phases_)
      {
        if (!(p.c_max > 0.) || !std::isfinite(p.c_max) || !(p.D0 > 0.) ||
            !std::isfinite(p.D0) || !std::isfinite(p.D_exponent) || !(p.Omega >= 0.) ||
            !std::isfinite(p.Omega))
          throw std::invalid_argument("Li transport: phase '" + p.name +
                                      "' needs c_max > 0, D0 > 0, finite k and Omega >= 0");
        if (electrolyte_.count(label) != 0)
          throw std::invalid_argument("Li transport: label " + std::to_string(label) +
                                      " is both active and electrolyte");
      }
    if (!(settings_.newton_tolerance > 0.) || !(settings_.linear_rtol > 0.))
      throw std::invalid_argument("Li transport: tolerances must be > 0");

    if (phases_.empty())
      {
        // Nothing stores Li (plating on a bare collector): no unknowns,
        // x = 0 everywhere, steps do nothing.
        cell_x_.assign(tria_.n_active_cells(), 0.);
        row_of_cell_.assign(tria_.n_active_cells(), -1);
        return;
      }
    dof_handler_.distribute_dofs(fe_);
    owned_ = dof_handler_.locally_owned_dofs();
    DoFTools::extract_locally_relevant_dofs(dof_handler_, relevant_);

    if (!settings_.petsc_options.empty())
      check_petsc(PetscOptionsInsertString(nullptr, settings_.petsc_options.c_str()),
                  "PetscOptionsInsertString (Li transport)");

    build_geometry();
    estimate_normals();
    committed_contact_.assign(faces_.size(), true);
    sync_cell_x();
  }

  LiTransport::~LiTransport()
  {
    if (ksp_cg_)
      KSPDestroy(&ksp_cg_);
    if (ksp_gmres_)
      KSPDestroy(&ksp_gmres_);
  }

  void LiTransport::sync_cell_x()
  {
    cell_x_.assign(tria_.n_active_cells(), 0.);
    for (unsigned int i = 0; i < cell_x_.size(); ++i)
      if (local_of_cell_[i] >= 0)
        cell_x_[i] = x_.local_element(local_of_cell_[i]);
  }

  void LiTransport::set_uniform(const unsigned int label, const double x)
  {
    if (phases_.count(label) == 0)
      throw std::invalid_argument("Li transport: label " + std::to_string(label) +
                                  " is not an active phase");
    for (const auto &row : rows_)
      if (row.phase == label)
        {
          x_.local_element(row.local)     = x;
          x_old_.local_element(row.local) = x;
        }
    x_.update_ghost_values();
    x_old_.update_ghost_values();
    sync_cell_x();
  }

  void LiTransport::commit()
  {
    if (phases_.empty())
      return;
    x_old_ = x_;
    x_old_.update_ghost_values();
    for (unsigned int i = 0; i < faces_.size(); ++i)
      committed_contact_[i] = faces_[i].in_contact;
  }

  void LiTransport::revert()
  {
    if (phases_.empty())
      return;
    x_ = x_old_;
    x_.update_ghost_values();
    for (unsigned int i = 0; i < faces_.size(); ++i)
      faces_[i].in_contact = committed_contact_[i];
    sync_cell_x();
  }

  double LiTransport::phase_sum(const unsigned int label, const bool weight_by_x) const
  {
    double sum = 0.;
    for (const auto &row : rows_)
      if (row.phase == label)
        sum += weight_by_x ? x_.local_element(row.local) : 1.;
    return Utilities::MPI::sum(sum, comm_) * volume_;
  }

  double LiTransport::total_li(const unsigned int label) const
  {
    return phases_.at(label).c_max * phase_sum(label, true);
  }

  double LiTransport::mean_x(const unsigned int label) const
  {
    const double v = phase_sum(label, false);
    const double xv = phase_sum(label, true);
    return v > 0. ? xv / v : 0.;
  }

  double LiTransport::interface_area(const unsigned int label, const bool in_contact_only) const
  {
    double a = 0.;
    for (const auto &f : faces_)
      if (f.label == label && (f.in_contact || !in_contact_only))
        a += f.weight * f.area;
    return Utilities::MPI::sum(a, comm_);
  }

  double LiTransport::staircase_area(const unsigned int label) const
  {
    double a = 0.;
    for (const auto &f : faces_)
      if (f.label == label)
        a += f.area;
    return Utilities::MPI::sum(a, comm_);
  }

  void LiTransport::assemble(const double dt, const TransportSource &source,
                             const std::vector<double> *sigma_h,
                             const std::map<unsigned int, double> &flux_per_area)
  {
    PetscScalar *rhs = nullptr;
    check_petsc(VecGetArray(rhs_, &rhs), "VecGetArray");
    const PetscInt n_owned = static_cast<PetscInt>(active_owned_.n_elements());
    std::fill(rhs, rhs + n_owned, 0.);

    std::vector<PetscInt>    cols;
    std::vector<PetscScalar> vals;
    for (const auto &row : rows_)
      {
        const auto  &p    = phases_.at(row.phase);
        const double c    = p.c_max;
        const double k    = p.D_exponent;
        const double xi   = x_.local_element(row.local);
        const double xo   = x_old_.local_element(row.local);
        const double phi_scale = (sigma_h != nullptr) ? p.Omega / RT_ : 0.;
        const double phi_i = phi_scale != 0. ? phi_scale * (*sigma_h)[row.cell] : 0.;
        double       R    = c * volume_ * (xi - xo) / dt;
        double       diag = c * volume_ / dt;
        cols.assign(1, static_cast<PetscInt>(row.dof));
        vals.assign(1, 0.);
        for (unsigned int j = row.first_neighbor; j < row.end_neighbor; ++j)
          {
            const Neighbor &nb    = neighbors_[j];
            const double    xj    = x_.local_element(nb.local);
            const double    phi_j = phi_scale != 0. ? phi_scale * (*sigma_h)[nb.cell] : 0.;
            const double    delta = phi_j - phi_i;
            const double    D     = k == 0. ? p.D0 : p.D0 * std::exp(k * 0.5 * (xi + xj));
            const double    g     = D * c * nb.conductance;
            const double    b_out = bernoulli(-delta), b_in = bernoulli(delta);
            const double    F     = g * (b_out * xi - b_in * xj); // i -> j [mol/s]
            R += F;
            diag += g * b_out + 0.5 * k * F;
            cols.push_back(static_cast<PetscInt>(nb.dof));
            vals.push_back(-g * b_in + 0.5 * k * F);
          }
        for (unsigned int f = row.first_face; f < row.end_face; ++f)
          {
            const InterfaceFace &face = faces_[f];
            if (!face.in_contact)
              continue;
            if (source.mode == SourceMode::galvanostatic)
              {
                const auto q = flux_per_area.find(row.phase);
                if (q != flux_per_area.end())
                  R -= q->second * face_factor_[f] * face.weight * face.area;
              }
            else if (source.mode == SourceMode::potentiostatic)
              {
                const double xs = source.surface_x;
                const double D  = k == 0. ? p.D0 : p.D0 * std::exp(k * 0.5 * (xs + xi));
                const double G  = D * c * surface_weight(face) * face.area /
                                 (0.5 * h_[face.face / 2]);
                const double S  = G * (xs - xi);
                R -= S;
                diag += G - 0.5 * k * S;
              }
          }
        // Rows scaled by dt / (c_max V): dimensionless, O(1) diagonal (the
        // raw entries can be ~1e-15, below PETSc's absolute zero-pivot
        // tolerance); a phase's rows share the factor, so symmetry stays.
        const double scale = dt / (c * volume_);
        vals[0]            = diag;
        for (auto &v : vals)
          v *= scale;
        rhs[row.local] = -R * scale;
        check_petsc(MatSetValues(matrix_.petsc_matrix(), 1, cols.data(),
                                 static_cast<PetscInt>(cols.size()), cols.data(),
                                 vals.data(), INSERT_VALUES),
                    "MatSetValues");
      }
    check_petsc(VecRestoreArray(rhs_, &rhs), "VecRestoreArray");
    check_petsc(MatAssemblyBegin(matrix_.petsc_matrix(), MAT_FINAL_ASSEMBLY), "MatAssemblyBegin");
    check_petsc(MatAssemblyEnd(matrix_.petsc_matrix(), MAT_FINAL_ASSEMBLY), "MatAssemblyEnd");
  }

  bool LiTransport::solve_linear(const bool symmetric, TransportStepStatistics &stats)
  {
    KSP &ksp = symmetric ? ksp_cg_ : ksp_gmres_;
    if (ksp == nullptr)
      {
        check_petsc(KSPCreate(comm_, &ksp), "KSPCreate");
        check_petsc(KSPSetOptionsPrefix(ksp, "li_"), "KSPSetOptionsPrefix");
        if (symmetric)
          {
            check_petsc(KSPSetType(ksp, KSPCG), "KSPSetType");
            check_petsc(KSPSetNormType(ksp, KSP_NORM_UNPRECONDITIONED), "KSPSetNormType");
          }
        else
          {
            // Right preconditioning: GMRES then monitors the true residual.
            check_petsc(KSPSetType(ksp, KSPGMRES), "KSPSetType");
            check_petsc(KSPGMRESSetRestart(ksp, 100), "KSPGMRESSetRestart");
            check_petsc(KSPSetPCSide(ksp, PC_RIGHT), "KSPSetPCSide");
          }
        check_petsc(KSPSetTolerances(ksp, settings_.linear_rtol, 1e-300, PETSC_DEFAULT,
                                     settings_.max_linear_iterations),
                    "KSPSetTolerances");
        // Default preconditioner: block Jacobi (one block per rank) with
        // ILU(0); on symmetric M-matrices ILU(0) equals incomplete Cholesky.
        PC pc;
        check_petsc(KSPGetPC(ksp, &pc), "KSPGetPC");
        check_petsc(PCSetType(pc, PCBJACOBI), "PCSetType");
        check_petsc(KSPSetFromOptions(ksp), "KSPSetFromOptions");
      }
    check_petsc(KSPSetOperators(ksp, matrix_.petsc_matrix(), matrix_.petsc_matrix()),
                "KSPSetOperators");
    delta_ = 0.;
    if (rhs_.linfty_norm() == 0.)
      return true;
    check_petsc(KSPSolve(ksp, rhs_, delta_), "KSPSolve (Li transport)");
    KSPConvergedReason reason;
    KSPGetConvergedReason(ksp, &reason);
    PetscInt its = 0;
    KSPGetIterationNumber(ksp, &its);
    stats.linear_iterations += static_cast<unsigned int>(its);
    if (reason < 0)
      {
        std::ostringstream msg;
        msg << "Li transport: linear solver did not converge (PETSc reason " << reason
            << " after " << its << " iterations)";
        stats.message = msg.str();
        return false;
      }
    return true;
  }

  bool LiTransport::galvanostatic_fluxes(const TransportSource          &source,
                                         std::map<unsigned int, double> &flux_per_area,
                                         TransportStepStatistics        &stats)
  {
    // Galvanostatic: molar flux per unit corrected in-contact area, times
    // the face's share factor (1, or its voxel's availability).
    face_factor_.assign(faces_.size(), 1.);
    if (source.mode == SourceMode::galvanostatic)
      for (const auto &[label, rate] : source.molar_rate)
        {
          if (phases_.count(label) == 0)
            throw CollectiveError("Li transport: a molar rate is given for label " +
                                  std::to_string(label) + ", which is not an active phase");
          const double area = interface_area(label, true);
          if (rate != 0. && !(area > 0.))
            throw CollectiveError("Li transport: phase '" + phases_.at(label).name +
                                  "' has no interface in contact with the electrolyte; "
                                  "it cannot take a current");
          double weighted = area;
          if (source.availability_weighting)
            {
              weighted = 0.;
              for (const auto &row : rows_)
                if (row.phase == label)
                  {
                    const double x0 = x_old_.local_element(row.local);
                    const double a  = std::clamp(rate > 0. ? 1. - x0 : x0, 0., 1.);
                    for (unsigned int f = row.first_face; f < row.end_face; ++f)
                      {
                        face_factor_[f] = a;
                        if (faces_[f].in_contact)
                          weighted += a * faces_[f].weight * faces_[f].area;
                      }
                  }
              weighted = Utilities::MPI::sum(weighted, comm_);
              if (rate != 0. && !(weighted > 1e-12 * area))
                {
                  // Every in-contact surface voxel is full (or empty): the
                  // phase cannot take this current. Reported as out of range.
                  x_ = x_old_;
                  x_.update_ghost_values();
                  sync_cell_x();
                  stats.converged = true;
                  stats.in_range  = false;
                  stats.message   = "Li transport: no capacity left at the in-contact surface of '" +
                                  phases_.at(label).name + "'";
                  return false;
                }
            }
          flux_per_area[label] = weighted > 0. ? rate / weighted : 0.;
        }
    return true;
  }

  void LiTransport::newton_solve(const double dt, const TransportSource &source,
                                 const std::vector<double>            *sigma_h,
                                 const std::map<unsigned int, double> &flux_per_area,
                                 TransportStepStatistics              &stats)
  {
    bool nonlinear = false, symmetric = true;
    for (const auto &[label, p] : phases_)
      {
        if (p.D_exponent != 0.)
          {
            nonlinear = true;
            symmetric = false;
          }
        if (sigma_h != nullptr && p.Omega != 0.)
          symmetric = false;
      }

    x_ = x_old_;
    x_.update_ghost_values();
    const unsigned int n_owned = active_owned_.n_elements();
    for (unsigned int it = 0; it < settings_.max_newton_iterations; ++it)
      {
        assemble(dt, source, sigma_h, flux_per_area);
        ++stats.iterations;
        if (!solve_linear(symmetric, stats))
          break;
        const PetscScalar *d = nullptr;
        check_petsc(VecGetArrayRead(delta_, &d), "VecGetArrayRead");
        double max_delta = 0.;
        for (unsigned int i = 0; i < n_owned; ++i)
          {
            x_.local_element(i) += d[i];
            max_delta = std::max(max_delta, std::abs(d[i]));
          }
        check_petsc(VecRestoreArrayRead(delta_, &d), "VecRestoreArrayRead");
        x_.update_ghost_values();
        max_delta = Utilities::MPI::max(max_delta, comm_);
        if (!std::isfinite(max_delta))
          {
            stats.message = "Li transport: the Newton update is not finite";
            break;
          }
        if (!nonlinear || max_delta < settings_.newton_tolerance)
          {
            stats.converged = true;
            break;
          }
      }
    if (!stats.converged && stats.message.empty())
      stats.message = "Li transport: Newton did not converge in " +
                      std::to_string(settings_.max_newton_iterations) + " iterations";
  }

  double LiTransport::record_interface_fluxes(const double dt, const TransportSource &source,
                                              const std::map<unsigned int, double> &flux_per_area)
  {
    // Interface fluxes at the final state.
    double inserted = 0.;
    for (const auto &row : rows_)
      for (unsigned int f = row.first_face; f < row.end_face; ++f)
        {
          InterfaceFace &face = faces_[f];
          face.molar_rate     = 0.;
          if (face.in_contact)
            {
              if (source.mode == SourceMode::galvanostatic)
                {
                  const auto q = flux_per_area.find(row.phase);
                  if (q != flux_per_area.end())
                    face.molar_rate = q->second * face_factor_[f] * face.weight * face.area;
                }
              else if (source.mode == SourceMode::potentiostatic)
                {
                  const auto  &p  = phases_.at(row.phase);
                  const double xi = x_.local_element(row.local);
                  const double xs = source.surface_x;
                  const double D  = p.D_exponent == 0. ?
                                      p.D0 :
                                      p.D0 * std::exp(p.D_exponent * 0.5 * (xs + xi));
                  face.molar_rate = D * p.c_max * surface_weight(face) * face.area /
                                    (0.5 * h_[face.face / 2]) * (xs - xi);
                }
            }
          face.flux_density = face.molar_rate / (face.weight * face.area);
          inserted += face.molar_rate * dt;
        }
    return inserted;
  }

  void LiTransport::record_x_range(TransportStepStatistics &stats) const
  {
    double lo = 1e300, hi = -1e300;
    for (const auto &row : rows_)
      {
        lo = std::min(lo, x_.local_element(row.local));
        hi = std::max(hi, x_.local_element(row.local));
      }
    stats.min_x    = -Utilities::MPI::max(-lo, comm_);
    stats.max_x    = Utilities::MPI::max(hi, comm_);
    if (stats.max_x < stats.min_x) // no active cell at all
      stats.min_x = stats.max_x = 0.;
    stats.in_range = stats.min_x >= 0. && stats.max_x <= 1.;
  }

  TransportStepStatistics LiTransport::step(const double dt, const TransportSource &source,
                                            const std::vector<double> *sigma_h)
  {
    const auto start = std::chrono::steady_clock::now();
    if (!(dt > 0.) || !std::isfinite(dt))
      throw std::invalid_argument("Li transport: the time step must be > 0");
    if (sigma_h != nullptr && sigma_h->size() != tria_.n_active_cells())
      throw std::invalid_argument("Li transport: sigma_h must have one entry per active cell");
    TransportStepStatistics stats;
    if (phases_.empty()) // nothing stores Li (e.g. plating on a bare collector)
      {
        stats.converged = true;
        return stats;
      }

    std::map<unsigned int, double> flux_per_area;
    if (!galvanostatic_fluxes(source, flux_per_area, stats))
      return stats;
    newton_solve(dt, source, sigma_h, flux_per_area, stats);
    const double inserted = record_interface_fluxes(dt, source, flux_per_area);
    stats.inserted        = Utilities::MPI::sum(inserted, comm_);
    record_x_range(stats);
    sync_cell_x();
    stats.seconds = Utilities::MPI::max(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), comm_);
    return stats;
  }

  unsigned int LiTransport::update_contact(const std::vector<CellStress> &stress,
                                           const double tensile_strength,
                                           const double regain_pressure,
                                           const std::vector<double> *debonded)
  {
    if (stress.size() != tria_.n_active_cells() ||
        (debonded && debonded->size() != tria_.n_active_cells()))
      throw std::invalid_argument("Li transport: one stress per active cell expected");
    if (!(regain_pressure >= 0.))
      throw std::invalid_argument("Li transport: regain_pressure must be >= 0");
    unsigned int changes = 0;
    for (unsigned int i = 0; i < faces_.size(); ++i)
      {
        // The traction is continuous across the interface, but a voxel's
        // average stress also holds the tangential (hoop) stresses, which in
        // a lithiated active particle reach GPa and leak into n.sigma.n
        // through the error of the estimated normal. The electrolyte-side
        // voxel (softer, not swelling) carries much smaller tangential
        // stresses, so its stress is used.
        InterfaceFace    &face = faces_[i];
        const CellStress &s    = stress[face_neighbor_cell_[i]];
        const auto  &n  = face.normal;
        const double tn = n[0] * n[0] * s[0] + n[1] * n[1] * s[1] + n[2] * n[2] * s[2] +
                          2. * (n[1] * n[2] * s[3] + n[0] * n[2] * s[4] + n[0] * n[1] * s[5]);
        if (debonded)
          {
            const double a = (*debonded)[face.cell], b = (*debonded)[face_neighbor_cell_[i]];
            if (a >= 0. || b >= 0.) // a cohesive band decides
              {
                const bool open = std::max(a, b) == 1. && tn > -regain_pressure;
                changes += face.in_contact == open;
                face.in_contact = !open;
                continue;
              }
          }
        if (face.in_contact && tn > tensile_strength)
          {
            face.in_contact = false;
            ++changes;
          }
        else if (!face.in_contact && tn < -regain_pressure)
          {
            face.in_contact = true;
            ++changes;
          }
      }
    return static_cast<unsigned int>(Utilities::MPI::sum(changes, comm_));
  }

  std::vector<double>
  LiTransport::pack_cell_state(const Triangulation<3>::cell_iterator &cell) const
  {
    std::vector<double> data(7, -1.);
    const unsigned int  idx = cell->active_cell_index();
    data[0]                 = cell_x_[idx];
    const int r             = row_of_cell_[idx];
    if (r >= 0)
      for (unsigned int f = rows_[r].first_face; f < rows_[r].end_face; ++f)
        data[1 + faces_[f].face] = faces_[f].in_contact ? 1. : 0.;
    return data;
  }

  void LiTransport::unpack_cell_state(const Triangulation<3>::cell_iterator &cell,
                                      const std::vector<double>             &data)
  {
    if (data.size() != 7)
      throw std::invalid_argument("Li transport: a cell state has 7 values");
    const int r = row_of_cell_[cell->active_cell_index()];
    if (r < 0)
      return;
    x_.local_element(rows_[r].local) = data[0];
    for (unsigned int f = rows_[r].first_face; f < rows_[r].end_face; ++f)
      if (data[1 + faces_[f].face] >= 0.)
        faces_[f].in_contact = data[1 + faces_[f].face] > 0.5;
  }

  void LiTransport::finish_unpack()
  {
    if (phases_.empty())
      return;
    x_.update_ghost_values();
    commit();
    sync_cell_x();
  }

  void LiTransport::set_temperature(const double temperature)
  {
    if (!(temperature > 0.) || !std::isfinite(temperature))
      throw std::invalid_argument("Li transport: the temperature must be > 0 K");
    RT_ = gas_constant * temperature;
  }
} // namespace solidanode
