// Per-phase statistics of cell fields, reduced over MPI ranks: counts,
// means, maxima and percentiles. Percentiles come from a fixed logarithmic
// histogram (400 bins per decade from 1 Pa to 1e12 Pa, relative resolution
// 0.6 %), so they cost O(bins) memory and one reduction, whatever the mesh.
#pragma once

#include <mpi.h>

#include <map>
#include <vector>

namespace solidanode
{
  class LogHistogram
  {
  public:
    static constexpr double lower = 1.0, upper = 1e12;
    static constexpr int    bins_per_decade = 400;

    LogHistogram();
    void   add(double value, double weight = 1.);
    /// Sum the counts of all ranks (collective).
    void   reduce(MPI_Comm comm);
    /// Value below which a fraction @p q (0..1) of the weight lies: the
    /// geometric centre of the bin where the cumulative weight reaches q.
    /// Values below `lower` count as `lower`'s bin. 0 if empty.
    double quantile(double q) const;
    double total() const;

  private:
    std::vector<double> counts_;
  };

  /// Running statistics of one scalar per phase.
  struct PhaseAccumulator
  {
    double       count = 0., sum = 0., max = -1e300;
    LogHistogram histogram;

    void add(double v)
    {
      count += 1.;
      sum += v;
      if (v > max)
        max = v;
      histogram.add(v);
    }
    /// Collective: sums counts, sums and histograms, maxima over ranks.
    void   reduce(MPI_Comm comm);
    double mean() const { return count > 0 ? sum / count : 0.; }
  };
} // namespace solidanode
