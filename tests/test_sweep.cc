// Parameter studies (study/sweep.h): case expansion, YAML path substitution,
// study files. The end-to-end run is tests/test_sweep.sh.
#include <solver/input/case_config.h>
#include <postprocess/summary.h>
#include <study/sweep.h>
#include <base/yaml_input.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

using namespace solidanode;
namespace fs = std::filesystem;

namespace
{
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
    return "";
  }

  const char *base_case = R"(microstructure:
  generate:
    dims: [8, 8, 8]
    voxel_size: 0.25 um
    seed: 3
    matrix: LPSCl
    particles: {phase: Si, volume_fraction: 0.2, radius: 0.5 um}
materials:
  Si: {E: 90 GPa, nu: 0.22}
  LPSCl: {E: 22 GPa, nu: 0.37}
steps:
  - name: press
    top: 10 MPa
  - name: swell
    eigenstrain: {Si: 0.01}
)";
} // namespace

TEST(SweepExpand, GridIsFullProductLastFastest)
{
  const auto c = expand_cases({2, 3}, true);
  ASSERT_EQ(c.size(), 6u);
  EXPECT_EQ(c[0], (std::vector<std::size_t>{0, 0}));
  EXPECT_EQ(c[1], (std::vector<std::size_t>{0, 1}));
  EXPECT_EQ(c[3], (std::vector<std::size_t>{1, 0}));
  EXPECT_EQ(c[5], (std::vector<std::size_t>{1, 2}));
  EXPECT_EQ(expand_cases({2, 2, 2}, true).size(), 8u);
  EXPECT_EQ(expand_cases({}, true).size(), 1u);
}

TEST(SweepExpand, ListIsZippedAndNeedsEqualLengths)
{
  const auto c = expand_cases({3, 3}, false);
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[2], (std::vector<std::size_t>{2, 2}));
  EXPECT_THROW(expand_cases({3, 2}, false), std::invalid_argument);
}

TEST(SweepPath, SubstitutesMappingsAndSequenceIndices)
{
  YAML::Node doc = YAML::Load(base_case);
  set_yaml_path(doc, "steps[0].top", YAML::Node("50 MPa"), "s.yaml");
  set_yaml_path(doc, "microstructure.generate.seed", YAML::Node(7), "s.yaml");
  set_yaml_path(doc, "microstructure.generate.dims[2]", YAML::Node(16), "s.yaml");
  set_yaml_path(doc, "materials.Si.nu", YAML::Node(0.3), "s.yaml");
  // A new last key in an existing mapping is allowed (read_case checks it).
  set_yaml_path(doc, "steps[1].top", YAML::Node("5 MPa"), "s.yaml");
  EXPECT_EQ(doc["steps"][0]["top"].as<std::string>(), "50 MPa");
  EXPECT_EQ(doc["steps"][1]["top"].as<std::string>(), "5 MPa");
  EXPECT_EQ(doc["microstructure"]["generate"]["seed"].as<int>(), 7);
  EXPECT_EQ(doc["microstructure"]["generate"]["dims"][2].as<int>(), 16);
  EXPECT_EQ(doc["microstructure"]["generate"]["dims"][0].as<int>(), 8);
  // The result is a valid case with the new values.
  YAML::Emitter e;
  e << doc;
  const CaseConfig c = read_case_string(e.c_str(), "case.yaml");
  EXPECT_DOUBLE_EQ(*c.steps[0].top, 50e6);
  EXPECT_EQ(c.microstructure.generator.dims[2], 16u);
  EXPECT_DOUBLE_EQ(c.materials.at("Si").nu, 0.3);
}

TEST(SweepPath, UnknownPathsAreErrorsNamingThePath)
{
  YAML::Node doc = YAML::Load(base_case);
  std::string m = error_of(
    [&] { set_yaml_path(doc, "microstructure.generat.seed", YAML::Node(1), "study.yaml"); });
  EXPECT_NE(m.find("study.yaml: parameter 'microstructure.generat.seed'"),
                                         std::string::npos)
    << m;
  EXPECT_NE(m.find("unknown key 'generat' under 'microstructure'"), std::string::npos) << m;

  m = error_of([&] { set_yaml_path(doc, "steps[5].top", YAML::Node(1), "study.yaml"); });
  EXPECT_NE(m.find("parameter 'steps[5].top'"), std::string::npos) << m;
  EXPECT_NE(m.find("index [5] out of range: 'steps' has 2 entries"), std::string::npos) << m;

  m = error_of([&] { set_yaml_path(doc, "materials[0]", YAML::Node(1), "study.yaml"); });
  EXPECT_NE(m.find("'materials' is not a list"), std::string::npos) << m;

  m = error_of([&] { set_yaml_path(doc, "steps.top", YAML::Node(1), "study.yaml"); });
  EXPECT_NE(m.find("'steps' is not a mapping"), std::string::npos) << m;

  m = error_of([&] { set_yaml_path(doc, "steps[x].top", YAML::Node(1), "study.yaml"); });
  EXPECT_NE(m.find("index 'x' is not a non-negative integer"), std::string::npos) << m;

  m = error_of([&] { set_yaml_path(doc, "a..b", YAML::Node(1), "study.yaml"); });
  EXPECT_NE(m.find("empty key"), std::string::npos) << m;
}

