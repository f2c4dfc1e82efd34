// Microstructure builder (see populations.h and docs/microstructure.md).
//
// Everything works in voxel units: voxel (i, j, k) covers [i, i+1) x [j, j+1)
// x [k, k+1) and belongs to a shape when its centre lies inside or on it.
// Random numbers come from PortableRandom (same on every platform); every
// layer, population and the pores have their own stream derived from the seed,
// so changing one population does not move the particles of another. The
// particles and their voxels: populations_detail.h and particle_draw.cc. The
// files are compiled with -ffp-contract=off (CMakeLists.txt).
#include <mesh/populations.h>
#include <mesh/populations_detail.h>
#include <mesh/portable_random.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <sstream>
#include <stdexcept>
#include <utility>

namespace solidanode
{
  namespace
  {
    using detail::Particle;
    using detail::Raster;
    using detail::draw_diameter;
    using detail::draw_particle;
    using detail::pi;
    constexpr std::uint8_t free_label = 255;
    /// Random sequential addition gives up after this many candidates in a
    /// row that could not be placed.
    constexpr std::size_t max_failures = 5000;

    using detail::num;

    [[noreturn]] void fail(const std::string &what)
    {
      throw std::invalid_argument("microstructure build: " + what);
    }

    double sphere_volume(const double r) { return 4. / 3. * pi * r * r * r; }

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
    const double solid = layer.jammed ? 1. : 1. - layer.porosity;
    if (n_weight == 0)
      {
        double sum = 0.;
        for (const auto &pop : layer.populations)
          {
            // Jammed layers give shares of the solid, which may be all of it.
            if (!(pop.volume_fraction >= 0. &&
                  (layer.jammed ? pop.volume_fraction <= 1. : pop.volume_fraction < 1.)))
              fail(where + "volume fraction of '" + pop.phase + "' must be in " +
                   (layer.jammed ? "[0, 1] (share of the solid)" : "[0, 1)"));
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


  namespace
  {
    /// What the steps of building one layer share.
    struct LayerState
    {
      LayerState(const std::size_t li, const LayerSpec &layer) : li(li), layer(layer) {}

      const std::size_t li;
      const LayerSpec  &layer;
      double            z0 = 0., z1 = 0.; ///< voxel units
      std::size_t       k0 = 0, k1 = 0;   ///< voxel layers [k0, k1): centres in [z0, z1)
      double            n_layer = 0.;     ///< voxels in the layer
      double            region  = 0.;     ///< volume of the layer, voxel units
      std::vector<double>      phi;       ///< layer_volume_fractions()
      double                   porosity_target = 0.;
      LayerReport              lr;
      std::vector<std::size_t> counts, coat_counts; ///< per population
      std::size_t              fill_count = 0, void_count = 0;
      std::uint8_t             fill = 0;
    };

    /// Builds the image layer by layer, in the order of the spec.
    class Builder
    {
    public:
      explicit Builder(const BuildSpec &spec);

      void build_layer(std::size_t li);
      /// The image (unassigned voxels become pores) and the report so far.
      VoxelImage finish(BuildReport &report_out);

    private:
      std::uint8_t   label(const std::string &name);
      PortableRandom stream(const LayerState &s, std::size_t pi) const;
      bool           packed(const LayerState &s, const PopulationSpec &pop) const;
      void coat(LayerState &s, std::size_t pi, const Particle &q,
                const std::vector<std::size_t> &core);

      LayerState start_layer(std::size_t li);
      void       start_populations(LayerState &s);
      /// 1. Dense packing of the sphere populations.
      void pack(LayerState &s);
      std::vector<PackingSphere> draw_spheres(const LayerState &s, double scale,
                                              std::vector<std::size_t> &owner);
      double packed_share(const LayerState &s) const;
      /// Jammed mode: pack until jammed, then rescale s.phi and the porosity.
      std::vector<PackingSphere> pack_until_jammed(LayerState &s,
                                                   std::vector<std::size_t> &owner);
      /// Solids in the recipe's proportions adding up to @p solid; pores the rest.
      void rescale_solids(LayerState &s, double solid);
      PackingParameters packing_parameters(const LayerState &s) const;
      /// 2. Random sequential addition of the other populations.
      void add_particles(LayerState &s);
      /// 3. Fill, then pores carved out of the fill.
      void fill_rest(LayerState &s);
      void carve_pores(LayerState &s);
      void finish_reports(LayerState &s);

      const BuildSpec                  &spec;
      const double                      h;
      const std::array<std::size_t, 3> &dims;
      VoxelImage                        image;
      std::map<std::string, std::uint8_t> label_of;
      std::uint8_t                     *labels = nullptr;
      const Raster                      raster;
      const std::size_t                 plane;

      BuildReport                report;
      std::vector<PackingSphere> obstacles; // spheres of earlier layers
      std::vector<std::size_t>   voxels, shell;
      double                     z_bottom = 0.; // voxel units
    };


    Builder::Builder(const BuildSpec &spec)
      : spec(spec)
      , h(spec.voxel_size)
      , dims(spec.dims)
      , label_of{{spec.pore_phase, 0}}
      , raster(spec.dims, spec.periodic)
      , plane(spec.dims[0] * spec.dims[1])
    {
      image.dims = dims;
      image.voxel_size = {{h, h, h}};
      image.origin = {{0., 0., 0.}};
      image.labels.assign(image.n_voxels(), free_label);
      image.phase_names[0] = spec.pore_phase;
      labels = image.labels.data();
    }


    std::uint8_t Builder::label(const std::string &name)
    {
      const auto it = label_of.find(name);
      if (it != label_of.end())
        return it->second;
      if (label_of.size() >= 255)
        fail("more than 254 phases");
      const auto l = static_cast<std::uint8_t>(label_of.size());
      label_of[name] = l;
      image.phase_names[l] = name;
      return l;
    }


    PortableRandom Builder::stream(const LayerState &s, const std::size_t pi) const
    {
      return PortableRandom(mix_seed(spec.seed ^ mix_seed(1000003ULL * (s.li + 1) + pi)));
    }


    bool Builder::packed(const LayerState &s, const PopulationSpec &pop) const
    {
      return s.layer.packing.enabled && pop.shape == ParticleShape::sphere;
    }


    void Builder::coat(LayerState &s, const std::size_t pi, const Particle &q,
                       const std::vector<std::size_t> &core)
    {
      const PopulationSpec &pop = s.layer.populations[pi];
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
            ++s.coat_counts[pi];
          }
    }


    LayerState Builder::start_layer(const std::size_t li)
    {
      const LayerSpec &layer = spec.layers[li];
      LayerState       s(li, layer);
      s.lr.name = layer.name;
      s.z0 = z_bottom;
      s.z1 = layer.thickness > 0. ? std::min<double>(dims[2], s.z0 + layer.thickness / h) :
                                    static_cast<double>(dims[2]);
      z_bottom = s.z1;
      s.lr.z0 = s.z0 * h;
      s.lr.z1 = s.z1 * h;
      s.k0 = static_cast<std::size_t>(std::max(0., std::ceil(s.z0 - 0.5)));
      s.k1 = static_cast<std::size_t>(std::max(0., std::ceil(s.z1 - 0.5)));
      s.lr.n_voxels = plane * (s.k1 - s.k0);
      if (s.lr.n_voxels == 0)
        fail("layer '" + layer.name + "' is thinner than half a voxel");
      s.n_layer = static_cast<double>(s.lr.n_voxels);
      s.region = static_cast<double>(plane) * (s.z1 - s.z0);
      s.phi = layer_volume_fractions(layer);
      s.porosity_target = layer.jammed ? 0. : layer.porosity;
      s.lr.jammed = layer.jammed;
      return s;
    }


    void Builder::start_populations(LayerState &s)
    {
      const LayerSpec &layer = s.layer;
      std::vector<PopulationReport> &prs = s.lr.populations;
      prs.resize(layer.populations.size());
      s.counts.assign(layer.populations.size(), 0);
      s.coat_counts.assign(layer.populations.size(), 0);
      for (std::size_t pi = 0; pi < layer.populations.size(); ++pi)
        {
          const PopulationSpec &pop = layer.populations[pi];
          prs[pi].phase = pop.phase;
          prs[pi].target_fraction = s.phi[pi];
          prs[pi].coating_phase = pop.coating_phase;
          prs[pi].coating_thickness_voxels = pop.coating_thickness / h;
          prs[pi].coating_one_voxel_shell =
            !pop.coating_phase.empty() && pop.coating_thickness < h;
          prs[pi].thin_fibre = pop.shape == ParticleShape::fibre && pop.size.d50 < h;
          label(pop.phase);
        }
    }


    PackingParameters Builder::packing_parameters(const LayerState &s) const
    {
      PackingParameters pp;
      for (unsigned int d = 0; d < 3; ++d)
        pp.domain[d] = static_cast<double>(dims[d]);
      pp.periodic = spec.periodic;
      pp.centre_lo = {{0., 0., s.z0}};
      pp.centre_hi = {{static_cast<double>(dims[0]), static_cast<double>(dims[1]), s.z1}};
      pp.max_overlap = s.layer.packing.max_overlap;
      pp.max_sweeps = s.layer.packing.max_sweeps;
      pp.contraction_rate = s.layer.packing.contraction_rate;
      pp.seed = mix_seed(spec.seed ^ mix_seed(1000003ULL * (s.li + 1) + 999983ULL));
      return pp;
    }


    std::vector<PackingSphere> Builder::draw_spheres(const LayerState &s, const double scale,
                                                     std::vector<std::size_t> &owner)
    {
      const LayerSpec &layer = s.layer;
      std::vector<PackingSphere> spheres = obstacles;
      for (auto &sphere : spheres)
        sphere.fixed = true;
      owner.clear();
      for (std::size_t pi = 0; pi < layer.populations.size(); ++pi)
        {
          const PopulationSpec &pop = layer.populations[pi];
          if (!packed(s, pop))
            continue;
          PortableRandom random = stream(s, pi);
          double volume = 0.;
          while (volume < scale * s.phi[pi] * s.region)
            {
              PackingSphere sphere;
              sphere.radius = 0.5 * draw_diameter(pop.size, h, random);
              volume += sphere_volume(sphere.radius);
              spheres.push_back(sphere);
              owner.push_back(pi);
              if (spheres.size() > 50000000)
                fail("layer '" + layer.name + "': more than 5e7 particles to pack");
            }
        }
      return spheres;
    }


    double Builder::packed_share(const LayerState &s) const
    {
      double packed_sum = 0., sum = 0.;
      for (std::size_t pi = 0; pi < s.layer.populations.size(); ++pi)
        {
          sum += s.phi[pi];
          if (packed(s, s.layer.populations[pi]))
            packed_sum += s.phi[pi];
        }
      return packed_sum / (sum + s.phi.back());
    }


    std::vector<PackingSphere> Builder::pack_until_jammed(LayerState &s,
                                                          std::vector<std::size_t> &owner)
    {
      // The recipe's fractions (layer_volume_fractions with no pores) give
      // the proportions only. Pass 1 packs a sphere set 0.75 of the layer
      // (above any jamming fraction of spheres) and contracts it until it
      // jams at phi_1 with radii scaled by (phi_1 / 0.75)^(1/3); pass 2
      // packs a set drawn for 1.02 phi_1, so that it jams with radii within
      // ~1 % of the recipe's sizes. The result is pass 2's jammed state.
      const double share = packed_share(s);
      const double trial = 0.75;
      std::vector<PackingSphere> spheres = draw_spheres(s, trial / share, owner);
      const PackingReport first = pack_spheres(spheres, packing_parameters(s));
      const double second = std::min(trial, 1.02 * first.fraction);
      spheres = draw_spheres(s, second / share, owner);
      s.lr.packing = pack_spheres(spheres, packing_parameters(s));
      const double phi_j = s.lr.packing.fraction;
      // The other solids keep their recipe share relative to the spheres.
      const double solid = phi_j / share;
      if (solid > 1. + 1e-9)
        fail("layer '" + s.layer.name + "': 'porosity: jammed': the jammed spheres fill " +
             num(phi_j, 3) + " of the layer but are only " + num(share, 3) +
             " of the recipe's solid, so the other solids do not fit; give a target porosity");
      rescale_solids(s, solid);
      s.lr.jammed_fraction = phi_j;
      s.lr.packed_share = share;
      return spheres;
    }


    void Builder::rescale_solids(LayerState &s, const double solid)
    {
      double sum = 0.;
      for (const double f : s.phi)
        sum += f;
      for (double &f : s.phi)
        f *= std::min(1., solid) / sum;
      for (std::size_t pi = 0; pi < s.lr.populations.size(); ++pi)
        s.lr.populations[pi].target_fraction = s.phi[pi];
      s.porosity_target = std::max(0., 1. - solid);
    }


    void Builder::pack(LayerState &s)
    {
      const LayerSpec &layer = s.layer;
      std::vector<std::size_t> owner;
      std::vector<PackingSphere> spheres;
      if (layer.jammed)
        spheres = pack_until_jammed(s, owner);
      else
        {
          spheres = draw_spheres(s, 1., owner);
          s.lr.packing = pack_spheres(spheres, packing_parameters(s));
        }
      s.lr.packed = true;
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
                ++s.counts[owner[m]];
                ++packed_voxels;
              }
          cores[m] = voxels;
          ++s.lr.populations[owner[m]].n_particles;
          obstacles.push_back(spheres[n_fixed + m]);
        }
      for (std::size_t m = 0; m < owner.size(); ++m)
        {
          Particle q;
          q.centre = spheres[n_fixed + m].centre;
          q.radius = spheres[n_fixed + m].radius;
          coat(s, owner[m], q, cores[m]);
        }
      s.lr.packed_voxel_fraction = static_cast<double>(packed_voxels) / s.n_layer;
      if (layer.jammed) // the rest follows what the voxels hold of the spheres
        rescale_solids(s, s.lr.packed_voxel_fraction / s.lr.packed_share);
    }


