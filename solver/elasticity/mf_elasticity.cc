#include <solver/elasticity/face_average.h>
#include <solver/elasticity/mf_elasticity.h>
#include <solver/elasticity/mf_multigrid.h>
#include <solver/elasticity/mf_operator.h>
#include <solver/elasticity/voxel_integrals.h>

#include <mesh/voxel_mesh.h>
#include <base/errors.h>

#include <deal.II/base/function.h>
#include <deal.II/base/timer.h>
#include <deal.II/dofs/dof_tools.h>
#include <deal.II/fe/fe_q.h>
#include <deal.II/fe/fe_values.h>
#include <deal.II/lac/solver_cg.h>
#include <deal.II/lac/solver_control.h>
#include <deal.II/matrix_free/fe_evaluation.h>
#include <deal.II/numerics/vector_tools.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace solidanode
{
  using namespace dealii;
  using namespace mf_detail;

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
      if (x_max_held(sides))
        d.emplace_back(boundary_id::x_max, mask(0));
      if (y_max_held(sides))
        d.emplace_back(boundary_id::y_max, mask(1));
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
