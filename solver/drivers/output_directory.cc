#include <solver/drivers/output_directory.h>

#include <solver/drivers/run_support.h>

#include <filesystem>
#include <system_error>

namespace solidanode
{
  namespace fs = std::filesystem;

  namespace
  {
    /// The names solidanode writes into an output directory.
    bool is_result_file(const std::string &name)
    {
      return name.rfind("solution", 0) == 0 || name.rfind("interfaces", 0) == 0 ||
             name.rfind("profiles_", 0) == 0 || name.rfind("checkpoint", 0) == 0 ||
             name == "pieces" || name == "summary.csv" || name == "run.json" ||
             name == "solidanode.log" || name == "plots" || name == "microstructure.vti";
    }

    void remove_result_files(const fs::path &out)
    {
      for (const auto &entry : fs::directory_iterator(out))
        if (is_result_file(entry.path().filename().string()))
          fs::remove_all(entry.path());
    }
  } // namespace

  std::unique_ptr<DirectoryLock> lock_output_directory(const std::string &directory,
                                                       MPI_Comm comm)
  {
    std::unique_ptr<DirectoryLock> lock;
    on_root_or_throw(comm, [&] { lock = std::make_unique<DirectoryLock>(directory); });
    return lock;
  }

  bool prepare_output_directory(const std::string &directory, bool restart, bool overwrite,
                                MPI_Comm comm)
  {
    const fs::path    out(directory);
    const fs::path    aside           = out / overwritten_subdirectory;
    const std::string checkpoint_file = (out / "checkpoint.json").string();
    bool              moved           = false;
    on_root_or_throw(comm, [&] {
      const bool has_results = fs::exists(out / "solution.pvd") ||
                               fs::exists(out / "summary.csv") ||
                               fs::exists(out / "solution.xmf");
      if (restart)
        {
          if (!fs::exists(checkpoint_file))
            throw std::runtime_error("cannot restart: no checkpoint '" + checkpoint_file +
                                     "' (run without --restart to start afresh)");
        }
      else if (has_results || fs::exists(checkpoint_file))
        {
          if (!overwrite)
            throw std::runtime_error(
              "output directory '" + directory +
              "' already holds results (solution.pvd, summary.csv or checkpoint.json); "
              "use --restart to continue that run, --overwrite to replace it, or "
              "another output.directory / --output");
          if (fs::exists(aside))
            // An earlier --overwrite never got past its start: what is in
            // the directory is from that run, the results before it are aside.
            remove_result_files(out);
          else
            {
              create_directories(aside.string());
              for (const auto &entry : fs::directory_iterator(out))
                if (is_result_file(entry.path().filename().string()))
                  fs::rename(entry.path(), aside / entry.path().filename());
            }
          moved = true;
        }
      create_directories((out / "pieces").string());
    });
    return moved;
  }

  bool restore_overwritten(const std::string &directory) noexcept
  {
    try
      {
        const fs::path out(directory), aside = out / overwritten_subdirectory;
        remove_result_files(out);
        for (const auto &entry : fs::directory_iterator(aside))
          fs::rename(entry.path(), out / entry.path().filename());
        fs::remove(aside);
        return true;
      }
    catch (...)
      {
        return false;
      }
  }

  void drop_overwritten(const std::string &directory)
  {
    std::error_code ec;
    fs::remove_all(fs::path(directory) / overwritten_subdirectory, ec);
  }
} // namespace solidanode
