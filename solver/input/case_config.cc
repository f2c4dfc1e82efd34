#include <solver/input/case_config.h>
#include <solver/input/homogenize_config.h>
#include <solver/input/microstructure_config.h>
#include <base/file_utils.h>
#include <base/names.h>
#include <base/yaml_input.h>
#include <solver/input/output_fields.h>
#include <solver/materials/material_law.h>

#include <cstdio>
#include <filesystem>
#include <limits>

namespace solidanode
{
  namespace
  {
    namespace fs = std::filesystem;

    /// A path in the YAML is relative to the directory of the case file.
    std::string resolve_path(const InputNode &node, const std::string &value)
    {
      const fs::path p(value);
      if (p.is_absolute())
        return p.string();
      return (fs::path(node.file()).parent_path() / p).lexically_normal().string();
    }

    /// A number as a user would write it ("0.5", "3", "-9e+10"), for messages.
    std::string number_text(const double x)
    {
      char buffer[32];
      std::snprintf(buffer, sizeof(buffer), "%g", x);
      return buffer;
    }

    std::array<std::size_t, 3> read_dims(const InputNode &node)
    {
      const auto v = node.as_integer_list();
      if (v.size() != 3)
        node.fail("found " + std::to_string(v.size()) +
                  " values, expected three voxel counts [nx, ny, nz]");
      std::array<std::size_t, 3> dims;
      for (unsigned int d = 0; d < 3; ++d)
        {
          if (v[d] <= 0 || v[d] > (1LL << 20))
            node.fail("found " + std::to_string(v[d]) +
                      ", expected a voxel count between 1 and 2^20");
          dims[d] = static_cast<std::size_t>(v[d]);
        }
      return dims;
    }

    /// Voxel size: one length (cubic voxels) or three.
    std::array<double, 3> read_voxel_size(const InputNode &node)
    {
      std::array<double, 3> h;
      if (node.is_sequence())
        {
          const auto v = node.as_quantity_list(Dimension::length);
          if (v.size() != 3)
            node.fail("found " + std::to_string(v.size()) +
                      " values, expected one length or three [hx, hy, hz]");
          std::copy(v.begin(), v.end(), h.begin());
        }
      else
        h.fill(node.as_quantity(Dimension::length));
      for (double x : h)
        if (!(x > 0.))
          node.fail("found a voxel size <= 0, expected a positive length");
      return h;
    }

    double fraction(const InputNode &node, const std::string &key, double def)
    {
      if (!node.has(key))
        return def;
      const InputNode c = node.child(key);
      const double    v = c.as_quantity(Dimension::dimensionless);
      if (!(v >= 0. && v < 1.))
        c.fail("found " + number_text(v) + ", expected a fraction in [0, 1)");
      return v;
    }

    std::map<std::uint8_t, std::string> read_phase_names(const InputNode &node)
    {
      std::map<std::uint8_t, std::string> names;
      for (const auto &key : node.keys())
        {
          const InputNode c = node.child(key);
          long long label = -1;
          try
            {
              std::size_t pos = 0;
              label = std::stoll(key, &pos);
              if (pos != key.size())
                label = -1;
            }
          catch (const std::exception &)
            {
            }
          if (label < 0 || label > 255)
            c.fail("found label '" + key + "', expected an integer 0..255");
          names[static_cast<std::uint8_t>(label)] = c.as_string();
          require_safe_name(c, names[static_cast<std::uint8_t>(label)], "phase name");
        }
      return names;
    }

