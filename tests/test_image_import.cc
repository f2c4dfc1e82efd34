// Tests of the image import: TIFF files and stacks, MetaImage, remapping,
// cropping, downsampling, and the errors for bad inputs.
#include <mesh/image_import.h>
#include <mesh/voxel_io.h>
#include <solver/input/case_config.h>

#include <vtkFloatArray.h>
#include <vtkImageData.h>
#include <vtkNew.h>
#include <vtkPointData.h>
#include <vtkTIFFWriter.h>
#include <vtkUnsignedCharArray.h>
#include <vtkUnsignedShortArray.h>

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <algorithm>
#include <string>

using namespace solidanode;
namespace fs = std::filesystem;

namespace
{
  /// A fresh directory per test.
  std::string scratch(const std::string &name)
  {
    const fs::path d = fs::temp_directory_path() /
                       ("solidanode_import_" + std::to_string(::getpid()) + "_" + name);
    fs::remove_all(d);
    fs::create_directories(d);
    return d.string();
  }

  /// A 5 x 4 x 3 image whose label encodes the position.
  VoxelImage pattern_image()
  {
    VoxelImage im;
    im.dims       = {{5, 4, 3}};
    im.voxel_size = {{1e-6, 1e-6, 2e-6}};
    im.origin     = {{1e-6, 0., -3e-6}};
    im.labels.resize(im.n_voxels());
    for (std::size_t k = 0; k < 3; ++k)
      for (std::size_t j = 0; j < 4; ++j)
        for (std::size_t i = 0; i < 5; ++i)
          im.labels[im.index(i, j, k)] = static_cast<std::uint8_t>(i + 5 * j + 20 * k);
    for (unsigned int l = 0; l < 60; ++l)
      im.phase_names[static_cast<std::uint8_t>(l)] = "p" + std::to_string(l);
    return im;
  }

  std::string expect_error(const std::function<void()> &f)
  {
    try
      {
        f();
      }
    catch (const std::exception &e)
      {
        return e.what();
      }
    ADD_FAILURE() << "no exception";
    return "";
  }

  /// Write a single-page TIFF of the given VTK scalars.
  void write_tiff_page(const std::string &path, vtkDataArray *scalars, int nx, int ny)
  {
    vtkNew<vtkImageData> data;
    data->SetDimensions(nx, ny, 1);
    data->GetPointData()->SetScalars(scalars);
    vtkNew<vtkTIFFWriter> w;
    w->SetInputData(data);
    w->SetFileName(path.c_str());
    w->Write();
  }

  void write_u8_page(const std::string &path, int nx, int ny, std::uint8_t value)
  {
    vtkNew<vtkUnsignedCharArray> a;
    a->SetNumberOfValues(nx * ny);
    for (int c = 0; c < nx * ny; ++c)
      a->SetValue(c, value);
    write_tiff_page(path, a, nx, ny);
  }
} // namespace


TEST(ImageImport, MultiPageTiffRoundTripIsExact)
{
  const std::string d  = scratch("tiff_rt");
  VoxelImage        im = pattern_image();
  write_tiff(im, d + "/im.tif");
  const VoxelImage back = read_tiff(d + "/im.tif", im.voxel_size, im.origin, im.phase_names);
  EXPECT_EQ(back.dims, im.dims);
  EXPECT_EQ(back.labels, im.labels);
  EXPECT_TRUE(back == im);
}

