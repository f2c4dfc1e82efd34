// What a protocol run writes for ParaView and for the record: distinct,
// physical times in solution.pvd / interfaces.pvd (increments that take no
// time 1 ms apart, no round-off digits), phase names as field data in every
// piece, the same volume fields as steps runs (volumetric_strain,
// local_porosity), a symmetric 6-component Float32 stress by default, the
// resolved input in run.json and a copy of the case file.
#include <mesh/voxel_io.h>
#include <solver/drivers/run_support.h>

#include "protocol_case_support.h"

#include <deal.II/base/mpi.h>

#include <gtest/gtest.h>
#include <vtkCellData.h>
#include <vtkDataArray.h>
#include <vtkFieldData.h>
#include <vtkNew.h>
#include <vtkPolyData.h>
#include <vtkStringArray.h>
#include <vtkUnstructuredGrid.h>
#include <vtkXMLPolyDataReader.h>
#include <vtkXMLUnstructuredGridReader.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <string>
#include <vector>

using namespace solidanode;
namespace fs = std::filesystem;

namespace
{
  const MPI_Comm comm = MPI_COMM_WORLD;
  bool           root() { return dealii::Utilities::MPI::this_mpi_process(comm) == 0; }

  /// 8^3 voxels of 0.5 um: a pore layer (z 0), a Si layer (z 2..5) in an
  /// electrolyte.
  std::string image(const std::string &dir)
  {
    VoxelImage img;
    img.dims        = {{8, 8, 8}};
    img.voxel_size  = {{0.5e-6, 0.5e-6, 0.5e-6}};
    img.phase_names = {{0, "pore"}, {1, "Si"}, {2, "SE"}};
    img.labels.assign(img.n_voxels(), 2);
    for (std::size_t k = 0; k < 8; ++k)
      for (std::size_t j = 0; j < 8; ++j)
        for (std::size_t i = 0; i < 8; ++i)
          if (k >= 2 && k < 6)
            img.labels[i + 8 * (j + 8 * k)] = 1;
          else if (k == 7 && (i + j) % 4 == 0)
            img.labels[i + 8 * (j + 8 * k)] = 0;
    const std::string path = dir + "/img.vti";
    if (root())
      {
        fs::create_directories(dir);
        write_vti(img, path);
      }
    MPI_Barrier(comm);
    return fs::absolute(path).string();
  }

  std::string case_text(const std::string &vti)
  {
    return "microstructure: {vti: " + vti + R"(}
materials:
  pore: {model: pore}
  Si:
    E: 90 GPa
    nu: 0.22
    lithium: {c_max: 3.11e5 mol/m3, swelling: 0.3, diffusivity: 1e-12 m2/s}
  SE: {E: 22 GPa, nu: 0.37, electrolyte: true}
boundary: {sides: rollers, top: pressure}
chemo: {kinematics: finite, max_soc_change: 0.1}
protocol:
  - press: {pressure: 20 MPa, release_to: 10 MPa, increments: 2}
  - lithiate: {c_rate: 2, until_soc: 0.2}
output: {interfaces: true, checkpoint_every: 0}
)";
  }

  /// The timestep="..." strings of a .pvd, in order.
  std::vector<std::string> pvd_times(const fs::path &pvd)
  {
    std::ifstream     in(pvd);
    const std::string text((std::istreambuf_iterator<char>(in)), {});
    const std::regex  entry("timestep=\"([^\"]+)\"");
    std::vector<std::string> times;
    for (auto it = std::sregex_iterator(text.begin(), text.end(), entry);
         it != std::sregex_iterator(); ++it)
      times.push_back((*it)[1]);
    return times;
  }

  std::set<std::string> phase_names(vtkFieldData *fd)
  {
    std::set<std::string> names;
    auto *a = vtkStringArray::SafeDownCast(fd->GetAbstractArray("phase_names"));
    if (a != nullptr)
      for (vtkIdType i = 0; i < a->GetNumberOfValues(); ++i)
        names.insert(a->GetValue(i));
    return names;
  }
} // namespace

TEST(OutputTime, IncrementsWithoutTimeAreSpacedByOneMillisecond)
{
  using S = OutputSeries;
  EXPECT_EQ(S::distinct_output_time(0., {}), 0.);
  EXPECT_DOUBLE_EQ(S::distinct_output_time(0., {0.}), 0.001);
  EXPECT_DOUBLE_EQ(S::distinct_output_time(0., {0., 0.001}), 0.002);
  EXPECT_EQ(S::distinct_output_time(60., {0., 0.001, 0.002}), 60.);
  EXPECT_DOUBLE_EQ(S::distinct_output_time(60., {60.}), 60.001);
  EXPECT_EQ(format_time(400.00000000000034), "400");
  EXPECT_EQ(format_time(0.001 + 0.001 + 0.001), "0.003");
  EXPECT_EQ(format_time(7200.001), "7200.001");
}