    void read_generator(const InputNode &g, SphereGeneratorParameters &p)
    {
      p.dims = read_dims(g.child("dims"));
      const InputNode vs = g.child("voxel_size");
      p.voxel_size = vs.as_quantity(Dimension::length);
      if (!(p.voxel_size > 0.))
        vs.fail("found a voxel size <= 0, expected a positive length");
      const long long seed = g.integer("seed", 1);
      if (seed < 0)
        g.child("seed").fail("found a negative seed, expected an integer >= 0");
      p.seed         = static_cast<std::uint64_t>(seed);
      p.matrix_phase = g.string("matrix", p.matrix_phase);

      const InputNode part   = g.child("particles");
      p.particle_phase       = part.string("phase", p.particle_phase);
      p.particle_fraction    = fraction(part, "volume_fraction", p.particle_fraction);
      p.radius_median        = part.quantity("radius", Dimension::length);
      if (!(p.radius_median > 0.))
        part.child("radius").fail("found a radius <= 0, expected a positive length");
      p.radius_log_std = part.quantity("radius_log_std", Dimension::dimensionless, 0.);
      if (p.radius_log_std < 0.)
        part.child("radius_log_std").fail("found a negative spread, expected >= 0");
      p.allow_overlap = part.boolean("overlap", false);

      if (const auto pores = g.optional_child("pores"))
        {
          p.pore_phase    = pores->string("phase", p.pore_phase);
          p.pore_fraction = fraction(*pores, "volume_fraction", 0.);
          p.pore_radius   = pores->quantity("radius", Dimension::length, p.voxel_size);
          if (!(p.pore_radius > 0.))
            pores->child("radius").fail("found a radius <= 0, expected a positive length");
        }
      else
        p.pore_fraction = 0.;
    }

    /// Label 0..255 from a mapping key (remap) or value.
    std::uint8_t read_label(const InputNode &node, const std::string &text)
    {
      long long label = -1;
      try
        {
          std::size_t pos = 0;
          label = std::stoll(text, &pos);
          if (pos != text.size())
            label = -1;
        }
      catch (const std::exception &)
        {
        }
      if (label < 0 || label > 255)
        node.fail("found label '" + text + "', expected an integer 0..255");
      return static_cast<std::uint8_t>(label);
    }

    /// The 'tiff' and 'mhd' sources; false if neither is given.
    bool read_imported_source(const InputNode &m, MicrostructureSpec &spec)
    {
      const bool has_tiff = m.has("tiff"), has_mhd = m.has("mhd");
      if (!has_tiff && !has_mhd)
        return false;
      int n_sources = 0;
      for (const char *key : {"generate", "vti", "raw", "build", "tiff", "mhd"})
        n_sources += m.has(key) ? 1 : 0;
      if (n_sources != 1)
        m.fail("expected exactly one image source ('generate', 'vti', 'raw', "
               "'tiff', 'mhd', ...)");
      const InputNode s = m.child(has_tiff ? "tiff" : "mhd");
      const InputNode f = s.is_map() ? s.child("file") : s;
      spec.file         = resolve_path(f, f.as_string());
      spec.source = has_tiff ? MicrostructureSpec::Source::tiff : MicrostructureSpec::Source::mhd;
      if (has_tiff)
        spec.voxel_size = read_voxel_size(s.child("voxel_size"));
      else if (s.is_map() && s.has("voxel_size"))
        spec.voxel_size = read_voxel_size(s.child("voxel_size"));
      if (const auto o = s.is_map() ? s.optional_child("origin") : std::nullopt)
        {
          const auto v = o->as_quantity_list(Dimension::length);
          if (v.size() != 3)
            o->fail("expected three lengths [x0, y0, z0]");
          std::copy(v.begin(), v.end(), spec.origin.begin());
          spec.origin_given = true;
        }
      if (!m.has("phases"))
        s.fail("an imported image needs 'microstructure.phases' (label: name)");
      return true;
    }

    /// remap / crop / downsample, for every source.
    void read_image_operations(const InputNode &m, MicrostructureSpec &spec)
    {
      if (const auto r = m.optional_child("remap"))
        for (const auto &key : r->keys())
          {
            const InputNode v = r->child(key);
            spec.operations.remap[read_label(v, key)] = read_label(v, v.as_string());
          }
      if (const auto c = m.optional_child("crop"))
        {
          std::array<std::array<std::size_t, 3>, 2> box;
          for (int b = 0; b < 2; ++b)
            {
              const InputNode n = c->child(b == 0 ? "min" : "max");
              const auto      v = n.as_integer_list();
              if (v.size() != 3)
                n.fail("expected three voxel indices [i, j, k]");
              for (int d = 0; d < 3; ++d)
                {
                  if (v[d] < 0 || v[d] > (1LL << 20))
                    n.fail("found " + std::to_string(v[d]) +
                           ", expected a voxel index between 0 and 2^20");
                  box[b][d] = static_cast<std::size_t>(v[d]);
                }
            }
          for (int d = 0; d < 3; ++d)
            if (box[0][d] >= box[1][d])
              c->fail("the box is empty along " + std::string(1, "xyz"[d]) +
                      ": max is exclusive and must exceed min");
          spec.operations.crop = box;
        }
      if (const auto d = m.optional_child("downsample"))
        {
          const long long n = d->as_integer();
          if (n < 1 || n > 64)
            d->fail("found " + std::to_string(n) + ", expected an integer factor 1..64");
          spec.operations.downsample = static_cast<unsigned int>(n);
        }
    }

