// Tests for InputNode (base/yaml_input.h): lookups, conversions, error
// messages with file:line:column, and the unknown-key check.
#include <base/yaml_input.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

using solidanode::Dimension;
using solidanode::InputError;
using solidanode::InputNode;

namespace
{
  InputNode load(const std::string &text)
  {
    return InputNode::load_string(text, "case.yaml");
  }

  /// what() of the InputError thrown by @p f, or a test failure if none.
  std::string error_of(const std::function<void()> &f)
  {
    try
      {
        f();
        ADD_FAILURE() << "no InputError was thrown";
      }
    catch (const InputError &e)
      {
        return e.what();
      }
    return "";
  }

  ::testing::AssertionResult contains(const std::string &text,
                                      const std::string &part)
  {
    if (text.find(part) != std::string::npos)
      return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure()
           << "'" << text << "' does not contain '" << part << "'";
  }
} // namespace


TEST(YamlInput, ReadsValues)
{
  const InputNode root = load("materials:\n"
                              "  Si:\n"
                              "    E: 22 GPa\n"
                              "    nu: 0.3\n"
                              "    name: silicon\n"
                              "    seed: -42\n"
                              "    plastic: yes\n");
  const InputNode si = root.child("materials").child("Si");
  EXPECT_EQ(si.path(), "materials.Si");
  EXPECT_EQ(si.file(), "case.yaml");
  EXPECT_EQ(si.child("E").path(), "materials.Si.E");
  EXPECT_DOUBLE_EQ(si.quantity("E", Dimension::pressure), 22e9);
  EXPECT_DOUBLE_EQ(si.quantity("nu", Dimension::dimensionless), 0.3);
  EXPECT_EQ(si.string("name"), "silicon");
  EXPECT_EQ(si.integer("seed"), -42);
  EXPECT_TRUE(si.child("plastic").as_bool());
  EXPECT_EQ(root.path(), "");
}


TEST(YamlInput, NodeKinds)
{
  const InputNode root = load("m: {a: 1}\ns: [1, 2]\nx: 3\nn:\n");
  EXPECT_TRUE(root.is_map());
  EXPECT_TRUE(root.child("m").is_map());
  EXPECT_TRUE(root.child("s").is_sequence());
  EXPECT_TRUE(root.child("x").is_scalar());
  EXPECT_TRUE(root.child("n").is_null());
  EXPECT_TRUE(root.has("x"));
  EXPECT_FALSE(root.has("y"));
  EXPECT_FALSE(root.child("x").has("y")); // not a mapping
  EXPECT_FALSE(root.optional_child("y").has_value());
  EXPECT_EQ(root.keys(), (std::vector<std::string>{"m", "s", "x", "n"}));
}


TEST(YamlInput, ErrorPositionIsOneBased)
{
  const InputNode root = load("a:\n  b: abc\n");
  EXPECT_EQ(error_of([&] { root.child("a").quantity("b", Dimension::length); }),
            "case.yaml:2:6: key 'a.b': 'abc' is not a number, expected a "
            "length (m, mm, um, nm)");
  EXPECT_EQ(error_of([&] { root.child("a").child("b").fail("custom problem"); }),
            "case.yaml:2:6: key 'a.b': custom problem");
}


TEST(YamlInput, RootErrorsHaveNoKeyPart)
{
  const InputNode root = InputNode::load_string("- 1\n- 2\n", "list.yaml");
  EXPECT_EQ(error_of([&] { root.child("a"); }),
            "list.yaml:1:1: found a sequence, expected a mapping (with key 'a')");
  EXPECT_EQ(error_of([&] { root.fail("bad"); }), "list.yaml:1:1: bad");
}


TEST(YamlInput, MissingRequiredKey)
{
  const InputNode root = load("solver:\n  tol: 1e-8\n");
  EXPECT_EQ(error_of([&] { root.child("solver").child("max_iter"); }),
            "case.yaml:2:3: key 'solver.max_iter': missing required key");
  EXPECT_EQ(error_of([&] { root.quantity("mesh", Dimension::length); }),
            "case.yaml:1:1: key 'mesh': missing required key");

  // An empty file has no position to point at.
  const InputNode empty = InputNode::load_string("", "empty.yaml");
  EXPECT_TRUE(empty.is_null());
  EXPECT_EQ(error_of([&] { empty.child("mesh"); }),
            "empty.yaml: key 'mesh': missing required key");
}


