#include <solver/drivers/case_check.h>

#include <mesh/voxel_mesh.h>
#include <solver/drivers/acquire_image.h>
#include <solver/drivers/run_support.h>
#include <solver/input/resolved_case.h>
#include <solver/input/resolved_protocol.h>
#include <solver/materials/phase_table.h>

#include <deal.II/base/mpi.h>

#include <cstdio>
#include <iostream>
#include <sstream>

namespace solidanode
{
  namespace
  {
    // Per-voxel costs measured on the project's 2-core, 24 GB machine,
    // idle (docs/performance.md, "Measured" tables; cluster/README.md,
    // "Memory"). Memory: the marginal cost per voxel plus a fixed cost per
    // rank (MPI, PETSc, VTK, the 1-byte label image on every rank).
    constexpr double fixed_bytes_per_rank = 0.3e9;
    // Matrix-free CG + geometric multigrid: 2.4 GB per million voxels
    // (128^3: 5.13 GB on 2 ranks); setup (mesh, DoFs, operator, multigrid)
    // 14.5 s and one solve 5.72 s on 2 cores for 128^3 = 2.10 M voxels.
    constexpr double mf_bytes_per_voxel      = 2.4e3;
    constexpr double mf_setup_core_s         = 14.5 * 2 / 2.097e6;
    constexpr double mf_solve_core_s         = 5.72 * 2 / 2.097e6;
    // Assembled matrix + PETSc GAMG: 14 GB per million voxels (64^3: 3.68 GB
    // on 2 ranks); setup (mesh, DoFs, assembly, GAMG) 14.0 s, one solve
    // 5.24 s on 2 cores for 64^3 = 0.262 M voxels.
    constexpr double amg_bytes_per_voxel     = 14e3;
    constexpr double amg_setup_core_s        = 14.0 * 2 / 2.62e5;
    constexpr double amg_solve_core_s        = 5.24 * 2 / 2.62e5;
    // Protocol cases: assembled tangent + GAMG plus Li and history fields,
    // 15-16 GB per million voxels (cluster/README.md, an estimate); every
    // Newton iteration re-assembles and solves (about one GAMG setup + solve)
    // and a time step takes 4-7 Newton iterations (README.md).
    constexpr double protocol_bytes_per_voxel = 15.5e3;
    constexpr double newton_low = 4., newton_high = 7.;
    // Output per output time with the default settings (Float32, zlib,
    // fields and interfaces; README.md "Outputs"): 69.8 B/voxel measured on
    // inputs/demo.yaml, 90.4 B/voxel on inputs/si_swcnt_lpscl_cycle.yaml.
    constexpr double steps_output_bytes_per_voxel    = 69.8;
    constexpr double protocol_output_bytes_per_voxel = 90.4;

    std::string bytes_text(double b)
    {
      char buf[32];
      if (b >= 1e9)
        std::snprintf(buf, sizeof buf, "%.2f GB", b / 1e9);
      else
        std::snprintf(buf, sizeof buf, "%.0f MB", b / 1e6);
      return buf;
    }

    std::string seconds_text(double s)
    {
      char buf[32];
      if (s < 120)
        std::snprintf(buf, sizeof buf, "%.3g s", s);
      else if (s < 7200)
        std::snprintf(buf, sizeof buf, "%.3g min", s / 60);
      else
        std::snprintf(buf, sizeof buf, "%.3g h", s / 3600);
      return buf;
    }
  } // namespace

