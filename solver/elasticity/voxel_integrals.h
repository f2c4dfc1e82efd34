// Lame parameters of an isotropic phase and the element integrals of one
// voxel, shared by ElasticitySolver, MFElasticitySolver and the effective
// stiffness (homogenize).
#pragma once

#include <solver/elasticity/elasticity_types.h>

#include <deal.II/base/symmetric_tensor.h>
#include <deal.II/dofs/dof_handler.h>
#include <deal.II/fe/fe.h>
#include <deal.II/lac/full_matrix.h>
#include <deal.II/lac/vector.h>

#include <array>
#include <vector>

namespace solidanode
{
  /// Lame parameters of an isotropic phase.
  struct Lame
  {
    double lambda, mu;
    explicit Lame(const ElasticPhase &p);
    double bulk() const { return lambda + 2. * mu / 3.; }
  };

  /**
   * Element integrals of one voxel, in the order of the finite element's
   * DoFs. All voxels of a voxel mesh are the same box, so the element matrix
   * of phase (lambda, mu) is
   *   K = lambda K_lambda + mu K_mu,
   *   K_lambda_ij = int div phi_i div phi_j,  K_mu_ij = int 2 eps(phi_i):eps(phi_j),
   * the eigenstrain load is 3 K_bulk eps* g with g_i = int div phi_i, and
   * the cell-averaged strain is sum_i u_i B_i with B_i = (1/V) int eps(phi_i).
   * These are computed once, exactly (2-point Gauss is exact for Q1 boxes).
   */
  struct VoxelIntegrals
  {
    dealii::FullMatrix<double>                 K_lambda, K_mu;
    dealii::Vector<double>                     div_integral;
    std::vector<dealii::SymmetricTensor<2, 3>> mean_strain;       ///< B_i
    dealii::Vector<double>                     top_unit_traction; ///< int phi_i . e_z on the top face
    std::array<double, 3>                      size{{0, 0, 0}};   ///< the cell's extents

    /// @p fe: FESystem(FE_Q(1), 3); @p cell: a cell of the voxel mesh.
    VoxelIntegrals(const dealii::FiniteElement<3>                    &fe,
                   const dealii::DoFHandler<3>::active_cell_iterator &cell);
  };
} // namespace solidanode
