// End to end: a YAML case through `run_case`, outputs read back with VTK's
// own XML readers.
#include <mesh/sphere_generator.h>
#include <mesh/voxel_io.h>
#include <postprocess/summary.h>
#include <solver/input/case_config.h>
#include <solver/drivers/run.h>
#include <base/yaml_input.h>

#include <deal.II/base/mpi.h>

#include <gtest/gtest.h>

#include <vtkCellData.h>
#include <vtkFieldData.h>
#include <vtkStringArray.h>
#include <vtkDataArray.h>
#include <vtkNew.h>
#include <vtkPointData.h>
#include <vtkUnstructuredGrid.h>
#include <vtkPolyData.h>
#include <vtkXMLPPolyDataReader.h>
#include <vtkXMLPUnstructuredGridReader.h>

#include <yaml-cpp/yaml.h>

#include <hdf5.h>

#include <cmath>
#include <filesystem>
#include <functional>
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
  /// Every numeric summary column of @p a and @p b agrees in every row to
  /// 1e-6 of scale(column, value of b) (iteration counts, residuals and
  /// wall times excluded).
  void expect_same_summaries(const CsvTable &a, const CsvTable &b, std::size_t rows,
                             const std::function<double(const std::string &, double)> &scale)
  {
    ASSERT_EQ(a.n_rows(), rows);
    ASSERT_EQ(b.n_rows(), rows);
    ASSERT_EQ(a.columns(), b.columns());
    for (std::size_t r = 0; r < rows; ++r)
      for (std::size_t c = 0; c < a.columns().size(); ++c)
        {
          const std::string &name = a.columns()[c];
          if (name == "cg_iterations" || name == "relative_residual" ||
              name == "solve_wall_s" || name == "step_name")
            continue;
          const double x = std::stod(a.rows()[r][c]), y = std::stod(b.rows()[r][c]);
          EXPECT_NEAR(x, y, 1e-6 * scale(name, y)) << name << " row " << r;
        }
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
                                Expected{"cauchy_stress_Pa", 6, true},
                                Expected{"von_mises_Pa", 1, true},
                                Expected{"hydrostatic_stress_Pa", 1, true}})
        {
          vtkDataArray *a = e.cell ? grid->GetCellData()->GetArray(e.name) :
                                     grid->GetPointData()->GetArray(e.name);
          ASSERT_NE(a, nullptr) << e.name;
          EXPECT_EQ(a->GetNumberOfComponents(), e.components) << e.name;
        }
      // Defaults: Float32 real arrays, 6-component symmetric stress whose
      // trace / 3 is the hydrostatic stress; phase names as field data.
      vtkDataArray *sigma = grid->GetCellData()->GetArray("cauchy_stress_Pa");
      EXPECT_EQ(sigma->GetDataType(), VTK_FLOAT);
      EXPECT_EQ(grid->GetPointData()->GetArray("displacement_m")->GetDataType(), VTK_FLOAT);
      for (vtkIdType c = 0; c < grid->GetNumberOfCells(); c += 97)
        {
          const double *t = sigma->GetTuple6(c);
          EXPECT_NEAR((t[0] + t[1] + t[2]) / 3.,
                      grid->GetCellData()->GetArray("hydrostatic_stress_Pa")->GetTuple1(c),
                      1e-5 * (std::abs(t[0]) + std::abs(t[1]) + std::abs(t[2])) + 1.);
        }
      auto *names =
        vtkStringArray::SafeDownCast(grid->GetFieldData()->GetAbstractArray("phase_names"));
      ASSERT_NE(names, nullptr) << "no field data phase_names through the .pvtu";
      EXPECT_EQ(names->GetNumberOfValues(), 3);
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
            {
              EXPECT_LT(std::stod(row[col("thickness_m")]), 4e-6);
            }
        }
      EXPECT_EQ(table.rows()[2][col("eigenstrain_Si")], "0.01");

      // The interface map: its Si/LPSCl faces in contact add up to the
      // contact area in summary.csv; percentiles are ordered.
      std::ifstream     ipvd(fs::path(result.output_directory) / "interfaces.pvd");
      const std::string itext((std::istreambuf_iterator<char>(ipvd)), {});
      std::vector<std::string> ifiles;
      for (auto it = std::sregex_iterator(itext.begin(), itext.end(), entry);
           it != std::sregex_iterator(); ++it)
        ifiles.push_back((*it)[1]);
      ASSERT_EQ(ifiles.size(), 3u);
      vtkNew<vtkXMLPPolyDataReader> ireader;
      ireader->SetFileName((fs::path(result.output_directory) / ifiles.back()).c_str());
      ireader->Update();
      vtkPolyData *faces = ireader->GetOutput();
      for (const char *name : {"phase_pair", "phase_a", "phase_b", "area_m2",
                               "normal_traction_Pa", "contact_state"})
        ASSERT_NE(faces->GetCellData()->GetArray(name), nullptr) << name;
      double si_lpscl = 0., any = 0.;
      for (vtkIdType c = 0; c < faces->GetNumberOfCells(); ++c)
        {
          const auto a = faces->GetCellData()->GetArray("phase_a")->GetTuple1(c);
          const auto b = faces->GetCellData()->GetArray("phase_b")->GetTuple1(c);
          const auto st = faces->GetCellData()->GetArray("contact_state")->GetTuple1(c);
          const auto ar = faces->GetCellData()->GetArray("area_m2")->GetTuple1(c);
          any += ar;
          if (a == 1 && b == 2 && st == 1)
            si_lpscl += ar;
          if (a == 0) // pore faces are free surfaces
            {
              EXPECT_EQ(st, 0);
            }
        }
      const double summary_contact = std::stod(table.rows()[2][col("contact_area_Si_LPSCl_m2")]);
      EXPECT_GT(summary_contact, 0.);
      EXPECT_NEAR(si_lpscl, summary_contact, 1e-9 * summary_contact);
      EXPECT_GT(any, si_lpscl); // pore surfaces are there too
      for (const char *phase : {"Si", "LPSCl"})
        {
          const std::string p = phase;
          const double p50 = std::stod(table.rows()[2][col("p50_von_mises_" + p + "_Pa")]);
          const double p99 = std::stod(table.rows()[2][col("p99_von_mises_" + p + "_Pa")]);
          const double mx  = std::stod(table.rows()[2][col("max_von_mises_" + p + "_Pa")]);
          EXPECT_GT(p50, 0.);
          EXPECT_LE(p50, p99);
          EXPECT_LE(p99, mx * 1.01); // histogram bins are 0.6 % wide
        }
      // Pores shrink under pressure: porosity below the image value 0.04.
      const double porosity = std::stod(table.rows()[1][col("porosity")]);
      EXPECT_GT(porosity, 0.);
      EXPECT_LT(porosity, image.volume_fractions().at(0));

      // Profiles: one row per z layer, porosity of the layers averages to
      // the image porosity.
      const CsvTable profile = CsvTable::read(
        (fs::path(result.output_directory) / "profiles_00003.csv").string());
      ASSERT_EQ(profile.n_rows(), 8u);
      double mean_porosity = 0.;
      for (const auto &r : profile.rows())
        mean_porosity += std::stod(r[2]) / 8.;
      EXPECT_NEAR(mean_porosity, image.volume_fractions().at(0), 1e-12);

      // run.json holds the resolved case in SI units and the versions.
      const YAML::Node record =
        YAML::LoadFile((fs::path(result.output_directory) / "run.json").string());
      EXPECT_EQ(record["status"].as<std::string>(), "finished");
      EXPECT_DOUBLE_EQ(record["case"]["materials"]["Si"]["E_Pa"].as<double>(), 90e9);
      EXPECT_EQ(record["mesh"]["dofs"].as<std::size_t>(), result.n_dofs);
      EXPECT_FALSE(record["libraries"]["deal.II"].as<std::string>().empty());
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

