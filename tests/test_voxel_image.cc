// Tests of VoxelImage, the .vti and raw readers/writers and the file helpers.
#include <mesh/voxel_image.h>
#include <mesh/voxel_io.h>
#include <base/file_utils.h>

#include <vtkCellData.h>
#include <vtkDataArray.h>
#include <vtkFieldData.h>
#include <vtkFloatArray.h>
#include <vtkImageData.h>
#include <vtkIntArray.h>
#include <vtkNew.h>
#include <vtkPointData.h>
#include <vtkPoints.h>
#include <vtkPolyData.h>
#include <vtkShortArray.h>
#include <vtkSmartPointer.h>
#include <vtkStringArray.h>
#include <vtkType.h>
#include <vtkUnsignedCharArray.h>
#include <vtkXMLImageDataReader.h>
#include <vtkXMLImageDataWriter.h>
#include <vtkXMLPolyDataWriter.h>

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

using namespace solidanode;

namespace
{
  /// A fresh directory for one test, unique per process (ctest may run test
  /// programs in parallel), removed with its contents at the end.
  class ScratchDir
  {
  public:
    ScratchDir()
    {
      const auto *info = ::testing::UnitTest::GetInstance()->current_test_info();
      dir = std::filesystem::path(::testing::TempDir()) /
            ("solidanode_" + std::string(info->test_suite_name()) + "_" +
             info->name() + "_" + std::to_string(::getpid()));
      std::filesystem::remove_all(dir);
      std::filesystem::create_directories(dir);
    }
    ~ScratchDir()
    {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
    std::string file(const std::string &name) const { return (dir / name).string(); }
    /// Names of all entries in the directory.
    std::vector<std::string> entries() const
    {
      std::vector<std::string> names;
      for (const auto &entry : std::filesystem::directory_iterator(dir))
        names.push_back(entry.path().filename().string());
      std::sort(names.begin(), names.end());
      return names;
    }

    std::filesystem::path dir;
  };

  /// The what() of the exception of type E thrown by @p f ("" and a test
  /// failure if none or another type is thrown).
  template <typename E, typename F>
  std::string message_of(F &&f)
  {
    try
      {
        f();
      }
    catch (const E &e)
      {
        return e.what();
      }
    catch (const std::exception &e)
      {
        ADD_FAILURE() << "unexpected exception type: " << e.what();
        return "";
      }
    ADD_FAILURE() << "no exception thrown";
    return "";
  }

  ::testing::AssertionResult contains(const std::string &text, const std::string &part)
  {
    if (text.find(part) != std::string::npos)
      return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "'" << text << "' does not contain '" << part
                                         << "'";
  }

  std::string read_file(const std::string &path)
  {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }

  /// 4 x 3 x 2 voxels: matrix (2) everywhere except five particle voxels (1)
  /// and three pore voxels (0).
  VoxelImage small_image()
  {
    VoxelImage image;
    image.dims = {{4, 3, 2}};
    image.voxel_size = {{0.5e-6, 0.25e-6, 1e-6}};
    image.origin = {{-1e-6, 0., 2e-6}};
    image.labels.assign(24, 2);
    for (const auto &v : {std::array<int, 3>{{3, 1, 0}},
                          {{0, 2, 0}},
                          {{1, 2, 0}},
                          {{2, 0, 1}},
                          {{3, 2, 1}}})
      image.labels[image.index(v[0], v[1], v[2])] = 1;
    for (const auto &v :
         {std::array<int, 3>{{0, 0, 1}}, {{1, 0, 1}}, {{0, 1, 1}}})
      image.labels[image.index(v[0], v[1], v[2])] = 0;
    image.phase_names = {{0, "pore"}, {1, "Si"}, {2, "LPSCl"}};
    return image;
  }

  /// A larger image with every label 0..5 and 255 and awkward geometry.
  VoxelImage patterned_image()
  {
    VoxelImage image;
    image.dims = {{7, 5, 3}};
    image.voxel_size = {{0.37e-6, 1e-6 / 3., 0.1}};
    image.origin = {{-1e-5, 2.5e-6 / 3., 3e-3}};
    image.labels.resize(image.n_voxels());
    for (std::size_t n = 0; n < image.labels.size(); ++n)
      image.labels[n] = static_cast<std::uint8_t>((n * 7 + n / 5) % 6);
    image.labels[image.index(6, 4, 2)] = 255;
    image.phase_names = {{0, "pore"},
                         {1, "Si"},
                         {2, "LPSCl"},
                         {3, "carbon black"},
                         {4, "binder=PVDF"},
                         {5, "x"},
                         {255, "void"}};
    return image;
  }