TEST(ProtocolOutputs, ParaViewTimesFieldsAndRecord)
{
  const std::string dir = test_support::output_dir("protocol_outputs", "run");
  test_support::clean(dir);
  const std::string text = case_text(image(dir));
  const CsvTable    table = test_support::run_case_text(text, dir);
  if (!root())
    return;
  const fs::path out = fs::path(dir) / "out";

  // Times: one per row of summary.csv, strictly increasing, the press
  // increments (no time) 1 ms apart from 0, then physical seconds.
  for (const char *pvd : {"solution.pvd", "interfaces.pvd"})
    {
      const std::vector<std::string> times = pvd_times(out / pvd);
      ASSERT_EQ(times.size(), table.n_rows()) << pvd;
      ASSERT_GE(times.size(), 5u);
      EXPECT_EQ(times[0], "0");
      EXPECT_EQ(times[1], "0.001");
      EXPECT_EQ(times[2], "0.002");
      EXPECT_EQ(times[3], "0.003");
      for (std::size_t i = 0; i < times.size(); ++i)
        {
          EXPECT_LE(times[i].size(), 14u) << times[i]; // 12 significant digits at most
          if (i > 0)
            {
              EXPECT_GT(std::stod(times[i]), std::stod(times[i - 1])) << pvd << " " << i;
            }
          if (i >= 4) // lithiation: the physical time of summary.csv
            {
              EXPECT_NEAR(std::stod(times[i]), test_support::value(table, i, "time_s"),
                          1e-9 * std::stod(times[i]));
            }
        }
    }

  // Every piece: phase names; the volume pieces: the fields of steps runs.
  const std::set<std::string> expected_names = {"0=pore", "1=Si", "2=SE"};
  double max_porosity = 0.;
  for (const auto &entry : fs::directory_iterator(out / "pieces"))
    {
      const std::string name = entry.path().filename().string();
      if (name.rfind("solution_00005_r", 0) != 0)
        continue;
      vtkNew<vtkXMLUnstructuredGridReader> reader;
      reader->SetFileName(entry.path().c_str());
      reader->Update();
      vtkUnstructuredGrid *grid = reader->GetOutput();
      ASSERT_GT(grid->GetNumberOfCells(), 0) << name;
      EXPECT_EQ(phase_names(grid->GetFieldData()), expected_names) << name;
      for (const char *array : {"volumetric_strain", "local_porosity", "det_F", "cauchy_stress_Pa"})
        ASSERT_NE(grid->GetCellData()->GetArray(array), nullptr) << array;
      vtkDataArray *stress = grid->GetCellData()->GetArray("cauchy_stress_Pa");
      EXPECT_EQ(stress->GetNumberOfComponents(), 6);
      EXPECT_EQ(stress->GetDataType(), VTK_FLOAT);
      vtkDataArray *det_f = grid->GetCellData()->GetArray("det_F");
      vtkDataArray *vol   = grid->GetCellData()->GetArray("volumetric_strain");
      vtkDataArray *por   = grid->GetCellData()->GetArray("local_porosity");
      for (vtkIdType c = 0; c < grid->GetNumberOfCells(); ++c)
        {
          EXPECT_NEAR(vol->GetTuple1(c), det_f->GetTuple1(c) - 1., 1e-6);
          max_porosity = std::max(max_porosity, por->GetTuple1(c));
        }
    }
  EXPECT_GT(max_porosity, 0.);  // near the pore voxels
  EXPECT_LT(max_porosity, 0.2); // 1 pore layer of at most 3 in a window, a quarter pores
  vtkNew<vtkXMLPolyDataReader> preader;
  preader->SetFileName((out / "pieces/interfaces_00005_r00000.vtp").c_str());
  preader->Update();
  EXPECT_EQ(phase_names(preader->GetOutput()->GetFieldData()), expected_names);

  // run.json: the resolved input; the case file copied.
  const YAML::Node record = YAML::LoadFile((out / "run.json").string());
  ASSERT_TRUE(record["case"]["protocol"].IsSequence());
  EXPECT_EQ(record["case"]["protocol"].size(), 2u);
  EXPECT_EQ(record["case"]["protocol"][0]["kind"].as<std::string>(), "press");
  EXPECT_DOUBLE_EQ(record["case"]["protocol"][0]["release_to_Pa"].as<double>(), 10e6);
  EXPECT_DOUBLE_EQ(record["case"]["protocol"][1]["c_rate_per_h"].as<double>(), 2.);
  EXPECT_DOUBLE_EQ(record["case"]["materials"]["Si"]["lithium"]["c_max_mol_per_m3"].as<double>(),
                   3.11e5);
  EXPECT_EQ(record["case"]["chemo"]["kinematics"].as<std::string>(), "finite");
  EXPECT_TRUE(record["case"]["output"]["float32"].as<bool>());
  std::ifstream     copy(out / "case.yaml");
  const std::string copied((std::istreambuf_iterator<char>(copy)), {});
  EXPECT_EQ(copied, text);
}
