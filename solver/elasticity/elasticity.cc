#include <solver/elasticity/face_average.h>
#include <solver/elasticity/elasticity.h>

#include <mesh/voxel_mesh.h>
#include <solver/elasticity/elastic_krylov.h>
#include <solver/elasticity/voxel_integrals.h>
#include <base/errors.h>

#include <deal.II/base/function.h>
#include <deal.II/base/quadrature_lib.h>
#include <deal.II/base/timer.h>
#include <deal.II/dofs/dof_tools.h>
#include <deal.II/fe/fe_q.h>
#include <deal.II/fe/fe_values.h>
#include <deal.II/lac/dynamic_sparsity_pattern.h>
#include <deal.II/lac/full_matrix.h>
#include <deal.II/lac/sparsity_tools.h>
#include <deal.II/numerics/vector_tools.h>

#include <petscksp.h>

#include <cmath>
#include <sstream>
#include <stdexcept>

namespace solidanode
{
  using namespace dealii;

  namespace
  {
    /// Throws unless @p cell has the extents of the voxel element @p e.
    void check_same_shape(const VoxelIntegrals                              &e,
                          const typename DoFHandler<3>::active_cell_iterator &cell)
    {
      for (unsigned int d = 0; d < 3; ++d)
        if (std::abs(cell->extent_in_direction(d) - e.size[d]) > 1e-10 * e.size[d])
          throw std::logic_error("ElasticitySolver: cells are not identical voxels");
    }
  } // namespace


  ElasticitySolver::ElasticitySolver(
    const parallel::distributed::Triangulation<3> &tria,
    const std::map<unsigned int, ElasticPhase>    &phases,
    SideCondition sides, TopCondition top, const LinearSolverSettings &settings)
    : tria_(tria)
    , comm_(tria.get_communicator())
    , phases_(phases)
    , sides_(sides)
    , top_(top)
    , settings_(settings)
    , fe_(FE_Q<3>(1), 3)
    , dof_handler_(tria)
  {
    for (const auto &[id, phase] : phases_)
      if (!(phase.E > 0.) || !(phase.nu > -1. && phase.nu < 0.5))
        throw std::invalid_argument("phase '" + phase.name +
                                    "': need E > 0 and -1 < nu < 0.5");
    for (const auto &cell : tria_.active_cell_iterators())
      if (cell->is_locally_owned() && phases_.count(cell->material_id()) == 0)
        throw std::invalid_argument("no material for label " +
                                    std::to_string(cell->material_id()));
    setup_dofs();

    double area = 0., solid_area = 0.;
    for (const auto &cell : tria_.active_cell_iterators())
      if (cell->is_locally_owned() && cell->at_boundary(5) &&
          cell->face(5)->boundary_id() == boundary_id::top)
        {
          area += cell->face(5)->measure();
          if (!phases_.at(cell->material_id()).pore)
            solid_area += cell->face(5)->measure();
        }
    area       = Utilities::MPI::sum(area, comm_);
    solid_area = Utilities::MPI::sum(solid_area, comm_);
    if (top_ == TopCondition::pressure && !(solid_area > 0.))
      throw std::invalid_argument("the top face holds no solid voxel to carry "
                                  "the stack pressure");
    top_area_ratio_ = solid_area > 0. ? area / solid_area : 1.;
  }

  ElasticitySolver::~ElasticitySolver() = default;

  types::global_dof_index ElasticitySolver::n_dofs() const
  {
    return dof_handler_.n_dofs();
  }

  void ElasticitySolver::setup_dofs()
  {
    dof_handler_.distribute_dofs(fe_);
    locally_owned_ = dof_handler_.locally_owned_dofs();
    DoFTools::extract_locally_relevant_dofs(dof_handler_, locally_relevant_);

    make_constraints(LoadState());

    DynamicSparsityPattern dsp(locally_relevant_);
    DoFTools::make_sparsity_pattern(dof_handler_, dsp, constraints_, false);
    SparsityTools::distribute_sparsity_pattern(dsp, locally_owned_, comm_,
                                               locally_relevant_);
    matrix_.reinit(locally_owned_, locally_owned_, dsp, comm_);
    // Three displacement components per vertex, numbered consecutively:
    // tell PETSc so that GAMG aggregates nodes, not single DoFs.
    check_petsc(MatSetBlockSize(matrix_.petsc_matrix(), 3), "MatSetBlockSize");

    rhs_.reinit(locally_owned_, comm_);
    solution_.reinit(locally_owned_, comm_);
    ghosted_solution_.reinit(locally_owned_, locally_relevant_, comm_);
  }

