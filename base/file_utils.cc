// File helpers shared by all writers: atomic replacement and clear errors.
#include <base/file_utils.h>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <system_error>
#include <vector>

namespace solidanode
{
  namespace
  {
    /// Text for an errno value captured right after a failed operation.
    /// iostreams do not promise to set errno, hence the fallback.
    std::string os_error(const int err)
    {
      return err != 0 ? std::strerror(err) : "unknown I/O error";
    }
  } // namespace

  std::string temporary_name(const std::string &path)
  {
    return path + ".tmp." + std::to_string(static_cast<long>(::getpid()));
  }

  void atomic_write(const std::string &path,
                    const std::function<void(const std::string &tmp)> &write)
  {
    if (path.empty())
      throw std::runtime_error("cannot write a file with an empty name");

    const std::string tmp = temporary_name(path);
    try
      {
        write(tmp);
      }
    catch (...)
      {
        // The writer has already described what went wrong; only make sure
        // that no half-written temporary is left behind. @p path itself has
        // not been touched.
        std::remove(tmp.c_str());
        throw;
      }

    // std::rename replaces an existing file atomically on POSIX systems, so a
    // reader sees either the complete old file or the complete new one.
    if (std::rename(tmp.c_str(), path.c_str()) != 0)
      {
        const int err = errno;
        std::remove(tmp.c_str());
        throw std::runtime_error("cannot write '" + path + "': renaming '" +
                                 tmp + "' failed: " + std::strerror(err));
      }
  }

  void atomic_write_text(const std::string &path, const std::string &text)
  {
    atomic_write(path, [&](const std::string &tmp) {
      errno = 0;
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      if (!out)
        {
          const int err = errno;
          throw std::runtime_error("cannot write '" + path + "': cannot open '" +
                                   tmp + "': " + os_error(err));
        }
      out.write(text.data(), static_cast<std::streamsize>(text.size()));
      out.close();
      if (!out)
        {
          const int err = errno;
          throw std::runtime_error("cannot write '" + path + "': writing '" +
                                   tmp + "' failed: " + os_error(err));
        }
    });
  }

  void create_directories(const std::string &path)
  {
    if (path.empty())
      throw std::runtime_error("cannot create a directory with an empty name");

    std::error_code ec;
    std::filesystem::create_directories(path, ec);
    if (ec)
      throw std::runtime_error("cannot create directory '" + path +
                               "': " + ec.message());

    // Some standard libraries report success when @p path already exists as
    // a regular file; a directory is what the caller needs.
    if (!std::filesystem::is_directory(path, ec))
      throw std::runtime_error(
        "cannot create directory '" + path + "': " +
        (ec ? ec.message() :
              std::make_error_code(std::errc::not_a_directory).message()));
  }

  std::string file_kind_problem(const std::string &path)
  {
    namespace fs = std::filesystem;
    std::error_code ec;
    const auto      st = fs::status(path, ec);
    if (!fs::exists(st) || fs::is_regular_file(st))
      return "";
    const char *what = fs::is_directory(st)      ? "a directory" :
                       fs::is_fifo(st)           ? "a FIFO (named pipe)" :
                       fs::is_character_file(st) ? "a character device" :
                       fs::is_block_file(st)     ? "a block device" :
                       fs::is_socket(st)         ? "a socket" :
                                                   "not a regular file";
    return "it is " + std::string(what) + ", expected a regular file";
  }

  void require_regular_file(const std::string &path)
  {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec))
      throw std::runtime_error("cannot read '" + path + "': " +
                               std::strerror(ec ? ec.value() : ENOENT));
    const std::string problem = file_kind_problem(path);
    if (!problem.empty())
      throw std::runtime_error("cannot read '" + path + "': " + problem);
  }

  namespace
  {
    /// FNV-1a over bytes, continued over several calls.
    struct Fnv1a64
    {
      std::uint64_t      h    = 14695981039346656037ULL; // offset basis
      unsigned long long size = 0;

      void add(const char *data, const std::size_t n)
      {
        for (std::size_t i = 0; i < n; ++i)
          {
            h ^= static_cast<unsigned char>(data[i]);
            h *= 1099511628211ULL;
          }
        size += n;
      }

      std::string text() const
      {
        char buf[64];
        std::snprintf(buf, sizeof buf, "fnv1a64:%016llx:%llu",
                      static_cast<unsigned long long>(h), size);
        return buf;
      }
    };
  } // namespace

  std::string file_fingerprint(const std::string &path)
  {
    require_regular_file(path);
    errno = 0;
    std::ifstream in(path, std::ios::binary);
    if (!in)
      {
        const int err = errno;
        throw std::runtime_error("cannot read '" + path + "': " + os_error(err));
      }
    Fnv1a64           fnv;
    std::vector<char> buffer(std::size_t(1) << 20);
    while (in)
      {
        in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
        fnv.add(buffer.data(), static_cast<std::size_t>(in.gcount()));
      }
    if (in.bad())
      throw std::runtime_error("cannot read '" + path + "': read error");
    return fnv.text();
  }

  std::string bytes_fingerprint(const std::string &bytes)
  {
    Fnv1a64 fnv;
    fnv.add(bytes.data(), bytes.size());
    return fnv.text();
  }

  DirectoryLock::DirectoryLock(const std::string &directory)
  {
    create_directories(directory);
    const std::string path = (std::filesystem::path(directory) / ".lock").string();
    fd_                    = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0)
      {
        const int err = errno;
        throw std::runtime_error("cannot lock output directory '" + directory +
                                 "': cannot open '" + path + "': " + os_error(err));
      }
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0)
      {
        const int err = errno;
        char      holder[32] = {0};
        const ssize_t n      = ::pread(fd_, holder, sizeof holder - 1, 0);
        ::close(fd_);
        fd_ = -1;
        if (err != EWOULDBLOCK)
          throw std::runtime_error("cannot lock output directory '" + directory + "' ('" +
                                   path + "'): " + os_error(err));
        std::string pid(holder, n > 0 ? std::size_t(n) : 0);
        while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' '))
          pid.pop_back();
        throw std::runtime_error("output directory '" + directory +
                                 "' is in use by another run (" +
                                 (pid.empty() ? std::string("a process") : "process " + pid) +
                                 " holds '" + path +
                                 "'); wait for it to end or choose another --output");
      }
    const std::string pid = std::to_string(static_cast<long>(::getpid())) + "\n";
    if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, pid.data(), pid.size(), 0) < 0)
      {
        // The pid is only informative; the lock itself is held.
      }
  }

  DirectoryLock::~DirectoryLock()
  {
    if (fd_ >= 0)
      ::close(fd_); // releases the flock
  }
} // namespace solidanode
