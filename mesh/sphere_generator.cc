// Random sequential addition of spheres on a voxel grid.
//
// Everything here works in voxel units: voxel (i, j, k) covers
// [i, i+1) x [j, j+1) x [k, k+1) and belongs to a sphere when its centre
// (i+0.5, j+0.5, k+0.5) lies inside or on the sphere. Sphere centres are
// uniform in the box [0, nx) x [0, ny) x [0, nz); the domain is not periodic,
// so spheres near a face are cut by it.
//
// Random numbers: std::mt19937_64 is specified bit for bit by the C++
// standard, but std::uniform_real_distribution and std::normal_distribution
// are not, so their output differs between standard libraries. We therefore
// only take raw 64-bit words from the engine and transform them ourselves.
// Particles and pores use separate engines so that the particles do not
// depend on any pore setting.
#include <mesh/portable_random.h>
#include <mesh/sphere_generator.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <sstream>
#include <stdexcept>

namespace solidanode
{
  namespace
  {
    constexpr std::uint8_t pore_label = 0;
    constexpr std::uint8_t particle_label = 1;
    constexpr std::uint8_t matrix_label = 2;

    /// Random sequential addition gives up after this many consecutive
    /// candidates that could not be placed (overlap) or added no voxel.
    constexpr std::size_t max_consecutive_failures = 20000;

    /// The pore engine is seeded with seed + this (mod 2^64): an arbitrary
    /// odd constant (2^64 / golden ratio) that keeps the two streams apart.
    constexpr std::uint64_t pore_stream_offset = 0x9E3779B97F4A7C15ULL;

    /// A sphere in voxel units.
    struct Sphere
    {
      std::array<double, 3> centre;
      double radius;
    };

    /// A random centre, uniform in the box.
    std::array<double, 3> random_centre(PortableRandom &random,
                                        const std::array<std::size_t, 3> &dims)
    {
      std::array<double, 3> centre;
      for (unsigned int d = 0; d < 3; ++d)
        centre[d] = random.uniform() * static_cast<double>(dims[d]);
      return centre;
    }

    /// Range [first, last] of voxel indices along one axis whose centre
    /// i + 0.5 is within @p half of @p centre, clipped to [0, n). Returns
    /// false if it is empty.
    bool voxel_range(const double centre, const double half, const std::size_t n,
                     std::size_t &first, std::size_t &last)
    {
      const double lo = std::ceil(centre - 0.5 - half);
      const double hi = std::floor(centre - 0.5 + half);
      if (hi < 0. || lo > static_cast<double>(n - 1) || hi < lo)
        return false;
      first = lo < 0. ? 0 : static_cast<std::size_t>(lo);
      last = std::min(static_cast<std::size_t>(hi), n - 1);
      return true;
    }

    /**
     * Calls @p row(begin, end) for every run of voxels along x, as linear
     * indices [begin, end), whose centres lie in @p sphere, in a fixed order.
     * Stops early and returns false as soon as @p row returns false. Only the
     * bounding box of the sphere is visited.
     */
    template <typename RowFunction>
    bool for_each_row(const std::array<std::size_t, 3> &dims, const Sphere &sphere,
                      RowFunction &&row)
    {
      const double r2 = sphere.radius * sphere.radius;
      std::size_t k0, k1;
      if (!voxel_range(sphere.centre[2], sphere.radius, dims[2], k0, k1))
        return true;
      for (std::size_t k = k0; k <= k1; ++k)
        {
          const double dz = (static_cast<double>(k) + 0.5) - sphere.centre[2];
          const double rz2 = r2 - dz * dz;
          if (rz2 < 0.)
            continue;
          std::size_t j0, j1;
          if (!voxel_range(sphere.centre[1], std::sqrt(rz2), dims[1], j0, j1))
            continue;
          for (std::size_t j = j0; j <= j1; ++j)
            {
              const double dy = (static_cast<double>(j) + 0.5) - sphere.centre[1];
              const double ry2 = rz2 - dy * dy;
              if (ry2 < 0.)
                continue;
              std::size_t i0, i1;
              if (!voxel_range(sphere.centre[0], std::sqrt(ry2), dims[0], i0, i1))
                continue;
              const std::size_t start = dims[0] * (j + dims[1] * k);
              if (!row(start + i0, start + i1 + 1))
                return false;
            }
        }
      return true;
    }

