// libFuzzer target: the YAML case reader on arbitrary bytes. InputError is
// the only acceptable outcome besides success; any other exception, a crash,
// a hang or a sanitizer report is a bug.
#include <solver/input/case_config.h>
#include <base/yaml_input.h>

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
  const std::string text(reinterpret_cast<const char *>(data), size);
  try
    {
      solidanode::read_case_string(text, "fuzz/case.yaml");
    }
  catch (const solidanode::InputError &)
    {
    }
  return 0;
}
