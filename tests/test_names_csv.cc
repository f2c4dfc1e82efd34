// Names, CSV quoting and the binary messages between ranks: any text a user
// gives (commas, quotes, newlines) either is refused at input or survives a
// round trip unchanged.
#include <base/binary_pack.h>
#include <base/csv.h>
#include <base/file_utils.h>
#include <base/names.h>
#include <base/yaml_input.h>
#include <postprocess/summary.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

using namespace solidanode;

TEST(CsvQuote, PlainFieldsUnchanged)
{
  EXPECT_EQ(csv_quote("thickness_m"), "thickness_m");
  EXPECT_EQ(csv_quote("1.5e-06"), "1.5e-06");
  EXPECT_EQ(csv_quote(""), "");
}

TEST(CsvQuote, SpecialCharactersQuotedAndQuotesDoubled)
{
  EXPECT_EQ(csv_quote("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_quote("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_quote("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(csv_quote("cr\r"), "\"cr\r\"");
  EXPECT_EQ(csv_record({"a", "b,c", ""}), "a,\"b,c\",");
}

TEST(CsvParse, RoundTripOfHostileFields)
{
  const std::vector<std::vector<std::string>> table = {
    {"name", "value", "error"},
    {"a,b", "\"quoted\"", "line one\nline two"},
    {"", "x\r\ny", ",,,"},
    {"\"", "plain", "end"}};
  std::string text;
  for (const auto &r : table)
    text += csv_record(r) + "\n";
  EXPECT_EQ(csv_parse(text, "t.csv"), table);
}

TEST(CsvParse, CrLfRecordsAndEmptyLines)
{
  const auto r = csv_parse("a,b\r\n\r\n1,2\n\n", "t.csv");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[1], (std::vector<std::string>{"1", "2"}));
}

TEST(CsvParse, MalformedQuotesNameFileAndLine)
{
  try
    {
      csv_parse("a,b\n1,\"open\n2,3\n", "bad.csv");
      FAIL() << "no error";
    }
  catch (const std::runtime_error &e)
    {
      EXPECT_NE(std::string(e.what()).find("bad.csv', line 2: a quoted field is never closed"),
                std::string::npos)
        << e.what();
    }
  EXPECT_THROW(csv_parse("\"a\"b,c\n", "x.csv"), std::runtime_error);
  EXPECT_THROW(csv_parse("a\"b,c\n", "x.csv"), std::runtime_error);
}

TEST(CsvTable, WriteAndReadBackWithCommasAndNewlines)
{
  const std::string path = "csv_table_" + std::to_string(::getpid()) + ".csv";
  CsvTable          t({"case", "error"});
  t.add_row({{"case", "c1"}, {"error", "bad value, see line\n3"}});
  t.add_row({{"case", "c\"2"}, {"error", ""}});
  t.write(path);
  const CsvTable back = CsvTable::read(path);
  std::remove(path.c_str());
  ASSERT_EQ(back.n_rows(), 2u);
  EXPECT_EQ(back.rows()[0][1], "bad value, see line\n3");
  EXPECT_EQ(back.rows()[1][0], "c\"2");
  EXPECT_EQ(back.columns(), t.columns());
}

TEST(SafeNames, AcceptsTheNamesInUse)
{
  for (const char *n : {"Si", "LPSCl", "pore", "carbon_40nm", "LPSCl_coat", "Li6PS5Cl",
                        "Ag-C", "phase.2", "C+Ag", "_x", "2"})
    EXPECT_EQ(name_problem(n), "") << n;
}

TEST(SafeNames, RefusesAndSaysWhy)
{
  EXPECT_EQ(name_problem(""), "it is empty");
  EXPECT_EQ(name_problem("a,b"), "it contains ',' at position 2");
  EXPECT_EQ(name_problem("Si\nLPSCl"), "it contains '\\n' at position 3");
  EXPECT_EQ(name_problem("x\x01"), "it contains '\\x01' at position 2");
  EXPECT_EQ(name_problem("a b"), "it contains ' ' at position 2");
  EXPECT_EQ(name_problem("-x"), "it starts with '-'");
  EXPECT_EQ(name_problem(std::string(65, 'a')), "it has 65 characters");
  EXPECT_EQ(name_problem(std::string(64, 'a')), "");
  EXPECT_EQ(name_problem("\xc3\xa9"), "it contains '\\xc3' at position 1");
}

TEST(SafeNames, CaseFileErrorNamesFileKeyAndRule)
{
  const std::string path = "names.yaml";
  const InputNode   doc  = InputNode::load_string("materials:\n  \"Si,x\": {E: 1 GPa}\n", path);
  std::string       message;
  try
    {
      const InputNode m = doc.child("materials");
      require_safe_name(m.child("Si,x"), "Si,x", "phase name");
    }
  catch (const InputError &e)
    {
      message = e.what();
    }
  EXPECT_NE(message.find(path + ":2:"), std::string::npos) << message;
  EXPECT_NE(message.find("materials.Si,x"), std::string::npos) << message;
  EXPECT_NE(message.find("phase name 'Si,x' is not allowed: it contains ','"),
            std::string::npos)
    << message;
}

TEST(BinaryPack, StringsWithAnyBytesRoundTrip)
{
  BinaryWriter w;
  w.put<std::uint64_t>(3);
  w.put<double>(0.25e-6);
  w.put_string("Si\nLPSCl");
  w.put_string(std::string("nul\0inside", 10));
  w.put_string("");
  w.put<std::uint8_t>(255);
  BinaryReader r(w.bytes);
  EXPECT_EQ(r.get<std::uint64_t>(), 3u);
  EXPECT_EQ(r.get<double>(), 0.25e-6);
  EXPECT_EQ(r.get_string(), "Si\nLPSCl");
  EXPECT_EQ(r.get_string(), std::string("nul\0inside", 10));
  EXPECT_EQ(r.get_string(), "");
  EXPECT_EQ(r.get<std::uint8_t>(), 255);
  EXPECT_TRUE(r.at_end());
  EXPECT_THROW(r.get<std::uint8_t>(), std::runtime_error);
}

TEST(BinaryPack, TruncatedMessageThrows)
{
  BinaryWriter w;
  w.put_string("abcdef");
  w.bytes.resize(w.bytes.size() - 2);
  BinaryReader r(w.bytes);
  EXPECT_THROW(r.get_string(), std::runtime_error);
}

TEST(FileFingerprint, ChangesWithAnyByteAndSize)
{
  const std::string path = "fingerprint_" + std::to_string(::getpid()) + ".bin";
  auto              write = [&](const std::string &bytes) {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f << bytes;
  };
  write("abcdef");
  const std::string a = file_fingerprint(path);
  EXPECT_EQ(a, file_fingerprint(path));
  EXPECT_EQ(a.rfind("fnv1a64:", 0), 0u) << a;
  EXPECT_EQ(a.substr(a.size() - 2), ":6") << a;
  write("abcdeg"); // same size, one byte
  const std::string b = file_fingerprint(path);
  write("abcdef\n");
  const std::string c = file_fingerprint(path);
  write("");
  const std::string empty = file_fingerprint(path);
  write("a");
  const std::string one = file_fingerprint(path);
  std::remove(path.c_str());
  EXPECT_NE(a, b);
  EXPECT_NE(a, c);
  // FNV-1a 64 of the empty input is its offset basis.
  EXPECT_EQ(empty, "fnv1a64:cbf29ce484222325:0");
  EXPECT_EQ(one, "fnv1a64:af63dc4c8601ec8c:1"); // the published FNV-1a 64 of "a"
}

TEST(FileFingerprint, RefusesMissingAndNonRegularFiles)
{
  auto message = [](const std::string &path) {
    try
      {
        file_fingerprint(path);
      }
    catch (const std::runtime_error &e)
      {
        return std::string(e.what());
      }
    return std::string("(no error)");
  };
  EXPECT_EQ(message("/nonexistent/x.raw"),
            "cannot read '/nonexistent/x.raw': No such file or directory");
  EXPECT_EQ(message("/dev/zero"),
            "cannot read '/dev/zero': it is a character device, expected a regular file");
  EXPECT_EQ(message("."), "cannot read '.': it is a directory, expected a regular file");
  const std::string fifo = "fifo_" + std::to_string(::getpid());
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const std::string m = message(fifo);
  std::remove(fifo.c_str());
  EXPECT_EQ(m, "cannot read '" + fifo + "': it is a FIFO (named pipe), expected a regular file");
}