  void ElasticitySolver::make_constraints(const LoadState &load)
  {
    constraints_.clear();
    constraints_.reinit(locally_relevant_);
    const FEValuesExtractors::Scalar ux(0), uy(1), uz(2);
    const Functions::ZeroFunction<3> zero(3);
    auto fix = [&](unsigned int boundary, const FEValuesExtractors::Scalar &c,
                   const Function<3> &f) {
      VectorTools::interpolate_boundary_values(dof_handler_, boundary, f,
                                               constraints_, fe_.component_mask(c));
    };
    fix(boundary_id::bottom, uz, zero);
    fix(boundary_id::x_min, ux, zero);
    fix(boundary_id::y_min, uy, zero);
    if (x_max_held(sides_))
      fix(boundary_id::x_max, ux, zero);
    if (y_max_held(sides_))
      fix(boundary_id::y_max, uy, zero);
    if (top_ == TopCondition::displacement)
      {
        Vector<double> value(3);
        value[2] = load.top_value;
        fix(boundary_id::top, uz, Functions::ConstantFunction<3>(value));
      }
    constraints_.close();
  }

  void ElasticitySolver::assemble_matrix()
  {
    matrix_ = 0;
    std::unique_ptr<VoxelIntegrals>       element;
    const unsigned int                  n = fe_.n_dofs_per_cell();
    FullMatrix<double>                  cell_matrix(n, n);
    std::vector<types::global_dof_index> dofs(n);
    for (const auto &cell : dof_handler_.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          if (!element)
            element = std::make_unique<VoxelIntegrals>(fe_, cell);
          const Lame m(phases_.at(cell->material_id()));
          for (unsigned int i = 0; i < n; ++i)
            for (unsigned int j = 0; j < n; ++j)
              cell_matrix(i, j) =
                m.lambda * element->K_lambda(i, j) + m.mu * element->K_mu(i, j);
          cell->get_dof_indices(dofs);
          constraints_.distribute_local_to_global(cell_matrix, dofs, matrix_);
        }
    matrix_.compress(VectorOperation::add);
    matrix_assembled_ = true;
  }

  void ElasticitySolver::assemble_rhs(const LoadState &load)
  {
    rhs_ = 0;
    std::unique_ptr<VoxelIntegrals>        element;
    const unsigned int                   n = fe_.n_dofs_per_cell();
    FullMatrix<double>                   cell_matrix(n, n);
    Vector<double>                       cell_rhs(n);
    std::vector<types::global_dof_index> dofs(n);
    const bool inhomogeneous = (top_ == TopCondition::displacement);
    for (const auto &cell : dof_handler_.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          if (!element)
            element = std::make_unique<VoxelIntegrals>(fe_, cell);
          check_same_shape(*element, cell);
          const Lame m(phases_.at(cell->material_id()));
          cell_rhs = 0;
          const auto eig = load.eigenstrain.find(cell->material_id());
          if (eig != load.eigenstrain.end() && eig->second != 0.)
            cell_rhs.add(3. * m.bulk() * eig->second, element->div_integral);
          if (top_ == TopCondition::pressure && cell->at_boundary(5) &&
              cell->face(5)->boundary_id() == boundary_id::top &&
              !phases_.at(cell->material_id()).pore)
            cell_rhs.add(-load.top_value * top_area_ratio_,
                         element->top_unit_traction);
          cell->get_dof_indices(dofs);
          if (inhomogeneous)
            {
              for (unsigned int i = 0; i < n; ++i)
                for (unsigned int j = 0; j < n; ++j)
                  cell_matrix(i, j) = m.lambda * element->K_lambda(i, j) +
                                      m.mu * element->K_mu(i, j);
              constraints_.distribute_local_to_global(cell_rhs, dofs, rhs_,
                                                      cell_matrix);
            }
          else
            constraints_.distribute_local_to_global(cell_rhs, dofs, rhs_);
        }
    rhs_.compress(VectorOperation::add);
  }

