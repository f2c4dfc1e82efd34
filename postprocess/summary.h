// summary.csv: one row per load increment. Column names carry their units
// ("top_pressure_Pa", "thickness_m"). The file is rewritten atomically after
// every row, so a killed run leaves a complete table of the finished steps.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace solidanode
{
  class CsvTable
  {
  public:
    explicit CsvTable(std::vector<std::string> columns);

    const std::vector<std::string> &columns() const { return columns_; }
    std::size_t                     n_rows() const { return rows_.size(); }

    /// Add a row given as column -> value; every column must be present and
    /// no others (std::invalid_argument names the offending column).
    void add_row(const std::map<std::string, std::string> &row);

    /// Format a number for the table: shortest form that round-trips.
    static std::string format(double value);

    std::string to_string() const;
    void        write(const std::string &path) const;

    /// Read a CSV written by write(): header plus rows of strings.
    static CsvTable read(const std::string &path);
    const std::vector<std::vector<std::string>> &rows() const { return rows_; }

  private:
    std::vector<std::string>              columns_;
    std::vector<std::vector<std::string>> rows_;
  };
} // namespace solidanode
