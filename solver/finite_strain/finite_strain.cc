#include <solver/finite_strain/finite_strain.h>

#include <mesh/voxel_mesh.h>
#include <solver/elasticity/elastic_krylov.h>
#include <base/errors.h>

#include <deal.II/base/mpi.h>
#include <deal.II/dofs/dof_tools.h>
#include <deal.II/fe/fe_q.h>
#include <deal.II/grid/grid_tools.h>
#include <deal.II/lac/affine_constraints.h>
#include <deal.II/lac/dynamic_sparsity_pattern.h>
#include <deal.II/lac/sparsity_tools.h>

#include <petscksp.h>

#include <algorithm>
#include <cstdio>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace solidanode
{
  using namespace dealii;

  namespace
  {
    constexpr unsigned int n_qp       = 8;
    constexpr unsigned int n_cell_dof = 24;
    constexpr unsigned int n_hist     = constitutive::n_history;
    constexpr unsigned int cell_hist  = n_qp * n_hist;

    /// Read/write access to the owned and ghost entries of a ghosted PETSc
    /// vector (its local form: owned entries first, then the ghosts).
    class LocalForm
    {
    public:
      explicit LocalForm(Vec v)
        : global_(v)
      {
        check_petsc(VecGhostGetLocalForm(global_, &local_), "VecGhostGetLocalForm");
        check_petsc(VecGetArray(local_, &data_), "VecGetArray");
      }
      ~LocalForm()
      {
        VecRestoreArray(local_, &data_);
        VecGhostRestoreLocalForm(global_, &local_);
      }
      LocalForm(const LocalForm &) = delete;
      LocalForm &operator=(const LocalForm &) = delete;
      PetscScalar *data() { return data_; }
      PetscInt     size() const
      {
        PetscInt n = 0;
        VecGetSize(local_, &n);
        return n;
      }

    private:
      Vec          global_;
      Vec          local_ = nullptr;
      PetscScalar *data_  = nullptr;
    };

    Vec handle(const PETScWrappers::VectorBase &v)
    {
      return static_cast<const Vec &>(v);
    }

    void ghost_update_forward(Vec v)
    {
      check_petsc(VecGhostUpdateBegin(v, INSERT_VALUES, SCATTER_FORWARD), "VecGhostUpdateBegin");
      check_petsc(VecGhostUpdateEnd(v, INSERT_VALUES, SCATTER_FORWARD), "VecGhostUpdateEnd");
    }

    double elapsed(double since) { return MPI_Wtime() - since; }

    /// Vertex v of a deal.II hexahedron sits at (v & 1, v >> 1 & 1, v >> 2 & 1).
    bool vertex_on_face(unsigned int v, unsigned int face)
    {
      return ((v >> (face / 2)) & 1u) == (face % 2);
    }
  } // namespace

  struct FiniteStrainSolver::CellOutput
  {
    double     f[n_cell_dof];
    double     K[n_cell_dof * n_cell_dof];
    CellStress cauchy;
    double     J, alpha, volume;
  };


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


  void FiniteStrainSolver::setup_geometry_and_dofs()
  {
    dof_handler_.distribute_dofs(fe_);
    owned_ = dof_handler_.locally_owned_dofs();
    DoFTools::extract_locally_relevant_dofs(dof_handler_, relevant_);
    if (!owned_.is_contiguous())
      throw std::logic_error("FiniteStrainSolver: owned DoFs are not contiguous");
    n_owned_ = owned_.n_elements();
    IndexSet ghosts = relevant_;
    ghosts.subtract_set(owned_);
    local_to_global_.clear();
    local_to_global_.reserve(relevant_.n_elements());
    for (auto it = owned_.begin(); it != owned_.end(); ++it)
      local_to_global_.push_back(static_cast<PetscInt>(*it));
    for (auto it = ghosts.begin(); it != ghosts.end(); ++it)
      local_to_global_.push_back(static_cast<PetscInt>(*it));
    const types::global_dof_index first = n_owned_ > 0 ? *owned_.begin() : 0;
    auto local_index = [&](types::global_dof_index g) -> unsigned int {
      if (owned_.is_element(g))
        return static_cast<unsigned int>(g - first);
      return n_owned_ + static_cast<unsigned int>(ghosts.index_within_set(g));
    };

    // Cells, element geometry, boundary faces.
    const std::size_t n_cells = tria_.n_active_cells();
    cell_dofs_.assign(n_cells * n_cell_dof, 0);
    cell_phase_.assign(n_cells, 0);
    cell_faces_.assign(n_cells, 0);
    owned_cells_.clear();
    ghost_cells_.clear();
    dof_kind_.assign(local_to_global_.size(), 0);
    bool have_geometry = false, identical = true;
    double area = 0., solid_area = 0.;
    for (const auto &cell : dof_handler_.active_cell_iterators())
      {
        if (cell->is_artificial())
          continue;
        const unsigned int c = cell->active_cell_index();
        if (!have_geometry)
          {
            for (unsigned int d = 0; d < 3; ++d)
              h_[d] = cell->extent_in_direction(d);
            have_geometry = true;
          }
        for (unsigned int v = 0; v < 8; ++v)
          for (unsigned int d = 0; d < 3; ++d)
            {
              const double expected = cell->vertex(0)[d] + ((v >> d) & 1u) * h_[d];
              if (std::abs(cell->vertex(v)[d] - expected) > 1e-9 * h_[d])
                identical = false;
            }
        (cell->is_locally_owned() ? owned_cells_ : ghost_cells_).push_back(c);
        cell_phase_[c] = static_cast<unsigned char>(phase_of_material_[cell->material_id()]);
        for (unsigned int v = 0; v < 8; ++v)
          for (unsigned int comp = 0; comp < 3; ++comp)
            cell_dofs_[n_cell_dof * c + 3 * v + comp] = local_index(cell->vertex_dof_index(v, comp));
        for (unsigned int f = 0; f < 6; ++f)
          if (cell->at_boundary(f) && cell->face(f)->boundary_id() == f)
            cell_faces_[c] |= static_cast<unsigned char>(1u << f);
        // Dirichlet conditions, as in ElasticitySolver.
        auto fix = [&](unsigned int face, unsigned int comp, unsigned char kind) {
          if (!(cell_faces_[c] & (1u << face)))
            return;
          for (unsigned int v = 0; v < 8; ++v)
            if (vertex_on_face(v, face))
              dof_kind_[cell_dofs_[n_cell_dof * c + 3 * v + comp]] = kind;
        };
        fix(boundary_id::bottom, 2, 1);
        fix(boundary_id::x_min, 0, 1);
        fix(boundary_id::y_min, 1, 1);
        if (sides_ == SideCondition::rollers)
          {
            fix(boundary_id::x_max, 0, 1);
            fix(boundary_id::y_max, 1, 1);
          }
        if (top_ == TopCondition::displacement)
          fix(boundary_id::top, 2, 2);
        if (cell->is_locally_owned() && (cell_faces_[c] & (1u << boundary_id::top)))
          {
            const double a = cell->face(boundary_id::top)->measure();
            area += a;
            if (!phases_[cell_phase_[c]].pore)
              solid_area += a;
          }
      }
    identical = Utilities::MPI::min(identical ? 1u : 0u, comm_) == 1u;
    if (!identical)
      throw CollectiveError("FiniteStrainSolver: cells are not identical axis-aligned voxels");
    for (unsigned int d = 0; d < 3; ++d)
      h_[d] = Utilities::MPI::max(h_[d], comm_); // ranks without cells
    area       = Utilities::MPI::sum(area, comm_);
    solid_area = Utilities::MPI::sum(solid_area, comm_);
    if (top_ == TopCondition::pressure && !(solid_area > 0.))
      throw CollectiveError("the top face holds no solid voxel to carry the stack pressure");
    top_area_ratio_ = solid_area > 0. ? area / solid_area : 1.;
    face_area_[0] = face_area_[1] = h_[1] * h_[2];
    face_area_[2] = face_area_[3] = h_[0] * h_[2];
    face_area_[4] = face_area_[5] = h_[0] * h_[1];

    // Shape-function gradients at the 2x2x2 Gauss points of the voxel.
    const double g[2] = {0.5 - 0.5 / std::sqrt(3.), 0.5 + 0.5 / std::sqrt(3.)};
    for (unsigned int q = 0; q < n_qp; ++q)
      {
        const double xi[3] = {g[q & 1u], g[(q >> 1) & 1u], g[(q >> 2) & 1u]};
        for (unsigned int v = 0; v < 8; ++v)
          {
            double val[3], der[3];
            for (unsigned int d = 0; d < 3; ++d)
              {
                const bool hi = (v >> d) & 1u;
                val[d]        = hi ? xi[d] : 1. - xi[d];
                der[d]        = (hi ? 1. : -1.) / h_[d];
              }
            grad_[24 * q + 3 * v + 0] = der[0] * val[1] * val[2];
            grad_[24 * q + 3 * v + 1] = val[0] * der[1] * val[2];
            grad_[24 * q + 3 * v + 2] = val[0] * val[1] * der[2];
          }
      }
    qp_weight_ = h_[0] * h_[1] * h_[2] / n_qp;

    owned_constrained_.clear();
    owned_top_z_.clear();
    for (unsigned int i = 0; i < n_owned_; ++i)
      if (dof_kind_[i] != 0)
        {
          owned_constrained_.push_back(i);
          if (dof_kind_[i] == 2)
            owned_top_z_.push_back(i);
        }

    // Matrix: the sparsity of the condensed system (constrained rows and
    // columns hold their diagonal only), block size 3 for GAMG.
    AffineConstraints<double> constraints(relevant_);
    for (std::size_t i = 0; i < local_to_global_.size(); ++i)
      if (dof_kind_[i] != 0)
        constraints.add_line(local_to_global_[i]);
    constraints.close();
    DynamicSparsityPattern dsp(relevant_);
    DoFTools::make_sparsity_pattern(dof_handler_, dsp, constraints, false);
    SparsityTools::distribute_sparsity_pattern(dsp, owned_, comm_, relevant_);
    matrix_.reinit(owned_, owned_, dsp, comm_);
    check_petsc(MatSetBlockSize(matrix_.petsc_matrix(), 3), "MatSetBlockSize");

    for (auto *v : {&u_, &u_committed_, &u_trial_, &u_previous_, &r_})
      v->reinit(owned_, relevant_, comm_);
    du_.reinit(owned_, comm_);

    // Check the local-form numbering assumed above: owned, then sorted ghosts.
    {
      LocalForm lf(handle(u_));
      if (static_cast<std::size_t>(lf.size()) != local_to_global_.size())
        throw std::logic_error("FiniteStrainSolver: unexpected ghosted vector layout");
      for (unsigned int i = 0; i < n_owned_; ++i)
        lf.data()[i] = static_cast<double>(local_to_global_[i]);
    }
    ghost_update_forward(handle(u_));
    bool layout_ok = true;
    {
      LocalForm lf(handle(u_));
      for (std::size_t i = 0; i < local_to_global_.size(); ++i)
        {
          layout_ok = layout_ok && lf.data()[i] == static_cast<double>(local_to_global_[i]);
          lf.data()[i] = 0.;
        }
    }
    if (!layout_ok)
      throw std::logic_error("FiniteStrainSolver: unexpected ghost numbering");
    for (auto *v : {&u_, &u_committed_, &u_trial_, &u_previous_, &r_})
      {
        LocalForm lf(handle(*v));
        std::fill(lf.data(), lf.data() + lf.size(), 0.);
      }
  }


  bool FiniteStrainSolver::cell_kernel(unsigned int cell, const double *u_local,
                                       bool want_force, Tangent tangent,
                                       double *history_new, CellOutput &out) const
  {
    const bool want_tangent = tangent != Tangent::none;
    double ue[n_cell_dof];
    const unsigned int *dofs = &cell_dofs_[n_cell_dof * cell];
    for (unsigned int i = 0; i < n_cell_dof; ++i)
      ue[i] = u_local[dofs[i]];
    constitutive::PointMaterial m = constitutive::evaluate(phases_[cell_phase_[cell]], x_[cell]);
    // Creep acts over the step being solved; the committed state is
    // re-evaluated without a time step (its flow is in the history).
    m.dt = at_committed_ ? 0. : dt_;
    const double *hn = &history_[std::size_t(cell) * cell_hist];

    if (want_force)
      std::fill(out.f, out.f + n_cell_dof, 0.);
    if (want_tangent)
      std::fill(out.K, out.K + n_cell_dof * n_cell_dof, 0.);
    out.cauchy.fill(0.);
    out.J = out.alpha = out.volume = 0.;

    constitutive::PointResponse r;
    double                      A[81], As[81], T[8 * 3 * 9];
    if (tangent == Tangent::reference)
      {
        // Small-strain elastic tangent of the cell's moduli, as dP/dF.
        constitutive::PointMaterial elastic = m;
        elastic.yield                       = std::numeric_limits<double>::infinity();
        double virgin[n_hist];
        constitutive::initial_history(Kinematics::small, virgin);
        constitutive::update(Kinematics::small, elastic,
                             constitutive::Tensor2{{1., 0., 0., 0., 1., 0., 0., 0., 1.}},
                             virgin, r, nullptr, A);
      }
    std::array<constitutive::Tensor2, n_qp> Fq;
    double                                  Jbar = 0.; // mean dilatation: mean det F
    for (unsigned int q = 0; q < n_qp; ++q)
      {
        const double *G = &grad_[24 * q];
        auto         &F = Fq[q];
        F               = {{1., 0., 0., 0., 1., 0., 0., 0., 1.}};
        for (unsigned int v = 0; v < 8; ++v)
          for (unsigned int i = 0; i < 3; ++i)
            for (unsigned int j = 0; j < 3; ++j)
              F[3 * i + j] += ue[3 * v + i] * G[3 * v + j];
        if (mean_dilatation_)
          Jbar += constitutive::det(F) / n_qp; // equal weights on the voxel grid
      }
    if (mean_dilatation_ && !(Jbar > 0.))
      return false;
    // Mean dilatation: g_(v,i) = int cof(F)_ij dphi_v/dX_j dV = d(V Jbar)/du_(v,i).
    double g[n_cell_dof];
    if (mean_dilatation_ && tangent == Tangent::consistent)
      std::fill(g, g + n_cell_dof, 0.);
    for (unsigned int q = 0; q < n_qp; ++q)
      {
        const double *G = &grad_[24 * q];
        const auto   &F = Fq[q];
        if (!constitutive::update(kinematics_, m, F, hn + n_hist * q, r,
                                  history_new ? history_new + n_hist * q : nullptr,
                                  tangent == Tangent::consistent ? A : nullptr, Jbar))
          return false;
        if (mean_dilatation_ && tangent == Tangent::consistent)
          {
            const auto c = constitutive::cofactor(F);
            for (unsigned int v = 0; v < 8; ++v)
              for (unsigned int i = 0; i < 3; ++i)
                g[3 * v + i] += qp_weight_ * (c[3 * i] * G[3 * v] + c[3 * i + 1] * G[3 * v + 1] +
                                              c[3 * i + 2] * G[3 * v + 2]);
          }
        if (kinematics_ == Kinematics::finite && !(r.Je > 0.))
          return false;
        const auto &s = r.cauchy;
        out.cauchy[0] += s[0];
        out.cauchy[1] += s[4];
        out.cauchy[2] += s[8];
        out.cauchy[3] += s[5];
        out.cauchy[4] += s[2];
        out.cauchy[5] += s[1];
        out.J += r.J;
        out.alpha += r.alpha;
        out.volume += r.J * qp_weight_;
        if (want_force)
          for (unsigned int v = 0; v < 8; ++v)
            for (unsigned int i = 0; i < 3; ++i)
              out.f[3 * v + i] += qp_weight_ * (r.P[3 * i] * G[3 * v] + r.P[3 * i + 1] * G[3 * v + 1] +
                                                r.P[3 * i + 2] * G[3 * v + 2]);
        if (want_tangent)
          {
            // Symmetrised tangent (exact for hyperelastic points), times JxW.
            for (unsigned int a = 0; a < 9; ++a)
              for (unsigned int b = a; b < 9; ++b)
                As[9 * a + b] = As[9 * b + a] = 0.5 * qp_weight_ * (A[9 * a + b] + A[9 * b + a]);
            // T[v][i][kl] = sum_j G_vj As[ij][kl]
            for (unsigned int v = 0; v < 8; ++v)
              for (unsigned int i = 0; i < 3; ++i)
                for (unsigned int kl = 0; kl < 9; ++kl)
                  T[27 * v + 9 * i + kl] = G[3 * v] * As[9 * (3 * i) + kl] +
                                           G[3 * v + 1] * As[9 * (3 * i + 1) + kl] +
                                           G[3 * v + 2] * As[9 * (3 * i + 2) + kl];
            // K[(v,i)][(w,k)] += sum_l T[v][i][kl] G_wl (upper triangle)
            for (unsigned int row = 0; row < n_cell_dof; ++row)
              {
                const double *t = &T[9 * row];
                double       *K = &out.K[n_cell_dof * row];
                for (unsigned int col = row; col < n_cell_dof; ++col)
                  {
                    const unsigned int w = col / 3, k = col % 3;
                    K[col] += t[3 * k] * G[3 * w] + t[3 * k + 1] * G[3 * w + 1] +
                              t[3 * k + 2] * G[3 * w + 2];
                  }
              }
          }
      }
    if (mean_dilatation_ && tangent == Tangent::consistent)
      {
        // The change of the element pressure: dp/dJbar g g^T / V.
        const double c = r.dp_dJbar / (n_qp * qp_weight_);
        for (unsigned int row = 0; row < n_cell_dof; ++row)
          for (unsigned int col = row; col < n_cell_dof; ++col)
            out.K[n_cell_dof * row + col] += c * g[row] * g[col];
      }
    if (want_tangent)
      for (unsigned int row = 0; row < n_cell_dof; ++row)
        for (unsigned int col = 0; col < row; ++col)
          out.K[n_cell_dof * row + col] = out.K[n_cell_dof * col + row];
    for (auto &c : out.cauchy)
      c /= n_qp;
    out.J /= n_qp;
    out.alpha /= n_qp;
    return true;
  }


  double FiniteStrainSolver::residual(const PETScWrappers::MPI::Vector &u)
  {
    Vec  r     = handle(r_);
    bool valid = true;
    {
      LocalForm ul(handle(u)), rl(r);
      double   *rr = rl.data();
      std::fill(rr, rr + rl.size(), 0.);
      CellOutput out;
      const double p = top_ == TopCondition::pressure ? top_value_ * top_area_ratio_ : 0.;
      for (const unsigned int c : owned_cells_)
        {
          if (!cell_kernel(c, ul.data(), true, Tangent::none, nullptr, out))
            {
              if (newton_.verbose)
                std::printf("  rank %u: a point of a '%s' cell inverts\n",
                            Utilities::MPI::this_mpi_process(comm_),
                            phases_[cell_phase_[c]].name.c_str());
              valid = false;
              break;
            }
          if (p != 0. && (cell_faces_[c] & (1u << boundary_id::top)) &&
              !phases_[cell_phase_[c]].pore)
            for (unsigned int v = 0; v < 8; ++v)
              if (vertex_on_face(v, boundary_id::top))
                out.f[3 * v + 2] += p * face_area_[boundary_id::top] / 4.; // - f_ext
          const unsigned int *dofs = &cell_dofs_[n_cell_dof * c];
          for (unsigned int i = 0; i < n_cell_dof; ++i)
            rr[dofs[i]] += out.f[i];
        }
    }
    if (Utilities::MPI::min(valid ? 1u : 0u, comm_) == 0u)
      return -1.;
    check_petsc(VecGhostUpdateBegin(r, ADD_VALUES, SCATTER_REVERSE), "VecGhostUpdateBegin");
    check_petsc(VecGhostUpdateEnd(r, ADD_VALUES, SCATTER_REVERSE), "VecGhostUpdateEnd");
    {
      LocalForm rl(r);
      for (const unsigned int i : owned_constrained_)
        rl.data()[i] = 0.;
    }
    PetscReal norm = 0.;
    check_petsc(VecNorm(r, NORM_2, &norm), "VecNorm");
    return std::isfinite(norm) ? norm : -1.;
  }


  double FiniteStrainSolver::assemble_system(double lift, Tangent tangent)
  {
    Vec  r     = handle(r_);
    Mat  mat   = matrix_.petsc_matrix();
    bool valid = true;
    check_petsc(MatZeroEntries(mat), "MatZeroEntries");
    {
      LocalForm ul(handle(u_)), rl(r);
      double   *rr = rl.data();
      std::fill(rr, rr + rl.size(), 0.);
      CellOutput   out;
      PetscInt     rows[n_cell_dof];
      const double p = top_ == TopCondition::pressure ? top_value_ * top_area_ratio_ : 0.;
      for (const unsigned int c : owned_cells_)
        {
          if (!cell_kernel(c, ul.data(), true, tangent, nullptr, out))
            {
              valid = false;
              break;
            }
          if (p != 0. && (cell_faces_[c] & (1u << boundary_id::top)) &&
              !phases_[cell_phase_[c]].pore)
            for (unsigned int v = 0; v < 8; ++v)
              if (vertex_on_face(v, boundary_id::top))
                out.f[3 * v + 2] += p * face_area_[boundary_id::top] / 4.;
          const unsigned int *dofs = &cell_dofs_[n_cell_dof * c];
          bool                lifted = false;
          for (unsigned int i = 0; i < n_cell_dof; ++i)
            {
              const unsigned char kind = dof_kind_[dofs[i]];
              rows[i] = kind == 0 ? local_to_global_[dofs[i]] : -1;
              lifted  = lifted || (kind == 2 && lift != 0.);
            }
          for (unsigned int i = 0; i < n_cell_dof; ++i)
            {
              double b = -out.f[i];
              if (lifted)
                for (unsigned int j = 0; j < n_cell_dof; ++j)
                  if (dof_kind_[dofs[j]] == 2)
                    b -= out.K[n_cell_dof * i + j] * lift;
              rr[dofs[i]] += b;
            }
          check_petsc(MatSetValues(mat, n_cell_dof, rows, n_cell_dof, rows, out.K, ADD_VALUES),
                      "MatSetValues");
        }
    }
    for (const unsigned int i : owned_constrained_)
      check_petsc(MatSetValue(mat, local_to_global_[i], local_to_global_[i], diag_scale_,
                              ADD_VALUES),
                  "MatSetValue");
    check_petsc(MatAssemblyBegin(mat, MAT_FINAL_ASSEMBLY), "MatAssemblyBegin");
    check_petsc(MatAssemblyEnd(mat, MAT_FINAL_ASSEMBLY), "MatAssemblyEnd");
    if (Utilities::MPI::min(valid ? 1u : 0u, comm_) == 0u)
      return -1.;
    check_petsc(VecGhostUpdateBegin(r, ADD_VALUES, SCATTER_REVERSE), "VecGhostUpdateBegin");
    check_petsc(VecGhostUpdateEnd(r, ADD_VALUES, SCATTER_REVERSE), "VecGhostUpdateEnd");
    {
      LocalForm rl(r);
      for (const unsigned int i : owned_constrained_)
        rl.data()[i] = 0.;
    }
    PetscReal norm = 0.;
    check_petsc(VecNorm(r, NORM_2, &norm), "VecNorm");
    return std::isfinite(norm) ? norm : -1.;
  }


  void FiniteStrainSolver::copy_ghosted(PETScWrappers::MPI::Vector       &dst,
                                        const PETScWrappers::MPI::Vector &src) const
  {
    check_petsc(VecCopy(handle(src), handle(dst)), "VecCopy");
    ghost_update_forward(handle(dst));
  }


  NewtonStatistics FiniteStrainSolver::solve(double top_value, const std::vector<double> &x_cell)
  {
    if (x_cell.size() != tria_.n_active_cells())
      throw std::invalid_argument("FiniteStrainSolver::solve: x_cell must have one value per "
                                  "active cell (tria.n_active_cells())");
    NewtonStatistics st;
    x_ = x_cell;
    copy_ghosted(u_, u_committed_);
    at_committed_ = false;
    if (newton_.extrapolate && dt_ > 0. && dt_last_ > 0.)
      {
        // Start from the committed state extrapolated along the last step
        // (free DoFs), unless that inverts a point.
        const double s = dt_ / dt_last_;
        {
          LocalForm u(handle(u_)), uc(handle(u_committed_)), up(handle(u_previous_));
          for (unsigned int i = 0; i < n_owned_; ++i)
            if (dof_kind_[i] == 0)
              u.data()[i] += s * (uc.data()[i] - up.data()[i]);
        }
        ghost_update_forward(handle(u_));
        if (residual(u_) < 0.)
          copy_ghosted(u_, u_committed_);
      }
    double lift = 0.;
    if (top_ == TopCondition::displacement)
      {
        top_value_ = top_committed_;
        lift       = top_value - top_committed_;
      }
    else
      top_value_ = top_value;

    double t0     = MPI_Wtime();
    double r_norm = residual(u_);
    st.residual_seconds += elapsed(t0);
    if (r_norm < 0.)
      {
        st.failure = "inverted quadrature point at the start";
        return st;
      }
    double r0 = r_norm;
    st.initial_residual = r_norm;
    st.residual_norm    = r_norm;

    for (unsigned int it = 0;; ++it)
      {
        if (lift == 0. &&
            (r_norm <= newton_.relative_tolerance * r0 || r_norm <= atol_))
          {
            st.converged = true;
            break;
          }
        if (it == newton_.max_iterations)
          {
            st.failure = "no convergence in " + std::to_string(it) + " Newton iterations";
            break;
          }

        const NewtonStatistics before = st;
        t0            = MPI_Wtime();
        double b_norm = assemble_system(lift, Tangent::consistent);
        st.assemble_seconds += elapsed(t0);
        if (b_norm < 0.)
          {
            st.failure = "invalid state in the tangent assembly";
            break;
          }
        if (it == 0)
          {
            r0                  = std::max(r0, b_norm);
            st.initial_residual = r0;
          }

        // CG on the symmetrised consistent tangent; FGMRES with the same AMG
        // when CG meets an indefinite preconditioner; the SPD reference
        // tangent when the consistent one is indefinite or CG fails otherwise.
        const unsigned int its_before = st.linear_iterations;
        int                reason     = linear_solve(it == 0, false, st);
        const char        *fallback   = "";
        if (newton_.verbose && reason < 0 && Utilities::MPI::this_mpi_process(comm_) == 0)
          std::printf("  Newton %u: CG on the consistent tangent stopped, PETSc reason %d\n", it,
                      reason);
        if (reason == KSP_DIVERGED_INDEFINITE_PC || reason == KSP_DIVERGED_BREAKDOWN ||
            reason == KSP_DIVERGED_PC_FAILED)
          {
            ++st.linear_fallbacks;
            fallback = " (FGMRES)";
            reason   = linear_solve(false, true, st);
          }
        if (reason < 0)
          {
            ++st.linear_fallbacks;
            fallback = " (reference tangent)";
            t0       = MPI_Wtime();
            b_norm   = assemble_system(lift, Tangent::reference);
            st.assemble_seconds += elapsed(t0);
            reason = linear_solve(true, false, st);
          }
        st.iterations = it + 1;
        if (reason < 0)
          {
            st.failure = "linear solver failed: PETSc reason " + std::to_string(reason) +
                         " (also with the fallbacks)";
            break;
          }
        {
          PetscScalar *d = nullptr;
          check_petsc(VecGetArray(handle(du_), &d), "VecGetArray");
          for (const unsigned int i : owned_constrained_)
            d[i] = dof_kind_[i] == 2 ? lift : 0.;
          VecRestoreArray(handle(du_), &d);
        }

        // Backtracking: halve the step while it inverts a point or (with
        // line_search) does not decrease the residual norm.
        double t = 1., r_t = -1.;
        bool   accepted = false;
        t0              = MPI_Wtime();
        for (unsigned int halving = 0;; ++halving)
          {
            check_petsc(VecWAXPY(handle(u_trial_), t, handle(du_), handle(u_)), "VecWAXPY");
            ghost_update_forward(handle(u_trial_));
            r_t = residual(u_trial_);
            if (r_t >= 0. && (!newton_.line_search || r_t < b_norm || r_t <= atol_))
              {
                accepted = true;
                break;
              }
            if (halving == newton_.max_step_halvings)
              break;
            t *= 0.5;
            ++st.step_halvings;
          }
        st.residual_seconds += elapsed(t0);
        if (!accepted)
          {
            st.failure = r_t < 0. ? "every step length inverts a quadrature point"
                                  : "the line search found no decrease of the residual";
            break;
          }
        if (newton_.verbose && Utilities::MPI::this_mpi_process(comm_) == 0)
          std::printf("  Newton %u: |b| %.3e, %u linear its%s, step %.4g, |R| %.3e (|R0| %.3e); "
                      "assembly %.2f s, residuals %.2f s, AMG setup %.2f s, Krylov %.2f s\n",
                      it, b_norm, st.linear_iterations - its_before, fallback, t, r_t, r0,
                      st.assemble_seconds - before.assemble_seconds,
                      st.residual_seconds - before.residual_seconds,
                      st.setup_seconds - before.setup_seconds,
                      st.solve_seconds - before.solve_seconds);
        if (newton_.verbose)
          std::fflush(stdout);
        copy_ghosted(u_, u_trial_);
        r_norm           = r_t;
        st.residual_norm = r_t;
        if (lift != 0.)
          {
            if (t == 1.)
              {
                top_value_ = top_value;
                lift       = 0.;
              }
            else
              {
                top_value_ += t * lift;
                lift *= (1. - t);
              }
          }
      }
    st.residual_norm = r_norm;
    return st;
  }


  int FiniteStrainSolver::linear_solve(bool rebuild_amg, bool fgmres, NewtonStatistics &st)
  {
    double t0 = MPI_Wtime();
    PC     pc = nullptr;
    if (!krylov_)
      krylov_ = std::make_unique<ElasticKrylov>(dof_handler_, owned_, matrix_, linear_,
                                                /*nonzero_initial_guess=*/false);
    else
      {
        // A fresh AMG hierarchy for the first tangent of each solve, the same
        // aggregates and prolongators for the later ones if so configured.
        check_petsc(KSPGetPC(krylov_->ksp(), &pc), "KSPGetPC");
        check_petsc(PCGAMGSetReuseInterpolation(
                      pc, (newton_.reuse_amg_interpolation && !rebuild_amg) ? PETSC_TRUE
                                                                            : PETSC_FALSE),
                    "PCGAMGSetReuseInterpolation");
        // PCSetUp rebuilds (or, with reuse, updates) the hierarchy when the
        // matrix changed; KSPSolve would do it anyway, this times it apart.
        check_petsc(PCSetUp(pc), "PCSetUp (AMG setup)");
      }
    st.setup_seconds += elapsed(t0);

    KSP ksp = krylov_->ksp();
    t0      = MPI_Wtime();
    if (fgmres)
      {
        check_petsc(KSPSetType(ksp, KSPFGMRES), "KSPSetType");
        check_petsc(KSPGMRESSetRestart(ksp, 50), "KSPGMRESSetRestart");
        check_petsc(KSPSetNormType(ksp, KSP_NORM_UNPRECONDITIONED), "KSPSetNormType");
      }
    check_petsc(KSPSolve(ksp, handle(r_), handle(du_)), "KSPSolve");
    KSPConvergedReason reason;
    PetscInt           its = 0;
    KSPGetConvergedReason(ksp, &reason);
    KSPGetIterationNumber(ksp, &its);
    if (fgmres)
      {
        check_petsc(KSPSetType(ksp, KSPCG), "KSPSetType");
        check_petsc(KSPSetNormType(ksp, KSP_NORM_UNPRECONDITIONED), "KSPSetNormType");
      }
    st.linear_iterations += static_cast<unsigned int>(its);
    st.solve_seconds += elapsed(t0);
    return static_cast<int>(reason);
  }


  void FiniteStrainSolver::set_mean_dilatation(bool on)
  {
    if (on && kinematics_ != Kinematics::finite)
      throw std::invalid_argument("FiniteStrainSolver: mean dilatation needs finite kinematics");
    mean_dilatation_ = on;
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
