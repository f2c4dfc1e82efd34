// Microstructure builder (see populations.h and docs/microstructure.md).
//
// Everything works in voxel units: voxel (i, j, k) covers [i, i+1) x [j, j+1)
// x [k, k+1) and belongs to a shape when its centre lies inside or on it.
// Random numbers come from PortableRandom (same on every platform); every
// layer, population and the pores have their own stream derived from the seed,
// so changing one population does not move the particles of another. The
// file is compiled with -ffp-contract=off (CMakeLists.txt).
#include <mesh/populations.h>
#include <mesh/portable_random.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <sstream>
#include <stdexcept>

namespace solidanode
{
  namespace
  {
    using Vec = std::array<double, 3>;
    constexpr double pi = 3.14159265358979323846;
    constexpr std::uint8_t free_label = 255;
    /// Random sequential addition gives up after this many candidates in a
    /// row that could not be placed.
    constexpr std::size_t max_failures = 5000;
    /// Lognormal draws are clipped at this many standard deviations.
    constexpr double clip_sigmas = 2.5;

    std::string num(const double v, const int precision = 4)
    {
      std::ostringstream o;
      o.precision(precision);
      o << v;
      return o.str();
    }

    [[noreturn]] void fail(const std::string &what)
    {
      throw std::invalid_argument("microstructure build: " + what);
    }

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

    /// Diameter draw in voxel units.
    double draw_diameter(const SizeDistribution &size, const double h, PortableRandom &random)
    {
      if (!(size.log_std > 0.))
        return size.d50 / h;
      const double z = std::min(clip_sigmas, std::max(-clip_sigmas, random.normal()));
      return size.d50 / h * std::exp(size.log_std * z);
    }

    /// A random particle of population @p pop with its centre uniform in
    /// [0, nx) x [0, ny) x [z0, z1).
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

    double sphere_volume(const double r) { return 4. / 3. * pi * r * r * r; }

    void check(const BuildSpec &spec)
    {
      for (unsigned int d = 0; d < 3; ++d)
        if (spec.dims[d] == 0 || spec.dims[d] > (1u << 20))
          fail("dims[" + std::to_string(d) + "] must be between 1 and 2^20");
      if (!(spec.voxel_size > 0.) || !std::isfinite(spec.voxel_size))
        fail("voxel_size must be finite and > 0");
      if (spec.layers.empty())
        fail("no layer (and no populations) given");
      if (spec.layers.size() > 1 && spec.periodic[2])
        fail("several layers need a non-periodic z axis (periodic: [.., .., false])");
      if (spec.pore_phase.empty())
        fail("the pore phase needs a name");
      double total = 0.;
      for (const auto &layer : spec.layers)
        {
          const std::string where = "layer '" + layer.name + "': ";
          if (spec.layers.size() > 1 && !(layer.thickness > 0.))
            fail(where + "thickness must be > 0 when there are several layers");
          total += layer.thickness;
          if (!(layer.porosity >= 0. && layer.porosity < 1.))
            fail(where + "porosity must be in [0, 1)");
          if (layer.fill_phase == spec.pore_phase)
            fail(where + "the fill phase must differ from the pore phase '" + spec.pore_phase + "'");
          for (const auto &pop : layer.populations)
            {
              if (pop.phase.empty() || pop.phase == spec.pore_phase)
                fail(where + "a population needs a phase name other than the pore phase");
              if (!(pop.size.d50 > 0.) || !(pop.size.log_std >= 0.))
                fail(where + "population '" + pop.phase + "': diameter must be > 0 and spread >= 0");
              if (pop.shape == ParticleShape::fibre && !(pop.fibre_length > 0.))
                fail(where + "fibre population '" + pop.phase + "' needs a length > 0");
              if (pop.shape == ParticleShape::fibre && !(pop.persistence_length > 0.))
                fail(where + "fibre population '" + pop.phase + "' needs a persistence length > 0");
              for (const double a : pop.aspect)
                if (!(a > 0.) || !std::isfinite(a))
                  fail(where + "population '" + pop.phase + "': aspect ratios must be > 0");
              if (!pop.coating_phase.empty() &&
                  (pop.coating_phase == spec.pore_phase || !(pop.coating_thickness > 0.)))
                fail(where + "population '" + pop.phase +
                     "': a coating needs a non-pore phase and a thickness > 0");
            }
        }
      const double height = spec.dims[2] * spec.voxel_size;
      if (total > height * (1. + 1e-9))
        fail("the layers are " + num(total * 1e6) + " um thick, more than the image height " +
             num(height * 1e6) + " um");
    }
  } // namespace


