// Loading and checking a YAML case document (private to base/: the pieces
// shared by yaml_input.cc and yaml_document.cc).
#pragma once

#include <base/yaml_input.h>

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstddef>
#include <set>
#include <string>

namespace solidanode
{
  namespace detail
  {
    /// Deeper nesting is rejected when loading. This also stops recursive
    /// aliases ("a: &x [*x]"), which yaml-cpp accepts, from making every
    /// later walk over the document recurse forever.
    constexpr int max_depth = 64;

    std::string child_path(const std::string &parent, const std::string &key);

    std::string element_path(const std::string &parent, std::size_t index);

    /// "FILE:LINE:COLUMN: key 'PATH': MESSAGE" with 1-based line and column.
    /// The position is left out if @p mark is unknown, the key part if
    /// @p path is the document root.
    std::string format_error(const std::string &file,
                             const YAML::Mark  &mark,
                             const std::string &path,
                             const std::string &message);

    /// What @p node is, as the first half of "found ..., expected ...".
    /// Long or multi-line scalars are shortened (without splitting a UTF-8
    /// character).
    std::string found(const YAML::Node &node);

    std::string to_lower(std::string s);

    /// Levenshtein distance (insertions, deletions, substitutions of bytes).
    std::size_t edit_distance(const std::string &a, const std::string &b);

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

    /// Check what yaml-cpp accepts but a case file must not contain: keys
    /// that are not plain names, duplicate keys, and excessive nesting.
    void validate(const YAML::Node  &node,
                  const std::string &file,
                  const std::string &path,
                  int                depth = 0);

    /// Throw for the first mapping key below @p node not in @p usage.
    void check_unknown(const YAML::Node         &node,
                       const std::string        &path,
                       const internal::KeyUsage &usage,
                       const std::string        &file);

    /// The one document in @p text (a null node for an empty file). A second
    /// document or a syntax error is an InputError.
    YAML::Node parse_document(const std::string &text,
                              const std::string &source_name);
  } // namespace detail
} // namespace solidanode
