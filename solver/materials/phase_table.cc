#include <solver/materials/phase_table.h>

#include <base/errors.h>
#include <solver/materials/isotropic.h>
#include <solver/materials/material_law.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace solidanode
{
  PhaseTable::PhaseTable(const CaseConfig &config, const VoxelImage &image)
  {
    const double cell_volume = image.voxel_size[0] * image.voxel_size[1] * image.voxel_size[2];
    min_solid_E_ = std::numeric_limits<double>::infinity();
    min_solid_K_ = std::numeric_limits<double>::infinity();
    for (const auto &[label, count] : image.histogram())
      {
        const auto        name_it = image.phase_names.find(label);
        const std::string name    = name_it == image.phase_names.end() ? "" : name_it->second;
        const auto        it      = config.materials.find(name);
        if (it == config.materials.end())
          throw CollectiveError(config.file + ": phase '" + name + "' (label " +
                           std::to_string(label) + ", " + std::to_string(count) +
                           " voxels) has no entry under 'materials'");
        PhaseEntry p;
        p.label    = label;
        p.name     = it->second.name;
        p.material = &it->second;
        p.pore     = it->second.model == MaterialSpec::Model::pore;
        p.voxels   = count;
        p.volume   = double(count) * cell_volume;
        if (!p.pore)
          {
            p.E  = it->second.E;
            p.nu = it->second.nu;
            min_solid_E_ = std::min(min_solid_E_, p.E);
            min_solid_K_ = std::min(min_solid_K_, isotropic::bulk_modulus(p.E, p.nu));
          }
        phases_[label] = p;
      }
    if (!std::isfinite(min_solid_E_))
      throw CollectiveError(config.file + ": the image holds no solid phase, only pores");
    for (auto &[label, p] : phases_)
      if (p.pore)
        {
          p.E  = config.solver.pore_stiffness_ratio * min_solid_E_;
          p.nu = 0.;
        }
  }

  std::set<unsigned int> PhaseTable::pore_labels() const
  {
    std::set<unsigned int> s;
    for (const auto &[label, p] : phases_)
      if (p.pore)
        s.insert(label);
    return s;
  }

  std::set<unsigned int> PhaseTable::electrolyte_labels() const
  {
    std::set<unsigned int> s;
    for (const auto &[label, p] : phases_)
      if (p.material->electrolyte)
        s.insert(label);
    return s;
  }

  std::vector<std::pair<unsigned int, unsigned int>> PhaseTable::solid_pairs() const
  {
    std::vector<std::pair<unsigned int, unsigned int>> pairs;
    for (const auto &[a, pa] : phases_)
      for (const auto &[b, pb] : phases_)
        if (a < b && !pa.pore && !pb.pore)
          pairs.emplace_back(a, b);
    return pairs;
  }

  std::map<unsigned int, ElasticPhase> PhaseTable::elastic_phases() const
  {
    std::map<unsigned int, ElasticPhase> out;
    for (const auto &[label, p] : phases_)
      {
        ElasticPhase e;
        e.name     = p.name;
        e.E        = p.E;
        e.nu       = p.nu;
        e.pore     = p.pore;
        out[label] = e;
      }
    return out;
  }

  std::map<unsigned int, MechanicalPhase>
  PhaseTable::mechanical_phases(const double temperature, const double pore_closure) const
  {
    LawContext context;
    context.temperature  = temperature;
    context.pore_closure = pore_closure;
    context.min_solid_K  = min_solid_K_;
    std::map<unsigned int, MechanicalPhase> out;
    for (const auto &[label, p] : phases_)
      {
        MechanicalPhase q;
        q.name = p.name;
        q.E0   = p.E;
        q.nu   = p.nu;
        q.pore = p.pore;
        for (const MaterialLaw *law : material_laws())
          law->configure(*p.material, context, q);
        out[label] = q;
      }
    return out;
  }

  std::map<unsigned int, ActiveTransportPhase> PhaseTable::active_phases() const
  {
    std::map<unsigned int, ActiveTransportPhase> out;
    for (const auto &[label, p] : phases_)
      if (p.material->lithium)
        {
          const LithiumSpec   &li = *p.material->lithium;
          ActiveTransportPhase a;
          a.name       = p.name;
          a.c_max      = li.c_max;
          a.D0         = li.D0;
          a.D_exponent = li.D_exponent;
          a.Omega      = li.partial_molar_volume;
          out[label]   = a;
        }
    return out;
  }
} // namespace solidanode
