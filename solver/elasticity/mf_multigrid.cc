#include <solver/elasticity/mf_multigrid.h>

#include <solver/elasticity/voxel_integrals.h>

#include <deal.II/base/timer.h>
#include <deal.II/distributed/tria.h>
#include <deal.II/dofs/dof_tools.h>
#include <deal.II/fe/fe_dgq.h>
#include <deal.II/multigrid/mg_tools.h>

#include <algorithm>
#include <cmath>

namespace solidanode
{
  namespace mf_detail
  {
    namespace
    {
      /// Coefficients of the coarse levels. mu and M = lambda + 2 mu of every
      /// voxel are mapped by f (identity, 1/x or log x), averaged over the 8
      /// children level by level (a DG0 field on the level hierarchy,
      /// communicated like any level vector), and mapped back.
      class LevelCoefficients
      {
      public:
        LevelCoefficients(const parallel::distributed::Triangulation<3> &tria,
                          const std::map<unsigned int, ElasticPhase>     &phases,
                          const MultigridSettings                         &s)
          : tria_(tria)
          , dh_(tria)
          , mode_(s.coarse_coefficient)
        {
          dh_.distribute_dofs(FE_DGQ<3>(0));
          dh_.distribute_mg_dofs();
          const unsigned int L = tria.n_global_levels() - 1;
          mu_.resize(L + 1);
          M_.resize(L + 1);
          double min_solid = 1e300;
          for (const auto &[id, p] : phases)
            if (!p.pore)
              min_solid = std::min(min_solid, Lame(p).mu);
          mu_[L].reinit(dh_.locally_owned_mg_dofs(L), tria.get_communicator());
          M_[L].reinit(mu_[L]);
          std::vector<types::global_dof_index> idx(1);
          for (const auto &cell : dh_.mg_cell_iterators_on_level(L))
            if (cell->is_locally_owned_on_level())
              {
                const ElasticPhase &p = phases.at(cell->material_id());
                Lame m(p);
                if (p.pore && s.coarse_pore_ratio > 0.)
                  {
                    // Same Poisson ratio 0 as the pore model, stiffer.
                    m.mu     = std::max(m.mu, s.coarse_pore_ratio * min_solid);
                    m.lambda = 0.;
                  }
                cell->get_mg_dof_indices(idx);
                mu_[L](idx[0]) = f(m.mu);
                M_[L](idx[0])  = f(m.lambda + 2. * m.mu);
              }
          for (int l = int(L) - 1; l >= 0; --l)
            restrict_to(l);
        }

        /// (lambda, mu) of level cell (level, index).
        std::pair<double, double> lame(int level, int index) const
        {
          DoFHandler<3>::level_cell_iterator cell(&tria_, level, index, &dh_);
          std::vector<types::global_dof_index> idx(1);
          cell->get_mg_dof_indices(idx);
          const double mu = finv(mu_[level](idx[0])), M = finv(M_[level](idx[0]));
          return {M - 2. * mu, mu};
        }

      private:
        double f(double x) const
        {
          return mode_ == CoarseCoefficient::arithmetic ? x :
                 mode_ == CoarseCoefficient::harmonic   ? 1. / x :
                                                          std::log(x);
        }
        double finv(double y) const
        {
          return mode_ == CoarseCoefficient::arithmetic ? y :
                 mode_ == CoarseCoefficient::harmonic   ? 1. / y :
                                                          std::exp(y);
        }

        void restrict_to(unsigned int l)
        {
          const MPI_Comm comm  = tria_.get_communicator();
          const IndexSet &fine_owned = dh_.locally_owned_mg_dofs(l + 1);
          IndexSet        ghosts(fine_owned.size());
          std::vector<types::global_dof_index> idx(1);
          for (const auto &cell : dh_.mg_cell_iterators_on_level(l))
            if (cell->is_locally_owned_on_level())
              for (unsigned int c = 0; c < 8; ++c)
                {
                  cell->child(c)->get_mg_dof_indices(idx);
                  if (!fine_owned.is_element(idx[0]))
                    ghosts.add_index(idx[0]);
                }
          LinearAlgebra::distributed::Vector<double> mu(fine_owned, ghosts, comm),
            M(fine_owned, ghosts, comm);
          mu.copy_locally_owned_data_from(mu_[l + 1]);
          M.copy_locally_owned_data_from(M_[l + 1]);
          mu.update_ghost_values();
          M.update_ghost_values();
          mu_[l].reinit(dh_.locally_owned_mg_dofs(l), comm);
          M_[l].reinit(mu_[l]);
          std::vector<types::global_dof_index> cidx(1);
          for (const auto &cell : dh_.mg_cell_iterators_on_level(l))
            if (cell->is_locally_owned_on_level())
              {
                double smu = 0, sM = 0;
                for (unsigned int c = 0; c < 8; ++c)
                  {
                    cell->child(c)->get_mg_dof_indices(cidx);
                    smu += mu(cidx[0]);
                    sM += M(cidx[0]);
                  }
                cell->get_mg_dof_indices(idx);
                mu_[l](idx[0]) = smu / 8.;
                M_[l](idx[0])  = sM / 8.;
              }
        }

