#include <solver/input/homogenize_config.h>
#include <base/yaml_input.h>

#include <set>

namespace solidanode
{
  HomogenizeSpec read_homogenize_spec(const InputNode &h)
  {
    HomogenizeSpec spec;
    if (const auto nets = h.optional_child("networks"))
      {
        std::set<std::string> names;
        for (const InputNode &n : nets->elements())
          {
            ConductingNetwork net;
            net.name = n.string("name");
            if (!names.insert(net.name).second)
              n.child("name").fail("network '" + net.name + "' is listed twice");
            const InputNode c = n.child("conductivities");
            for (const auto &phase : c.keys())
              {
                const InputNode v = c.child(phase);
                const double    s = v.as_quantity(Dimension::electrical_conductivity);
                if (!(s > 0.))
                  v.fail("expected a positive conductivity like '1.5 mS/cm' "
                         "(leave insulating phases out)");
                net.conductivities[phase] = s;
              }
            if (net.conductivities.empty())
              c.fail("expected at least one conducting phase");
            net.reference = n.string("reference", "");
            if (!net.reference.empty() && net.conductivities.count(net.reference) == 0)
              n.child("reference").fail("phase '" + net.reference +
                                        "' is not listed under 'conductivities'");
            spec.networks.push_back(net);
          }
      }
    if (const auto d = h.optional_child("directions"))
      {
        spec.directions.clear();
        for (const InputNode &e : d->elements())
          {
            const std::string s = e.as_string();
            if (s != "x" && s != "y" && s != "z")
              e.fail("found '" + s + "', expected x, y or z");
            const unsigned int dir = static_cast<unsigned int>(s[0] - 'x');
            for (unsigned int other : spec.directions)
              if (other == dir)
                e.fail("direction '" + s + "' is listed twice");
            spec.directions.push_back(dir);
          }
        if (spec.directions.empty())
          d->fail("expected at least one of x, y, z");
      }
    spec.elasticity = h.boolean("elasticity", false);
    if (const auto sw = h.optional_child("swelling"))
      for (const auto &phase : sw->keys())
        {
          const InputNode v = sw->child(phase);
          const double    x = v.as_quantity(Dimension::dimensionless);
          if (!(x > -0.5 && x < 0.5))
            v.fail("found " + std::to_string(x) +
                   ", expected a small-strain eigenstrain in (-0.5, 0.5)");
          spec.swelling[phase] = x;
        }
    spec.insulator_ratio =
      h.quantity("insulator_ratio", Dimension::dimensionless, spec.insulator_ratio);
    if (!(spec.insulator_ratio > 0. && spec.insulator_ratio < 1e-2))
      h.child("insulator_ratio").fail("expected a ratio in (0, 1e-2)");
    spec.relative_tolerance =
      h.quantity("rtol", Dimension::dimensionless, spec.relative_tolerance);
    if (!(spec.relative_tolerance > 0. && spec.relative_tolerance < 1e-3))
      h.child("rtol").fail("expected a relative tolerance in (0, 1e-3)");
    spec.write_fields = h.boolean("fields", true);
    spec.sizing       = h.boolean("sizing", false);
    spec.sizing_tolerance =
      h.quantity("sizing_tolerance", Dimension::dimensionless, spec.sizing_tolerance);
    if (!(spec.sizing_tolerance > 0. && spec.sizing_tolerance < 1.))
      h.child("sizing_tolerance").fail("expected a relative std in (0, 1), e.g. 0.05");
    if (spec.networks.empty() && !spec.elasticity && spec.swelling.empty())
      h.fail("nothing to do: give 'networks', 'elasticity: true' and/or 'swelling'");
    return spec;
  }
} // namespace solidanode
