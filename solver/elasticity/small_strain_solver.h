// The small-strain solver of a `steps` case: matrix-free CG + geometric
// multigrid (MFElasticitySolver) or assembled matrix + PETSc GAMG
// (ElasticitySolver), behind one interface. Both give the displacement on
// their own DoFHandler; the matrix-free one keeps it in a deal.II
// distributed vector, copied after every solve into a ghosted PETSc vector
// for the post-processing (field output, interfaces).
#pragma once

#include <solver/elasticity/elasticity.h>
#include <solver/elasticity/mf_elasticity.h>

#include <deal.II/lac/petsc_vector.h>

#include <map>
#include <memory>
#include <vector>

namespace solidanode
{
  class SmallStrainSolver
  {
  public:
    SmallStrainSolver(const dealii::parallel::distributed::Triangulation<3> &tria,
                      const std::map<unsigned int, ElasticPhase> &phases, SideCondition sides,
                      TopCondition top, const LinearSolverSettings &settings, bool matrix_free);

    SolveStatistics solve(const LoadState &load);
    std::vector<CellStress> cell_stresses(const LoadState &load,
                                          std::vector<double> *volumetric) const;
    const dealii::DoFHandler<3> &dof_handler() const;
    /// Displacement [m] with ghost entries.
    const dealii::PETScWrappers::MPI::Vector &solution() const;
    double mean_top_displacement() const;
    dealii::types::global_dof_index n_dofs() const;
    bool         matrix_free() const { return mf_ != nullptr; }
    unsigned int n_levels() const;

  private:
    std::unique_ptr<ElasticitySolver>   amg_;
    std::unique_ptr<MFElasticitySolver> mf_;
    dealii::PETScWrappers::MPI::Vector  solution_; ///< ghosted copy (mf)
  };
} // namespace solidanode
