// Names given by the user that end up in files and column headers (phase
// names): one safe character set, checked where the name is read.
#pragma once

#include <string>

namespace solidanode
{
  /// At most this many characters.
  constexpr std::size_t max_name_length = 64;

  /// Empty if @p name is a safe name: 1..max_name_length characters, ASCII
  /// letters, digits, '_', '-', '.', '+', not starting with '-', '.' or '+'.
  /// Otherwise why not, e.g. "it contains ',' at position 3" (control
  /// characters shown as \n, \x01 ...).
  std::string name_problem(const std::string &name);

  /// @p text with control and non-ASCII bytes as \n, \x01 ... (for messages).
  std::string printable(const std::string &text);

  /// The characters a safe name may hold, for error messages.
  const char *safe_name_rule();

  class InputNode;
  /// InputError at @p node (file, line, key) if @p name is not safe:
  /// "<what> 'a,b' is not allowed: it contains ',' ...; expected ...".
  void require_safe_name(const InputNode &node, const std::string &name,
                         const std::string &what);
} // namespace solidanode
