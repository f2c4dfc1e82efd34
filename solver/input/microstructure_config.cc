#include <solver/input/microstructure_config.h>

#include <cmath>
#include <stdexcept>

namespace solidanode
{
  namespace
  {
    double positive_length(const InputNode &node, const std::string &key)
    {
      const InputNode c = node.child(key);
      const double v = c.as_quantity(Dimension::length);
      if (!(v > 0.))
        c.fail("found a length <= 0, expected a positive length");
      return v;
    }

    double fraction_in(const InputNode &node, const std::string &key, const double def,
                       const double lo, const double hi, const char *range)
    {
      if (!node.has(key))
        return def;
      const InputNode c = node.child(key);
      const double v = c.as_quantity(Dimension::dimensionless);
      if (!(v >= lo && v <= hi))
        c.fail("found " + std::to_string(v) + ", expected a fraction in " + range);
      return v;
    }

    void read_size(const InputNode &p, PopulationSpec &pop)
    {
      const bool fixed = p.has("diameter"), d10 = p.has("d10"), d90 = p.has("d90"),
                 d50 = p.has("d50"), spread = p.has("spread");
      if (fixed)
        {
          if (d10 || d50 || d90 || spread)
            p.fail("give either 'diameter' or 'd50' (+ 'spread', or 'd10' and 'd90'), not both");
          pop.size = SizeDistribution::fixed(positive_length(p, "diameter"));
          return;
        }
      if (!d50)
        p.fail("missing the particle size: 'diameter', or 'd50' (+ 'spread' or 'd10' and 'd90')");
      const double m = positive_length(p, "d50");
      if (d10 || d90)
        {
          if (!(d10 && d90) || spread)
            p.fail("a D10/D50/D90 distribution needs 'd10', 'd50' and 'd90' (and no 'spread')");
          const double a = positive_length(p, "d10"), b = positive_length(p, "d90");
          if (!(a <= m && m <= b))
            p.child("d90").fail("expected d10 <= d50 <= d90");
          pop.size = SizeDistribution::from_quantiles(a, m, b);
          return;
        }
      const double s = p.quantity("spread", Dimension::dimensionless, 0.);
      if (!(s >= 0. && s <= 2.))
        p.child("spread").fail("found " + std::to_string(s) +
                               ", expected the standard deviation of ln(d) in [0, 2]");
      pop.size = SizeDistribution::lognormal(m, s);
    }

    PopulationSpec read_population(const InputNode &p)
    {
      PopulationSpec pop;
      pop.phase = p.string("phase");
      if (pop.phase.empty())
        p.child("phase").fail("expected a phase name");
      const std::string shape = p.string("shape", "sphere");
      if (shape == "sphere")
        pop.shape = ParticleShape::sphere;
      else if (shape == "ellipsoid")
        pop.shape = ParticleShape::ellipsoid;
      else if (shape == "fibre" || shape == "fiber")
        pop.shape = ParticleShape::fibre;
      else
        p.child("shape").fail("found '" + shape + "', expected 'sphere', 'ellipsoid' or 'fibre'");
      read_size(p, pop);

      if (pop.shape == ParticleShape::ellipsoid)
        {
          if (const auto a = p.optional_child("aspect"))
            {
              const auto v = a->as_quantity_list(Dimension::dimensionless);
              if (v.size() != 3)
                a->fail("expected three semi-axis ratios [a, b, c]");
              for (unsigned int d = 0; d < 3; ++d)
                {
                  if (!(v[d] > 0.))
                    a->fail("expected positive ratios");
                  pop.aspect[d] = v[d];
                }
            }
          else
            p.fail("an ellipsoid needs 'aspect: [a, b, c]'");
        }
      if (pop.shape == ParticleShape::fibre)
        {
          pop.fibre_length = positive_length(p, "length");
          if (p.has("persistence_length"))
            pop.persistence_length = positive_length(p, "persistence_length");
        }

      const bool vf = p.has("volume_fraction"), wf = p.has("weight_fraction");
      if (vf == wf)
        p.fail("expected exactly one of 'volume_fraction' and 'weight_fraction'");
      if (p.has("density"))
        {
          const InputNode d = p.child("density");
          pop.density = d.as_quantity(Dimension::mass_density);
          if (!(pop.density > 0.))
            d.fail("expected a positive density like '2.33 g/cm3'");
        }
      if (vf)
        pop.volume_fraction = fraction_in(p, "volume_fraction", 0., 0., 0.999, "[0, 1)");
      else
        {
          pop.by_weight = true;
          pop.weight_fraction = fraction_in(p, "weight_fraction", 0., 1e-12, 1., "(0, 1]");
          if (!(pop.density > 0.))
            p.fail("a weight_fraction needs the particle 'density' (e.g. 2.33 g/cm3)");
        }

      if (const auto o = p.optional_child("overlap"))
        {
          const std::string word = o->as_string();
          if (word == "allowed" || word == "true")
            pop.overlap = PopulationSpec::Overlap::allowed;
          else if (word == "forbidden" || word == "false")
            pop.overlap = PopulationSpec::Overlap::forbidden;
          else
            {
              try
                {
                  (void)parse_quantity(word, Dimension::dimensionless);
                }
              catch (const std::invalid_argument &)
                {
                  o->fail("found '" + word +
                          "', expected 'allowed', 'forbidden' or a maximum overlap fraction");
                }
              const double f = o->as_quantity(Dimension::dimensionless);
              if (!(f >= 0. && f < 1.))
                o->fail("found " + std::to_string(f) +
                        ", expected 'allowed', 'forbidden' or a maximum overlap fraction in [0, 1)");
              pop.overlap = f == 0. ? PopulationSpec::Overlap::forbidden :
                                      PopulationSpec::Overlap::limited;
              pop.max_overlap = f;
            }
        }

      if (const auto c = p.optional_child("coating"))
        {
          pop.coating_phase = c->string("phase");
          pop.coating_thickness = positive_length(*c, "thickness");
        }
      return pop;
    }