    MicrostructureSpec read_microstructure(const InputNode &m)
    {
      MicrostructureSpec spec;
      read_image_operations(m, spec);
      if (read_imported_source(m, spec))
        {
          spec.phase_names = read_phase_names(m.child("phases"));
          return spec;
        }
      const bool has_gen = m.has("generate"), has_vti = m.has("vti"),
                 has_raw = m.has("raw"), has_build = m.has("build");
      if (int(has_gen) + int(has_vti) + int(has_raw) + int(has_build) != 1)
        m.fail("expected exactly one of 'generate', 'vti', 'raw', 'build'");
      if (has_build)
        {
          spec.source = MicrostructureSpec::Source::build;
          spec.build  = std::make_shared<const BuildSpec>(read_build_spec(m.child("build")));
        }
      else if (has_gen)
        {
          spec.source = MicrostructureSpec::Source::generate;
          read_generator(m.child("generate"), spec.generator);
        }
      else if (has_vti)
        {
          spec.source = MicrostructureSpec::Source::vti;
          const InputNode f = m.child("vti");
          spec.file = resolve_path(f, f.as_string());
        }
      else
        {
          spec.source = MicrostructureSpec::Source::raw;
          const InputNode r = m.child("raw");
          const InputNode f = r.child("file");
          spec.file       = resolve_path(f, f.as_string());
          spec.dims       = read_dims(r.child("dims"));
          spec.voxel_size = read_voxel_size(r.child("voxel_size"));
          if (const auto o = r.optional_child("origin"))
            {
              const auto v = o->as_quantity_list(Dimension::length);
              if (v.size() != 3)
                o->fail("expected three lengths [x0, y0, z0]");
              std::copy(v.begin(), v.end(), spec.origin.begin());
            }
          if (!m.has("phases"))
            r.fail("a raw image needs 'microstructure.phases' (label: name)");
        }
      if (const auto ph = m.optional_child("phases"))
        spec.phase_names = read_phase_names(*ph);
      return spec;
    }

    /// {homogenized_from: FILE}: E, nu and the network conductivities from a
    /// homogenize.json written by `solidanode homogenize`.
    void read_homogenized(const InputNode &h, MaterialSpec &mat)
    {
      mat.homogenized_from = resolve_path(h, h.as_string());
      const std::string &file = mat.homogenized_from;
      YAML::Node         json; // JSON is YAML
      if (const std::string kind = file_kind_problem(file); !kind.empty())
        h.fail("cannot read '" + file + "': " + kind);
      try
        {
          json = YAML::LoadFile(file);
        }
      catch (const YAML::BadFile &)
        {
          h.fail("cannot open '" + file + "', expected the homogenize.json written by "
                 "'solidanode homogenize' (the path is relative to the case file)");
        }
      catch (const YAML::Exception &e)
        {
          h.fail("cannot parse '" + file + "' as JSON: " + e.what());
        }
      const auto number = [&](const YAML::Node &n, const std::string &what) {
        try
          {
            if (n && n.IsScalar())
              return n.as<double>();
          }
        catch (const YAML::Exception &)
          {}
        h.fail("'" + file + "' has no number '" + what +
               "', expected a homogenize.json with the effective stiffness (run "
               "'solidanode homogenize' with 'homogenize: {elasticity: true}')");
      };
      if (!json.IsMap() || !json["elasticity"] || !json["elasticity"].IsMap())
        h.fail("'" + file + "' has no 'elasticity' section, expected a homogenize.json "
               "with the effective stiffness (run 'solidanode homogenize' with "
               "'homogenize: {elasticity: true}')");
      mat.E  = number(json["elasticity"]["E_Pa"], "elasticity.E_Pa");
      mat.nu = number(json["elasticity"]["nu"], "elasticity.nu");
      if (!(mat.E > 0.) || !(mat.nu > -1. && mat.nu < 0.5))
        h.fail("'" + file + "' gives E = " + number_text(mat.E) + " Pa, nu = " +
               number_text(mat.nu) + ", expected E > 0 and nu in (-1, 0.5)");
      if (json["networks"] && json["networks"].IsSequence())
        for (const YAML::Node &n : json["networks"])
          {
            const YAML::Node s = n["sigma_eff_S_per_m"];
            if (!n["name"] || !s || !s.IsMap() || s.size() == 0)
              continue;
            double sum = 0.;
            for (const auto &kv : s)
              sum += number(kv.second, "networks[].sigma_eff_S_per_m");
            mat.effective_conductivity[n["name"].as<std::string>()] =
              sum / static_cast<double>(s.size());
          }
    }

