#include <solver/input/resolved_case.h>

namespace solidanode
{
  Json resolved_case(const CaseConfig &c, const VoxelImage &image)
  {
    Json j = Json::object();
    j["file"] = c.file;
    if (!c.overrides.empty())
      {
        Json o = Json::array();
        for (const auto &x : c.overrides)
          o.push_back(x);
        j["overrides"] = o; // --set on the command line
      }
    Json &m   = j["microstructure"];
    m["source"] = c.microstructure.source == MicrostructureSpec::Source::generate ?
                    "generate" :
                  c.microstructure.source == MicrostructureSpec::Source::vti ? "vti" :
                  c.microstructure.source == MicrostructureSpec::Source::raw ? "raw" :
                                                                                "other";
    if (!c.microstructure.file.empty())
      m["file"] = c.microstructure.file;
    if (c.microstructure.source == MicrostructureSpec::Source::generate)
      {
        const auto &g = c.microstructure.generator;
        m["seed"]                = static_cast<unsigned long long>(g.seed);
        m["particle_fraction"]   = g.particle_fraction;
        m["radius_median_m"]     = g.radius_median;
        m["radius_log_std"]      = g.radius_log_std;
        m["allow_overlap"]       = g.allow_overlap;
        m["pore_fraction"]       = g.pore_fraction;
        m["pore_radius_m"]       = g.pore_radius;
      }
    Json dims = Json::array(), h = Json::array(), origin = Json::array();
    for (unsigned int d = 0; d < 3; ++d)
      {
        dims.push_back(static_cast<unsigned long long>(image.dims[d]));
        h.push_back(image.voxel_size[d]);
        origin.push_back(image.origin[d]);
      }
    m["dims"]         = dims;
    m["voxel_size_m"] = h;
    m["origin_m"]     = origin;
    Json &fractions   = m["volume_fractions"];
    for (const auto &[label, f] : image.volume_fractions())
      fractions[image.phase_names.at(label)] = f;

    Json &mats = j["materials"];
    for (const auto &[name, mat] : c.materials)
      {
        Json &e = mats[name];
        if (mat.model == MaterialSpec::Model::pore)
          e["model"] = "pore";
        else
          {
            e["model"] = "linear_elastic";
            e["E_Pa"]  = mat.E;
            e["nu"]    = mat.nu;
          }
      }
    j["boundary"]["sides"] = c.boundary.sides == SideCondition::rollers ? "rollers"
                             : c.boundary.sides == SideCondition::free  ? "free"
                                                                        : "edge";
    j["boundary"]["top"]   = c.boundary.top == TopCondition::pressure     ? "pressure" :
                             c.boundary.top == TopCondition::displacement ? "displacement" :
                                                                            "free";
    Json &steps = j["steps"];
    steps       = Json::array();
    for (const auto &s : c.steps)
      {
        Json e          = Json::object();
        e["name"]       = s.name;
        e["increments"] = s.increments;
        if (s.top)
          e[c.boundary.top == TopCondition::pressure ? "top_pressure_Pa" :
                                                       "top_displacement_m"] = *s.top;
        for (const auto &[phase, v] : s.eigenstrain)
          e["eigenstrain"][phase] = v;
        steps.push_back(e);
      }
    Json &o = j["output"];
    o["directory"]         = c.output.directory;
    o["every"]             = c.output.every;
    o["format"] = c.output.vtk && c.output.xdmf ? "both" :
                  c.output.xdmf                   ? "xdmf" :
                  c.output.image                  ? "image" :
                                                    "vtk";
    o["float32"]           = c.output.float32;
    o["compress"]          = c.output.compress;
    o["interfaces"]        = c.output.interfaces;
    o["profiles"]          = c.output.profiles;
    o["porosity_window_m"] = c.output.porosity_window;
    o["checkpoint_every"]  = c.output.checkpoint_every;
    Json &s = j["solver"];
    s["rtol"]                 = c.solver.linear.relative_tolerance;
    s["max_iterations"]       = c.solver.linear.max_iterations;
    s["petsc_options"]        = c.solver.linear.petsc_options;
    s["pore_stiffness_ratio"] = c.solver.pore_stiffness_ratio;
    s["pore_closure"]         = c.solver.pore_closure;
    s["mean_dilatation"]      = c.solver.mean_dilatation;
    s["method"] = c.solver.method == SolverSpec::Method::mf ? "mf" : "amg";
    return j;
  }
} // namespace solidanode
