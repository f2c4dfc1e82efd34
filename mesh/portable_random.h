// Random numbers that are the same bit for bit on every platform: raw words
// of std::mt19937_64 (specified exactly by the C++ standard) with our own
// uniform and normal transforms (std:: distributions are implementation
// defined). Used by the population generator and the sphere packing.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>

namespace solidanode
{
  class PortableRandom
  {
  public:
    explicit PortableRandom(const std::uint64_t seed)
      : engine(seed)
    {}

    /// Uniform in [0, 1): the top 53 bits of one engine word.
    double uniform() { return static_cast<double>(engine() >> 11) * 0x1.0p-53; }

    /// Standard normal variate (Marsaglia's polar method, second variate
    /// discarded).
    double normal()
    {
      for (;;)
        {
          const double u = 2. * uniform() - 1.;
          const double v = 2. * uniform() - 1.;
          const double s = u * u + v * v;
          if (s > 0. && s < 1.)
            return u * std::sqrt(-2. * std::log(s) / s);
        }
    }

  private:
    std::mt19937_64 engine;
  };

  /// SplitMix64 finaliser: derives independent seeds for sub-streams
  /// (one per layer and population) from the case seed.
  inline std::uint64_t mix_seed(std::uint64_t x)
  {
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
  }
} // namespace solidanode
