#include <solver/materials/isotropic.h>
#include <solver/elasticity/face_average.h>
#include <solver/elasticity/mf_elasticity.h>

#include <mesh/voxel_mesh.h>
#include <base/errors.h>

#include <deal.II/base/function.h>
#include <deal.II/base/quadrature_lib.h>
#include <deal.II/base/timer.h>
#include <deal.II/dofs/dof_tools.h>
#include <deal.II/fe/fe_dgq.h>
#include <deal.II/fe/fe_q.h>
#include <deal.II/fe/fe_values.h>
#include <deal.II/grid/grid_generator.h>
#include <deal.II/grid/tria.h>
#include <deal.II/lac/diagonal_matrix.h>
#include <deal.II/lac/precondition.h>
#include <deal.II/lac/solver_cg.h>
#include <deal.II/lac/solver_control.h>
#include <deal.II/matrix_free/fe_evaluation.h>
#include <deal.II/matrix_free/matrix_free.h>
#include <deal.II/matrix_free/operators.h>
#include <deal.II/multigrid/mg_coarse.h>
#include <deal.II/multigrid/mg_constrained_dofs.h>
#include <deal.II/multigrid/mg_matrix.h>
#include <deal.II/multigrid/mg_smoother.h>
#include <deal.II/multigrid/mg_tools.h>
#include <deal.II/multigrid/mg_transfer_matrix_free.h>
#include <deal.II/multigrid/multigrid.h>
#include <deal.II/numerics/vector_tools.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace solidanode
{
  using namespace dealii;

  namespace
  {
    constexpr unsigned int n_cell_dofs = 24; // 8 vertices x 3 components

    struct Lame
    {
      double lambda, mu;
      explicit Lame(const ElasticPhase &p)
        : lambda(isotropic::lambda(p.E, p.nu))
        , mu(isotropic::shear_modulus(p.E, p.nu))
      {}
      double bulk() const { return lambda + 2. * mu / 3.; }
    };

    /**
     * Element integrals of one voxel (a box of size h), in the order of
     * FEEvaluation's dof values: index = 8 component + lexicographic vertex.
     *   K_lambda_ij = int div phi_i div phi_j,  K_mu_ij = int 2 eps(phi_i):eps(phi_j),
     *   div_ij... div_integral_i = int div phi_i,  top_i = int_top phi_i . e_z,
     *   mean_strain_i = (1/V) int eps(phi_i)   (in FESystem order, for stresses).
     * Computed once on a single-cell reference mesh with 2-point Gauss
     * (exact for Q1 on a box). A box scaled by s in every direction has
     * s K_lambda, s K_mu: the multigrid levels use that.
     */
    struct VoxelElement
    {
      std::array<double, n_cell_dofs * n_cell_dofs> K_lambda{}, K_mu{};
      std::array<double, n_cell_dofs>               div_integral{}, top_unit_traction{};
      std::vector<SymmetricTensor<2, 3>>            mean_strain; ///< FESystem order

      explicit VoxelElement(const Point<3> &h)
      {
        Triangulation<3> tria;
        GridGenerator::hyper_rectangle(tria, Point<3>(), h);
        FESystem<3>   fe(FE_Q<3>(1), 3);
        DoFHandler<3> dh(tria);
        dh.distribute_dofs(fe);
        const auto   cell = dh.begin_active();
        const QGauss<3> q(2);
        FEValues<3>  fv(fe, q, update_gradients | update_JxW_values);
        fv.reinit(cell);
        const FEValuesExtractors::Vector u(0);
        std::array<unsigned int, n_cell_dofs> lex;
        for (unsigned int i = 0; i < n_cell_dofs; ++i)
          lex[i] = 8 * fe.system_to_component_index(i).first +
                   fe.system_to_component_index(i).second;
        mean_strain.assign(n_cell_dofs, SymmetricTensor<2, 3>());
        double volume = 0;
        for (unsigned int k = 0; k < q.size(); ++k)
          {
            const double w = fv.JxW(k);
            volume += w;
            for (unsigned int i = 0; i < n_cell_dofs; ++i)
              {
                const auto   eps_i = fv[u].symmetric_gradient(i, k);
                const double div_i = fv[u].divergence(i, k);
                div_integral[lex[i]] += div_i * w;
                mean_strain[i] += eps_i * w;
                for (unsigned int j = 0; j < n_cell_dofs; ++j)
                  {
                    K_lambda[lex[i] * n_cell_dofs + lex[j]] +=
                      div_i * fv[u].divergence(j, k) * w;
                    K_mu[lex[i] * n_cell_dofs + lex[j]] +=
                      2. * (eps_i * fv[u].symmetric_gradient(j, k)) * w;
                  }
              }
          }
        for (auto &b : mean_strain)
          b /= volume;
        const QGauss<2> qf(2);
        FEFaceValues<3> ffv(fe, qf, update_values | update_JxW_values);
        ffv.reinit(cell, 5); // z_max
        for (unsigned int k = 0; k < qf.size(); ++k)
          for (unsigned int i = 0; i < n_cell_dofs; ++i)
            top_unit_traction[lex[i]] += ffv[u].value(i, k)[2] * ffv.JxW(k);
      }
    };

    // y = lambda K_lambda x + mu K_mu x for one cell. Column-oriented so that
    // the inner loop (24 rows) vectorises; compiled for AVX-512, AVX2 and
    // the baseline, chosen at run time (the Debian deal.II has no SIMD
    // across cells: VectorizedArray has width 1).
    template <typename Number>
    inline __attribute__((always_inline)) void
    cell_kernel_body(const Number *__restrict Kl, const Number *__restrict Km,
                     const Number lambda, const Number mu,
                     const Number *__restrict x, Number *__restrict y)
    {
      // Four independent accumulators (lambda/mu part, even/odd column)
      // keep the FMA pipelines busy instead of waiting on one chain.
      Number al0[n_cell_dofs] = {}, al1[n_cell_dofs] = {}, am0[n_cell_dofs] = {},
             am1[n_cell_dofs] = {};
      for (unsigned int j = 0; j < n_cell_dofs; j += 2)
        {
          const Number  x0 = x[j], x1 = x[j + 1];
          const Number *kl0 = Kl + j * n_cell_dofs, *kl1 = kl0 + n_cell_dofs;
          const Number *km0 = Km + j * n_cell_dofs, *km1 = km0 + n_cell_dofs;
          for (unsigned int i = 0; i < n_cell_dofs; ++i)
            {
              al0[i] += x0 * kl0[i];
              al1[i] += x1 * kl1[i];
              am0[i] += x0 * km0[i];
              am1[i] += x1 * km1[i];
            }
        }
      for (unsigned int i = 0; i < n_cell_dofs; ++i)
        y[i] = lambda * (al0[i] + al1[i]) + mu * (am0[i] + am1[i]);
    }

    __attribute__((target_clones("avx512f", "avx2", "default"))) void
    cell_kernel(const double *Kl, const double *Km, double lambda, double mu,
                const double *x, double *y)
    {
      cell_kernel_body(Kl, Km, lambda, mu, x, y);
    }

    __attribute__((target_clones("avx512f", "avx2", "default"))) void
    cell_kernel(const float *Kl, const float *Km, float lambda, float mu,
                const float *x, float *y)
    {
      cell_kernel_body(Kl, Km, lambda, mu, x, y);
    }

    /// The voxel elasticity operator on one level (or the active mesh) with
    /// one (lambda, mu) per cell; constrained DoFs handled by
    /// MatrixFreeOperators::Base (identity rows).
    template <typename Number>
    class VoxelOperator
      : public MatrixFreeOperators::Base<3, LinearAlgebra::distributed::Vector<Number>>
    {
    public:
      using VectorType = LinearAlgebra::distributed::Vector<Number>;
      using value_type = Number;
      using Base       = MatrixFreeOperators::Base<3, VectorType>;
      using FEEval     = FEEvaluation<3, 1, 2, 3, Number>;

      /// @p scale: cell size / voxel size (2^(L - level)).
      void set_coefficients(const VoxelElement &e, double scale,
                            std::vector<Number> lambda, std::vector<Number> mu)
      {
        for (unsigned int i = 0; i < n_cell_dofs * n_cell_dofs; ++i)
          {
            K_lambda_[i] = static_cast<Number>(scale * e.K_lambda[i]);
            K_mu_[i]     = static_cast<Number>(scale * e.K_mu[i]);
          }
        lambda_ = std::move(lambda);
        mu_     = std::move(mu);
        AssertDimension(lambda_.size(), this->data->n_cell_batches());
      }

      /// Local (owned + ghost) vector index of component 0 of the 8
      /// vertices of every cell; the 3 components of a vertex follow it.
      /// Also records the local indices of constrained DoFs (owned and
      /// ghost) of @p constraints, which the operator treats as zero.
      void setup_indices(const FiniteElement<3> &fe, const AffineConstraints<double> &constraints)
      {
        const auto        &mf   = *this->data;
        const auto        &part = *mf.get_vector_partitioner();
        const bool         level = mf.get_mg_level() != numbers::invalid_unsigned_int;
        std::vector<types::global_dof_index> dofs(n_cell_dofs);
        indices_.resize(8 * std::size_t(mf.n_cell_batches()));
        for (unsigned int b = 0; b < mf.n_cell_batches(); ++b)
          {
            const auto cell = mf.get_cell_iterator(b, 0);
            if (level)
              cell->get_mg_dof_indices(dofs);
            else
              cell->get_dof_indices(dofs);
            for (unsigned int v = 0; v < 8; ++v)
              {
                const auto g = dofs[fe.component_to_system_index(0, v)];
                if (!part.in_local_range(g + 2) && !part.is_ghost_entry(g + 2))
                  throw std::logic_error("MFElasticitySolver: a cell DoF is neither "
                                         "owned nor ghost in the MatrixFree partitioner");
                const auto local = part.global_to_local(g);
                for (unsigned int c = 1; c < 3; ++c)
                  if (dofs[fe.component_to_system_index(c, v)] != g + c ||
                      part.global_to_local(g + c) != local + c)
                    throw std::logic_error("MFElasticitySolver: the 3 DoFs of a vertex "
                                           "are not numbered consecutively");
                indices_[8 * std::size_t(b) + v] = local;
                for (unsigned int c = 0; c < 3; ++c)
                  if (constraints.is_constrained(g + c))
                    constrained_.push_back(local + c);
              }
          }
        std::sort(constrained_.begin(), constrained_.end());
        constrained_.erase(std::unique(constrained_.begin(), constrained_.end()),
                           constrained_.end());
        saved_.resize(constrained_.size());
      }

      void apply_cell(unsigned int cell, const Number *x, Number *y) const
      {
        cell_kernel(K_lambda_.data(), K_mu_.data(), lambda_[cell], mu_[cell], x, y);
      }

      void compute_diagonal() override
      {
        this->inverse_diagonal_entries =
          std::make_shared<DiagonalMatrix<VectorType>>();
        VectorType &diag = this->inverse_diagonal_entries->get_vector();
        this->data->initialize_dof_vector(diag);
        FEEval phi(*this->data);
        for (unsigned int cell = 0; cell < this->data->n_cell_batches(); ++cell)
          {
            phi.reinit(cell);
            for (unsigned int i = 0; i < n_cell_dofs; ++i)
              phi.begin_dof_values()[i] =
                lambda_[cell] * K_lambda_[i * n_cell_dofs + i] +
                mu_[cell] * K_mu_[i * n_cell_dofs + i];
            phi.distribute_local_to_global(diag);
          }
        diag.compress(VectorOperation::add);
        this->set_constrained_entries_to_one(diag);
        for (auto &d : diag)
          d = d > Number(0) ? Number(1) / d : Number(1);
      }

      std::size_t memory_consumption() const override
      {
        return this->data->memory_consumption() +
               (lambda_.size() + mu_.size()) * sizeof(Number) +
               indices_.size() * sizeof(unsigned int);
      }

    private:
      // Gather the 24 values of a cell through indices_, multiply, add back.
      // Constrained entries count as zero in src and are left zero in dst
      // (MatrixFreeOperators::Base::vmult then adds the identity on them).
      void apply_add(VectorType &dst, const VectorType &src) const override
      {
        const bool src_ghosts = src.has_ghost_elements();
        if (!src_ghosts)
          src.update_ghost_values();
        dst.zero_out_ghost_values();
        // Constrained columns: zero in src during the product (restored).
        Number *src_values = const_cast<Number *>(src.begin());
        for (std::size_t k = 0; k < constrained_.size(); ++k)
          {
            saved_[k]                      = src_values[constrained_[k]];
            src_values[constrained_[k]] = Number(0);
          }
        const Number *in  = src.begin();
        Number       *out = dst.begin();
        Number        x[n_cell_dofs], y[n_cell_dofs];
        const unsigned int n = this->data->n_cell_batches();
        for (unsigned int cell = 0; cell < n; ++cell)
          {
            const unsigned int *idx = &indices_[8 * std::size_t(cell)];
            for (unsigned int v = 0; v < 8; ++v)
              for (unsigned int c = 0; c < 3; ++c)
                x[8 * c + v] = in[idx[v] + c];
            apply_cell(cell, x, y);
            for (unsigned int v = 0; v < 8; ++v)
              for (unsigned int c = 0; c < 3; ++c)
                out[idx[v] + c] += y[8 * c + v];
          }
        // Constrained rows: Base adds the identity afterwards.
        for (std::size_t k = 0; k < constrained_.size(); ++k)
          {
            src_values[constrained_[k]] = saved_[k];
            out[constrained_[k]]        = Number(0);
          }
        dst.compress(VectorOperation::add);
        if (!src_ghosts)
          src.zero_out_ghost_values();
      }

      alignas(64) std::array<Number, n_cell_dofs * n_cell_dofs> K_lambda_{};
      alignas(64) std::array<Number, n_cell_dofs * n_cell_dofs> K_mu_{};
      std::vector<Number>       lambda_, mu_;
      std::vector<unsigned int> indices_;
      std::vector<unsigned int> constrained_; ///< local indices
      mutable std::vector<Number> saved_;
    };
    static_assert(sizeof(VectorizedArray<double>) == sizeof(double) &&
                    sizeof(VectorizedArray<float>) == sizeof(float),
                  "the cell kernel reads FEEvaluation's dof values as plain numbers");

    template <typename Number>
    std::shared_ptr<MatrixFree<3, Number>>
    make_matrix_free(const DoFHandler<3> &dh, const AffineConstraints<double> &c,
                     unsigned int level)
    {
      typename MatrixFree<3, Number>::AdditionalData data;
      data.tasks_parallel_scheme = MatrixFree<3, Number>::AdditionalData::none;
      // The kernel needs no mapping data (identical boxes); request the
      // least MatrixFree accepts.
      data.mapping_update_flags = update_default;
      data.mg_level             = level;
      auto mf = std::make_shared<MatrixFree<3, Number>>();
      mf->reinit(MappingQ1<3>(), dh, c, QGauss<1>(2), data);
      return mf;
    }

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

    /// Geometric multigrid V-cycle (levels in @p Number) as preconditioner.
    template <typename Number>
    class GMG
    {
    public:
      using LevelVector = LinearAlgebra::distributed::Vector<Number>;
      using LevelOp     = VoxelOperator<Number>;
      using Smoother    = PreconditionChebyshev<LevelOp, LevelVector>;

      GMG(const DoFHandler<3> &dh, const std::vector<std::pair<unsigned int, ComponentMask>> &dirichlet,
          const std::map<unsigned int, ElasticPhase> &phases, const VoxelElement &element,
          const MultigridSettings &s, std::map<std::string, double> &timings)
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
  } // namespace

  struct MFElasticitySolver::Fine
  {
    std::unique_ptr<VoxelElement>         element;
    std::shared_ptr<MatrixFree<3, double>> mf;
    VoxelOperator<double>                 op;
    std::vector<unsigned int>             material; ///< per cell batch
    std::vector<unsigned char>            top_solid; ///< solid cell on the top face
  };

  struct MFElasticitySolver::MG
  {
    std::unique_ptr<GMG<float>>  single;
    std::unique_ptr<GMG<double>> twice;
    void vmult(Vector &dst, const Vector &src) const
    {
      if (single)
        single->vmult(dst, src);
      else
        twice->vmult(dst, src);
    }
    std::size_t memory_consumption() const
    {
      return single ? single->memory_consumption() : twice->memory_consumption();
    }
  };

  namespace
  {
    std::vector<std::pair<unsigned int, ComponentMask>>
    dirichlet_components(SideCondition sides, TopCondition top)
    {
      auto mask = [](unsigned int c) {
        std::vector<bool> m(3, false);
        m[c] = true;
        return ComponentMask(m);
      };
      std::vector<std::pair<unsigned int, ComponentMask>> d = {
        {boundary_id::bottom, mask(2)}, {boundary_id::x_min, mask(0)}, {boundary_id::y_min, mask(1)}};
      if (sides == SideCondition::rollers)
        {
          d.emplace_back(boundary_id::x_max, mask(0));
          d.emplace_back(boundary_id::y_max, mask(1));
        }
      if (top == TopCondition::displacement)
        d.emplace_back(boundary_id::top, mask(2));
      return d;
    }
  } // namespace

  MFElasticitySolver::MFElasticitySolver(
    const parallel::distributed::Triangulation<3> &tria,
    const std::map<unsigned int, ElasticPhase>    &phases,
    SideCondition sides, TopCondition top, const LinearSolverSettings &settings,
    const MultigridSettings &mg_settings)
    : tria_(tria)
    , comm_(tria.get_communicator())
    , phases_(phases)
    , sides_(sides)
    , top_(top)
    , settings_(settings)
    , mg_settings_(mg_settings)
    , fe_(FE_Q<3>(1), 3)
    , dof_handler_(tria)
  {
    for (const auto &[id, phase] : phases_)
      if (!(phase.E > 0.) || !(phase.nu > -1. && phase.nu < 0.5))
        throw std::invalid_argument("phase '" + phase.name +
                                    "': need E > 0 and -1 < nu < 0.5");
    if (!tria_.is_multilevel_hierarchy_constructed())
      throw std::invalid_argument(
        "MFElasticitySolver: the triangulation needs construct_multigrid_hierarchy");

    // Voxel size, and a check that every cell is the same box.
    Point<3> h;
    for (const auto &cell : tria_.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          if (phases_.count(cell->material_id()) == 0)
            throw std::invalid_argument("no material for label " +
                                        std::to_string(cell->material_id()));
          for (unsigned int d = 0; d < 3; ++d)
            h[d] = cell->extent_in_direction(d);
          break;
        }
    for (unsigned int d = 0; d < 3; ++d)
      h[d] = Utilities::MPI::max(h[d], comm_);
    // Vertex 7 - vertex 0 is the diagonal of an axis-parallel box.
    for (const auto &cell : tria_.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          const Tensor<1, 3> diagonal = cell->vertex(7) - cell->vertex(0);
          for (unsigned int d = 0; d < 3; ++d)
            if (std::abs(diagonal[d] - h[d]) > 1e-10 * h[d] ||
                cell->level() != int(tria_.n_global_levels()) - 1)
              throw std::invalid_argument(
                "MFElasticitySolver: cells are not identical, uniformly refined voxels");
        }

    Timer      timer;
    const auto lap = [&](const std::string &what) {
      setup_timings_[what] += timer.wall_time();
      timer.restart();
    };
    lap("checks");
    dof_handler_.distribute_dofs(fe_);
    lap("distribute dofs");
    dof_handler_.distribute_mg_dofs();
    lap("distribute mg dofs");
    DoFTools::extract_locally_relevant_dofs(dof_handler_, locally_relevant_);
    constraints_.reinit(locally_relevant_);
    for (const auto &[boundary, mask] : dirichlet_components(sides_, top_))
      VectorTools::interpolate_boundary_values(dof_handler_, boundary,
                                               Functions::ZeroFunction<3>(3),
                                               constraints_, mask);
    constraints_.close();
    lap("constraints");

    fine_          = std::make_unique<Fine>();
    fine_->element = std::make_unique<VoxelElement>(h);
    fine_->mf      = make_matrix_free<double>(dof_handler_, constraints_,
                                         numbers::invalid_unsigned_int);
    lap("fine MatrixFree");
    fine_->op.initialize(fine_->mf);
    fine_->op.setup_indices(fe_, constraints_);
    lap("fine operator (indices)");
    const unsigned int n_batches = fine_->mf->n_cell_batches();
    std::vector<double> lambda(n_batches), mu(n_batches);
    fine_->material.resize(n_batches);
    fine_->top_solid.resize(n_batches);
    double area = 0., solid_area = 0.;
    for (unsigned int b = 0; b < n_batches; ++b)
      {
        const auto cell = fine_->mf->get_cell_iterator(b, 0);
        const ElasticPhase &p = phases_.at(cell->material_id());
        const Lame m(p);
        lambda[b] = m.lambda;
        mu[b]     = m.mu;
        fine_->material[b] = cell->material_id();
        if (cell->at_boundary(5) && cell->face(5)->boundary_id() == boundary_id::top)
          {
            area += cell->face(5)->measure();
            if (!p.pore)
              {
                solid_area += cell->face(5)->measure();
                fine_->top_solid[b] = 1;
              }
          }
      }
    fine_->op.set_coefficients(*fine_->element, 1., std::move(lambda), std::move(mu));
    area       = Utilities::MPI::sum(area, comm_);
    solid_area = Utilities::MPI::sum(solid_area, comm_);
    if (top_ == TopCondition::pressure && !(solid_area > 0.))
      throw std::invalid_argument("the top face holds no solid voxel to carry "
                                  "the stack pressure");
    top_area_ratio_ = solid_area > 0. ? area / solid_area : 1.;

    fine_->mf->initialize_dof_vector(rhs_);
    fine_->mf->initialize_dof_vector(solution_);
    fine_->mf->initialize_dof_vector(lift_);
    ghosted_solution_.reinit(dof_handler_.locally_owned_dofs(), locally_relevant_, comm_);
    lap("fine coefficients and vectors");
  }

  MFElasticitySolver::~MFElasticitySolver() = default;

  types::global_dof_index MFElasticitySolver::n_dofs() const
  {
    return dof_handler_.n_dofs();
  }

  unsigned int MFElasticitySolver::n_levels() const
  {
    return tria_.n_global_levels();
  }

  void MFElasticitySolver::make_dirichlet_lift(const LoadState &load)
  {
    lift_ = 0.;
    if (top_ == TopCondition::displacement)
      {
        std::map<types::global_dof_index, double> values;
        VectorTools::interpolate_boundary_values(
          dof_handler_, boundary_id::top,
          Functions::ConstantFunction<3>(std::vector<double>{0., 0., load.top_value}),
          values, fe_.component_mask(FEValuesExtractors::Scalar(2)));
        const IndexSet owned = lift_.locally_owned_elements();
        for (const auto &[i, v] : values)
          if (owned.is_element(i))
            lift_(i) = v;
      }
    lift_.update_ghost_values();
  }

  void MFElasticitySolver::setup_rhs(const LoadState &load)
  {
    make_dirichlet_lift(load);
    rhs_ = 0.;
    const VoxelElement &e = *fine_->element;
    FEEvaluation<3, 1, 2, 3, double> phi(*fine_->mf);
    const bool lifted = (top_ == TopCondition::displacement);
    std::array<double, n_cell_dofs> y;
    for (unsigned int b = 0; b < fine_->mf->n_cell_batches(); ++b)
      {
        const unsigned int id  = fine_->material[b];
        const auto         eig = load.eigenstrain.find(id);
        const bool has_eig     = eig != load.eigenstrain.end() && eig->second != 0.;
        const bool has_top     = top_ == TopCondition::pressure && fine_->top_solid[b];
        if (!has_eig && !has_top && !lifted)
          continue;
        phi.reinit(b);
        double *values = reinterpret_cast<double *>(phi.begin_dof_values());
        if (lifted)
          {
            phi.read_dof_values_plain(lift_);
            fine_->op.apply_cell(b, values, y.data());
            for (unsigned int i = 0; i < n_cell_dofs; ++i)
              values[i] = -y[i];
          }
        else
          for (unsigned int i = 0; i < n_cell_dofs; ++i)
            values[i] = 0.;
        if (has_eig)
          {
            const double s = 3. * Lame(phases_.at(id)).bulk() * eig->second;
            for (unsigned int i = 0; i < n_cell_dofs; ++i)
              values[i] += s * e.div_integral[i];
          }
        if (has_top)
          for (unsigned int i = 0; i < n_cell_dofs; ++i)
            values[i] += -load.top_value * top_area_ratio_ * e.top_unit_traction[i];
        phi.distribute_local_to_global(rhs_);
      }
    rhs_.compress(VectorOperation::add);
  }

  SolveStatistics MFElasticitySolver::solve(const LoadState &load)
  {
    SolveStatistics stats;
    Timer           timer(comm_, true);
    setup_rhs(load);
    stats.assemble_seconds = timer.wall_time();

    timer.restart();
    if (!mg_)
      {
        mg_ = std::make_unique<MG>();
        const auto dirichlet = dirichlet_components(sides_, top_);
        if (mg_settings_.single_precision)
          mg_->single = std::make_unique<GMG<float>>(dof_handler_, dirichlet, phases_,
                                                     *fine_->element, mg_settings_,
                                                     setup_timings_);
        else
          mg_->twice = std::make_unique<GMG<double>>(dof_handler_, dirichlet, phases_,
                                                     *fine_->element, mg_settings_,
                                                     setup_timings_);
      }
    stats.setup_seconds = timer.wall_time();

    timer.restart();
    // Start from the previous solution without its prescribed part.
    solution_.copy_locally_owned_data_from(ghosted_solution_);
    constraints_.set_zero(solution_);
    const double bnorm = rhs_.l2_norm();
    if (bnorm > 0.)
      {
        SolverControl control(settings_.max_iterations,
                              settings_.relative_tolerance * bnorm, false, false);
        SolverCG<Vector> cg(control);
        try
          {
            cg.solve(fine_->op, solution_, rhs_, *mg_);
          }
        catch (const SolverControl::NoConvergence &e)
          {
            std::ostringstream msg;
            msg << "linear solver did not converge: CG + geometric multigrid after "
                << e.last_step << " iterations, relative residual "
                << e.last_residual / bnorm << " (target "
                << settings_.relative_tolerance << ")";
            throw CollectiveError(msg.str());
          }
        stats.iterations        = control.last_step();
        stats.relative_residual = control.last_value() / bnorm;
      }
    else
      solution_ = 0.;
    solution_ += lift_;
    ghosted_solution_.copy_locally_owned_data_from(solution_);
    ghosted_solution_.update_ghost_values();
    stats.solve_seconds = timer.wall_time();
    return stats;
  }

  std::vector<CellStress>
  MFElasticitySolver::cell_stresses(const LoadState    &load,
                                    std::vector<double> *volumetric_strain) const
  {
    std::vector<CellStress> result(tria_.n_active_cells(), CellStress{});
    if (volumetric_strain)
      volumetric_strain->assign(tria_.n_active_cells(), 0.);
    const auto                          &B = fine_->element->mean_strain;
    std::vector<types::global_dof_index> dofs(n_cell_dofs);
    for (const auto &cell : dof_handler_.active_cell_iterators())
      if (!cell->is_artificial())
        {
          cell->get_dof_indices(dofs);
          SymmetricTensor<2, 3> eps;
          for (unsigned int i = 0; i < n_cell_dofs; ++i)
            eps += ghosted_solution_(dofs[i]) * B[i];
          const Lame   m(phases_.at(cell->material_id()));
          const auto   eig = load.eigenstrain.find(cell->material_id());
          const double eig_value = eig == load.eigenstrain.end() ? 0. : eig->second;
          const double tr = trace(eps);
          if (volumetric_strain)
            (*volumetric_strain)[cell->active_cell_index()] = tr;
          CellStress  &s   = result[cell->active_cell_index()];
          const double iso = m.lambda * tr - 3. * m.bulk() * eig_value;
          s[0] = iso + 2. * m.mu * eps[0][0];
          s[1] = iso + 2. * m.mu * eps[1][1];
          s[2] = iso + 2. * m.mu * eps[2][2];
          s[3] = 2. * m.mu * eps[1][2];
          s[4] = 2. * m.mu * eps[0][2];
          s[5] = 2. * m.mu * eps[0][1];
        }
    return result;
  }

  double MFElasticitySolver::mean_top_displacement() const
  {
    return mean_face_displacement(boundary_id::top, 2);
  }

  double MFElasticitySolver::mean_face_displacement(unsigned int face,
                                                  unsigned int component) const
  {
    return mean_face_value(dof_handler_, ghosted_solution_, face, component);
  }

  double MFElasticitySolver::time_operator_application(unsigned int repeats) const
  {
    Vector x, y;
    fine_->mf->initialize_dof_vector(x);
    fine_->mf->initialize_dof_vector(y);
    x = 1.;
    fine_->op.vmult(y, x); // warm up
    Timer timer(comm_, true);
    for (unsigned int r = 0; r < repeats; ++r)
      fine_->op.vmult(y, x);
    return timer.wall_time() / repeats;
  }

  double MFElasticitySolver::operator_bytes() const
  {
    const double cells = double(tria_.n_global_active_cells());
    return double(n_dofs()) * (8. + 16.) + cells * (8 * 4. + 2. * 8.);
  }

  double MFElasticitySolver::memory_consumption() const
  {
    double bytes = fine_->op.memory_consumption() + 4. * rhs_.memory_consumption();
    if (mg_)
      bytes += mg_->memory_consumption();
    return Utilities::MPI::sum(bytes, comm_);
  }
} // namespace solidanode
