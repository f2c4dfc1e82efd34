#include <solver/input/resolved_protocol.h>

#include <cmath>

namespace solidanode
{
  namespace
  {
    void add_material(Json &e, const MaterialSpec &m)
    {
      if (m.lithium)
        {
          Json &li                                = e["lithium"];
          li["c_max_mol_per_m3"]                  = m.lithium->c_max;
          li["swelling"]                          = m.lithium->swelling;
          li["D0_m2_per_s"]                       = m.lithium->D0;
          li["D_exponent"]                        = m.lithium->D_exponent;
          li["partial_molar_volume_m3_per_mol"]   = m.lithium->partial_molar_volume;
          li["initial_soc"]                       = m.lithium->initial_soc;
        }
      // Json writes non-finite numbers as null: an infinite yield stress
      // (elastic) appears as null.
      Json &p                      = e["plasticity"];
      p["E_lithiated_Pa"]          = m.plasticity.E_lithiated;
      p["yield_stress_Pa"]         = m.plasticity.yield_stress;
      p["yield_stress_lithiated_Pa"] = m.plasticity.yield_stress_lithiated;
      p["hardening_Pa"]            = m.plasticity.hardening;
      if (m.plasticity.melting_temperature > 0.)
        {
          Json &t                     = p["thermal_softening"];
          t["melting_temperature_K"]  = m.plasticity.melting_temperature;
          t["exponent"]               = m.plasticity.softening_exponent;
          t["reference_temperature_K"] = m.plasticity.reference_temperature;
        }
      e["electrolyte"]             = m.electrolyte;
      if (m.creep)
        {
          Json &c                       = e["creep"];
          c["A_per_s"]                  = m.creep->A;
          c["stress_Pa"]                = m.creep->stress;
          c["exponent"]                 = m.creep->exponent;
          c["activation_energy_J_per_mol"] = m.creep->activation_energy;
        }
      for (const auto &[key, v] : m.parameters)
        e["parameters"][key] = v;
    }

    Json step_json(const ProtocolStep &s)
    {
      Json e      = Json::object();
      e["kind"]   = protocol_kind_name(s.kind);
      e["name"]   = s.name;
      if (s.pressure)
        e["stack_pressure_Pa"] = *s.pressure;
      if (s.fixed_thickness)
        e["thickness"] = s.clamped ? "clamped" : "fixed";
      if (s.frame_stiffness > 0.)
        e["frame_stiffness_Pa_per_m"] = s.frame_stiffness;
      if (s.top_displacement)
        e["top_displacement_m"] = *s.top_displacement;
      switch (s.kind)
        {
          case ProtocolStep::Kind::press:
            e["release_to_Pa"] = s.release_to;
            e["increments"]    = s.increments;
            break;
          case ProtocolStep::Kind::set_soc:
            e["increments"] = s.increments;
            for (const auto &[phase, x] : s.soc)
              e["soc"][phase] = x;
            break;
          case ProtocolStep::Kind::lithiate:
          case ProtocolStep::Kind::delithiate:
            if (s.current_density)
              e["current_density_A_per_m2"] = *s.current_density;
            else if (!s.surface_soc)
              e["c_rate_per_h"] = s.c_rate;
            if (s.surface_soc)
              e["surface_soc"] = *s.surface_soc;
            if (s.until_soc)
              e["until_soc"] = *s.until_soc;
            break;
          default:
            break;
        }
      if (s.duration)
        e["duration_s"] = *s.duration;
      if (s.temperature)
        e["temperature_K"] = *s.temperature;
      e["output_every"] = s.output_every;
      return e;
    }
  } // namespace

  void add_resolved_protocol(Json &j, const CaseConfig &c, const ChemoSpec &chemo)
  {
    for (const auto &[name, m] : c.materials)
      add_material(j["materials"][name], m);

    Json &ch = j["chemo"];
    ch["kinematics"]  = chemo.kinematics == ChemoSpec::Kinematics::finite ? "finite" : "small";
    ch["temperature_K"]          = chemo.temperature;
    ch["tensile_strength_Pa"]    = chemo.tensile_strength;
    ch["regain_pressure_Pa"]     = chemo.regain_pressure;
    Json &bands                  = ch["interfaces"];
    bands                        = Json::array();
    for (const auto &b : chemo.interfaces)
      {
        Json e;
        e["between"] = Json::array();
        e["between"].push_back(b.phase);
        e["between"].push_back(b.band);
        e["strength_Pa"]         = b.strength;
        e["fracture_energy_J_per_m2"] = b.fracture_energy;
        e["residual_stiffness"]  = b.residual;
        bands.push_back(e);
      }
    ch["area_correction"]        = chemo.area_correction;
    ch["availability_weighting"] = chemo.availability_weighting;
    ch["newton_rtol"]            = chemo.newton_rtol;
    ch["newton_max_iterations"]  = chemo.newton_max_iterations;
    ch["newton_forcing"]         = chemo.newton_forcing;
    ch["newton_lag_amg"]         = chemo.newton_lag_amg;
    ch["max_soc_change"]         = chemo.max_soc_change;
    ch["dt_initial_s"]           = chemo.dt_initial;
    ch["dt_min_s"]               = chemo.dt_min;
    ch["coupling_iterations"]    = chemo.coupling_iterations;
    ch["coupling_tolerance"]     = chemo.coupling_tolerance;
    if (chemo.plating)
      {
        const PlatingSpec &p             = *chemo.plating;
        Json              &pl            = ch["plating"];
        pl["phase"]                      = p.phase;
        pl["molar_volume_m3_per_mol"]    = p.molar_volume;
        pl["axis"]                       = p.axis;
        pl["alloy_until"]                = p.alloy_until;
        pl["interface_strength_Pa"]      = p.interface_strength;
        pl["collector"]                  = p.collector;
        pl["separator"]                  = p.separator;
        Json &layer                      = pl["layer"];
        layer                            = Json::array();
        for (const auto &phase : p.layer)
          layer.push_back(phase);
      }
    Json &protocol = j["protocol"];
    protocol       = Json::array();
    for (const ProtocolStep &s : chemo.protocol)
      protocol.push_back(step_json(s));
  }
} // namespace solidanode
