#include <solver/finite_strain/finite_strain_internal.h>

#include <mesh/voxel_mesh.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace solidanode
{
  using namespace dealii;
  using namespace finite_strain_internal;

  bool FiniteStrainSolver::cell_kernel(unsigned int cell, const double *u_local,
                                       bool want_force, Tangent tangent,
                                       double *history_new, CellOutput &out) const
  {
    const bool want_tangent = tangent != Tangent::none;
    double ue[n_cell_dof];
    const unsigned int *dofs = &cell_dofs_[n_cell_dof * cell];
    for (unsigned int i = 0; i < n_cell_dof; ++i)
      ue[i] = u_local[dofs[i]];
    constitutive::PointMaterial m = constitutive::evaluate(phases_[cell_phase_[cell]], x_[cell]);
    apply_band(cell, m);
    // Creep acts over the step being solved; the committed state is
    // re-evaluated without a time step (its flow is in the history).
    m.dt = at_committed_ ? 0. : dt_;
    const double *hn = &history_[std::size_t(cell) * cell_hist];
    // Pore cells are a linear elastic filler (small-strain stress of Grad u):
    // a constant SPD tangent, no inadmissible strain (docs/finite_strain.md).
    const bool linear_pore = kinematics_ == Kinematics::finite && phases_[cell_phase_[cell]].pore;
    const Kinematics kin = linear_pore ? Kinematics::small : kinematics_;
    const bool mean_dilatation = mean_dilatation_ && !linear_pore;

    if (want_force)
      std::fill(out.f, out.f + n_cell_dof, 0.);
    if (want_tangent)
      std::fill(out.K, out.K + n_cell_dof * n_cell_dof, 0.);
    out.cauchy.fill(0.);
    out.J = out.alpha = out.volume = 0.;

    constitutive::PointResponse r;
    double                      A[81], As[81], T[8 * 3 * 9];
    if (tangent == Tangent::reference)
      {
        // Small-strain elastic tangent of the cell's moduli, as dP/dF.
        constitutive::PointMaterial elastic = m;
        elastic.yield                       = std::numeric_limits<double>::infinity();
        double virgin[n_hist];
        constitutive::initial_history(Kinematics::small, virgin);
        constitutive::update(Kinematics::small, elastic,
                             constitutive::Tensor2{{1., 0., 0., 0., 1., 0., 0., 0., 1.}},
                             virgin, r, nullptr, A);
      }
    std::array<constitutive::Tensor2, n_qp> Fq;
    double                                  Jbar = 0.; // mean dilatation: mean det F
    for (unsigned int q = 0; q < n_qp; ++q)
      {
        const double *G = &grad_[24 * q];
        auto         &F = Fq[q];
        F               = {{1., 0., 0., 0., 1., 0., 0., 0., 1.}};
        for (unsigned int v = 0; v < 8; ++v)
          for (unsigned int i = 0; i < 3; ++i)
            for (unsigned int j = 0; j < 3; ++j)
              F[3 * i + j] += ue[3 * v + i] * G[3 * v + j];
        if (mean_dilatation)
          Jbar += constitutive::det(F) / n_qp; // equal weights on the voxel grid
      }
    if (mean_dilatation && !(Jbar > 0.))
      return false;
    // Mean dilatation: g_(v,i) = int cof(F)_ij dphi_v/dX_j dV = d(V Jbar)/du_(v,i).
    double g[n_cell_dof];
    if (mean_dilatation && tangent == Tangent::consistent)
      std::fill(g, g + n_cell_dof, 0.);
    for (unsigned int q = 0; q < n_qp; ++q)
      {
        const double *G = &grad_[24 * q];
        const auto   &F = Fq[q];
        if (linear_pore)
          {
            // No flow in a pore: a virgin small-strain history; the stored one is kept.
            static const double virgin[n_hist] = {};
            constitutive::update(kin, m, F, virgin, r, nullptr,
                                 tangent == Tangent::consistent ? A : nullptr);
            if (history_new)
              std::copy(hn + n_hist * q, hn + n_hist * (q + 1), history_new + n_hist * q);
          }
        else if (!constitutive::update(kin, m, F, hn + n_hist * q, r,
                                       history_new ? history_new + n_hist * q : nullptr,
                                       tangent == Tangent::consistent ? A : nullptr, Jbar))
          return false;
        if (mean_dilatation && tangent == Tangent::consistent)
          {
            const auto c = constitutive::cofactor(F);
            for (unsigned int v = 0; v < 8; ++v)
              for (unsigned int i = 0; i < 3; ++i)
                g[3 * v + i] += qp_weight_ * (c[3 * i] * G[3 * v] + c[3 * i + 1] * G[3 * v + 1] +
                                              c[3 * i + 2] * G[3 * v + 2]);
          }
        if (kin == Kinematics::finite && !(r.Je > 0.))
          return false;
        const auto &s = r.cauchy;
        out.cauchy[0] += s[0];
        out.cauchy[1] += s[4];
        out.cauchy[2] += s[8];
        out.cauchy[3] += s[5];
        out.cauchy[4] += s[2];
        out.cauchy[5] += s[1];
        out.J += r.J;
        out.alpha += r.alpha;
        out.volume += r.J * qp_weight_;
        if (want_force)
          for (unsigned int v = 0; v < 8; ++v)
            for (unsigned int i = 0; i < 3; ++i)
              out.f[3 * v + i] += qp_weight_ * (r.P[3 * i] * G[3 * v] + r.P[3 * i + 1] * G[3 * v + 1] +
                                                r.P[3 * i + 2] * G[3 * v + 2]);
        if (want_tangent)
          {
            // Symmetrised tangent (exact for hyperelastic points), times JxW.
            for (unsigned int a = 0; a < 9; ++a)
              for (unsigned int b = a; b < 9; ++b)
                As[9 * a + b] = As[9 * b + a] = 0.5 * qp_weight_ * (A[9 * a + b] + A[9 * b + a]);
            // T[v][i][kl] = sum_j G_vj As[ij][kl]
            for (unsigned int v = 0; v < 8; ++v)
              for (unsigned int i = 0; i < 3; ++i)
                for (unsigned int kl = 0; kl < 9; ++kl)
                  T[27 * v + 9 * i + kl] = G[3 * v] * As[9 * (3 * i) + kl] +
                                           G[3 * v + 1] * As[9 * (3 * i + 1) + kl] +
                                           G[3 * v + 2] * As[9 * (3 * i + 2) + kl];
            // K[(v,i)][(w,k)] += sum_l T[v][i][kl] G_wl (upper triangle)
            for (unsigned int row = 0; row < n_cell_dof; ++row)
              {
                const double *t = &T[9 * row];
                double       *K = &out.K[n_cell_dof * row];
                for (unsigned int col = row; col < n_cell_dof; ++col)
                  {
                    const unsigned int w = col / 3, k = col % 3;
                    K[col] += t[3 * k] * G[3 * w] + t[3 * k + 1] * G[3 * w + 1] +
                              t[3 * k + 2] * G[3 * w + 2];
                  }
              }
          }
      }
    if (mean_dilatation && tangent == Tangent::consistent)
      {
        // The change of the element pressure: dp/dJbar g g^T / V.
        const double c = r.dp_dJbar / (n_qp * qp_weight_);
        for (unsigned int row = 0; row < n_cell_dof; ++row)
          for (unsigned int col = row; col < n_cell_dof; ++col)
            out.K[n_cell_dof * row + col] += c * g[row] * g[col];
      }
    if (want_tangent)
      for (unsigned int row = 0; row < n_cell_dof; ++row)
        for (unsigned int col = 0; col < row; ++col)
          out.K[n_cell_dof * row + col] = out.K[n_cell_dof * col + row];
    for (auto &c : out.cauchy)
      c /= n_qp;
    out.J /= n_qp;
    out.alpha /= n_qp;
    return true;
  }


  double FiniteStrainSolver::residual(const PETScWrappers::MPI::Vector &u)
  {
    Vec  r     = handle(r_);
    bool valid = true;
    {
      LocalForm ul(handle(u)), rl(r);
      double   *rr = rl.data();
      std::fill(rr, rr + rl.size(), 0.);
      CellOutput out;
      const double p = top_ == TopCondition::pressure ? top_value_ * top_area_ratio_ : 0.;
      for (const unsigned int c : owned_cells_)
        {
          if (!cell_kernel(c, ul.data(), true, Tangent::none, nullptr, out))
            {
              if (newton_.verbose)
                std::printf("  rank %u: a point of a '%s' cell inverts\n",
                            Utilities::MPI::this_mpi_process(comm_),
                            phases_[cell_phase_[c]].name.c_str());
              valid = false;
              break;
            }
          add_top_pressure(c, p, out);
          const unsigned int *dofs = &cell_dofs_[n_cell_dof * c];
          for (unsigned int i = 0; i < n_cell_dof; ++i)
            rr[dofs[i]] += out.f[i];
        }
    }
    return finish_residual_vector(valid);
  }


  void FiniteStrainSolver::add_top_pressure(unsigned int c, double p, CellOutput &out) const
  {
    if (p != 0. && (cell_faces_[c] & (1u << boundary_id::top)) && !phases_[cell_phase_[c]].pore)
      for (unsigned int v = 0; v < 8; ++v)
        if (vertex_on_face(v, boundary_id::top))
          out.f[3 * v + 2] += p * face_area_[boundary_id::top] / 4.; // - f_ext
  }


  double FiniteStrainSolver::finish_residual_vector(bool valid)
  {
    Vec r = handle(r_);
    if (Utilities::MPI::min(valid ? 1u : 0u, comm_) == 0u)
      return -1.;
    check_petsc(VecGhostUpdateBegin(r, ADD_VALUES, SCATTER_REVERSE), "VecGhostUpdateBegin");
    check_petsc(VecGhostUpdateEnd(r, ADD_VALUES, SCATTER_REVERSE), "VecGhostUpdateEnd");
    {
      LocalForm rl(r);
      for (const unsigned int i : owned_constrained_)
        rl.data()[i] = 0.;
    }
    PetscReal norm = 0.;
    check_petsc(VecNorm(r, NORM_2, &norm), "VecNorm");
    return std::isfinite(norm) ? norm : -1.;
  }


  double FiniteStrainSolver::assemble_system(double lift, Tangent tangent)
  {
    Vec  r     = handle(r_);
    Mat  mat   = matrix_.petsc_matrix();
    bool valid = true;
    check_petsc(MatZeroEntries(mat), "MatZeroEntries");
    {
      LocalForm ul(handle(u_)), rl(r);
      double   *rr = rl.data();
      std::fill(rr, rr + rl.size(), 0.);
      CellOutput   out;
      PetscInt     rows[n_cell_dof];
      const double p = top_ == TopCondition::pressure ? top_value_ * top_area_ratio_ : 0.;
      for (const unsigned int c : owned_cells_)
        {
          if (!cell_kernel(c, ul.data(), true, tangent, nullptr, out))
            {
              valid = false;
              break;
            }
          add_top_pressure(c, p, out);
          const unsigned int *dofs = &cell_dofs_[n_cell_dof * c];
          bool                lifted = false;
          for (unsigned int i = 0; i < n_cell_dof; ++i)
            {
              const unsigned char kind = dof_kind_[dofs[i]];
              rows[i] = kind == 0 ? local_to_global_[dofs[i]] : -1;
              lifted  = lifted || (kind == 2 && lift != 0.);
            }
          for (unsigned int i = 0; i < n_cell_dof; ++i)
            {
              double b = -out.f[i];
              if (lifted)
                for (unsigned int j = 0; j < n_cell_dof; ++j)
                  if (dof_kind_[dofs[j]] == 2)
                    b -= out.K[n_cell_dof * i + j] * lift;
              rr[dofs[i]] += b;
            }
          check_petsc(MatSetValues(mat, n_cell_dof, rows, n_cell_dof, rows, out.K, ADD_VALUES),
                      "MatSetValues");
        }
    }
    for (const unsigned int i : owned_constrained_)
      check_petsc(MatSetValue(mat, local_to_global_[i], local_to_global_[i], diag_scale_,
                              ADD_VALUES),
                  "MatSetValue");
    check_petsc(MatAssemblyBegin(mat, MAT_FINAL_ASSEMBLY), "MatAssemblyBegin");
    check_petsc(MatAssemblyEnd(mat, MAT_FINAL_ASSEMBLY), "MatAssemblyEnd");
    return finish_residual_vector(valid);
  }


  void FiniteStrainSolver::copy_ghosted(PETScWrappers::MPI::Vector       &dst,
                                        const PETScWrappers::MPI::Vector &src) const
  {
    check_petsc(VecCopy(handle(src), handle(dst)), "VecCopy");
    ghost_update_forward(handle(dst));
  }
} // namespace solidanode