TEST(YamlInput, MissingKeyPointsAtLikelyMisspelling)
{
  const InputNode root = load("phase:\n  name: Si\n  materail: x\n");
  EXPECT_EQ(error_of([&] { root.child("phase").string("material"); }),
            "case.yaml:3:3: key 'phase.material': missing required key; "
            "found 'materail', did you mean 'material'?");
}


TEST(YamlInput, WrongTypes)
{
  const InputNode root = load("E: stiff\n"
                              "n: 2.5\n"
                              "big: 99999999999999999999\n"
                              "solver: [1, 2]\n"
                              "m: {a: 1}\n"
                              "s: [a, b]\n"
                              "x: 3\n");
  EXPECT_EQ(error_of([&] { root.quantity("E", Dimension::pressure); }),
            "case.yaml:1:4: key 'E': 'stiff' is not a number, expected a "
            "pressure (Pa, kPa, MPa, GPa)");
  EXPECT_EQ(error_of([&] { root.integer("n"); }),
            "case.yaml:2:4: key 'n': found '2.5', expected an integer");
  EXPECT_TRUE(contains(error_of([&] { root.integer("big"); }),
                       "key 'big': found '99999999999999999999', expected an "
                       "integer between"));
  EXPECT_EQ(error_of([&] { root.child("solver").child("tol"); }),
            "case.yaml:4:9: key 'solver': found a sequence, expected a mapping "
            "(with key 'tol')");
  EXPECT_TRUE(contains(error_of([&] { root.child("solver").keys(); }),
                       "found a sequence, expected a mapping"));
  EXPECT_EQ(error_of([&] { root.string("m"); }),
            "case.yaml:5:4: key 'm': found a mapping, expected a string");
  EXPECT_EQ(error_of([&] { root.string("s"); }),
            "case.yaml:6:4: key 's': found a sequence, expected a string");
  EXPECT_EQ(error_of([&] { root.quantity("s", Dimension::length); }),
            "case.yaml:6:4: key 's': found a sequence, expected a length (m, "
            "mm, um, nm)");
  EXPECT_EQ(error_of([&] { root.child("x").elements(); }),
            "case.yaml:7:4: key 'x': found '3', expected a sequence");
  EXPECT_TRUE(contains(error_of([&] { root.child("x").child("y"); }),
                       "key 'x': found '3', expected a mapping"));
  EXPECT_TRUE(contains(error_of([&] { root.integer("m"); }),
                       "found a mapping, expected an integer"));
}


TEST(YamlInput, IntegerSyntax)
{
  const InputNode root = load("a: +7\nb: 1e3\nc: 0x10\nd: '12'\n");
  EXPECT_EQ(root.integer("a"), 7);
  EXPECT_TRUE(contains(error_of([&] { root.integer("b"); }),
                       "found '1e3', expected an integer"));
  EXPECT_TRUE(contains(error_of([&] { root.integer("c"); }),
                       "found '0x10', expected an integer"));
  EXPECT_EQ(root.integer("d"), 12);
}


TEST(YamlInput, EmptyValue)
{
  // The mark of an empty value is where the next token starts; the error
  // points at the key instead.
  const InputNode root = load("a: 1\nE:\nb: 2\n");
  EXPECT_EQ(error_of([&] { root.quantity("E", Dimension::pressure); }),
            "case.yaml:2:1: key 'E': found an empty value, expected a pressure "
            "(Pa, kPa, MPa, GPa)");
  EXPECT_TRUE(contains(error_of([&] { root.string("E"); }),
                       "found an empty value, expected a string"));
}


TEST(YamlInput, EmptySectionUsesDefaults)
{
  const InputNode root   = load("output:\n");
  const InputNode output = root.child("output");
  EXPECT_EQ(output.integer("every", 5), 5);
  EXPECT_TRUE(output.keys().empty());
  EXPECT_FALSE(output.optional_child("every").has_value());
  EXPECT_EQ(error_of([&] { output.child("dir"); }),
            "case.yaml:1:1: key 'output.dir': missing required key");
  EXPECT_NO_THROW(root.check_unknown_keys());
}