    void Builder::add_particles(LayerState &s)
    {
      const LayerSpec &layer = s.layer;
      for (std::size_t pi = 0; pi < layer.populations.size(); ++pi)
        {
          const PopulationSpec &pop = layer.populations[pi];
          if (packed(s, pop))
            continue;
          PortableRandom random = stream(s, pi);
          const std::uint8_t l = label(pop.phase);
          const double target = s.phi[pi] * s.n_layer;
          std::size_t failures = 0;
          while (static_cast<double>(s.counts[pi]) < target && failures < max_failures)
            {
              const Particle q = draw_particle(pop, h, dims, s.z0, s.z1, random);
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
                    ++s.counts[pi];
                  }
              ++s.lr.populations[pi].n_particles;
              if (pop.shape == ParticleShape::sphere)
                obstacles.push_back({q.centre, q.radius, true});
              coat(s, pi, q, voxels);
            }
          if (static_cast<double>(s.counts[pi]) < target)
            report.notes.push_back("layer '" + layer.name + "': population '" + pop.phase +
                                   "' stopped at volume fraction " +
                                   num(s.counts[pi] / s.n_layer, 3) + " of " +
                                   num(s.phi[pi], 3) + " (no room left for its overlap rule)");
        }
    }


    void Builder::fill_rest(LayerState &s)
    {
      const LayerSpec &layer = s.layer;
      s.fill = layer.fill_phase.empty() ? 0 : label(layer.fill_phase);
      // Voxel centres (i + 1/2) h in the gap of their pitch stay pore.
      const ColumnSpec &col    = layer.columns;
      const double      pitch  = (col.width + col.gap) / h;
      const auto        in_gap = [&](const std::size_t i) {
        const double x = (static_cast<double>(i) + 0.5) / pitch;
        return (x - std::floor(x)) * pitch >= col.width / h;
      };
      const auto gap = [&](const std::size_t v) {
        if (!(col.width > 0.))
          return false;
        const std::size_t i = v % dims[0], j = (v / dims[0]) % dims[1];
        return in_gap(i) || (!col.walls && in_gap(j));
      };
      std::size_t gaps = 0;
      for (std::size_t v = s.k0 * plane; v < s.k1 * plane; ++v)
        if (labels[v] == free_label)
          {
            const bool in_a_gap = gap(v);
            gaps += in_a_gap;
            if (layer.fill_phase.empty() || in_a_gap)
              ++s.void_count;
            else
              {
                labels[v] = s.fill;
                ++s.fill_count;
              }
          }
        else if (labels[v] == 0)
          ++s.void_count;
      // With columns, 'porosity' is that of the columns: the layer's target
      // adds the gaps.
      const double g    = static_cast<double>(gaps) / s.n_layer;
      s.porosity_target = g + (1. - g) * s.porosity_target;
    }


