// Robustness: the check of a case's materials against its image,
// and regression tests for inputs found by the fuzzers (fuzz/). The
// bad-input corpus in tests/bad_inputs/ covers the command line end to end.
#include <mesh/voxel_io.h>
#include <solver/input/case_config.h>
#include <base/yaml_input.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <stdexcept>
#include <string>
#include <unistd.h>

using namespace solidanode;

namespace
{
  const char *const base_case = R"(microstructure:
  generate:
    dims: [4, 4, 4]
    voxel_size: 1 um
    matrix: LPSCl
    particles: {phase: Si, volume_fraction: 0.2, radius: 1 um}
materials:
  Si: {E: 90 GPa, nu: 0.22}
  LPSCl: {E: 22 GPa, nu: 0.37}
steps:
  - {top: 10 MPa}
)";

  /// A 2x1x1 image: label 1 (Si) and label 2 (LPSCl).
  VoxelImage two_phase_image()
  {
    VoxelImage image;
    image.dims        = {{2, 1, 1}};
    image.voxel_size  = {{1e-6, 1e-6, 1e-6}};
    image.labels      = {1, 2};
    image.phase_names = {{1, "Si"}, {2, "LPSCl"}};
    return image;
  }

  std::string error_of(const std::function<void()> &f)
  {
    try
      {
        f();
      }
    catch (const InputError &e)
      {
        return e.what();
      }
    return "(no InputError)";
  }
} // namespace

TEST(CheckImagePhases, AcceptsMatchingImage)
{
  const CaseConfig c = read_case_string(base_case, "case.yaml");
  EXPECT_NO_THROW(check_image_phases(c, two_phase_image()));
}

TEST(CheckImagePhases, MaterialWithZeroVolumeFraction)
{
  const CaseConfig c =
    read_case_string(std::string(base_case) + "# extra\n", "case.yaml");
  CaseConfig with_pore = c;
  with_pore.materials["pore"].name  = "pore";
  with_pore.materials["pore"].model = MaterialSpec::Model::pore;
  const std::string m =
    error_of([&] { check_image_phases(with_pore, two_phase_image()); });
  EXPECT_NE(m.find("case.yaml: key 'materials.pore': phase 'pore' has volume "
                   "fraction 0 in the image (phases present: 1=Si, 2=LPSCl); "
                   "remove it"),
            std::string::npos)
    << m;
}

TEST(CheckImagePhases, LabelWithoutMaterial)
{
  CaseConfig c = read_case_string(base_case, "case.yaml");
  c.materials.erase("LPSCl");
  const std::string m = error_of([&] { check_image_phases(c, two_phase_image()); });
  EXPECT_NE(m.find("case.yaml: key 'materials.LPSCl': phase 'LPSCl' (label 2, 1 "
                   "voxels) has no entry under 'materials'"),
            std::string::npos)
    << m;
}

TEST(CheckImagePhases, LabelWithoutName)
{
  const CaseConfig c     = read_case_string(base_case, "case.yaml");
  VoxelImage       image = two_phase_image();
  image.labels[0]        = 7;
  const std::string m    = error_of([&] { check_image_phases(c, image); });
  EXPECT_NE(m.find("label 7 (1 voxels) without a phase name"), std::string::npos) << m;
}

TEST(CaseReader, EmptyFileNamesTheMissingSections)
{
  for (const char *text : {"", "# nothing\n", "~\n"})
    {
      const std::string m = error_of([&] { read_case_string(text, "e.yaml"); });
      EXPECT_NE(m.find("e.yaml:1:1: the case file is empty"), std::string::npos) << m;
    }
}

