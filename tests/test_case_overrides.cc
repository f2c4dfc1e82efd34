// Command-line overrides of a case (--set PATH=VALUE, study/case_overrides.h)
// and the cost estimate of `solidanode check` (solver/drivers/case_check.h).
#include <base/yaml_input.h>
#include <solver/drivers/case_check.h>
#include <study/case_overrides.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>

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
    return "no error";
  }

  std::string write_case(const std::string &name)
  {
    fs::create_directories("case_overrides_test");
    const std::string path = "case_overrides_test/" + name;
    std::ofstream(path) << R"(microstructure:
  generate:
    dims: [8, 8, 8]
    voxel_size: 0.25 um
    seed: 3
    matrix: LPSCl
    particles: {phase: Si, volume_fraction: 0.2, radius: 0.5 um}
materials:
  Si: {E: 90 GPa, nu: 0.22}
  LPSCl: {E: 22 GPa, nu: 0.37}
solver: {rtol: 1e-8}
steps:
  - name: press
    top: 10 MPa
  - name: swell
    eigenstrain: {Si: 0.01}
)";
    return path;
  }
} // namespace

TEST(CaseOverrides, SetValuesByPath)
{
  const std::string path = write_case("a.yaml");
  const CaseConfig  c    = read_case_with_overrides(
    path, {parse_case_override("steps[0].top=50 MPa"), parse_case_override("materials.Si.E = 100 GPa"),
           parse_case_override("solver.max_iterations=77"),
           parse_case_override("steps[1].eigenstrain={Si: 0.03, LPSCl: 0.001}")});
  EXPECT_DOUBLE_EQ(*c.steps[0].top, 50e6);
  EXPECT_DOUBLE_EQ(c.materials.at("Si").E, 100e9);
  EXPECT_EQ(c.solver.linear.max_iterations, 77u);
  EXPECT_DOUBLE_EQ(c.steps[1].eigenstrain.at("Si"), 0.03);
  EXPECT_DOUBLE_EQ(c.steps[1].eigenstrain.at("LPSCl"), 0.001);
  EXPECT_EQ(c.file, path);
  ASSERT_EQ(c.overrides.size(), 4u);
  EXPECT_EQ(c.overrides[0], "steps[0].top=50 MPa");
  EXPECT_NE(c.overridden_text.find("50 MPa"), std::string::npos);
  // Without overrides: the file as it is.
  const CaseConfig plain = read_case_with_overrides(path, {});
  EXPECT_DOUBLE_EQ(*plain.steps[0].top, 10e6);
  EXPECT_TRUE(plain.overrides.empty());
  EXPECT_TRUE(plain.overridden_text.empty());
}

TEST(CaseOverrides, BadPathsAndValuesAreNamed)
{
  const std::string path = write_case("b.yaml");
  const auto        with = [&](const std::string &text) {
    return error_of([&] { read_case_with_overrides(path, {parse_case_override(text)}); });
  };
  std::string e = with("steps[5].top=1 MPa");
  EXPECT_NE(e.find("--set steps[5].top=1 MPa: parameter 'steps[5].top': index [5] out of "
                   "range: 'steps' has 2 entries"),
            std::string::npos)
    << e;
  e = with("material.Si.E=1 GPa");
  EXPECT_NE(e.find("parameter 'material.Si.E': unknown key 'material'"), std::string::npos) << e;
  // A value of the wrong kind: the case reader's message, key named.
  e = with("steps[0].top=50 um");
  EXPECT_NE(e.find("key 'steps[0].top'"), std::string::npos) << e;
  EXPECT_NE(e.find("'50 um' is a length, expected a pressure"), std::string::npos) << e;
  EXPECT_NE(e.find("(after --set steps[0].top=50 um;"), std::string::npos) << e;
  // A misspelt new key: the reader's unknown-key message.
  e = with("solver.rtoll=1e-6");
  EXPECT_NE(e.find("unknown key 'rtoll'"), std::string::npos) << e;
  e = with("steps[0].top=[1, 2");
  EXPECT_NE(e.find("--set steps[0].top=[1, 2: the value '[1, 2' is not valid YAML"),
            std::string::npos)
    << e;
  e = error_of([] { parse_case_override("steps[0].top"); });
  EXPECT_EQ(e, "--set 'steps[0].top': expected PATH=VALUE, e.g. 'steps[0].top=50 MPa'");
  e = error_of([] { parse_case_override("steps[0].top="); });
  EXPECT_EQ(e, "--set 'steps[0].top=': the value after '=' is empty");
}

