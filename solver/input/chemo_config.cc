// Reading the chemo-mechanical part of a case: 'protocol', 'chemo' and
// materials.<phase>.lithium. See solver/input/chemo_config.h and docs/input.md.
#include <solver/input/chemo_config.h>
#include <base/units.h>
#include <base/yaml_input.h>

#include <algorithm>
#include <map>
#include <cmath>
#include <string>

namespace solidanode
{
  namespace
  {
    constexpr double faraday = 96485.33212; // C/mol

    double positive(const InputNode &n, Dimension d, const std::string &example)
    {
      const double v = n.as_quantity(d);
      if (!(v > 0.))
        n.fail("found " + n.as_string() + ", expected a positive value like '" + example + "'");
      return v;
    }

    double fraction(const InputNode &n)
    {
      const double v = n.as_quantity(Dimension::dimensionless);
      if (!(v >= 0. && v <= 1.))
        n.fail("found " + n.as_string() + ", expected a state of charge in [0, 1]");
      return v;
    }

    std::string position(const InputNode &n)
    {
      return n.file() + " (" + n.path() + ")";
    }

    /// The stack keys common to every step: pressure, thickness: fixed,
    /// top_displacement.
    void read_stack(const InputNode &s, ProtocolStep &step, ProtocolTop top)
    {
      const bool pressure_top = top == ProtocolTop::pressure;
      const char *free_top    = "boundary.top is 'free' (no stack pressure, the top moves "
                                "freely): a step cannot set ";
      if (const auto p = s.optional_child("pressure"))
        {
          if (top == ProtocolTop::free)
            p->fail(std::string(free_top) + "'pressure'");
          if (!pressure_top)
            p->fail("boundary.top is 'displacement': give 'top_displacement' instead");
          step.pressure = p->as_quantity(Dimension::pressure);
          if (*step.pressure < 0.)
            p->fail("expected a stack pressure >= 0 (compressive), like '20 MPa'");
        }
      if (const auto t = s.optional_child("thickness"))
        {
          const std::string how = t->as_string();
          if (how != "fixed" && how != "clamped")
            t->fail("found '" + how + "', expected 'fixed' (hold the cell thickness; the stack "
                    "pressure evolves, >= 0) or 'clamped' (as fixed, and the clamp pulls too)");
          if (top == ProtocolTop::free)
            t->fail(std::string(free_top) + "'thickness: " + how + "' (give boundary.top: pressure)");
          if (!pressure_top)
            t->fail("boundary.top is 'displacement': the thickness is what "
                    "'top_displacement' prescribes");
          if (step.pressure)
            t->fail("give either 'pressure' or 'thickness: " + how + "', not both");
          step.fixed_thickness = true;
          step.clamped         = how == "clamped";
        }
      if (const auto k = s.optional_child("frame_stiffness"))
        {
          if (!step.fixed_thickness)
            k->fail("'frame_stiffness' is the spring of a held gap: give it with "
                    "'thickness: fixed' (or 'clamped')");
          step.frame_stiffness = k->as_quantity(Dimension::areal_stiffness);
          if (!(step.frame_stiffness > 0.))
            k->fail("expected a positive stiffness per top area, like '5 MPa/um'");
        }
      if (const auto d = s.optional_child("top_displacement"))
        {
          if (top == ProtocolTop::free)
            d->fail(std::string(free_top) + "'top_displacement'");
          if (pressure_top)
            d->fail("boundary.top is 'pressure': give 'pressure' or 'thickness: fixed'");
          step.top_displacement = d->as_quantity(Dimension::length);
        }
      const long long every = s.integer("output_every", 1);
      if (every < 1)
        s.child("output_every").fail("expected an integer >= 1");
      step.output_every = static_cast<unsigned int>(every);
    }

    void read_step_temperature(const InputNode &s, ProtocolStep &step)
    {
      if (const auto t = s.optional_child("temperature"))
        {
          step.temperature = t->as_quantity(Dimension::temperature);
          if (!(*step.temperature > 0.) || *step.temperature > 2000.)
            t->fail("expected an absolute temperature in (0, 2000] K, like '90 degC'");
        }
    }