        const parallel::distributed::Triangulation<3>          &tria_;
        DoFHandler<3>                                            dh_;
        CoarseCoefficient                                        mode_;
        std::vector<LinearAlgebra::distributed::Vector<double>> mu_, M_;
      };
    } // namespace

    template <typename Number>
    GMG<Number>::GMG(const DoFHandler<3>                                          &dh,
                     const std::vector<std::pair<unsigned int, ComponentMask>> &dirichlet,
                     const std::map<unsigned int, ElasticPhase>                 &phases,
                     const VoxelElement &element, const MultigridSettings &s,
                     std::map<std::string, double> &timings)
    {
      Timer      timer;
      const auto lap = [&](const std::string &what) {
        timings[what] += timer.wall_time();
        timer.restart();
      };
      const auto &tria = dh.get_triangulation();
      const unsigned int L = tria.n_global_levels() - 1;
      mg_constrained_.initialize(dh);
      for (const auto &[boundary, mask] : dirichlet)
        mg_constrained_.make_zero_boundary_constraints(dh, {types::boundary_id(boundary)}, mask);

      lap("mg constrained dofs");
      const LevelCoefficients coeff(
        dynamic_cast<const parallel::distributed::Triangulation<3> &>(tria), phases, s);
      lap("mg level coefficients");
      ops_.resize(0, L);
      for (unsigned int level = 0; level <= L; ++level)
        {
          AffineConstraints<double> c;
          c.reinit(DoFTools::extract_locally_relevant_level_dofs(dh, level));
          c.add_lines(mg_constrained_.get_boundary_indices(level));
          c.close();
          lap("mg level constraints");
          auto mf = make_matrix_free<Number>(dh, c, level);
          lap("mg level MatrixFree");
          ops_[level].initialize(mf, mg_constrained_, level);
          ops_[level].setup_indices(dh.get_fe(), c);
          lap("mg level operators (indices)");
          std::vector<Number> lambda(mf->n_cell_batches()), mu(mf->n_cell_batches());
          for (unsigned int b = 0; b < mf->n_cell_batches(); ++b)
            {
              const auto cell = mf->get_cell_iterator(b, 0);
              std::pair<double, double> lm;
              if (level == L)
                {
                  const Lame m(phases.at(cell->material_id()));
                  lm = {m.lambda, m.mu};
                }
              else
                lm = coeff.lame(cell->level(), cell->index());
              lambda[b] = static_cast<Number>(lm.first);
              mu[b]     = static_cast<Number>(lm.second);
            }
          ops_[level].set_coefficients(element, double(1u << (L - level)),
                                       std::move(lambda), std::move(mu));
          ops_[level].compute_diagonal();
          lap("mg level coefficients and diagonals");
        }

      transfer_.initialize_constraints(mg_constrained_);
      transfer_.build(dh);
      lap("mg transfer");

      MGLevelObject<typename Smoother::AdditionalData> data(0, L);
      for (unsigned int level = 0; level <= L; ++level)
        {
          data[level].preconditioner      = ops_[level].get_matrix_diagonal_inverse();
          data[level].smoothing_range     = s.smoothing_range;
          data[level].degree              = s.smoother_degree;
          data[level].eig_cg_n_iterations = s.eig_cg_iterations;
        }
      // Coarsest level: Chebyshev as a solver when small (as step-37),
      // else CG preconditioned by the Chebyshev smoother.
      const bool small_coarse = ops_[0].m() <= 3000;
      if (small_coarse)
        {
          data[0].smoothing_range     = 1e-3;
          data[0].degree              = numbers::invalid_unsigned_int;
          data[0].eig_cg_n_iterations = ops_[0].m();
        }
      smoother_.initialize(ops_, data);
      lap("mg smoothers");
      if (small_coarse)
        {
          auto c = std::make_unique<MGCoarseGridApplySmoother<LevelVector>>();
          c->initialize(smoother_);
          coarse_ = std::move(c);
        }
      else
        {
          coarse_control_ = std::make_unique<ReductionControl>(2000, 1e-30, 1e-4, false, false);
          coarse_cg_      = std::make_unique<SolverCG<LevelVector>>(*coarse_control_);
          coarse_prec_    = std::make_unique<Smoother>();
          coarse_prec_->initialize(ops_[0], data[0]);
          coarse_ = std::make_unique<
            MGCoarseGridIterativeSolver<LevelVector, SolverCG<LevelVector>, LevelOp, Smoother>>(
            *coarse_cg_, ops_[0], *coarse_prec_);
        }
      mg_matrix_ = std::make_unique<mg::Matrix<LevelVector>>(ops_);
      mg_ = std::make_unique<Multigrid<LevelVector>>(*mg_matrix_, *coarse_, transfer_,
                                                     smoother_, smoother_);
      precondition_ =
        std::make_unique<PreconditionMG<3, LevelVector, MGTransferMatrixFree<3, Number>>>(
          dh, *mg_, transfer_);
    }

    template class GMG<float>;
    template class GMG<double>;
  } // namespace mf_detail
} // namespace solidanode