    void read_layer(const InputNode &n, LayerSpec &layer)
    {
      if (const auto f = n.optional_child("fill"))
        {
          if (f->is_map())
            {
              layer.fill_phase = f->string("phase");
              if (f->has("density"))
                {
                  const InputNode d = f->child("density");
                  layer.fill_density = d.as_quantity(Dimension::mass_density);
                  if (!(layer.fill_density > 0.))
                    d.fail("expected a positive density");
                }
            }
          else
            layer.fill_phase = f->as_string();
          if (layer.fill_phase.empty())
            f->fail("expected a phase name");
        }
      if (const auto e = n.optional_child("porosity"); e && e->is_scalar() &&
                                                         e->as_string() == "jammed")
        {
          layer.jammed = true;
          if (!n.has("packing"))
            e->fail("'jammed' packs the sphere populations until they jam: give 'packing' too");
        }
      else
        layer.porosity = fraction_in(n, "porosity", 0., 0., 0.999, "[0, 1) or 'jammed'");
      if (n.has("pore_diameter"))
        layer.pore_diameter = positive_length(n, "pore_diameter");
      if (const auto c = n.optional_child("columns"))
        {
          layer.columns.width = positive_length(*c, "width");
          layer.columns.gap   = positive_length(*c, "gap");
          const std::string shape = c->string("shape", "posts");
          if (shape != "posts" && shape != "walls")
            c->child("shape").fail("found '" + shape + "', expected 'posts' or 'walls'");
          layer.columns.walls = shape == "walls";
          if (layer.fill_phase.empty())
            c->fail("columns cut the layer's fill: give 'fill' too");
        }
      if (const auto pk = n.optional_child("packing"))
        {
          const std::string method = pk->string("method", "collective_rearrangement");
          if (method == "collective_rearrangement")
            layer.packing.enabled = true;
          else if (method == "none")
            layer.packing.enabled = false;
          else
            pk->child("method").fail("found '" + method +
                                     "', expected 'collective_rearrangement' or 'none'");
          layer.packing.max_overlap = fraction_in(*pk, "max_overlap", 0., 0., 0.5, "[0, 0.5]");
          const long long sweeps = pk->integer("max_sweeps", layer.packing.max_sweeps);
          if (sweeps < 1 || sweeps > 10000000)
            pk->child("max_sweeps").fail("expected an integer >= 1");
          layer.packing.max_sweeps = static_cast<unsigned int>(sweeps);
          layer.packing.contraction_rate =
            fraction_in(*pk, "contraction_rate", layer.packing.contraction_rate, 1e-6, 1.,
                        "[1e-6, 1]");
        }
      const InputNode pops = n.child("populations");
      for (const auto &p : pops.elements())
        layer.populations.push_back(read_population(p));
      try
        {
          (void)layer_volume_fractions(layer);
        }
      catch (const std::invalid_argument &e)
        {
          pops.fail(e.what());
        }
    }
  } // namespace

  BuildSpec read_build_spec(const InputNode &b)
  {
    BuildSpec spec;
    {
      const InputNode n = b.child("dims");
      const auto v = n.as_integer_list();
      if (v.size() != 3)
        n.fail("expected three voxel counts [nx, ny, nz]");
      for (unsigned int d = 0; d < 3; ++d)
        {
          if (v[d] <= 0 || v[d] > 4096)
            n.fail("found " + std::to_string(v[d]) + ", expected a voxel count in 1..4096");
          spec.dims[d] = static_cast<std::size_t>(v[d]);
        }
    }
    spec.voxel_size = positive_length(b, "voxel_size");
    const long long seed = b.integer("seed", 1);
    if (seed < 0)
      b.child("seed").fail("found a negative seed, expected an integer >= 0");
    spec.seed = static_cast<std::uint64_t>(seed);
    if (const auto p = b.optional_child("periodic"))
      {
        if (p->is_sequence())
          {
            const auto e = p->elements();
            if (e.size() != 3)
              p->fail("expected true/false or three of them [x, y, z]");
            for (unsigned int d = 0; d < 3; ++d)
              spec.periodic[d] = e[d].as_bool();
          }
        else
          spec.periodic.fill(p->as_bool());
      }
    spec.pore_phase = b.string("pore_phase", spec.pore_phase);

    const bool has_layers = b.has("layers"), has_pops = b.has("populations");
    if (has_layers == has_pops)
      b.fail("expected exactly one of 'populations' (one layer) and 'layers'");
    if (has_pops)
      {
        LayerSpec layer;
        layer.name = "all";
        read_layer(b, layer);
        spec.layers.push_back(layer);
      }
    else
      {
        const InputNode ls = b.child("layers");
        const auto list = ls.elements();
        if (list.empty())
          ls.fail("expected a list of layers");
        if (spec.periodic[2])
          ls.fail("layers are stacked along z: set 'periodic: [true, true, false]'");
        double total = 0.;
        for (std::size_t i = 0; i < list.size(); ++i)
          {
            LayerSpec layer;
            layer.name = list[i].string("name", "layer" + std::to_string(i + 1));
            layer.thickness = positive_length(list[i], "thickness");
            total += layer.thickness;
            read_layer(list[i], layer);
            spec.layers.push_back(layer);
          }
        const double height = spec.dims[2] * spec.voxel_size;
        if (total > height * (1. + 1e-9))
          ls.fail("the layers are " + std::to_string(total * 1e6) +
                  " um thick in total, more than the image height " +
                  std::to_string(height * 1e6) + " um");
      }
    return spec;
  }
} // namespace solidanode
