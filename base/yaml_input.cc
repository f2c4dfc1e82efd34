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
#include <base/yaml_input.h>

#include <yaml-cpp/eventhandler.h>

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
  namespace
  {
    /// Deeper nesting is rejected when loading. This also stops recursive
    /// aliases ("a: &x [*x]"), which yaml-cpp accepts, from making every
    /// later walk over the document recurse forever.
    constexpr int max_depth = 64;

    std::string child_path(const std::string &parent, const std::string &key)
    {
      return parent.empty() ? key : parent + "." + key;
    }

    std::string element_path(const std::string &parent, std::size_t index)
    {
      return parent + "[" + std::to_string(index) + "]";
    }

    /// "FILE:LINE:COLUMN: key 'PATH': MESSAGE" with 1-based line and column.
    /// The position is left out if @p mark is unknown, the key part if
    /// @p path is the document root.
    std::string format_error(const std::string &file,
                             const YAML::Mark  &mark,
                             const std::string &path,
                             const std::string &message)
    {
      std::string text = file;
      if (!mark.is_null())
        text += ":" + std::to_string(mark.line + 1) + ":" +
                std::to_string(mark.column + 1);
      text += ": ";
      if (!path.empty())
        text += "key '" + path + "': ";
      return text + message;
    }

    /// What @p node is, as the first half of "found ..., expected ...".
    /// Long or multi-line scalars are shortened (without splitting a UTF-8
    /// character).
    std::string found(const YAML::Node &node)
    {
      switch (node.Type())
        {
          case YAML::NodeType::Map:
            return "found a mapping";
          case YAML::NodeType::Sequence:
            return "found a sequence";
          case YAML::NodeType::Scalar:
            {
              constexpr std::size_t max_length = 40;
              std::string           text       = node.Scalar();
              std::size_t           cut = std::min(text.find('\n'), text.size());
              if (cut > max_length)
                cut = max_length;
              while (cut > 0 && cut < text.size() &&
                     (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80)
                --cut;
              if (cut < text.size())
                text = text.substr(0, cut) + "...";
              return "found '" + text + "'";
            }
          case YAML::NodeType::Null:
          case YAML::NodeType::Undefined:
            break;
        }
      return "found an empty value";
    }

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

    std::string to_lower(std::string s)
    {
      for (char &c : s)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return s;
    }

    /// Levenshtein distance (insertions, deletions, substitutions of bytes).
    std::size_t edit_distance(const std::string &a, const std::string &b)
    {
      std::vector<std::size_t> row(b.size() + 1);
      for (std::size_t j = 0; j <= b.size(); ++j)
        row[j] = j;
      for (std::size_t i = 1; i <= a.size(); ++i)
        {
          std::size_t diagonal = row[0];
          row[0]               = i;
          for (std::size_t j = 1; j <= b.size(); ++j)
            {
              const std::size_t above = row[j];
              row[j] = std::min({row[j] + 1,
                                 row[j - 1] + 1,
                                 diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
              diagonal = above;
            }
        }
      return row[b.size()];
    }

    /**
     * The candidate closest to @p name, or "" if none is close: within edit
     * distance 3 and not a complete rewrite (distance below the longer
     * length, so "nu" does not suggest "E"). Case is ignored when measuring,
     * so "e" suggests "E". Ties go to the first candidate in order.
     */
    template <typename Names>
    std::string closest_name(const std::string &name, const Names &candidates)
    {
      const std::string lower_name = to_lower(name);
      std::string       best;
      std::size_t       best_distance = 0;
      for (const std::string &candidate : candidates)
        {
          if (candidate == name)
            continue;
          const std::size_t d = edit_distance(lower_name, to_lower(candidate));
          const bool close =
            d == 0 ||
            (d <= 3 && d < std::max(name.size(), candidate.size()));
          if (close && (best.empty() || d < best_distance))
            {
              best          = candidate;
              best_distance = d;
            }
        }
      return best;
    }

    std::string unknown_key_message(const std::string           &name,
                                    const std::set<std::string> &known)
    {
      const std::string head       = "unknown key '" + name + "'";
      const std::string suggestion = closest_name(name, known);
      if (!suggestion.empty())
        return head + "; did you mean '" + suggestion + "'?";
      if (known.empty())
        return head + " (no keys are read here)";
      std::string list;
      for (const std::string &k : known)
        list += (list.empty() ? "'" : ", '") + k + "'";
      return head + "; expected one of " + list;
    }

    /// Check what yaml-cpp accepts but a case file must not contain: keys
    /// that are not plain names, duplicate keys, and excessive nesting.
    void validate(const YAML::Node  &node,
                  const std::string &file,
                  const std::string &path,
                  int                depth = 0)
    {
      if (depth > max_depth)
        throw InputError(format_error(
          file,
          node.Mark(),
          path,
          "nested more than " + std::to_string(max_depth) +
            " levels deep (recursive alias?)"));
      if (node.IsMap())
        {
          std::map<std::string, YAML::Mark> seen;
          for (auto it = node.begin(); it != node.end(); ++it)
            {
              // A copy: "it->" yields a proxy that dies with the expression.
              const YAML::Node key = it->first;
              const YAML::Mark  key_mark =
                key.Mark().is_null() ? node.Mark() : key.Mark();
              if (!key.IsScalar())
                throw InputError(format_error(
                  file,
                  key_mark,
                  path,
                  (key.IsNull() ? std::string("found an empty or null key") :
                                  found(key) + " as a key") +
                    ", expected a name"));
              const std::string name = key.Scalar();
              const auto inserted    = seen.emplace(name, key_mark);
              if (!inserted.second)
                {
                  const YAML::Mark &first = inserted.first->second;
                  throw InputError(format_error(
                    file,
                    key_mark,
                    child_path(path, name),
                    "duplicate key" +
                      (first.is_null() ?
                         std::string() :
                         " (first given at line " +
                           std::to_string(first.line + 1) + ")")));
                }
              validate(it->second, file, child_path(path, name), depth + 1);
            }
        }
      else if (node.IsSequence())
        {
          std::size_t index = 0;
          for (auto it = node.begin(); it != node.end(); ++it, ++index)
            validate(*it, file, element_path(path, index), depth + 1);
        }
    }

    /// Throw for the first mapping key below @p node not in @p usage.
    void check_unknown(const YAML::Node         &node,
                       const std::string        &path,
                       const internal::KeyUsage &usage,
                       const std::string        &file)
    {
      if (node.IsMap())
        {
          static const std::set<std::string> none;
          const auto entry = usage.requested.find(path);
          const std::set<std::string> &known =
            entry == usage.requested.end() ? none : entry->second;
          for (auto it = node.begin(); it != node.end(); ++it)
            {
              const std::string name = it->first.Scalar();
              if (known.count(name) == 0)
                throw InputError(format_error(file,
                                              it->first.Mark(),
                                              child_path(path, name),
                                              unknown_key_message(name, known)));
              check_unknown(it->second, child_path(path, name), usage, file);
            }
        }
      else if (node.IsSequence())
        {
          std::size_t index = 0;
          for (auto it = node.begin(); it != node.end(); ++it, ++index)
            check_unknown(*it, element_path(path, index), usage, file);
        }
    }

    /// Parser events of no interest: the pre-scan in parse_document() only
    /// looks at where documents start.
    struct DocumentScanner : YAML::EventHandler
    {
      std::vector<YAML::Mark> starts;
      /// Where each document's content starts (its start if it has none).
      std::vector<YAML::Mark> contents;
      void OnDocumentStart(const YAML::Mark &mark) override
      {
        starts.push_back(mark);
        contents.push_back(mark);
        first_node = true;
      }
      void OnDocumentEnd() override {}
      void OnNull(const YAML::Mark &m, YAML::anchor_t) override { node(m); }
      void OnAlias(const YAML::Mark &m, YAML::anchor_t) override { node(m); }
      void OnScalar(const YAML::Mark &m, const std::string &, YAML::anchor_t,
                    const std::string &) override { node(m); }
      void OnSequenceStart(const YAML::Mark &m, const std::string &,
                           YAML::anchor_t, YAML::EmitterStyle::value) override
      {
        node(m);
      }
      void OnSequenceEnd() override {}
      void OnMapStart(const YAML::Mark &m, const std::string &, YAML::anchor_t,
                      YAML::EmitterStyle::value) override
      {
        node(m);
      }
      void OnMapEnd() override {}

    private:
      bool first_node = false;
      void node(const YAML::Mark &m)
      {
        if (first_node && !contents.empty())
          contents.back() = m;
        first_node = false;
      }
    };

    /**
     * The one document in @p text (a null node for an empty file). A second
     * document or a syntax error is an InputError.
     *
     * YAML::LoadAll() is not used: on a stray ',' outside brackets (e.g. a
     * line ",,") yaml-cpp 0.7 returns an endless series of empty documents
     * without advancing, and LoadAll() loops until memory runs out. Here the
     * documents are counted first, at most two, and a document that starts
     * where the previous one started is reported as the syntax error it is.
     */
    YAML::Node parse_document(const std::string &text,
                              const std::string &source_name)
    {
      try
        {
          std::istringstream in(text);
          YAML::Parser       parser(in);
          DocumentScanner    scanner;
          while (scanner.starts.size() < 2 && parser.HandleNextDocument(scanner))
            {
            }
          if (scanner.starts.size() == 2)
            {
              const YAML::Mark &first = scanner.starts[0], &second = scanner.starts[1];
              if (second.pos == first.pos)
                {
                  const std::string what =
                    second.pos >= 0 && std::size_t(second.pos) < text.size() ?
                      "unexpected '" + text.substr(std::size_t(second.pos), 1) + "'" :
                      std::string("unexpected character");
                  throw InputError(format_error(
                    source_name, second, "",
                    "YAML syntax error: " + what +
                      " (a ',' separates entries only inside [...] or {...})"));
                }
              throw InputError(format_error(source_name,
                                            scanner.contents[1],
                                            "",
                                            "found a second YAML document ('---'), "
                                            "expected one document per file"));
            }
          return YAML::Load(text);
        }
      catch (const YAML::Exception &e)
        {
          throw InputError(
            format_error(source_name, e.mark, "", "YAML syntax error: " + e.msg));
        }
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
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec))
      throw InputError(path + ": cannot read input file: it is a directory");

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