  CostEstimate estimate_cost(const CaseConfig &config, const std::array<std::size_t, 3> &dims,
                             const unsigned int ranks)
  {
    CostEstimate e;
    e.ranks  = ranks == 0 ? 1 : ranks;
    e.voxels = dims[0] * dims[1] * dims[2];
    const double n = double(e.voxels), cores = double(e.ranks);
    double       bytes_per_voxel = 0., setup = 0., low = 0., high = 0.;
    if (config.chemo)
      {
        e.solver        = "protocol (assembled tangent + GAMG, Newton)";
        bytes_per_voxel = protocol_bytes_per_voxel;
        setup           = amg_setup_core_s;
        low             = newton_low * (amg_setup_core_s + amg_solve_core_s);
        high            = newton_high * (amg_setup_core_s + amg_solve_core_s);
        e.source = "cluster/README.md (protocol memory, an estimate), docs/performance.md "
                   "(64^3 GAMG setup + solve on 2 idle cores) times 4-7 Newton iterations "
                   "per time step (README.md)";
      }
    else
      {
        const bool mf = config.solver.method == SolverSpec::Method::mf &&
                        plan_voxel_mesh(dims).n_refinements > 0;
        e.solver        = mf ? "mf (matrix-free CG + geometric multigrid)" :
                               "amg (assembled matrix, PETSc CG + GAMG)";
        bytes_per_voxel = mf ? mf_bytes_per_voxel : amg_bytes_per_voxel;
        setup           = mf ? mf_setup_core_s : amg_setup_core_s;
        low = high = mf ? mf_solve_core_s : amg_solve_core_s;
        e.source = std::string("docs/performance.md: ") +
                   (mf ? "128^3 matrix-free" : "64^3 GAMG") +
                   " on 2 idle cores; memory per million voxels from cluster/README.md";
        for (const auto &s : config.steps)
          e.increments += s.increments;
      }
    e.output_bytes_per_increment =
      n * (config.chemo ? protocol_output_bytes_per_voxel : steps_output_bytes_per_voxel);
    e.memory_total_bytes         = bytes_per_voxel * n + fixed_bytes_per_rank * cores;
    e.memory_per_rank_bytes      = bytes_per_voxel * n / cores + fixed_bytes_per_rank;
    e.setup_seconds              = setup * n / cores;
    e.seconds_per_increment      = low * n / cores;
    e.seconds_per_increment_high = high * n / cores;
    return e;
  }

  std::string check_report(const CaseConfig &config, const VoxelImage &image,
                           const CostEstimate &e)
  {
    Json resolved = resolved_case(config, image);
    if (config.chemo)
      add_resolved_protocol(resolved, config, *config.chemo);
    std::ostringstream o;
    o << config.file << ": valid. Resolved input (SI units, defaults filled in; the same as "
      << "run.json's \"case\"):\n"
      << resolved.dump() << "\n";
    char buf[512];
    std::snprintf(buf, sizeof buf,
                  "estimate for %zu x %zu x %zu = %zu voxels on %u rank(s), solver %s:\n",
                  image.dims[0], image.dims[1], image.dims[2], e.voxels, e.ranks,
                  e.solver.c_str());
    o << buf;
    o << "  memory: " << bytes_text(e.memory_total_bytes) << " in all, "
      << bytes_text(e.memory_per_rank_bytes) << " per rank\n";
    o << "  setup (mesh, DoFs, operator/preconditioner): " << seconds_text(e.setup_seconds)
      << "\n";
    o << "  per increment: " << seconds_text(e.seconds_per_increment);
    if (e.seconds_per_increment_high > e.seconds_per_increment)
      o << " to " << seconds_text(e.seconds_per_increment_high);
    if (e.increments > 0)
      o << "; " << e.increments << " increment(s): about "
        << seconds_text(e.setup_seconds + e.increments * e.seconds_per_increment) << " in all";
    else
      o << " (protocol time steps are adaptive: their number is not known in advance)";
    o << "\n  (idle machine; expect 2-4x longer when the cores are shared; writing the "
         "output adds to each output increment)\n";
    o << "  output: about " << bytes_text(e.output_bytes_per_increment)
      << " per output increment with the default output settings\n";
    o << "  constants: " << e.source << "\n";
    return o.str();
  }

  void run_check(const CaseConfig &config, MPI_Comm comm)
  {
    const VoxelImage image = acquire_image(config.microstructure, comm);
    check_image_phases(config, image);
    const PhaseTable table(config, image); // the laws against the phases
    (void)table;
    const CostEstimate e =
      estimate_cost(config, image.dims, dealii::Utilities::MPI::n_mpi_processes(comm));
    if (dealii::Utilities::MPI::this_mpi_process(comm) == 0)
      std::cout << check_report(config, image, e) << std::flush;
  }
} // namespace solidanode
