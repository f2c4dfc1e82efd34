#include <solver/finite_strain/finite_strain_internal.h>

#include <mesh/voxel_mesh.h>

#include <deal.II/fe/fe_q.h>
#include <deal.II/grid/grid_tools.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace solidanode
{
  using namespace dealii;
  using namespace finite_strain_internal;

  namespace
  {
    void check_phase(const unsigned int id, const MechanicalPhase &phase)
    {
      const std::string what = "phase '" + phase.name + "': ";
      if (id > 255)
        throw CollectiveError(what + "material id above 255");
      if (!(phase.E0 > 0.) || !(phase.nu > -1. && phase.nu < 0.5))
        throw CollectiveError(what + "need E0 > 0 and -1 < nu < 0.5");
      if (phase.E1 >= 0. && !(phase.E1 > 0.))
        throw CollectiveError(what + "need E1 > 0 (or < 0 for E1 = E0)");
      if (!(phase.swelling > -1.) || !std::isfinite(phase.swelling))
        throw CollectiveError(what + "need swelling > -1 (J_s = 1 + swelling x > 0)");
      if (!(phase.yield0 > 0.) || !(phase.hardening >= 0.) ||
          (std::isfinite(phase.yield0) && phase.yield1 >= 0. && !(phase.yield1 > 0.)))
        throw CollectiveError(what + "need yield stresses > 0 and hardening >= 0");
      if (phase.growth_axis < -1 || phase.growth_axis > 2)
        throw CollectiveError(what + "growth axis must be -1 (isotropic), 0, 1 or 2");
      if (!(phase.creep_rate >= 0.) || !(phase.creep_stress > 0.) ||
          !(phase.creep_exponent >= 1.) || !std::isfinite(phase.creep_rate))
        throw CollectiveError(what + "need creep rate >= 0, creep stress > 0, exponent >= 1");
    }
  } // namespace

  FiniteStrainSolver::FiniteStrainSolver(
    const parallel::distributed::Triangulation<3> &tria,
    const std::map<unsigned int, MechanicalPhase> &phases, SideCondition sides,
    TopCondition top, Kinematics kinematics, const LinearSolverSettings &linear,
    const NewtonSettings &newton)
    : tria_(tria)
    , comm_(tria.get_communicator())
    , sides_(sides)
    , top_(top)
    , kinematics_(kinematics)
    , linear_(linear)
    , newton_(newton)
    , fe_(FE_Q<3>(1), 3)
    , dof_handler_(tria)
  {
    phase_of_material_.fill(-1);
    for (const auto &[id, phase] : phases)
      {
        check_phase(id, phase);
        phase_of_material_[id] = static_cast<int>(phases_.size());
        phases_.push_back(phase);
      }
    if (phases_.size() > 255)
      throw CollectiveError("FiniteStrainSolver: at most 255 phases");

    unsigned int missing = 0;
    for (const auto &cell : tria_.active_cell_iterators())
      if (!cell->is_artificial() &&
          (cell->material_id() > 255 || phase_of_material_[cell->material_id()] < 0))
        missing = std::max<unsigned int>(missing, cell->material_id() + 1);
    missing = Utilities::MPI::max(missing, comm_);
    if (missing > 0)
      throw CollectiveError("FiniteStrainSolver: no material for label " +
                            std::to_string(missing - 1));

    setup_geometry_and_dofs();

    double e_max = 0.;
    for (const auto &p : phases_)
      e_max = std::max({e_max, p.E0, p.E1});
    const double h_mean = (h_[0] + h_[1] + h_[2]) / 3.;
    diag_scale_         = e_max * h_mean;
    atol_ = newton_.absolute_tolerance > 0. ? newton_.absolute_tolerance
                                            : 1e-12 * e_max * h_mean * h_mean;

    history_.resize(std::size_t(tria_.n_active_cells()) * cell_hist);
    for (std::size_t q = 0; q < history_.size() / n_hist; ++q)
      constitutive::initial_history(kinematics_, &history_[q * n_hist]);
    x_.assign(tria_.n_active_cells(), 0.);
    x_committed_ = x_;
  }

  FiniteStrainSolver::~FiniteStrainSolver() = default;


  void FiniteStrainSolver::set_phases(const std::map<unsigned int, MechanicalPhase> &phases)
  {
    std::size_t n = 0;
    for (const auto &[id, phase] : phases)
      {
        check_phase(id, phase); // also id <= 255
        if (phase_of_material_[id] < 0)
          throw CollectiveError("FiniteStrainSolver::set_phases: material id " +
                                std::to_string(id) + " was not there at construction");
        ++n;
      }
    if (n != phases_.size())
      throw CollectiveError("FiniteStrainSolver::set_phases: expected " +
                            std::to_string(phases_.size()) + " phases, got " + std::to_string(n));
    for (const auto &[id, phase] : phases)
      phases_[phase_of_material_[id]] = phase;
  }

  void FiniteStrainSolver::set_mean_dilatation(bool on)
  {
    if (on && kinematics_ != Kinematics::finite)
      throw std::invalid_argument("FiniteStrainSolver: mean dilatation needs finite kinematics");
    mean_dilatation_ = on;
  }


  void FiniteStrainSolver::mark_top_z()
  {
    // The top u_z are prescribed under a punch, free otherwise (bottom
    // u_z = 0 and the side conditions act on other DoFs).
    const unsigned char kind = top_ == TopCondition::displacement ? 2 : 0;
    for (const unsigned int i : top_z_)
      dof_kind_[i] = kind;
  }


  void FiniteStrainSolver::set_top_condition(const TopCondition top)
  {
    if (top == top_)
      return;
    if (top == TopCondition::free || top_ == TopCondition::free)
      throw std::invalid_argument("FiniteStrainSolver::set_top_condition: a free top stays free");
    top_ = top;
    mark_top_z();
    collect_owned_constraints();
    if (top == TopCondition::displacement)
      top_committed_ = mean_top_displacement();
    else
      top_committed_ = top_area_ > 0. ? top_force() / top_area_ : 0.;
    top_value_ = top_committed_;
  }


  void FiniteStrainSolver::commit()
  {
    std::vector<double> h(cell_hist);
    {
      LocalForm  ul(handle(u_));
      CellOutput out;
      for (const auto *list : {&owned_cells_, &ghost_cells_})
        for (const unsigned int c : *list)
          if (cell_kernel(c, ul.data(), false, Tangent::none, h.data(), out))
            std::copy(h.begin(), h.end(), history_.begin() + std::size_t(c) * cell_hist);
    }
    copy_ghosted(u_previous_, u_committed_);
    copy_ghosted(u_committed_, u_);
    x_committed_   = x_;
    top_committed_ = top_value_;
    dt_last_       = dt_;
    at_committed_  = true;
  }


  void FiniteStrainSolver::revert()
  {
    copy_ghosted(u_, u_committed_);
    x_            = x_committed_;
    top_value_    = top_committed_;
    at_committed_ = true;
  }


  void FiniteStrainSolver::cell_fields(std::vector<CellStress> *cauchy,
                                       std::vector<double>     *jacobian,
                                       std::vector<double>     *plastic_strain,
                                       std::vector<double>     *deformed_volume) const
  {
    const std::size_t n = tria_.n_active_cells();
    if (cauchy)
      cauchy->assign(n, CellStress{});
    if (jacobian)
      jacobian->assign(n, 0.);
    if (plastic_strain)
      plastic_strain->assign(n, 0.);
    if (deformed_volume)
      deformed_volume->assign(n, 0.);
    LocalForm  ul(handle(u_));
    CellOutput out;
    for (const auto *list : {&owned_cells_, &ghost_cells_})
      for (const unsigned int c : *list)
        {
          if (!cell_kernel(c, ul.data(), false, Tangent::none, nullptr, out))
            {
              out.cauchy.fill(std::numeric_limits<double>::quiet_NaN());
              out.J = out.alpha = out.volume = std::numeric_limits<double>::quiet_NaN();
            }
          if (cauchy)
            (*cauchy)[c] = out.cauchy;
          if (jacobian)
            (*jacobian)[c] = out.J;
          if (plastic_strain)
            (*plastic_strain)[c] = out.alpha;
          if (deformed_volume)
            (*deformed_volume)[c] = out.volume;
        }
  }

  std::vector<CellStress> FiniteStrainSolver::cell_cauchy_stress() const
  {
    std::vector<CellStress> s;
    cell_fields(&s, nullptr, nullptr, nullptr);
    return s;
  }

  std::vector<double> FiniteStrainSolver::cell_jacobian() const
  {
    std::vector<double> v;
    cell_fields(nullptr, &v, nullptr, nullptr);
    return v;
  }

  std::vector<double> FiniteStrainSolver::cell_plastic_strain() const
  {
    std::vector<double> v;
    cell_fields(nullptr, nullptr, &v, nullptr);
    return v;
  }

  std::vector<double> FiniteStrainSolver::cell_deformed_volume() const
  {
    std::vector<double> v;
    cell_fields(nullptr, nullptr, nullptr, &v);
    return v;
  }


  double FiniteStrainSolver::mean_top_displacement() const
  {
    return mean_face_displacement(boundary_id::top, 2);
  }

  double FiniteStrainSolver::mean_face_displacement(unsigned int face,
                                                    unsigned int component) const
  {
    if (face > 5 || component > 2)
      throw std::invalid_argument("mean_face_displacement: face 0..5, component 0..2");
    double integral = 0., area = 0.;
    {
      LocalForm ul(handle(u_));
      for (const unsigned int c : owned_cells_)
        if (cell_faces_[c] & (1u << face))
          {
            // Bilinear on a rectangle: the mean is the mean of the corners.
            double sum = 0.;
            for (unsigned int v = 0; v < 8; ++v)
              if (vertex_on_face(v, face))
                sum += ul.data()[cell_dofs_[n_cell_dof * c + 3 * v + component]];
            integral += sum * face_area_[face] / 4.;
            area += face_area_[face];
          }
    }
    integral = Utilities::MPI::sum(integral, comm_);
    area     = Utilities::MPI::sum(area, comm_);
    return integral / area;
  }

  double FiniteStrainSolver::top_force() const
  {
    // The z internal force summed over the top vertices: every cell that has
    // a top vertex has its top face on the boundary.
    double force = 0.;
    {
      LocalForm  ul(handle(u_));
      CellOutput out;
      for (const unsigned int c : owned_cells_)
        if (cell_faces_[c] & (1u << boundary_id::top))
          if (cell_kernel(c, ul.data(), true, Tangent::none, nullptr, out))
            for (unsigned int v = 0; v < 8; ++v)
              if (vertex_on_face(v, boundary_id::top))
                force -= out.f[3 * v + 2];
    }
    return Utilities::MPI::sum(force, comm_);
  }


  std::vector<double> FiniteStrainSolver::pack_cell_state(const cell_iterator &cell) const
  {
    if (!cell->is_locally_owned())
      throw std::invalid_argument("pack_cell_state: the cell is not locally owned");
    const unsigned int  c = cell->active_cell_index();
    std::vector<double> data(n_packed_values);
    {
      LocalForm ul(handle(u_committed_));
      for (unsigned int i = 0; i < n_cell_dof; ++i)
        data[i] = ul.data()[cell_dofs_[n_cell_dof * c + i]];
    }
    std::copy_n(history_.begin() + std::size_t(c) * cell_hist, cell_hist, data.begin() + n_cell_dof);
    data[n_cell_dof + cell_hist]     = x_committed_[c];
    data[n_cell_dof + cell_hist + 1] = top_committed_;
    {
      LocalForm up(handle(u_previous_));
      for (unsigned int i = 0; i < n_cell_dof; ++i)
        data[n_cell_dof + cell_hist + 2 + i] = up.data()[cell_dofs_[n_cell_dof * c + i]];
    }
    data[2 * n_cell_dof + cell_hist + 2] = dt_last_;
    return data;
  }

  void FiniteStrainSolver::unpack_cell_state(const cell_iterator       &cell,
                                             const std::vector<double> &data)
  {
    if (!cell->is_locally_owned())
      throw std::invalid_argument("unpack_cell_state: the cell is not locally owned");
    if (data.size() != n_packed_values)
      throw std::invalid_argument("unpack_cell_state: expected " +
                                  std::to_string(n_packed_values) + " values");
    const unsigned int c = cell->active_cell_index();
    {
      LocalForm ul(handle(u_committed_)), up(handle(u_previous_));
      for (unsigned int i = 0; i < n_cell_dof; ++i)
        {
          const unsigned int l = cell_dofs_[n_cell_dof * c + i];
          if (l < n_owned_)
            {
              ul.data()[l] = data[i];
              up.data()[l] = data[n_cell_dof + cell_hist + 2 + i];
            }
        }
    }
    dt_last_ = data[2 * n_cell_dof + cell_hist + 2];
    std::copy_n(data.begin() + n_cell_dof, cell_hist, history_.begin() + std::size_t(c) * cell_hist);
    x_committed_[c] = data[n_cell_dof + cell_hist];
    top_committed_  = data[n_cell_dof + cell_hist + 1];
  }

  void FiniteStrainSolver::finish_unpack()
  {
    ghost_update_forward(handle(u_committed_));
    ghost_update_forward(handle(u_previous_));
    dt_last_ = Utilities::MPI::max(owned_cells_.empty() ? 0. : dt_last_, comm_);
    // Ghost cells: history and state of charge from their owners.
    using Data = std::vector<double>;
    GridTools::exchange_cell_data_to_ghosts<Data, parallel::distributed::Triangulation<3>>(
      tria_,
      [&](const cell_iterator &cell) -> std_cxx17::optional<Data> {
        const unsigned int c = cell->active_cell_index();
        Data d(history_.begin() + std::size_t(c) * cell_hist,
               history_.begin() + std::size_t(c + 1) * cell_hist);
        d.push_back(x_committed_[c]);
        return d;
      },
      [&](const cell_iterator &cell, const Data &d) {
        const unsigned int c = cell->active_cell_index();
        std::copy_n(d.begin(), cell_hist, history_.begin() + std::size_t(c) * cell_hist);
        x_committed_[c] = d[cell_hist];
      });
    // Every rank with cells has read the same committed top load; ranks
    // without owned cells take it from the others.
    top_committed_ = Utilities::MPI::max(owned_cells_.empty() ? -1e300 : top_committed_, comm_);
    revert();
  }
} // namespace solidanode