  SizeDistribution SizeDistribution::from_quantiles(const double d10, const double d50,
                                                    const double d90)
  {
    if (!(d10 > 0. && d10 <= d50 && d50 <= d90) || !std::isfinite(d90))
      throw std::invalid_argument("size distribution: need 0 < D10 <= D50 <= D90, got " +
                                  num(d10) + ", " + num(d50) + ", " + num(d90));
    const double z90 = 1.2815515655446004; // standard normal 90 % quantile
    SizeDistribution s;
    s.d50 = std::exp((std::log(d10) + std::log(d50) + std::log(d90)) / 3.);
    s.log_std = (std::log(d90) - std::log(d10)) / (2. * z90);
    return s;
  }


  std::vector<double> layer_volume_fractions(const LayerSpec &layer)
  {
    const std::string where = "layer '" + layer.name + "': ";
    std::vector<double> phi;
    std::size_t n_weight = 0;
    for (const auto &pop : layer.populations)
      n_weight += pop.by_weight ? 1 : 0;
    if (n_weight > 0 && n_weight != layer.populations.size())
      fail(where + "either all populations give a weight_fraction or none");
    const double solid = 1. - layer.porosity;
    if (n_weight == 0)
      {
        double sum = 0.;
        for (const auto &pop : layer.populations)
          {
            if (!(pop.volume_fraction >= 0. && pop.volume_fraction < 1.))
              fail(where + "volume fraction of '" + pop.phase + "' must be in [0, 1)");
            phi.push_back(pop.volume_fraction);
            sum += pop.volume_fraction;
          }
        if (sum > 1. + 1e-12)
          fail(where + "the volume fractions add up to " + num(sum) + " > 1");
        phi.push_back(layer.fill_phase.empty() ? 0. : std::max(0., solid - sum));
        return phi;
      }
    // phi_i = (1 - e) (w_i / rho_i) / sum_k (w_k / rho_k), k over all
    // solids including the fill with w_f = 1 - sum_i w_i.
    double w_sum = 0., specific = 0.;
    for (const auto &pop : layer.populations)
      {
        if (!(pop.weight_fraction > 0. && pop.weight_fraction <= 1.))
          fail(where + "weight fraction of '" + pop.phase + "' must be in (0, 1]");
        if (!(pop.density > 0.))
          fail(where + "population '" + pop.phase + "' gives a weight fraction but no density");
        w_sum += pop.weight_fraction;
        specific += pop.weight_fraction / pop.density;
      }
    double w_fill = 1. - w_sum;
    if (w_fill < -1e-9)
      fail(where + "the weight fractions add up to " + num(w_sum) + " > 1");
    w_fill = std::max(0., w_fill);
    if (layer.fill_phase.empty())
      {
        if (w_fill > 1e-6)
          fail(where + "the weight fractions add up to " + num(w_sum) +
               "; without a fill phase they must add up to 1");
      }
    else if (w_fill > 0.)
      {
        if (!(layer.fill_density > 0.))
          fail(where + "the fill phase '" + layer.fill_phase +
               "' needs a density when the populations give weight fractions");
        specific += w_fill / layer.fill_density;
      }
    for (const auto &pop : layer.populations)
      phi.push_back(solid * (pop.weight_fraction / pop.density) / specific);
    phi.push_back(layer.fill_phase.empty() || w_fill == 0. ?
                    0. :
                    solid * (w_fill / layer.fill_density) / specific);
    return phi;
  }


