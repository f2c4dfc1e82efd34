// Geometric multigrid preconditioner of MFElasticitySolver: level
// operators, coarse-level coefficients, Chebyshev smoothers, coarse solver.
// Not a public interface.
#pragma once

#include <solver/elasticity/mf_elasticity.h>
#include <solver/elasticity/mf_operator.h>

#include <deal.II/fe/component_mask.h>
#include <deal.II/lac/precondition.h>
#include <deal.II/lac/solver_cg.h>
#include <deal.II/lac/solver_control.h>
#include <deal.II/multigrid/mg_coarse.h>
#include <deal.II/multigrid/mg_constrained_dofs.h>
#include <deal.II/multigrid/mg_matrix.h>
#include <deal.II/multigrid/mg_smoother.h>
#include <deal.II/multigrid/mg_transfer_matrix_free.h>
#include <deal.II/multigrid/multigrid.h>

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace solidanode
{
  namespace mf_detail
  {
    /// Geometric multigrid V-cycle (levels in @p Number) as preconditioner.
    template <typename Number>
    class GMG
    {
    public:
      using LevelVector = LinearAlgebra::distributed::Vector<Number>;
      using LevelOp     = VoxelOperator<Number>;
      using Smoother    = PreconditionChebyshev<LevelOp, LevelVector>;

      /// Level operators, transfer, smoothers and coarse solver; the wall
      /// seconds of the parts are added to @p timings.
      GMG(const DoFHandler<3>                                          &dh,
          const std::vector<std::pair<unsigned int, ComponentMask>> &dirichlet,
          const std::map<unsigned int, ElasticPhase>                 &phases,
          const VoxelElement &element, const MultigridSettings &s,
          std::map<std::string, double> &timings);

      void vmult(LinearAlgebra::distributed::Vector<double>       &dst,
                 const LinearAlgebra::distributed::Vector<double> &src) const
      {
        precondition_->vmult(dst, src);
      }

      std::size_t memory_consumption() const
      {
        std::size_t bytes = transfer_.memory_consumption();
        for (unsigned int l = ops_.min_level(); l <= ops_.max_level(); ++l)
          bytes += ops_[l].memory_consumption() +
                   // diagonal + ~6 level vectors (multigrid + Chebyshev)
                   7 * ops_[l].get_matrix_diagonal_inverse()->get_vector().memory_consumption();
        return bytes;
      }

    private:
      MGConstrainedDoFs                                   mg_constrained_;
      MGLevelObject<LevelOp>                              ops_;
      MGTransferMatrixFree<3, Number>                     transfer_;
      MGSmootherPrecondition<LevelOp, Smoother, LevelVector> smoother_;
      std::unique_ptr<ReductionControl>                   coarse_control_;
      std::unique_ptr<SolverCG<LevelVector>>              coarse_cg_;
      std::unique_ptr<Smoother>                           coarse_prec_;
      std::unique_ptr<MGCoarseGridBase<LevelVector>>      coarse_;
      std::unique_ptr<mg::Matrix<LevelVector>>            mg_matrix_;
      std::unique_ptr<Multigrid<LevelVector>>             mg_;
      std::unique_ptr<PreconditionMG<3, LevelVector, MGTransferMatrixFree<3, Number>>> precondition_;
    };

    extern template class GMG<float>;
    extern template class GMG<double>;
  } // namespace mf_detail
} // namespace solidanode