// The estimate reproduces the measurements it is built from.
TEST(CaseCheck, EstimateFromMeasuredPerVoxelCosts)
{
  const std::string path = write_case("c.yaml");
  const CaseConfig  c    = read_case(path);
  // 128^3 matrix-free on 2 ranks: the docs/performance.md row (5.72 s
  // solve, 14.5 s setup), memory 2.4 GB per million voxels + 0.3 GB/rank.
  const CostEstimate mf = estimate_cost(c, {{128, 128, 128}}, 2);
  EXPECT_EQ(mf.voxels, 2097152u);
  EXPECT_NE(mf.solver.find("mf"), std::string::npos);
  EXPECT_NEAR(mf.seconds_per_increment, 5.72, 0.01);
  EXPECT_NEAR(mf.setup_seconds, 14.5, 0.03);
  EXPECT_NEAR(mf.memory_total_bytes, 2.4e3 * 2097152 + 0.6e9, 1.);
  EXPECT_NEAR(mf.memory_per_rank_bytes, 2.4e3 * 2097152 / 2 + 0.3e9, 1.);
  EXPECT_EQ(mf.increments, 2u);
  // An odd dimension: no multigrid levels, the assembled solver (64^3
  // GAMG row: 5.24 s per solve on 2 cores), 14 GB per million voxels.
  const CostEstimate amg = estimate_cost(c, {{64, 64, 63}}, 2);
  EXPECT_NE(amg.solver.find("amg"), std::string::npos);
  EXPECT_NEAR(amg.seconds_per_increment, 5.24 * 63. / 64., 0.01);
  EXPECT_NEAR(amg.memory_total_bytes, 14e3 * 64 * 64 * 63 + 0.6e9, 1.);
  // Four times the voxels on one rank: eight times the time.
  const CostEstimate amg1 = estimate_cost(c, {{128, 64, 63}}, 1);
  EXPECT_NEAR(amg1.seconds_per_increment, 4 * amg.seconds_per_increment, 1e-9);
  const VoxelImage image = [] {
    VoxelImage im;
    im.dims       = {{128, 128, 128}};
    im.voxel_size = {{1e-7, 1e-7, 1e-7}};
    im.labels.assign(im.n_voxels(), 1);
    im.phase_names = {{1, "Si"}, {2, "LPSCl"}};
    return im;
  }();
  const std::string report = check_report(c, image, mf);
  EXPECT_NE(report.find("valid. Resolved input (SI units"), std::string::npos) << report;
  EXPECT_NE(report.find("\"E_Pa\": "), std::string::npos) << report;
  EXPECT_NE(report.find("memory: 5.63 GB in all, 2.82 GB per rank"), std::string::npos)
    << report;
  EXPECT_NE(report.find("per increment: 5.72 s; 2 increment(s): about 25.9 s in all"),
            std::string::npos)
    << report;
  EXPECT_NE(report.find("constants: docs/performance.md"), std::string::npos) << report;
  // 69.8 B/voxel per output time (README.md, default output settings).
  EXPECT_NEAR(mf.output_bytes_per_increment, 69.8 * 2097152, 1.);
  EXPECT_NE(report.find("output: about 146 MB per output increment"), std::string::npos)
    << report;
}
