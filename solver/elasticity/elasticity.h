// Small-strain linear elasticity on a voxel mesh, in parallel with PETSc.
//
//   div sigma = 0,   sigma = C_phase : (eps(u) - eps*_phase I)
//
// with isotropic C per phase (E, nu) and an isotropic eigenstrain eps* per
// phase (lithiation swelling strain). Boundary conditions of a cell stack:
// bottom (z = z_min) u_z = 0; sides on rollers (u.n = 0 on all four lateral
// faces) or free (rollers on x_min and y_min only, which removes rigid-body
// motion without restraining the lateral expansion); top (z = z_max) either a
// stack pressure p, a prescribed u_z, or traction free. The stack pressure is
// carried by the solid: the traction on the top faces of solid cells is
// -p (A / A_solid) e_z and pore cells on the top face are traction free, so
// the total force is p A.
// Equations, units and discretisation: docs/elasticity.md.
#pragma once

#include <solver/elasticity/elasticity_types.h>

#include <deal.II/base/index_set.h>
#include <deal.II/distributed/tria.h>
#include <deal.II/dofs/dof_handler.h>
#include <deal.II/fe/fe_system.h>
#include <deal.II/lac/affine_constraints.h>
#include <deal.II/lac/petsc_sparse_matrix.h>
#include <deal.II/lac/petsc_vector.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace solidanode
{
  class ElasticKrylov;

  class ElasticitySolver
  {
  public:
    /// @p phases maps material_id to its elastic constants; every material_id
    /// present in @p tria must be there.
    ElasticitySolver(const dealii::parallel::distributed::Triangulation<3> &tria,
                     const std::map<unsigned int, ElasticPhase> &phases,
                     SideCondition sides, TopCondition top,
                     const LinearSolverSettings &settings);
    ~ElasticitySolver();

    /// Assemble (the matrix only the first time), solve, and keep the
    /// solution as initial guess for the next call.
    SolveStatistics solve(const LoadState &load);

    const dealii::DoFHandler<3> &dof_handler() const { return dof_handler_; }
    /// Solution with ghost entries (displacement [m]).
    const dealii::PETScWrappers::MPI::Vector &solution() const
    {
      return ghosted_solution_;
    }
    dealii::types::global_dof_index n_dofs() const;

    /// Volume-averaged Cauchy stress [Pa] of every locally owned and ghost
    /// cell, indexed by active_cell_index() (artificial cells: zero).
    /// If @p volumetric_strain is given, it receives tr(eps) of the same cells.
    std::vector<CellStress>
    cell_stresses(const LoadState &load,
                  std::vector<double> *volumetric_strain = nullptr) const;

    /// Number of stored matrix entries (all ranks).
    double n_matrix_nonzeros() const;
    /// Wall time of one matrix-vector product, averaged over @p repeats
    /// (after solve() has assembled the matrix). For the benchmark.
    double time_matrix_vector_product(unsigned int repeats) const;

    /// Mean u_z over the top face [m] (all ranks get the value).
    double mean_top_displacement() const;

    /// Area-weighted mean of displacement component @p component over the
    /// box face @p face (0..5: x_min, x_max, y_min, y_max, bottom, top) [m].
    /// Collective.
    double mean_face_displacement(unsigned int face, unsigned int component) const;

  private:
    void setup_dofs();
    void make_constraints(const LoadState &load);
    void assemble_matrix();
    void assemble_rhs(const LoadState &load);
    void setup_preconditioner();

    const dealii::parallel::distributed::Triangulation<3> &tria_;
    MPI_Comm                                               comm_;
    std::map<unsigned int, ElasticPhase>                   phases_;
    SideCondition                                          sides_;
    TopCondition                                           top_;
    LinearSolverSettings                                   settings_;

    dealii::FESystem<3>                 fe_;
    dealii::DoFHandler<3>               dof_handler_;
    dealii::IndexSet                    locally_owned_;
    dealii::IndexSet                    locally_relevant_;
    dealii::AffineConstraints<double>   constraints_;
    dealii::PETScWrappers::MPI::SparseMatrix matrix_;
    dealii::PETScWrappers::MPI::Vector  rhs_;
    dealii::PETScWrappers::MPI::Vector  solution_;
    dealii::PETScWrappers::MPI::Vector  ghosted_solution_;
    bool                                matrix_assembled_ = false;
    /// Total top area / area of the top faces of solid (non-pore) cells.
    double                              top_area_ratio_ = 1.;

    /// CG + GAMG (solver/elasticity/elastic_krylov.h), built at the first solve.
    std::unique_ptr<ElasticKrylov> krylov_;
  };
} // namespace solidanode
