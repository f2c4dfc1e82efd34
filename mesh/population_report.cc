// The text report of the microstructure builder (mesh/populations.h).
#include <mesh/populations.h>
#include <mesh/populations_detail.h>

#include <cmath>
#include <sstream>
#include <string>

namespace solidanode
{
  using detail::num;

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
            << "; with the other solids in the recipe's proportions the layer is "
            << num(l.jammed_fraction / l.packed_share, 4) << " solid\n";
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
