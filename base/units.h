// Physical quantities in input files: "22 GPa", "50 MPa", "1.5 um", "0.3".
// Everything inside solidanode is SI; this is the only place where units are
// converted. See docs/input.md for the accepted unit symbols.
#pragma once

#include <string>

namespace solidanode
{
  /// What a quantity measures. Used to check that a value like "50 MPa" is not
  /// given where a length is expected.
  enum class Dimension
  {
    dimensionless, ///< plain number, or "%" (divided by 100)
    length,        ///< m, mm, um (also µm), nm
    pressure,      ///< Pa, kPa, MPa, GPa (also for moduli and stresses)
    time,          ///< s, ms, min, h
    mass_density,  ///< kg/m3, g/cm3
    electrical_conductivity, ///< S/m, mS/cm, S/cm (also ionic conductivity)
    diffusivity,   ///< m2/s, cm2/s
    specific_capacity, ///< C/kg (SI), mAh/g, Ah/kg
    areal_capacity,    ///< C/m2 (SI), mAh/cm2
    molar_volume,  ///< m3/mol, cm3/mol (partial molar volume)
    concentration, ///< mol/m3, mol/L
    temperature,   ///< K, degC (also °C)
    rate,          ///< 1/s, 1/h (creep prefactors)
    molar_energy,  ///< J/mol, kJ/mol (activation energies)
    current_density, ///< A/m2 (SI), mA/cm2
    surface_energy,  ///< J/m2 (SI), mJ/m2 (fracture energies)
    areal_stiffness, ///< Pa/m (SI), MPa/um, MPa/mm, GPa/m (a spring per unit area)
  };

  /// Human-readable name with example units, e.g. "a length (m, mm, um, nm)".
  std::string describe(Dimension d);

  /**
   * Parse a scalar quantity and return its value in SI units.
   *
   * Accepted forms: "<number>" (already SI, for every dimension), and
   * "<number> <unit>" or "<number><unit>" with a unit of the expected
   * dimension. Throws std::invalid_argument whose what() says what was found
   * and what was expected (without file position; the caller adds that), e.g.
   * "'50 MPa' is a pressure, expected a length (m, mm, um, nm)".
   * Non-finite numbers ("nan", "inf") are rejected.
   */
  double parse_quantity(const std::string &text, Dimension expected);
} // namespace solidanode
