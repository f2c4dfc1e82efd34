// Finite-strain (and small-strain) elasto-plastic mechanics with a per-cell
// swelling on the voxel mesh, in parallel with PETSc.
//
//   Div P = 0 in the reference voxel domain,  P = P(F, x, history)
//
// with the point-wise laws of solver/materials/constitutive.h (F = F_e F_p F_s,
// F_s = J_s(x)^(1/3) I, split neo-Hookean, J2 radial return of Simo), Q1
// vector elements on the voxels (2x2x2 Gauss, one element geometry for all
// cells), Newton with backtracking line search, CG + GAMG (ElasticKrylov) on
// the symmetrised tangent. Boundary conditions exactly as ElasticitySolver
// (bottom u_z = 0; sides rollers or free; top pressure carried by the solid
// top faces as a dead load on the reference faces, prescribed u_z, or free).
// Equations, units, algorithm and sources: docs/finite_strain.md.
#pragma once

#include <solver/materials/constitutive.h>
#include <solver/elasticity/elasticity_types.h>

#include <deal.II/base/index_set.h>
#include <deal.II/distributed/tria.h>
#include <deal.II/dofs/dof_handler.h>
#include <deal.II/fe/fe_system.h>
#include <deal.II/lac/petsc_sparse_matrix.h>
#include <deal.II/lac/petsc_vector.h>

#include <petscsys.h>

#include <array>
#include <map>
#include <memory>
#include <vector>

namespace solidanode
{
  class ElasticKrylov;

  class FiniteStrainSolver
  {
  public:
    using cell_iterator = dealii::Triangulation<3>::active_cell_iterator;

    /// Values in one pack_cell_state() blob: 24 vertex displacements (vertex
    /// v, component c at 3 v + c), 8 x n_history committed history values, the
    /// cell's committed state of charge, the committed top load, the 24
    /// vertex displacements committed before (for the extrapolated start),
    /// the time step of the last commit.
    static constexpr unsigned int n_packed_values = 24 + 8 * constitutive::n_history + 2 + 25;

    /// @p phases maps material_id to its data; every material_id present in
    /// @p tria must be there. Throws CollectiveError on bad phase data.
    FiniteStrainSolver(const dealii::parallel::distributed::Triangulation<3> &tria,
                       const std::map<unsigned int, MechanicalPhase> &phases,
                       SideCondition sides, TopCondition top, Kinematics kinematics,
                       const LinearSolverSettings &linear, const NewtonSettings &newton);
    ~FiniteStrainSolver();

    /// Equilibrium at top load @p top_value (pressure [Pa] or displacement
    /// [m], as the TopCondition says; ignored for a free top) and state of
    /// charge @p x_cell (per cell, indexed by active_cell_index, valid on
    /// locally owned and ghost cells; ignored by phases without swelling and
    /// with E1 < 0 and yield1 < 0), starting from the last committed state.
    /// Does not commit. Returns converged = false (never throws) when Newton,
    /// the line search or CG fail; throws only for real errors.
    NewtonStatistics solve(double top_value, const std::vector<double> &x_cell);
    /// Time step of the following solves [s], for creep (0: none, e.g. a
    /// quasi-static press). The flow of a creeping phase over the step is
    /// integrated by backward Euler.
    void set_time_step(double dt) { dt_ = dt; }
    /// Finite strain: mean dilatation (Simo, Taylor & Pister 1985; the
    /// F-bar idea with the element's mean det F): the volumetric stress of a
    /// cell comes from its mean volume change, so that isochoric plastic or
    /// creep flow does not lock the trilinear element. Set before the first
    /// solve; off by default (point-wise). docs/finite_strain.md.
    void set_mean_dilatation(bool on);

