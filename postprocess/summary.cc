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
    std::ostringstream out;
    for (std::size_t i = 0; i < columns_.size(); ++i)
      out << (i ? "," : "") << columns_[i];
    out << '\n';
    for (const auto &row : rows_)
      {
        for (std::size_t i = 0; i < row.size(); ++i)
          out << (i ? "," : "") << row[i];
        out << '\n';
      }
    return out.str();
  }

  void CsvTable::write(const std::string &path) const
  {
    atomic_write_text(path, to_string());
  }

  CsvTable CsvTable::read(const std::string &path)
  {
    std::ifstream in(path);
    if (!in)
      throw std::runtime_error("cannot read CSV file '" + path + "'");
    auto split = [](const std::string &line) {
      std::vector<std::string> cells;
      std::stringstream        ss(line);
      std::string              cell;
      while (std::getline(ss, cell, ','))
        cells.push_back(cell);
      return cells;
    };
    std::string line;
    if (!std::getline(in, line))
      throw std::runtime_error("CSV file '" + path + "' is empty");
    CsvTable table(split(line));
    while (std::getline(in, line))
      {
        if (line.empty())
          continue;
        auto cells = split(line);
        if (cells.size() != table.columns_.size())
          throw std::runtime_error("CSV file '" + path + "': a row has " +
                                   std::to_string(cells.size()) + " cells, expected " +
                                   std::to_string(table.columns_.size()));
        table.rows_.push_back(std::move(cells));
      }
    return table;
  }
} // namespace solidanode