  /// Writes ImageData with (dims + 1) points, the given cell array and
  /// spacing (1, 2, 3) um using VTK directly (ASCII, as other programs
  /// might); @p adjust may modify the data set before it is written.
  void write_vtk_image(const std::string &path, const std::array<int, 3> &dims,
                       vtkAbstractArray *cell_array,
                       const std::function<void(vtkImageData &)> &adjust = {})
  {
    vtkNew<vtkImageData> data;
    data->SetDimensions(dims[0] + 1, dims[1] + 1, dims[2] + 1);
    data->SetSpacing(1e-6, 2e-6, 3e-6);
    if (cell_array != nullptr)
      data->GetCellData()->AddArray(cell_array);
    if (adjust)
      adjust(*data);
    vtkNew<vtkXMLImageDataWriter> writer;
    writer->SetInputData(data);
    writer->SetDataModeToAscii();
    writer->SetFileName(path.c_str());
    ASSERT_EQ(writer->Write(), 1);
  }

  /// A uint8 "phase" array with @p n values 1.
  vtkSmartPointer<vtkUnsignedCharArray> ones(const vtkIdType n)
  {
    auto phase = vtkSmartPointer<vtkUnsignedCharArray>::New();
    phase->SetName("phase");
    phase->SetNumberOfTuples(n);
    phase->FillValue(1);
    return phase;
  }
} // namespace


// ----------------------------------------------------------------- VoxelImage

TEST(VoxelImage, ExtentHistogramAndFractions)
{
  const VoxelImage image = small_image();
  EXPECT_EQ(image.n_voxels(), 24u);
  EXPECT_EQ(image.index(3, 1, 0), 7u);
  EXPECT_EQ(image.index(1, 2, 1), 21u);

  const auto extent = image.extent();
  EXPECT_DOUBLE_EQ(extent[0], 2e-6);
  EXPECT_DOUBLE_EQ(extent[1], 0.75e-6);
  EXPECT_DOUBLE_EQ(extent[2], 2e-6);

  const auto histogram = image.histogram();
  ASSERT_EQ(histogram.size(), 3u);
  EXPECT_EQ(histogram.at(0), 3u);
  EXPECT_EQ(histogram.at(1), 5u);
  EXPECT_EQ(histogram.at(2), 16u);

  const auto fractions = image.volume_fractions();
  ASSERT_EQ(fractions.size(), 3u);
  EXPECT_DOUBLE_EQ(fractions.at(0), 3. / 24.);
  EXPECT_DOUBLE_EQ(fractions.at(1), 5. / 24.);
  EXPECT_DOUBLE_EQ(fractions.at(2), 16. / 24.);

  // Labels that are named but absent do not appear.
  VoxelImage all_matrix = image;
  std::fill(all_matrix.labels.begin(), all_matrix.labels.end(), 2);
  EXPECT_EQ(all_matrix.histogram(), (std::map<std::uint8_t, std::size_t>{{2, 24}}));
  EXPECT_EQ(all_matrix.volume_fractions(), (std::map<std::uint8_t, double>{{2, 1.}}));

  EXPECT_TRUE(VoxelImage().histogram().empty());
  EXPECT_TRUE(VoxelImage().volume_fractions().empty());
}

TEST(VoxelImage, LabelOf)
{
  const VoxelImage image = small_image();
  EXPECT_EQ(image.label_of("pore"), 0);
  EXPECT_EQ(image.label_of("Si"), 1);
  EXPECT_EQ(image.label_of("LPSCl"), 2);

  const std::string message =
    message_of<std::invalid_argument>([&] { image.label_of("graphite"); });
  EXPECT_TRUE(contains(message, "'graphite'"));
  EXPECT_TRUE(contains(message, "'LPSCl'"));
}

TEST(VoxelImage, ValidateAcceptsConsistentImage)
{
  EXPECT_NO_THROW(small_image().validate("small"));
  // The readers keep any name a file stores (round trips below); a run
  // accepts only safe names (base/names.h).
  VoxelImage safe      = patterned_image();
  safe.phase_names[3]  = "carbon_black";
  safe.phase_names[4]  = "binder-PVDF";
  EXPECT_NO_THROW(safe.validate("patterned"));
  try
    {
      patterned_image().validate("patterned");
      ADD_FAILURE() << "a phase name with a space was accepted";
    }
  catch (const std::invalid_argument &e)
    {
      EXPECT_NE(std::string(e.what()).find("patterned: the name of phase label 3 ('carbon "
                                           "black') is not allowed: it contains ' '"),
                std::string::npos)
        << e.what();
    }
}

TEST(VoxelImage, ValidateNamesFirstVoxelWithoutPhaseName)
{
  VoxelImage image = small_image();
  image.phase_names.erase(1);
  // Label 1 first occurs (x fastest) at (3, 1, 0), linear index 7.
  const std::string message =
    message_of<std::invalid_argument>([&] { image.validate("micro.vti"); });
  EXPECT_TRUE(contains(message, "micro.vti"));
  EXPECT_TRUE(contains(message, "label 1"));
  EXPECT_TRUE(contains(message, "(3, 1, 0)"));

  image = small_image();
  image.phase_names.erase(0);
  const std::string pore_message =
    message_of<std::invalid_argument>([&] { image.validate("micro.vti"); });
  EXPECT_TRUE(contains(pore_message, "label 0"));
  EXPECT_TRUE(contains(pore_message, "(0, 0, 1)"));
}

TEST(VoxelImage, ValidateRejectsBadGeometry)
{
  VoxelImage image = small_image();
  image.dims[1] = 0;
  image.labels.clear();
  std::string message = message_of<std::invalid_argument>([&] { image.validate("src"); });
  EXPECT_TRUE(contains(message, "src"));
  EXPECT_TRUE(contains(message, "along y"));

  for (const double bad : {0., -1e-6, std::numeric_limits<double>::quiet_NaN(),
                           std::numeric_limits<double>::infinity()})
    {
      image = small_image();
      image.voxel_size[2] = bad;
      message = message_of<std::invalid_argument>([&] { image.validate("src"); });
      EXPECT_TRUE(contains(message, "voxel size along z"));
    }

  image = small_image();
  image.labels.pop_back();
  message = message_of<std::invalid_argument>([&] { image.validate("src"); });
  EXPECT_TRUE(contains(message, "23 labels"));
  EXPECT_TRUE(contains(message, "24 voxels"));
}

TEST(VoxelImage, Equality)
{
  const VoxelImage a = small_image();
  VoxelImage b = a;
  EXPECT_TRUE(a == b);
  b.labels[5] = 0;
  EXPECT_FALSE(a == b);
  b = a;
  b.phase_names[1] = "Sn";
  EXPECT_FALSE(a == b);
  b = a;
  b.voxel_size[0] *= 1. + 1e-15;
  EXPECT_FALSE(a == b);
  b = a;
  b.origin[2] = 0.;
  EXPECT_FALSE(a == b);
  b = a;
  b.dims = {{3, 4, 2}};
  EXPECT_FALSE(a == b);
}

// ------------------------------------------------------------------------ vti

TEST(VoxelIO, VtiRoundTripIsExact)
{
  ScratchDir scratch;
  const VoxelImage image = patterned_image();
  const std::string path = scratch.file("image.vti");
  write_vti(image, path);
  // Atomic write: only the final file is left.
  EXPECT_EQ(scratch.entries(), std::vector<std::string>{"image.vti"});

  const VoxelImage read = read_vti(path);
  EXPECT_EQ(read.dims, image.dims);
  EXPECT_EQ(read.voxel_size, image.voxel_size); // bit for bit
  EXPECT_EQ(read.origin, image.origin);
  EXPECT_EQ(read.phase_names, image.phase_names);
  EXPECT_EQ(read.labels, image.labels);
  EXPECT_TRUE(read == image);

  // Overwriting works and stays atomic.
  VoxelImage changed = image;
  changed.labels[0] = 42;
  changed.phase_names[42] = "new";
  write_vti(changed, path);
  EXPECT_TRUE(read_vti(path) == changed);
  EXPECT_EQ(scratch.entries(), std::vector<std::string>{"image.vti"});
}

TEST(VoxelIO, VtiIsReadableByVtkWithUint8PhaseArray)
{
  ScratchDir scratch;
  const VoxelImage image = patterned_image();
  const std::string path = scratch.file("image.vti");
  write_vti(image, path);

  // Binary appended data, zlib-compressed.
  const std::string text = read_file(path);
  EXPECT_TRUE(contains(text, "compressor=\"vtkZLibDataCompressor\""));
  EXPECT_TRUE(contains(text, "format=\"appended\""));
  EXPECT_TRUE(contains(text, "<AppendedData encoding=\"raw\">"));

  vtkNew<vtkXMLImageDataReader> reader;
  reader->SetFileName(path.c_str());
  reader->Update();
  ASSERT_EQ(reader->GetErrorCode(), 0u);
  vtkImageData *data = reader->GetOutput();
  ASSERT_NE(data, nullptr);
  int dims[3];
  data->GetDimensions(dims);
  EXPECT_EQ(dims[0], 8);
  EXPECT_EQ(dims[1], 6);
  EXPECT_EQ(dims[2], 4);
  EXPECT_EQ(data->GetNumberOfCells(), 105);
  EXPECT_EQ(data->GetSpacing()[1], 1e-6 / 3.);
  EXPECT_EQ(data->GetOrigin()[0], -1e-5);

  vtkDataArray *phase = data->GetCellData()->GetArray("phase");
  ASSERT_NE(phase, nullptr);
  EXPECT_EQ(phase->GetDataType(), VTK_UNSIGNED_CHAR);
  EXPECT_NE(vtkUnsignedCharArray::SafeDownCast(phase), nullptr);
  EXPECT_EQ(phase->GetNumberOfComponents(), 1);
  ASSERT_EQ(phase->GetNumberOfTuples(), 105);
  // VTK's cell order is x fastest, like ours.
  for (std::size_t n = 0; n < image.labels.size(); ++n)
    ASSERT_EQ(phase->GetTuple1(static_cast<vtkIdType>(n)), image.labels[n]) << n;

  auto *names = vtkStringArray::SafeDownCast(
    data->GetFieldData()->GetAbstractArray("phase_names"));
  ASSERT_NE(names, nullptr);
  ASSERT_EQ(names->GetNumberOfValues(), 7);
  EXPECT_EQ(names->GetValue(0), "0=pore");
  EXPECT_EQ(names->GetValue(4), "4=binder=PVDF");
  EXPECT_EQ(names->GetValue(6), "255=void");
}

TEST(VoxelIO, VtiAcceptsOtherIntegerArrays)
{
  ScratchDir scratch;
  const std::string path = scratch.file("int.vti");
  vtkNew<vtkIntArray> phase;
  phase->SetName("phase");
  phase->SetNumberOfTuples(2 * 3 * 4);
  for (vtkIdType c = 0; c < phase->GetNumberOfTuples(); ++c)
    phase->SetValue(c, static_cast<int>(c % 3 == 0 ? 255 : c % 3));
  write_vtk_image(path, {{2, 3, 4}}, phase);

  const VoxelImage image = read_vti(path);
  EXPECT_EQ(image.dims, (std::array<std::size_t, 3>{{2, 3, 4}}));
  EXPECT_EQ(image.voxel_size, (std::array<double, 3>{{1e-6, 2e-6, 3e-6}}));
  EXPECT_EQ(image.origin, (std::array<double, 3>{{0., 0., 0.}}));
  ASSERT_EQ(image.labels.size(), 24u);
  for (std::size_t n = 0; n < 24; ++n)
    EXPECT_EQ(image.labels[n], n % 3 == 0 ? 255 : n % 3);
  // No "phase_names": labels are left unnamed.
  EXPECT_TRUE(image.phase_names.empty());
}

TEST(VoxelIO, VtiRejectsOutOfRangeLabelsNamingTheVoxel)
{
  ScratchDir scratch;
  const std::string path = scratch.file("short.vti");
  vtkNew<vtkShortArray> phase;
  phase->SetName("phase");
  phase->SetNumberOfTuples(3 * 2 * 2);
  phase->FillValue(1);
  phase->SetValue(2 + 3 * (1 + 2 * 1), -1); // voxel (2, 1, 1)
  write_vtk_image(path, {{3, 2, 2}}, phase);

  const std::string message = message_of<std::runtime_error>([&] { read_vti(path); });
  EXPECT_TRUE(contains(message, path));
  EXPECT_TRUE(contains(message, "(2, 1, 1)"));
  EXPECT_TRUE(contains(message, "-1"));

  // The first bad voxel in x-fastest order is named.
  phase->SetValue(11, 1);
  phase->SetValue(9, -5);  // voxel (0, 1, 1)
  phase->SetValue(4, 300); // voxel (1, 1, 0)
  write_vtk_image(path, {{3, 2, 2}}, phase);
  const std::string second = message_of<std::runtime_error>([&] { read_vti(path); });
  EXPECT_TRUE(contains(second, "(1, 1, 0)"));
  EXPECT_TRUE(contains(second, "300"));
}

TEST(VoxelIO, VtiRejectsNonIntegerAndMissingArrays)
{
  ScratchDir scratch;

  const std::string float_path = scratch.file("float.vti");
  vtkNew<vtkFloatArray> float_phase;
  float_phase->SetName("phase");
  float_phase->SetNumberOfTuples(8);
  float_phase->FillValue(1.f);
  write_vtk_image(float_path, {{2, 2, 2}}, float_phase);
  std::string message = message_of<std::runtime_error>([&] { read_vti(float_path); });
  EXPECT_TRUE(contains(message, float_path));
  EXPECT_TRUE(contains(message, "float"));

  const std::string other_path = scratch.file("other.vti");
  auto other = ones(8);
  other->SetName("material");
  write_vtk_image(other_path, {{2, 2, 2}}, other);
  message = message_of<std::runtime_error>([&] { read_vti(other_path); });
  EXPECT_TRUE(contains(message, other_path));
  EXPECT_TRUE(contains(message, "no cell array 'phase'"));

  const std::string point_path = scratch.file("point.vti");
  write_vtk_image(point_path, {{2, 2, 2}}, nullptr, [](vtkImageData &data) {
    data.GetPointData()->AddArray(ones(27));
  });
  message = message_of<std::runtime_error>([&] { read_vti(point_path); });
  EXPECT_TRUE(contains(message, "point array"));
}

TEST(VoxelIO, VtiExtentNotStartingAtZeroShiftsOrigin)
{
  ScratchDir scratch;
  const std::string path = scratch.file("piece.vti");
  write_vtk_image(path, {{2, 1, 1}}, ones(2), [](vtkImageData &data) {
    data.SetExtent(2, 4, -1, 0, 0, 1);
    data.SetOrigin(1e-6, 0., 0.);
  });
  const VoxelImage image = read_vti(path);
  EXPECT_EQ(image.dims, (std::array<std::size_t, 3>{{2, 1, 1}}));
  EXPECT_DOUBLE_EQ(image.origin[0], 3e-6); // 1 um + 2 * 1 um
  EXPECT_DOUBLE_EQ(image.origin[1], -2e-6);
  EXPECT_EQ(image.origin[2], 0.);
}

TEST(VoxelIO, VtiRejectsRotatedGrid)
{
  ScratchDir scratch;
  const std::string path = scratch.file("rotated.vti");
  write_vtk_image(path, {{2, 2, 2}}, ones(8), [](vtkImageData &data) {
    data.SetDirectionMatrix(0., 1., 0., 1., 0., 0., 0., 0., 1.);
  });
  const std::string message = message_of<std::runtime_error>([&] { read_vti(path); });
  EXPECT_TRUE(contains(message, path));
  EXPECT_TRUE(contains(message, "Direction"));
}

TEST(VoxelIO, VtiRejectsMalformedPhaseNames)
{
  ScratchDir scratch;
  const std::string path = scratch.file("names.vti");
  const auto with_names = [&](const std::vector<std::string> &entries) {
    write_vtk_image(path, {{2, 2, 2}}, ones(8), [&](vtkImageData &data) {
      vtkNew<vtkStringArray> names;
      names->SetName("phase_names");
      for (const auto &entry : entries)
        names->InsertNextValue(entry);
      data.GetFieldData()->AddArray(names);
    });
    return message_of<std::runtime_error>([&] { read_vti(path); });
  };
  EXPECT_TRUE(contains(with_names({"1=Si", "Si"}), "'Si'"));
  EXPECT_TRUE(contains(with_names({"x=Si"}), "'x=Si'"));
  EXPECT_TRUE(contains(with_names({"256=Si"}), "'256=Si'"));
  EXPECT_TRUE(contains(with_names({"1="}), "empty name"));
  EXPECT_TRUE(contains(with_names({"1=Si", "1=Sn"}), "label 1 twice"));

  write_vtk_image(path, {{2, 2, 2}}, ones(8), [&](vtkImageData &data) {
    vtkNew<vtkIntArray> names;
    names->SetName("phase_names");
    names->InsertNextValue(1);
    data.GetFieldData()->AddArray(names);
  });
  EXPECT_TRUE(contains(message_of<std::runtime_error>([&] { read_vti(path); }),
                       "not a string array"));
}

TEST(VoxelIO, VtiRejectsMissingAndForeignFiles)
{
  ScratchDir scratch;

  const std::string missing = scratch.file("missing.vti");
  std::string message = message_of<std::runtime_error>([&] { read_vti(missing); });
  EXPECT_TRUE(contains(message, missing));
  EXPECT_TRUE(contains(message, std::strerror(ENOENT)));

  EXPECT_TRUE(contains(message_of<std::runtime_error>(
                         [&] { read_vti(scratch.dir.string()); }),
                       "directory"));

  const std::string text_path = scratch.file("text.vti");
  std::ofstream(text_path) << "this is not VTK\n";
  message = message_of<std::runtime_error>([&] { read_vti(text_path); });
  EXPECT_TRUE(contains(message, text_path));
  EXPECT_TRUE(contains(message, "not a VTK XML file"));

  const std::string poly_path = scratch.file("poly.vti");
  {
    vtkNew<vtkPoints> points;
    points->InsertNextPoint(0., 0., 0.);
    vtkNew<vtkPolyData> poly;
    poly->SetPoints(points);
    vtkNew<vtkXMLPolyDataWriter> writer;
    writer->SetInputData(poly);
    writer->SetFileName(poly_path.c_str());
    ASSERT_EQ(writer->Write(), 1);
  }
  message = message_of<std::runtime_error>([&] { read_vti(poly_path); });
  EXPECT_TRUE(contains(message, poly_path));
  EXPECT_TRUE(contains(message, "PolyData"));
}

TEST(VoxelIO, VtiRejectsTruncatedFile)
{
  ScratchDir scratch;
  const std::string path = scratch.file("cut.vti");
  VoxelImage image = patterned_image();
  write_vti(image, path);
  const std::string text = read_file(path);
  std::ofstream(path, std::ios::binary | std::ios::trunc)
    .write(text.data(), static_cast<std::streamsize>(text.size() - 40));
  const std::string message = message_of<std::runtime_error>([&] { read_vti(path); });
  EXPECT_TRUE(contains(message, path));
}

TEST(VoxelIO, WriteVtiRejectsInconsistentImage)
{
  ScratchDir scratch;
  VoxelImage image = small_image();
  image.labels.resize(10);
  const std::string path = scratch.file("bad.vti");
  const std::string message = message_of<std::invalid_argument>([&] { write_vti(image, path); });
  EXPECT_TRUE(contains(message, path));
  EXPECT_TRUE(scratch.entries().empty());
}

TEST(VoxelIO, WriteVtiIntoMissingDirectoryFails)
{
  ScratchDir scratch;
  const std::string path = scratch.file("no/such/dir/image.vti");
  const std::string message =
    message_of<std::runtime_error>([&] { write_vti(small_image(), path); });
  EXPECT_TRUE(contains(message, path));
  EXPECT_TRUE(scratch.entries().empty());
}

// ------------------------------------------------------------------------ raw

TEST(VoxelIO, RawRoundTripIsExact)
{
  ScratchDir scratch;
  const VoxelImage image = patterned_image();
  const std::string path = scratch.file("image.raw");
  write_raw(image, path);
  EXPECT_EQ(scratch.entries(), std::vector<std::string>{"image.raw"});
  EXPECT_EQ(std::filesystem::file_size(path), 105u);

  // Byte n of the file is label n (x fastest).
  const std::string bytes = read_file(path);
  ASSERT_EQ(bytes.size(), 105u);
  for (std::size_t n = 0; n < bytes.size(); ++n)
    ASSERT_EQ(static_cast<std::uint8_t>(bytes[n]), image.labels[n]) << n;

  const VoxelImage read =
    read_raw(path, image.dims, image.voxel_size, image.origin, image.phase_names);
  EXPECT_TRUE(read == image);
}

TEST(VoxelIO, RawSizeMismatchNamesExpectedAndActualBytes)
{
  ScratchDir scratch;
  const std::string path = scratch.file("short.raw");
  std::ofstream(path, std::ios::binary) << std::string(7999, '\1');
  const std::string message = message_of<std::runtime_error>([&] {
    read_raw(path, {{20, 20, 20}}, {{1e-6, 1e-6, 1e-6}}, {{0., 0., 0.}},
             {{1, "Si"}});
  });
  EXPECT_TRUE(contains(message, path));
  EXPECT_TRUE(contains(message, "8000 bytes"));
  EXPECT_TRUE(contains(message, "20 x 20 x 20"));
  EXPECT_TRUE(contains(message, "7999 bytes"));

  const std::string missing = scratch.file("missing.raw");
  EXPECT_TRUE(contains(message_of<std::runtime_error>([&] {
                         read_raw(missing, {{2, 2, 2}}, {{1., 1., 1.}}, {{0., 0., 0.}}, {});
                       }),
                       missing));

  // Bad geometry is the caller's mistake.
  EXPECT_TRUE(contains(message_of<std::invalid_argument>([&] {
                         read_raw(path, {{20, 0, 20}}, {{1., 1., 1.}}, {{0., 0., 0.}}, {});
                       }),
                       "along y"));
}

// ----------------------------------------------------------------- file utils

TEST(FileUtils, TemporaryNameIsInSameDirectory)
{
  EXPECT_EQ(temporary_name("/a/b/out.vtu"),
            "/a/b/out.vtu.tmp." + std::to_string(::getpid()));
}

TEST(FileUtils, AtomicWriteTextCreatesAndReplaces)
{
  ScratchDir scratch;
  const std::string path = scratch.file("summary.txt");
  atomic_write_text(path, "first\n");
  EXPECT_EQ(read_file(path), "first\n");
  atomic_write_text(path, std::string("second\0binary", 13));
  EXPECT_EQ(read_file(path), std::string("second\0binary", 13));
  EXPECT_EQ(scratch.entries(), std::vector<std::string>{"summary.txt"});
}

TEST(FileUtils, FailedWriteLeavesOldFileAndNoTemporary)
{
  ScratchDir scratch;
  const std::string path = scratch.file("result.txt");
  atomic_write_text(path, "old");
  const std::string message = message_of<std::logic_error>([&] {
    atomic_write(path, [](const std::string &tmp) {
      std::ofstream(tmp) << "partial";
      throw std::logic_error("writer gave up");
    });
  });
  EXPECT_EQ(message, "writer gave up");
  EXPECT_EQ(read_file(path), "old");
  EXPECT_EQ(scratch.entries(), std::vector<std::string>{"result.txt"});
}

TEST(FileUtils, FailedRenameNamesPathAndOsError)
{
  ScratchDir scratch;
  // A non-empty directory cannot be replaced by a file.
  const std::string path = scratch.file("taken");
  std::filesystem::create_directories(path + "/inside");
  const std::string message = message_of<std::runtime_error>(
    [&] { atomic_write_text(path, "data"); });
  EXPECT_TRUE(contains(message, path));
  EXPECT_TRUE(contains(message, std::strerror(EISDIR)));
  EXPECT_EQ(scratch.entries(), std::vector<std::string>{"taken"});

  const std::string in_missing_dir = scratch.file("missing/out.txt");
  EXPECT_TRUE(contains(message_of<std::runtime_error>(
                         [&] { atomic_write_text(in_missing_dir, "data"); }),
                       in_missing_dir));
}

TEST(FileUtils, CreateDirectories)
{
  ScratchDir scratch;
  const std::string nested = scratch.file("a/b/c");
  create_directories(nested);
  EXPECT_TRUE(std::filesystem::is_directory(nested));
  EXPECT_NO_THROW(create_directories(nested)); // already there

  const std::string file = scratch.file("plain");
  std::ofstream(file) << "x";
  std::string message = message_of<std::runtime_error>([&] { create_directories(file); });
  EXPECT_TRUE(contains(message, file));
  message = message_of<std::runtime_error>([&] { create_directories(file + "/sub"); });
  EXPECT_TRUE(contains(message, file + "/sub"));
  EXPECT_TRUE(contains(message, std::strerror(ENOTDIR)));
}
