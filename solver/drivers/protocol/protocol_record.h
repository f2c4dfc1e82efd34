// What a protocol run records of each accepted increment: one row of
// summary.csv (global state, per phase, per solid phase pair, plating), the
// volume and interface fields every output.every-th increment, and the
// progress line of the log.
#pragma once

#include <postprocess/interfaces.h>
#include <postprocess/summary.h>
#include <solver/drivers/protocol/protocol_model.h>
#include <solver/drivers/protocol/protocol_state.h>
#include <solver/drivers/protocol/stack_control.h>
#include <solver/drivers/run_support.h>
#include <solver/drivers/stress_limits.h>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace solidanode
{
  /// The work of one accepted increment, as the steps report it.
  struct IncrementReport
  {
    double       dt = 0.;   ///< time step [s] (0 for load increments)
    MechOutcome  mechanics; ///< Newton and linear iterations, times
    unsigned int transport_iterations = 0;
    unsigned int coupling_passes      = 0;
    unsigned int contact_changes      = 0;
    bool         write_fields         = false;
    double       wall_seconds         = 0.;
  };

  class ProtocolRecorder
  {
    const ProtocolModel &model_;
    RunContext          &ctx_;
    StressLimitWatch     limits_;
    /// The pore labels as image labels.
    std::set<std::uint8_t> pore_set_;

  public:
    ProtocolRecorder(const ProtocolModel &model, RunContext &ctx);

    /// Count the increment (st.increment), add its row, write its fields if
    /// asked, print its line. Collective.
    void record(ProtocolState &st, const ProtocolStep &ps, const IncrementReport &r);

    CsvTable     summary;
    OutputSeries series;

  private:
    using Row = std::map<std::string, std::string>;
    /// Pore fraction around each owned cell (reference configuration, as in
    /// steps runs); empty when not written.
    std::vector<double> local_porosity_;
    struct Volumes; // per-phase statistics of one state

    static std::vector<std::string> phase_names(const ProtocolModel &model);
    std::vector<std::string> columns() const;
    Volumes gather(const std::vector<CellStress> &stress, const std::vector<double> &det_f,
                   const std::vector<double> &eps_p, const std::vector<double> &vol) const;
    void add_phase_columns(Row &row, Volumes &v, const InterfaceSummary &interfaces);
    /// Per cohesive interface: mean damage and debonded fraction of its band cells.
    void add_band_columns(Row &row) const;
    void add_plating_columns(Row &row, const ProtocolState &st, Volumes &v,
                             const InterfaceSummary &interfaces, double li_alloy,
                             const std::vector<CellStress> &stress) const;
    InterfaceSummary interfaces(const std::vector<CellStress> &stress,
                                const std::vector<std::uint8_t> &closed_pore,
                                PolygonPiece *piece) const;
    /// Pore cells closed by pressing (det F <= max(0.2, 2 J_c)), per cell
    /// (owned and ghost), and the contacts they make (all ranks).
    std::vector<std::uint8_t> closed_pores(const std::vector<double> &det_f) const;
    /// closed_pore_fraction, pressed_contact_area_*, contact_fraction_<active>.
    void add_pressed_columns(Row &row, const std::vector<std::uint8_t> &closed,
                             const InterfaceSummary &interfaces) const;
    void write_fields(const ProtocolState &st, const std::vector<CellStress> &stress,
                      const std::vector<double> &det_f, const std::vector<double> &eps_p,
                      const PolygonPiece *interface_piece);
  };
} // namespace solidanode
