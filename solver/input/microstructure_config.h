// Reading `microstructure.build:` (particle populations, packing, fill,
// pores, layers) from a case file into a BuildSpec. Format: docs/input.md
// and docs/microstructure.md; examples in inputs/.
#pragma once

#include <mesh/populations.h>
#include <base/yaml_input.h>

namespace solidanode
{
  /// Read the mapping under `microstructure.build`. Errors are InputError
  /// located at the offending key (InputNode::fail), including weight
  /// fractions that do not add up and unknown shapes or overlap rules.
  BuildSpec read_build_spec(const InputNode &node);
} // namespace solidanode
