// End to end: a YAML case through `run_case`, outputs read back with VTK's
// own XML readers.
#include <mesh/voxel_io.h>
#include <postprocess/summary.h>
#include <solver/case_config.h>
#include <solver/run.h>
#include <solver/yaml_input.h>

#include <deal.II/base/mpi.h>

#include <gtest/gtest.h>

#include <vtkCellData.h>
#include <vtkDataArray.h>
#include <vtkNew.h>
#include <vtkPointData.h>
#include <vtkUnstructuredGrid.h>
#include <vtkXMLPUnstructuredGridReader.h>

#include <filesystem>
#include <fstream>
#include <regex>

using namespace solidanode;
namespace fs = std::filesystem;

namespace
{
  const char *small_case = R"(
microstructure:
  generate:
    dims: [16, 16, 8]
    voxel_size: 0.5 um
    seed: 5
    matrix: LPSCl
    particles: {phase: Si, volume_fraction: 0.25, radius: 1.5 um, radius_log_std: 0.2}
    pores: {phase: pore, volume_fraction: 0.04, radius: 0.5 um}
materials:
  Si: {E: 90 GPa, nu: 0.22}
  LPSCl: {E: 22 GPa, nu: 0.37}
  pore: {model: pore}
boundary: {sides: rollers, top: pressure}
steps:
  - {name: press, increments: 2, top: 40 MPa}
  - {name: swell, eigenstrain: {Si: 0.01}}
solver: {rtol: 1e-10, pore_stiffness_ratio: 1e-4}
)";

  std::string output_dir(const std::string &name)
  {
    const auto n = dealii::Utilities::MPI::n_mpi_processes(MPI_COMM_WORLD);
    return "run_test_output/" + name + "_np" + std::to_string(n);
  }

  void clean(const std::string &dir)
  {
    if (dealii::Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
      fs::remove_all(dir);
    MPI_Barrier(MPI_COMM_WORLD);
  }
} // namespace