    /// Replace the phase data (same material ids as at construction), e.g.
    /// the yield stresses and creep rates at a new temperature; the history
    /// is kept. Throws CollectiveError for invalid data or another id set.
    void set_phases(const std::map<unsigned int, MechanicalPhase> &phases);
    /// A debonding interface: the cells of material @c band that share a
    /// face with a cell of material @c phase carry the cohesive band law
    /// (solver/materials/cohesive_band.h), band thickness the voxel size.
    struct Band
    {
      unsigned int phase = 0, band = 0;
      double       strength = 0., fracture_energy = 0., residual = 1e-4;
    };
    /// Set the bands before the first solve (finite_strain_bands.cc).
    void set_cohesive_bands(const std::vector<Band> &bands);
    /// Band thickness [m] (the voxel size).
    double band_thickness() const;
    /// Of the committed state, per locally owned and ghost cell (by
    /// active_cell_index): the mean damage of a band cell (0 elsewhere) and
    /// whether it has debonded: 1 where every point of a band cell is past
    /// the final opening eps_f, 0 for other band cells, -1 for cells
    /// without a band. Either may be null.
    void cell_band_state(std::vector<double> *damage, std::vector<double> *debonded) const;
    /// Of the current (solved, not committed) state: the largest growth of
    /// a band point's kappa over the committed one, relative to what one
    /// increment may take (constitutive::band_kappa_step); > 1: the
    /// increment is too large for the explicit damage, cut it. 0 without
    /// bands. Collective.
    double band_step_ratio() const;

    /// Accept the displacement and plastic history of the last solve.
    void commit();
    /// Go back to the last committed state.
    void revert();

    /// Cell averages over the 8 quadrature points of the current state, for
    /// locally owned and ghost cells (zero elsewhere), by active_cell_index.
    std::vector<CellStress> cell_cauchy_stress() const; ///< [Pa], xx yy zz yz xz xy
    std::vector<double>     cell_jacobian() const;       ///< det F
    std::vector<double>     cell_plastic_strain() const; ///< equivalent plastic strain
    std::vector<double>     cell_deformed_volume() const; ///< int det F dV [m^3]
    /// All four at once (one constitutive pass).
    void cell_fields(std::vector<CellStress> *cauchy, std::vector<double> *jacobian,
                     std::vector<double> *plastic_strain,
                     std::vector<double> *deformed_volume) const;

    /// Mean u_z over the top face [m]. Collective.
    double mean_top_displacement() const;
    /// Area-weighted mean of displacement component @p component over box
    /// face @p face (0..5: x_min, x_max, y_min, y_max, bottom, top) [m]. Collective.
    double mean_face_displacement(unsigned int face, unsigned int component) const;
    /// Total z force on the top face [N], > 0 compressive, from the weak-form
    /// internal forces of the current state (also under a prescribed top
    /// displacement: stack pressure = top_force / reference top area). Collective.
    double top_force() const;
    /// Top load of the current state (pressure [Pa] or displacement [m]).
    double top_value() const { return top_value_; }
    /// Reference area of the top face [m^2].
    double top_area() const { return top_area_; }
    /// Switch the top between a stack pressure on the solid top faces
    /// (TopCondition::pressure) and a rigid punch (TopCondition::displacement:
    /// every top u_z moves by the same increment; top_value() is then the
    /// mean top u_z). Call at a committed state; the committed top load
    /// becomes the mean top u_z (punch) or the pressure the top carries now
    /// (pressure). Not to or from TopCondition::free. Collective.
    void set_top_condition(TopCondition top);
    TopCondition top_condition() const { return top_; }

    const dealii::DoFHandler<3> &dof_handler() const { return dof_handler_; }
    /// Displacement [m] of the current state, with ghost entries.
    const dealii::PETScWrappers::MPI::Vector &solution() const { return u_; }
    dealii::types::global_dof_index n_dofs() const { return dof_handler_.n_dofs(); }

    /// Checkpoint support: the committed state of one locally owned cell
    /// (layout: n_packed_values). Restart on any number of ranks: call
    /// unpack_cell_state() for every locally owned cell, then finish_unpack().
    std::vector<double> pack_cell_state(const cell_iterator &cell) const;
    void unpack_cell_state(const cell_iterator &cell, const std::vector<double> &data);
    /// Update ghost displacements and ghost-cell history; the unpacked state
    /// becomes the committed and current state. Collective.
    void finish_unpack();

  private:
    struct CellOutput;