    /// A 'press' step: peak pressure, release_to, increments, temperature.
    void read_press(const InputNode &s, ProtocolStep &step, ProtocolTop top)
    {
      if (top != ProtocolTop::pressure)
        s.fail(std::string("'press' needs boundary.top: pressure (it is '") +
               (top == ProtocolTop::free ? "free" : "displacement") + "')");
      const InputNode p    = s.child("pressure");
      const double    peak = positive(p, Dimension::pressure, "500 MPa");
      step.release_to      = s.quantity("release_to", Dimension::pressure, 0.);
      if (step.release_to < 0. || step.release_to > peak)
        s.child("release_to").fail("expected a stack pressure between 0 and the peak "
                                   "pressure of the step");
      const long long n = s.integer("increments", 4);
      if (n < 1 || n > 10000)
        s.child("increments").fail("expected an integer in 1..10000");
      step.increments = static_cast<unsigned int>(n);
      step.pressure   = peak;
      read_step_temperature(s, step);
      const long long every = s.integer("output_every", 1);
      if (every < 1)
        s.child("output_every").fail("expected an integer >= 1");
      step.output_every = static_cast<unsigned int>(every);
    }

    void read_step(const InputNode &entry, const std::vector<std::string> &active,
                   bool plating, ProtocolTop top, const std::string &suffix,
                   std::vector<ProtocolStep> &out, unsigned int depth);

    void read_steps(const InputNode &list, const std::vector<std::string> &active,
                    bool plating, ProtocolTop top, const std::string &suffix,
                    std::vector<ProtocolStep> &out, unsigned int depth)
    {
      const auto elements = list.elements();
      if (elements.empty())
        list.fail("expected a list of at least one protocol step, e.g. "
                  "'- press: {pressure: 300 MPa}'");
      for (const InputNode &e : elements)
        read_step(e, active, plating, top, suffix, out, depth);
    }

