#include <app/cli.h>
#include <app/sweep_runner.h>
#include <mesh/morphology.h>
#include <mesh/sphere_generator.h>
#include <mesh/voxel_io.h>
#include <base/file_utils.h>
#include <solver/input/case_config.h>
#include <solver/drivers/case_check.h>
#include <solver/drivers/homogenize.h>
#include <solver/drivers/run.h>
#include <solver/drivers/run_support.h>
#include <study/case_overrides.h>
#include <study/sweep.h>
#include <base/yaml_input.h>

#include <deal.II/base/mpi.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace solidanode
{
  namespace
  {
    const char *usage = R"(usage: solidanode <command> [arguments]

commands:
  run CASE.yaml [--output DIR] [--overwrite | --restart] [--quiet]
                [--max-increments N] [--set PATH=VALUE]... [-- PETSC_OPTIONS]
      Solve the case; writes DIR/solution.pvd (open in ParaView),
      DIR/interfaces.pvd, DIR/summary.csv, DIR/profiles_*.csv, DIR/run.json,
      DIR/solidanode.log and DIR/microstructure.vti. DIR defaults to the
      case's output.directory (results/<case name>). Existing results are
      kept unless --overwrite is given; --restart continues from
      DIR/checkpoint.json. SIGTERM/SIGUSR1 make the run write a checkpoint
      after the current increment and stop (exit code 3), as does
      --max-increments N after N increments. PETSc options (e.g.
      -ksp_monitor) may follow "--". --set changes one value of the case
      file (repeatable): PATH as in a study's parameters (docs/input.md),
      e.g. --set 'steps[0].top=50 MPa' --set solver.rtol=1e-6.
  check CASE.yaml [--set PATH=VALUE]...
      Validate the case (and build or read its image), print the resolved
      input in SI units and estimate memory and time per increment from
      per-voxel costs measured on the project's machine.
  generate CASE.yaml IMAGE.vti
      Build (or read) the case's microstructure and write it as .vti.
  info IMAGE.vti
      Print size, voxel size and phase fractions of an image.
  analyze IMAGE.vti|CASE.yaml [--json OUT.json] [--pore-phase NAME]...
          [--surface-phases NAME,NAME]
      Morphology (docs/morphology.md): volume fractions, porosity, interface
      areas and specific areas, z connectivity, component sizes, roughness
      of the top surface. Table on stdout; JSON (SI units) with --json.
  sweep STUDY.yaml [--dry-run] [--np N] [--case K] [--collect] [--output DIR]
      Parameter study (cluster/README.md): runs every case of the study as
      "mpirun -np N solidanode run" in DIR/case_NNNN/ (finished cases are
      skipped, stopped ones restarted) and writes DIR/study.csv. --case K
      runs case K only (job arrays), --collect only rebuilds study.csv,
      --dry-run lists and checks the cases (exit 1 if one is invalid).
      SOLIDANODE_MPIRUN replaces mpirun (srun is given --ntasks=N).
  homogenize CASE.yaml [--output DIR]
      Effective conductivity and tortuosity factor of each network of the
      case's 'homogenize' section (potential drop between opposite faces),
      and with 'elasticity: true' the 6x6 effective stiffness (kinematic
      uniform BCs, an upper bound). Writes DIR/homogenize.json and
      DIR/current_<network>.pvtu (docs/homogenization.md).
  help | --help     This text.
  version | --version

Run in parallel with: mpirun -np N solidanode run CASE.yaml
)";

    /// A mistake on the command line (same on every rank).
    class UsageError : public std::runtime_error
    {
    public:
      using std::runtime_error::runtime_error;
    };

    struct Args
    {
      std::vector<std::string> positional;
      std::string              output;
      std::string              json; ///< analyze --json
      std::vector<std::string> pore_phases, surface_phases; ///< analyze
      std::vector<std::string> sets; ///< run, check: --set PATH=VALUE
      bool                     overwrite = false, quiet = false, restart = false;
      unsigned int             max_increments = 0;
    };

    Args parse(int argc, char **argv)
    {
      Args a;
      for (int i = 2; i < argc; ++i)
        {
          const std::string s = argv[i];
          if (s == "--")
            break; // the rest is for PETSc, which reads argv itself
          if (s == "--overwrite")
            a.overwrite = true;
          else if (s == "--quiet" || s == "-q")
            a.quiet = true;
          else if (s == "--restart")
            a.restart = true;
          else if (s == "--max-increments")
            {
              if (i + 1 >= argc)
                throw UsageError("--max-increments needs a number");
              const std::string v = argv[++i];
              if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos ||
                  v.size() > 9)
                throw UsageError("--max-increments needs a whole number from 1 to 999999999, "
                                 "got '" + v + "'");
              a.max_increments = static_cast<unsigned int>(std::stoul(v));
              if (a.max_increments == 0)
                throw UsageError("--max-increments must be at least 1, got '" + v +
                                 "' (leave it out to run every increment)");
            }
          else if (s == "--output" || s == "-o")
            {
              if (i + 1 >= argc)
                throw UsageError("--output needs a directory");
              a.output = argv[++i];
            }
          else if (s == "--json" || s == "--pore-phase" || s == "--surface-phases")
            {
              if (i + 1 >= argc)
                throw UsageError(s + " needs a value");
              const std::string v = argv[++i];
              if (s == "--json")
                a.json = v;
              else if (s == "--pore-phase")
                a.pore_phases.push_back(v);
              else
                for (std::size_t b = 0, e; b <= v.size(); b = e + 1)
                  {
                    e = std::min(v.find(',', b), v.size());
                    if (e > b)
                      a.surface_phases.push_back(v.substr(b, e - b));
                  }
            }
          else if (s == "--set")
            {
              if (i + 1 >= argc)
                throw UsageError("--set needs PATH=VALUE, e.g. --set 'steps[0].top=50 MPa'");
              a.sets.push_back(argv[++i]);
            }
          else if (s.rfind("--set=", 0) == 0)
            a.sets.push_back(s.substr(6));
          else if (s.rfind("--output=", 0) == 0)
            a.output = s.substr(9);
          else if (!s.empty() && s[0] == '-')
            throw UsageError("unknown option '" + s + "'");
          else
            a.positional.push_back(s);
        }
      return a;
    }

    /// The case of 'run' or 'check' with its --set overrides.
    CaseConfig read_case_args(const Args &a)
    {
      std::vector<CaseOverride> overrides;
      for (const auto &text : a.sets)
        overrides.push_back(parse_case_override(text));
      return read_case_with_overrides(a.positional[0], overrides);
    }

    void expect_args(const Args &a, std::size_t n, const char *command)
    {
      if (a.positional.size() != n)
        throw UsageError(std::string("'") + command + "' expects " +
                                    std::to_string(n) + " argument(s), got " +
                                    std::to_string(a.positional.size()));
    }

    int command_info(const std::string &path)
    {
      const VoxelImage image = read_vti(path);
      std::printf("%s: %zu x %zu x %zu voxels of %g x %g x %g um, origin (%g, %g, %g) um\n",
                  path.c_str(), image.dims[0], image.dims[1], image.dims[2],
                  image.voxel_size[0] * 1e6, image.voxel_size[1] * 1e6,
                  image.voxel_size[2] * 1e6, image.origin[0] * 1e6,
                  image.origin[1] * 1e6, image.origin[2] * 1e6);
      for (const auto &[label, fraction] : image.volume_fractions())
        {
          const auto it = image.phase_names.find(label);
          std::printf("  label %3d %-12s volume fraction %.4f\n", int(label),
                      it == image.phase_names.end() ? "(unnamed)" : it->second.c_str(),
                      fraction);
        }
      return 0;
    }

    /// analyze IMAGE.vti | CASE.yaml; the analysis is in mesh/morphology.cc.
    /// The image is analysed on rank 0; its errors reach every rank.
    int command_analyze(const Args &args, const MPI_Comm comm)
    {
      const std::string &input = args.positional[0];
      const std::string  ext   = std::filesystem::path(input).extension().string();
      const bool         yaml  = ext == ".yaml" || ext == ".yml";
      VoxelImage         image;
      MorphologyOptions  options;
      options.pore_phases    = args.pore_phases;
      options.surface_phases = args.surface_phases;
      std::optional<MicrostructureSpec> generate_here;
      if (yaml)
        {
          const CaseConfig config = read_case(input);
          const auto      &spec   = config.microstructure;
          // Generated on rank 0 alone, to get the generator's counts.
          if (spec.source == MicrostructureSpec::Source::generate && spec.operations.empty())
            generate_here = spec;
          else
            image = acquire_image(spec, comm);
        }
      on_root_or_throw(comm, [&] {
        if (generate_here)
          {
            const auto     &spec = *generate_here;
            GeneratorReport report;
            image = generate_spheres(spec.generator, &report);
            for (const auto &w : fraction_warnings(spec.generator, report))
              std::cerr << "solidanode: warning: " << w << "\n" << std::flush;
            for (const auto &[label, name] : spec.phase_names)
              image.phase_names[label] = name;
            options.generator_particles[spec.generator.particle_phase] = report.n_particles;
            if (report.n_pores > 0)
              options.generator_particles[spec.generator.pore_phase] = report.n_pores;
          }
        else if (!yaml)
          image = read_vti(input);
        const MorphologyReport report = analyze_morphology(image, options, input);
        std::cout << morphology_table(report);
        if (!args.json.empty())
          {
            atomic_write_text(args.json, morphology_json(report));
            std::cout << "wrote " << args.json << "\n";
          }
      });
      return 0;
    }
  } // namespace

  int cli_main(int argc, char **argv)
  {
    // No MPI in the sweep driver itself: every case is its own mpirun.
    if (argc > 1 && std::string(argv[1]) == "sweep")
      return sweep_main(argc, argv);
    // One thread per rank: parallelism comes from MPI.
    dealii::Utilities::MPI::MPI_InitFinalize mpi(argc, argv, 1);
    const MPI_Comm comm = MPI_COMM_WORLD;
    const bool     root = dealii::Utilities::MPI::this_mpi_process(comm) == 0;

    const std::string command = argc > 1 ? argv[1] : "help";
    try
      {
        if (command == "help" || command == "--help" || command == "-h")
          {
            if (root && argc > 1)
              std::cout << usage;
            else if (root)
              std::cerr << "solidanode: error: no command given\n\n" << usage;
            return argc > 1 ? 0 : 2;
          }
        if (command == "version" || command == "--version")
          {
            if (root)
              std::cout << solidanode_banner() << "\n";
            return 0;
          }
        const Args args = parse(argc, argv);
        if (!args.sets.empty() && command != "run" && command != "check")
          throw UsageError("--set applies to 'run' and 'check' only (studies: the "
                           "parameters of a study file)");
        if (command == "run")
          {
            expect_args(args, 1, "run");
            const CaseConfig config = read_case_args(args);
            RunOptions       options;
            options.output_directory = args.output;
            options.overwrite        = args.overwrite;
            options.quiet            = args.quiet;
            options.restart          = args.restart;
            options.max_increments   = args.max_increments;
            if (options.restart && options.overwrite)
              throw UsageError("--restart and --overwrite exclude each other");
            install_checkpoint_signal_handlers();
            const RunResult result = run_case(config, options, comm);
            // 3: stopped early with a checkpoint (signal or --max-increments).
            return result.completed ? 0 : 3;
          }
        if (command == "check")
          {
            expect_args(args, 1, "check");
            run_check(read_case_args(args), comm);
            return 0;
          }
        if (command == "generate")
          {
            expect_args(args, 2, "generate");
            const CaseConfig config = read_case(args.positional[0]);
            const VoxelImage image  = acquire_image(config.microstructure, comm);
            on_root_or_throw(comm, [&] {
              write_vti(image, args.positional[1]);
              std::cout << "wrote " << args.positional[1] << "\n";
            });
            return 0;
          }
        if (command == "homogenize")
          {
            expect_args(args, 1, "homogenize");
            run_homogenize(read_case(args.positional[0]), args.output, comm);
            return 0;
          }
        if (command == "analyze")
          {
            expect_args(args, 1, "analyze");
            return command_analyze(args, comm);
          }
        if (command == "info")
          {
            expect_args(args, 1, "info");
            on_root_or_throw(comm, [&] { command_info(args.positional[0]); });
            return 0;
          }
        if (root)
          std::cerr << "solidanode: error: unknown command '" << command
                    << "' (expected run, check, generate, info, analyze, homogenize, sweep, "
                       "help or version)\n\n"
                    << usage;
        return 2;
      }
    catch (const UsageError &e)
      {
        // Command-line mistakes are detected identically on every rank.
        if (root)
          std::cerr << "solidanode: error: " << e.what() << "\n\n" << usage;
        return 2;
      }
    catch (const InputError &e)
      {
        if (root)
          std::cerr << "solidanode: error: " << e.what() << "\n";
        return 1;
      }
    catch (const CollectiveError &e)
      {
        if (root)
          std::cerr << "solidanode: error: " << e.what() << "\n";
        return 1;
      }
    catch (const std::exception &e)
      {
        // An error on this rank only: the others may wait in a collective
        // call, so end the whole job rather than hang.
        const unsigned int rank = dealii::Utilities::MPI::this_mpi_process(comm);
        std::cerr << "solidanode: error on rank " << rank << ": " << e.what() << "\n";
        if (dealii::Utilities::MPI::n_mpi_processes(comm) > 1)
          MPI_Abort(comm, 1);
        return 1;
      }
  }
} // namespace solidanode
