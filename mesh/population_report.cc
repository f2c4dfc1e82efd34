// The checks of a build specification and the text report of the
// microstructure builder (mesh/populations.h).
#include <mesh/populations.h>
#include <mesh/populations_detail.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>
#include <string>

namespace solidanode
{
  using detail::num;

  namespace
  {
    [[noreturn]] void fail(const std::string &what)
    {
      throw std::invalid_argument("microstructure build: " + what);
    }
  } // namespace

  void detail::check_build_spec(const BuildSpec &spec)
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
        if (layer.jammed && !layer.packing.enabled)
          fail(where + "'porosity: jammed' needs 'packing' (the sphere populations are "
                       "packed until jammed)");
        if (layer.jammed &&
            std::none_of(layer.populations.begin(), layer.populations.end(),
                         [](const PopulationSpec &p) { return p.shape == ParticleShape::sphere; }))
          fail(where + "'porosity: jammed' needs at least one sphere population to pack");
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
        if (l.jammed)
          o << "  jammed: the packed spheres jam at a solid fraction " << num(l.jammed_fraction, 4)
            << " (continuum); the other solids keep the recipe's proportions to the "
               "spheres' voxels, the rest is pore\n";
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

  std::vector<std::string> fraction_warnings(const BuildReport &report, double tolerance)
  {
    std::vector<std::string> out;
    const auto check = [&](const std::string &layer, const std::string &what, double target,
                           double reached) {
      if (std::abs(reached - target) > tolerance)
        out.push_back("layer '" + layer + "': " + what + " " + num(reached, 3) +
                      " misses its target " + num(target, 3) + " by " +
                      num(reached - target, 2) + " (tolerance " + num(tolerance, 2) + ")");
    };
    for (const auto &l : report.layers)
      {
        for (const auto &p : l.populations)
          check(l.name, "phase '" + p.phase + "' volume fraction", p.target_fraction, p.achieved_fraction);
        if (!l.jammed)
          check(l.name, "porosity", l.porosity_target, l.porosity);
      }
    return out;
  }
} // namespace solidanode
