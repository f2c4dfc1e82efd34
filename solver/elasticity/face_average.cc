#include <solver/elasticity/face_average.h>

#include <deal.II/base/mpi.h>
#include <deal.II/base/quadrature_lib.h>
#include <deal.II/fe/fe_values.h>
#include <deal.II/lac/la_parallel_vector.h>
#include <deal.II/lac/petsc_vector.h>

#include <vector>

namespace solidanode
{
  using namespace dealii;

  template <typename VectorType>
  double mean_face_value(const DoFHandler<3> &dof_handler, const VectorType &u,
                         unsigned int face, unsigned int component)
  {
    const QGauss<2>                  qf(2);
    FEFaceValues<3>                  ffv(dof_handler.get_fe(), qf,
                                         update_values | update_JxW_values);
    const FEValuesExtractors::Scalar uc(component);
    std::vector<double>              values(qf.size());
    double                           integral = 0., area = 0.;
    for (const auto &cell : dof_handler.active_cell_iterators())
      if (cell->is_locally_owned() && cell->at_boundary(face) &&
          cell->face(face)->boundary_id() == face)
        {
          ffv.reinit(cell, face);
          ffv[uc].get_function_values(u, values);
          for (unsigned int k = 0; k < qf.size(); ++k)
            {
              integral += values[k] * ffv.JxW(k);
              area += ffv.JxW(k);
            }
        }
    const MPI_Comm comm = dof_handler.get_triangulation().get_communicator();
    integral            = Utilities::MPI::sum(integral, comm);
    area                = Utilities::MPI::sum(area, comm);
    return integral / area;
  }

  template double mean_face_value(const DoFHandler<3> &, const PETScWrappers::MPI::Vector &,
                                  unsigned int, unsigned int);
  template double mean_face_value(const DoFHandler<3> &,
                                  const LinearAlgebra::distributed::Vector<double> &,
                                  unsigned int, unsigned int);
} // namespace solidanode
