#include <base/csv.h>
#include <base/file_utils.h>
#include <postprocess/summary.h>
#include <base/number_format.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace solidanode
{
  CsvTable::CsvTable(std::vector<std::string> columns)
    : columns_(std::move(columns))
  {}

  void CsvTable::add_row(const std::map<std::string, std::string> &row)
  {
    std::vector<std::string> cells;
    cells.reserve(columns_.size());
    for (const auto &c : columns_)
      {
        const auto it = row.find(c);
        if (it == row.end())
          throw std::invalid_argument("CSV row is missing column '" + c + "'");
        cells.push_back(it->second);
      }
    if (row.size() != columns_.size())
      for (const auto &[name, value] : row)
        {
          (void)value;
          bool known = false;
          for (const auto &c : columns_)
            known = known || c == name;
          if (!known)
            throw std::invalid_argument("CSV row has unknown column '" + name + "'");
        }
    rows_.push_back(std::move(cells));
  }

  std::string CsvTable::format(double value)
  {
    return format_number(value);
  }

  std::string CsvTable::to_string() const
  {
    std::string out = csv_record(columns_) + '\n';
    for (const auto &row : rows_)
      out += csv_record(row) + '\n';
    return out;
  }

  void CsvTable::write(const std::string &path) const
  {
    atomic_write_text(path, to_string());
  }

  CsvTable CsvTable::read(const std::string &path)
  {
    std::ifstream in(path, std::ios::binary);
    if (!in)
      throw std::runtime_error("cannot read CSV file '" + path + "'");
    std::ostringstream text;
    text << in.rdbuf();
    auto records = csv_parse(text.str(), path);
    if (records.empty())
      throw std::runtime_error("CSV file '" + path + "' is empty");
    CsvTable table(std::move(records.front()));
    for (std::size_t r = 1; r < records.size(); ++r)
      {
        if (records[r].size() != table.columns_.size())
          throw std::runtime_error("CSV file '" + path + "': row " + std::to_string(r) +
                                   " has " + std::to_string(records[r].size()) +
                                   " cells, expected " +
                                   std::to_string(table.columns_.size()));
        table.rows_.push_back(std::move(records[r]));
      }
    return table;
  }
} // namespace solidanode
