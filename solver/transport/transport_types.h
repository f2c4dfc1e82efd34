// Plain data of the Li transport (solver/transport/li_transport.h), free of
// deal.II headers so that the phase table and input handling can use it.
#pragma once

#include <string>

namespace solidanode
{
  /// One active (Li-storing) phase.
  struct ActiveTransportPhase
  {
    std::string name;
    double c_max      = 0.; ///< capacity [mol per m^3 of unlithiated (reference) volume]
    double D0         = 0.; ///< diffusivity at x = 0 [m^2/s]
    double D_exponent = 0.; ///< k in D(x) = D0 exp(k x) [-]
    double Omega      = 0.; ///< partial molar volume [m^3/mol]; 0: no stress coupling
  };

} // namespace solidanode
