// The registry of material laws (material_law.h). A built-in law is listed
// here once; everything else (reading the keys, refusing them in 'steps'
// cases, the phase table's mapping, output.fields) walks this list.
#include <solver/materials/constitutive.h>
#include <solver/materials/material_law.h>

#include <stdexcept>

namespace solidanode
{
  namespace
  {
    std::vector<const MaterialLaw *> &registry()
    {
      static std::vector<const MaterialLaw *> all = {
        &laws::lithium_storage(),
        &laws::j2_plasticity(),
        &laws::norton_creep(),
        &laws::pore_closure(),
        &laws::stress_limit(),
      };
      return all;
    }
  } // namespace

  const std::vector<const MaterialLaw *> &material_laws()
  {
    return registry();
  }

  void register_law(const MaterialLaw &law)
  {
    if (law.history_size() > constitutive::n_history)
      throw std::logic_error("material law '" + law.name() + "' needs " +
                             std::to_string(law.history_size()) +
                             " history values, the kernel stores " +
                             std::to_string(constitutive::n_history));
    for (const MaterialLaw *other : registry())
      {
        if (other->name() == law.name())
          throw std::logic_error("material law '" + law.name() + "' is registered twice");
        for (const std::string &key : law.keys())
          for (const std::string &taken : other->keys())
            if (key == taken)
              throw std::logic_error("material law '" + law.name() + "': key '" + key +
                                     "' belongs to '" + other->name() + "'");
      }
    registry().push_back(&law);
  }
} // namespace solidanode
