// Drawing the particles of the microstructure builder (populations_detail.h).
// The file is compiled with -ffp-contract=off (CMakeLists.txt), as
// populations.cc: the images must be the same on every machine.
#include <mesh/populations_detail.h>

#include <algorithm>
#include <cmath>

namespace solidanode
{
  namespace detail
  {
    namespace
    {
      /// Lognormal draws are clipped at this many standard deviations.
      constexpr double clip_sigmas = 2.5;

      Vec normalised(const Vec &v)
      {
        const double n = std::sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
        return {{v[0] / n, v[1] / n, v[2] / n}};
      }

      Vec random_direction(PortableRandom &random)
      {
        const double z = 2. * random.uniform() - 1.;
        const double phi = 2. * pi * random.uniform();
        const double s = std::sqrt(std::max(0., 1. - z * z));
        return {{s * std::cos(phi), s * std::sin(phi), z}};
      }

    } // namespace

    double draw_diameter(const SizeDistribution &size, const double h, PortableRandom &random)
    {
      if (!(size.log_std > 0.))
        return size.d50 / h;
      const double z = std::min(clip_sigmas, std::max(-clip_sigmas, random.normal()));
      return size.d50 / h * std::exp(size.log_std * z);
    }

    Particle draw_particle(const PopulationSpec &pop, const double h,
                           const std::array<std::size_t, 3> &dims, const double z0,
                           const double z1, PortableRandom &random)
    {
      Particle q;
      q.shape = pop.shape;
      q.centre = {{random.uniform() * dims[0], random.uniform() * dims[1],
                   z0 + random.uniform() * (z1 - z0)}};
      const double d = draw_diameter(pop.size, h, random);
      q.radius = 0.5 * d;
      if (pop.shape == ParticleShape::ellipsoid)
        {
          // Uniform random rotation from a unit quaternion (Shoemake 1992).
          const double u1 = random.uniform(), u2 = random.uniform(), u3 = random.uniform();
          const double a = std::sqrt(1. - u1), b = std::sqrt(u1);
          const double x = a * std::sin(2. * pi * u2), y = a * std::cos(2. * pi * u2),
                       z = b * std::sin(2. * pi * u3), w = b * std::cos(2. * pi * u3);
          q.axes[0] = {{1. - 2. * (y * y + z * z), 2. * (x * y + z * w), 2. * (x * z - y * w)}};
          q.axes[1] = {{2. * (x * y - z * w), 1. - 2. * (x * x + z * z), 2. * (y * z + x * w)}};
          q.axes[2] = {{2. * (x * z + y * w), 2. * (y * z - x * w), 1. - 2. * (x * x + y * y)}};
          const double g = std::cbrt(pop.aspect[0] * pop.aspect[1] * pop.aspect[2]);
          for (unsigned int k = 0; k < 3; ++k)
            q.semi[k] = q.radius * pop.aspect[k] / g;
        }
      else if (pop.shape == ParticleShape::fibre)
        {
          // Worm-like chain: segments of length ~ one diameter (at least one
          // voxel); each turn adds a normal deviation of variance
          // segment / persistence to both perpendicular components, so that
          // <cos theta(s)> = exp(-s / persistence).
          const double length = pop.fibre_length / h;
          const double lp = pop.persistence_length / h;
          const std::size_t n =
            std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(length / std::max(1., d))));
          const double seg = length / static_cast<double>(n);
          Vec t = random_direction(random);
          q.line.push_back({{0., 0., 0.}});
          for (std::size_t s = 0; s < n; ++s)
            {
              if (s > 0 && std::isfinite(lp))
                {
                  const Vec helper = std::abs(t[0]) < 0.9 ? Vec{{1., 0., 0.}} : Vec{{0., 1., 0.}};
                  Vec e1{{t[1] * helper[2] - t[2] * helper[1], t[2] * helper[0] - t[0] * helper[2],
                          t[0] * helper[1] - t[1] * helper[0]}};
                  e1 = normalised(e1);
                  const Vec e2{{t[1] * e1[2] - t[2] * e1[1], t[2] * e1[0] - t[0] * e1[2],
                                t[0] * e1[1] - t[1] * e1[0]}};
                  const double sd = std::sqrt(seg / lp);
                  const double g1 = sd * random.normal(), g2 = sd * random.normal();
                  for (unsigned int k = 0; k < 3; ++k)
                    t[k] += g1 * e1[k] + g2 * e2[k];
                  t = normalised(t);
                }
              const Vec &p = q.line.back();
              q.line.push_back({{p[0] + seg * t[0], p[1] + seg * t[1], p[2] + seg * t[2]}});
            }
          // Centre the chain (mean of its points) on the drawn centre.
          Vec mean{{0., 0., 0.}};
          for (const auto &p : q.line)
            for (unsigned int k = 0; k < 3; ++k)
              mean[k] += p[k] / static_cast<double>(q.line.size());
          for (auto &p : q.line)
            for (unsigned int k = 0; k < 3; ++k)
              p[k] += q.centre[k] - mean[k];
        }
      return q;
    }
  } // namespace detail
} // namespace solidanode
