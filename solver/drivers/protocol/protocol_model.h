// The problem of a protocol case: the image, its phase table, the plating
// site, the voxel mesh and the two solvers (finite- or small-strain
// mechanics, Li transport), built once from the case. The protocol driver
// (protocol_driver.h) moves it through the steps; the recorder and the
// checkpoint read it.
#pragma once

#include <mesh/voxel_image.h>
#include <mesh/voxel_mesh.h>
#include <solver/drivers/protocol/plating_site.h>
#include <solver/drivers/run_support.h>
#include <solver/finite_strain/finite_strain.h>
#include <solver/input/case_config.h>
#include <solver/materials/phase_table.h>
#include <solver/transport/li_transport.h>

#include <deal.II/distributed/tria.h>

#include <map>
#include <memory>
#include <set>
#include <vector>

namespace solidanode
{
  constexpr double faraday = 96485.33212; ///< [C/mol]

  class ProtocolModel
  {
  public:
    /// Image, phases, mesh and solvers; wall times into @p ctx ("image",
    /// "mesh", "setup"). Writes microstructure.vti on a fresh run.
    ProtocolModel(const CaseConfig &config, RunContext &ctx);

    const CaseConfig &config;
    const ChemoSpec  &chemo;
    MPI_Comm          comm;

    VoxelImage                                   image;
    std::unique_ptr<PhaseTable>                  table;
    std::map<unsigned int, MechanicalPhase>      mech_phases;
    std::map<unsigned int, ActiveTransportPhase> active;
    std::set<unsigned int>                       electrolyte, pore_labels;
    std::unique_ptr<PlatingSite>                 plating; ///< null without chemo.plating
    bool   stress_coupling = false; ///< some active phase has a partial molar volume
    double capacity_mol    = 0.;    ///< sum of c_max V over the active phases [mol]

    dealii::parallel::distributed::Triangulation<3> tria;
    VoxelMeshInfo                                   mesh_info;
    std::unique_ptr<FiniteStrainSolver>             mech;
    std::unique_ptr<LiTransport>                    li;

    double initial_thickness = 0.; ///< [m]
    double top_area          = 0.; ///< reference area of the top face [m^2]

    /// Reference volume of phase @p label [m^3].
    double phase_volume(unsigned int label) const { return table->at(label).volume; }
    /// The content the mechanics sees: x of the alloys, and on the plating
    /// site the plated ratio of @p plated_mol.
    std::vector<double> mech_content(const std::vector<double> &x_li, double plated_mol) const;
    /// Li in the alloying phases over their capacity [-] (0 without any).
    double alloy_soc() const;

    /// Mechanics (yield stresses with thermal_softening, creep rates) and Li
    /// transport at @p T [K] from now on; @p where names the step for errors.
    void set_temperature(double T, const std::string &where);
    double temperature = 298.15; ///< the current one [K]

  private:
    void set_up_phases();
    /// The phase table's mechanics at @p T (with the plating site's growth).
    std::map<unsigned int, MechanicalPhase> phases_at(double T, const std::string &where) const;
    /// chemo.interfaces into the mechanics' cohesive bands (names to labels,
    /// bands thin enough for their law).
    void set_up_bands();
    NewtonSettings newton_settings() const;
  };
} // namespace solidanode