// Found by fuzz_case_reader: yaml-cpp 0.7 returns endless empty documents for
// a stray ',' at the start of a document; YAML::LoadAll() then never ended.
TEST(CaseReader, StrayCommaIsASyntaxErrorNotAHang)
{
  for (const char *text : {",", ",,,,", "# c\n,,\na: 1\n", "a: 1\n---\n,,\n"})
    {
      const std::string m = error_of([&] { read_case_string(text, "c.yaml"); });
      EXPECT_NE(m.find("c.yaml:"), std::string::npos) << m;
      EXPECT_TRUE(m.find("YAML syntax error") != std::string::npos ||
                  m.find("second YAML document") != std::string::npos)
        << m;
    }
  EXPECT_NE(error_of([] { read_case_string(",,", "c.yaml"); })
              .find("c.yaml:1:1: YAML syntax error: unexpected ','"),
            std::string::npos);
}

// Found by fuzz_vti_reader: VTK 9.1 segfaults in ReadPieceData on an inline
// ascii array with too few values or a token that is not a number;
// read_vti() checks such arrays in the text itself before VTK reads them.
namespace
{
  /// A 2x2x2 .vti whose cell array "phase" is ascii with the given values.
  std::string ascii_vti(const std::string &values)
  {
    const std::string path =
      "/tmp/solidanode_test_ascii_" + std::to_string(::getpid()) + ".vti";
    std::ofstream(path) << R"(<?xml version="1.0"?>
<VTKFile type="ImageData" version="1.0" byte_order="LittleEndian" header_type="UInt64">
  <ImageData WholeExtent="0 2 0 2 0 2" Origin="0 0 0" Spacing="1e-6 1e-6 1e-6">
    <FieldData>
      <Array type="String" Name="phase_names" NumberOfTuples="2" format="ascii">
        49 61 83 105 0 50 61 76 80 83 67 108 0
      </Array>
    </FieldData>
    <Piece Extent="0 2 0 2 0 2">
      <CellData Scalars="phase">
        <DataArray type="UInt8" Name="phase" format="ascii">
          )" << values << R"(
        </DataArray>
      </CellData>
    </Piece>
  </ImageData>
</VTKFile>
)";
    return path;
  }

  std::string read_vti_error(const std::string &path)
  {
    try
      {
        read_vti(path);
      }
    catch (const std::runtime_error &e)
      {
        std::remove(path.c_str());
        return e.what();
      }
    std::remove(path.c_str());
    return "(no std::runtime_error)";
  }
} // namespace

TEST(ReadVti, AsciiArrayWithTooFewValues)
{
  const std::string path = ascii_vti("1 2 1 2 1 2 1");
  const std::string m    = read_vti_error(path);
  EXPECT_NE(m.find("cannot read '" + path +
                   "': the array 'phase' holds 7 ascii values, expected 8 (2 x 2 x 2 cells)"),
            std::string::npos)
    << m;
  EXPECT_NE(read_vti_error(ascii_vti("1 2 1 2 1 2 1 2 1")).find("holds 9 ascii values"),
            std::string::npos);
}

TEST(ReadVti, AsciiArrayWithTokenThatIsNotANumber)
{
  const std::string path = ascii_vti("1 2 1 abc 1 2 1 2");
  const std::string m    = read_vti_error(path);
  EXPECT_NE(m.find("cannot read '" + path + "': the array 'phase': token 'abc' is not a number"),
            std::string::npos)
    << m;
  EXPECT_NE(read_vti_error(ascii_vti("1 2 1 2.5 1 2 1 2"))
              .find("token '2.5' is not an integer (type UInt8)"),
            std::string::npos);
  EXPECT_NE(read_vti_error(ascii_vti("1 2 1 300 1 2 1 2"))
              .find("token '300' is out of range for type UInt8"),
            std::string::npos);
}

TEST(ReadVti, ValidAsciiArrayReads)
{
  const std::string path  = ascii_vti("1 2 1 2\n          2 1 2 1");
  const VoxelImage  image = read_vti(path);
  std::remove(path.c_str());
  EXPECT_EQ(image.dims, (std::array<std::size_t, 3>{{2, 2, 2}}));
  EXPECT_EQ(image.labels, (std::vector<std::uint8_t>{1, 2, 1, 2, 2, 1, 2, 1}));
  EXPECT_EQ(image.phase_names.at(1), "Si");
  EXPECT_EQ(image.phase_names.at(2), "LPSCl");
}