    MaterialSpec read_material(const InputNode &node, const std::string &name)
    {
      MaterialSpec mat;
      mat.name                = name;
      if (const auto h = node.optional_child("homogenized_from"))
        {
          for (const char *key : {"model", "E", "nu"})
            if (node.has(key))
              node.child(key).fail("give either 'homogenized_from' or '" + std::string(key) +
                                   "', not both");
          read_homogenized(*h, mat);
          return mat;
        }
      const std::string model = node.string("model", "linear_elastic");
      if (model == "pore")
        {
          mat.model = MaterialSpec::Model::pore;
          return mat;
        }
      if (model != "linear_elastic")
        node.child("model").fail("found '" + model +
                                 "', expected 'linear_elastic' or 'pore'");
      const InputNode e = node.child("E");
      mat.E             = e.as_quantity(Dimension::pressure);
      if (!(mat.E > 0.))
        e.fail("found a Young's modulus of " + number_text(mat.E) +
               " Pa, expected a positive stress like '22 GPa'");
      const InputNode nu = node.child("nu");
      mat.nu             = nu.as_quantity(Dimension::dimensionless);
      if (!(mat.nu > -1. && mat.nu < 0.5))
        nu.fail("found " + number_text(mat.nu) +
                ", expected a Poisson ratio in (-1, 0.5) (the model is "
                "compressible linear elasticity)");
      // The laws' keys (chemo-mechanics: read_protocol_materials checks
      // that a 'steps' case has none).
      for (const MaterialLaw *law : material_laws())
        for (const std::string &key : law->keys())
          if (node.has(key))
            {
              law->read(node, mat);
              break;
            }
      mat.electrolyte = node.boolean("electrolyte", false);
      if (mat.electrolyte && mat.lithium)
        node.child("electrolyte").fail("a phase is either an electrolyte or stores Li, not both");
      return mat;
    }

    void read_boundary(const InputNode &b, BoundarySpec &boundary)
    {
      const std::string sides = b.string("sides", "rollers");
      if (sides == "rollers")
        boundary.sides = SideCondition::rollers;
      else if (sides == "free")
        boundary.sides = SideCondition::free;
      else if (sides == "edge")
        boundary.sides = SideCondition::edge;
      else
        b.child("sides").fail("found '" + sides + "', expected 'rollers', 'free' or 'edge'");
      const std::string top = b.string("top", "pressure");
      if (top == "pressure")
        boundary.top = TopCondition::pressure;
      else if (top == "displacement")
        boundary.top = TopCondition::displacement;
      else if (top == "free")
        boundary.top = TopCondition::free;
      else
        b.child("top").fail("found '" + top + "', expected 'pressure', 'displacement' or 'free'");
    }

