// Steady conduction on a voxel mesh, for effective conductivities:
//
//   div(sigma_p grad phi) = 0,
//   phi = 1 on the face x_d = min, phi = 0 on x_d = max, the other four faces
//   insulated (zero normal current),
//
// with a constant conductivity sigma_p per voxel label. Scalar Q1 elements;
// all voxels are the same box, so one unit element matrix is computed once
// and scaled by sigma_p. PETSc CG + GAMG. The total current I through the
// inlet face is the sum of the residual reactions (K phi)_i over the inlet
// DoFs (consistent with the weak form, no boundary differentiation); the
// effective conductivity is I L / (A dphi). See docs/homogenization.md.
#pragma once

#include <solver/elasticity/elasticity_types.h>

#include <deal.II/distributed/tria.h>
#include <deal.II/dofs/dof_handler.h>
#include <deal.II/fe/fe_q.h>
#include <deal.II/lac/affine_constraints.h>
#include <deal.II/lac/petsc_sparse_matrix.h>
#include <deal.II/lac/petsc_vector.h>

#include <array>
#include <map>
#include <vector>

namespace solidanode
{
  struct ConductionResult
  {
    unsigned int direction = 0;
    double sigma_eff = 0.;        ///< I L / (A dphi) [S/m]
    double current_in = 0.;       ///< reaction sum over the inlet face [A]
    double current_out = 0.;      ///< minus the reaction sum over the outlet [A]
    double mean_current_density = 0.; ///< volume average of j_d [A/m^2]
    unsigned int iterations = 0;
    double relative_residual = 0.;
  };

  class ConductionSolver
  {
  public:
    /// @p sigma maps every material_id present to its conductivity [S/m] (> 0).
    ConductionSolver(const dealii::parallel::distributed::Triangulation<3> &tria,
                     const std::map<unsigned int, double> &sigma,
                     const LinearSolverSettings &settings);
    ~ConductionSolver();

    /// Potential drop of 1 V from the x_d = min face to the x_d = max face.
    ConductionResult solve(unsigned int direction);

    /// Cell-averaged current density j = -sigma grad phi [A/m^2] of the last
    /// solve, per active_cell_index() (locally owned cells; others zero).
    std::vector<std::array<double, 3>> cell_current_density() const;

    const dealii::DoFHandler<3> &dof_handler() const { return dof_handler_; }

  private:
    /// Sparsity, matrix and right-hand side of the condensed system.
    void assemble_system(const dealii::AffineConstraints<double>  &constraints,
                         dealii::PETScWrappers::MPI::SparseMatrix &matrix,
                         dealii::PETScWrappers::MPI::Vector       &rhs) const;
    /// CG + GAMG; iterations and relative residual into @p result. Throws
    /// CollectiveError when CG does not converge.
    void solve_linear_system(dealii::PETScWrappers::MPI::SparseMatrix &matrix,
                             const dealii::PETScWrappers::MPI::Vector &rhs,
                             dealii::PETScWrappers::MPI::Vector       &solution,
                             ConductionResult                         &result) const;
    /// Inlet and outlet currents (weak-form reactions) and the mean current
    /// density of the solution in ghosted_solution_.
    void measure_currents(unsigned int direction, ConductionResult &result) const;
    /// Edge lengths of the box (bounding box of the mesh).
    std::array<double, 3> box_lengths() const;

    const dealii::parallel::distributed::Triangulation<3> &tria_;
    MPI_Comm                               comm_;
    std::map<unsigned int, double>         sigma_;
    LinearSolverSettings                   settings_;
    dealii::FE_Q<3>                        fe_;
    dealii::DoFHandler<3>                  dof_handler_;
    dealii::IndexSet                       locally_owned_, locally_relevant_;
    dealii::PETScWrappers::MPI::Vector     ghosted_solution_;
    /// Unit element: int grad phi_i . grad phi_j, and (1/V) int grad phi_i.
    dealii::FullMatrix<double>             unit_matrix_;
    std::vector<dealii::Tensor<1, 3>>      mean_gradient_;
    std::array<double, 3>                  extent_{{0, 0, 0}};
  };
} // namespace solidanode
