// Particles of the microstructure builder and their voxels (private to
// populations.cc and particle_draw.cc). Everything is in voxel units: voxel
// (i, j, k) covers [i, i+1) x [j, j+1) x [k, k+1) and belongs to a shape when
// its centre lies inside or on it.
#pragma once

#include <mesh/populations.h>
#include <mesh/portable_random.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <sstream>
#include <string>
#include <vector>

namespace solidanode
{
  namespace detail
  {
    using Vec = std::array<double, 3>;
    constexpr double pi = 3.14159265358979323846;

    /// A number with @p precision significant digits, for reports and errors.
    inline std::string num(const double v, const int precision = 4)
    {
      std::ostringstream o;
      o.precision(precision);
      o << v;
      return o.str();
    }

      /// A particle in voxel units.
      struct Particle
      {
        ParticleShape shape = ParticleShape::sphere;
        Vec centre{{0., 0., 0.}};
        double radius = 0.;            ///< sphere, fibre
        std::array<Vec, 3> axes{};     ///< ellipsoid: unit axes
        Vec semi{{0., 0., 0.}};        ///< ellipsoid: semi-axes
        std::vector<Vec> line;         ///< fibre: centre-line points
      };

      class Raster
      {
      public:
        Raster(const std::array<std::size_t, 3> &dims, const std::array<bool, 3> &periodic)
          : dims(dims)
          , periodic(periodic)
        {}

        bool wrap(long v, const unsigned int d, std::size_t &out) const
        {
          const long n = static_cast<long>(dims[d]);
          if (periodic[d])
            {
              long m = v % n;
              if (m < 0)
                m += n;
              out = static_cast<std::size_t>(m);
              return true;
            }
          if (v < 0 || v >= n)
            return false;
          out = static_cast<std::size_t>(v);
          return true;
        }

        bool index(const long i, const long j, const long k, std::size_t &out) const
        {
          std::size_t a, b, c;
          if (!wrap(i, 0, a) || !wrap(j, 1, b) || !wrap(k, 2, c))
            return false;
          out = a + dims[0] * (b + dims[1] * c);
          return true;
        }

        /// Voxels with centres in [lo, hi] for which inside(centre) holds.
        template <typename Inside>
        void box(const Vec &lo, const Vec &hi, Inside &&inside, std::vector<std::size_t> &out) const
        {
          const long k0 = static_cast<long>(std::ceil(lo[2] - 0.5)),
                     k1 = static_cast<long>(std::floor(hi[2] - 0.5));
          const long j0 = static_cast<long>(std::ceil(lo[1] - 0.5)),
                     j1 = static_cast<long>(std::floor(hi[1] - 0.5));
          const long i0 = static_cast<long>(std::ceil(lo[0] - 0.5)),
                     i1 = static_cast<long>(std::floor(hi[0] - 0.5));
          for (long k = k0; k <= k1; ++k)
            for (long j = j0; j <= j1; ++j)
              for (long i = i0; i <= i1; ++i)
                {
                  const Vec p{{i + 0.5, j + 0.5, k + 0.5}};
                  std::size_t v;
                  if (inside(p) && index(i, j, k, v))
                    out.push_back(v);
                }
        }

        /// Voxels of @p q grown by @p grow voxels (0 = the particle itself),
        /// sorted and unique.
        void shape(const Particle &q, const double grow, std::vector<std::size_t> &out) const
        {
          out.clear();
          switch (q.shape)
            {
              case ParticleShape::sphere:
                {
                  const double r = q.radius + grow, r2 = r * r;
                  box({{q.centre[0] - r, q.centre[1] - r, q.centre[2] - r}},
                      {{q.centre[0] + r, q.centre[1] + r, q.centre[2] + r}},
                      [&](const Vec &p) {
                        double d2 = 0.;
                        for (unsigned int d = 0; d < 3; ++d)
                          d2 += (p[d] - q.centre[d]) * (p[d] - q.centre[d]);
                        return d2 <= r2;
                      },
                      out);
                  break;
                }
              case ParticleShape::ellipsoid:
                {
                  // Grown ellipsoid: semi-axes + grow (an approximation of the
                  // parallel body; the one-voxel shell is added separately).
                  const double rmax = std::max({q.semi[0], q.semi[1], q.semi[2]}) + grow;
                  box({{q.centre[0] - rmax, q.centre[1] - rmax, q.centre[2] - rmax}},
                      {{q.centre[0] + rmax, q.centre[1] + rmax, q.centre[2] + rmax}},
                      [&](const Vec &p) {
                        double s = 0.;
                        for (unsigned int a = 0; a < 3; ++a)
                          {
                            double x = 0.;
                            for (unsigned int d = 0; d < 3; ++d)
                              x += (p[d] - q.centre[d]) * q.axes[a][d];
                            x /= q.semi[a] + grow;
                            s += x * x;
                          }
                        return s <= 1.;
                      },
                      out);
                  break;
                }
              case ParticleShape::fibre:
                {
                  if (q.radius + grow < 0.5)
                    centre_line(q, out);
                  else
                    tube(q, q.radius + grow, out);
                  break;
                }
            }
          std::sort(out.begin(), out.end());
          out.erase(std::unique(out.begin(), out.end()), out.end());
        }

