// solidanode homogenize: effective conductivities and tortuosity
// factors of conducting networks, and the effective stiffness under
// kinematic uniform boundary conditions. See docs/homogenization.md.
#pragma once

#include <mesh/voxel_image.h>
#include <solver/elasticity/elasticity_types.h>

#include <mpi.h>

#include <array>
#include <map>
#include <string>
#include <vector>

namespace solidanode
{
  struct CaseConfig;

  /// Phases conducting less than this fraction of sigma_0 do not count for
  /// the percolation that a tortuosity factor needs.
  constexpr double tortuosity_sigma_fraction = 0.01;

  struct NetworkResult
  {
    std::string name;
    double      sigma_0 = 0.;          ///< reference conductivity [S/m]
    std::string reference_phase;
    double      volume_fraction = 0.;  ///< of the listed (conducting) phases
    std::vector<unsigned int> directions;
    std::array<double, 3> sigma_eff{{0., 0., 0.}};  ///< [S/m], per direction
    /// eps sigma_0 / sigma_eff where the network percolates through phases
    /// conducting comparably to sigma_0; NaN elsewhere (and when no
    /// conducting phase is present).
    std::array<double, 3> tortuosity{{0., 0., 0.}};
    /// False when none of the conducting phases is in the image: nothing is
    /// solved, sigma_eff stays 0 and the tortuosity is NaN.
    bool                  present = true;
    /// Per direction: a 6-connected path of the conducting phases joins the
    /// two opposite faces (mesh/percolation.h).
    std::array<bool, 3>   percolates{{false, false, false}};
    /// Per direction: the same for the phases of the network that conduct at
    /// least tortuosity_sigma_fraction sigma_0 (sigma_0_phases); the
    /// tortuosity factor is reported only where they percolate.
    std::array<bool, 3>      percolates_at_sigma_0{{false, false, false}};
    std::vector<std::string> sigma_0_phases;
    std::array<double, 3> conservation_error{{0., 0., 0.}}; ///< |I_in - I_out| / I_in
    std::array<unsigned int, 3> iterations{{0, 0, 0}};
  };

  struct StiffnessResult
  {
    std::array<std::array<double, 6>, 6> C{}; ///< Voigt xx yy zz yz xz xy [Pa]
    double bulk = 0., shear = 0., E = 0., nu = 0.; ///< isotropic projection
    double asymmetry = 0.; ///< max |C_ij - C_ji| / max |C_ij|
  };

  /// Effective conductivity of one network. @p sigma_by_phase: phase name ->
  /// conductivity [S/m]; other phases get insulator_ratio * max sigma.
  /// If @p vtk_directory is not empty, writes
  /// <vtk_directory>/current_<name>.pvtu with the cell current density
  /// "current_density_<d>_A_m2" of each direction and the phase label.
  NetworkResult
  homogenize_conduction(const VoxelImage &image, const std::string &name,
                        const std::map<std::string, double> &sigma_by_phase,
                        const std::string &reference_phase,
                        const std::vector<unsigned int> &directions,
                        double insulator_ratio, const LinearSolverSettings &settings,
                        MPI_Comm comm, const std::string &vtk_directory = "");

  /// 6x6 effective stiffness from six KUBC load cases u = E x on the whole
  /// boundary. @p phases: material_id -> (E, nu).
  StiffnessResult
  homogenize_stiffness(const VoxelImage &image,
                       const std::map<unsigned int, ElasticPhase> &phases,
                       const LinearSolverSettings &settings, MPI_Comm comm);

  /// Spread of a set of values (sizing advice): relative_std is the
  /// population standard deviation over |mean|.
  struct Spread
  {
    std::vector<double> values;
    double mean = 0., min = 0., max = 0., relative_std = 0.;
  };
  Spread spread_of(const std::vector<double> &values);

  /// The 8 octant sub-volumes of @p image, each floor(n/2) voxels per
  /// direction (for odd n the upper ones start at n - n/2). Order: x fastest.
  std::vector<VoxelImage> octants(const VoxelImage &image);

  /// The command: reads the image of @p config, runs what its 'homogenize'
  /// section asks, prints a table and writes <dir>/homogenize.json.
  void run_homogenize(const CaseConfig &config, const std::string &output_directory,
                      MPI_Comm comm);
} // namespace solidanode
