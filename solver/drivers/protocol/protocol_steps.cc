// The two kinds of protocol increment: load increments (press, set_soc) and
// coupled time steps (hold, rest, lithiate, delithiate) with their
// cut-back rules. Part of ProtocolDriver (protocol_driver.h).
#include <solver/drivers/protocol/protocol_driver.h>

#include <solver/drivers/protocol/stack_control.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace solidanode
{
  using namespace dealii;
  using Kind = ProtocolStep::Kind;

  namespace
  {
    /// The error of a failure that a smaller step does not change: the
    /// linear solver failing in the first Newton iteration at two step
    /// sizes, @p sizes ("steps of 22.5 s and 11.3 s").
    std::string step_size_cannot_fix(const std::string &why, const std::string &sizes)
    {
      return why + " in the first Newton iteration at " + sizes +
             " alike: a smaller step cannot fix this (a linear solver that fails before any "
             "nonlinearity: check solver.max_iterations, solver.rtol, solver.method and "
             "stiffness contrasts such as pore_stiffness_ratio)";
    }

    /// A band whose kappa grew by more than this fraction of its allowed
    /// step (band_kappa_step) in an accepted solve is not yet in
    /// equilibrium with its damage: solve again at the same load.
    constexpr double       band_relax_ratio     = 0.05;
    constexpr unsigned int max_band_relaxations = 2000;
  } // namespace

  ProtocolDriver::Advance ProtocolDriver::advance_load(const ProtocolStep &ps)
  {
    // Load increments: press ramps up to the peak and down to release_to;
    // set_soc ramps x. A failed increment is split.
    const unsigned int n_up   = ps.increments;
    const unsigned int n_down =
      ps.kind == Kind::press && ps.release_to < *ps.pressure ? ps.increments : 0;
    auto target_at = [&](double s) { // s in [0, n_up + n_down]
      if (ps.kind == Kind::set_soc)
        return std::min(1., s / n_up);
      if (s <= n_up)
        return st_.p_start + (*ps.pressure - st_.p_start) * s / n_up;
      return *ps.pressure + (ps.release_to - *ps.pressure) * (s - n_up) / n_down;
    };
    // The punch reaches the peak and the final pressure within 0.2 % of the
    // peak, the pressures on the way within a quarter of an increment.
    const double tight = ps.pressure ? 2e-3 * std::max(*ps.pressure, 1e5) : 0.;
    StackTolerance tolerance{1e-4 * model_.image.voxel_size[2], tight};
    auto p_tolerance = [&](double s) {
      if (s == n_up || s >= n_up + n_down)
        return tight;
      return std::max(tight, 0.25 * std::abs(target_at(s) - target_at(std::max(0., s - 1.))));
    };
    if (ps.kind == Kind::set_soc && ps.pressure && st_.stack == Stack::pressure)
      st_.pressure = *ps.pressure; // set the state of charge at a new stack pressure
    Advance      out;
    double       s_from = st_.sub, s_to = st_.sub + 1., size = 1.;
    std::string  previous_why; // a first-iteration linear failure of the last try
    unsigned int relaxations = 0;
    while (true)
      {
        const double value = target_at(s_to);
        double       stack_value = value;
        model_.mech->set_time_step(0.); // quasi-static: no creep
        if (ps.kind == Kind::set_soc)
          {
            for (const auto &[label, a] : model_.active)
              {
                const auto it = ps.soc.find(a.name);
                if (it == ps.soc.end())
                  continue;
                const double from = st_.soc_start.at(a.name);
                model_.li->set_uniform(label, from + (it->second - from) * value);
              }
            stack_value = st_.stack == Stack::displacement ? st_.top : st_.pressure;
          }
        tolerance.p = p_tolerance(s_to);
        const StackSolve s =
          solve_at_stack(*model_.mech, model_.mech_content(model_.li->cell_x(), st_.plated),
                         stack_value, st_, tolerance);
        out.report.mechanics.add(s.outcome);
        // Cohesive bands take a limited opening per increment (explicit
        // damage), down to 1/4096 of the load increment.
        const double ratio    = s.outcome.converged ? model_.mech->band_step_ratio() : 0.;
        const bool   band_cut = s_to - s_from >= 1. / 4096. && ratio > 1.;
        if (s.outcome.converged && !band_cut)
          {
            st_.pressure = s.value;
            if (st_.stack == Stack::punch)
              st_.top = s.top;
            model_.mech->commit();
            model_.li->commit();
            // Damage is explicit: while it still moves, solve again at the
            // same load so that a debond that runs at a constant load
            // (unstable, as from a film edge) runs now, not one update per
            // increment (docs/cohesive.md).
            if (ratio > band_relax_ratio && relaxations < max_band_relaxations)
              {
                ++relaxations;
                s_from = s_to;
                continue;
              }
            if (s_to >= st_.sub + 1. - 1e-12)
              break;
            s_from = s_to;
            s_to   = std::min(st_.sub + 1., s_to + 2. * size);
            size   = s_to - s_from;
            continue;
          }
        model_.mech->revert();
        model_.li->revert();
        if (!band_cut && s.outcome.first_linear_failure && s.outcome.failure == previous_why)
          {
            char sizes[96];
            std::snprintf(sizes, sizeof sizes, "load increments of %.3g and %.3g",
                          2. * (s_to - s_from), s_to - s_from);
            fail(ps, step_size_cannot_fix("mechanics: " + s.outcome.failure, sizes));
          }
        previous_why = !band_cut && s.outcome.first_linear_failure ? s.outcome.failure : "";
        if (!band_cut && s_to - s_from < 1. / 64.)
          fail(ps, "Newton did not converge even with the load increment cut to 1/64 (" +
                     s.outcome.failure + ")");
        s_to = 0.5 * (s_from + s_to);
        size = s_to - s_from;
      }
    ++st_.sub;
    out.accepted  = true;
    out.step_done = st_.sub >= n_up + n_down;
    if (out.step_done && st_.stack == Stack::punch)
      {
        // The punch lifts off: from here the layer is held by exactly the
        // final pressure on its top faces, as in the steps that follow.
        st_.stack          = Stack::pressure;
        const StackSolve h = solve_at_stack(
          *model_.mech, model_.mech_content(model_.li->cell_x(), st_.plated),
          target_at(n_up + n_down), st_, StackTolerance{0., tight});
        out.report.mechanics.add(h.outcome);
        if (!h.outcome.converged)
          fail(ps, "the pressed layer found no equilibrium under the final stack pressure "
                   "once the punch was lifted (" + h.outcome.failure + ")");
        st_.pressure = h.value;
        model_.mech->commit();
        model_.li->commit();
      }
    return out;
  }

  ProtocolDriver::Route ProtocolDriver::route_of(const StepPlan &plan, const double soc_now) const
  {
    // Where the current goes: the alloying phases, or (chemo.plating)
    // plating once they are full, and stripping of plated Li first.
    if (!model_.plating || !plan.galvanostatic)
      return Route::alloy;
    if (plan.sign > 0.)
      return st_.alloy_full || model_.capacity_mol <= 0. ||
                 soc_now >= model_.plating->spec.alloy_until - 1e-9 ?
               Route::plate :
               Route::alloy;
    return st_.plated > 0. ? Route::strip : Route::alloy;
  }

  double ProtocolDriver::dt_cap(const ProtocolStep &ps, const StepPlan &plan,
                                const Route route) const
  {
    // Plating and stripping are not limited by the alloy's state of
    // charge: at least 20 steps per step duration.
    return route == Route::alloy || !ps.duration ? plan.dt_max : *ps.duration / 20.;
  }

  double ProtocolDriver::time_step(const ProtocolStep &ps, const StepPlan &plan,
                                   const Route route, const double soc_now,
                                   bool &final_step) const
  {
    const double capacity = model_.capacity_mol;
    double       dt       = std::min(st_.dt, dt_cap(ps, plan, route));
    final_step            = false;
    if (ps.duration && st_.t_step + dt >= *ps.duration * (1. - 1e-12))
      {
        dt         = *ps.duration - st_.t_step;
        final_step = true;
      }
    if (route == Route::strip && std::abs(plan.rate) * dt >= st_.plated)
      {
        dt         = st_.plated / std::abs(plan.rate); // the last plated Li
        final_step = false;
      }
    if (plan.galvanostatic && ps.until_soc && route == Route::alloy)
      {
        const double t_left = (*ps.until_soc - soc_now) * capacity / plan.rate;
        if (t_left <= 0.)
          {
            dt         = 0.;
            final_step = true;
          }
        else if (dt >= t_left * (1. - 1e-9))
          {
            dt         = t_left;
            final_step = true;
          }
      }
    if (model_.plating && route == Route::alloy && plan.sign > 0. && capacity > 0.)
      {
        // End the alloy part exactly at alloy_until, then plate.
        const double t_left =
          (model_.plating->spec.alloy_until - soc_now) * capacity / plan.rate;
        if (t_left > 0. && dt >= t_left * (1. - 1e-9))
          {
            dt         = t_left;
            final_step = false;
          }
      }
    return dt;
  }

  ProtocolDriver::Attempt ProtocolDriver::attempt(const TransportSource &source,
                                                  const double dt, const double plated_trial,
                                                  const bool charge, const double frame)
  {
    // Staggered passes: transport with the stress of the last pass, then
    // mechanics with the new content.
    const ChemoSpec &chemo       = model_.chemo;
    const StackTolerance tolerance{1e-4 * model_.image.voxel_size[2], 0., frame};
    const bool       coupled     = model_.stress_coupling;
    Attempt          a;
    a.pressure = st_.pressure;
    model_.mech->set_time_step(dt);
    std::vector<double> sigma_h, x_trial;
    auto                fill_sigma = [&](const std::vector<CellStress> &s) {
      sigma_h.assign(s.size(), 0.);
      for (std::size_t i = 0; i < s.size(); ++i)
        sigma_h[i] = hydrostatic(s[i]);
    };
    if (coupled)
      fill_sigma(model_.mech->cell_cauchy_stress());
    for (unsigned int pass = 0; pass < chemo.coupling_iterations; ++pass)
      {
        ++a.report.coupling_passes;
        const TransportStepStatistics ts =
          model_.li->step(dt, source, coupled ? &sigma_h : nullptr);
        a.report.transport_iterations += ts.iterations;
        if (!ts.converged)
          {
            a.ok  = false;
            a.why = ts.message;
            break;
          }
        if (!ts.in_range && charge)
          {
            a.ok      = false;
            a.cut_off = true;
            a.why     = "x left [0, 1] (surface saturated, or Li driven by stress gradients)";
            break;
          }
        const std::vector<double> x_pass = model_.li->cell_x();
        // Converged passes: the content moved by less than the tolerance
        // under the updated stress, so the mechanics of the previous pass
        // stands (it lags by at most coupling_tolerance in x) and is not
        // solved again.
        if (pass > 0)
          {
            double change = 0.;
            for (std::size_t i = 0; i < x_pass.size(); ++i)
              change = std::max(change, std::abs(x_pass[i] - x_trial[i]));
            if (Utilities::MPI::max(change, ctx_.comm) <= chemo.coupling_tolerance)
              break;
          }
        const StackSolve s =
          solve_at_stack(*model_.mech, model_.mech_content(x_pass, plated_trial),
                         st_.stack == Stack::displacement ? st_.top : st_.pressure, st_,
                         tolerance);
        a.report.mechanics.add(s.outcome);
        if (!s.outcome.converged)
          {
            a.ok                   = false;
            a.why                  = "mechanics: " + s.outcome.failure;
            a.first_linear_failure = s.outcome.first_linear_failure;
            break;
          }
        a.pressure = s.value;
        if (!coupled)
          break;
        x_trial = x_pass;
        fill_sigma(model_.mech->cell_cauchy_stress());
      }
    return a;
  }

  ProtocolDriver::Advance ProtocolDriver::advance_time(const ProtocolStep &ps,
                                                       const StepPlan &plan)
  {
    const ChemoSpec &chemo   = model_.chemo;
    const double     soc_now = model_.alloy_soc();
    const Route      route   = route_of(plan, soc_now);
    TransportSource  source;
    if (plan.galvanostatic && route == Route::alloy)
      {
        source.mode                   = SourceMode::galvanostatic;
        source.availability_weighting = chemo.availability_weighting;
        for (const auto &[label, a] : model_.active)
          source.molar_rate[label] =
            plan.rate * a.c_max * model_.phase_volume(label) / model_.capacity_mol;
      }
    else if (ps.surface_soc)
      {
        source.mode      = SourceMode::potentiostatic;
        source.surface_x = *ps.surface_soc;
      }
    // A phase that has lost all contact with the electrolyte cannot pass a
    // current: as a voltage cut-off, end the step (a smaller step does not
    // bring the contact back).
    for (const auto &[label, rate] : source.molar_rate)
      if (rate != 0. && !(model_.li->interface_area(label, true) > 0.))
        {
          ctx_.log("solidanode: cut-off in step '" + ps.name + "': " +
                   model_.active.at(label).name +
                   " has lost all contact with the electrolyte; moving on");
          Advance done;
          done.step_done = true;
          return done;
        }
    bool   final_step = false;
    double dt         = time_step(ps, plan, route, soc_now, final_step);
    if (ps.pressure && st_.stack == Stack::pressure)
      st_.pressure = *ps.pressure; // hold/charge at a new stack pressure
    if (ps.top_displacement)
      st_.top = *ps.top_displacement;
    const double dt_floor = std::max(chemo.dt_min, 1e-9 * plan.dt_span);
    bool         rerouted = false; // the alloy is full: plate from now on
    Advance      out;
    std::string  previous_why; // a first-iteration linear failure of the last try
    bool         cut = false;  // a step was rejected: regrow from the accepted one
    while (dt > 0.)
      {
        double plated_trial = route == Route::alloy ? st_.plated : st_.plated + plan.rate * dt;
        if (route == Route::strip && std::abs(plan.rate) * dt >= st_.plated * (1. - 1e-12))
          plated_trial = 0.; // the last of it (dt was cut to end there)
        Attempt a  = attempt(source, dt, plated_trial, plan.charge,
                             ps.frame_stiffness > 0. ? 1. / ps.frame_stiffness : 0.);
        out.report = a.report;
        if (a.ok && 0.5 * dt >= dt_floor && model_.mech->band_step_ratio() > 1.)
          {
            a.ok  = false; // explicit band damage: a limited opening per step
            a.why = "a cohesive band opened too far in one step";
          }
        if (a.ok)
          {
            model_.mech->commit();
            model_.li->commit();
            st_.pressure = a.pressure;
            st_.plated   = plated_trial;
            if (plan.galvanostatic)
              st_.li_passed += plan.rate * dt;
            break;
          }
        model_.mech->revert();
        model_.li->revert();
        cut = true;
        if (a.first_linear_failure && a.why == previous_why)
          fail(ps, step_size_cannot_fix(a.why, "time steps of " + format_seconds(2. * dt) +
                                                 " and " + format_seconds(dt)));
        previous_why = a.first_linear_failure ? a.why : std::string();
        ctx_.log("solidanode: step of " + format_seconds(dt) + " rejected (" + a.why +
                 "); trying " + format_seconds(0.5 * dt));
        dt *= 0.5;
        final_step = false;
        if (dt >= dt_floor)
          continue;
        if (a.cut_off && model_.plating && plan.sign > 0.)
          {
            // The alloy takes no more: the current plates Li.
            ctx_.log("solidanode: the alloying phases are full in step '" + ps.name +
                     "' (soc " + std::to_string(soc_now) + "); plating from now on");
            st_.alloy_full = true;
            rerouted       = true;
            dt             = 0.;
            break;
          }
        if (a.cut_off)
          {
            // Like a voltage cut-off: the surface is saturated (lithiation)
            // or empty (delithiation); end the step.
            ctx_.log("solidanode: cut-off in step '" + ps.name +
                     "': the surface content reached its limit; moving on");
            dt = 0.;
            break;
          }
        fail(ps, a.why + " and the time step fell below " + format_seconds(dt_floor) +
                   " (chemo.dt_min)");
      }
    out.report.dt = dt;
    if (dt > 0.)
      {
        st_.t_step += dt;
        st_.time += dt;
        // Contact: lost under tension (or where a cohesive band debonded),
        // regained under compression, from the accepted state; acts from the
        // next step on.
        if (std::isfinite(chemo.tensile_strength) || chemo.regain_pressure > 0. ||
            !chemo.interfaces.empty())
          {
            std::vector<double> debonded;
            model_.mech->cell_band_state(nullptr, &debonded);
            out.report.contact_changes = model_.li->update_contact(
              model_.mech->cell_cauchy_stress(), chemo.tensile_strength, chemo.regain_pressure,
              chemo.interfaces.empty() ? nullptr : &debonded);
            model_.li->commit();
          }
        // Next step: grow when easy, keep within the limits.
        const double grow =
          out.report.mechanics.newton <= 6 * out.report.coupling_passes ? 1.5 : 1.;
        st_.dt = std::min(dt_cap(ps, plan, route), cut ? 2. * dt : std::max(st_.dt, dt) * grow);
      }
    out.accepted  = dt > 0.;
    out.step_done = (final_step || dt == 0.) && !rerouted; // dt = 0: reached, or cut off
    return out;
  }
} // namespace solidanode
