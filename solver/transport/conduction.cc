#include <solver/transport/conduction.h>
#include <solver/elasticity/elastic_krylov.h>

#include <base/errors.h>

#include <deal.II/base/function.h>
#include <deal.II/base/quadrature_lib.h>
#include <deal.II/dofs/dof_tools.h>
#include <deal.II/fe/fe_values.h>
#include <deal.II/lac/dynamic_sparsity_pattern.h>
#include <deal.II/lac/full_matrix.h>
#include <deal.II/lac/sparsity_tools.h>
#include <deal.II/numerics/vector_tools.h>

#include <petscksp.h>

#include <cmath>
#include <set>
#include <sstream>
#include <stdexcept>

namespace solidanode
{
  using namespace dealii;


  ConductionSolver::ConductionSolver(
    const parallel::distributed::Triangulation<3> &tria,
    const std::map<unsigned int, double>          &sigma,
    const LinearSolverSettings                    &settings)
    : tria_(tria)
    , comm_(tria.get_communicator())
    , sigma_(sigma)
    , settings_(settings)
    , fe_(1)
    , dof_handler_(tria)
  {
    for (const auto &[id, s] : sigma_)
      if (!(s > 0.) || !std::isfinite(s))
        throw std::invalid_argument("conduction: label " + std::to_string(id) +
                                    " needs a positive conductivity");
    for (const auto &cell : tria_.active_cell_iterators())
      if (cell->is_locally_owned() && sigma_.count(cell->material_id()) == 0)
        throw std::invalid_argument("conduction: no conductivity for label " +
                                    std::to_string(cell->material_id()));
    dof_handler_.distribute_dofs(fe_);
    locally_owned_ = dof_handler_.locally_owned_dofs();
    DoFTools::extract_locally_relevant_dofs(dof_handler_, locally_relevant_);
    ghosted_solution_.reinit(locally_owned_, locally_relevant_, comm_);

    // Unit element (exact with 2-point Gauss for a Q1 box).
    const unsigned int n = fe_.n_dofs_per_cell();
    unit_matrix_.reinit(n, n);
    mean_gradient_.assign(n, Tensor<1, 3>());
    const QGauss<3> q(2);
    FEValues<3>     fv(fe_, q, update_gradients | update_JxW_values);
    bool            have_cell = false;
    for (const auto &cell : dof_handler_.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          fv.reinit(cell);
          double volume = 0.;
          for (unsigned int k = 0; k < q.size(); ++k)
            {
              volume += fv.JxW(k);
              for (unsigned int i = 0; i < n; ++i)
                {
                  mean_gradient_[i] += fv.shape_grad(i, k) * fv.JxW(k);
                  for (unsigned int j = 0; j < n; ++j)
                    unit_matrix_(i, j) +=
                      fv.shape_grad(i, k) * fv.shape_grad(j, k) * fv.JxW(k);
                }
            }
          for (auto &g : mean_gradient_)
            g /= volume;
          for (unsigned int d = 0; d < 3; ++d)
            extent_[d] = cell->extent_in_direction(d);
          have_cell = true;
          break;
        }
    if (!have_cell)
      throw std::runtime_error("conduction: a rank owns no cell; use fewer ranks");
    for (const auto &cell : tria_.active_cell_iterators())
      if (cell->is_locally_owned())
        for (unsigned int d = 0; d < 3; ++d)
          if (std::abs(cell->extent_in_direction(d) - extent_[d]) > 1e-10 * extent_[d])
            throw std::logic_error("conduction: cells are not identical voxels");
  }

  ConductionSolver::~ConductionSolver() = default;