  VoxelImage build_microstructure(const BuildSpec &spec, BuildReport *report_out)
  {
    const auto start = std::chrono::steady_clock::now();
    check(spec);
    const double h = spec.voxel_size;
    const auto &dims = spec.dims;

    VoxelImage image;
    image.dims = dims;
    image.voxel_size = {{h, h, h}};
    image.origin = {{0., 0., 0.}};
    image.labels.assign(image.n_voxels(), free_label);
    image.phase_names[0] = spec.pore_phase;
    std::map<std::string, std::uint8_t> label_of{{spec.pore_phase, 0}};
    const auto label = [&](const std::string &name) {
      const auto it = label_of.find(name);
      if (it != label_of.end())
        return it->second;
      if (label_of.size() >= 255)
        fail("more than 254 phases");
      const auto l = static_cast<std::uint8_t>(label_of.size());
      label_of[name] = l;
      image.phase_names[l] = name;
      return l;
    };
    std::uint8_t *const labels = image.labels.data();
    const Raster raster(dims, spec.periodic);
    const std::size_t plane = dims[0] * dims[1];

    BuildReport report;
    std::vector<PackingSphere> obstacles; // spheres of earlier layers
    std::vector<std::size_t> voxels, shell;
    double z_bottom = 0.; // voxel units

    for (std::size_t li = 0; li < spec.layers.size(); ++li)
      {
        const LayerSpec &layer = spec.layers[li];
        LayerReport lr;
        lr.name = layer.name;
        const double z0 = z_bottom;
        const double z1 = layer.thickness > 0. ?
                            std::min<double>(dims[2], z0 + layer.thickness / h) :
                            static_cast<double>(dims[2]);
        z_bottom = z1;
        lr.z0 = z0 * h;
        lr.z1 = z1 * h;
        // Voxels of the layer: centres in [z0, z1).
        const std::size_t k0 = static_cast<std::size_t>(std::max(0., std::ceil(z0 - 0.5)));
        const std::size_t k1 = static_cast<std::size_t>(std::max(0., std::ceil(z1 - 0.5)));
        lr.n_voxels = plane * (k1 - k0);
        if (lr.n_voxels == 0)
          fail("layer '" + layer.name + "' is thinner than half a voxel");
        const double n_layer = static_cast<double>(lr.n_voxels);
        const double region = static_cast<double>(plane) * (z1 - z0);
        const std::vector<double> phi = layer_volume_fractions(layer);
        lr.porosity_target = layer.porosity;
        std::array<bool, 3> periodic = spec.periodic;

        std::vector<PopulationReport> &prs = lr.populations;
        prs.resize(layer.populations.size());
        std::vector<std::size_t> counts(layer.populations.size(), 0),
          coat_counts(layer.populations.size(), 0);

        const auto coat = [&](const std::size_t pi, const Particle &q,
                              const std::vector<std::size_t> &core) {
          const PopulationSpec &pop = layer.populations[pi];
          if (pop.coating_phase.empty())
            return;
          const std::uint8_t cl = label(pop.coating_phase);
          raster.shape(q, pop.coating_thickness / h, shell);
          // At least a one-voxel shell: all face neighbours of the core.
          raster.face_neighbours(core, shell);
          for (const std::size_t v : shell)
            if (labels[v] == free_label)
              {
                labels[v] = cl;
                ++coat_counts[pi];
              }
        };
        const auto stream = [&](const std::size_t pi) {
          return PortableRandom(mix_seed(spec.seed ^ mix_seed(1000003ULL * (li + 1) + pi)));
        };

        for (std::size_t pi = 0; pi < layer.populations.size(); ++pi)
          {
            const PopulationSpec &pop = layer.populations[pi];
            prs[pi].phase = pop.phase;
            prs[pi].target_fraction = phi[pi];
            prs[pi].coating_phase = pop.coating_phase;
            prs[pi].coating_thickness_voxels = pop.coating_thickness / h;
            prs[pi].coating_one_voxel_shell =
              !pop.coating_phase.empty() && pop.coating_thickness < h;
            prs[pi].thin_fibre = pop.shape == ParticleShape::fibre && pop.size.d50 < h;
            label(pop.phase);
          }

        // 1. Dense packing of the sphere populations.
        const auto packed = [&](const PopulationSpec &pop) {
          return layer.packing.enabled && pop.shape == ParticleShape::sphere;
        };
        if (layer.packing.enabled)
          {
            std::vector<PackingSphere> spheres = obstacles;
            for (auto &s : spheres)
              s.fixed = true;
            std::vector<std::size_t> owner;
            for (std::size_t pi = 0; pi < layer.populations.size(); ++pi)
              {
                const PopulationSpec &pop = layer.populations[pi];
                if (!packed(pop))
                  continue;
                PortableRandom random = stream(pi);
                double volume = 0.;
                while (volume < phi[pi] * region)
                  {
                    PackingSphere s;
                    s.radius = 0.5 * draw_diameter(pop.size, h, random);
                    volume += sphere_volume(s.radius);
                    spheres.push_back(s);
                    owner.push_back(pi);
                    if (spheres.size() > 50000000)
                      fail("layer '" + layer.name + "': more than 5e7 particles to pack");
                  }
              }
            PackingParameters pp;
            for (unsigned int d = 0; d < 3; ++d)
              pp.domain[d] = static_cast<double>(dims[d]);
            pp.periodic = periodic;
            pp.centre_lo = {{0., 0., z0}};
            pp.centre_hi = {{static_cast<double>(dims[0]), static_cast<double>(dims[1]), z1}};
            pp.max_overlap = layer.packing.max_overlap;
            pp.max_sweeps = layer.packing.max_sweeps;
            pp.contraction_rate = layer.packing.contraction_rate;
            pp.seed = mix_seed(spec.seed ^ mix_seed(1000003ULL * (li + 1) + 999983ULL));
            lr.packed = true;
            lr.packing = pack_spheres(spheres, pp);
            std::size_t packed_voxels = 0;
            const std::size_t n_fixed = spheres.size() - owner.size();
            std::vector<std::vector<std::size_t>> cores(owner.size());
            for (std::size_t m = 0; m < owner.size(); ++m)
              {
                Particle q;
                q.centre = spheres[n_fixed + m].centre;
                q.radius = spheres[n_fixed + m].radius;
                const std::uint8_t l = label(layer.populations[owner[m]].phase);
                raster.shape(q, 0., voxels);
                for (const std::size_t v : voxels)
                  if (labels[v] == free_label)
                    {
                      labels[v] = l;
                      ++counts[owner[m]];
                      ++packed_voxels;
                    }
                cores[m] = voxels;
                ++prs[owner[m]].n_particles;
                obstacles.push_back(spheres[n_fixed + m]);
              }
            for (std::size_t m = 0; m < owner.size(); ++m)
              {
                Particle q;
                q.centre = spheres[n_fixed + m].centre;
                q.radius = spheres[n_fixed + m].radius;
                coat(owner[m], q, cores[m]);
              }
            lr.packed_voxel_fraction = static_cast<double>(packed_voxels) / n_layer;
          }

        // 2. Random sequential addition of the other populations.
        for (std::size_t pi = 0; pi < layer.populations.size(); ++pi)
          {
            const PopulationSpec &pop = layer.populations[pi];
            if (packed(pop))
              continue;
            PortableRandom random = stream(pi);
            const std::uint8_t l = label(pop.phase);
            const double target = phi[pi] * n_layer;
            std::size_t failures = 0;
            while (static_cast<double>(counts[pi]) < target && failures < max_failures)
              {
                const Particle q = draw_particle(pop, h, dims, z0, z1, random);
                raster.shape(q, 0., voxels);
                std::size_t taken = 0;
                for (const std::size_t v : voxels)
                  if (labels[v] != free_label && labels[v] != 0)
                    ++taken;
                bool ok = taken < voxels.size();
                if (pop.overlap == PopulationSpec::Overlap::forbidden)
                  ok = ok && taken == 0;
                else if (pop.overlap == PopulationSpec::Overlap::limited)
                  ok = ok && static_cast<double>(taken) <=
                               pop.max_overlap * static_cast<double>(voxels.size());
                if (!ok)
                  {
                    ++failures;
                    continue;
                  }
                failures = 0;
                for (const std::size_t v : voxels)
                  if (labels[v] == free_label || labels[v] == 0)
                    {
                      labels[v] = l;
                      ++counts[pi];
                    }
                ++prs[pi].n_particles;
                if (pop.shape == ParticleShape::sphere)
                  obstacles.push_back({q.centre, q.radius, true});
                coat(pi, q, voxels);
              }
            if (static_cast<double>(counts[pi]) < target)
              report.notes.push_back("layer '" + layer.name + "': population '" + pop.phase +
                                     "' stopped at volume fraction " +
                                     num(counts[pi] / n_layer, 3) + " of " + num(phi[pi], 3) +
                                     " (no room left for its overlap rule)");
          }

        // 3. Fill, then pores carved out of the fill.
        std::size_t fill_count = 0, void_count = 0;
        const std::uint8_t fill = layer.fill_phase.empty() ? 0 : label(layer.fill_phase);
        for (std::size_t v = k0 * plane; v < k1 * plane; ++v)
          if (labels[v] == free_label)
            {
              if (layer.fill_phase.empty())
                ++void_count;
              else
                {
                  labels[v] = fill;
                  ++fill_count;
                }
            }
          else if (labels[v] == 0)
            ++void_count;
        if (!layer.fill_phase.empty() && layer.porosity > 0.)
          {
            PortableRandom random =
              PortableRandom(mix_seed(spec.seed ^ mix_seed(1000003ULL * (li + 1) + 7777777ULL)));
            Particle pore;
            pore.radius = layer.pore_diameter > 0. ? 0.5 * layer.pore_diameter / h : 1.;
            const double target = layer.porosity * n_layer;
            // A fill with its own weight fraction (a binder) is not eaten by
            // the pores below its share of the recipe: when the particles
            // overshoot their targets (the last particle of a population of
            // large spheres in a small box can be a tenth of the layer), the
            // porosity gives way, not the binder. A fill given as 'the rest'
            // (volume fractions) has no share of its own.
            // (layer_volume_fractions: all populations by weight or none)
            const bool weighed = !layer.populations.empty() && layer.populations.front().by_weight;
            const double fill_keep = weighed ? phi.back() * n_layer : 0.;
            std::size_t failures = 0;
            while (static_cast<double>(void_count) < target &&
                   static_cast<double>(fill_count) > fill_keep && failures < max_failures)
              {
                pore.centre = {{random.uniform() * dims[0], random.uniform() * dims[1],
                                z0 + random.uniform() * (z1 - z0)}};
                raster.shape(pore, 0., voxels);
                std::size_t added = 0;
                for (const std::size_t v : voxels)
                  if (v >= k0 * plane && v < k1 * plane && labels[v] == fill)
                    {
                      labels[v] = 0;
                      ++added;
                    }
                fill_count -= added;
                void_count += added;
                failures = added > 0 ? 0 : failures + 1;
              }
            if (weighed && static_cast<double>(void_count) < target &&
                static_cast<double>(fill_count) <= fill_keep)
              {
                // Particle voxels inside the layer (counts[] also hold the
                // parts of particles that stick out into the next layer).
                const double particles =
                  1. - static_cast<double>(fill_count + void_count) / n_layer;
                double particle_target = 0.;
                for (std::size_t pi = 0; pi < layer.populations.size(); ++pi)
                  particle_target += phi[pi];
                report.notes.push_back(
                  "layer '" + layer.name + "': porosity stopped at " +
                  num(void_count / n_layer, 3) + " of " + num(layer.porosity, 3) +
                  " to keep the fill '" + layer.fill_phase + "' at its " +
                  num(phi.back(), 3) + ": the particles took " + num(particles, 3) +
                  " of the layer (target " + num(particle_target, 3) +
                  "; large particles in a small box overshoot by up to one particle)");
              }
          }
        for (std::size_t pi = 0; pi < layer.populations.size(); ++pi)
          {
            prs[pi].achieved_fraction = counts[pi] / n_layer;
            prs[pi].coating_fraction = coat_counts[pi] / n_layer;
            const PopulationSpec &pop = layer.populations[pi];
            if (prs[pi].coating_one_voxel_shell && prs[pi].n_particles > 0)
              report.notes.push_back(
                "layer '" + layer.name + "': coating '" + pop.coating_phase + "' of '" +
                pop.phase + "' is " + num(pop.coating_thickness * 1e9) + " nm = " +
                num(prs[pi].coating_thickness_voxels, 3) +
                " voxel, thinner than a voxel: written as a one-voxel shell (at least " +
                num(h * 1e9) + " nm thick)");
            if (prs[pi].thin_fibre && prs[pi].n_particles > 0)
              report.notes.push_back("layer '" + layer.name + "': fibres '" + pop.phase +
                                     "' are thinner than a voxel: drawn as one-voxel lines");
          }
        lr.fill_fraction = fill_count / n_layer;
        lr.porosity = void_count / n_layer;
        report.layers.push_back(lr);
      }

    for (auto &l : image.labels)
      if (l == free_label)
        l = 0;
    report.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (report_out != nullptr)
      *report_out = report;
    return image;
  }


