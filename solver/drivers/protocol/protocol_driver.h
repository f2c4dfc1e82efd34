// The chemo-mechanical protocol driver: a case with a 'protocol' section
// (press, hold, lithiate, delithiate, rest, set_soc), Li transport and
// finite- or small-strain elasto-plastic mechanics coupled by a staggered
// scheme with adaptive time steps (docs/chemo_mechanics.md).
//
// The parts, each in a file of its own:
//   protocol_model.h       the problem: image, phase table, mesh, solvers
//   protocol_state.h       where the run is (restart state)
//   stack_control.h        the mechanical solve at the stack condition
//   plating_site.h         the Li plating site of Li-free anodes
//   protocol_record.h      summary.csv rows, fields, log lines
//   protocol_checkpoint.h  checkpoint.json + per-rank cell states
#pragma once

#include <solver/drivers/protocol/protocol_checkpoint.h>
#include <solver/drivers/protocol/protocol_model.h>
#include <solver/drivers/protocol/protocol_record.h>
#include <solver/drivers/protocol/protocol_state.h>
#include <solver/drivers/run_options.h>
#include <solver/drivers/run_support.h>

namespace solidanode
{
  class ProtocolDriver
  {
  public:
    /// Output directory, image, mesh and solvers (config.chemo must be set).
    ProtocolDriver(const CaseConfig &config, const RunOptions &options, MPI_Comm comm);

    /// Run the protocol (from the checkpoint with options.restart) until its
    /// end, a stop signal or options.max_increments. Collective.
    RunResult run();

  private:
    /// The current step's rates and time-step limits.
    struct StepPlan
    {
      bool   charge        = false; ///< lithiate or delithiate
      bool   galvanostatic = false;
      double sign          = 1.;    ///< -1 for delithiation
      double rate          = 0.;    ///< Li rate of a galvanostatic step [mol/s]
      double dt_span       = 0.;    ///< the step's time scale [s]
      double dt_max        = 0.;    ///< largest time step [s]
    };
    /// Where the current goes in a time step.
    enum class Route
    {
      alloy, ///< into the alloying phases
      plate, ///< the alloy is full (chemo.plating): Li plates on the site
      strip  ///< delithiation strips plated Li first
    };
    /// One attempt of a coupled time step (transport and mechanics).
    struct Attempt
    {
      bool        ok      = true;
      bool        cut_off = false; ///< x left [0, 1] in a charge step
      std::string why;             ///< of a failure
      bool        first_linear_failure = false; ///< MechOutcome::first_linear_failure
      double      pressure = 0.;   ///< stack pressure reached [Pa]
      IncrementReport report;
    };
    /// What one call to advance_*() did.
    struct Advance
    {
      bool            accepted  = false; ///< an increment to record
      bool            step_done = false;
      IncrementReport report;
    };

    StepPlan plan_step(const ProtocolStep &ps) const;
    void     begin_step(const ProtocolStep &ps, const StepPlan &plan);
    /// press / set_soc: one load increment, split in halves while Newton fails.
    Advance  advance_load(const ProtocolStep &ps);
    /// hold / rest / lithiate / delithiate: one time step, halved while it fails.
    Advance  advance_time(const ProtocolStep &ps, const StepPlan &plan);
    Route    route_of(const StepPlan &plan, double soc_now) const;
    /// Largest time step of a route [s].
    double   dt_cap(const ProtocolStep &ps, const StepPlan &plan, Route route) const;
    /// The time step to try: the step's limits, its end, the end of the
    /// plated Li, until_soc and alloy_until. Sets @p final_step.
    double   time_step(const ProtocolStep &ps, const StepPlan &plan, Route route,
                       double soc_now, bool &final_step) const;
    /// One staggered transport-mechanics solve of @p dt; @p frame: the
    /// compliance of the cell frame at a held gap [m/Pa] (StackTolerance).
    Attempt  attempt(const TransportSource &source, double dt, double plated_trial, bool charge,
                     double frame);
    /// Checkpoint when due; true when the run stops here (signal, chunk end).
    bool     checkpoint_or_stop();
    [[noreturn]] void fail(const ProtocolStep &ps, const std::string &why);
    Json     run_record() const;

    RunContext         ctx_;
    ProtocolModel      model_;
    ProtocolRecorder   recorder_;
    ProtocolCheckpoint checkpoint_;
    ProtocolState      st_;
    unsigned int       run_count_ = 0; ///< increments solved in this run
  };
} // namespace solidanode
