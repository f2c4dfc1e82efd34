// Command-line overrides of a case file: `--set steps[0].top=50 MPa`. The
// paths are those of study parameters (set_yaml_path in study/sweep.h); the
// value is YAML (a scalar with its unit, a list, a mapping). The case is
// then read and checked as usual.
#pragma once

#include <solver/input/case_config.h>

#include <string>
#include <utility>
#include <vector>

namespace solidanode
{
  /// One override: dotted YAML path and the value's YAML text.
  struct CaseOverride
  {
    std::string path, value;
  };

  /// Split "path=value" at the first '='. Throws InputError naming the text
  /// when there is no '=', or the path or the value is empty.
  CaseOverride parse_case_override(const std::string &text);

  /// Read @p path with @p overrides applied in order. Without overrides this
  /// is read_case(path). Errors name the override (a path that does not
  /// exist in the case, a value that is not YAML) or, from the case reader,
  /// the key and what was expected. The result records the overrides and the
  /// document that was read (CaseConfig::overrides, overridden_text).
  CaseConfig read_case_with_overrides(const std::string &path,
                                      const std::vector<CaseOverride> &overrides);
} // namespace solidanode