  std::string format_report(const BuildReport &report)
  {
    std::ostringstream o;
    for (const auto &l : report.layers)
      {
        o << "build: layer '" << l.name << "' z = [" << num(l.z0 * 1e6) << ", "
          << num(l.z1 * 1e6) << "] um, " << l.n_voxels << " voxels\n";
        for (const auto &p : l.populations)
          {
            o << "  " << p.phase << ": " << p.n_particles << " particles, volume fraction "
              << num(p.achieved_fraction, 3) << " (target " << num(p.target_fraction, 3) << ")";
            if (!p.coating_phase.empty())
              o << ", coating " << p.coating_phase << " " << num(p.coating_fraction, 3)
                << (p.coating_one_voxel_shell ? " (one-voxel shell)" : "");
            o << "\n";
          }
        if (l.packed)
          o << "  packing: " << l.packing.n_mobile << " spheres, solid fraction "
            << num(l.packing.fraction, 4) << " continuum / " << num(l.packed_voxel_fraction, 4)
            << " voxels (target " << num(l.packing.target_fraction, 4) << "), max overlap "
            << num(l.packing.max_overlap, 3) << " of the smaller radius, " << l.packing.sweeps
            << " sweeps, " << num(l.packing.seconds, 3) << " s\n";
        o << "  fill " << num(l.fill_fraction, 3) << ", porosity " << num(l.porosity, 3)
          << " (target " << num(l.porosity_target, 3) << ")\n";
      }
    for (const auto &n : report.notes)
      o << "build: note: " << n << "\n";
    o << "build: " << num(report.seconds, 3) << " s\n";
    return o.str();
  }
} // namespace solidanode