    void read_step(const InputNode &entry, const std::vector<std::string> &active,
                   bool plating, ProtocolTop top, const std::string &suffix,
                   std::vector<ProtocolStep> &out, unsigned int depth)
    {
      const auto keys = entry.keys();
      if (!entry.is_map() || keys.size() != 1)
        entry.fail("expected one step per list entry, one of 'press', 'hold', 'lithiate', "
                   "'delithiate', 'rest', 'cycle', 'set_soc' with its settings, e.g. "
                   "'- lithiate: {c_rate: 0.1, until_soc: 0.9}'");
      const std::string kind = keys.front();
      const InputNode   s    = entry.child(kind);

      if (kind == "cycle")
        {
          if (depth > 0)
            s.fail("a cycle inside a cycle is not supported; list the steps");
          const long long n = s.integer("repeat");
          if (n < 1 || n > 10000)
            s.child("repeat").fail("found " + std::to_string(n) + ", expected 1..10000");
          for (long long c = 1; c <= n; ++c)
            read_steps(s.child("steps"), active, plating, top,
                       " (cycle " + std::to_string(c) + ")", out, depth + 1);
          return;
        }

      ProtocolStep step;
      step.where = position(s);
      if (kind == "press")
        step.kind = ProtocolStep::Kind::press;
      else if (kind == "hold")
        step.kind = ProtocolStep::Kind::hold;
      else if (kind == "lithiate")
        step.kind = ProtocolStep::Kind::lithiate;
      else if (kind == "delithiate")
        step.kind = ProtocolStep::Kind::delithiate;
      else if (kind == "rest")
        step.kind = ProtocolStep::Kind::rest;
      else if (kind == "set_soc")
        step.kind = ProtocolStep::Kind::set_soc;
      else
        entry.fail("found step '" + kind + "', expected one of 'press', 'hold', 'lithiate', "
                   "'delithiate', 'rest', 'cycle', 'set_soc'");
      step.name = s.string("name", kind) + suffix;

      // press: 'pressure' is the peak, so read it before the stack keys.
      if (step.kind == ProtocolStep::Kind::press)
        {
          read_press(s, step, top);
          out.push_back(step);
          return;
        }

      read_stack(s, step, top);
      switch (step.kind)
        {
          case ProtocolStep::Kind::hold:
          case ProtocolStep::Kind::rest:
            {
              step.duration = positive(s.child("time"), Dimension::time, "1 h");
              if (step.kind == ProtocolStep::Kind::hold)
                read_step_temperature(s, step);
              break;
            }
          case ProtocolStep::Kind::lithiate:
          case ProtocolStep::Kind::delithiate:
            {
              const bool lith = step.kind == ProtocolStep::Kind::lithiate;
              const int n_modes = int(s.has("surface_soc")) + int(s.has("c_rate")) +
                                  int(s.has("current_density"));
              if (n_modes != 1)
                s.fail(std::string("a '") + kind + "' step needs exactly one of 'c_rate' "
                       "(galvanostatic, e.g. 0.1), 'current_density' (galvanostatic per "
                       "top area, e.g. '1 mA/cm2') or 'surface_soc' (potentiostatic)");
              if (const auto ss = s.optional_child("surface_soc"))
                step.surface_soc = fraction(*ss);
              else if (const auto i = s.optional_child("current_density"))
                step.current_density = positive(*i, Dimension::current_density, "1 mA/cm2");
              else
                step.c_rate = positive(s.child("c_rate"), Dimension::dimensionless, "0.1");
              if (const auto u = s.optional_child("until_soc"))
                step.until_soc = fraction(*u);
              if (const auto t = s.optional_child("time"))
                step.duration = positive(*t, Dimension::time, "10 h");
              if (const auto q = s.optional_child("charge"))
                {
                  if (!step.current_density)
                    q->fail("'charge' (areal charge of the step) needs 'current_density'");
                  const double t = positive(*q, Dimension::areal_capacity, "1 mAh/cm2") /
                                   *step.current_density;
                  step.duration  = step.duration ? std::min(*step.duration, t) : t;
                }
              if (!step.until_soc && !step.duration)
                s.fail(std::string("a '") + kind + "' step needs 'until_soc', 'time' or "
                       "'charge' (or several: whichever comes first)");
              if (step.surface_soc && !step.duration)
                s.fail("a potentiostatic step ('surface_soc') needs 'time'");
              (void)lith;
              break;
            }
          case ProtocolStep::Kind::set_soc:
            {
              const InputNode v = s.child("soc");
              if (v.is_map())
                for (const auto &phase : v.keys())
                  {
                    if (std::find(active.begin(), active.end(), phase) == active.end())
                      v.child(phase).fail("phase '" + phase +
                                          "' stores no Li (it has no 'lithium' entry under "
                                          "'materials')");
                    step.soc[phase] = fraction(v.child(phase));
                  }
              else
                {
                  const double x = fraction(v);
                  for (const auto &phase : active)
                    step.soc[phase] = x;
                }
              const long long n = s.integer("increments", 1);
              if (n < 1 || n > 10000)
                s.child("increments").fail("expected an integer in 1..10000");
              step.increments = static_cast<unsigned int>(n);
              break;
            }
          default:
            break;
        }
      if ((step.kind == ProtocolStep::Kind::lithiate ||
           step.kind == ProtocolStep::Kind::delithiate ||
           step.kind == ProtocolStep::Kind::set_soc) &&
          active.empty() && !(plating && step.kind != ProtocolStep::Kind::set_soc &&
                              !step.surface_soc && !step.c_rate))
        s.fail("no phase stores Li: give a 'lithium' entry to the active phase under "
               "'materials' (see docs/chemo_mechanics.md)");
      out.push_back(step);
    }
  } // namespace

  const char *protocol_kind_name(ProtocolStep::Kind k)
  {
    switch (k)
      {
        case ProtocolStep::Kind::press:
          return "press";
        case ProtocolStep::Kind::hold:
          return "hold";
        case ProtocolStep::Kind::lithiate:
          return "lithiate";
        case ProtocolStep::Kind::delithiate:
          return "delithiate";
        case ProtocolStep::Kind::rest:
          return "rest";
        case ProtocolStep::Kind::set_soc:
          return "set_soc";
      }
    return "step";
  }