TEST(YamlInput, NestedPathsInMessages)
{
  const InputNode root = load("steps:\n"
                              "  - pressure: 1 MPa\n"
                              "  - pressure: 2 um\n");
  const std::vector<InputNode> steps = root.child("steps").elements();
  ASSERT_EQ(steps.size(), 2u);
  EXPECT_EQ(steps[1].path(), "steps[1]");
  EXPECT_DOUBLE_EQ(steps[0].quantity("pressure", Dimension::pressure), 1e6);
  EXPECT_EQ(error_of([&] { steps[1].quantity("pressure", Dimension::pressure); }),
            "case.yaml:3:15: key 'steps[1].pressure': '2 um' is a length, "
            "expected a pressure (Pa, kPa, MPa, GPa)");
  EXPECT_EQ(error_of([&] { steps[1].child("time"); }),
            "case.yaml:3:5: key 'steps[1].time': missing required key");
}


TEST(YamlInput, Defaults)
{
  const InputNode root = load("given: 3 um\nname: x\nn: 4\nflag: false\n");
  EXPECT_DOUBLE_EQ(root.quantity("absent", Dimension::length, 7e-6), 7e-6);
  EXPECT_DOUBLE_EQ(root.quantity("given", Dimension::length, 7e-6), 3e-6);
  EXPECT_EQ(root.string("absent", "dflt"), "dflt");
  EXPECT_EQ(root.string("name", "dflt"), "x");
  EXPECT_EQ(root.integer("absent", -1), -1);
  EXPECT_EQ(root.integer("n", -1), 4);
  EXPECT_TRUE(root.boolean("absent", true));
  EXPECT_FALSE(root.boolean("flag", true));
  // A present value is still checked.
  EXPECT_TRUE(contains(error_of([&] { root.integer("name", 1); }),
                       "key 'name': found 'x', expected an integer"));
  EXPECT_NO_THROW(root.check_unknown_keys());
}


TEST(YamlInput, Lists)
{
  const InputNode root = load("h: [1 um, 2 mm, 3]\n"
                              "dims:\n"
                              "  - 10\n"
                              "  - 20\n"
                              "  - -3\n"
                              "bad: [10, 2.5]\n"
                              "scalar: 1 um\n"
                              "empty: []\n");
  const std::vector<double> h = root.child("h").as_quantity_list(Dimension::length);
  ASSERT_EQ(h.size(), 3u);
  EXPECT_DOUBLE_EQ(h[0], 1e-6);
  EXPECT_DOUBLE_EQ(h[1], 2e-3);
  EXPECT_DOUBLE_EQ(h[2], 3.0);
  EXPECT_EQ(root.child("dims").as_integer_list(),
            (std::vector<long long>{10, 20, -3}));
  EXPECT_TRUE(root.child("empty").as_integer_list().empty());
  EXPECT_EQ(error_of([&] { root.child("bad").as_integer_list(); }),
            "case.yaml:6:11: key 'bad[1]': found '2.5', expected an integer");
  EXPECT_EQ(error_of([&] { root.child("h").as_quantity_list(Dimension::pressure); }),
            "case.yaml:1:5: key 'h[0]': '1 um' is a length, expected a "
            "pressure (Pa, kPa, MPa, GPa)");
  EXPECT_TRUE(contains(
    error_of([&] { root.child("scalar").as_quantity_list(Dimension::length); }),
    "key 'scalar': found '1 um', expected a sequence"));
  EXPECT_TRUE(contains(error_of([&] { root.child("scalar").as_integer_list(); }),
                       "found '1 um', expected a sequence of integers"));
}


TEST(YamlInput, Booleans)
{
  const InputNode root = load("a: true\nb: false\nc: yes\nd: no\ne: True\n"
                              "f: maybe\ng: 1\nh: [true]\n");
  EXPECT_TRUE(root.boolean("a", false));
  EXPECT_FALSE(root.boolean("b", true));
  EXPECT_TRUE(root.boolean("c", false));
  EXPECT_FALSE(root.boolean("d", true));
  EXPECT_TRUE(root.boolean("e", false));
  EXPECT_EQ(error_of([&] { root.boolean("f", false); }),
            "case.yaml:6:4: key 'f': found 'maybe', expected a boolean (true "
            "or false)");
  EXPECT_TRUE(contains(error_of([&] { root.boolean("g", false); }),
                       "found '1', expected a boolean"));
  EXPECT_TRUE(contains(error_of([&] { root.boolean("h", false); }),
                       "found a sequence, expected a boolean"));
}


