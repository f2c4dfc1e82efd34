// Strict reading of YAML case files; see yaml_input.h.
//
// Conventions used throughout:
//  - An empty value ("key:" or "key: ~") counts as an empty mapping for the
//    optional lookups (has, optional_child, keys and the defaulted
//    convenience forms), so that a section whose entries are all commented
//    out is accepted. Every conversion (as_quantity, as_string, ...) rejects
//    it, and a scalar or sequence where a mapping is expected is an error.
//  - Errors point at the node itself, except for empty values, whose yaml-cpp
//    mark is where the next token starts (often the next line): those point
//    at the key they belong to.
#include <base/file_utils.h>
#include <base/yaml_input.h>
#include <base/yaml_input_detail.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>
#include <system_error>
#include <utility>

namespace solidanode
{
  using detail::check_unknown;
  using detail::child_path;
  using detail::closest_name;
  using detail::element_path;
  using detail::format_error;
  using detail::found;
  using detail::max_depth;
  using detail::parse_document;
  using detail::validate;

  namespace
  {
    /// Value of @p key in the mapping @p map, if present. Keys are plain
    /// scalars and unique (checked by validate() when loading).
    std::optional<YAML::Node> find_value(const YAML::Node  &map,
                                         const std::string &key)
    {
      for (auto it = map.begin(); it != map.end(); ++it)
        if (it->first.Scalar() == key)
          return YAML::Node(it->second);
      return std::nullopt;
    }

    /**
     * Search @p node for the mapping entry or sequence element that is
     * @p target and store in @p mark where it was written: the key for
     * mapping values, the sequence for elements. Returns whether found.
     */
    bool find_owner_mark(const YAML::Node &node,
                         const YAML::Node &target,
                         YAML::Mark       &mark,
                         int               depth = 0)
    {
      if (depth > max_depth)
        return false;
      if (node.IsMap())
        {
          for (auto it = node.begin(); it != node.end(); ++it)
            {
              if (it->second.is(target))
                {
                  mark = it->first.Mark();
                  return true;
                }
              if (find_owner_mark(it->second, target, mark, depth + 1))
                return true;
            }
        }
      else if (node.IsSequence())
        {
          for (auto it = node.begin(); it != node.end(); ++it)
            {
              if (it->is(target))
                {
                  mark = node.Mark();
                  return true;
                }
              if (find_owner_mark(*it, target, mark, depth + 1))
                return true;
            }
        }
      return false;
    }

    /// Where an error about @p node should point (see the file comment).
    YAML::Mark location(const YAML::Node &node, const YAML::Node &root)
    {
      YAML::Mark mark = node.Mark();
      if (node.IsNull() || mark.is_null())
        {
          YAML::Mark owner;
          if (find_owner_mark(root, node, owner) && !owner.is_null())
            mark = owner;
        }
      if (mark.is_null())
        mark = root.Mark();
      return mark;
    }
  } // namespace


  InputNode::InputNode(YAML::Node                          node,
                       std::string                         file,
                       std::string                         path,
                       std::shared_ptr<internal::KeyUsage> usage,
                       YAML::Node                          root)
    : node_(std::move(node))
    , file_(std::move(file))
    , path_(std::move(path))
    , usage_(std::move(usage))
    , root_(std::move(root))
  {}


  InputNode InputNode::load_file(const std::string &path)
  {
    const std::string kind = file_kind_problem(path);
    if (!kind.empty())
      throw InputError(path + ": cannot read input file: " + kind);

    errno = 0;
    std::ifstream in(path, std::ios::binary);
    if (!in)
      {
        const int error = errno;
        throw InputError(path + ": cannot open input file" +
                         (error != 0 ?
                            std::string(" (") + std::strerror(error) + ")" :
                            std::string()));
      }
    const std::string text{std::istreambuf_iterator<char>(in),
                           std::istreambuf_iterator<char>()};
    if (in.bad())
      throw InputError(path + ": error while reading input file");
    return load_string(text, path);
  }


  InputNode InputNode::load_string(const std::string &text,
                                   const std::string &source_name)
  {
    // An empty file is an empty (null) document.
    const YAML::Node root = parse_document(text, source_name);
    validate(root, source_name, "");
    return InputNode(root,
                     source_name,
                     "",
                     std::make_shared<internal::KeyUsage>(),
                     root);
  }


  const std::string &InputNode::path() const
  {
    return path_;
  }


  const std::string &InputNode::file() const
  {
    return file_;
  }


  bool InputNode::is_map() const
  {
    return node_.IsMap();
  }


  bool InputNode::is_sequence() const
  {
    return node_.IsSequence();
  }


  bool InputNode::is_scalar() const
  {
    return node_.IsScalar();
  }


  bool InputNode::is_null() const
  {
    return node_.IsNull();
  }


  bool InputNode::has(const std::string &key) const
  {
    usage_->requested[path_].insert(key);
    return node_.IsMap() && find_value(node_, key).has_value();
  }


  InputNode InputNode::child(const std::string &key) const
  {
    if (std::optional<InputNode> c = optional_child(key))
      return *c;

    // A present key that nobody asked for and that looks like a misspelling
    // of the missing one is the likely cause: point at it and say so.
    if (node_.IsMap())
      {
        const std::set<std::string>      &known = usage_->requested[path_];
        std::vector<std::string>          candidates;
        std::map<std::string, YAML::Mark> marks;
        for (auto it = node_.begin(); it != node_.end(); ++it)
          if (known.count(it->first.Scalar()) == 0)
            {
              candidates.push_back(it->first.Scalar());
              marks.emplace(it->first.Scalar(), it->first.Mark());
            }
        const std::string similar = closest_name(key, candidates);
        if (!similar.empty())
          throw InputError(format_error(file_,
                                        marks.at(similar),
                                        child_path(path_, key),
                                        "missing required key; found '" +
                                          similar + "', did you mean '" + key +
                                          "'?"));
      }
    throw InputError(format_error(file_,
                                  location(node_, root_),
                                  child_path(path_, key),
                                  "missing required key"));
  }


