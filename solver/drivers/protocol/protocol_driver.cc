#include <solver/drivers/protocol/protocol_driver.h>
#include <solver/input/resolved_case.h>
#include <solver/input/resolved_protocol.h>

#include <solver/drivers/protocol/stack_control.h>

#include <deal.II/base/timer.h>

#include <cmath>
#include <cstdio>
#include <limits>

namespace solidanode
{
  using namespace dealii;
  using Kind = ProtocolStep::Kind;

  namespace
  {
    std::string fmt_temperature(const double T)
    {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.2f K (%.1f degC)", T, T - 273.15);
      return buf;
    }
  } // namespace

  ProtocolDriver::ProtocolDriver(const CaseConfig &config, const RunOptions &options,
                                 MPI_Comm comm)
    : ctx_(config, options, comm,
           std::string(" (chemo-mechanics, ") +
             (config.chemo->kinematics == ChemoSpec::Kinematics::finite ? "finite" : "small") +
             " strain)")
    , model_(config, ctx_)
    , recorder_(model_, ctx_)
    , checkpoint_(model_, ctx_)
  {
    ctx_.result.n_cells = model_.tria.n_global_active_cells();
    ctx_.result.n_dofs  = model_.mech->n_dofs();
    const auto &dims    = model_.image.dims;
    ctx_.log("solidanode: " + std::to_string(dims[0]) + "x" + std::to_string(dims[1]) + "x" +
             std::to_string(dims[2]) + " voxels, " + std::to_string(ctx_.result.n_dofs) +
             " displacement DoFs, " + std::to_string(model_.active.size()) +
             " active phase(s), " + std::to_string(model_.chemo.protocol.size()) +
             " protocol steps");
  }

  RunResult ProtocolDriver::run()
  {
    const auto &protocol = model_.chemo.protocol;
    if (ctx_.options.restart)
      checkpoint_.restore(st_, recorder_);
    Json record = run_record();
    ctx_.write_record(record);

    bool stopped = false;
    while (st_.step < protocol.size() && !stopped)
      {
        const ProtocolStep &ps   = protocol[st_.step];
        const StepPlan      plan = plan_step(ps);
        model_.set_temperature(ps.temperature.value_or(model_.chemo.temperature), ps.where);
        if (!st_.step_started)
          begin_step(ps, plan);
        Timer         timer(ctx_.comm, true);
        const bool    load = ps.kind == Kind::press || ps.kind == Kind::set_soc;
        Advance       a    = load ? advance_load(ps) : advance_time(ps, plan);
        if (a.accepted)
          {
            ++st_.steps_in_step;
            a.report.write_fields = st_.steps_in_step % ps.output_every == 0 || a.step_done;
            a.report.wall_seconds = timer.wall_time();
            recorder_.record(st_, ps, a.report);
            ++run_count_;
          }
        if (a.step_done)
          {
            ++st_.step;
            st_.step_started = false;
          }
        stopped = checkpoint_or_stop();
      }

    ctx_.result.n_increments  = st_.increment;
    record["protocol_time_s"] = st_.time;
    ctx_.finish(record, stopped, run_count_);
    return ctx_.result;
  }

  ProtocolDriver::StepPlan ProtocolDriver::plan_step(const ProtocolStep &ps) const
  {
    const double hour = 3600.;
    StepPlan     p;
    p.charge        = ps.kind == Kind::lithiate || ps.kind == Kind::delithiate;
    p.galvanostatic = p.charge && !ps.surface_soc;
    p.sign          = ps.kind == Kind::delithiate ? -1. : 1.;
    // Total Li rate of a galvanostatic step [mol/s] (C-rate of the alloy
    // capacity, or current per top area) and the nominal time step.
    const double capacity = model_.capacity_mol;
    p.rate = !p.galvanostatic     ? 0. :
             ps.current_density ? p.sign * *ps.current_density * model_.top_area / faraday :
                                  p.sign * ps.c_rate * capacity / hour;
    double dt_soc = 0.;
    if (p.galvanostatic)
      {
        dt_soc = capacity > 0. ? model_.chemo.max_soc_change * capacity / std::abs(p.rate) :
                                 std::numeric_limits<double>::infinity();
        if (ps.duration)
          dt_soc = std::min(dt_soc, *ps.duration / 20.);
        if (!std::isfinite(dt_soc)) // no alloy and no duration: until_soc of nothing
          dt_soc = hour / 10.;
      }
    p.dt_span = ps.duration ? *ps.duration : dt_soc > 0. ? dt_soc * 50. : hour;
    p.dt_max  = p.galvanostatic ? dt_soc : p.dt_span / 4.;
    return p;
  }