  LithiumSpec read_lithium_spec(const InputNode &node)
  {
    LithiumSpec li;
    if (const auto c = node.optional_child("c_max"))
      {
        for (const char *k : {"capacity", "density"})
          if (node.has(k))
            node.child(k).fail("give either 'c_max' or 'capacity' with 'density', not both");
        li.c_max = positive(*c, Dimension::concentration, "3.11e5 mol/m3");
      }
    else
      {
        const double q   = positive(node.child("capacity"), Dimension::specific_capacity,
                                    "3579 mAh/g");
        const double rho = positive(node.child("density"), Dimension::mass_density, "2.33 g/cm3");
        li.c_max         = q * rho / faraday; // C/kg * kg/m3 / (C/mol)
      }
    li.swelling = node.quantity("swelling", Dimension::dimensionless, 0.);
    if (!(li.swelling > -1. && li.swelling < 10.))
      node.child("swelling").fail("found " + node.child("swelling").as_string() +
                                  ", expected the volume change at full lithiation as a "
                                  "fraction in (-1, 10), e.g. '280 %' or 2.8 for Si");
    li.D0 = positive(node.child("diffusivity"), Dimension::diffusivity, "1e-15 m2/s");
    li.D_exponent = node.quantity("diffusivity_exponent", Dimension::dimensionless, 0.);
    if (std::abs(li.D_exponent) > 50.)
      node.child("diffusivity_exponent").fail("expected |k| <= 50 in D(x) = D0 exp(k x)");
    li.partial_molar_volume =
      node.quantity("partial_molar_volume", Dimension::molar_volume, 0.);
    if (li.partial_molar_volume < 0.)
      node.child("partial_molar_volume").fail("expected a molar volume >= 0, like '9e-6 m3/mol'");
    if (const auto x = node.optional_child("initial_soc"))
      li.initial_soc = fraction(*x);
    return li;
  }

  double CreepSpec::rate_at(double temperature) const
  {
    constexpr double gas_constant = 8.314462618; // J/(mol K)
    return A * std::exp(-activation_energy / (gas_constant * temperature));
  }

  CreepSpec read_creep_spec(const InputNode &node)
  {
    CreepSpec c;
    c.A        = positive(node.child("rate"), Dimension::rate, "4.25e4 1/s");
    c.stress   = positive(node.child("stress"), Dimension::pressure, "0.95 MPa");
    c.exponent = node.quantity("exponent", Dimension::dimensionless, 1.);
    if (!(c.exponent >= 1. && c.exponent <= 20.))
      node.child("exponent").fail("expected a stress exponent in [1, 20], like 6.6 for Li");
    c.activation_energy = node.quantity("activation_energy", Dimension::molar_energy, 0.);
    if (!(c.activation_energy >= 0.))
      node.child("activation_energy").fail("expected an activation energy >= 0, like "
                                           "'37 kJ/mol'");
    return c;
  }

  PlatingSpec read_plating_spec(const InputNode &node)
  {
    PlatingSpec p;
    p.where        = position(node);
    p.phase        = node.string("phase");
    p.molar_volume = node.quantity("molar_volume", Dimension::molar_volume, p.molar_volume);
    if (!(p.molar_volume > 0.))
      node.child("molar_volume").fail("expected a positive molar volume, like '13.0 cm3/mol' "
                                      "for Li metal");
    if (const auto l = node.optional_child("layer"))
      {
        for (const InputNode &e : l->elements())
          p.layer.push_back(e.as_string());
        if (!l->is_sequence() || p.layer.empty())
          l->fail("expected a list of the phases of the anode layer, like "
                  "[carbon, Ag, PVdF, pore]");
      }
    p.collector   = node.string("collector", "");
    p.separator   = node.string("separator", "");
    p.alloy_until = node.quantity("alloy_until", Dimension::dimensionless, p.alloy_until);
    if (!(p.alloy_until > 0. && p.alloy_until <= 1.))
      node.child("alloy_until").fail("expected a state of charge in (0, 1]");
    p.interface_strength =
      node.quantity("interface_strength", Dimension::pressure, p.interface_strength);
    if (!(p.interface_strength >= 0.))
      node.child("interface_strength").fail("expected a stress >= 0, like '0.5 MPa'");
    return p;
  }

