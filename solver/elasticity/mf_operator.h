// The matrix-free voxel elasticity operator of MFElasticitySolver and its
// multigrid levels: the element integrals in FEEvaluation's order, the
// vectorised cell kernel and the operator class. Not a public interface.
#pragma once

#include <solver/elasticity/elasticity_types.h>

#include <deal.II/base/point.h>
#include <deal.II/base/quadrature_lib.h>
#include <deal.II/base/symmetric_tensor.h>
#include <deal.II/dofs/dof_handler.h>
#include <deal.II/fe/fe.h>
#include <deal.II/fe/mapping_q1.h>
#include <deal.II/lac/affine_constraints.h>
#include <deal.II/lac/diagonal_matrix.h>
#include <deal.II/lac/la_parallel_vector.h>
#include <deal.II/matrix_free/fe_evaluation.h>
#include <deal.II/matrix_free/matrix_free.h>
#include <deal.II/matrix_free/operators.h>

#include <algorithm>
#include <array>
#include <memory>
#include <stdexcept>
#include <vector>

namespace solidanode
{
  namespace mf_detail
  {
    using namespace dealii;

    constexpr unsigned int n_cell_dofs = 24; // 8 vertices x 3 components

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

      explicit VoxelElement(const Point<3> &h);
    };

    /// y = lambda K_lambda x + mu K_mu x for one cell (mf_operator.cc).
    void cell_kernel(const double *Kl, const double *Km, double lambda, double mu,
                     const double *x, double *y);
    void cell_kernel(const float *Kl, const float *Km, float lambda, float mu,
                     const float *x, float *y);

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
  } // namespace mf_detail
} // namespace solidanode
