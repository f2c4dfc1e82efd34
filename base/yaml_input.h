// Strict reading of YAML case files.
//
// An InputNode wraps a yaml-cpp node together with the file name and the
// dotted key path that leads to it. Every lookup records which key names the
// program asked for under each mapping; after the whole case has been read,
// check_unknown_keys() walks the document and reports any key nobody asked
// for, with the closest known key as a suggestion. All errors are InputError
// and carry "FILE:LINE:COLUMN: key 'a.b.c': <what was found>, expected <what>".
// Line and column are 1-based as editors show them.
#pragma once

#include <base/units.h>

#include <yaml-cpp/yaml.h>

#include <memory>
#include <optional>
#include <set>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace solidanode
{
  /// Error in an input file; what() is the full, user-facing message.
  class InputError : public std::runtime_error
  {
  public:
    using std::runtime_error::runtime_error;
  };

  /// What one input document may hold: deeper nesting or more nodes (an
  /// alias '*a' counts as the nodes it repeats, so "billion laughs" aliases
  /// are refused before anything walks them) is an InputError.
  namespace yaml_limits
  {
    constexpr std::size_t max_depth = 64;
    constexpr std::size_t max_nodes = 1000000;
  } // namespace yaml_limits

  namespace internal
  {
    /// Shared between all InputNodes of one document: which keys were asked
    /// for under each mapping path.
    struct KeyUsage
    {
      std::map<std::string, std::set<std::string>> requested;
    };
  } // namespace internal

  class InputNode
  {
  public:
    /// Load a YAML file. Syntax errors and a missing/unreadable file become
    /// InputError naming the file (and line/column for syntax errors).
    static InputNode load_file(const std::string &path);

    /// Parse YAML text; @p source_name stands in for the file name in errors.
    static InputNode load_string(const std::string &text,
                                 const std::string &source_name);

    InputNode(const InputNode &) = default;
    /// Re-points this node (YAML::Node's own operator= would instead write
    /// through to the document).
    InputNode &operator=(const InputNode &other);

    /// Dotted path of this node from the document root ("" for the root,
    /// "materials.Si.E", "steps[2].pressure").
    const std::string &path() const;
    const std::string &file() const;

    bool is_map() const;
    bool is_sequence() const;
    bool is_scalar() const;
    bool is_null() const;

    /// True if this is a mapping that has @p key. Records @p key as known.
    bool has(const std::string &key) const;

    /// Required child; InputError "missing required key" if absent. Records
    /// @p key as known. Errors if this node is not a mapping.
    InputNode child(const std::string &key) const;
    /// Optional child; std::nullopt if absent. Records @p key as known.
    std::optional<InputNode> optional_child(const std::string &key) const;

    /// Keys of a mapping in file order. Marks all of them as known (use this
    /// for user-named entries such as phase names under "materials").
    std::vector<std::string> keys() const;

    /// Elements of a sequence; InputError if this is not a sequence.
    std::vector<InputNode> elements() const;

    // Conversions of this node's scalar value. InputError on type mismatch,
    // naming the key, what was found and what was expected.
    double        as_quantity(Dimension d) const;
    std::string   as_string() const;
    long long     as_integer() const;
    bool          as_bool() const;
    std::vector<double> as_quantity_list(Dimension d) const;
    std::vector<long long> as_integer_list() const;

    // Convenience lookups on a mapping: required and defaulted forms.
    double      quantity(const std::string &key, Dimension d) const;
    double      quantity(const std::string &key, Dimension d, double def) const;
    std::string string(const std::string &key) const;
    std::string string(const std::string &key, const std::string &def) const;
    long long   integer(const std::string &key) const;
    long long   integer(const std::string &key, long long def) const;
    bool        boolean(const std::string &key, bool def) const;

    /// Throw InputError located at this node: "FILE:L:C: key 'PATH': MESSAGE".
    [[noreturn]] void fail(const std::string &message) const;

    /// Walk the whole document this node belongs to and throw InputError for
    /// the first mapping key that was never requested, e.g.
    /// "case.yaml:12:5: key 'materials.Si.Ee': unknown key; did you mean 'E'?"
    /// (suggestion only when a known key is within edit distance 3).
    void check_unknown_keys() const;

  private:
    InputNode(YAML::Node node, std::string file, std::string path,
              std::shared_ptr<internal::KeyUsage> usage, YAML::Node root);

    YAML::Node                           node_;
    std::string                          file_;
    std::string                          path_;
    std::shared_ptr<internal::KeyUsage>  usage_;
    YAML::Node                           root_;
  };
} // namespace solidanode
