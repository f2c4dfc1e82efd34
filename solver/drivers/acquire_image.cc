#include <solver/drivers/acquire_image.h>

#include <mesh/image_import.h>
#include <mesh/populations.h>
#include <mesh/sphere_generator.h>
#include <mesh/voxel_io.h>
#include <solver/drivers/run_support.h>

#include <deal.II/base/mpi.h>

#include <algorithm>
#include <iostream>
#include <sstream>

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

  VoxelImage acquire_image(const MicrostructureSpec &spec, MPI_Comm comm)
  {
    VoxelImage image;
    on_root_or_throw(comm, [&] {
      switch (spec.source)
        {
          case MicrostructureSpec::Source::generate:
            image = generate_spheres(spec.generator);
            break;
          case MicrostructureSpec::Source::build:
            {
              BuildReport report;
              image = build_microstructure(*spec.build, &report);
              std::cout << format_report(report) << std::flush;
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

    // Metadata travels as text, labels as bytes.
    std::ostringstream meta;
    meta.precision(17);
    if (Utilities::MPI::this_mpi_process(comm) == 0)
      {
        for (unsigned int d = 0; d < 3; ++d)
          meta << image.dims[d] << ' ' << image.voxel_size[d] << ' '
               << image.origin[d] << ' ';
        meta << image.phase_names.size() << '\n';
        for (const auto &[label, name] : image.phase_names)
          meta << int(label) << ' ' << name << '\n';
      }
    std::istringstream in(Utilities::MPI::broadcast(comm, meta.str(), 0));
    if (Utilities::MPI::this_mpi_process(comm) != 0)
      {
        std::size_t n_names = 0;
        for (unsigned int d = 0; d < 3; ++d)
          in >> image.dims[d] >> image.voxel_size[d] >> image.origin[d];
        in >> n_names;
        image.phase_names.clear();
        for (std::size_t i = 0; i < n_names; ++i)
          {
            int         label;
            std::string name;
            in >> label;
            in.get();
            std::getline(in, name);
            image.phase_names[static_cast<std::uint8_t>(label)] = name;
          }
      }
    broadcast_bytes(image.labels, comm);
    return image;
  }
} // namespace solidanode