  void ElasticitySolver::setup_preconditioner()
  {
    krylov_ = std::make_unique<ElasticKrylov>(dof_handler_, locally_owned_, matrix_,
                                              settings_, /*nonzero_initial_guess=*/true);
  }

  SolveStatistics ElasticitySolver::solve(const LoadState &load)
  {
    SolveStatistics stats;
    Timer           timer(comm_, true);

    make_constraints(load);
    if (!matrix_assembled_)
      assemble_matrix();
    assemble_rhs(load);
    stats.assemble_seconds = timer.wall_time();

    timer.restart();
    if (!krylov_)
      setup_preconditioner();
    stats.setup_seconds = timer.wall_time();

    timer.restart();
    // Start from the previous solution; constrained entries are decoupled
    // in the condensed system and set by distribute() after the solve.
    solution_ = ghosted_solution_;
    constraints_.set_zero(solution_);
    check_petsc(KSPSolve(krylov_->ksp(), rhs_, solution_), "KSPSolve");
    KSPConvergedReason reason;
    KSPGetConvergedReason(krylov_->ksp(), &reason);
    PetscInt its = 0;
    KSPGetIterationNumber(krylov_->ksp(), &its);
    PetscReal rnorm = 0;
    KSPGetResidualNorm(krylov_->ksp(), &rnorm);
    const double bnorm = rhs_.l2_norm();
    stats.iterations        = static_cast<unsigned int>(its);
    stats.relative_residual = bnorm > 0 ? rnorm / bnorm : rnorm;
    if (reason < 0)
      {
        std::ostringstream msg;
        msg << "linear solver did not converge: PETSc reason " << reason
            << " after " << its << " iterations, relative residual "
            << stats.relative_residual << " (target "
            << settings_.relative_tolerance << ")";
        throw CollectiveError(msg.str());
      }
    constraints_.distribute(solution_);
    ghosted_solution_ = solution_;
    stats.solve_seconds = timer.wall_time();
    return stats;
  }

  std::vector<CellStress>
  ElasticitySolver::cell_stresses(const LoadState    &load,
                                  std::vector<double> *volumetric_strain) const
  {
    std::vector<CellStress> result(tria_.n_active_cells(), CellStress{});
    if (volumetric_strain)
      volumetric_strain->assign(tria_.n_active_cells(), 0.);
    std::unique_ptr<VoxelIntegrals>        element;
    const unsigned int                   n = fe_.n_dofs_per_cell();
    std::vector<types::global_dof_index> dofs(n);
    for (const auto &cell : dof_handler_.active_cell_iterators())
      if (!cell->is_artificial())
        {
          if (!element)
            element = std::make_unique<VoxelIntegrals>(fe_, cell);
          cell->get_dof_indices(dofs);
          SymmetricTensor<2, 3> eps;
          for (unsigned int i = 0; i < n; ++i)
            eps += ghosted_solution_(dofs[i]) * element->mean_strain[i];
          const Lame m(phases_.at(cell->material_id()));
          const auto eig = load.eigenstrain.find(cell->material_id());
          const double eig_value = eig == load.eigenstrain.end() ? 0. : eig->second;
          const double tr = trace(eps);
          if (volumetric_strain)
            (*volumetric_strain)[cell->active_cell_index()] = tr;
          CellStress &s = result[cell->active_cell_index()];
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

  double ElasticitySolver::n_matrix_nonzeros() const
  {
    MatInfo info;
    check_petsc(MatGetInfo(static_cast<Mat>(matrix_), MAT_GLOBAL_SUM, &info), "MatGetInfo");
    return info.nz_used;
  }

  double ElasticitySolver::time_matrix_vector_product(unsigned int repeats) const
  {
    PETScWrappers::MPI::Vector x(locally_owned_, comm_), y(locally_owned_, comm_);
    x = 1.;
    matrix_.vmult(y, x); // warm up
    Timer timer(comm_, true);
    for (unsigned int r = 0; r < repeats; ++r)
      matrix_.vmult(y, x);
    return timer.wall_time() / repeats;
  }

  double ElasticitySolver::mean_top_displacement() const
  {
    return mean_face_displacement(boundary_id::top, 2);
  }

  double ElasticitySolver::mean_face_displacement(unsigned int face,
                                                unsigned int component) const
  {
    return mean_face_value(dof_handler_, ghosted_solution_, face, component);
  }
} // namespace solidanode