TEST(ImageImport, TiffRowOrderAndCompressedFilesThroughVtk)
{
  const std::string d  = scratch("tiff_rows");
  VoxelImage        im = pattern_image();
  write_tiff(im, d + "/im.tif");
  // The first stored row is j = 0 (pixels of page 0 start at byte 8).
  {
    std::ifstream in(d + "/im.tif", std::ios::binary);
    char          bytes[13];
    in.read(bytes, 13);
    for (int c = 0; c < 5; ++c)
      EXPECT_EQ(static_cast<unsigned char>(bytes[8 + c]), im.at(c, 0, 0));
  }
  // Files written by VTK, uncompressed (decoded by us) and deflated (decoded
  // by VTK), must give the same image: single page and multi-page.
  for (const std::size_t nz : {1u, 3u})
    {
      VoxelImage part = nz == 1 ? crop(im, {{0, 0, 1}}, {{5, 4, 2}}) : im;
      vtkNew<vtkImageData> data;
      data->SetDimensions(5, 4, static_cast<int>(nz));
      vtkNew<vtkUnsignedCharArray> a;
      a->SetNumberOfValues(static_cast<vtkIdType>(part.labels.size()));
      for (std::size_t c = 0; c < part.labels.size(); ++c)
        a->SetValue(static_cast<vtkIdType>(c), part.labels[c]);
      data->GetPointData()->SetScalars(a);
      for (const int compression : {0, 1}) // none, PackBits
        {
          vtkNew<vtkTIFFWriter> w;
          w->SetInputData(data);
          w->SetCompression(compression);
          w->SetFileName((d + "/vtk" + std::to_string(compression) + ".tif").c_str());
          w->Write();
        }
      const VoxelImage plain = read_tiff(d + "/vtk0.tif", {{1, 1, 1}}, {{0, 0, 0}}, {});
      const VoxelImage deflated = read_tiff(d + "/vtk1.tif", {{1, 1, 1}}, {{0, 0, 0}}, {});
      EXPECT_EQ(plain.dims, part.dims);
      EXPECT_EQ(plain.labels, deflated.labels) << nz << " page(s)";
    }
}

TEST(ImageImport, TiffStackByPatternGlobAndDirectory)
{
  const std::string d = scratch("stack");
  // Slices numbered 8..11 (natural order must put 10 after 9).
  for (int k = 0; k < 4; ++k)
    {
      char name[64];
      std::snprintf(name, sizeof name, "/s_%d.tif", 8 + k);
      write_u8_page(d + name, 3, 2, static_cast<std::uint8_t>(k));
    }
  for (const std::string &spec : {d + "/s_%d.tif", d + "/s_*.tif", d})
    {
      const VoxelImage im = read_tiff(spec, {{1e-6, 1e-6, 1e-6}}, {{0, 0, 0}}, {});
      ASSERT_EQ(im.dims, (std::array<std::size_t, 3>{{3, 2, 4}})) << spec;
      for (std::size_t k = 0; k < 4; ++k)
        EXPECT_EQ(im.at(2, 1, k), k) << spec;
    }
  // A gap in the numbering.
  fs::remove(d + "/s_9.tif");
  const std::string e = expect_error([&] { read_tiff(d + "/s_%d.tif", {{1, 1, 1}}, {{0, 0, 0}}, {}); });
  EXPECT_NE(e.find("s_9.tif' is missing"), std::string::npos) << e;
}

