// What the end-to-end protocol tests (test_chemo, test_plating) share: a
// per-rank-count output directory, running a case given as text (with
// chunking and restart), reading a summary.csv value.
#pragma once

#include <postprocess/summary.h>
#include <solver/input/case_config.h>
#include <solver/drivers/run.h>

#include <deal.II/base/mpi.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

namespace solidanode
{
  namespace test_support
  {
    /// "<suite>_test_output/<name>_np<ranks>".
    inline std::string output_dir(const std::string &suite, const std::string &name,
                                  MPI_Comm comm = MPI_COMM_WORLD)
    {
      return suite + "_test_output/" + name + "_np" +
             std::to_string(dealii::Utilities::MPI::n_mpi_processes(comm));
    }

    /// Remove @p dir (rank 0) and wait for it. Collective.
    inline void clean(const std::string &dir, MPI_Comm comm = MPI_COMM_WORLD)
    {
      if (dealii::Utilities::MPI::this_mpi_process(comm) == 0)
        std::filesystem::remove_all(dir);
      MPI_Barrier(comm);
    }

    /// Run the case @p text (as if read from @p dir/case.yaml) into
    /// @p dir/out; stop after @p max_increments (0: run to the end) or
    /// continue from its checkpoint (@p restart). Returns summary.csv.
    /// Set SOLIDANODE_TEST_VERBOSE to see the run's log. Collective.
    inline CsvTable run_case_text(const std::string &text, const std::string &dir,
                                  unsigned int max_increments = 0, bool restart = false,
                                  MPI_Comm comm = MPI_COMM_WORLD)
    {
      if (dealii::Utilities::MPI::this_mpi_process(comm) == 0)
        {
          std::filesystem::create_directories(dir);
          std::ofstream(dir + "/case.yaml") << text; // copied into the output
        }
      MPI_Barrier(comm);
      const CaseConfig config = read_case_string(text, dir + "/case.yaml");
      RunOptions       options;
      options.output_directory = dir + "/out";
      options.quiet            = std::getenv("SOLIDANODE_TEST_VERBOSE") == nullptr;
      options.restart          = restart;
      options.max_increments   = max_increments;
      run_case(config, options, comm);
      return CsvTable::read(dir + "/out/summary.csv");
    }

    /// Text of @p column in row @p row; throws if there is no such column.
    inline std::string string_value(const CsvTable &t, std::size_t row, const std::string &column)
    {
      const auto &c = t.columns();
      const auto  i = std::find(c.begin(), c.end(), column) - c.begin();
      if (std::size_t(i) >= c.size())
        throw std::runtime_error("summary.csv has no column " + column);
      return t.rows().at(row).at(std::size_t(i));
    }

    /// Value of @p column in row @p row; throws if there is no such column.
    inline double value(const CsvTable &t, std::size_t row, const std::string &column)
    {
      return std::stod(string_value(t, row, column));
    }
  } // namespace test_support
} // namespace solidanode