  ChemoSpec read_chemo_spec(const InputNode &root, const std::vector<std::string> &active,
                            ProtocolTop top)
  {
    ChemoSpec c;
    if (const auto s = root.optional_child("chemo"))
      {
        const std::string k = s->string("kinematics", "finite");
        if (k == "finite")
          c.kinematics = ChemoSpec::Kinematics::finite;
        else if (k == "small")
          c.kinematics = ChemoSpec::Kinematics::small;
        else
          s->child("kinematics").fail("found '" + k + "', expected 'finite' or 'small'");
        c.temperature = s->quantity("temperature", Dimension::temperature, c.temperature);
        if (!(c.temperature > 0.))
          s->child("temperature").fail("expected an absolute temperature > 0, like '298 K' or "
                                       "'25 degC'");
        c.tensile_strength =
          s->quantity("tensile_strength", Dimension::pressure, c.tensile_strength);
        if (!(c.tensile_strength >= 0.))
          s->child("tensile_strength").fail("expected a stress >= 0, like '5 MPa'");
        c.regain_pressure = s->quantity("regain_pressure", Dimension::pressure, 0.);
        if (!(c.regain_pressure >= 0.))
          s->child("regain_pressure").fail("expected a stress >= 0");
        if (const auto i = s->optional_child("interfaces"))
          c.interfaces = read_cohesive_interfaces(*i, root.child("materials"));
        c.area_correction = s->boolean("area_correction", true);
        const std::string dist = s->string("current_distribution", "availability");
        if (dist == "availability")
          c.availability_weighting = true;
        else if (dist == "uniform")
          c.availability_weighting = false;
        else
          s->child("current_distribution")
            .fail("found '" + dist + "', expected 'availability' (per unit area times 1 - x, "
                  "x on extraction) or 'uniform' (per unit area)");
        c.newton_rtol = s->quantity("newton_rtol", Dimension::dimensionless, c.newton_rtol);
        if (!(c.newton_rtol > 0. && c.newton_rtol < 1.))
          s->child("newton_rtol").fail("expected a relative tolerance in (0, 1)");
        const long long it = s->integer("newton_max_iterations", c.newton_max_iterations);
        if (it < 1 || it > 1000)
          s->child("newton_max_iterations").fail("expected an integer in 1..1000");
        c.newton_max_iterations = static_cast<unsigned int>(it);
        c.newton_forcing = s->quantity("newton_forcing", Dimension::dimensionless, c.newton_forcing);
        if (!(c.newton_forcing >= 0. && c.newton_forcing <= 0.1))
          s->child("newton_forcing").fail("expected a CG tolerance in [0, 0.1] (0: solver.rtol)");
        c.newton_lag_amg = s->boolean("newton_lag_amg", c.newton_lag_amg);
        c.max_soc_change = s->quantity("max_soc_change", Dimension::dimensionless,
                                       c.max_soc_change);
        if (!(c.max_soc_change > 0. && c.max_soc_change <= 1.))
          s->child("max_soc_change").fail("expected a state-of-charge change in (0, 1]");
        c.dt_initial = s->quantity("dt_initial", Dimension::time, 0.);
        if (c.dt_initial < 0.)
          s->child("dt_initial").fail("expected a time >= 0");
        c.dt_min = s->quantity("dt_min", Dimension::time, c.dt_min);
        if (!(c.dt_min > 0.))
          s->child("dt_min").fail("expected a time > 0");
        const long long ci = s->integer("coupling_iterations", c.coupling_iterations);
        if (ci < 1 || ci > 100)
          s->child("coupling_iterations").fail("expected an integer in 1..100");
        c.coupling_iterations = static_cast<unsigned int>(ci);
        c.coupling_tolerance =
          s->quantity("coupling_tolerance", Dimension::dimensionless, c.coupling_tolerance);
        if (!(c.coupling_tolerance > 0.))
          s->child("coupling_tolerance").fail("expected a positive tolerance");
        if (const auto pl = s->optional_child("plating"))
          c.plating = read_plating_spec(*pl);
      }
    read_steps(root.child("protocol"), active, c.plating.has_value(), top, "",
               c.protocol, 0);
    return c;
  }
} // namespace solidanode
