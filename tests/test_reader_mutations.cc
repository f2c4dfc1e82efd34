// Deterministic mutation testing of the input readers, run with the suite
// (the libFuzzer campaigns in fuzz/ go further but need clang): a valid
// file of each format is mutated in fixed, seeded ways (bytes flipped,
// dropped, inserted, a chunk repeated, the file truncated) and read back.
// The only acceptable outcomes are an image consistent with its own
// dimensions and positive finite voxel size, or the reader's own error
// (std::runtime_error / std::invalid_argument). Anything else (another
// exception type, a crash, a sanitizer report in `make sanitize`) fails.
#include <base/yaml_input.h>
#include <mesh/image_import.h>
#include <mesh/voxel_io.h>
#include <solver/input/case_config.h>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iterator>
#include <random>
#include <stdexcept>
#include <string>
#include <unistd.h>

using namespace solidanode;

namespace
{
  std::string tmp_path(const std::string &name)
  {
    return "/tmp/solidanode_mutation_" + std::to_string(::getpid()) + "_" + name;
  }

  std::string slurp(const std::string &path)
  {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

  void spit(const std::string &path, const std::string &bytes)
  {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  }

  /// A 5 x 4 x 3 image with labels 0..3 in a pattern.
  VoxelImage sample_image()
  {
    VoxelImage img;
    img.dims       = {{5, 4, 3}};
    img.voxel_size = {{0.5e-6, 0.5e-6, 0.5e-6}};
    img.origin     = {{1e-6, 0., 0.}};
    img.labels.resize(img.n_voxels());
    for (std::size_t v = 0; v < img.labels.size(); ++v)
      img.labels[v] = static_cast<std::uint8_t>((v * 7 + v / 5) % 4);
    img.phase_names = {{0, "pore"}, {1, "Si"}, {2, "LPSCl"}, {3, "SWCNT"}};
    return img;
  }

  /// The @p k-th mutation of @p valid (deterministic in k).
  std::string mutate(const std::string &valid, const unsigned int k)
  {
    std::mt19937                               rng(1000003u * k + 17u);
    std::string                                s = valid;
    std::uniform_int_distribution<std::size_t> pos(0, s.size() - 1);
    const std::string interesting[] = {"\xff", "\x01", "-1", "99999999999", "1e308", "nan",
                                       "\"", "<", ">", "\n", "0", "65535"};
    for (unsigned int m = 0; m < 1 + k % 3 && !s.empty(); ++m)
      switch ((k + m) % 6)
        {
          case 0: // flip one byte
            s[pos(rng) % s.size()] ^= static_cast<char>(1u << (rng() % 8));
            break;
          case 1: // truncate
            s.resize(pos(rng) % s.size());
            break;
          case 2: // drop a few bytes
            {
              const std::size_t at = pos(rng) % s.size();
              s.erase(at, 1 + rng() % 16);
              break;
            }
          case 3: // insert an interesting token
            {
              const std::string &t = interesting[rng() % std::size(interesting)];
              s.insert(pos(rng) % (s.size() + 1), t.data(), t.size());
              break;
            }
          case 4: // repeat a chunk
            {
              const std::size_t at = pos(rng) % s.size();
              s.insert(at, s.substr(at, 1 + rng() % 64));
              break;
            }
          default: // overwrite a byte with an arbitrary value
            s[pos(rng) % s.size()] = static_cast<char>(rng() % 256);
        }
    return s;
  }

  /// Read every mutation of the file at @p path with @p read; count the
  /// outcomes. Fails the test on any other exception or an inconsistent image.
  void replay_mutations(const std::string                         &path,
                        const std::function<VoxelImage()>         &read,
                        const unsigned int                         n,
                        unsigned int                              &accepted,
                        unsigned int                              &refused)
  {
    const std::string valid = slurp(path);
    ASSERT_FALSE(valid.empty());
    const VoxelImage original = read();
    ASSERT_EQ(original.labels.size(), original.n_voxels()) << "the unmutated file must read";
    for (unsigned int k = 0; k < n; ++k)
      {
        spit(path, mutate(valid, k));
        try
          {
            const VoxelImage img = read();
            ASSERT_EQ(img.labels.size(), img.n_voxels()) << path << " mutation " << k;
            ASSERT_GT(img.n_voxels(), 0u) << path << " mutation " << k;
            for (const double h : img.voxel_size)
              ASSERT_TRUE(std::isfinite(h) && h > 0.) << path << " mutation " << k;
            ++accepted;
          }
        catch (const std::invalid_argument &)
          {
            ++refused;
          }
        catch (const std::runtime_error &e)
          {
            // The reader's error names the file (or the data file of a header).
            ASSERT_NE(std::string(e.what()).find("/tmp/"), std::string::npos)
              << "mutation " << k << ": " << e.what();
            ++refused;
          }
      }
    std::remove(path.c_str());
  }
} // namespace

TEST(ReaderMutations, Vti)
{
  const std::string path = tmp_path("image.vti");
  write_vti(sample_image(), path);
  unsigned int accepted = 0, refused = 0;
  replay_mutations(path, [&] { return read_vti(path); }, 400, accepted, refused);
  EXPECT_GT(refused, 100u) << "most mutations of a .vti must be refused";
  RecordProperty("accepted", accepted);
}

TEST(ReaderMutations, Tiff)
{
  const std::string path = tmp_path("image.tif");
  write_tiff(sample_image(), path);
  unsigned int accepted = 0, refused = 0;
  replay_mutations(
    path, [&] { return read_tiff(path, {{1e-6, 1e-6, 1e-6}}, {{0., 0., 0.}}, {}); }, 400,
    accepted, refused);
  EXPECT_GT(refused, 100u);
}

TEST(ReaderMutations, MetaImage)
{
  const std::string path = tmp_path("image.mhd");
  write_mhd(sample_image(), path);
  unsigned int accepted = 0, refused = 0;
  replay_mutations(
    path, [&] { return read_mhd(path, std::nullopt, std::nullopt, {}); }, 400, accepted,
    refused);
  EXPECT_GT(refused, 100u);
  std::remove((path.substr(0, path.size() - 4) + ".raw").c_str());
}

TEST(ReaderMutations, Raw)
{
  // Any mutation that changes the size is refused; one that keeps it is a
  // valid image (every byte is a label).
  const std::string path = tmp_path("image.raw");
  const VoxelImage  img  = sample_image();
  spit(path, std::string(img.labels.begin(), img.labels.end()));
  unsigned int accepted = 0, refused = 0;
  replay_mutations(
    path,
    [&] { return read_raw(path, img.dims, img.voxel_size, img.origin, {}); }, 200,
    accepted, refused);
  EXPECT_GT(refused, 50u);
  EXPECT_GT(accepted, 10u);
}

TEST(ReaderMutations, CaseFileOnlyInputErrors)
{
  const std::string text = R"(microstructure:
  generate:
    dims: [4, 4, 4]
    voxel_size: 1 um
    matrix: LPSCl
    particles: {phase: Si, volume_fraction: 0.2, radius: 1 um}
materials:
  Si: &si {E: 90 GPa, nu: 0.22}
  LPSCl: {<<: *si, E: 22 GPa, nu: 0.37}
steps:
  - {name: press, top: 10 MPa, increments: 2}
output: {format: vtk, checkpoint_every: 1}
)";
  unsigned int accepted = 0, refused = 0;
  for (unsigned int k = 0; k < 400; ++k)
    try
      {
        (void)read_case_string(mutate(text, k), "mutated.yaml");
        ++accepted;
      }
    catch (const InputError &e)
      {
        ASSERT_NE(std::string(e.what()).find("mutated.yaml"), std::string::npos) << e.what();
        ++refused;
      }
  EXPECT_GT(refused, 100u);
  EXPECT_GT(accepted, 0u);
}
