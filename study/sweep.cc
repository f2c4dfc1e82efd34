#include <study/sweep.h>

#include <base/file_utils.h>
#include <base/yaml_input.h>
#include <postprocess/summary.h>
#include <solver/input/case_config.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>

namespace fs = std::filesystem;

namespace solidanode
{
  namespace
  {
    struct PathComponent
    {
      std::string              key;     ///< may be empty for a leading index
      std::vector<std::size_t> indices; ///< [i][j] after the key
    };

    std::vector<PathComponent> parse_path(const std::string &path,
                                          const std::string &source_name)
    {
      auto fail = [&](const std::string &what) {
        throw InputError(source_name + ": parameter '" + path + "': " + what);
      };
      if (path.empty())
        fail("empty path");
      std::vector<PathComponent> out;
      std::size_t                pos = 0;
      while (pos <= path.size())
        {
          const std::size_t dot  = std::min(path.find('.', pos), path.size());
          const std::string part = path.substr(pos, dot - pos);
          PathComponent     c;
          const std::size_t br = part.find('[');
          c.key                = part.substr(0, br);
          if (c.key.empty() && (out.empty() ? br != 0 : true))
            fail("empty key in the path (expected e.g. 'steps[0].top')");
          for (std::size_t b = br; b != std::string::npos && b < part.size();)
            {
              const std::size_t e = part.find(']', b);
              if (part[b] != '[' || e == std::string::npos || e == b + 1)
                fail("malformed index in '" + part + "'");
              const std::string digits = part.substr(b + 1, e - b - 1);
              if (digits.find_first_not_of("0123456789") != std::string::npos)
                fail("index '" + digits + "' is not a non-negative integer");
              c.indices.push_back(std::stoul(digits));
              b = e + 1;
              if (b < part.size() && part[b] != '[')
                fail("unexpected '" + part.substr(b) + "' after an index");
            }
          out.push_back(c);
          pos = dot + 1;
        }
      return out;
    }

    /// Components [0, c) in full; with @p n_idx >= 0 also component c's key
    /// and its first n_idx indices.
    std::string prefix_text(const std::vector<PathComponent> &comps, std::size_t c,
                            int n_idx = -1)
    {
      std::string s;
      for (std::size_t i = 0; i < comps.size() && (i < c || (i == c && n_idx >= 0)); ++i)
        {
          if (!s.empty() && !comps[i].key.empty())
            s += '.';
          s += comps[i].key;
          const std::size_t m = i < c ? comps[i].indices.size() : std::size_t(n_idx);
          for (std::size_t j = 0; j < m; ++j)
            s += "[" + std::to_string(comps[i].indices[j]) + "]";
        }
      return s.empty() ? "(document root)" : s;
    }


    /// Line breaks as spaces (the value also appears in '#' comment lines).
    std::string one_line(std::string s)
    {
      for (char &ch : s)
        if (ch == '\n' || ch == '\r')
          ch = ' ';
      return s;
    }

    /// run.json / sweep.json (JSON is YAML) -> node, or a null node.
    YAML::Node load_json(const std::string &path)
    {
      if (!fs::exists(path))
        return YAML::Node();
      try
        {
          return YAML::LoadFile(path);
        }
      catch (const std::exception &)
        {
          return YAML::Node();
        }
    }

    std::string json_string(const YAML::Node &n, const std::string &key)
    {
      if (n && n.IsMap() && n[key] && n[key].IsScalar())
        return n[key].Scalar();
      return "";
    }

    /// Make the relative image file names of a case absolute.
    void absolutize_files(YAML::Node &doc, const fs::path &base_dir)
    {
      auto fix = [&](YAML::Node n) {
        if (n && n.IsScalar())
          {
            const fs::path p(n.Scalar());
            if (!p.is_absolute())
              n = (base_dir / p).lexically_normal().string();
          }
      };
      YAML::Node m = doc["microstructure"];
      if (!m || !m.IsMap())
        return;
      for (const char *key : {"vti", "raw", "tiff", "mhd"})
        {
          YAML::Node s = m[key];
          if (!s)
            continue;
          if (s.IsScalar())
            fix(s);
          else if (s.IsMap() && s["file"])
            fix(s["file"]);
        }
    }

  } // namespace

