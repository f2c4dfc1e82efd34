// Interfaces that debond: a cohesive band. The voxels of one phase that touch
// another phase across a face (one voxel layer, thickness h) carry a
// bilinear traction-separation law in crack-band form (Bazant & Oh 1983):
// the band's stress is the bulk response with damage d,
//   tension (J_e > 1):      sigma = (1 - d) sigma_0(F)
//   compression (J_e <= 1): only the deviatoric part degraded,
//                           sigma = p_0 I + (1 - d) s_0 (no penetration),
// with sigma_0 the undamaged (elastic or elasto-plastic) response. Damage
// grows with kappa, the largest equivalent strain the point has seen,
//   eps_eq = sqrt(2 Y+ / M),   Y+ = <p>+^2 / (2 K) + s:s / (4 mu)
// of the undamaged (effective) Kirchhoff stress p I + s, M = K + 4 mu / 3:
// Y+ is the elastic energy the damage releases (a compressed band keeps its
// pressure), so eps_eq is the strain of a band opened normal to itself under
// lateral confinement, and any mode (opening, shear, mixed) dissipates the
// same G_c (shear peaks at f_t sqrt(mu / M)). The bilinear law
//   sigma(kappa) = M kappa                                  kappa <= eps_0
//                = f_t (eps_f - kappa) / (eps_f - eps_0)    eps_0 < kappa < eps_f
//                = 0                                        kappa >= eps_f
// with eps_0 = f_t / M and eps_f = 2 G_c / (f_t h), so that the band carries
// at most the strength f_t and dissipates the fracture energy G_c per unit
// area when it opens. A broken band keeps the residual fraction r of its
// stiffness (d <= 1 - r), so that a particle whose band broke all around
// stays attached to the mesh. Damage is explicit: an increment uses the
// damage of the committed kappa, and kappa is updated when the increment is
// committed (Newton sees a fixed secant material and converges as for the
// bulk law); the drivers keep each increment's growth of kappa within
// band_kappa_step, so that the lag stays within 2 % of the strength
// (docs/cohesive.md).
#pragma once

#include <solver/materials/constitutive.h>

#include <string>
#include <vector>

namespace solidanode
{
  class InputNode;

  /// One debonding interface of a case (chemo.interfaces).
  struct CohesiveSpec
  {
    std::string phase; ///< the other side
    std::string band;  ///< the band lies in this phase's voxels
    double      strength        = 0.;   ///< f_t [Pa]
    double      fracture_energy = 0.;   ///< G_c [J/m^2]
    double      residual        = 1e-4; ///< stiffness fraction of a broken band [-]
    std::string where; ///< "file: chemo.interfaces[i]" for messages
  };

  /// Read chemo.interfaces: a list of {between: [PHASE, BAND], strength,
  /// fracture_energy, residual_stiffness}; the two phases must be named in
  /// @p materials. Fails with the key named.
  std::vector<CohesiveSpec> read_cohesive_interfaces(const InputNode &interfaces,
                                                     const InputNode &materials);

  /// The thickest band whose law has no snap-back (eps_f > eps_0):
  /// 2 M G_c / f_t^2 [m], for the constrained modulus @p M [Pa].
  double max_band_thickness(double M, double strength, double fracture_energy);

  namespace constitutive
  {
    /// Onset and final equivalent strains of the band at @p m [-].
    struct BandLaw
    {
      double eps0 = 0., epsf = 0., dmax = 1.;
    };
    BandLaw band_law(const PointMaterial &m);

    /// Damage d(kappa) of the band law at @p m [-].
    double band_damage(const PointMaterial &m, double kappa);

    /// Allowed growth of kappa in one increment from @p kappa_n: 2 % of
    /// max(eps_0, kappa_n - eps_0), which keeps the lag of the explicit
    /// damage within 2 % of the strength at and after the peak
    /// (docs/cohesive.md).
    double band_kappa_step(const BandLaw &law, double kappa_n);

    /// The band update (constitutive::update calls it for points with
    /// m.band_strength > 0): the bulk update with the damage of the
    /// committed kappa (history[7]); writes the new kappa.
    bool cohesive_band_update(Kinematics kinematics, const PointMaterial &m, const Tensor2 &F,
                              const double *history_n, PointResponse &out,
                              double *history_new, double *A, double Jbar);
  } // namespace constitutive
} // namespace solidanode
