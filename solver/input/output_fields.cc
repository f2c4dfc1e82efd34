// The catalogue of volume output fields (output_fields.h).
#include <solver/input/output_fields.h>
#include <solver/materials/material_law.h>

#include <map>

namespace solidanode
{
  std::vector<OutputField> output_field_catalogue()
  {
    std::vector<OutputField> fields = {
      {"displacement", "displacement_m"},
      {"phase", "phase"},
      {"mpi_rank", "mpi_rank"},
      {"stress", "cauchy_stress_Pa"},
      {"von_mises", "von_mises_Pa"},
      {"hydrostatic", "hydrostatic_stress_Pa"},
      {"local_porosity", "local_porosity"},
      {"volumetric_strain", "volumetric_strain"},
      // finite-strain protocol cases
      {"det_F", "det_F"},
      // plating of a Li-free anode (chemo.plating)
      {"plated_li", "plated_li_volume_ratio"},
      // cohesive bands (chemo.interfaces)
      {"interface_damage", "interface_damage"}};
    for (const MaterialLaw *law : material_laws())
      for (const OutputField &f : law->output_fields())
        fields.push_back(f);
    return fields;
  }

  std::set<std::string> known_output_fields()
  {
    std::set<std::string> names;
    for (const OutputField &f : output_field_catalogue())
      names.insert(f.name);
    return names;
  }

  const std::string &output_array(const std::string &field)
  {
    static std::map<std::string, std::string> arrays;
    for (const OutputField &f : output_field_catalogue())
      arrays[f.name] = f.array;
    return arrays.at(field);
  }

} // namespace solidanode