    /// Fraction of the image covered by @p count voxels; the same expression
    /// as VoxelImage::volume_fractions(), so both agree to the last bit.
    double fraction(const std::size_t count, const std::size_t n_voxels)
    {
      return static_cast<double>(count) / static_cast<double>(n_voxels);
    }

    std::string to_text(const double value)
    {
      std::ostringstream out;
      out << value;
      return out.str();
    }

    void check_parameters(const SphereGeneratorParameters &p)
    {
      const auto fail = [](const std::string &parameter, const std::string &rule,
                           const double value) {
        return std::invalid_argument("sphere generator: " + parameter + " must be " +
                                     rule + ", got " + to_text(value));
      };
      for (unsigned int d = 0; d < 3; ++d)
        if (p.dims[d] == 0)
          throw fail("dims[" + std::to_string(d) + "]", "> 0", 0.);
      const std::size_t max = static_cast<std::size_t>(-1);
      if (p.dims[1] > max / p.dims[0] || p.dims[2] > max / (p.dims[0] * p.dims[1]))
        throw std::invalid_argument("sphere generator: dims are too large");
      if (!std::isfinite(p.voxel_size) || !(p.voxel_size > 0.))
        throw fail("voxel_size", "finite and > 0", p.voxel_size);
      if (!(p.particle_fraction >= 0. && p.particle_fraction < 1.))
        throw fail("particle_fraction", "in [0, 1)", p.particle_fraction);
      if (!std::isfinite(p.radius_median) || !(p.radius_median > 0.))
        throw fail("radius_median", "finite and > 0", p.radius_median);
      if (!std::isfinite(p.radius_log_std) || !(p.radius_log_std >= 0.))
        throw fail("radius_log_std", "finite and >= 0", p.radius_log_std);
      if (!(p.pore_fraction >= 0. && p.pore_fraction < 1.))
        throw fail("pore_fraction", "in [0, 1)", p.pore_fraction);
      if (!std::isfinite(p.pore_radius) || !(p.pore_radius > 0.))
        throw fail("pore_radius", "finite and > 0", p.pore_radius);
      if (!(p.particle_fraction + p.pore_fraction < 1.))
        throw fail("particle_fraction + pore_fraction", "< 1",
                   p.particle_fraction + p.pore_fraction);

      const std::array<std::pair<const char *, const std::string *>, 3> names{
        {{"matrix_phase", &p.matrix_phase},
         {"particle_phase", &p.particle_phase},
         {"pore_phase", &p.pore_phase}}};
      for (std::size_t a = 0; a < names.size(); ++a)
        {
          if (names[a].second->empty())
            throw std::invalid_argument(std::string("sphere generator: ") +
                                        names[a].first + " must not be empty");
          for (std::size_t b = 0; b < a; ++b)
            if (*names[a].second == *names[b].second)
              throw std::invalid_argument(
                std::string("sphere generator: ") + names[a].first + " and " +
                names[b].first + " are both '" + *names[a].second +
                "'; the phases need different names");
        }
    }
  } // namespace


