// Loading and checking a YAML case document: parsing exactly one document,
// rejecting what a case file must not contain, and reporting unknown keys.
// The conventions: yaml_input.cc.
#include <base/yaml_input_detail.h>

#include <yaml-cpp/eventhandler.h>

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace solidanode
{
  namespace detail
  {
    namespace
    {
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

      /// Parser events of no interest: the pre-scan in parse_document() only
      /// looks at where documents start.
      /// A limit of yaml_limits exceeded at @p mark (thrown from the scan).
      struct LimitExceeded
      {
        YAML::Mark  mark;
        std::string message;
      };

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
          total      = 0;
          anchors.clear();
          open.clear();
        }
        void OnDocumentEnd() override {}
        void OnNull(const YAML::Mark &m, YAML::anchor_t a) override { leaf(m, a, 1); }
        void OnAlias(const YAML::Mark &m, YAML::anchor_t a) override
        {
          const auto it = anchors.find(a);
          leaf(m, 0, it == anchors.end() ? 1 : it->second);
        }
        void OnScalar(const YAML::Mark &m, const std::string &, YAML::anchor_t a,
                      const std::string &) override
        {
          leaf(m, a, 1);
        }
        void OnSequenceStart(const YAML::Mark &m, const std::string &, YAML::anchor_t a,
                             YAML::EmitterStyle::value) override
        {
          start(m, a);
        }
        void OnSequenceEnd() override { end(); }
        void OnMapStart(const YAML::Mark &m, const std::string &, YAML::anchor_t a,
                        YAML::EmitterStyle::value) override
        {
          start(m, a);
        }
        void OnMapEnd() override { end(); }

      private:
        /// An open sequence or mapping: its anchor and its nodes so far,
        /// aliases counted as the nodes they stand for.
        struct Open
        {
          YAML::anchor_t anchor;
          std::size_t    nodes;
        };
        bool                                     first_node = false;
        std::size_t                              total      = 0;
        std::map<YAML::anchor_t, std::size_t>    anchors;
        std::vector<Open>                        open;

        void node(const YAML::Mark &m)
        {
          if (first_node && !contents.empty())
            contents.back() = m;
          first_node = false;
        }
        /// @p n more nodes (saturating), checked against the limit.
        void add(const YAML::Mark &m, const std::size_t n)
        {
          const std::size_t cap = yaml_limits::max_nodes + 1;
          total                 = std::min(cap, total + std::min(n, cap));
          if (!open.empty())
            open.back().nodes = std::min(cap, open.back().nodes + std::min(n, cap));
          if (total > yaml_limits::max_nodes)
            throw LimitExceeded{m, "the document expands to more than " +
                                     std::to_string(yaml_limits::max_nodes) +
                                     " nodes (aliases '*name' count as the nodes they "
                                     "repeat); expected a case or study file"};
        }
        void leaf(const YAML::Mark &m, const YAML::anchor_t a, const std::size_t n)
        {
          node(m);
          add(m, n);
          if (a != 0)
            anchors[a] = n;
        }
        void start(const YAML::Mark &m, const YAML::anchor_t a)
        {
          node(m);
          add(m, 1);
          open.push_back({a, 1});
          if (open.size() > yaml_limits::max_depth)
            throw LimitExceeded{m, "lists and mappings are nested more than " +
                                     std::to_string(yaml_limits::max_depth) +
                                     " levels deep"};
        }
        void end()
        {
          const Open done = open.back();
          open.pop_back();
          if (done.anchor != 0)
            anchors[done.anchor] = done.nodes;
          // The parent already counted this node once; add its contents.
          if (!open.empty())
            open.back().nodes = std::min(yaml_limits::max_nodes + 1,
                                         open.back().nodes + done.nodes - 1);
        }
      };
    } // namespace


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

    /// Check what yaml-cpp accepts but a case file must not contain: keys
    /// that are not plain names, duplicate keys, and excessive nesting.
    void validate(const YAML::Node  &node,
                  const std::string &file,
                  const std::string &path,
                  int                depth)
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

    namespace
    {
      /// A plain (unquoted) "<<" key: YAML's merge key.
      bool is_merge_key(const YAML::Node &key)
      {
        return key.IsScalar() && key.Scalar() == "<<" && key.Tag() == "?";
      }

      /**
       * Expand YAML merge keys in place: a mapping entry "<<: *base" (or
       * "<<: [*a, *b]") adds every key of the merged mapping(s) that the
       * mapping does not give itself; earlier mappings in a list win over
       * later ones (YAML 1.1 merge key type). Recursion stops at max_depth,
       * where validate() reports the nesting.
       */
      void expand_merge_keys(YAML::Node         node,
                             const std::string &file,
                             const std::string &path,
                             int                depth)
      {
        if (depth > max_depth)
          return;
        if (node.IsSequence())
          {
            std::size_t index = 0;
            for (YAML::Node item : node)
              expand_merge_keys(item, file, element_path(path, index++), depth + 1);
            return;
          }
        if (!node.IsMap())
          return;
        YAML::Node            merge;
        bool                  has_merge = false;
        std::set<std::string> own;
        for (auto it = node.begin(); it != node.end(); ++it)
          {
            const YAML::Node key = it->first;
            if (is_merge_key(key))
              {
                if (has_merge)
                  throw InputError(format_error(file, key.Mark(), child_path(path, "<<"),
                                                "duplicate key (one merge key '<<' per "
                                                "mapping; merge several as '<<: [*a, *b]')"));
                merge     = it->second;
                has_merge = true;
                continue;
              }
            if (key.IsScalar())
              own.insert(key.Scalar());
            expand_merge_keys(it->second, file, child_path(path, key.IsScalar() ? key.Scalar() : "?"),
                              depth + 1);
          }
        if (!has_merge)
          return;
        std::vector<YAML::Node> sources;
        if (merge.IsMap())
          sources.push_back(merge);
        else if (merge.IsSequence())
          for (const YAML::Node &item : merge)
            sources.push_back(item);
        else
          sources.push_back(merge); // refused below
        for (const YAML::Node &source : sources)
          if (!source.IsMap())
            throw InputError(format_error(file, source.Mark(), child_path(path, "<<"),
                                          found(source) +
                                            ", expected a mapping or a list of mappings to "
                                            "merge (e.g. '<<: *defaults')"));
        node.remove("<<");
        for (YAML::Node source : sources)
          {
            expand_merge_keys(source, file, path, depth + 1);
            for (auto it = source.begin(); it != source.end(); ++it)
              if (it->first.IsScalar() && own.insert(it->first.Scalar()).second)
                node[it->first.Scalar()] = it->second;
          }
      }
    } // namespace

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
          YAML::Node root = YAML::Load(text);
          expand_merge_keys(root, source_name, "", 0);
          return root;
        }
      catch (const LimitExceeded &e)
        {
          throw InputError(format_error(source_name, e.mark, "", e.message));
        }
      catch (const YAML::Exception &e)
        {
          throw InputError(
            format_error(source_name, e.mark, "", "YAML syntax error: " + e.msg));
        }
    }
  } // namespace detail
} // namespace solidanode
