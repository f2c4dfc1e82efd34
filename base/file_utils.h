// File helpers shared by all writers: atomic replacement and clear errors.
#pragma once

#include <functional>
#include <string>

namespace solidanode
{
  /// Temporary name used while @p path is being written: "<path>.tmp.<pid>".
  std::string temporary_name(const std::string &path);

  /**
   * Make @p path appear atomically: calls @p write with a temporary file name
   * in the same directory, then renames it onto @p path. If @p write throws or
   * the rename fails, the temporary file is removed, any existing @p path is
   * left untouched, and std::runtime_error names the path and the OS error.
   */
  void atomic_write(const std::string &path,
                    const std::function<void(const std::string &tmp)> &write);

  /// atomic_write() of a text string.
  void atomic_write_text(const std::string &path, const std::string &text);

  /// Create a directory and its parents; std::runtime_error naming the path
  /// and the OS error (permission, not a directory, ...) on failure.
  void create_directories(const std::string &path);
} // namespace solidanode
