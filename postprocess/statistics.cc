#include <postprocess/statistics.h>

#include <cmath>

namespace solidanode
{
  namespace
  {
    constexpr int n_bins = 12 * LogHistogram::bins_per_decade;
  }

  LogHistogram::LogHistogram()
    : counts_(n_bins, 0.)
  {}

  void LogHistogram::add(double value, double weight)
  {
    int bin = 0;
    if (value > lower)
      bin = static_cast<int>(std::floor(std::log10(value / lower) * bins_per_decade));
    if (bin >= n_bins)
      bin = n_bins - 1;
    if (bin < 0)
      bin = 0;
    counts_[bin] += weight;
  }

  void LogHistogram::reduce(MPI_Comm comm)
  {
    MPI_Allreduce(MPI_IN_PLACE, counts_.data(), n_bins, MPI_DOUBLE, MPI_SUM, comm);
  }

  double LogHistogram::total() const
  {
    double t = 0.;
    for (double c : counts_)
      t += c;
    return t;
  }

  double LogHistogram::quantile(double q) const
  {
    const double t = total();
    if (!(t > 0.))
      return 0.;
    const double target = q * t;
    double       cumulative = 0.;
    for (int b = 0; b < n_bins; ++b)
      {
        cumulative += counts_[b];
        if (cumulative >= target && counts_[b] > 0.)
          return lower * std::pow(10., (b + 0.5) / bins_per_decade);
      }
    return upper;
  }

  void PhaseAccumulator::reduce(MPI_Comm comm)
  {
    double s[2] = {count, sum};
    MPI_Allreduce(MPI_IN_PLACE, s, 2, MPI_DOUBLE, MPI_SUM, comm);
    count = s[0];
    sum   = s[1];
    MPI_Allreduce(MPI_IN_PLACE, &max, 1, MPI_DOUBLE, MPI_MAX, comm);
    histogram.reduce(comm);
  }
} // namespace solidanode