TEST(YamlInput, UnknownKeyWithSuggestion)
{
  const InputNode root = load("material: Si\nmatrial: Ge\n");
  EXPECT_EQ(root.string("material"), "Si");
  EXPECT_EQ(error_of([&] { root.check_unknown_keys(); }),
            "case.yaml:2:1: key 'matrial': unknown key 'matrial'; did you "
            "mean 'material'?");
}


TEST(YamlInput, SuggestionsIncludeKeysAskedForButAbsent)
{
  const InputNode root = load("mesh: 1\noutptu: {dir: out}\n");
  root.integer("mesh");
  EXPECT_FALSE(root.optional_child("output").has_value());
  EXPECT_EQ(error_of([&] { root.check_unknown_keys(); }),
            "case.yaml:2:1: key 'outptu': unknown key 'outptu'; did you mean "
            "'output'?");
}


TEST(YamlInput, UnknownKeyWithoutSuggestion)
{
  const InputNode root = load("a: 1\nb: 2\nzzzzzz: 3\n");
  root.integer("a");
  root.integer("b");
  EXPECT_EQ(error_of([&] { root.check_unknown_keys(); }),
            "case.yaml:3:1: key 'zzzzzz': unknown key 'zzzzzz'; expected one "
            "of 'a', 'b'");

  // "nu" is not offered for "E": every character would have to change.
  const InputNode material = load("E: 1\nnu: 0.3\n");
  material.quantity("E", Dimension::pressure);
  EXPECT_TRUE(contains(error_of([&] { material.check_unknown_keys(); }),
                       "unknown key 'nu'; expected one of 'E'"));
}


TEST(YamlInput, UnknownKeyCaseOnly)
{
  const InputNode root = load("e: 1\n");
  EXPECT_FALSE(root.has("E"));
  EXPECT_TRUE(contains(error_of([&] { root.check_unknown_keys(); }),
                       "did you mean 'E'?"));
}


TEST(YamlInput, KeysAreAllKnown)
{
  const InputNode root = load("materials:\n"
                              "  Si: {E: 22 GPa}\n"
                              "  C: {E: 10 GPa}\n");
  const InputNode materials = root.child("materials");
  const std::vector<std::string> names = materials.keys();
  EXPECT_EQ(names, (std::vector<std::string>{"Si", "C"}));
  for (const std::string &name : names)
    materials.child(name).quantity("E", Dimension::pressure);
  EXPECT_NO_THROW(root.check_unknown_keys());
}


TEST(YamlInput, UnvisitedSectionKeysAreUnknown)
{
  const InputNode root = load("solver:\n  tol: 1e-8\n");
  EXPECT_TRUE(root.has("solver"));
  EXPECT_EQ(error_of([&] { root.check_unknown_keys(); }),
            "case.yaml:2:3: key 'solver.tol': unknown key 'tol' (no keys are "
            "read here)");
}


TEST(YamlInput, UnknownKeyInSequenceElement)
{
  const InputNode root = load("steps:\n"
                              "  - pressure: 1 MPa\n"
                              "  - pressure: 2 MPa\n"
                              "    presure: 3 MPa\n");
  for (const InputNode &step : root.child("steps").elements())
    step.quantity("pressure", Dimension::pressure);
  EXPECT_EQ(error_of([&] { root.check_unknown_keys(); }),
            "case.yaml:4:5: key 'steps[1].presure': unknown key 'presure'; did "
            "you mean 'pressure'?");
}


TEST(YamlInput, UnknownKeyCheckFromAnyNode)
{
  const InputNode root = load("a:\n  b: 1\n  c: 2\n");
  const InputNode a    = root.child("a");
  a.integer("b");
  // The walk covers the whole document, whichever node it is called on.
  EXPECT_TRUE(contains(error_of([&] { a.check_unknown_keys(); }),
                       "case.yaml:3:3: key 'a.c': unknown key 'c'"));
}


TEST(YamlInput, DuplicateKey)
{
  EXPECT_EQ(error_of([] { load("a: 1\nb: 2\na: 3\n"); }),
            "case.yaml:3:1: key 'a': duplicate key (first given at line 1)");
  EXPECT_TRUE(contains(error_of([] { load("x:\n  - {p: 1, p: 2}\n"); }),
                       "key 'x[0].p': duplicate key"));
}