    /// chemo.plating names phases that exist and a plating phase that is a
    /// plain solid.
    void check_plating_phases(const InputNode &root, const CaseConfig &c)
    {
      const auto &pl = c.chemo->plating;
      if (!pl)
        return;
      const InputNode node  = root.child("chemo").child("plating");
      auto            check = [&](const std::string &key, const std::string &name) {
        if (!name.empty() && !c.materials.count(name))
          node.child(key).fail("phase '" + name + "' is not under 'materials'");
      };
      check("phase", pl->phase);
      check("collector", pl->collector);
      check("separator", pl->separator);
      for (const auto &name : pl->layer)
        check("layer", name);
      const MaterialSpec &m = c.materials.at(pl->phase);
      if (m.lithium || m.electrolyte || m.model == MaterialSpec::Model::pore)
        node.child("phase").fail("the plating phase '" + pl->phase +
                                 "' must be a solid (Li metal) that neither stores Li "
                                 "as an alloy ('lithium') nor is an electrolyte");
    }

    /// The 'protocol' and 'chemo' sections of a chemo-mechanical case.
    void read_protocol(const InputNode &root, CaseConfig &c)
    {
      if (root.has("steps"))
        root.child("steps").fail("give either 'steps' (small-strain load steps) or "
                                 "'protocol' (chemo-mechanics), not both");
      std::vector<std::string> active;
      bool                     electrolyte = false;
      for (const auto &[name, m] : c.materials)
        {
          if (m.lithium)
            active.push_back(name);
          electrolyte = electrolyte || m.electrolyte;
        }
      const auto t = c.boundary.top;
      c.chemo = std::make_shared<const ChemoSpec>(read_chemo_spec(root, active,
        t == TopCondition::pressure ? ProtocolTop::pressure : t == TopCondition::free ?
                                      ProtocolTop::free : ProtocolTop::displacement));
      // No electrolyte, no Li across interfaces: set_soc, hold, rest only.
      for (const ProtocolStep &step : c.chemo->protocol)
        if (!active.empty() && !electrolyte && (step.kind == ProtocolStep::Kind::lithiate ||
                                                step.kind == ProtocolStep::Kind::delithiate))
          root.child("materials").fail(
            "phases " + active.front() + (active.size() > 1 ? ", ..." : "") + " store Li, but "
            "no phase is marked 'electrolyte: true', and step '" + step.name + "' (" + step.where +
            ") moves Li across active/electrolyte faces; without one use set_soc, hold, rest");
      check_plating_phases(root, c);
      check_melting_temperatures(root.child("materials"), c.materials, *c.chemo);
    }

    /// A 'steps' case is small-strain linear elastic: no law keys that need a
    /// protocol.
    void refuse_protocol_keys(const InputNode &mats, const CaseConfig &c)
    {
      for (const auto &[name, m] : c.materials)
        for (const MaterialLaw *law : material_laws())
          if (law->protocol_only())
            for (const std::string &key : law->keys())
              if (mats.child(name).has(key))
                mats.child(name).child(key).fail(
                  "'" + key + "' is used by chemo-mechanical cases only (a "
                  "'protocol' section); the 'steps' model is small-strain linear elastic");
    }

    StepSpec read_step(const InputNode &s, std::size_t i, const CaseConfig &c)
    {
      StepSpec step;
      step.name = s.string("name", "step" + std::to_string(i + 1));
      const long long n = s.integer("increments", 1);
      if (n < 1 || n > 100000)
        s.child("increments").fail("found " + std::to_string(n) + ", expected an integer >= 1");
      step.increments = static_cast<unsigned int>(n);
      if (const auto t = s.optional_child("top"))
        {
          if (c.boundary.top == TopCondition::free)
            t->fail("the top boundary is 'free', a top load is not allowed");
          step.top = t->as_quantity(c.boundary.top == TopCondition::pressure ? Dimension::pressure
                                                                             : Dimension::length);
        }
      if (const auto e = s.optional_child("eigenstrain"))
        for (const auto &phase : e->keys())
          {
            const InputNode v = e->child(phase);
            if (c.materials.count(phase) == 0)
              v.fail("phase '" + phase + "' has no entry under 'materials'");
            const double x = v.as_quantity(Dimension::dimensionless);
            if (!(x > -0.5 && x < 0.5))
              v.fail("found " + number_text(x) +
                     ", expected a small-strain eigenstrain in (-0.5, 0.5)");
            step.eigenstrain[phase] = x;
          }
      return step;
    }

