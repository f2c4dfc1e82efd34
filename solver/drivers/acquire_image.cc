#include <solver/drivers/acquire_image.h>

#include <mesh/image_import.h>
#include <mesh/populations.h>
#include <mesh/sphere_generator.h>
#include <mesh/voxel_io.h>
#include <base/binary_pack.h>
#include <solver/drivers/run_support.h>

#include <deal.II/base/mpi.h>

#include <algorithm>
#include <iostream>

namespace solidanode
{
  using namespace dealii;

  namespace
  {
    void broadcast_bytes(std::vector<std::uint8_t> &data, MPI_Comm comm)
    {
      unsigned long long n = data.size();
      MPI_Bcast(&n, 1, MPI_UNSIGNED_LONG_LONG, 0, comm);
      data.resize(n);
      const std::size_t chunk = std::size_t(1) << 30;
      for (std::size_t offset = 0; offset < n; offset += chunk)
        MPI_Bcast(data.data() + offset,
                  static_cast<int>(std::min<std::size_t>(chunk, n - offset)),
                  MPI_UNSIGNED_CHAR, 0, comm);
    }

  } // namespace

  VoxelImage acquire_image(const MicrostructureSpec &spec, MPI_Comm comm,
                           std::vector<std::string> *warnings)
  {
    VoxelImage               image;
    std::vector<std::string> missed; // rank 0: fractions off their targets
    on_root_or_throw(comm, [&] {
      switch (spec.source)
        {
          case MicrostructureSpec::Source::generate:
            {
              GeneratorReport report;
              image  = generate_spheres(spec.generator, &report);
              missed = fraction_warnings(spec.generator, report);
              break;
            }
          case MicrostructureSpec::Source::build:
            {
              BuildReport report;
              image = build_microstructure(*spec.build, &report);
              std::cout << format_report(report) << std::flush;
              missed = fraction_warnings(report);
              break;
            }
          case MicrostructureSpec::Source::vti:
            image = read_vti(spec.file);
            break;
          case MicrostructureSpec::Source::raw:
            image = read_raw(spec.file, spec.dims, spec.voxel_size, spec.origin,
                             spec.phase_names);
            break;
          case MicrostructureSpec::Source::tiff:
            image = read_tiff(spec.file, spec.voxel_size, spec.origin, spec.phase_names);
            break;
          case MicrostructureSpec::Source::mhd:
            image = read_mhd(spec.file,
                             spec.voxel_size[0] > 0. ?
                               std::optional<std::array<double, 3>>(spec.voxel_size) :
                               std::nullopt,
                             spec.origin_given ?
                               std::optional<std::array<double, 3>>(spec.origin) :
                               std::nullopt,
                             {});
            break;
        }
      // remap, crop, downsample (names from the case apply to the result).
      apply_image_operations(image, spec.operations,
                             spec.file.empty() ? std::string("microstructure") : spec.file);
      for (const auto &[label, name] : spec.phase_names)
        image.phase_names[label] = name;
      image.validate(spec.source == MicrostructureSpec::Source::generate ||
                         spec.source == MicrostructureSpec::Source::build ?
                       std::string("generated microstructure") :
                       spec.file);
    });
    if (warnings != nullptr)
      warnings->insert(warnings->end(), missed.begin(), missed.end());
    else
      for (const auto &w : missed)
        std::cerr << "solidanode: warning: " << w << "\n" << std::flush;

    // Metadata and labels travel as length-prefixed bytes: any phase name
    // (newlines, commas) arrives unchanged.
    BinaryWriter meta;
    if (Utilities::MPI::this_mpi_process(comm) == 0)
      {
        for (unsigned int d = 0; d < 3; ++d)
          {
            meta.put<std::uint64_t>(image.dims[d]);
            meta.put<double>(image.voxel_size[d]);
            meta.put<double>(image.origin[d]);
          }
        meta.put<std::uint64_t>(image.phase_names.size());
        for (const auto &[label, name] : image.phase_names)
          {
            meta.put<std::uint8_t>(label);
            meta.put_string(name);
          }
      }
    broadcast_bytes(meta.bytes, comm);
    if (Utilities::MPI::this_mpi_process(comm) != 0)
      {
        BinaryReader in(meta.bytes);
        for (unsigned int d = 0; d < 3; ++d)
          {
            image.dims[d]       = in.get<std::uint64_t>();
            image.voxel_size[d] = in.get<double>();
            image.origin[d]     = in.get<double>();
          }
        const auto n_names = in.get<std::uint64_t>();
        image.phase_names.clear();
        for (std::uint64_t i = 0; i < n_names; ++i)
          {
            const auto label        = in.get<std::uint8_t>();
            image.phase_names[label] = in.get_string();
          }
      }
    broadcast_bytes(image.labels, comm);
    return image;
  }
} // namespace solidanode
