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

  /// std::runtime_error "cannot read 'P': No such file or directory" or
  /// "...: it is a FIFO (named pipe), expected a regular file" (directories,
  /// devices such as /dev/zero, sockets) unless @p path is a regular file
  /// (symbolic links followed). Readers call it before opening: a FIFO would
  /// block, /dev/zero never ends.
  void require_regular_file(const std::string &path);

  /// "" if @p path is a regular file or does not exist, else "it is a FIFO
  /// (named pipe), expected a regular file" and the like.
  std::string file_kind_problem(const std::string &path);

  /// A fingerprint of the bytes of @p path: "fnv1a64:<16 hex digits>:<size>"
  /// (FNV-1a, read in chunks, so large images cost one pass). Any change of
  /// the content or size changes it in practice. std::runtime_error naming
  /// the path if it cannot be read.
  std::string file_fingerprint(const std::string &path);

  /// The same fingerprint of bytes in memory.
  std::string bytes_fingerprint(const std::string &bytes);

  /**
   * An exclusive lock on a directory for as long as this object lives:
   * flock() on "<directory>/.lock" (the directory is created if needed),
   * which also ends when the process dies. The lock file holds the pid of
   * its holder.
   */
  class DirectoryLock
  {
  public:
    /// std::runtime_error "output directory 'D' is in use by another run
    /// (process P holds 'D/.lock') ..." if another process (or another
    /// DirectoryLock) holds it; naming the OS error if it cannot be created.
    explicit DirectoryLock(const std::string &directory);
    ~DirectoryLock();
    DirectoryLock(const DirectoryLock &)            = delete;
    DirectoryLock &operator=(const DirectoryLock &) = delete;

  private:
    int fd_ = -1;
  };

  /// Create a directory and its parents; std::runtime_error naming the path
  /// and the OS error (permission, not a directory, ...) on failure.
  void create_directories(const std::string &path);
} // namespace solidanode
