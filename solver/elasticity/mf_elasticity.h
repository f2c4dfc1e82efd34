// Matrix-free small-strain elasticity with geometric multigrid on the voxel
// octree. Same model, boundary conditions and loads as
// ElasticitySolver (solver/elasticity/elasticity.h, docs/elasticity.md):
//
//   div sigma = 0,   sigma = C_phase : (eps(u) - eps*_phase I),
//
// Q1 vector elements on the voxels, rollers as homogeneous Dirichlet
// conditions on single components, the stack pressure on the solid part of
// the top face with the factor A / A_solid, an isotropic eigenstrain per
// phase as right-hand side, and optionally a prescribed top displacement.
//
// The matrix is never assembled. All voxels are the same box, so the element
// matrix of a cell is K = lambda K_lambda + mu K_mu with two 24 x 24 matrices
// computed once; the operator gathers the 24 nodal values of a cell through
// deal.II's MatrixFree, multiplies and scatters. CG is preconditioned by one
// V-cycle of geometric multigrid on the p4est levels of the voxel mesh
// (coarse blocks refined L times, see docs/voxel_mesh.md): Chebyshev
// smoothing around point Jacobi, level coefficients averaged from the
// voxels (docs/performance.md).
//
// The triangulation must have been created with
// parallel::distributed::Triangulation<3>::construct_multigrid_hierarchy
// (and limit_level_difference_at_vertices), before create_voxel_mesh().
#pragma once

#include <solver/elasticity/elasticity_types.h>

#include <deal.II/base/index_set.h>
#include <deal.II/distributed/tria.h>
#include <deal.II/dofs/dof_handler.h>
#include <deal.II/fe/fe_system.h>
#include <deal.II/lac/affine_constraints.h>
#include <deal.II/lac/la_parallel_vector.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace solidanode
{
  /// How the Lame coefficients of a coarse multigrid cell are obtained from
  /// the voxels it covers: arithmetic (Voigt), harmonic (Reuss) or geometric
  /// mean of the shear modulus mu and the P-wave modulus lambda + 2 mu.
  enum class CoarseCoefficient
  {
    arithmetic,
    harmonic,
    geometric
  };

  struct MultigridSettings
  {
    CoarseCoefficient coarse_coefficient = CoarseCoefficient::arithmetic;
    /// Level operators and vectors in single precision (the outer CG and the
    /// fine operator stay in double).
    bool         single_precision = true;
    unsigned int smoother_degree    = 3;  ///< Chebyshev degree (pre and post)
    double       smoothing_range    = 20.; ///< lambda_max / lambda_min smoothed
    unsigned int eig_cg_iterations  = 12;
    /// If > 0: on the coarse levels (not the finest) pore voxels count with
    /// this fraction of the smallest solid modulus instead of their own
    /// (the fine operator always uses the true pore stiffness).
    double       coarse_pore_ratio  = 0.;
  };

  class MFElasticitySolver
  {
  public:
    using Vector = dealii::LinearAlgebra::distributed::Vector<double>;

    /// Same arguments as ElasticitySolver; LinearSolverSettings::petsc_options
    /// is ignored. Throws std::invalid_argument if the triangulation has no
    /// multigrid hierarchy or holds cells that are not identical boxes.
    MFElasticitySolver(const dealii::parallel::distributed::Triangulation<3> &tria,
                       const std::map<unsigned int, ElasticPhase> &phases,
                       SideCondition sides, TopCondition top,
                       const LinearSolverSettings &settings,
                       const MultigridSettings &mg_settings = MultigridSettings());
    ~MFElasticitySolver();

    /// Build the right-hand side, solve with CG + GMG from the previous
    /// solution. setup_seconds is the multigrid setup of the first call
    /// (level operators, diagonals, Chebyshev eigenvalue estimates);
    /// assemble_seconds the right-hand side. Throws CollectiveError if CG
    /// does not converge.
    SolveStatistics solve(const LoadState &load);

    const dealii::DoFHandler<3> &dof_handler() const { return dof_handler_; }
    /// Solution with ghost entries of all locally relevant DoFs [m].
    const Vector &solution() const { return ghosted_solution_; }
    dealii::types::global_dof_index n_dofs() const;

    /// As ElasticitySolver::cell_stresses.
    std::vector<CellStress>
    cell_stresses(const LoadState &load,
                  std::vector<double> *volumetric_strain = nullptr) const;

    /// As ElasticitySolver::mean_face_displacement. Collective.
    double mean_face_displacement(unsigned int face, unsigned int component) const;
    double mean_top_displacement() const;

    /// Wall time of one application of the fine (double) operator, averaged
    /// over @p repeats. For the benchmark.
    double time_operator_application(unsigned int repeats) const;
    /// Bytes the fine operator must move from/to memory at least: the source
    /// vector read, the destination read and written, the 8 vertex indices
    /// and the two coefficients per cell (all ranks).
    double operator_bytes() const;
    /// Number of multigrid levels, and the bytes held by the MatrixFree
    /// objects and multigrid vectors (all ranks).
    unsigned int n_levels() const;
    double       memory_consumption() const;
    /// Wall seconds of the parts of the setup on this rank (constructor and
    /// multigrid setup of the first solve), by name. For the benchmark.
    const std::map<std::string, double> &setup_timings() const { return setup_timings_; }

  private:
    struct Fine;
    struct MG;
    void setup_rhs(const LoadState &load);
    void make_dirichlet_lift(const LoadState &load);

    const dealii::parallel::distributed::Triangulation<3> &tria_;
    MPI_Comm                                               comm_;
    std::map<unsigned int, ElasticPhase>                   phases_;
    SideCondition                                          sides_;
    TopCondition                                           top_;
    LinearSolverSettings                                   settings_;
    MultigridSettings                                      mg_settings_;

    dealii::FESystem<3>               fe_;
    dealii::DoFHandler<3>             dof_handler_;
    dealii::IndexSet                  locally_relevant_;
    dealii::AffineConstraints<double> constraints_; ///< homogeneous
    double                            top_area_ratio_ = 1.;

    std::unique_ptr<Fine> fine_;
    std::unique_ptr<MG>   mg_;

    Vector rhs_, solution_, lift_, ghosted_solution_;
    std::map<std::string, double> setup_timings_;
  };
} // namespace solidanode