  void ProtocolDriver::begin_step(const ProtocolStep &ps, const StepPlan &plan)
  {
    const ChemoSpec &chemo = model_.chemo;
    st_.step_started       = true;
    st_.sub                = 0;
    st_.steps_in_step      = 0;
    st_.t_step             = 0.;
    st_.p_start            = st_.pressure;
    st_.top_start          = st_.top;
    st_.alloy_full         = false;
    st_.dt = chemo.dt_initial > 0. ? std::min(chemo.dt_initial, plan.dt_max) : plan.dt_max / 4.;
    if (model_.config.boundary.top == TopCondition::free)
      st_.stack = Stack::free; // the reader refuses every stack key
    else if (ps.kind == Kind::press)
      {
        // A die press: a rigid punch driven until the top carries the
        // pressure. (A pressure on the free top faces lets Newton stall
        // once a powder layer flows; docs/pressing.md.)
        st_.stack = Stack::punch;
        if (!(st_.compliance > 0.))
          st_.compliance = column_compliance(*model_.table, model_.initial_thickness);
      }
    else if (ps.pressure || st_.stack == Stack::punch)
      st_.stack = Stack::pressure;
    else if (ps.fixed_thickness)
      {
        st_.stack    = ps.clamped ? Stack::clamped : Stack::fixed_thickness;
        st_.u_target = model_.mech->mean_top_displacement();
        if (!(st_.compliance > 0.))
          st_.compliance = column_compliance(*model_.table, model_.initial_thickness);
      }
    else if (ps.top_displacement)
      st_.stack = Stack::displacement;
    if (ps.kind == Kind::set_soc)
      {
        st_.soc_start.clear();
        for (const auto &[label, a] : model_.active)
          st_.soc_start[a.name] = model_.li->mean_x(label);
      }
    ctx_.log("solidanode: protocol step " + std::to_string(st_.step + 1) + "/" +
             std::to_string(chemo.protocol.size()) + " '" + ps.name + "' (" +
             protocol_kind_name(ps.kind) + "), stack " + stack_name(st_.stack) +
             (ps.temperature ? ", " + fmt_temperature(model_.temperature) : std::string()));
  }

  bool ProtocolDriver::checkpoint_or_stop()
  {
    const RunOptions &o        = ctx_.options;
    const bool        signal   = checkpoint_signal_pending(ctx_.comm);
    const bool        chunk    = o.max_increments > 0 && run_count_ >= o.max_increments;
    const unsigned    every    = model_.config.output.checkpoint_every;
    const bool        interval = every > 0 && st_.increment % every == 0;
    const bool        finished = st_.step >= model_.chemo.protocol.size();
    if (signal || chunk || interval || finished)
      ctx_.timed("checkpoint", [&] { checkpoint_.write(st_, recorder_); });
    if ((signal || chunk) && !finished)
      {
        ctx_.log("solidanode: stopped after increment " + std::to_string(st_.increment) +
                 (signal ? " on a signal" : "") + "; checkpoint written, continue with --restart");
        return true;
      }
    return false;
  }

  void ProtocolDriver::fail(const ProtocolStep &ps, const std::string &why)
  {
    if (st_.increment > 0)
      checkpoint_.write(st_, recorder_);
    char where[300];
    std::snprintf(where, sizeof where,
                  " in protocol step %zu '%s' (%s) at t = %s, stack %s %.4g MPa", st_.step + 1,
                  ps.name.c_str(), ps.where.c_str(), format_seconds(st_.time).c_str(),
                  stack_name(st_.stack).c_str(), st_.pressure / 1e6);
    ctx_.log("solidanode: " + why + where);
    throw CollectiveError(why + where + ". Results up to increment " +
                          std::to_string(st_.increment) + " are complete in " +
                          ctx_.result.output_directory +
                          (st_.increment > 0 ? " (checkpoint written; --restart continues)" :
                                               "") +
                          ".");
  }

  Json ProtocolDriver::run_record() const
  {
    const CaseConfig &config = model_.config;
    Json              record = solidanode::run_record(ctx_.n_ranks, st_.increment);
    record["model"]                = "chemo-mechanics";
    record["mesh"]["cells"]        = static_cast<unsigned long long>(ctx_.result.n_cells);
    record["mesh"]["dofs"]         = static_cast<unsigned long long>(ctx_.result.n_dofs);
    record["mesh"]["coarse_cells"] = static_cast<unsigned long long>(model_.mesh_info.n_coarse_cells);
    record["mesh"]["refinements"]  = model_.mesh_info.n_refinements;
    record["case_file"]            = config.file;
    record["case"]                 = resolved_case(config, model_.image);
    add_resolved_protocol(record["case"], config, model_.chemo);
    record["case_hash"]            = ctx_.case_hash;
    record["inputs"]               = fingerprints_json(ctx_.inputs);
    record["kinematics"] =
      model_.chemo.kinematics == ChemoSpec::Kinematics::finite ? "finite" : "small";
    record["temperature_K"] = model_.chemo.temperature;
    record["capacity_mol"]  = model_.capacity_mol;
    record["capacity_mAh"]  = model_.capacity_mol * faraday / 3.6;
    for (const auto &[label, a] : model_.active)
      {
        Json &e                              = record["active_phases"][a.name];
        e["label"]                           = label;
        e["c_max_mol_per_m3"]                = a.c_max;
        e["D0_m2_per_s"]                     = a.D0;
        e["D_exponent"]                      = a.D_exponent;
        e["partial_molar_volume_m3_per_mol"] = a.Omega;
        e["swelling"]                        = model_.mech_phases.at(label).swelling;
        e["volume_m3"]                       = model_.phase_volume(label);
      }
    if (model_.plating)
      {
        const PlatingSite &site                      = *model_.plating;
        record["plating"]["phase"]                   = site.spec.phase;
        record["plating"]["label"]                   = site.label;
        record["plating"]["site_volume_m3"]          = site.site_volume;
        record["plating"]["molar_volume_m3_per_mol"] = site.spec.molar_volume;
        record["plating"]["growth_axis"]             = site.spec.axis;
        record["plating"]["alloy_until"]             = site.spec.alloy_until;
      }
    record["status"] = "running";
    return record;
  }
} // namespace solidanode