TEST(YamlInput, KeysMustBeNames)
{
  EXPECT_TRUE(contains(error_of([] { load("? [1, 2]\n: 3\n"); }),
                       "found a sequence as a key, expected a name"));
  EXPECT_TRUE(contains(error_of([] { load("~: 3\n"); }),
                       "case.yaml:1:1: found an empty or null key"));
}


TEST(YamlInput, SyntaxError)
{
  EXPECT_EQ(error_of([] { InputNode::load_string("a: [1, 2\nb: 3\n", "bad.yaml"); }),
            "bad.yaml:2:2: YAML syntax error: end of sequence flow not found");
  const std::string indent =
    error_of([] { InputNode::load_string("a: 1\n  b: 2\n", "bad.yaml"); });
  EXPECT_TRUE(contains(indent, "bad.yaml:2:"));
  EXPECT_TRUE(contains(indent, "YAML syntax error"));
  EXPECT_TRUE(contains(error_of([] { load("a: *undefined\n"); }),
                       "case.yaml:1:4: YAML syntax error"));
}


TEST(YamlInput, SingleDocumentOnly)
{
  EXPECT_TRUE(contains(error_of([] { load("a: 1\n---\nb: 2\n"); }),
                       "case.yaml:3:1: found a second YAML document"));
}


TEST(YamlInput, RecursiveAliasIsRejected)
{
  EXPECT_TRUE(contains(error_of([] { load("a: &x [1, *x]\n"); }),
                       "levels deep"));
}


TEST(YamlInput, MergeKeys)
{
  // One material's data merged into another, with an override; merged keys
  // are read, checked and reported like keys written out.
  const InputNode root = load("materials:\n"
                              "  Si: &stiff {E: 90 GPa, nu: 0.22}\n"
                              "  Ag:\n"
                              "    <<: *stiff\n"
                              "    nu: 0.37\n"
                              "  C: {<<: [{nu: 0.2}, *stiff]}\n");
  const InputNode m = root.child("materials");
  EXPECT_DOUBLE_EQ(m.child("Ag").quantity("E", Dimension::pressure), 90e9);
  EXPECT_DOUBLE_EQ(m.child("Ag").quantity("nu", Dimension::dimensionless), 0.37);
  EXPECT_DOUBLE_EQ(m.child("Si").quantity("nu", Dimension::dimensionless), 0.22);
  EXPECT_DOUBLE_EQ(m.child("C").quantity("nu", Dimension::dimensionless), 0.2);
  EXPECT_DOUBLE_EQ(m.child("C").quantity("E", Dimension::pressure), 90e9);
  EXPECT_FALSE(m.child("Ag").has("<<"));
  EXPECT_TRUE(contains(error_of([] { load("a: {<<: 3}\n"); }),
                       "key 'a.<<': found '3', expected a mapping or a list of mappings"));
  EXPECT_TRUE(contains(error_of([] { load("b: &x {p: 1}\na: {<<: *x, q: 2, <<: *x}\n"); }),
                       "key 'a.<<': duplicate key"));
  // A quoted "<<" is an ordinary key.
  EXPECT_TRUE(load("a: {'<<': 1}\n").child("a").has("<<"));
}


TEST(YamlInput, LoadFile)
{
  const std::string path =
    ::testing::TempDir() + "solidanode_test_yaml_input_case.yaml";
  {
    std::ofstream out(path);
    out << "mesh:\n  h: 2 um\n  hh: 1\n";
  }
  const InputNode root = InputNode::load_file(path);
  EXPECT_EQ(root.file(), path);
  EXPECT_DOUBLE_EQ(root.child("mesh").quantity("h", Dimension::length), 2e-6);
  EXPECT_EQ(error_of([&] { root.check_unknown_keys(); }),
            path + ":3:3: key 'mesh.hh': unknown key 'hh'; did you mean 'h'?");
  std::remove(path.c_str());
}


TEST(YamlInput, LoadFileMissing)
{
  const std::string path = "/nonexistent-solidanode-dir/case.yaml";
  const std::string message = error_of([&] { InputNode::load_file(path); });
  EXPECT_TRUE(contains(message, path + ": cannot open input file"));
  EXPECT_TRUE(contains(error_of([] { InputNode::load_file("/"); }),
                       "/: cannot read input file: it is a directory"));
}
