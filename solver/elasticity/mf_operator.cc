#include <solver/elasticity/mf_operator.h>

#include <solver/elasticity/voxel_integrals.h>

#include <deal.II/fe/fe_q.h>
#include <deal.II/fe/fe_system.h>
#include <deal.II/grid/grid_generator.h>
#include <deal.II/grid/tria.h>

namespace solidanode
{
  namespace mf_detail
  {
    VoxelElement::VoxelElement(const Point<3> &h)
    {
      Triangulation<3> tria;
      GridGenerator::hyper_rectangle(tria, Point<3>(), h);
      FESystem<3>   fe(FE_Q<3>(1), 3);
      DoFHandler<3> dh(tria);
      dh.distribute_dofs(fe);
      const VoxelIntegrals integrals(fe, dh.begin_active());
      std::array<unsigned int, n_cell_dofs> lex;
      for (unsigned int i = 0; i < n_cell_dofs; ++i)
        lex[i] = 8 * fe.system_to_component_index(i).first +
                 fe.system_to_component_index(i).second;
      for (unsigned int i = 0; i < n_cell_dofs; ++i)
        {
          div_integral[lex[i]]      = integrals.div_integral(i);
          top_unit_traction[lex[i]] = integrals.top_unit_traction(i);
          for (unsigned int j = 0; j < n_cell_dofs; ++j)
            {
              K_lambda[lex[i] * n_cell_dofs + lex[j]] = integrals.K_lambda(i, j);
              K_mu[lex[i] * n_cell_dofs + lex[j]]     = integrals.K_mu(i, j);
            }
        }
      mean_strain = integrals.mean_strain;
    }

    namespace
    {
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
    } // namespace

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
  } // namespace mf_detail
} // namespace solidanode
