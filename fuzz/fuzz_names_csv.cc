// libFuzzer target: the text that crosses ranks and goes into tables.
// * csv_parse() of arbitrary bytes throws only std::runtime_error;
// * any table (fields split at byte 0x00, records at 0x01) written with
//   csv_record() parses back to itself (a record that is one empty field
//   is an empty line, which csv_parse() skips by design: left out);
// * any list of strings packed with BinaryWriter unpacks unchanged, and
//   BinaryReader on arbitrary bytes throws only std::runtime_error;
// * name_problem() and printable() take any bytes.
#include <base/binary_pack.h>
#include <base/csv.h>
#include <base/names.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
  const std::string text(reinterpret_cast<const char *>(data), size);
  try
    {
      (void)solidanode::csv_parse(text, "fuzz.csv");
    }
  catch (const std::runtime_error &)
    {
    }
  (void)solidanode::name_problem(text);
  (void)solidanode::printable(text);

  std::vector<std::vector<std::string>> table(1, std::vector<std::string>(1));
  std::vector<std::string>              strings(1);
  for (const char c : text)
    if (c == '\x01')
      {
        table.emplace_back(1);
        strings.emplace_back();
      }
    else if (c == '\0')
      table.back().emplace_back();
    else
      {
        table.back().back() += c;
        strings.back() += c;
      }
  std::vector<std::vector<std::string>> kept;
  std::string                           csv;
  for (const auto &record : table)
    if (!(record.size() == 1 && record[0].empty()))
      {
        csv += solidanode::csv_record(record) + "\n";
        kept.push_back(record);
      }
  if (solidanode::csv_parse(csv, "round_trip.csv") != kept)
    __builtin_trap();

  solidanode::BinaryWriter out;
  for (const auto &s : strings)
    out.put_string(s);
  solidanode::BinaryReader in(out.bytes);
  for (const auto &s : strings)
    if (in.get_string() != s)
      __builtin_trap();
  if (!in.at_end())
    __builtin_trap();
  try
    {
      const std::vector<std::uint8_t> bytes(data, data + size);
      solidanode::BinaryReader        garbage(bytes);
      while (!garbage.at_end())
        (void)garbage.get_string();
    }
  catch (const std::runtime_error &)
    {
    }
  return 0;
}