  std::string case_name(unsigned int id)
  {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "case_%04u", id);
    return buf;
  }

  std::string run_status(const std::string &case_directory)
  {
    return json_string(load_json((fs::path(case_directory) / "run.json").string()), "status");
  }

  std::vector<std::vector<std::size_t>>
  expand_cases(const std::vector<std::size_t> &n_values, const bool grid)
  {
    std::vector<std::vector<std::size_t>> out;
    if (n_values.empty())
      return {{}};
    if (!grid)
      {
        for (const std::size_t n : n_values)
          if (n != n_values[0])
            throw std::invalid_argument(
              "mode 'list' needs the same number of values for every parameter (got " +
              std::to_string(n_values[0]) + " and " + std::to_string(n) + ")");
        for (std::size_t i = 0; i < n_values[0]; ++i)
          out.emplace_back(n_values.size(), i);
        return out;
      }
    std::size_t total = 1;
    for (const std::size_t n : n_values)
      total *= n;
    for (std::size_t k = 0; k < total; ++k)
      {
        std::vector<std::size_t> idx(n_values.size());
        std::size_t              r = k;
        for (std::size_t p = n_values.size(); p-- > 0;)
          {
            idx[p] = r % n_values[p];
            r /= n_values[p];
          }
        out.push_back(idx);
      }
    return out;
  }

  void set_yaml_path(YAML::Node &document, const std::string &path,
                     const YAML::Node &value, const std::string &source_name)
  {
    const auto comps = parse_path(path, source_name);
    auto       fail  = [&](const std::string &what) {
      throw InputError(source_name + ": parameter '" + path + "': " + what);
    };
    YAML::Node cur;
    cur.reset(document);
    for (std::size_t c = 0; c < comps.size(); ++c)
      {
        const PathComponent &pc   = comps[c];
        const bool           last_key = c + 1 == comps.size() && pc.indices.empty();
        if (!pc.key.empty())
          {
            if (!cur.IsMap())
              fail("'" + prefix_text(comps, c) + "' is not a mapping, cannot look up '" +
                   pc.key + "'");
            const YAML::Node &ccur = cur;
            if (!ccur[pc.key])
              {
                if (last_key)
                  {
                    cur[pc.key] = YAML::Clone(value);
                    return;
                  }
                fail("unknown key '" + pc.key + "' under '" + prefix_text(comps, c) +
                     "' of the base case");
              }
            if (last_key)
              {
                cur[pc.key] = YAML::Clone(value);
                return;
              }
            YAML::Node next = cur[pc.key];
            cur.reset(next);
          }
        for (std::size_t j = 0; j < pc.indices.size(); ++j)
          {
            const std::size_t i = pc.indices[j];
            if (!cur.IsSequence())
              fail("'" + prefix_text(comps, c, int(j)) + "' is not a list, cannot take [" +
                   std::to_string(i) + "]");
            if (i >= cur.size())
              fail("index [" + std::to_string(i) + "] out of range: '" +
                   prefix_text(comps, c, int(j)) + "' has " + std::to_string(cur.size()) +
                   " entries");
            if (c + 1 == comps.size() && j + 1 == pc.indices.size())
              {
                cur[i] = YAML::Clone(value);
                return;
              }
            YAML::Node next = cur[i];
            cur.reset(next);
          }
      }
  }

  std::string value_text(const YAML::Node &value)
  {
    if (value.IsScalar())
      return one_line(value.Scalar());
    YAML::Emitter e;
    e.SetMapFormat(YAML::Flow);
    e.SetSeqFormat(YAML::Flow);
    e << value;
    return one_line(e.c_str());
  }

  Study read_study(const std::string &path)
  {
    Study study;
    study.file            = path;
    const InputNode root  = InputNode::load_file(path);
    const fs::path  dir   = fs::path(path).parent_path();
    const InputNode basen = root.child("base");
    fs::path        base(basen.as_string());
    if (!base.is_absolute())
      base = fs::absolute(dir / base).lexically_normal();
    study.base_file = base.string();
    if (!fs::exists(base))
      basen.fail("base case '" + study.base_file + "' does not exist");
    const std::string mode = root.string("mode", "grid");
    if (mode != "grid" && mode != "list")
      root.child("mode").fail("expected 'grid' or 'list', got '" + mode + "'");
    study.grid   = mode == "grid";
    study.output = root.string("output", "results/" + fs::path(path).stem().string());
    const InputNode params = root.child("parameters");
    if (!params.is_map())
      params.fail("expected a mapping 'dotted.path: [values]'");
    // Raw yaml-cpp access for the values (they are substituted verbatim).
    const YAML::Node raw = YAML::LoadFile(path)["parameters"];
    for (const std::string &key : params.keys())
      {
        const InputNode list = params.child(key);
        if (!list.is_sequence() || list.elements().empty())
          list.fail("expected a non-empty list of values");
        StudyParameter p;
        p.path = key;
        for (const auto &v : raw[key])
          p.values.push_back(v);
        study.parameters.push_back(p);
      }
    root.check_unknown_keys();

    // Check the base reads and every path exists in it.
    read_case(study.base_file); // first: its checks include the YAML limits
    study.base = YAML::LoadFile(study.base_file);
    for (const auto &p : study.parameters)
      {
        YAML::Node copy = YAML::Clone(study.base);
        set_yaml_path(copy, p.path, p.values[0], path);
      }
    std::vector<std::size_t> n;
    for (const auto &p : study.parameters)
      n.push_back(p.values.size());
    std::vector<std::vector<std::size_t>> tuples;
    try
      {
        tuples = expand_cases(n, study.grid);
      }
    catch (const std::invalid_argument &e)
      {
        throw InputError(path + ": " + e.what());
      }
    for (std::size_t k = 0; k < tuples.size(); ++k)
      study.cases.push_back({static_cast<unsigned int>(k), tuples[k]});
    return study;
  }

  std::string case_yaml(const Study &study, const StudyCase &c)
  {
    YAML::Node doc = YAML::Clone(study.base);
    for (std::size_t p = 0; p < study.parameters.size(); ++p)
      set_yaml_path(doc, study.parameters[p].path,
                    study.parameters[p].values[c.value_index[p]], study.file);
    absolutize_files(doc, fs::path(study.base_file).parent_path());
    YAML::Emitter e;
    e << doc;
    std::string header = "# " + case_name(c.id) + " of study " + study.file + " (base " +
                         study.base_file + ")\n";
    for (std::size_t p = 0; p < study.parameters.size(); ++p)
      header += "#   " + study.parameters[p].path + " = " +
                value_text(study.parameters[p].values[c.value_index[p]]) + "\n";
    return header + e.c_str() + "\n";
  }

  namespace
  {
    double number(const std::string &s)
    {
      try
        {
          return std::stod(s);
        }
      catch (...)
        {
          return std::nan("");
        }
    }

    /// The study.csv outcomes of one case from its summary.csv (at least one row).
    void summary_outcomes(const CsvTable                                              &t,
                          const std::function<void(const std::string &, const std::string &)> &add)
    {
      const auto &cols  = t.columns();
      const auto &first = t.rows().front();
      const auto &last  = t.rows().back();
      auto        col_max = [&](std::size_t j) {
        double m = -INFINITY;
        for (const auto &r : t.rows())
          m = std::max(m, number(r[j]));
        return m;
      };
      const auto starts = [](const std::string &s, const char *prefix) {
        return s.rfind(prefix, 0) == 0;
      };
      add("increments", std::to_string(t.n_rows()));
      // Protocol runs that press: the row at the highest applied pressure.
      std::optional<std::size_t> peak;
      for (std::size_t j = 0; j < cols.size(); ++j)
        if (cols[j] == "applied_pressure_Pa")
          {
            peak = 0;
            for (std::size_t r = 1; r < t.n_rows(); ++r)
              if (number(t.rows()[r][j]) > number(t.rows()[*peak][j]))
                peak = r;
          }
      for (std::size_t j = 0; j < cols.size(); ++j)
        {
          const std::string &n = cols[j];
          if (n == "invalid_state") // solver.allow_invalid_states
            {
              std::size_t n_invalid = 0;
              for (const auto &r : t.rows())
                n_invalid += r[j].empty() ? 0 : 1;
              add("invalid_increments", std::to_string(n_invalid));
            }
          else if (n == "porosity")
            add("final_porosity", last[j]);
          else if (n == "stack_pressure_Pa")
            {
              add("stack_pressure_change_Pa", CsvTable::format(number(last[j]) - number(first[j])));
              double lowest = number(first[j]); // the largest tension (< 0), e.g. in a clamp
              for (const auto &r : t.rows())
                lowest = std::min(lowest, number(r[j]));
              add("min_stack_pressure_Pa", CsvTable::format(lowest));
            }
          else if (n == "thickness_m")
            {
              add("final_thickness_m", last[j]);
              add("thickness_change_m", CsvTable::format(number(last[j]) - number(first[j])));
            }
        }
      for (std::size_t j = 0; j < cols.size(); ++j)
        if (starts(cols[j], "contact_area_"))
          {
            add("final_" + cols[j], last[j]);
            add("change_" + cols[j], CsvTable::format(number(last[j]) - number(first[j])));
          }
        else if (starts(cols[j], "pressed_contact_area_") || starts(cols[j], "contact_fraction_") ||
                 cols[j] == "closed_pore_fraction" || starts(cols[j], "state_of_charge") ||
                 starts(cols[j], "debonded_fraction_") || starts(cols[j], "mean_damage_"))
          add("final_" + cols[j], last[j]);
      if (peak)
        for (std::size_t j = 0; j < cols.size(); ++j)
          if (cols[j] == "porosity" || cols[j] == "thickness_m" ||
              starts(cols[j], "contact_area_") || starts(cols[j], "pressed_contact_area_") ||
              starts(cols[j], "contact_fraction_"))
            add("at_peak_" + cols[j], t.rows()[*peak][j]);
      for (std::size_t j = 0; j < cols.size(); ++j)
        if (starts(cols[j], "max_von_mises_"))
          add("peak_" + cols[j].substr(4), CsvTable::format(col_max(j)));
        else if (starts(cols[j], "p99_von_mises_"))
          add("peak_" + cols[j], CsvTable::format(col_max(j)));
        else if (starts(cols[j], "over_stress_limit_"))
          add(cols[j], CsvTable::format(col_max(j)));
    }
  } // namespace

  std::size_t collect_study(const Study &study, const std::string &output)
  {
    std::vector<std::string>                        outcome_columns;
    std::vector<std::map<std::string, std::string>> rows;
    auto add_outcome = [&](std::map<std::string, std::string> &row, const std::string &col,
                           const std::string &v) {
      if (std::find(outcome_columns.begin(), outcome_columns.end(), col) ==
          outcome_columns.end())
        outcome_columns.push_back(col);
      row[col] = v;
    };
    for (const auto &c : study.cases)
      {
        const fs::path                     dir = fs::path(output) / case_name(c.id);
        std::map<std::string, std::string> row;
        row["case"] = std::to_string(c.id);
        for (std::size_t p = 0; p < study.parameters.size(); ++p)
          row[study.parameters[p].path] = value_text(study.parameters[p].values[c.value_index[p]]);
        const YAML::Node run   = load_json((dir / "run.json").string());
        const YAML::Node sweep = load_json((dir / "sweep.json").string());
        std::string      status = json_string(run, "status");
        std::string      error;
        if (status != "finished" && sweep)
          {
            status = json_string(sweep, "status");
            error  = json_string(sweep, "error");
          }
        if (status.empty())
          status = fs::exists(dir) ? "not finished" : "not run";
        row["status"]      = status;
        row["error"]       = error;
        row["wall_time_s"] = json_string(run, "wall_seconds");
        const fs::path summary_file = dir / "summary.csv";
        if (fs::exists(summary_file))
          try
            {
              const CsvTable t = CsvTable::read(summary_file.string());
              if (t.n_rows() > 0)
                {
                  summary_outcomes(t, [&](const std::string &col, const std::string &v) {
                    add_outcome(row, col, v);
                  });
                }
            }
          catch (const std::exception &e)
            {
              if (row["error"].empty())
                row["error"] = e.what();
            }
        rows.push_back(row);
      }
    std::vector<std::string> columns = {"case"};
    for (const auto &p : study.parameters)
      columns.push_back(p.path);
    for (const auto &c : outcome_columns)
      columns.push_back(c);
    for (const char *c : {"wall_time_s", "status", "error"})
      columns.push_back(c);
    CsvTable table(columns);
    for (auto &row : rows)
      {
        for (const auto &c : columns)
          row.emplace(c, "");
        table.add_row(row);
      }
    create_directories(output);
    table.write((fs::path(output) / "study.csv").string());
    return table.n_rows();
  }

} // namespace solidanode
