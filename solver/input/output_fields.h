// The volume fields a run can write, each with the name `output.fields`
// selects and the VTK array name (which carries the unit): the core fields
// here, det_F (finite strain), plated_li (plating) and every registered
// material law's fields (MaterialLaw::output_fields). A writer looks its
// array names up here, so that what output.fields accepts and what is written
// cannot drift apart.
#pragma once

#include <solver/materials/material_law.h>

#include <set>
#include <string>
#include <vector>

namespace solidanode
{
  std::vector<OutputField> output_field_catalogue();
  /// The names `output.fields` may list.
  std::set<std::string> known_output_fields();
  /// The VTK array name of a field of the catalogue (throws std::out_of_range
  /// for an unknown one).
  const std::string &output_array(const std::string &field);
} // namespace solidanode
