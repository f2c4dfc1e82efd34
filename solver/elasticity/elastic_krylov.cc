#include <solver/elasticity/elastic_krylov.h>

#include <deal.II/lac/petsc_vector.h>

#include <stdexcept>
#include <string>

namespace solidanode
{
  using namespace dealii;

  void check_petsc(PetscErrorCode ierr, const char *what)
  {
    if (ierr != 0)
      throw std::runtime_error(std::string("PETSc error in ") + what + " (code " +
                               std::to_string(ierr) + ")");
  }

  PC setup_cg_gamg(KSP ksp, Mat matrix, const LinearSolverSettings &settings,
                   bool nonzero_initial_guess)
  {
    check_petsc(KSPSetOperators(ksp, matrix, matrix), "KSPSetOperators");
    check_petsc(KSPSetType(ksp, KSPCG), "KSPSetType");
    check_petsc(KSPSetNormType(ksp, KSP_NORM_UNPRECONDITIONED), "KSPSetNormType");
    check_petsc(KSPSetTolerances(ksp, settings.relative_tolerance, 1e-300, PETSC_DEFAULT,
                                 settings.max_iterations),
                "KSPSetTolerances");
    if (nonzero_initial_guess)
      check_petsc(KSPSetInitialGuessNonzero(ksp, PETSC_TRUE), "KSPSetInitialGuessNonzero");
    PC pc;
    check_petsc(KSPGetPC(ksp, &pc), "KSPGetPC");
    check_petsc(PCSetType(pc, PCGAMG), "PCSetType");
    return pc;
  }

  namespace
  {
    const char *const esteig_option = "-pc_gamg_esteig_ksp_type";
  }

  SpdEigenEstimates::SpdEigenEstimates(bool on)
  {
    if (!on)
      return;
    PetscBool user_set = PETSC_FALSE;
    check_petsc(PetscOptionsHasName(nullptr, nullptr, esteig_option, &user_set),
                "PetscOptionsHasName");
    if (user_set)
      return;
    check_petsc(PetscOptionsSetValue(nullptr, esteig_option, "cg"), "PetscOptionsSetValue");
    set_ = true;
  }

  SpdEigenEstimates::~SpdEigenEstimates()
  {
    if (set_)
      PetscOptionsClearValue(nullptr, esteig_option);
  }

  void apply_petsc_options(KSP ksp, const LinearSolverSettings &settings)
  {
    if (!settings.petsc_options.empty())
      check_petsc(PetscOptionsInsertString(nullptr, settings.petsc_options.c_str()),
                  "PetscOptionsInsertString (solver.petsc_options)");
    check_petsc(KSPSetFromOptions(ksp), "KSPSetFromOptions");
  }

  ElasticKrylov::ElasticKrylov(const DoFHandler<3> &dof_handler, const IndexSet &owned,
                               PETScWrappers::MPI::SparseMatrix &matrix,
                               const LinearSolverSettings &settings,
                               bool nonzero_initial_guess)
  {
    const MPI_Comm comm = dof_handler.get_triangulation().get_communicator();
    try
      {
        check_petsc(KSPCreate(comm, &ksp_), "KSPCreate");
        const PC pc =
          setup_cg_gamg(ksp_, matrix.petsc_matrix(), settings, nonzero_initial_guess);

        // Rigid-body modes from the coordinates of the locally owned
        // vertices; the owned range is a whole number of vertices.
        PETScWrappers::MPI::Vector coordinates(owned, comm);
        for (const auto &cell : dof_handler.active_cell_iterators())
          if (cell->is_locally_owned())
            for (unsigned int v = 0; v < cell->n_vertices(); ++v)
              for (unsigned int c = 0; c < 3; ++c)
                {
                  const auto dof = cell->vertex_dof_index(v, c);
                  if (owned.is_element(dof))
                    coordinates(dof) = cell->vertex(v)[c];
                }
        coordinates.compress(VectorOperation::insert);
        Vec coords = coordinates;
        check_petsc(VecSetBlockSize(coords, 3), "VecSetBlockSize");
        check_petsc(MatNullSpaceCreateRigidBody(coords, &nullspace_),
                    "MatNullSpaceCreateRigidBody");
        check_petsc(MatSetNearNullSpace(matrix.petsc_matrix(), nullspace_),
                    "MatSetNearNullSpace");

        // Default aggregation threshold for voxel elasticity with a large
        // stiffness contrast; user PETSc options come later and win.
        PetscReal threshold[1] = {0.02};
        check_petsc(PCGAMGSetThreshold(pc, threshold, 1), "PCGAMGSetThreshold");
        apply_petsc_options(ksp_, settings);
        check_petsc(KSPSetUp(ksp_), "KSPSetUp (AMG setup)");
      }
    catch (...)
      {
        release();
        throw;
      }
  }

  ElasticKrylov::~ElasticKrylov()
  {
    release();
  }

  void ElasticKrylov::release()
  {
    if (nullspace_)
      MatNullSpaceDestroy(&nullspace_);
    if (ksp_)
      KSPDestroy(&ksp_);
    nullspace_ = nullptr;
    ksp_       = nullptr;
  }
} // namespace solidanode
