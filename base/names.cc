// The safe character set for user-given names.
#include <base/names.h>
#include <base/yaml_input.h>

#include <cstdio>

namespace solidanode
{
  namespace
  {
    bool safe_char(const unsigned char c)
    {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             c == '_' || c == '-' || c == '.' || c == '+';
    }

    std::string shown(const unsigned char c)
    {
      if (c == '\n')
        return "\\n";
      if (c == '\r')
        return "\\r";
      if (c == '\t')
        return "\\t";
      if (c < 0x20 || c >= 0x7f)
        {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", unsigned(c));
          return buf;
        }
      return std::string(1, char(c));
    }
  } // namespace

  std::string printable(const std::string &text)
  {
    std::string out;
    for (const char c : text)
      out += shown(static_cast<unsigned char>(c));
    return out;
  }

  const char *safe_name_rule()
  {
    return "1 to 64 characters from A-Z a-z 0-9 _ - . +, starting with a letter, "
           "digit or '_'";
  }

  std::string name_problem(const std::string &name)
  {
    if (name.empty())
      return "it is empty";
    if (name.size() > max_name_length)
      return "it has " + std::to_string(name.size()) + " characters";
    for (std::size_t i = 0; i < name.size(); ++i)
      {
        const unsigned char c = static_cast<unsigned char>(name[i]);
        if (!safe_char(c))
          return "it contains '" + shown(c) + "' at position " + std::to_string(i + 1);
      }
    if (name[0] == '-' || name[0] == '.' || name[0] == '+')
      return "it starts with '" + std::string(1, name[0]) + "'";
    return "";
  }

  void require_safe_name(const InputNode &node, const std::string &name,
                         const std::string &what)
  {
    const std::string problem = name_problem(name);
    if (!problem.empty())
      node.fail(what + " '" + printable(name) + "' is not allowed: " + problem + "; expected " +
                safe_name_rule());
  }
} // namespace solidanode
