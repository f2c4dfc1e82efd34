// The phase table: the case's materials mapped onto the labels of the image,
// built once per run and used by every driver and solver. It owns the rules
// that turn a material into solver data:
//   - a pore is a compliant solid with E = solver.pore_stiffness_ratio times
//     the softest solid's E and nu = 0 (docs/elasticity.md); in finite-strain
//     protocol runs it also closes against the softest solid's bulk modulus
//     below solver.pore_closure (docs/finite_strain.md);
//   - a material with 'lithium' is an active (Li-storing) phase;
//   - a material with 'electrolyte: true' conducts Li to the active phases.
// Labels are the image's phase labels (= deal.II material_id).
#pragma once

#include <mesh/voxel_image.h>
#include <solver/elasticity/elasticity_types.h>
#include <solver/input/case_config.h>
#include <solver/materials/constitutive.h>
#include <solver/transport/transport_types.h>

#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace solidanode
{
  /// One phase present in the image.
  struct PhaseEntry
  {
    unsigned int        label = 0;
    std::string         name;
    const MaterialSpec *material = nullptr; ///< into the CaseConfig the table was built from
    bool                pore     = false;
    double              E  = 0.; ///< effective Young's modulus [Pa] (pores: see above)
    double              nu = 0.; ///< effective Poisson ratio [-]
    std::size_t         voxels = 0;
    double              volume = 0.; ///< reference volume [m^3]
  };

  class PhaseTable
  {
  public:
    /// Throws InputError (naming the case file) if a label of the image has
    /// no material or the image holds no solid phase. @p materials of the
    /// case must outlive the table.
    PhaseTable(const CaseConfig &config, const VoxelImage &image);

    const std::map<unsigned int, PhaseEntry> &phases() const { return phases_; }
    const PhaseEntry &at(unsigned int label) const { return phases_.at(label); }
    std::set<unsigned int> pore_labels() const;
    std::set<unsigned int> electrolyte_labels() const;
    /// Pairs (a < b) of solid labels: the phase pairs that can touch.
    std::vector<std::pair<unsigned int, unsigned int>> solid_pairs() const;

    double min_solid_E() const { return min_solid_E_; } ///< [Pa]
    double min_solid_K() const { return min_solid_K_; } ///< bulk modulus [Pa]

    /// Small-strain linear elastic data (steps cases, homogenization).
    std::map<unsigned int, ElasticPhase> elastic_phases() const;
    /// Elasto-plastic data for the protocol mechanics at @p temperature [K]
    /// (creep rates are Arrhenius in T); pores close at @p pore_closure.
    std::map<unsigned int, MechanicalPhase> mechanical_phases(double temperature,
                                                              double pore_closure) const;
    /// Li-storing phases for the transport.
    std::map<unsigned int, ActiveTransportPhase> active_phases() const;

  private:
    std::map<unsigned int, PhaseEntry> phases_;
    double                             min_solid_E_ = 0., min_solid_K_ = 0.;
  };
} // namespace solidanode
