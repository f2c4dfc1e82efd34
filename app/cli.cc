#include <app/cli.h>
#include <mesh/voxel_io.h>
#include <solver/case_config.h>
#include <solver/run.h>
#include <solver/yaml_input.h>

#include <deal.II/base/mpi.h>

#include <cstdio>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

namespace solidanode
{
  namespace
  {
    const char *usage = R"(usage: solidanode <command> [arguments]

commands:
  run CASE.yaml [--output DIR] [--overwrite] [--quiet] [-- PETSC_OPTIONS]
      Solve the case; writes DIR/solution.pvd (open in ParaView),
      DIR/summary.csv and DIR/microstructure.vti. DIR defaults to the case's
      output.directory (results/<case name>). Existing results are kept
      unless --overwrite is given. PETSc options (e.g. -ksp_monitor)
      may follow "--".
  generate CASE.yaml IMAGE.vti
      Build (or read) the case's microstructure and write it as .vti.
  info IMAGE.vti
      Print size, voxel size and phase fractions of an image.
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
      bool                     overwrite = false, quiet = false;
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
          else if (s == "--output" || s == "-o")
            {
              if (i + 1 >= argc)
                throw UsageError("--output needs a directory");
              a.output = argv[++i];
            }
          else if (s.rfind("--output=", 0) == 0)
            a.output = s.substr(9);
          else if (!s.empty() && s[0] == '-')
            throw UsageError("unknown option '" + s + "'");
          else
            a.positional.push_back(s);
        }
      return a;
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
  } // namespace

  int cli_main(int argc, char **argv)
  {
    // One thread per rank: parallelism comes from MPI.
    dealii::Utilities::MPI::MPI_InitFinalize mpi(argc, argv, 1);
    const MPI_Comm comm = MPI_COMM_WORLD;
    const bool     root = dealii::Utilities::MPI::this_mpi_process(comm) == 0;

    const std::string command = argc > 1 ? argv[1] : "help";
    try
      {
        if (command == "help" || command == "--help" || command == "-h")
          {
            if (root)
              std::cout << usage;
            return argc > 1 ? 0 : 2;
          }
        if (command == "version" || command == "--version")
          {
            if (root)
              std::cout << "solidanode " << SOLIDANODE_VERSION << " ("
                        << SOLIDANODE_GIT_HASH << ")\n";
            return 0;
          }
        const Args args = parse(argc, argv);
        if (command == "run")
          {
            expect_args(args, 1, "run");
            const CaseConfig config = read_case(args.positional[0]);
            RunOptions       options;
            options.output_directory = args.output;
            options.overwrite        = args.overwrite;
            options.quiet            = args.quiet;
            run_case(config, options, comm);
            return 0;
          }
        if (command == "generate")
          {
            expect_args(args, 2, "generate");
            const CaseConfig config = read_case(args.positional[0]);
            const VoxelImage image  = acquire_image(config.microstructure, comm);
            if (root)
              {
                write_vti(image, args.positional[1]);
                std::cout << "wrote " << args.positional[1] << "\n";
              }
            return 0;
          }
        if (command == "info")
          {
            expect_args(args, 1, "info");
            return root ? command_info(args.positional[0]) : 0;
          }
        if (root)
          std::cerr << "solidanode: unknown command '" << command << "'\n\n" << usage;
        return 2;
      }
    catch (const UsageError &e)
      {
        // Command-line mistakes are detected identically on every rank.
        if (root)
          std::cerr << "solidanode: " << e.what() << "\n\n" << usage;
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