    /// Set-up, in this order (finite_strain_setup.cc).
    void setup_geometry_and_dofs();
    /// DoFs and the local numbering (owned, then ghosts); returns the ghosts.
    dealii::IndexSet number_local_dofs();
    /// Per cell: local DoFs, phase, boundary faces, Dirichlet kinds; the
    /// voxel size, face areas and the solid share of the top face.
    void scan_cells(const dealii::IndexSet &ghosts);
    /// Shape-function gradients at the 2x2x2 Gauss points of the voxel.
    void compute_shape_gradients();
    void collect_owned_constraints();
    /// dof_kind_ of the top u_z from top_: 2 (punch) or 0.
    void mark_top_z();
    /// Sparsity of the condensed system, matrix and vectors.
    void setup_matrix_and_vectors();
    /// Check the local-form numbering (owned, then sorted ghosts); zero the vectors.
    void check_ghost_layout();

    /// Internal minus external forces (free DoFs, constrained entries zero)
    /// of displacement @p u into r_; returns ||R|| (l2) or -1 when a
    /// quadrature point is inverted on any rank. Collective.
    double residual(const dealii::PETScWrappers::MPI::Vector &u);
    enum class Tangent
    {
      none,
      consistent, ///< symmetrised consistent tangent dP/dF
      reference   ///< linear elasticity at the cell's moduli (SPD fallback)
    };
    /// Tangent matrix and right-hand side -R - K g (g: the rest of the
    /// prescribed top displacement, @p lift) into matrix_, r_; returns ||b||.
    double assemble_system(double lift, Tangent tangent);
    /// Add the stack pressure @p p on the solid top face of @p cell to out.f (as - f_ext).
    void add_top_pressure(unsigned int cell, double p, CellOutput &out) const;
    /// Sum r_ over the ranks, zero its constrained entries; returns ||r_||,
    /// or -1 when @p valid is false on any rank or the norm is not finite.
    double finish_residual_vector(bool valid);
    /// Newton (finite_strain_newton.cc). Start from the committed state,
    /// extrapolated along the last step if so configured.
    void set_initial_guess();
    /// Set the top load at the start of a solve; returns the prescribed top
    /// displacement still to be applied (the lift).
    double start_top_load(double top_value);
    /// The Newton update du_ for Newton iteration @p it: CG, then the
    /// fallbacks (FGMRES; the reference tangent, which reassembles and
    /// updates @p b_norm). Returns the PETSc converged reason.
    int solve_for_update(unsigned int it, double lift, double &b_norm, const char *&fallback,
                         NewtonStatistics &st);
    /// Constrained entries of du_: the lift on the top u_z, else zero.
    void set_constrained_update(double lift);
    /// Backtracking from u_ along du_ into u_trial_: step @p t, residual
    /// @p r_t. Returns false when no step length is accepted.
    bool line_search(double b_norm, bool energy, double &t, double &r_t, NewtonStatistics &st);
    /// Step length t along du_ at which the energy is stationary,
    /// phi(t) = du . R(u + t du) = 0 (regula falsi safeguarded by bisection),
    /// after the full step (its residual in r_ and @p r_t) overshot
    /// (phi(1) > 0) or was inadmissible; false if @p phi0 = phi(0) is not
    /// negative or no admissible t decreases the energy.
    bool energy_line_search(double phi0, double &t, double &r_t, NewtonStatistics &st);
    /// After a step of length @p t: the part of the lift applied so far.
    void advance_top_load(double top_value, double t, double &lift);
    /// CG (AMG rebuilt if @p rebuild_amg, else per NewtonSettings) for
    /// matrix_ du_ = r_; returns the PETSc converged reason.
    int linear_solve(bool rebuild_amg, bool fgmres, NewtonStatistics &st);
    /// One Krylov solve at linear_rtol_, with the AMG kept (@p lag) or set
    /// up again (reusing its interpolation per NewtonSettings unless
    /// @p rebuild_amg).
    int krylov_solve(bool lag, bool rebuild_amg, bool fgmres, NewtonStatistics &st);
    /// One cell: forces, tangent, updated history, averages.
    bool cell_kernel(unsigned int cell, const double *u_local, bool want_force,
                     Tangent tangent, double *history_new, CellOutput &out) const;
    void copy_ghosted(dealii::PETScWrappers::MPI::Vector &dst,
                      const dealii::PETScWrappers::MPI::Vector &src) const;