  VoxelImage generate_spheres(const SphereGeneratorParameters &p,
                              GeneratorReport *report)
  {
    check_parameters(p);

    VoxelImage image;
    image.dims = p.dims;
    image.voxel_size = {{p.voxel_size, p.voxel_size, p.voxel_size}};
    image.origin = {{0., 0., 0.}};
    image.phase_names = {{pore_label, p.pore_phase},
                         {particle_label, p.particle_phase},
                         {matrix_label, p.matrix_phase}};
    const std::size_t n = image.n_voxels();
    image.labels.assign(n, matrix_label);
    std::uint8_t *const labels = image.labels.data();

    // Radii in voxels are clipped to [0.5, min(dims)/2].
    const double min_radius = 0.5;
    const double max_radius =
      0.5 * static_cast<double>(*std::min_element(p.dims.begin(), p.dims.end()));
    const auto clip = [&](const double r) {
      return std::min(std::max(r, min_radius), max_radius);
    };

    GeneratorReport result;

    // Particles. Each candidate draws its centre (3 words) and then, for
    // polydisperse radii, one normal variate.
    {
      PortableRandom random(p.seed);
      const double median = p.radius_median / p.voxel_size;
      std::size_t count = 0;
      std::size_t failures = 0;
      while (fraction(count, n) < p.particle_fraction &&
             failures < max_consecutive_failures)
        {
          Sphere sphere;
          sphere.centre = random_centre(random, p.dims);
          sphere.radius =
            clip(p.radius_log_std > 0. ? median * std::exp(p.radius_log_std * random.normal()) :
                                         median);

          std::size_t added = 0;
          if (p.allow_overlap)
            for_each_row(p.dims, sphere, [&](const std::size_t begin, const std::size_t end) {
              for (std::size_t v = begin; v < end; ++v)
                if (labels[v] != particle_label)
                  {
                    labels[v] = particle_label;
                    ++added;
                  }
              return true;
            });
          else
            {
              // Reject the candidate if any of its voxels already belongs to
              // a particle; only then fill it (all its voxels are matrix).
              std::size_t size = 0;
              const bool free = for_each_row(
                p.dims, sphere, [&](const std::size_t begin, const std::size_t end) {
                  size += end - begin;
                  return std::memchr(labels + begin, particle_label, end - begin) ==
                         nullptr;
                });
              if (free && size > 0)
                {
                  for_each_row(p.dims, sphere,
                               [&](const std::size_t begin, const std::size_t end) {
                                 std::memset(labels + begin, particle_label, end - begin);
                                 return true;
                               });
                  added = size;
                }
            }

          if (added > 0)
            {
              count += added;
              ++result.n_particles;
              failures = 0;
            }
          else
            ++failures;
        }
      result.particle_fraction = fraction(count, n);
    }

    // Pores, carved out of the matrix only, from their own random stream.
    // Pores may overlap each other. A pore that hits no matrix voxel is not
    // counted.
    {
      PortableRandom random(p.seed + pore_stream_offset);
      const double radius = clip(p.pore_radius / p.voxel_size);
      std::size_t matrix = static_cast<std::size_t>(
        std::count(image.labels.begin(), image.labels.end(), matrix_label));
      std::size_t count = 0;
      std::size_t failures = 0;
      while (fraction(count, n) < p.pore_fraction && matrix > 0 &&
             failures < max_consecutive_failures)
        {
          const Sphere sphere{random_centre(random, p.dims), radius};
          std::size_t added = 0;
          for_each_row(p.dims, sphere, [&](const std::size_t begin, const std::size_t end) {
            for (std::size_t v = begin; v < end; ++v)
              if (labels[v] == matrix_label)
                {
                  labels[v] = pore_label;
                  ++added;
                }
            return true;
          });
          if (added > 0)
            {
              count += added;
              matrix -= added;
              ++result.n_pores;
              failures = 0;
            }
          else
            ++failures;
        }
      result.pore_fraction = fraction(count, n);
    }

    if (report != nullptr)
      *report = result;
    return image;
  }

  std::vector<std::string> fraction_warnings(const SphereGeneratorParameters &p,
                                             const GeneratorReport &report,
                                             const double tolerance)
  {
    std::vector<std::string> out;
    const auto check = [&](const std::string &phase, double target, double reached) {
      if (std::abs(reached - target) <= tolerance)
        return;
      char buf[256];
      std::snprintf(buf, sizeof buf,
                    "generated phase '%s' has volume fraction %.3g, which misses its "
                    "target %.3g by %+.2g (tolerance %.2g)",
                    phase.c_str(), reached, target, reached - target, tolerance);
      out.emplace_back(buf);
    };
    check(p.particle_phase, p.particle_fraction, report.particle_fraction);
    if (p.pore_fraction > 0.)
      check(p.pore_phase, p.pore_fraction, report.pore_fraction);
    return out;
  }
} // namespace solidanode
