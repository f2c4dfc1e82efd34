#include <study/case_overrides.h>

#include <base/errors.h>
#include <base/yaml_input.h>
#include <study/sweep.h>

#include <yaml-cpp/yaml.h>

namespace solidanode
{
  CaseOverride parse_case_override(const std::string &text)
  {
    const auto eq = text.find('=');
    if (eq == std::string::npos)
      throw InputError("--set '" + text + "': expected PATH=VALUE, e.g. 'steps[0].top=50 MPa'");
    CaseOverride o{text.substr(0, eq), text.substr(eq + 1)};
    const auto trim = [](std::string &s) {
      const auto b = s.find_first_not_of(" \t");
      const auto e = s.find_last_not_of(" \t");
      s            = b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
    };
    trim(o.path);
    trim(o.value);
    if (o.path.empty())
      throw InputError("--set '" + text + "': the path before '=' is empty");
    if (o.value.empty())
      throw InputError("--set '" + text + "': the value after '=' is empty");
    return o;
  }

  CaseConfig read_case_with_overrides(const std::string &path,
                                      const std::vector<CaseOverride> &overrides)
  {
    if (overrides.empty())
      return read_case(path);
    // The file as the reader sees it (file checks, syntax, size limits).
    InputNode::load_file(path);
    YAML::Node               doc = YAML::LoadFile(path);
    std::vector<std::string> applied;
    for (const auto &o : overrides)
      {
        const std::string what = "--set " + o.path + "=" + o.value;
        YAML::Node        value;
        try
          {
            value = YAML::Load(o.value);
          }
        catch (const YAML::Exception &e)
          {
            throw InputError(what + ": the value '" + o.value + "' is not valid YAML (" +
                             e.msg + ")");
          }
        set_yaml_path(doc, o.path, value, path + ", " + what);
        applied.push_back(o.path + "=" + o.value);
      }
    YAML::Emitter e;
    e << doc;
    const std::string text = std::string(e.c_str()) + "\n";
    std::string       list;
    for (const auto &a : applied)
      list += (list.empty() ? "" : ", ") + a;
    try
      {
        CaseConfig c      = read_case_string(text, path);
        c.overrides       = applied;
        c.overridden_text = text;
        return c;
      }
    catch (const InputError &err)
      {
        throw InputError(std::string(err.what()) + " (after --set " + list +
                         "; line numbers refer to the case with the overrides applied)");
      }
  }
} // namespace solidanode