    const dealii::parallel::distributed::Triangulation<3> &tria_;
    MPI_Comm                                               comm_;
    std::vector<MechanicalPhase>                           phases_;
    std::array<int, 256>                                   phase_of_material_;
    SideCondition                                          sides_;
    TopCondition                                           top_;
    Kinematics                                             kinematics_;
    bool                                                   mean_dilatation_ = false;
    LinearSolverSettings                                   linear_;
    NewtonSettings                                         newton_;

    dealii::FESystem<3>   fe_;
    dealii::DoFHandler<3> dof_handler_;
    dealii::IndexSet      owned_, relevant_;

    // Element geometry, the same for every voxel.
    std::array<double, 3>         h_{{0, 0, 0}};
    std::array<double, 8 * 8 * 3> grad_{}; ///< grad_[24 q + 3 v + d]: d phi_v / dX_d at Gauss point q
    double                        qp_weight_ = 0.; ///< JxW (cell volume / 8)

    // Local numbering: index into the PETSc local form (owned, then ghosts).
    unsigned int             n_owned_ = 0;
    std::vector<PetscInt>    local_to_global_;
    /// 0 free, 1 fixed at zero, 2 prescribed top u_z.
    std::vector<unsigned char> dof_kind_;
    std::vector<unsigned int> owned_constrained_;
    /// Local indices (owned and ghost) of the top-face u_z DoFs.
    std::vector<unsigned int> top_z_;
    std::vector<unsigned int> cell_dofs_;  ///< 24 local indices per active cell (3 v + c)
    std::vector<unsigned int> owned_cells_, ghost_cells_; ///< active cell indices
    std::vector<unsigned char> cell_phase_; ///< index into phases_
    std::vector<Band>          bands_;
    std::vector<signed char>   cell_band_; ///< index into bands_, -1: none (empty: no bands)
    std::vector<std::array<float, 3>> cell_band_normal_; ///< unit normal of a band cell's interface
    /// The cohesive band parameters of @p cell into @p m (if it has any).
    void apply_band(unsigned int cell, constitutive::PointMaterial &m) const;
    std::vector<unsigned char> cell_faces_; ///< bit f: face f on the box boundary f
    double top_area_ratio_ = 1.; ///< total / solid top area
    double top_area_       = 0.; ///< reference area of the top face [m^2]
    double face_area_[6]{};      ///< voxel face areas
    double diag_scale_  = 1.;    ///< diagonal of constrained rows
    double atol_        = 0.;    ///< absolute Newton tolerance [N]

    // State: committed (history_, u_committed_, x_committed_, top_committed_)
    // and current (u_, x_, top_value_).
    std::vector<double> history_; ///< 8 x n_history per active cell
    std::vector<double> x_, x_committed_;
    double              top_value_ = 0., top_committed_ = 0.;
    double              dt_ = 0.;  ///< creep time step of the solves [s]
    double              dt_last_ = 0.; ///< time step of the last commit [s]; 0: none
    dealii::PETScWrappers::MPI::Vector u_previous_; ///< committed before the last commit
    /// The current state is the committed one (after commit, revert,
    /// unpack): stresses are evaluated without a creep step.
    bool                at_committed_ = true;
    dealii::PETScWrappers::MPI::Vector u_, u_committed_, u_trial_, r_, du_;
    dealii::PETScWrappers::MPI::SparseMatrix matrix_;
    std::unique_ptr<ElasticKrylov>           krylov_;
    /// krylov_ is set up for the SPD reference tangent (SpdEigenEstimates);
    /// dropped at the start of the next solve.
    bool                                     krylov_spd_ = false;
    unsigned int fresh_linear_its_ = 0;  ///< CG its with the last fresh AMG; 0: rebuild next
    double       linear_rtol_      = 1e-8; ///< CG tolerance of the current Newton iteration
  };
} // namespace solidanode