    void Builder::carve_pores(LayerState &s)
    {
      const LayerSpec &layer = s.layer;
      PortableRandom   random =
        PortableRandom(mix_seed(spec.seed ^ mix_seed(1000003ULL * (s.li + 1) + 7777777ULL)));
      Particle pore;
      pore.radius = layer.pore_diameter > 0. ? 0.5 * layer.pore_diameter / h : 1.;
      const double target = s.porosity_target * s.n_layer;
      // A fill with its own weight fraction (a binder) is not eaten by
      // the pores below its share of the recipe: when the particles
      // overshoot their targets (the last particle of a population of
      // large spheres in a small box can be a tenth of the layer), the
      // porosity gives way, not the binder. A fill given as 'the rest'
      // (volume fractions) has no share of its own.
      // (layer_volume_fractions: all populations by weight or none)
      const bool weighed = !layer.populations.empty() && layer.populations.front().by_weight;
      const double fill_keep = weighed ? s.phi.back() * s.n_layer : 0.;
      std::size_t failures = 0;
      while (static_cast<double>(s.void_count) < target &&
             static_cast<double>(s.fill_count) > fill_keep && failures < max_failures)
        {
          pore.centre = {{random.uniform() * dims[0], random.uniform() * dims[1],
                          s.z0 + random.uniform() * (s.z1 - s.z0)}};
          raster.shape(pore, 0., voxels);
          std::size_t added = 0;
          for (const std::size_t v : voxels)
            if (v >= s.k0 * plane && v < s.k1 * plane && labels[v] == s.fill)
              {
                labels[v] = 0;
                ++added;
              }
          s.fill_count -= added;
          s.void_count += added;
          failures = added > 0 ? 0 : failures + 1;
        }
      if (weighed && static_cast<double>(s.void_count) < target &&
          static_cast<double>(s.fill_count) <= fill_keep)
        {
          // Particle voxels inside the layer (counts[] also hold the
          // parts of particles that stick out into the next layer).
          const double particles =
            1. - static_cast<double>(s.fill_count + s.void_count) / s.n_layer;
          double particle_target = 0.;
          for (std::size_t pi = 0; pi < layer.populations.size(); ++pi)
            particle_target += s.phi[pi];
          report.notes.push_back(
            "layer '" + layer.name + "': porosity stopped at " +
            num(s.void_count / s.n_layer, 3) + " of " + num(s.porosity_target, 3) +
            " to keep the fill '" + layer.fill_phase + "' at its " +
            num(s.phi.back(), 3) + ": the particles took " + num(particles, 3) +
            " of the layer (target " + num(particle_target, 3) +
            "; large particles in a small box overshoot by up to one particle)");
        }
    }