TEST(ImageImport, TiffErrorsNameTheFile)
{
  const std::string d = scratch("tiff_bad");
  // Inconsistent slice sizes in a stack.
  write_u8_page(d + "/a_0.tif", 4, 4, 1);
  write_u8_page(d + "/a_1.tif", 4, 5, 1);
  std::string e = expect_error([&] { read_tiff(d + "/a_*.tif", {{1, 1, 1}}, {{0, 0, 0}}, {}); });
  EXPECT_NE(e.find("a_1.tif"), std::string::npos) << e;
  EXPECT_NE(e.find("inconsistent slice sizes"), std::string::npos) << e;
  EXPECT_NE(e.find("4 x 5"), std::string::npos) << e;

  // Float pixels.
  vtkNew<vtkFloatArray> f;
  f->SetNumberOfValues(4);
  for (int c = 0; c < 4; ++c)
    f->SetValue(c, 1.5f);
  write_tiff_page(d + "/float.tif", f, 2, 2);
  e = expect_error([&] { read_tiff(d + "/float.tif", {{1, 1, 1}}, {{0, 0, 0}}, {}); });
  EXPECT_NE(e.find("float.tif"), std::string::npos) << e;
  EXPECT_NE(e.find("unsupported pixel type"), std::string::npos) << e;
  EXPECT_NE(e.find("floating point"), std::string::npos) << e;

  // RGB.
  vtkNew<vtkUnsignedCharArray> rgb;
  rgb->SetNumberOfComponents(3);
  rgb->SetNumberOfTuples(4);
  for (int c = 0; c < 12; ++c)
    rgb->SetValue(c, 7);
  write_tiff_page(d + "/rgb.tif", rgb, 2, 2);
  e = expect_error([&] { read_tiff(d + "/rgb.tif", {{1, 1, 1}}, {{0, 0, 0}}, {}); });
  EXPECT_NE(e.find("rgb.tif"), std::string::npos) << e;
  EXPECT_NE(e.find("3 samples per pixel"), std::string::npos) << e;

  // 16-bit: values <= 255 are fine, 300 is not.
  vtkNew<vtkUnsignedShortArray> s;
  s->SetNumberOfValues(4);
  for (int c = 0; c < 4; ++c)
    s->SetValue(c, static_cast<unsigned short>(c == 3 ? 255 : c));
  write_tiff_page(d + "/u16.tif", s, 2, 2);
  VoxelImage im = read_tiff(d + "/u16.tif", {{1, 1, 1}}, {{0, 0, 0}}, {});
  std::sort(im.labels.begin(), im.labels.end());
  EXPECT_EQ(im.labels, (std::vector<std::uint8_t>{0, 1, 2, 255}));
  s->SetValue(2, 300);
  write_tiff_page(d + "/u16big.tif", s, 2, 2);
  e = expect_error([&] { read_tiff(d + "/u16big.tif", {{1, 1, 1}}, {{0, 0, 0}}, {}); });
  EXPECT_NE(e.find("u16big.tif': 16-bit label 300 at pixel (column 0, row "), std::string::npos)
    << e;

  // Not a TIFF, missing file, nothing matching.
  std::ofstream(d + "/text.tif") << "hello";
  e = expect_error([&] { read_tiff(d + "/text.tif", {{1, 1, 1}}, {{0, 0, 0}}, {}); });
  EXPECT_NE(e.find("text.tif': it is not a TIFF file"), std::string::npos) << e;
  e = expect_error([&] { read_tiff(d + "/none.tif", {{1, 1, 1}}, {{0, 0, 0}}, {}); });
  EXPECT_NE(e.find("none.tif': no such file"), std::string::npos) << e;
  e = expect_error([&] { read_tiff(d + "/zz_*.tif", {{1, 1, 1}}, {{0, 0, 0}}, {}); });
  EXPECT_NE(e.find("no file matches"), std::string::npos) << e;
}

