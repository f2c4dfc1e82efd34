#include <solver/elasticity/voxel_integrals.h>

#include <solver/materials/isotropic.h>

#include <deal.II/base/quadrature_lib.h>
#include <deal.II/fe/fe_values.h>

namespace solidanode
{
  using namespace dealii;

  Lame::Lame(const ElasticPhase &p)
    : lambda(isotropic::lambda(p.E, p.nu))
    , mu(isotropic::shear_modulus(p.E, p.nu))
  {}

  VoxelIntegrals::VoxelIntegrals(const FiniteElement<3>                     &fe,
                                 const DoFHandler<3>::active_cell_iterator &cell)
  {
    const unsigned int n = fe.n_dofs_per_cell();
    const QGauss<3>    q(2);
    FEValues<3> fv(fe, q, update_gradients | update_JxW_values);
    fv.reinit(cell);
    K_lambda.reinit(n, n);
    K_mu.reinit(n, n);
    div_integral.reinit(n);
    mean_strain.assign(n, SymmetricTensor<2, 3>());
    const FEValuesExtractors::Vector u(0);
    double volume = 0;
    for (unsigned int k = 0; k < q.size(); ++k)
      {
        const double w = fv.JxW(k);
        volume += w;
        for (unsigned int i = 0; i < n; ++i)
          {
            const auto   eps_i = fv[u].symmetric_gradient(i, k);
            const double div_i = fv[u].divergence(i, k);
            div_integral(i) += div_i * w;
            mean_strain[i] += eps_i * w;
            for (unsigned int j = 0; j < n; ++j)
              {
                K_lambda(i, j) += div_i * fv[u].divergence(j, k) * w;
                K_mu(i, j) += 2. * (eps_i * fv[u].symmetric_gradient(j, k)) * w;
              }
          }
      }
    for (auto &b : mean_strain)
      b /= volume;

    const QGauss<2> qf(2);
    FEFaceValues<3> ffv(fe, qf, update_values | update_JxW_values);
    ffv.reinit(cell, 5); // face 5 = z_max of a deal.II hexahedron
    top_unit_traction.reinit(n);
    for (unsigned int k = 0; k < qf.size(); ++k)
      for (unsigned int i = 0; i < n; ++i)
        top_unit_traction(i) += ffv[u].value(i, k)[2] * ffv.JxW(k);

    for (unsigned int d = 0; d < 3; ++d)
      size[d] = cell->extent_in_direction(d);
  }
} // namespace solidanode
