#include <app/sweep_runner.h>

#include <base/file_utils.h>
#include <base/json.h>
#include <solver/input/case_config.h>
#include <study/sweep.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace fs = std::filesystem;

namespace solidanode
{
  namespace
  {
    std::string read_text_file(const std::string &path)
    {
      std::ifstream      in(path, std::ios::binary);
      std::ostringstream ss;
      ss << in.rdbuf();
      return ss.str();
    }

    /// The last error line of a log (a line with "error"), else its last
    /// non-empty lines.
    std::string log_error(const std::string &log_file)
    {
      std::ifstream            in(log_file);
      std::vector<std::string> lines;
      for (std::string line; std::getline(in, line);)
        if (line.find_first_not_of(" \t\r") != std::string::npos)
          lines.push_back(line);
      for (auto it = lines.rbegin(); it != lines.rend(); ++it)
        {
          std::string lower = *it;
          std::transform(lower.begin(), lower.end(), lower.begin(),
                         [](unsigned char ch) { return std::tolower(ch); });
          if (lower.find("error") != std::string::npos)
            return *it;
        }
      std::string s;
      for (std::size_t i = lines.size() > 3 ? lines.size() - 3 : 0; i < lines.size(); ++i)
        s += (s.empty() ? "" : " | ") + lines[i];
      return s.empty() ? "(empty log)" : s;
    }

    volatile std::sig_atomic_t stop_signal = 0;
    volatile pid_t             running_child = 0;

    /// Open MPI's mpirun answers SIGTERM by killing its ranks a second later
    /// (odls_base_sigkill_timeout = 1 s), before they can finish the
    /// increment and write a checkpoint; SIGUSR1 it forwards to the ranks.
    /// So the first SIGTERM or SIGUSR1 goes on to the case as SIGUSR1 (a run
    /// treats both alike: checkpoint, exit 3), a later SIGTERM as SIGTERM.
    extern "C" void forward_signal(int sig)
    {
      const bool escalate = stop_signal != 0 && sig == SIGTERM;
      stop_signal         = sig;
      if (running_child > 0)
        ::kill(running_child, escalate ? SIGTERM : SIGUSR1);
    }