    void Builder::finish_reports(LayerState &s)
    {
      const LayerSpec &layer = s.layer;
      std::vector<PopulationReport> &prs = s.lr.populations;
      for (std::size_t pi = 0; pi < layer.populations.size(); ++pi)
        {
          prs[pi].achieved_fraction = s.counts[pi] / s.n_layer;
          prs[pi].coating_fraction = s.coat_counts[pi] / s.n_layer;
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
      s.lr.fill_fraction = s.fill_count / s.n_layer;
      s.lr.porosity = s.void_count / s.n_layer;
    }


    void Builder::build_layer(const std::size_t li)
    {
      LayerState s = start_layer(li);
      start_populations(s);
      if (s.layer.packing.enabled)
        pack(s);
      add_particles(s);
      fill_rest(s);
      if (!s.layer.fill_phase.empty() && s.porosity_target > 0.)
        carve_pores(s);
      s.lr.porosity_target = s.porosity_target;
      finish_reports(s);
      report.layers.push_back(s.lr);
    }


    VoxelImage Builder::finish(BuildReport &report_out)
    {
      for (auto &l : image.labels)
        if (l == free_label)
          l = 0;
      report_out = report;
      return std::move(image);
    }
  } // namespace


  VoxelImage build_microstructure(const BuildSpec &spec, BuildReport *report_out)
  {
    const auto start = std::chrono::steady_clock::now();
    detail::check_build_spec(spec);
    Builder builder(spec);
    for (std::size_t li = 0; li < spec.layers.size(); ++li)
      builder.build_layer(li);
    BuildReport report;
    VoxelImage  image = builder.finish(report);
    report.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (report_out != nullptr)
      *report_out = report;
    return image;
  }


} // namespace solidanode