TEST(Run, RestartFromCheckpointMatchesUninterruptedRun)
{
  // The same case in two directories: straight through, and stopped after
  // two increments then restarted (possibly the cause of a wall-time kill).
  std::string text = small_case;
  text.replace(text.find("  - {name: swell, eigenstrain: {Si: 0.01}}"), 42,
               "  - {name: swell, increments: 2, eigenstrain: {Si: 0.01}}");
  const CaseConfig config = read_case_string(text, "restart.yaml");
  RunOptions       straight;
  straight.output_directory = output_dir("straight");
  straight.quiet            = true;
  clean(straight.output_directory);
  ASSERT_TRUE(run_case(config, straight, MPI_COMM_WORLD).completed);

  RunOptions chunk = straight;
  chunk.output_directory = output_dir("chunked");
  chunk.max_increments   = 2;
  clean(chunk.output_directory);
  const RunResult first = run_case(config, chunk, MPI_COMM_WORLD);
  EXPECT_FALSE(first.completed);
  EXPECT_EQ(first.n_increments, 2u);
  // Without --restart or --overwrite the directory is protected.
  chunk.max_increments = 0;
  EXPECT_THROW(run_case(config, chunk, MPI_COMM_WORLD), CollectiveError);
  chunk.restart = true;
  const RunResult second = run_case(config, chunk, MPI_COMM_WORLD);
  EXPECT_TRUE(second.completed);
  EXPECT_EQ(second.n_increments, 4u);

  if (dealii::Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
    {
      const CsvTable a = CsvTable::read(straight.output_directory + "/summary.csv");
      const CsvTable b = CsvTable::read(chunk.output_directory + "/summary.csv");
      // b: after the restart; a's value as the scale, as before.
      expect_same_summaries(b, a, 4, [](const std::string &, double x) {
        return std::max(std::abs(x), 1e-3);
      });
      // Both series list the same four outputs.
      std::ifstream     pa(straight.output_directory + "/solution.pvd"),
                        pb(chunk.output_directory + "/solution.pvd");
      const std::string ta((std::istreambuf_iterator<char>(pa)), {}),
                        tb((std::istreambuf_iterator<char>(pb)), {});
      EXPECT_EQ(ta, tb);
    }
}

TEST(Run, MatrixFreeAndAssembledSolversAgree)
{
  // solver.method mf (the default) and amg solve the same discrete problem:
  // every summary column agrees to the solver tolerance (rtol 1e-10).
  std::map<std::string, CsvTable> tables;
  for (const std::string method : {"mf", "amg"})
    {
      std::string text = small_case;
      text.replace(text.find("pore_stiffness_ratio: 1e-4}"), 27,
                   "pore_stiffness_ratio: 1e-4, method: " + method + "}");
      const CaseConfig config = read_case_string(text, method + ".yaml");
      EXPECT_EQ(config.solver.method,
                method == "mf" ? SolverSpec::Method::mf : SolverSpec::Method::amg);
      RunOptions options;
      options.output_directory = output_dir("method_" + method);
      options.quiet            = true;
      clean(options.output_directory);
      ASSERT_TRUE(run_case(config, options, MPI_COMM_WORLD).completed);
      if (dealii::Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
        {
          tables.emplace(method, CsvTable::read(options.output_directory + "/summary.csv"));
          const YAML::Node record = YAML::LoadFile(options.output_directory + "/run.json");
          EXPECT_EQ(record["linear_solver"].as<std::string>(), method);
        }
    }
  if (dealii::Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
    {
      // Relative to the value, but at least to a scale of 1 kPa for
      // stresses (the pore stresses are tiny) and 1 pm for lengths.
      expect_same_summaries(tables.at("mf"), tables.at("amg"), 3,
                            [](const std::string &name, double y) {
                              const bool stress = name.find("_Pa") != std::string::npos;
                              return std::max(std::abs(y), stress ? 1e3 : 1e-12);
                            });
    }

  // An odd image dimension leaves the voxel mesh without multigrid levels:
  // mf falls back to amg and the run still succeeds (stack pressure = p).
  std::string odd = small_case;
  odd.replace(odd.find("dims: [16, 16, 8]"), 17, "dims: [15, 16, 8]");
  const CaseConfig config = read_case_string(odd, "odd.yaml");
  RunOptions       options;
  options.output_directory = output_dir("odd");
  options.quiet            = true;
  clean(options.output_directory);
  const RunResult result = run_case(config, options, MPI_COMM_WORLD);
  EXPECT_TRUE(result.completed);
  EXPECT_EQ(result.n_cells, 15u * 16u * 8u);
  if (dealii::Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
    {
      const YAML::Node record = YAML::LoadFile(options.output_directory + "/run.json");
      EXPECT_EQ(record["linear_solver"].as<std::string>(), "amg");
      EXPECT_EQ(record["case"]["solver"]["method"].as<std::string>(), "mf");
      const CsvTable table = CsvTable::read(result.summary_file);
      const auto    &cols  = table.columns();
      const auto     col   = std::find(cols.begin(), cols.end(), "stack_pressure_Pa") - cols.begin();
      EXPECT_NEAR(std::stod(table.rows()[1][col]), 40e6, 1e-6 * 40e6);
      std::ifstream     log(options.output_directory + "/solidanode.log");
      const std::string text((std::istreambuf_iterator<char>(log)), {});
      EXPECT_NE(text.find("no multigrid levels"), std::string::npos);
    }
}

TEST(Run, XdmfHdf5OutputHoldsTheGlobalArrays)
{
  std::string text = small_case;
  text += "output: {format: xdmf, float32: true, fields: [displacement, phase, von_mises]}\n";
  const CaseConfig config = read_case_string(text, "xdmf.yaml");
  RunOptions       options;
  options.output_directory = output_dir("xdmf");
  options.quiet            = true;
  clean(options.output_directory);
  const RunResult result = run_case(config, options, MPI_COMM_WORLD);
  if (dealii::Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) != 0)
    return;
  const fs::path out(result.output_directory);
  EXPECT_FALSE(fs::exists(out / "solution.pvd")); // VTK pieces not requested
  std::ifstream     xmf(out / "solution.xmf");
  const std::string text_xmf((std::istreambuf_iterator<char>(xmf)), {});
  EXPECT_NE(text_xmf.find("solution_00003.h5:/cell/von_mises_Pa"), std::string::npos);
  EXPECT_NE(text_xmf.find("TopologyType=\"Hexahedron\" NumberOfElements=\"2048\""),
            std::string::npos);

  // The phase array of the last step holds every voxel once, with the
  // image's label counts; the connectivity refers to existing points.
  const hid_t file = H5Fopen((out / "solution_00003.h5").c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  ASSERT_GE(file, 0);
  auto dims_of = [&](const char *name) {
    const hid_t set = H5Dopen2(file, name, H5P_DEFAULT);
    const hid_t space = H5Dget_space(set);
    hsize_t     dims[2] = {0, 0};
    H5Sget_simple_extent_dims(space, dims, nullptr);
    H5Sclose(space);
    H5Dclose(set);
    return std::array<hsize_t, 2>{{dims[0], dims[1]}};
  };
  EXPECT_EQ(dims_of("/hexahedra")[0], 2048u);
  EXPECT_EQ(dims_of("/cell/phase")[0], 2048u);
  EXPECT_EQ(dims_of("/point/displacement_m")[1], 3u);
  const auto n_points = dims_of("/points")[0];
  std::vector<std::uint8_t> phase(2048);
  const hid_t set = H5Dopen2(file, "/cell/phase", H5P_DEFAULT);
  H5Dread(set, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, phase.data());
  H5Dclose(set);
  std::vector<std::int64_t> hex(2048 * 8);
  const hid_t hset = H5Dopen2(file, "/hexahedra", H5P_DEFAULT);
  H5Dread(hset, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, hex.data());
  H5Dclose(hset);
  H5Fclose(file);
  const VoxelImage image = read_vti((out / "microstructure.vti").string());
  std::map<int, std::size_t> counts;
  for (auto p : phase)
    ++counts[p];
  for (const auto &[label, n] : image.histogram())
    EXPECT_EQ(counts[label], n) << "label " << int(label);
  for (auto id : hex)
    {
      ASSERT_GE(id, 0);
      ASSERT_LT(static_cast<hsize_t>(id), n_points);
    }
}

TEST(Run, SameImageOnEveryRank)
{
  // The microstructure is built on rank 0 and broadcast: every rank holds
  // the image that a serial generation with the same seed gives, byte for
  // byte, whatever the number of ranks.
  const CaseConfig config = read_case_string(small_case, "image.yaml");
  const VoxelImage shared = acquire_image(config.microstructure, MPI_COMM_WORLD);
  const VoxelImage local  = generate_spheres(config.microstructure.generator);
  EXPECT_TRUE(shared == local);
  std::uint64_t hash = 1469598103934665603ULL;
  for (auto l : shared.labels)
    hash = (hash ^ l) * 1099511628211ULL;
  const auto min_hash = dealii::Utilities::MPI::min(hash, MPI_COMM_WORLD);
  const auto max_hash = dealii::Utilities::MPI::max(hash, MPI_COMM_WORLD);
  EXPECT_EQ(min_hash, max_hash);
}