    void read_steps(const InputNode &root, CaseConfig &c)
    {
      const auto steps_node = c.chemo ? std::optional<InputNode>() : root.optional_child("steps");
      if (!c.chemo && !steps_node)
        root.child("steps"); // throws: missing required key 'steps'
      const std::vector<InputNode> list =
        steps_node ? steps_node->elements() : std::vector<InputNode>();
      if (steps_node && list.empty())
        steps_node->fail("expected a list of at least one step");
      for (std::size_t i = 0; i < list.size(); ++i)
        c.steps.push_back(read_step(list[i], i, c));
    }

    void read_output(const InputNode &o, OutputSpec &out)
    {
      out.directory = o.string("directory", out.directory);
      const long long every = o.integer("every", 1);
      if (every < 1)
        o.child("every").fail("expected an integer >= 1");
      out.every          = static_cast<unsigned int>(every);
      out.microstructure = o.boolean("microstructure", true);
      const std::set<std::string> known = known_output_fields();
      if (const auto f = o.optional_child("fields"))
        for (const InputNode &e : f->elements())
          {
            std::string list;
            for (const auto &k : known)
              list += (list.empty() ? "" : ", ") + k;
            if (known.count(e.as_string()) == 0)
              e.fail("found field '" + e.as_string() + "', expected one of " + list);
            out.fields.insert(e.as_string());
          }
      const std::string format = o.string("format", "vtk");
      if (format != "vtk" && format != "image" && format != "xdmf" && format != "both")
        o.child("format").fail("found '" + format + "', expected vtk, image, xdmf or both");
      out.image           = format == "image";
      out.vtk             = format == "vtk" || format == "both";
      out.xdmf            = format == "xdmf" || format == "both";
      out.float32         = o.boolean("float32", true);
      out.compress        = o.boolean("compress", true);
      out.interfaces      = o.boolean("interfaces", true);
      out.profiles        = o.boolean("profiles", true);
      out.porosity_window = o.quantity("porosity_window", Dimension::length, 0.);
      if (out.porosity_window < 0.)
        o.child("porosity_window").fail("expected a length >= 0");
      const long long ck = o.integer("checkpoint_every", 0);
      if (ck < 0)
        o.child("checkpoint_every").fail("expected an integer >= 0");
      out.checkpoint_every = static_cast<unsigned int>(ck);
    }

    void read_solver(const InputNode &s, CaseConfig &c)
    {
      auto &lin = c.solver.linear;
      lin.relative_tolerance = s.quantity("rtol", Dimension::dimensionless, lin.relative_tolerance);
      if (!(lin.relative_tolerance > 0. && lin.relative_tolerance < 1.))
        s.child("rtol").fail("expected a relative tolerance in (0, 1)");
      const long long it = s.integer("max_iterations", lin.max_iterations);
      if (it < 1)
        s.child("max_iterations").fail("expected an integer >= 1");
      lin.max_iterations = static_cast<unsigned int>(it);
      lin.petsc_options  = s.string("petsc_options", "");
      c.solver.pore_stiffness_ratio = s.quantity("pore_stiffness_ratio", Dimension::dimensionless,
                                                 c.solver.pore_stiffness_ratio);
      if (!(c.solver.pore_stiffness_ratio > 0. && c.solver.pore_stiffness_ratio < 1.))
        s.child("pore_stiffness_ratio").fail("expected a ratio in (0, 1)");
      c.solver.pore_closure =
        s.quantity("pore_closure", Dimension::dimensionless, c.solver.pore_closure);
      if (!(c.solver.pore_closure >= 0. && c.solver.pore_closure < 1.))
        s.child("pore_closure").fail("expected a volume ratio in [0, 1)");
      c.solver.mean_dilatation = s.boolean("mean_dilatation", c.solver.mean_dilatation);
      if (c.solver.mean_dilatation &&
          !(c.chemo && c.chemo->kinematics == ChemoSpec::Kinematics::finite))
        s.child("mean_dilatation")
          .fail("mean dilatation is a finite-strain option: it needs a 'protocol' "
                "case with chemo.kinematics 'finite' (this case is " +
                std::string(c.chemo ? "small-strain" : "a 'steps' case, small-strain") + ")");
      c.solver.allow_invalid_states = s.boolean("allow_invalid_states", false);
      if (c.solver.allow_invalid_states && c.chemo)
        s.child("allow_invalid_states")
          .fail("applies to small-strain 'steps' cases only (a 'protocol' case cuts its "
                "time step back instead)");
      const std::string method = s.string("method", "mf");
      if (method == "mf")
        c.solver.method = SolverSpec::Method::mf;
      else if (method == "amg")
        c.solver.method = SolverSpec::Method::amg;
      else
        s.child("method").fail("found '" + method + "', expected 'mf' or 'amg'");
    }

