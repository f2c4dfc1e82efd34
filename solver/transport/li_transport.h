// Li transport in the active phases of a voxel image: cell-centred finite
// volumes in the reference configuration, one unknown (the normalised Li
// content x in [0, 1]) per voxel of an active phase,
//
//   c_max dx/dt = -div J,
//   J = -D(x) c_max (grad x - x grad phi),   phi = Omega sigma_h / (R T),
//   D(x) = D0 exp(k x),
//
// no flux between different phases except across the in-contact faces that
// an active phase shares with the solid electrolyte, where Li enters
// (galvanostatic: a total molar rate per phase, spread per unit corrected
// area; potentiostatic: a fixed surface content). Backward Euler in time,
// Newton per step (exact Jacobian), PETSc Krylov solves. Two-point fluxes
// with Scharfetter-Gummel weighting of the drift (exact Boltzmann steady
// state). Staircase interfaces are corrected by the weight w = 1/||n||_1
// from normals of the box-smoothed phase indicator.
// Equations, units, sources and measured accuracy: docs/li_transport.md.
#pragma once

#include <solver/elasticity/elasticity_types.h>
#include <solver/transport/transport_types.h>

#include <deal.II/distributed/tria.h>
#include <deal.II/dofs/dof_handler.h>
#include <deal.II/fe/fe_dgq.h>
#include <deal.II/lac/la_parallel_vector.h>
#include <deal.II/lac/petsc_sparse_matrix.h>
#include <deal.II/lac/petsc_vector.h>

#include <petscksp.h>

