// Parsing of physical quantities such as "22 GPa" or "1.5 um" into SI values.
#include <base/units.h>

#include <cmath>
#include <cstddef>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace solidanode
{
  namespace
  {
    /// One accepted unit symbol: what it measures and its factor to SI.
    struct UnitSymbol
    {
      const char *symbol;
      Dimension   dimension;
      double      to_si;
      double      offset = 0.; ///< SI value = to_si * number + offset (degC)
    };

    // Symbols are case-sensitive ("mPa" is not "MPa"). The micro sign is
    // accepted as ASCII "u", as U+00B5 MICRO SIGN and as U+03BC GREEK SMALL
    // LETTER MU (both UTF-8 encoded); "³" is U+00B3 SUPERSCRIPT THREE.
    constexpr UnitSymbol unit_symbols[] = {
      {"%", Dimension::dimensionless, 1e-2},

      {"m", Dimension::length, 1.0},
      {"cm", Dimension::length, 1e-2},
      {"mm", Dimension::length, 1e-3},
      {"um", Dimension::length, 1e-6},
      {"\xC2\xB5m", Dimension::length, 1e-6},
      {"\xCE\xBCm", Dimension::length, 1e-6},
      {"nm", Dimension::length, 1e-9},

      {"Pa", Dimension::pressure, 1.0},
      {"kPa", Dimension::pressure, 1e3},
      {"MPa", Dimension::pressure, 1e6},
      {"GPa", Dimension::pressure, 1e9},

      {"s", Dimension::time, 1.0},
      {"ms", Dimension::time, 1e-3},
      {"min", Dimension::time, 60.0},
      {"h", Dimension::time, 3600.0},

      {"kg/m3", Dimension::mass_density, 1.0},
      {"kg/m^3", Dimension::mass_density, 1.0},
      {"kg/m\xC2\xB3", Dimension::mass_density, 1.0},
      {"g/cm3", Dimension::mass_density, 1e3},
      {"g/cm^3", Dimension::mass_density, 1e3},
      {"g/cm\xC2\xB3", Dimension::mass_density, 1e3},

      {"S/m", Dimension::electrical_conductivity, 1.0},
      {"mS/m", Dimension::electrical_conductivity, 1e-3},
      {"S/cm", Dimension::electrical_conductivity, 1e2},
      {"mS/cm", Dimension::electrical_conductivity, 0.1},

      {"m2/s", Dimension::diffusivity, 1.0},
      {"m^2/s", Dimension::diffusivity, 1.0},
      {"m\xC2\xB2/s", Dimension::diffusivity, 1.0},
      {"cm2/s", Dimension::diffusivity, 1e-4},
      {"cm^2/s", Dimension::diffusivity, 1e-4},

      // 1 mAh = 3.6 C
      {"C/kg", Dimension::specific_capacity, 1.0},
      {"mAh/g", Dimension::specific_capacity, 3600.0},
      {"Ah/kg", Dimension::specific_capacity, 3600.0},

      {"C/m2", Dimension::areal_capacity, 1.0},
      {"mAh/cm2", Dimension::areal_capacity, 3.6e4},
      {"mAh/cm^2", Dimension::areal_capacity, 3.6e4},

      {"m3/mol", Dimension::molar_volume, 1.0},
      {"m^3/mol", Dimension::molar_volume, 1.0},
      {"cm3/mol", Dimension::molar_volume, 1e-6},
      {"cm^3/mol", Dimension::molar_volume, 1e-6},

      {"mol/m3", Dimension::concentration, 1.0},
      {"mol/m^3", Dimension::concentration, 1.0},
      {"mol/L", Dimension::concentration, 1e3},

      {"K", Dimension::temperature, 1.0},
      {"degC", Dimension::temperature, 1.0, 273.15},
      {"\xC2\xB0" "C", Dimension::temperature, 1.0, 273.15},

      {"1/s", Dimension::rate, 1.0},
      {"/s", Dimension::rate, 1.0},
      {"1/h", Dimension::rate, 1. / 3600.},

      {"J/mol", Dimension::molar_energy, 1.0},
      {"kJ/mol", Dimension::molar_energy, 1e3},

      {"A/m2", Dimension::current_density, 1.0},
      {"A/m^2", Dimension::current_density, 1.0},
      {"mA/cm2", Dimension::current_density, 10.0},
      {"mA/cm^2", Dimension::current_density, 10.0},

      {"J/m2", Dimension::surface_energy, 1.0},
      {"J/m^2", Dimension::surface_energy, 1.0},
      {"mJ/m2", Dimension::surface_energy, 1e-3},
      {"mJ/m^2", Dimension::surface_energy, 1e-3},

      {"Pa/m", Dimension::areal_stiffness, 1.0},
      {"MPa/um", Dimension::areal_stiffness, 1e12},
      {"MPa/mm", Dimension::areal_stiffness, 1e9},
      {"GPa/m", Dimension::areal_stiffness, 1e9},
    };

    /// Short name of a dimension without example units, e.g. "a pressure".
    const char *kind_name(Dimension d)
    {
      switch (d)
        {
          case Dimension::dimensionless:
            return "a dimensionless number";
          case Dimension::length:
            return "a length";
          case Dimension::pressure:
            return "a pressure";
          case Dimension::time:
            return "a time";
          case Dimension::mass_density:
            return "a mass density";
          case Dimension::electrical_conductivity:
            return "an electrical conductivity";
          case Dimension::diffusivity:
            return "a diffusivity";
          case Dimension::specific_capacity:
            return "a specific capacity";
          case Dimension::areal_capacity:
            return "an areal capacity";
          case Dimension::molar_volume:
            return "a molar volume";
          case Dimension::concentration:
            return "a concentration";
          case Dimension::temperature:
            return "a temperature";
          case Dimension::rate:
            return "a rate";
          case Dimension::molar_energy:
            return "a molar energy";
          case Dimension::current_density:
            return "a current density";
          case Dimension::surface_energy:
            return "a surface energy";
          case Dimension::areal_stiffness:
            return "a stiffness per area";
        }
      return "a quantity";
    }

    bool is_space(char c)
    {
      return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
             c == '\v';
    }

    bool is_digit(char c)
    {
      return c >= '0' && c <= '9';
    }

    std::string trim(const std::string &s)
    {
      std::size_t begin = 0;
      std::size_t end   = s.size();
      while (begin < end && is_space(s[begin]))
        ++begin;
      while (end > begin && is_space(s[end - 1]))
        --end;
      return s.substr(begin, end - begin);
    }

    /**
     * Length of the decimal number at the start of @p s, or 0 if there is
     * none. Accepted: optional sign, digits with an optional decimal point
     * (at least one digit in the mantissa), optional exponent "e[+-]digits".
     * This is deliberately stricter than strtod, which would also take hex
     * floats, "inf" and "nan".
     */
    std::size_t scan_number(const std::string &s)
    {
      std::size_t i = 0;
      if (i < s.size() && (s[i] == '+' || s[i] == '-'))
        ++i;
      std::size_t mantissa_digits = 0;
      for (; i < s.size() && is_digit(s[i]); ++i)
        ++mantissa_digits;
      if (i < s.size() && s[i] == '.')
        for (++i; i < s.size() && is_digit(s[i]); ++i)
          ++mantissa_digits;
      if (mantissa_digits == 0)
        return 0;

      // The exponent only counts if digits follow, so that "3e" is the
      // number 3 followed by the (unknown) unit "e".
      if (i < s.size() && (s[i] == 'e' || s[i] == 'E'))
        {
          std::size_t j = i + 1;
          if (j < s.size() && (s[j] == '+' || s[j] == '-'))
            ++j;
          if (j < s.size() && is_digit(s[j]))
            {
              while (j < s.size() && is_digit(s[j]))
                ++j;
              i = j;
            }
        }
      return i;
    }
  } // namespace


  std::string describe(Dimension d)
  {
    switch (d)
      {
        case Dimension::dimensionless:
          return "a dimensionless number (e.g. 0.3 or 30 %)";
        case Dimension::length:
          return "a length (m, mm, um, nm)";
        case Dimension::pressure:
          return "a pressure (Pa, kPa, MPa, GPa)";
        case Dimension::time:
          return "a time (s, ms, min, h)";
        case Dimension::mass_density:
          return "a mass density (kg/m3, g/cm3)";
        case Dimension::electrical_conductivity:
          return "an electrical conductivity (S/m, mS/m, S/cm, mS/cm)";
        case Dimension::diffusivity:
          return "a diffusivity (m2/s, cm2/s)";
        case Dimension::specific_capacity:
          return "a specific capacity (mAh/g, Ah/kg, C/kg)";
        case Dimension::areal_capacity:
          return "an areal capacity (mAh/cm2, C/m2)";
        case Dimension::molar_volume:
          return "a molar volume (m3/mol, cm3/mol)";
        case Dimension::concentration:
          return "a concentration (mol/m3, mol/L)";
        case Dimension::temperature:
          return "a temperature (K, degC)";
        case Dimension::rate:
          return "a rate (1/s, 1/h)";
        case Dimension::molar_energy:
          return "a molar energy (J/mol, kJ/mol)";
        case Dimension::current_density:
          return "a current density (A/m2, mA/cm2)";
        case Dimension::surface_energy:
          return "a surface energy (J/m2, mJ/m2)";
        case Dimension::areal_stiffness:
          return "a stiffness per area (Pa/m, MPa/um, MPa/mm, GPa/m)";
      }
    return "a quantity";
  }


  double parse_quantity(const std::string &text, Dimension expected)
  {
    const std::string s             = trim(text);
    const std::string expected_text = ", expected " + describe(expected);

    if (s.empty())
      throw std::invalid_argument("empty value" + expected_text);

    const std::size_t number_length = scan_number(s);
    if (number_length == 0)
      throw std::invalid_argument("'" + s + "' is not a number" +
                                  expected_text);

    // The token has been validated above, so strtod must consume all of it
    // (it would not if LC_NUMERIC had been changed from the "C" locale).
    const std::string number = s.substr(0, number_length);
    char             *end    = nullptr;
    const double      value  = std::strtod(number.c_str(), &end);
    if (end != number.c_str() + number.size())
      throw std::invalid_argument("'" + s + "' is not a number" +
                                  expected_text);
    if (!std::isfinite(value))
      throw std::invalid_argument("'" + s + "' is not a finite number" +
                                  expected_text);

    const std::string unit = trim(s.substr(number_length));
    if (unit.empty())
      return value; // a plain number is SI for every dimension

    for (const UnitSymbol &u : unit_symbols)
      if (unit == u.symbol)
        {
          if (u.dimension != expected)
            throw std::invalid_argument("'" + s + "' is " +
                                        kind_name(u.dimension) +
                                        expected_text);
          const double si = value * u.to_si + u.offset;
          if (!std::isfinite(si))
            throw std::invalid_argument("'" + s + "' is not a finite number" +
                                        expected_text);
          return si;
        }

    throw std::invalid_argument("unknown unit '" + unit + "' in '" + s + "'" +
                                expected_text);
  }
} // namespace solidanode