TEST(ImageImport, MhdRoundTripAndErrors)
{
  const std::string d  = scratch("mhd");
  const VoxelImage  im = pattern_image();
  write_mhd(im, d + "/im.mhd");
  EXPECT_TRUE(fs::exists(d + "/im.raw"));
  const VoxelImage back = read_mhd(d + "/im.mhd", std::nullopt, std::nullopt, im.phase_names);
  EXPECT_TRUE(back == im);

  // Override of the spacing (header in other units).
  const VoxelImage scaled =
    read_mhd(d + "/im.mhd", std::array<double, 3>{{2e-6, 2e-6, 2e-6}},
             std::array<double, 3>{{0, 0, 0}}, im.phase_names);
  EXPECT_EQ(scaled.voxel_size[0], 2e-6);
  EXPECT_EQ(scaled.labels, im.labels);

  // Wrong data size.
  fs::resize_file(d + "/im.raw", 59);
  std::string e = expect_error([&] { read_mhd(d + "/im.mhd", std::nullopt, std::nullopt, {}); });
  EXPECT_NE(e.find("im.raw"), std::string::npos) << e;
  EXPECT_NE(e.find("expected 60 bytes (5 x 4 x 3 voxels of MET_UCHAR), but it has 59 bytes"),
            std::string::npos)
    << e;

  // Unsupported element type; spacing not in metres.
  std::ofstream(d + "/f.mhd") << "NDims = 3\nDimSize = 2 2 2\nElementType = MET_FLOAT\n"
                                 "ElementDataFile = f.raw\n";
  e = expect_error([&] { read_mhd(d + "/f.mhd", std::nullopt, std::nullopt, {}); });
  EXPECT_NE(e.find("f.mhd': unsupported ElementType MET_FLOAT"), std::string::npos) << e;
  std::ofstream(d + "/mm.mhd") << "NDims = 3\nDimSize = 2 2 2\nElementSpacing = 0.5 0.5 0.5\n"
                                  "ElementType = MET_UCHAR\nElementDataFile = mm.raw\n";
  e = expect_error([&] { read_mhd(d + "/mm.mhd", std::nullopt, std::nullopt, {}); });
  EXPECT_NE(e.find("not a voxel size in metres"), std::string::npos) << e;

  // LOCAL data (.mha style), 16-bit little endian.
  {
    std::ofstream out(d + "/local.mha", std::ios::binary);
    out << "NDims = 3\nDimSize = 2 1 1\nElementSpacing = 1e-6 1e-6 1e-6\n"
           "ElementType = MET_USHORT\nElementDataFile = LOCAL\n";
    const unsigned char data[4] = {7, 0, 255, 0};
    out.write(reinterpret_cast<const char *>(data), 4);
  }
  const VoxelImage local = read_mhd(d + "/local.mha", std::nullopt, std::nullopt, {});
  EXPECT_EQ(local.labels, (std::vector<std::uint8_t>{7, 255}));
}

TEST(ImageImport, VtiRoundTripIsExact)
{
  const std::string d  = scratch("vti");
  const VoxelImage  im = pattern_image();
  write_vti(im, d + "/im.vti");
  EXPECT_TRUE(read_vti(d + "/im.vti") == im);
}

TEST(ImageOperations, RemapCropDownsample)
{
  VoxelImage im = pattern_image();
  // Crop [1,3) x [1,4) x [2,3).
  const VoxelImage c = crop(im, {{1, 1, 2}}, {{3, 4, 3}});
  EXPECT_EQ(c.dims, (std::array<std::size_t, 3>{{2, 3, 1}}));
  EXPECT_EQ(c.labels, (std::vector<std::uint8_t>{46, 47, 51, 52, 56, 57}));
  EXPECT_DOUBLE_EQ(c.origin[0], 2e-6);
  EXPECT_DOUBLE_EQ(c.origin[1], 1e-6);
  EXPECT_DOUBLE_EQ(c.origin[2], 1e-6);
  std::string e = expect_error([&] { crop(im, {{0, 0, 0}}, {{6, 4, 3}}, "img.tif"); });
  EXPECT_NE(e.find("img.tif: the crop box"), std::string::npos) << e;
  EXPECT_NE(e.find("leaves the image of 5 x 4 x 3 voxels (along x)"), std::string::npos) << e;

  // Remap: 1 -> 0 and 2 -> 9; names of touched labels are dropped.
  VoxelImage r;
  r.dims        = {{4, 1, 1}};
  r.voxel_size  = {{1, 1, 1}};
  r.labels      = {0, 1, 2, 3};
  r.phase_names = {{0, "a"}, {1, "b"}, {2, "c"}, {3, "d"}};
  remap_labels(r, {{1, 0}, {2, 9}});
  EXPECT_EQ(r.labels, (std::vector<std::uint8_t>{0, 0, 9, 3}));
  EXPECT_EQ(r.phase_names, (std::map<std::uint8_t, std::string>{{3, "d"}}));

  // Downsample by 2 with majority vote; ties go to the lowest label.
  VoxelImage m;
  m.dims       = {{4, 2, 2}};
  m.voxel_size = {{1, 1, 1}};
  m.labels.assign(16, 5);
  // Block 0 (i 0..1): 7 voxels of 3, 1 of 5 -> 3. Block 1 (i 2..3): 4 of 7,
  // 4 of 5 -> tie -> 5.
  for (std::size_t k = 0; k < 2; ++k)
    for (std::size_t j = 0; j < 2; ++j)
      {
        m.labels[m.index(0, j, k)] = 3;
        if (j + k < 2)
          m.labels[m.index(1, j, k)] = 3;
        m.labels[m.index(2 + k, j, k)] = 7;
      }
  const VoxelImage down = downsample(m, 2);
  EXPECT_EQ(down.dims, (std::array<std::size_t, 3>{{2, 1, 1}}));
  EXPECT_EQ(down.labels, (std::vector<std::uint8_t>{3, 5}));
  EXPECT_EQ(down.voxel_size[0], 2.);
  e = expect_error([&] { downsample(m, 3, "x.mhd"); });
  EXPECT_NE(e.find("x.mhd: cannot downsample 4 x 2 x 2 voxels by 3"), std::string::npos) << e;
}

