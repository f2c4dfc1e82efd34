// Tests for parse_quantity() and describe() (base/units.h).
#include <base/units.h>

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

using solidanode::Dimension;
using solidanode::parse_quantity;

namespace
{
  /// what() of the std::invalid_argument thrown for @p text, or a test
  /// failure if the text is accepted.
  std::string error_of(const std::string &text, Dimension d)
  {
    try
      {
        const double value = parse_quantity(text, d);
        ADD_FAILURE() << "'" << text << "' was accepted as " << value;
      }
    catch (const std::invalid_argument &e)
      {
        return e.what();
      }
    return "";
  }

  ::testing::AssertionResult contains(const std::string &text,
                                      const std::string &part)
  {
    if (text.find(part) != std::string::npos)
      return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure()
           << "'" << text << "' does not contain '" << part << "'";
  }
} // namespace


TEST(Units, Pressure)
{
  EXPECT_DOUBLE_EQ(parse_quantity("22 GPa", Dimension::pressure), 22e9);
  EXPECT_DOUBLE_EQ(parse_quantity("50 MPa", Dimension::pressure), 50e6);
  EXPECT_DOUBLE_EQ(parse_quantity("3.5 kPa", Dimension::pressure), 3.5e3);
  EXPECT_DOUBLE_EQ(parse_quantity("7 Pa", Dimension::pressure), 7.0);
  EXPECT_DOUBLE_EQ(parse_quantity("2.5GPa", Dimension::pressure), 2.5e9);
  EXPECT_DOUBLE_EQ(parse_quantity("-1.5 MPa", Dimension::pressure), -1.5e6);
}


TEST(Units, Length)
{
  EXPECT_DOUBLE_EQ(parse_quantity("1.5 um", Dimension::length), 1.5e-6);
  EXPECT_DOUBLE_EQ(parse_quantity("1.5um", Dimension::length), 1.5e-6);
  // U+00B5 MICRO SIGN and U+03BC GREEK SMALL LETTER MU, UTF-8 encoded.
  EXPECT_DOUBLE_EQ(parse_quantity("1.5 \xC2\xB5m", Dimension::length), 1.5e-6);
  EXPECT_DOUBLE_EQ(parse_quantity("1.5 µm", Dimension::length), 1.5e-6);
  EXPECT_DOUBLE_EQ(parse_quantity("1.5\xCE\xBCm", Dimension::length), 1.5e-6);
  EXPECT_DOUBLE_EQ(parse_quantity("2 mm", Dimension::length), 2e-3);
  EXPECT_DOUBLE_EQ(parse_quantity("3 cm", Dimension::length), 3e-2);
  EXPECT_DOUBLE_EQ(parse_quantity("40 nm", Dimension::length), 40e-9);
  EXPECT_DOUBLE_EQ(parse_quantity("5 m", Dimension::length), 5.0);
  EXPECT_DOUBLE_EQ(parse_quantity("1e3 nm", Dimension::length), 1e-6);
  EXPECT_DOUBLE_EQ(parse_quantity("1.5e-3m", Dimension::length), 1.5e-3);
}


TEST(Units, TimeAndDensity)
{
  EXPECT_DOUBLE_EQ(parse_quantity("3 s", Dimension::time), 3.0);
  EXPECT_DOUBLE_EQ(parse_quantity("20 ms", Dimension::time), 0.02);
  EXPECT_DOUBLE_EQ(parse_quantity("2 min", Dimension::time), 120.0);
  EXPECT_DOUBLE_EQ(parse_quantity("1.5 h", Dimension::time), 5400.0);

  EXPECT_DOUBLE_EQ(parse_quantity("2330 kg/m3", Dimension::mass_density), 2330.0);
  EXPECT_DOUBLE_EQ(parse_quantity("2330 kg/m^3", Dimension::mass_density), 2330.0);
  EXPECT_DOUBLE_EQ(parse_quantity("2.33 g/cm3", Dimension::mass_density), 2330.0);
  EXPECT_DOUBLE_EQ(parse_quantity("2.33 g/cm^3", Dimension::mass_density), 2330.0);
}


TEST(Units, Percent)
{
  EXPECT_DOUBLE_EQ(parse_quantity("300 %", Dimension::dimensionless), 3.0);
  EXPECT_DOUBLE_EQ(parse_quantity("25%", Dimension::dimensionless), 0.25);
  EXPECT_DOUBLE_EQ(parse_quantity("0.3", Dimension::dimensionless), 0.3);
}


TEST(Units, PlainNumberIsSIForEveryDimension)
{
  for (const Dimension d : {Dimension::dimensionless,
                            Dimension::length,
                            Dimension::pressure,
                            Dimension::time,
                            Dimension::mass_density})
    {
      EXPECT_DOUBLE_EQ(parse_quantity("0.25", d), 0.25);
      EXPECT_DOUBLE_EQ(parse_quantity("22e9", d), 22e9);
      EXPECT_DOUBLE_EQ(parse_quantity("-3", d), -3.0);
      EXPECT_DOUBLE_EQ(parse_quantity("+2.5E-3", d), 2.5e-3);
      EXPECT_DOUBLE_EQ(parse_quantity(".5", d), 0.5);
      EXPECT_DOUBLE_EQ(parse_quantity("5.", d), 5.0);
    }
}


