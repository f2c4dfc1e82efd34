// The small-strain `steps` driver: a case with a 'steps' section (top load
// and phase eigenstrains ramped in increments), linear elasticity solved by
// the matrix-free multigrid or the assembled GAMG solver
// (solver/elasticity/small_strain_solver.h), one summary.csv row, fields,
// interface map and profiles per increment (docs/elasticity.md).
#pragma once

#include <postprocess/interfaces.h>
#include <postprocess/summary.h>
#include <solver/drivers/run_options.h>
#include <solver/drivers/run_support.h>
#include <solver/drivers/stress_limits.h>
#include <solver/elasticity/small_strain_solver.h>
#include <solver/materials/phase_table.h>

#include <mesh/voxel_mesh.h>

#include <deal.II/base/timer.h>
#include <deal.II/distributed/tria.h>

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace solidanode
{
  class StepsDriver
  {
  public:
    /// Output directory, image, phases, mesh and solver.
    StepsDriver(const CaseConfig &config, const RunOptions &options, MPI_Comm comm);

    /// Every increment of every step (after the checkpoint with
    /// options.restart), until the end, a stop signal or
    /// options.max_increments. Collective.
    RunResult run();

  private:
    /// The load and its position in the steps.
    struct Increment
    {
      unsigned int number = 0; ///< 1-based over all steps
      std::size_t  step   = 0;
      LoadState    load;
    };
    /// The solved state of one increment.
    struct Solved
    {
      SolveStatistics         stats;
      std::vector<CellStress> stress;
      std::vector<double>     volumetric; ///< tr eps per cell
    };

    void set_up_solver();
    void compute_local_porosity();
    std::vector<std::string> columns() const;
    /// Top load and eigenstrains (by phase name) of increment k of step s,
    /// from the steps before it, so that a restart resumes the ramp exactly.
    Increment load_of(std::size_t s, unsigned int k, unsigned int number);
    Solved    solve(const Increment &inc);
    /// Non-finite stress: CollectiveError. Inverted voxels, thickness <= 0,
    /// porosity outside [0, 1]: CollectiveError unless
    /// solver.allow_invalid_states, then logged, and returned (else "").
    std::string check_state(const Increment &inc, const Solved &solved);
    /// Increments with an invalid state (allow_invalid_states), for run.json;
    /// the last one's text goes into its summary row.
    std::vector<std::pair<unsigned int, std::string>> invalid_states_;
    std::string                                       invalid_state_;
    /// Row, fields, interface map, profiles and the log line with the
    /// increment's wall time so far (@p timer). Collective.
    void      record_increment(const Increment &inc, const Solved &solved,
                               const dealii::Timer &timer);
    void      write_profiles(const std::string &base, const Solved &solved,
                             const InterfaceSummary &interfaces);
    void      write_checkpoint(unsigned int increment);
    void      restore_checkpoint();
    /// Checkpoint when due; true when the run stops here.
    bool      checkpoint_or_stop(unsigned int increment);

    const CaseConfig                       &config_;
    RunContext                              ctx_;
    VoxelImage                              image_;
    std::unique_ptr<PhaseTable>             table_;
    std::map<unsigned int, ElasticPhase>    phases_;
    std::set<unsigned int>                  pore_labels_;
    std::set<std::uint8_t>                  pore_labels8_;
    bool                                    matrix_free_ = false;
    std::unique_ptr<dealii::parallel::distributed::Triangulation<3>> tria_;
    VoxelMeshInfo                           mesh_info_;
    std::unique_ptr<SmallStrainSolver>      solver_;
    bool                                    pressure_bc_;
    std::string                             applied_column_;
    double                                  initial_thickness_ = 0., cell_volume_ = 0.;
    std::vector<double>                     local_porosity_; ///< empty: not written
    std::vector<double>                     porosity_per_slice_;
    std::unique_ptr<StressLimitWatch>       limits_;
    CsvTable                                summary_;
    OutputSeries                            series_;

    double                        top_ = 0.;        ///< top load of the last increment
    std::map<std::string, double> eig_;             ///< eigenstrain by phase name
    unsigned int                  done_ = 0;        ///< increments finished before a restart
    unsigned int                  total_increments_ = 0;
    unsigned int                  run_count_   = 0; ///< increments solved in this run
    double                        solve_total_ = 0.;
  };
} // namespace solidanode