  std::optional<InputNode> InputNode::optional_child(const std::string &key) const
  {
    usage_->requested[path_].insert(key);
    if (node_.IsNull())
      return std::nullopt;
    if (!node_.IsMap())
      fail(found(node_) + ", expected a mapping (with key '" + key + "')");
    const std::optional<YAML::Node> value = find_value(node_, key);
    if (!value)
      return std::nullopt;
    return InputNode(*value, file_, child_path(path_, key), usage_, root_);
  }


  std::vector<std::string> InputNode::keys() const
  {
    if (node_.IsNull())
      return {};
    if (!node_.IsMap())
      fail(found(node_) + ", expected a mapping");
    std::set<std::string>   &known = usage_->requested[path_];
    std::vector<std::string> names;
    for (auto it = node_.begin(); it != node_.end(); ++it)
      {
        names.push_back(it->first.Scalar());
        known.insert(names.back());
      }
    return names;
  }


  std::vector<InputNode> InputNode::elements() const
  {
    if (!node_.IsSequence())
      fail(found(node_) + ", expected a sequence");
    std::vector<InputNode> result;
    result.reserve(node_.size());
    std::size_t index = 0;
    for (auto it = node_.begin(); it != node_.end(); ++it, ++index)
      result.push_back(
        InputNode(*it, file_, element_path(path_, index), usage_, root_));
    return result;
  }


  double InputNode::as_quantity(Dimension d) const
  {
    if (!node_.IsScalar())
      fail(found(node_) + ", expected " + describe(d));
    try
      {
        return parse_quantity(node_.Scalar(), d);
      }
    catch (const std::invalid_argument &e)
      {
        fail(e.what());
      }
  }


  std::string InputNode::as_string() const
  {
    if (!node_.IsScalar())
      fail(found(node_) + ", expected a string");
    return node_.Scalar();
  }


  long long InputNode::as_integer() const
  {
    if (!node_.IsScalar())
      fail(found(node_) + ", expected an integer");
    const std::string &text = node_.Scalar();

    // Optional sign and decimal digits only: no "2.5", "1e3", "0x10", " 7".
    std::size_t i = (!text.empty() && (text[0] == '+' || text[0] == '-')) ? 1 : 0;
    const bool  digits_only =
      i < text.size() &&
      std::all_of(text.begin() + static_cast<std::ptrdiff_t>(i),
                  text.end(),
                  [](char c) { return c >= '0' && c <= '9'; });
    if (!digits_only)
      fail(found(node_) + ", expected an integer");

    errno                 = 0;
    char           *end   = nullptr;
    const long long value = std::strtoll(text.c_str(), &end, 10);
    if (errno == ERANGE || end != text.c_str() + text.size())
      fail(found(node_) + ", expected an integer between " +
           std::to_string(std::numeric_limits<long long>::min()) + " and " +
           std::to_string(std::numeric_limits<long long>::max()));
    return value;
  }


  bool InputNode::as_bool() const
  {
    // yaml-cpp's rules: true/false, yes/no, on/off, y/n in lower, upper or
    // capitalised case.
    bool value = false;
    if (!YAML::convert<bool>::decode(node_, value))
      fail(found(node_) + ", expected a boolean (true or false)");
    return value;
  }


  std::vector<double> InputNode::as_quantity_list(Dimension d) const
  {
    if (!node_.IsSequence())
      fail(found(node_) + ", expected a sequence, each element " + describe(d));
    std::vector<double> values;
    for (const InputNode &e : elements())
      values.push_back(e.as_quantity(d));
    return values;
  }


  std::vector<long long> InputNode::as_integer_list() const
  {
    if (!node_.IsSequence())
      fail(found(node_) + ", expected a sequence of integers");
    std::vector<long long> values;
    for (const InputNode &e : elements())
      values.push_back(e.as_integer());
    return values;
  }


  double InputNode::quantity(const std::string &key, Dimension d) const
  {
    return child(key).as_quantity(d);
  }


  double InputNode::quantity(const std::string &key, Dimension d, double def) const
  {
    const std::optional<InputNode> c = optional_child(key);
    return c ? c->as_quantity(d) : def;
  }


  std::string InputNode::string(const std::string &key) const
  {
    return child(key).as_string();
  }


  std::string InputNode::string(const std::string &key,
                                const std::string &def) const
  {
    const std::optional<InputNode> c = optional_child(key);
    return c ? c->as_string() : def;
  }


  long long InputNode::integer(const std::string &key) const
  {
    return child(key).as_integer();
  }


  long long InputNode::integer(const std::string &key, long long def) const
  {
    const std::optional<InputNode> c = optional_child(key);
    return c ? c->as_integer() : def;
  }


  bool InputNode::boolean(const std::string &key, bool def) const
  {
    const std::optional<InputNode> c = optional_child(key);
    return c ? c->as_bool() : def;
  }


  void InputNode::fail(const std::string &message) const
  {
    throw InputError(
      format_error(file_, location(node_, root_), path_, message));
  }


  void InputNode::check_unknown_keys() const
  {
    check_unknown(root_, "", *usage_, file_);
  }
  InputNode &InputNode::operator=(const InputNode &other)
  {
    if (this != &other)
      {
        node_.reset(other.node_);
        root_.reset(other.root_);
        file_  = other.file_;
        path_  = other.path_;
        usage_ = other.usage_;
      }
    return *this;
  }
} // namespace solidanode