#include <array>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace solidanode
{
  enum class SourceMode
  {
    none,           ///< rest: no Li crosses any interface
    galvanostatic,  ///< total molar rate per active phase
    potentiostatic  ///< fixed surface content on in-contact faces (verification)
  };

  struct TransportSource
  {
    SourceMode mode = SourceMode::none;
    /// Galvanostatic: total molar rate [mol/s] into each active phase, by
    /// label (positive = lithiation). Phases not listed get none.
    std::map<unsigned int, double> molar_rate;
    /// Potentiostatic: x on the electrolyte side of every in-contact face [-].
    double surface_x = 0.;
    /// Galvanostatic: spread the rate of a phase over its in-contact faces
    /// in proportion to w a (1 - x) when inserting (w a x when extracting),
    /// x the content of the face's voxel at the start of the step (a
    /// first-order surface reaction), instead of uniformly per area. Small
    /// or full particles then stop taking Li before they saturate.
    bool availability_weighting = false;
  };

  struct TransportSettings
  {
    /// Weight interface faces by w = 1/||n||_1 (true area instead of the
    /// staircase area); false: w = 1.
    bool         area_correction = true;
    /// Also weight the potentiostatic face conductance D c_max A / (h/2) by
    /// w. Off by default: a fixed surface value on the staircase converges
    /// without it, and with it the uptake of a voxel sphere is 12 % too
    /// slow at D t / R^2 = 0.01 (docs/li_transport.md). For that record only.
    bool         weight_surface_conductance = false;
    /// Newton stops when max |dx| of an update is below this [-]; the error
    /// left is then ~ its square (quadratic convergence).
    double       newton_tolerance = 1e-8;
    unsigned int max_newton_iterations = 25;
    /// Relative tolerance of the unpreconditioned linear residual.
    double       linear_rtol = 1e-12;
    unsigned int max_linear_iterations = 2000;
    /// Extra PETSc options; the transport solver reads options with the
    /// prefix "li_", e.g. "-li_ksp_monitor -li_pc_type gamg".
    std::string  petsc_options;
  };

  struct TransportStepStatistics
  {
    bool         converged         = false;
    unsigned int iterations        = 0; ///< Newton iterations (linear solves)
    unsigned int linear_iterations = 0; ///< summed over the Newton iterations
    double       seconds           = 0.;
    double       min_x = 0., max_x = 0.; ///< over all active cells (all ranks)
    bool         in_range = true;       ///< 0 <= min_x and max_x <= 1
    /// Li that crossed the interfaces in this step [mol] (all phases, all ranks).
    double       inserted = 0.;
    std::string  message; ///< why it did not converge
  };

  class LiTransport
  {
  public:
    /**
     * @p active maps label -> phase data; @p electrolyte_labels are the
     * labels through whose faces Li enters. @p temperature [K].
     * Every interface face between an active phase and the electrolyte
     * starts in contact; all x start at 0. Collective.
     */
    LiTransport(const dealii::parallel::distributed::Triangulation<3> &tria,
                const std::map<unsigned int, ActiveTransportPhase>     &active,
                const std::set<unsigned int> &electrolyte_labels, double temperature,
                const TransportSettings &settings = TransportSettings());
    ~LiTransport();
    LiTransport(const LiTransport &)            = delete;
    LiTransport &operator=(const LiTransport &) = delete;

    /// Uniform x in every cell of phase @p label (trial and committed state).
    void set_uniform(unsigned int label, double x);

    /// The temperature of the stress coupling Omega sigma_h / (R T) from now on [K].
    void set_temperature(double temperature);

    /**
     * One backward Euler step of @p dt [s] from the committed state; the
     * result is the trial state (cell_x()). @p sigma_h: hydrostatic Cauchy
     * stress [Pa] of owned and ghost cells by active_cell_index, held
     * constant over the step; nullptr: no stress coupling. Galvanostatic
     * with a nonzero rate into a phase that has no in-contact interface
     * throws CollectiveError. Linear-solver failure or no Newton convergence
     * return converged = false (revert() and retry with a smaller dt).
     * x is not clamped: check in_range. Collective.
     */
    TransportStepStatistics step(double dt, const TransportSource &source,
                                 const std::vector<double> *sigma_h);
    /// Accept the trial state (x and contact flags).
    void commit();
    /// Return to the committed state (x and contact flags).
    void revert();

    /// x of owned and ghost cells by active_cell_index (0 elsewhere).
    const std::vector<double> &cell_x() const { return cell_x_; }
    /// Li in phase @p label [mol] = sum c_max x V. Collective.
    double total_li(unsigned int label) const;
    /// Volume mean of x over phase @p label. Collective.
    double mean_x(unsigned int label) const;
    /// Interface area of phase @p label with the electrolyte [m^2]: sum of
    /// w * face area (w = 1 without area correction); only in-contact faces
    /// if @p in_contact_only. Collective.
    double interface_area(unsigned int label, bool in_contact_only) const;
    /// Number of voxel faces times their area, no correction. Collective.
    double staircase_area(unsigned int label) const;

    /**
     * Update the contact flags from the cell stresses (owned and ghost cells,
     * by active_cell_index): t_n = n . sigma_e . n on each interface face
     * with n the estimated normal and sigma_e the stress of the electrolyte cell.
     * Contact is lost where t_n > @p tensile_strength and regained where
     * t_n < -@p regain_pressure (regain_pressure >= 0). With @p debonded
     * (per cell: -1 no cohesive band, 0 band intact or softening, 1 band
     * debonded), a face with a band cell on either side follows the band
     * instead of @p tensile_strength: lost where a side has debonded and
     * t_n > -@p regain_pressure (open), in contact where the crack is
     * pressed closed or no side has debonded. Changes the trial state. Returns the
     * number of changed faces (all ranks). Collective.
     */
    unsigned int update_contact(const std::vector<CellStress> &stress,
                                double tensile_strength, double regain_pressure,
                                const std::vector<double> *debonded = nullptr);

    /// An interface face between an active phase and the electrolyte.
    struct InterfaceFace
    {
      unsigned int cell = 0;  ///< active_cell_index of the active-phase cell (owned here)
      unsigned int face = 0;  ///< face number 0..5 of that cell
      unsigned int label = 0, neighbor_label = 0;
      double       area   = 0.; ///< voxel face area [m^2]
      double       weight = 1.; ///< w = 1/||n||_1, or 1 without correction
      std::array<double, 3> normal{{0., 0., 0.}}; ///< estimated unit outward normal
      bool         in_contact = true;
      /// Of the last step, into the active phase: per unit corrected area
      /// [mol m^-2 s^-1], and through the face [mol/s].
      double       flux_density = 0.;
      double       molar_rate   = 0.;
    };
    /// Every interface face of the locally owned active cells.
    const std::vector<InterfaceFace> &interface_faces() const { return faces_; }

    /// Checkpoint of one locally owned cell: {x, then for faces 0..5 the
    /// contact flag (1/0) or -1 if the face is no interface face}.
    std::vector<double> pack_cell_state(const dealii::Triangulation<3>::cell_iterator &cell) const;
    /// Restore what pack_cell_state gave (same image, any partition).
    void unpack_cell_state(const dealii::Triangulation<3>::cell_iterator &cell,
                           const std::vector<double>                      &data);
    /// After all unpack_cell_state calls: exchange ghosts, commit. Collective.
    void finish_unpack();

    const std::map<unsigned int, ActiveTransportPhase> &phases() const { return phases_; }

  private:
    struct Neighbor
    {
      unsigned int local;  ///< index into the ghosted vector
      dealii::types::global_dof_index dof;
      unsigned int cell;   ///< active_cell_index
      double       conductance; ///< face area / distance [m]
    };
    struct Row
    {
      unsigned int cell, local;
      dealii::types::global_dof_index dof;
      unsigned int phase; ///< label
      unsigned int first_neighbor, end_neighbor, first_face, end_face;
    };

    double surface_weight(const InterfaceFace &face) const
    {
      return settings_.weight_surface_conductance ? face.weight : 1.;
    }
    void build_geometry();
    void estimate_normals();
    void sync_cell_x();
    double phase_sum(unsigned int label, bool weight_by_x) const;
    /// Newton: residual and Jacobian at the current trial x.
    void assemble(double dt, const TransportSource &source,
                  const std::vector<double> *sigma_h,
                  const std::map<unsigned int, double> &flux_per_area);
    /// Solve matrix_ delta_ = rhs_; false (and stats.message) on failure.
    bool solve_linear(bool symmetric, TransportStepStatistics &stats);
    /// Parts of step(). Galvanostatic: the molar flux per unit corrected
    /// in-contact area of each phase, and face_factor_ (1, or the voxel's
    /// availability); false (stats filled, x_ at the old state) when a phase
    /// has no capacity left at its in-contact surface.
    bool galvanostatic_fluxes(const TransportSource &source,
                              std::map<unsigned int, double> &flux_per_area,
                              TransportStepStatistics &stats);
    /// Newton iterations from x_old_ into x_.
    void newton_solve(double dt, const TransportSource &source,
                      const std::vector<double> *sigma_h,
                      const std::map<unsigned int, double> &flux_per_area,
                      TransportStepStatistics &stats);
    /// Interface fluxes of the state x_ into faces_; returns the Li inserted
    /// over the step on this rank [mol].
    double record_interface_fluxes(double dt, const TransportSource &source,
                                   const std::map<unsigned int, double> &flux_per_area);
    /// min_x, max_x and in_range over all ranks.
    void record_x_range(TransportStepStatistics &stats) const;

    const dealii::parallel::distributed::Triangulation<3> &tria_;
    MPI_Comm                                               comm_;
    std::map<unsigned int, ActiveTransportPhase>           phases_;
    std::set<unsigned int>                                 electrolyte_;
    double                                                 RT_;
    TransportSettings                                      settings_;

    dealii::FE_DGQ<3>     fe_;
    dealii::DoFHandler<3> dof_handler_;
    dealii::IndexSet      owned_, relevant_; ///< one value per cell (FE_DGQ(0))
    dealii::IndexSet      active_owned_, active_relevant_; ///< unknowns: active cells only
    std::array<double, 3> h_{{0., 0., 0.}};
    double                volume_ = 0.;

    std::vector<int>          all_local_;     ///< index in the per-cell vectors, -1 if artificial
    std::vector<int>          local_of_cell_; ///< index in x_, -1 if not an active owned/ghost cell
    std::vector<Row>          rows_;          ///< owned active cells
    std::vector<Neighbor>     neighbors_;
    std::vector<int>          row_of_cell_;   ///< index into rows_, -1 if none
    std::vector<InterfaceFace> faces_;
    std::vector<unsigned int> face_neighbor_cell_; ///< electrolyte cell of each face
    std::vector<bool>         committed_contact_;
    /// Galvanostatic share factor of each face in the current step (1, or
    /// the availability 1 - x / x of its voxel).
    std::vector<double>       face_factor_;

    dealii::LinearAlgebra::distributed::Vector<double> x_, x_old_;
    std::vector<double>                                cell_x_;

    dealii::PETScWrappers::MPI::SparseMatrix matrix_;
    dealii::PETScWrappers::MPI::Vector       rhs_, delta_;
    KSP ksp_cg_ = nullptr, ksp_gmres_ = nullptr;
  };
} // namespace solidanode
