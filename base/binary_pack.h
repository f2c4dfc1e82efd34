// A byte buffer for sending structured data between ranks: numbers as their
// bytes, strings as a 64-bit length followed by the bytes. No delimiter, so
// any text (newlines, commas, NUL) arrives unchanged.
#pragma once

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace solidanode
{
  class BinaryWriter
  {
  public:
    template <typename T>
    void put(const T value)
    {
      static_assert(std::is_arithmetic_v<T>, "numbers only");
      const auto *p = reinterpret_cast<const std::uint8_t *>(&value);
      bytes.insert(bytes.end(), p, p + sizeof(T));
    }
    void put_string(const std::string &s)
    {
      put<std::uint64_t>(s.size());
      bytes.insert(bytes.end(), s.begin(), s.end());
    }
    std::vector<std::uint8_t> bytes;
  };

  class BinaryReader
  {
  public:
    explicit BinaryReader(const std::vector<std::uint8_t> &bytes)
      : bytes_(bytes)
    {}
    template <typename T>
    T get()
    {
      static_assert(std::is_arithmetic_v<T>, "numbers only");
      need(sizeof(T));
      T value;
      std::memcpy(&value, bytes_.data() + pos_, sizeof(T));
      pos_ += sizeof(T);
      return value;
    }
    std::string get_string()
    {
      const auto n = get<std::uint64_t>();
      need(n);
      std::string s(reinterpret_cast<const char *>(bytes_.data() + pos_), n);
      pos_ += n;
      return s;
    }
    bool at_end() const { return pos_ == bytes_.size(); }

  private:
    void need(const std::uint64_t n) const
    {
      if (n > bytes_.size() - pos_)
        throw std::runtime_error("binary message truncated: " + std::to_string(n) +
                                 " bytes needed, " + std::to_string(bytes_.size() - pos_) +
                                 " left");
    }
    const std::vector<std::uint8_t> &bytes_;
    std::size_t                      pos_ = 0;
  };
} // namespace solidanode
