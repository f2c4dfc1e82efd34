// The linear solver shared by every elasticity problem on the voxel mesh:
// PETSc conjugate gradients (unpreconditioned residual norm, relative
// tolerance only) preconditioned by smoothed-aggregation AMG (GAMG) that is
// given the six rigid-body modes as near-null space, with an aggregation
// threshold of 0.02; PETSc options (solver.petsc_options, command line) are
// applied last. The AMG hierarchy is built once and reused for every solve.
#pragma once

#include <solver/elasticity/elasticity_types.h>

#include <deal.II/base/index_set.h>
#include <deal.II/dofs/dof_handler.h>
#include <deal.II/lac/petsc_sparse_matrix.h>

#include <petscksp.h>

namespace solidanode
{
  /// Throw std::runtime_error naming @p what if a PETSc call failed.
  void check_petsc(PetscErrorCode ierr, const char *what);

  /// Set @p ksp up as CG on @p matrix with the unpreconditioned residual
  /// norm and the relative tolerance of @p settings only (the absolute one
  /// never stops CG early), preconditioned by GAMG; returns the
  /// preconditioner for further settings.
  PC setup_cg_gamg(KSP ksp, Mat matrix, const LinearSolverSettings &settings,
                   bool nonzero_initial_guess);
  /// Insert settings.petsc_options, then KSPSetFromOptions: user options
  /// come last and win.
  void apply_petsc_options(KSP ksp, const LinearSolverSettings &settings);

  /// While alive: GAMG estimates the largest eigenvalue for its
  /// prolongator smoothing with CG instead of PETSc's default GMRES, for
  /// every AMG set up meanwhile (GAMG reads the option at each PCSetUp).
  /// For matrices known to be symmetric positive definite: the GMRES
  /// estimate can miss the largest eigenvalue under a large stiffness
  /// contrast and leave an indefinite preconditioner; CG's breaks down on
  /// an indefinite matrix. Inactive when @p on is false or the user set
  /// -pc_gamg_esteig_ksp_type.
  class SpdEigenEstimates
  {
  public:
    explicit SpdEigenEstimates(bool on);
    ~SpdEigenEstimates();
    SpdEigenEstimates(const SpdEigenEstimates &) = delete;
    SpdEigenEstimates &operator=(const SpdEigenEstimates &) = delete;

  private:
    bool set_ = false;
  };

  class ElasticKrylov
  {
  public:
    /// @p matrix must be assembled, with block size 3 and the DoFs of a
    /// vertex numbered consecutively (x, y, z), as FESystem(FE_Q(1), 3)
    /// gives. Builds the AMG hierarchy (KSPSetUp).
    ElasticKrylov(const dealii::DoFHandler<3> &dof_handler,
                  const dealii::IndexSet &locally_owned,
                  dealii::PETScWrappers::MPI::SparseMatrix &matrix,
                  const LinearSolverSettings &settings, bool nonzero_initial_guess);
    ~ElasticKrylov();
    ElasticKrylov(const ElasticKrylov &) = delete;
    ElasticKrylov &operator=(const ElasticKrylov &) = delete;

    KSP ksp() const { return ksp_; }

  private:
    void release();

    KSP          ksp_       = nullptr;
    MatNullSpace nullspace_ = nullptr;
  };
} // namespace solidanode