        /// Face neighbours of @p voxels (not sorted, may repeat).
        void face_neighbours(const std::vector<std::size_t> &voxels,
                             std::vector<std::size_t> &out) const
        {
          for (const std::size_t v : voxels)
            {
              const long i = static_cast<long>(v % dims[0]);
              const long j = static_cast<long>((v / dims[0]) % dims[1]);
              const long k = static_cast<long>(v / (dims[0] * dims[1]));
              const long o[6][3] = {{-1, 0, 0}, {1, 0, 0}, {0, -1, 0},
                                    {0, 1, 0},  {0, 0, -1}, {0, 0, 1}};
              for (const auto &d : o)
                {
                  std::size_t w;
                  if (index(i + d[0], j + d[1], k + d[2], w))
                    out.push_back(w);
                }
            }
        }

      private:
        /// Union of straight cylinder pieces: inside when the distance to a
        /// segment is <= r, with round joints and flat ends at both fibre ends.
        void tube(const Particle &q, const double r, std::vector<std::size_t> &out) const
        {
          const std::size_t n = q.line.size() - 1;
          for (std::size_t s = 0; s < n; ++s)
            {
              const Vec &a = q.line[s], &b = q.line[s + 1];
              Vec lo, hi, ab;
              double ab2 = 0.;
              for (unsigned int d = 0; d < 3; ++d)
                {
                  lo[d] = std::min(a[d], b[d]) - r;
                  hi[d] = std::max(a[d], b[d]) + r;
                  ab[d] = b[d] - a[d];
                  ab2 += ab[d] * ab[d];
                }
              const bool first = s == 0, last = s + 1 == n;
              box(lo, hi,
                  [&](const Vec &p) {
                    double t = 0.;
                    for (unsigned int d = 0; d < 3; ++d)
                      t += (p[d] - a[d]) * ab[d];
                    t = ab2 > 0. ? t / ab2 : 0.;
                    if ((first && t < 0.) || (last && t > 1.))
                      return false;
                    t = std::min(1., std::max(0., t));
                    double d2 = 0.;
                    for (unsigned int d = 0; d < 3; ++d)
                      {
                        const double x = p[d] - (a[d] + t * ab[d]);
                        d2 += x * x;
                      }
                    return d2 <= r * r;
                  },
                  out);
            }
        }

        /// Fibres thinner than a voxel: the 6-connected chain of voxels the
        /// centre line passes through.
        void centre_line(const Particle &q, std::vector<std::size_t> &out) const
        {
          std::array<long, 3> cur{};
          bool started = false;
          const auto add = [&](const std::array<long, 3> &c) {
            std::size_t v;
            if (index(c[0], c[1], c[2], v))
              out.push_back(v);
          };
          for (std::size_t s = 0; s + 1 < q.line.size(); ++s)
            {
              const Vec &a = q.line[s], &b = q.line[s + 1];
              double len = 0.;
              for (unsigned int d = 0; d < 3; ++d)
                len += (b[d] - a[d]) * (b[d] - a[d]);
              const std::size_t steps = 1 + static_cast<std::size_t>(std::sqrt(len) / 0.05);
              for (std::size_t m = 0; m <= steps; ++m)
                {
                  const double t = static_cast<double>(m) / static_cast<double>(steps);
                  std::array<long, 3> c;
                  for (unsigned int d = 0; d < 3; ++d)
                    c[d] = static_cast<long>(std::floor(a[d] + t * (b[d] - a[d])));
                  if (!started)
                    {
                      cur = c;
                      add(cur);
                      started = true;
                      continue;
                    }
                  for (unsigned int d = 0; d < 3; ++d)
                    while (cur[d] != c[d])
                      {
                        cur[d] += c[d] > cur[d] ? 1 : -1;
                        add(cur);
                      }
                }
            }
        }

        std::array<std::size_t, 3> dims;
        std::array<bool, 3> periodic;
      };

    /// Throws std::invalid_argument ("microstructure build: ...") for a
    /// specification the builder cannot build (population_report.cc).
    void check_build_spec(const BuildSpec &spec);

    /// Diameter draw in voxel units.
    double draw_diameter(const SizeDistribution &size, double h, PortableRandom &random);

    /// A random particle of population @p pop with its centre uniform in
    /// [0, nx) x [0, ny) x [z0, z1).
    Particle draw_particle(const PopulationSpec &pop, double h,
                           const std::array<std::size_t, 3> &dims, double z0, double z1,
                           PortableRandom &random);
  } // namespace detail
} // namespace solidanode