  ConductionResult ConductionSolver::solve(const unsigned int direction)
  {
    AssertThrow(direction < 3, ExcMessage("direction must be 0, 1 or 2"));
    const types::boundary_id inlet = 2 * direction, outlet = 2 * direction + 1;

    AffineConstraints<double> constraints(locally_relevant_);
    VectorTools::interpolate_boundary_values(dof_handler_, inlet,
                                             Functions::ConstantFunction<3>(1.),
                                             constraints);
    VectorTools::interpolate_boundary_values(dof_handler_, outlet,
                                             Functions::ZeroFunction<3>(),
                                             constraints);
    constraints.close();

    PETScWrappers::MPI::SparseMatrix matrix;
    PETScWrappers::MPI::Vector rhs(locally_owned_, comm_),
      solution(locally_owned_, comm_);
    assemble_system(constraints, matrix, rhs);

    ConductionResult result;
    result.direction = direction;
    solve_linear_system(matrix, rhs, solution, result);
    constraints.distribute(solution);
    ghosted_solution_ = solution;

    measure_currents(direction, result);
    const std::array<double, 3> L = box_lengths();
    const double length = L[direction];
    const double area   = L[0] * L[1] * L[2] / length;
    result.sigma_eff    = result.current_in * length / area; // dphi = 1 V
    return result;
  }

  void ConductionSolver::assemble_system(const AffineConstraints<double> &constraints,
                                         PETScWrappers::MPI::SparseMatrix &matrix,
                                         PETScWrappers::MPI::Vector       &rhs) const
  {
    DynamicSparsityPattern dsp(locally_relevant_);
    DoFTools::make_sparsity_pattern(dof_handler_, dsp, constraints, false);
    SparsityTools::distribute_sparsity_pattern(dsp, locally_owned_, comm_,
                                               locally_relevant_);
    matrix.reinit(locally_owned_, locally_owned_, dsp, comm_);

    const unsigned int                   n = fe_.n_dofs_per_cell();
    FullMatrix<double>                   cell_matrix(n, n);
    Vector<double>                       cell_rhs(n);
    std::vector<types::global_dof_index> dofs(n);
    for (const auto &cell : dof_handler_.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          cell_matrix = unit_matrix_;
          cell_matrix *= sigma_.at(cell->material_id());
          cell_rhs = 0;
          cell->get_dof_indices(dofs);
          constraints.distribute_local_to_global(cell_matrix, cell_rhs, dofs,
                                                 matrix, rhs);
        }
    matrix.compress(VectorOperation::add);
    rhs.compress(VectorOperation::add);
  }

  void ConductionSolver::solve_linear_system(PETScWrappers::MPI::SparseMatrix &matrix,
                                             const PETScWrappers::MPI::Vector &rhs,
                                             PETScWrappers::MPI::Vector       &solution,
                                             ConductionResult                 &result) const
  {
    KSP ksp = nullptr;
    check_petsc(KSPCreate(comm_, &ksp), "KSPCreate");
    try
      {
        setup_cg_gamg(ksp, matrix.petsc_matrix(), settings_, /*nonzero_initial_guess=*/false);
        apply_petsc_options(ksp, settings_);
        check_petsc(KSPSolve(ksp, rhs, solution), "KSPSolve");
        KSPConvergedReason reason;
        KSPGetConvergedReason(ksp, &reason);
        PetscInt its = 0;
        KSPGetIterationNumber(ksp, &its);
        PetscReal rnorm = 0;
        KSPGetResidualNorm(ksp, &rnorm);
        const double bnorm       = rhs.l2_norm();
        result.iterations        = static_cast<unsigned int>(its);
        result.relative_residual = bnorm > 0 ? rnorm / bnorm : rnorm;
        if (reason < 0)
          {
            std::ostringstream msg;
            msg << "conduction: linear solver did not converge (PETSc reason "
                << reason << " after " << its << " iterations, relative residual "
                << result.relative_residual << ")";
            throw CollectiveError(msg.str());
          }
      }
    catch (...)
      {
        KSPDestroy(&ksp);
        throw;
      }
    KSPDestroy(&ksp);
  }