    CaseConfig read(const InputNode &root)
    {
      CaseConfig c;
      c.file = root.file();
      if (root.is_null())
        throw InputError(root.file() +
                         ":1:1: the case file is empty, expected the sections "
                         "'microstructure', 'materials' and 'steps' "
                         "(see docs/input.md)");
      c.microstructure = read_microstructure(root.child("microstructure"));

      const InputNode mats = root.child("materials");
      for (const auto &name : mats.keys())
        {
          require_safe_name(mats.child(name), name, "phase name");
          c.materials[name] = read_material(mats.child(name), name);
        }
      if (c.materials.empty())
        mats.fail("expected at least one material");
      if (const auto b = root.optional_child("boundary"))
        read_boundary(*b, c.boundary);

      if (root.has("protocol"))
        read_protocol(root, c);
      else
        refuse_protocol_keys(mats, c);
      if (root.has("chemo") && !c.chemo)
        root.child("chemo").fail("the 'chemo' settings need a 'protocol' section");
      read_steps(root, c);

      c.output.directory = "results/" + std::filesystem::path(root.file()).stem().string();
      if (const auto o = root.optional_child("output"))
        read_output(*o, c.output);
      if (const auto s = root.optional_child("solver"))
        read_solver(*s, c);
      if (const auto h = root.optional_child("homogenize"))
        c.homogenize = std::make_shared<const HomogenizeSpec>(read_homogenize_spec(*h));

      root.check_unknown_keys();
      return c;
    }
  } // namespace

  CaseConfig read_case(const std::string &path)
  {
    return read(InputNode::load_file(path));
  }

  CaseConfig read_case_string(const std::string &text, const std::string &source_name)
  {
    return read(InputNode::load_string(text, source_name));
  }

  void check_image_phases(const CaseConfig &config, const VoxelImage &image)
  {
    const auto histogram = image.histogram();
    std::string names;
    for (const auto &[label, count] : histogram)
      {
        const auto it = image.phase_names.find(label);
        const std::string name = it == image.phase_names.end() ? "" : it->second;
        names += (names.empty() ? "" : ", ") + std::to_string(label) + "=" +
                 (name.empty() ? std::string("(unnamed)") : name);
        if (name.empty())
          throw InputError(config.file + ": the image has label " +
                           std::to_string(label) + " (" + std::to_string(count) +
                           " voxels) without a phase name; name it under "
                           "'microstructure.phases'");
        if (config.materials.count(name) == 0)
          throw InputError(config.file + ": key 'materials." + name + "': phase '" +
                           name + "' (label " + std::to_string(label) + ", " +
                           std::to_string(count) +
                           " voxels) has no entry under 'materials'; add one, "
                           "e.g. '" + name + ": {E: 22 GPa, nu: 0.3}'");
      }
    for (const auto &[name, material] : config.materials)
      {
        (void)material;
        bool present = false;
        for (const auto &[label, count] : histogram)
          {
            const auto it = image.phase_names.find(label);
            present = present || (count > 0 && it != image.phase_names.end() &&
                                  it->second == name);
          }
        if (!present)
          throw InputError(config.file + ": key 'materials." + name + "': phase '" +
                           name + "' has volume fraction 0 in the image (phases "
                           "present: " + names + "); remove it from 'materials' "
                           "or check the microstructure's phase names and labels");
      }
  }
} // namespace solidanode