TEST(SweepStudy, ReadsStudyFileAndWritesCaseYaml)
{
  const fs::path dir = fs::temp_directory_path() / "solidanode_test_sweep_study";
  fs::remove_all(dir);
  fs::create_directories(dir / "cases");
  std::ofstream(dir / "cases" / "base.yaml") << base_case;
  std::ofstream(dir / "study.yaml") << "base: cases/base.yaml\n"
                                       "mode: grid\n"
                                       "output: out\n"
                                       "parameters:\n"
                                       "  steps[0].top: [5 MPa, 50 MPa]\n"
                                       "  microstructure.generate.seed: [1, 2, 3]\n";
  const Study s = read_study((dir / "study.yaml").string());
  ASSERT_EQ(s.cases.size(), 6u);
  ASSERT_EQ(s.parameters.size(), 2u);
  EXPECT_EQ(s.parameters[0].path, "steps[0].top");
  EXPECT_EQ(value_text(s.parameters[0].values[1]), "50 MPa");
  EXPECT_EQ(s.output, "out");
  const std::string yaml = case_yaml(s, s.cases[5]);
  const CaseConfig  c    = read_case_string(yaml, "case.yaml");
  EXPECT_DOUBLE_EQ(*c.steps[0].top, 50e6);
  EXPECT_EQ(c.microstructure.generator.seed, 3u);

  // An unknown study key and an unknown parameter path name the file and path.
  std::ofstream(dir / "bad.yaml") << "base: cases/base.yaml\nparameters:\n"
                                     "  materials.Sii.E: [1 GPa]\n";
  std::string m = error_of([&] { read_study((dir / "bad.yaml").string()); });
  EXPECT_NE(m.find("parameter 'materials.Sii.E'"), std::string::npos) << m;
  std::ofstream(dir / "bad2.yaml") << "base: cases/base.yaml\nparameter:\n  a: [1]\n";
  m = error_of([&] { read_study((dir / "bad2.yaml").string()); });
  EXPECT_NE(m.find("parameters"), std::string::npos) << m;
  std::ofstream(dir / "bad3.yaml") << "base: cases/base.yaml\nmode: list\nparameters:\n"
                                      "  steps[0].top: [1 MPa, 2 MPa]\n"
                                      "  microstructure.generate.seed: [1, 2, 3]\n";
  m = error_of([&] { read_study((dir / "bad3.yaml").string()); });
  EXPECT_NE(m.find("same number of values"), std::string::npos) << m;
  fs::remove_all(dir);
}

TEST(SweepStudy, ValueTextIsOneLine)
{
  EXPECT_EQ(value_text(YAML::Load("[8, 8, 8]")), "[8, 8, 8]");
  EXPECT_EQ(value_text(YAML::Node("a\nb")), "a b");
  EXPECT_EQ(value_text(YAML::Node("20 MPa")), "20 MPa");
}

TEST(SweepStudy, StudyCsvCountsInvalidIncrementsAndQuotesValues)
{
  const fs::path dir = fs::temp_directory_path() / "solidanode_test_sweep_invalid";
  fs::remove_all(dir);
  fs::create_directories(dir / "out" / "case_0000");
  fs::create_directories(dir / "out" / "case_0001");
  std::ofstream(dir / "base.yaml") << base_case;
  std::ofstream(dir / "study.yaml") << "base: base.yaml\nmode: list\nparameters:\n"
                                       "  microstructure.generate.dims: [[8, 8, 8], [4, 4, 4]]\n";
  const Study s = read_study((dir / "study.yaml").string());
  // Case 0 ran with solver.allow_invalid_states: two of three increments invalid.
  std::ofstream(dir / "out" / "case_0000" / "summary.csv")
    << "increment,thickness_m,invalid_state\n1,2e-06,\n2,-1e-06,\"3 voxel(s) inverted, "
       "thickness -1e-06 m <= 0\"\n3,-2e-06,\"4 voxel(s) inverted\"\n";
  std::ofstream(dir / "out" / "case_0001" / "summary.csv") << "increment,thickness_m\n1,2e-06\n";
  ASSERT_EQ(collect_study(s, (dir / "out").string()), 2u);
  const CsvTable t = CsvTable::read((dir / "out" / "study.csv").string());
  const auto    &c = t.columns();
  const auto     col = [&](const std::string &name) {
    return std::size_t(std::find(c.begin(), c.end(), name) - c.begin());
  };
  ASSERT_LT(col("invalid_increments"), c.size());
  EXPECT_EQ(t.rows()[0][col("invalid_increments")], "2");
  EXPECT_EQ(t.rows()[1][col("invalid_increments")], "");
  EXPECT_EQ(t.rows()[0][col("microstructure.generate.dims")], "[8, 8, 8]");
  fs::remove_all(dir);
}
