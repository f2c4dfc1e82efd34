// File helpers shared by all writers: atomic replacement and clear errors.
#include <base/file_utils.h>

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <system_error>

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
} // namespace solidanode