  void ConductionSolver::measure_currents(const unsigned int direction,
                                          ConductionResult  &result) const
  {
    // Reactions r = K phi of the unconstrained operator, and the volume
    // average of the current density.
    const types::boundary_id inlet = 2 * direction, outlet = 2 * direction + 1;
    const unsigned int                   n = fe_.n_dofs_per_cell();
    std::vector<types::global_dof_index> dofs(n);
    PETScWrappers::MPI::Vector reaction(locally_owned_, comm_);
    Vector<double>             local_phi(n), local_r(n);
    std::set<types::global_dof_index> inlet_dofs, outlet_dofs;
    std::vector<types::global_dof_index> face_dofs(fe_.n_dofs_per_face());
    double mean_j = 0.;
    for (const auto &cell : dof_handler_.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          cell->get_dof_indices(dofs);
          for (unsigned int i = 0; i < n; ++i)
            local_phi(i) = ghosted_solution_(dofs[i]);
          const double s = sigma_.at(cell->material_id());
          unit_matrix_.vmult(local_r, local_phi);
          local_r *= s;
          reaction.add(dofs, local_r);
          double g = 0.;
          for (unsigned int i = 0; i < n; ++i)
            g += local_phi(i) * mean_gradient_[i][direction];
          mean_j += -s * g;
          for (const unsigned int f : cell->face_indices())
            if (cell->at_boundary(f) &&
                (cell->face(f)->boundary_id() == inlet ||
                 cell->face(f)->boundary_id() == outlet))
              {
                cell->face(f)->get_dof_indices(face_dofs);
                auto &target =
                  cell->face(f)->boundary_id() == inlet ? inlet_dofs : outlet_dofs;
                for (const auto dof : face_dofs)
                  if (locally_owned_.is_element(dof))
                    target.insert(dof);
              }
        }
    reaction.compress(VectorOperation::add);
    double in = 0., out = 0.;
    for (const auto dof : inlet_dofs)
      in += reaction(dof);
    for (const auto dof : outlet_dofs)
      out -= reaction(dof);
    result.current_in           = Utilities::MPI::sum(in, comm_);
    result.current_out          = Utilities::MPI::sum(out, comm_);
    result.mean_current_density = Utilities::MPI::sum(mean_j, comm_) /
                                  static_cast<double>(tria_.n_global_active_cells());
  }

  std::array<double, 3> ConductionSolver::box_lengths() const
  {
    // Box dimensions from the triangulation's bounding box.
    std::array<double, 3> lo{{1e300, 1e300, 1e300}}, hi{{-1e300, -1e300, -1e300}};
    for (const auto &cell : tria_.active_cell_iterators())
      if (cell->is_locally_owned())
        for (unsigned int v = 0; v < cell->n_vertices(); ++v)
          for (unsigned int d = 0; d < 3; ++d)
            {
              lo[d] = std::min(lo[d], cell->vertex(v)[d]);
              hi[d] = std::max(hi[d], cell->vertex(v)[d]);
            }
    std::array<double, 3> L;
    for (unsigned int d = 0; d < 3; ++d)
      L[d] = Utilities::MPI::max(hi[d], comm_) + Utilities::MPI::max(-lo[d], comm_);
    return L;
  }

  std::vector<std::array<double, 3>> ConductionSolver::cell_current_density() const
  {
    std::vector<std::array<double, 3>> j(tria_.n_active_cells(),
                                         std::array<double, 3>{{0., 0., 0.}});
    const unsigned int                   n = fe_.n_dofs_per_cell();
    std::vector<types::global_dof_index> dofs(n);
    for (const auto &cell : dof_handler_.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          cell->get_dof_indices(dofs);
          Tensor<1, 3> g;
          for (unsigned int i = 0; i < n; ++i)
            g += ghosted_solution_(dofs[i]) * mean_gradient_[i];
          const double s = sigma_.at(cell->material_id());
          for (unsigned int d = 0; d < 3; ++d)
            j[cell->active_cell_index()][d] = -s * g[d];
        }
    return j;
  }
} // namespace solidanode
