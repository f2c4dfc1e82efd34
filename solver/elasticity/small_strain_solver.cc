#include <solver/elasticity/small_strain_solver.h>

#include <deal.II/dofs/dof_tools.h>

namespace solidanode
{
  using namespace dealii;

  SmallStrainSolver::SmallStrainSolver(const parallel::distributed::Triangulation<3> &tria,
                                       const std::map<unsigned int, ElasticPhase>    &phases,
                                       SideCondition sides, TopCondition top,
                                       const LinearSolverSettings &settings,
                                       const bool                  matrix_free)
  {
    if (matrix_free)
      {
        mf_ = std::make_unique<MFElasticitySolver>(tria, phases, sides, top, settings);
        IndexSet relevant;
        DoFTools::extract_locally_relevant_dofs(mf_->dof_handler(), relevant);
        const IndexSet &owned  = mf_->dof_handler().locally_owned_dofs();
        IndexSet        ghosts = relevant;
        ghosts.subtract_set(owned);
        solution_.reinit(owned, ghosts, tria.get_communicator());
      }
    else
      amg_ = std::make_unique<ElasticitySolver>(tria, phases, sides, top, settings);
  }

  SolveStatistics SmallStrainSolver::solve(const LoadState &load)
  {
    if (amg_)
      return amg_->solve(load);
    const SolveStatistics stats = mf_->solve(load);
    // Same DoFHandler, same parallel layout: copy the owned range.
    const auto  &u     = mf_->solution();
    const auto   range = mf_->dof_handler().locally_owned_dofs();
    PetscScalar *array;
    AssertThrow(VecGetArray(static_cast<const Vec &>(solution_), &array) == 0,
                ExcMessage("VecGetArray"));
    std::size_t k = 0;
    for (auto i = range.begin(); i != range.end(); ++i, ++k)
      array[k] = u(*i);
    AssertThrow(VecRestoreArray(static_cast<const Vec &>(solution_), &array) == 0,
                ExcMessage("VecRestoreArray"));
    solution_.update_ghost_values();
    return stats;
  }

  std::vector<CellStress> SmallStrainSolver::cell_stresses(const LoadState     &load,
                                                           std::vector<double> *volumetric) const
  {
    return amg_ ? amg_->cell_stresses(load, volumetric) : mf_->cell_stresses(load, volumetric);
  }

  const DoFHandler<3> &SmallStrainSolver::dof_handler() const
  {
    return amg_ ? amg_->dof_handler() : mf_->dof_handler();
  }

  const PETScWrappers::MPI::Vector &SmallStrainSolver::solution() const
  {
    return amg_ ? amg_->solution() : solution_;
  }

  double SmallStrainSolver::mean_top_displacement() const
  {
    return amg_ ? amg_->mean_top_displacement() : mf_->mean_top_displacement();
  }

  types::global_dof_index SmallStrainSolver::n_dofs() const
  {
    return amg_ ? amg_->n_dofs() : mf_->n_dofs();
  }

  unsigned int SmallStrainSolver::n_levels() const
  {
    return mf_ ? mf_->n_levels() : 1;
  }
} // namespace solidanode