TEST(ImageOperations, CaseFileTiffSourceWithOperations)
{
  const std::string d  = scratch("case");
  VoxelImage        im = pattern_image();
  write_tiff(im, d + "/im.tif");
  std::ofstream(d + "/case.yaml")
    << "microstructure:\n"
       "  tiff: {file: im.tif, voxel_size: 0.5 um}\n"
       "  remap: {40: 1, 41: 1}\n"
       "  crop: {min: [0, 0, 1], max: [4, 4, 3]}\n"
       "  downsample: 2\n"
       "  phases: {1: Si}\n"
       "materials:\n  Si: {E: 90 GPa, nu: 0.22}\n"
       "steps:\n  - top: 1 MPa\n";
  const CaseConfig c = read_case(d + "/case.yaml");
  EXPECT_EQ(c.microstructure.source, MicrostructureSpec::Source::tiff);
  EXPECT_EQ(c.microstructure.file, d + "/im.tif");
  EXPECT_EQ(c.microstructure.voxel_size[2], 0.5e-6);
  EXPECT_EQ(c.microstructure.operations.remap.at(40), 1);
  ASSERT_TRUE(c.microstructure.operations.crop);
  EXPECT_EQ((*c.microstructure.operations.crop)[1][2], 3u);
  EXPECT_EQ(c.microstructure.operations.downsample, 2u);

  VoxelImage t = read_tiff(c.microstructure.file, c.microstructure.voxel_size,
                           c.microstructure.origin, {});
  apply_image_operations(t, c.microstructure.operations, c.microstructure.file);
  EXPECT_EQ(t.dims, (std::array<std::size_t, 3>{{2, 2, 1}}));
  // Block (0,0,0) of the crop: labels 20,21,25,26,40,41,45,46 -> 40 and 41
  // became 1, so 1 has two votes and wins.
  EXPECT_EQ(t.at(0, 0, 0), 1);
  EXPECT_DOUBLE_EQ(t.voxel_size[0], 1e-6);

  // Bad operations are reported with file and line.
  std::ofstream(d + "/bad.yaml")
    << "microstructure:\n  tiff: {file: im.tif, voxel_size: 1 um}\n  downsample: 0\n"
       "  phases: {1: Si}\nmaterials:\n  Si: {E: 90 GPa, nu: 0.22}\nsteps:\n  - top: 1 MPa\n";
  const std::string e = expect_error([&] { read_case(d + "/bad.yaml"); });
  EXPECT_NE(e.find("bad.yaml:3:"), std::string::npos) << e;
  EXPECT_NE(e.find("downsample"), std::string::npos) << e;
}