    /// Run @p argv with stdout+stderr appended to @p log; returns the exit
    /// code (128 + signal if killed, 127 if it could not start).
    int spawn_and_wait(const std::vector<std::string> &argv, const std::string &log)
    {
      std::vector<char *> args;
      for (const auto &a : argv)
        args.push_back(const_cast<char *>(a.c_str()));
      args.push_back(nullptr);
      std::cout.flush();
      std::fflush(nullptr);
      const pid_t pid = ::fork();
      if (pid < 0)
        throw std::runtime_error("cannot fork a process for a case");
      if (pid == 0)
        {
          const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
          if (fd >= 0)
            {
              ::dup2(fd, 1);
              ::dup2(fd, 2);
              ::close(fd);
            }
          const int devnull = ::open("/dev/null", O_RDONLY);
          if (devnull >= 0)
            ::dup2(devnull, 0);
          ::signal(SIGTERM, SIG_DFL);
          ::signal(SIGUSR1, SIG_DFL);
          ::execvp(args[0], args.data());
          std::fprintf(stderr, "solidanode sweep: error: cannot start '%s': %s\n", args[0],
                       std::strerror(errno));
          ::_exit(127);
        }
      running_child = pid;
      int status    = 0;
      while (::waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
          break;
      running_child = 0;
      if (WIFEXITED(status))
        return WEXITSTATUS(status);
      if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
      return 1;
    }

    std::string program_path(const SweepOptions &o)
    {
      if (!o.program.empty())
        return o.program;
      std::error_code ec;
      const fs::path  p = fs::read_symlink("/proc/self/exe", ec);
      if (ec)
        throw std::runtime_error("cannot find this program's path (/proc/self/exe)");
      return p.string();
    }

    /// mpirun with what Open MPI needs in containers (as cluster/mpirun.sh).
    /// SOLIDANODE_MPIRUN replaces the launcher: srun (given --ntasks=N) or an
    /// mpirun-compatible command (given -np N).
    std::vector<std::string> launcher(unsigned int np)
    {
      std::vector<std::string> cmd;
      const char              *env = std::getenv("SOLIDANODE_MPIRUN");
      std::istringstream       words(env && *env ? env : "mpirun");
      for (std::string w; words >> w;)
        cmd.push_back(w);
      const std::string name = fs::path(cmd[0]).filename().string();
      if (name == "mpirun" || name == "mpiexec" || name == "orterun")
        {
          if (::geteuid() == 0)
            cmd.push_back("--allow-run-as-root");
          const long cores = ::sysconf(_SC_NPROCESSORS_ONLN);
          if (cores > 0 && long(np) > cores)
            cmd.push_back("--oversubscribe");
        }
      if (name == "srun")
        {
          // Slurm's launcher: its own option for the task count (-np would
          // be read as -n p); within an allocation it could be left out.
          cmd.push_back("--ntasks=" + std::to_string(np));
          return cmd;
        }
      cmd.push_back("-np");
      cmd.push_back(std::to_string(np));
      return cmd;
    }
    /// Every case is one mpirun on this node: more ranks than 16 per core
    /// (e.g. a typo like --np 2000) would only start thousands of processes.
    /// With SOLIDANODE_MPIRUN (a launcher that may span nodes) up to 100000.
    void check_rank_count(const unsigned int np)
    {
      const char *env   = std::getenv("SOLIDANODE_MPIRUN");
      const long  cores = std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN));
      if (env && *env)
        {
          if (np > 100000)
            throw std::invalid_argument("--np " + std::to_string(np) +
                                        " is more than 100000 ranks per case");
          return;
        }
      if (long(np) > 16 * cores)
        throw std::invalid_argument(
          "--np " + std::to_string(np) + " is more than 16 ranks per core (" +
          std::to_string(cores) + " cores here): every case runs with mpirun on this "
          "machine (set SOLIDANODE_MPIRUN to a launcher that spans nodes)");
    }
  } // namespace

  int run_sweep(const std::string &study_file, const SweepOptions &options)
  {
    const Study       study  = read_study(study_file);
    const std::string output = options.output.empty() ? study.output : options.output;
    if (options.only_case >= 0 && std::size_t(options.only_case) >= study.cases.size())
      throw std::runtime_error("--case " + std::to_string(options.only_case) +
                               ": the study has cases 0.." +
                               std::to_string(study.cases.size() - 1));
    std::vector<const StudyCase *> selected;
    for (const auto &c : study.cases)
      if (options.only_case < 0 || int(c.id) == options.only_case)
        selected.push_back(&c);

    if (options.dry_run)
      {
        std::cout << study_file << ": " << study.cases.size() << " case(s), mode "
                  << (study.grid ? "grid" : "list") << ", base " << study.base_file
                  << ", output " << output << "\n";
        std::size_t n_invalid = 0;
        for (const StudyCase *c : selected)
          {
            std::cout << "  " << case_name(c->id) << ":";
            for (std::size_t p = 0; p < study.parameters.size(); ++p)
              std::cout << "  " << study.parameters[p].path << " = "
                        << value_text(study.parameters[p].values[c->value_index[p]]);
            std::string note;
            try
              {
                read_case_string(case_yaml(study, *c),
                                 (fs::path(output) / case_name(c->id) / "case.yaml").string());
              }
            catch (const std::exception &e)
              {
                note = "  [invalid: " + std::string(e.what()) + "]";
                ++n_invalid;
              }
            std::cout << note << "\n";
          }
        if (n_invalid > 0)
          std::cout << n_invalid << " invalid case(s): fix them before running the study\n";
        return n_invalid > 0 ? 1 : 0;
      }
    if (options.collect)
      {
        const std::size_t n = collect_study(study, output);
        std::cout << "wrote " << (fs::path(output) / "study.csv").string() << " (" << n
                  << " cases)\n";
        return 0;
      }

    const std::string program = program_path(options);
    struct sigaction  sa      = {};
    sa.sa_handler             = forward_signal;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGTERM, &sa, nullptr);
    ::sigaction(SIGUSR1, &sa, nullptr);

    int n_failed = 0, n_run = 0, n_skipped = 0;
    for (const StudyCase *c : selected)
      {
        if (stop_signal)
          break;
        const fs::path dir = fs::absolute(fs::path(output) / case_name(c->id));
        create_directories(dir.string());
        const std::string yaml      = case_yaml(study, *c);
        const std::string case_file = (dir / "case.yaml").string();
        const bool        same_case = fs::exists(case_file) && read_text_file(case_file) == yaml;
        const std::string status    = run_status(dir.string());
        if (same_case && status == "finished")
          {
            ++n_skipped;
            std::cout << case_name(c->id) << ": finished earlier, skipped\n";
            continue;
          }
        if (!same_case)
          atomic_write_text(case_file, yaml);
        std::vector<std::string> cmd = launcher(options.n_ranks);
        for (const std::string &a :
             {program, std::string("run"), case_file, std::string("--output"), dir.string(),
              std::string("--quiet")})
          cmd.push_back(a);
        const bool has_results = fs::exists(dir / "run.json") ||
                                 fs::exists(dir / "summary.csv") ||
                                 fs::exists(dir / "solution.pvd");
        if (same_case && fs::exists(dir / "checkpoint.json"))
          cmd.push_back("--restart");
        else if (has_results || fs::exists(dir / "checkpoint.json"))
          cmd.push_back("--overwrite");
        std::cout << case_name(c->id) << ":";
        for (std::size_t p = 0; p < study.parameters.size(); ++p)
          std::cout << " " << study.parameters[p].path << " = "
                    << value_text(study.parameters[p].values[c->value_index[p]]);
        std::cout << (cmd.back() == "--restart" ? " (restart)" : "") << " ..." << std::flush;
        const std::string log = (dir / "run.log").string();
        const int         rc  = spawn_and_wait(cmd, log);
        ++n_run;
        Json record       = Json::object();
        record["exit_code"] = rc;
        if (rc == 0)
          record["status"] = "finished";
        else if (rc == 3)
          record["status"] = "stopped (checkpoint written)";
        else
          {
            record["status"] = "failed (exit code " + std::to_string(rc) + ")";
            record["error"]  = log_error(log);
            ++n_failed;
          }
        atomic_write_text((dir / "sweep.json").string(), record.dump());
        std::cout << (rc == 0 ? " finished" : rc == 3 ? " stopped (checkpoint)" : " FAILED")
                  << (rc != 0 && rc != 3 ? ": " + log_error(log) : std::string()) << std::endl;
        if (rc != 0 && rc != 3)
          std::cerr << "solidanode: error: " << case_name(c->id) << " failed (exit code " << rc
                    << "): " << log_error(log) << " (log: " << log << ")" << std::endl;
        collect_study(study, output);
      }
    collect_study(study, output);
    std::cout << "study: " << n_run << " run, " << n_skipped << " skipped, " << n_failed
              << " failed; table " << (fs::path(output) / "study.csv").string() << "\n";
    if (n_failed > 0)
      std::cerr << "solidanode: error: " << n_failed << " of " << n_run
                << " case(s) run failed; see " << (fs::path(output) / "study.csv").string()
                << std::endl;
    if (stop_signal)
      return 3;
    return n_failed > 0 ? 1 : 0;
  }

  int sweep_main(int argc, char **argv)
  {
    SweepOptions             o;
    std::vector<std::string> positional;
    try
      {
        auto number = [&](int &i, const std::string &opt) {
          if (i + 1 >= argc)
            throw std::invalid_argument(opt + " needs a number");
          const std::string v = argv[++i];
          if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos ||
              v.size() > 9)
            throw std::invalid_argument(opt + " needs a whole number below 10^9, got '" + v +
                                        "'");
          return std::stoul(v);
        };
        for (int i = 2; i < argc; ++i)
          {
            const std::string s = argv[i];
            if (s == "--dry-run")
              o.dry_run = true;
            else if (s == "--collect")
              o.collect = true;
            else if (s == "--np" || s == "-np" || s == "-n")
              o.n_ranks = static_cast<unsigned int>(number(i, s));
            else if (s == "--case")
              o.only_case = static_cast<int>(number(i, s));
            else if (s == "--output" || s == "-o")
              {
                if (i + 1 >= argc)
                  throw std::invalid_argument("--output needs a directory");
                o.output = argv[++i];
              }
            else if (!s.empty() && s[0] == '-')
              throw std::invalid_argument("unknown option '" + s + "'");
            else
              positional.push_back(s);
          }
        if (positional.size() != 1)
          throw std::invalid_argument("'sweep' expects 1 argument (STUDY.yaml), got " +
                                      std::to_string(positional.size()));
        if (o.n_ranks == 0)
          throw std::invalid_argument("--np must be at least 1");
        check_rank_count(o.n_ranks);
      }
    catch (const std::invalid_argument &e)
      {
        std::cerr << "solidanode: error: " << e.what()
                  << "\nusage: solidanode sweep STUDY.yaml [--dry-run] [--np N] [--case K] "
                     "[--collect] [--output DIR]\n";
        return 2;
      }
    try
      {
        return run_sweep(positional[0], o);
      }
    catch (const std::exception &e)
      {
        std::cerr << "solidanode: error: " << e.what() << "\n";
        return 1;
      }
  }
} // namespace solidanode