TEST(Run, SmallCaseWritesReadableOutputs)
{
  const CaseConfig config = read_case_string(small_case, "small.yaml");
  RunOptions       options;
  options.output_directory = output_dir("small");
  options.quiet            = true;
  clean(options.output_directory);
  const RunResult result = run_case(config, options, MPI_COMM_WORLD);
  EXPECT_EQ(result.n_increments, 3u);
  EXPECT_EQ(result.n_cells, 16u * 16u * 8u);
  EXPECT_EQ(result.n_dofs, 3u * 17u * 17u * 9u);

  if (dealii::Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
    {
      // The pvd lists one pvtu per increment, each readable by VTK.
      std::ifstream     pvd(result.pvd_file);
      const std::string text((std::istreambuf_iterator<char>(pvd)), {});
      const std::regex  entry("file=\"([^\"]+)\"");
      std::vector<std::string> files;
      for (auto it = std::sregex_iterator(text.begin(), text.end(), entry);
           it != std::sregex_iterator(); ++it)
        files.push_back((*it)[1]);
      ASSERT_EQ(files.size(), 3u);

      vtkNew<vtkXMLPUnstructuredGridReader> reader;
      reader->SetFileName((fs::path(result.output_directory) / files.back()).c_str());
      reader->Update();
      vtkUnstructuredGrid *grid = reader->GetOutput();
      ASSERT_NE(grid, nullptr);
      EXPECT_EQ(grid->GetNumberOfCells(), 16 * 16 * 8);
      // Shared points: at most one per vertex and rank boundary copy.
      EXPECT_LE(grid->GetNumberOfPoints(), 17 * 17 * 9 * 2);
      struct Expected
      {
        const char *name;
        int         components;
        bool        cell;
      };
      for (const Expected &e : {Expected{"displacement_m", 3, false},
                                Expected{"phase", 1, true}, Expected{"mpi_rank", 1, true},
                                Expected{"cauchy_stress_Pa", 9, true},
                                Expected{"von_mises_Pa", 1, true},
                                Expected{"hydrostatic_stress_Pa", 1, true}})
        {
          vtkDataArray *a = e.cell ? grid->GetCellData()->GetArray(e.name) :
                                     grid->GetPointData()->GetArray(e.name);
          ASSERT_NE(a, nullptr) << e.name;
          EXPECT_EQ(a->GetNumberOfComponents(), e.components) << e.name;
        }
      // Phase labels in the output match the microstructure fractions.
      const VoxelImage image =
        read_vti((fs::path(result.output_directory) / "microstructure.vti").string());
      auto *phase = grid->GetCellData()->GetArray("phase");
      std::map<int, std::size_t> counts;
      for (vtkIdType c = 0; c < phase->GetNumberOfTuples(); ++c)
        ++counts[static_cast<int>(phase->GetTuple1(c))];
      for (const auto &[label, n] : image.histogram())
        EXPECT_EQ(counts[label], n) << "label " << int(label);

      // summary.csv: one row per increment; with a pressure on the top face
      // and rollers, the volume average of sigma_zz is exactly -p (test
      // function v = z e_z), whatever the microstructure.
      const CsvTable table = CsvTable::read(result.summary_file);
      ASSERT_EQ(table.n_rows(), 3u);
      const auto &cols = table.columns();
      auto        col  = [&](const std::string &name) {
        const auto it = std::find(cols.begin(), cols.end(), name);
        EXPECT_NE(it, cols.end()) << name;
        return static_cast<std::size_t>(it - cols.begin());
      };
      const double p_expected[3] = {20e6, 40e6, 40e6};
      for (std::size_t r = 0; r < 3; ++r)
        {
          const auto  &row = table.rows()[r];
          const double p   = std::stod(row[col("applied_pressure_Pa")]);
          EXPECT_DOUBLE_EQ(p, p_expected[r]);
          EXPECT_NEAR(std::stod(row[col("stack_pressure_Pa")]), p, 1e-6 * p);
          if (r < 2) // compression only
            EXPECT_LT(std::stod(row[col("thickness_m")]), 4e-6);
        }
      EXPECT_EQ(table.rows()[2][col("eigenstrain_Si")], "0.01");
      // Swelling at fixed pressure thickens the cell.
      EXPECT_GT(std::stod(table.rows()[2][col("thickness_m")]),
                std::stod(table.rows()[1][col("thickness_m")]));
    }

  // A second run into the same directory must not destroy the results.
  EXPECT_THROW(run_case(config, options, MPI_COMM_WORLD), CollectiveError);
  EXPECT_TRUE(fs::exists(result.pvd_file));
  options.overwrite = true;
  EXPECT_NO_THROW(run_case(config, options, MPI_COMM_WORLD));
}

TEST(Run, MaterialMissingForAPhaseIsReported)
{
  std::string text = small_case;
  text.replace(text.find("  pore: {model: pore}\n"), 22, "");
  const CaseConfig config = read_case_string(text, "missing.yaml");
  RunOptions       options;
  options.output_directory = output_dir("missing");
  options.quiet            = true;
  clean(options.output_directory);
  try
    {
      run_case(config, options, MPI_COMM_WORLD);
      FAIL() << "expected an error";
    }
  catch (const CollectiveError &e)
    {
      EXPECT_NE(std::string(e.what()).find("phase 'pore' (label 0"), std::string::npos)
        << e.what();
    }
}

TEST(Run, CaseErrorsNameLineAndKey)
{
  std::string text = small_case;
  text.replace(text.find("E: 22 GPa"), 9, "E: 22 mm");
  try
    {
      read_case_string(text, "units.yaml");
      FAIL() << "expected an InputError";
    }
  catch (const InputError &e)
    {
      const std::string m = e.what();
      EXPECT_NE(m.find("units.yaml:12:"), std::string::npos) << m;
      EXPECT_NE(m.find("materials.LPSCl.E"), std::string::npos) << m;
      EXPECT_NE(m.find("pressure"), std::string::npos) << m;
    }
}