TEST(Units, SurroundingWhitespace)
{
  EXPECT_DOUBLE_EQ(parse_quantity("  22   GPa  ", Dimension::pressure), 22e9);
  EXPECT_DOUBLE_EQ(parse_quantity("22\tGPa", Dimension::pressure), 22e9);
  EXPECT_DOUBLE_EQ(parse_quantity(" 0.25 ", Dimension::length), 0.25);
}


TEST(Units, WrongDimension)
{
  EXPECT_EQ(error_of("50 MPa", Dimension::length),
            "'50 MPa' is a pressure, expected a length (m, mm, um, nm)");
  EXPECT_EQ(error_of("2 um", Dimension::pressure),
            "'2 um' is a length, expected a pressure (Pa, kPa, MPa, GPa)");
  EXPECT_TRUE(contains(error_of("30 %", Dimension::pressure),
                       "is a dimensionless number, expected a pressure"));
  EXPECT_TRUE(contains(error_of("1 um", Dimension::dimensionless),
                       "is a length, expected a dimensionless number"));
  EXPECT_TRUE(contains(error_of("5 s", Dimension::mass_density),
                       "is a time, expected a mass density"));
  EXPECT_TRUE(contains(error_of("1 g/cm3", Dimension::time),
                       "is a mass density, expected a time"));
}


TEST(Units, UnknownUnit)
{
  EXPECT_EQ(error_of("3 xyz", Dimension::length),
            "unknown unit 'xyz' in '3 xyz', expected a length (m, mm, um, nm)");
  // Symbols are case-sensitive: "mPa" would be millipascal.
  EXPECT_TRUE(contains(error_of("22 GPA", Dimension::pressure),
                       "unknown unit 'GPA'"));
  EXPECT_TRUE(contains(error_of("1 mpa", Dimension::pressure),
                       "unknown unit 'mpa'"));
  // "3e" is not an exponent: the number 3 with unit "e".
  EXPECT_TRUE(contains(error_of("3e", Dimension::length), "unknown unit 'e'"));
  EXPECT_TRUE(contains(error_of("1.2.3", Dimension::length),
                       "unknown unit '.3'"));
  EXPECT_TRUE(contains(error_of("1 u m", Dimension::length),
                       "unknown unit 'u m'"));
}


TEST(Units, RejectsNonNumbers)
{
  EXPECT_EQ(error_of("abc", Dimension::length),
            "'abc' is not a number, expected a length (m, mm, um, nm)");
  EXPECT_EQ(error_of("", Dimension::pressure),
            "empty value, expected a pressure (Pa, kPa, MPa, GPa)");
  EXPECT_TRUE(contains(error_of("   ", Dimension::length), "empty value"));
  EXPECT_TRUE(contains(error_of("GPa", Dimension::pressure), "not a number"));
  EXPECT_TRUE(contains(error_of("nan", Dimension::dimensionless), "'nan'"));
  EXPECT_TRUE(contains(error_of("inf", Dimension::dimensionless), "'inf'"));
  EXPECT_TRUE(contains(error_of("-inf", Dimension::pressure), "'-inf'"));
  EXPECT_TRUE(contains(error_of(".", Dimension::length), "not a number"));
  EXPECT_TRUE(contains(error_of("e5", Dimension::length), "not a number"));
  EXPECT_TRUE(contains(error_of("0x10", Dimension::length), "unknown unit"));
}


TEST(Units, RejectsNonFinite)
{
  EXPECT_EQ(error_of("1e400", Dimension::dimensionless),
            "'1e400' is not a finite number, expected a dimensionless number "
            "(e.g. 0.3 or 30 %)");
  EXPECT_TRUE(contains(error_of("-1e400 GPa", Dimension::pressure),
                       "not a finite number"));
  // Finite number, but not after conversion to SI.
  EXPECT_TRUE(contains(error_of("1e308 GPa", Dimension::pressure),
                       "not a finite number"));
}


TEST(Units, Describe)
{
  EXPECT_EQ(solidanode::describe(Dimension::length), "a length (m, mm, um, nm)");
  EXPECT_EQ(solidanode::describe(Dimension::pressure),
            "a pressure (Pa, kPa, MPa, GPa)");
  EXPECT_EQ(solidanode::describe(Dimension::time), "a time (s, ms, min, h)");
  EXPECT_EQ(solidanode::describe(Dimension::mass_density),
            "a mass density (kg/m3, g/cm3)");
  EXPECT_TRUE(contains(solidanode::describe(Dimension::dimensionless), "%"));
}
