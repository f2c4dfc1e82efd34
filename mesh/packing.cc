// Collective rearrangement with growth (see packing.h and
// docs/microstructure.md). Compiled with -ffp-contract=off so that the result
// is the same on every machine.
#include <mesh/packing.h>
#include <mesh/portable_random.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace solidanode
{
  namespace
  {
    constexpr double pi = 3.14159265358979323846;

    /// Overlapping pairs are pushed apart by this multiple of their overlap
    /// (over-relaxation: 1.2 jams ~0.5 % denser and ~30 % faster than 1.0
    /// in our trials).
    constexpr double push_factor = 1.2;

    class Packer
    {
    public:
      Packer(std::vector<PackingSphere> &spheres, const PackingParameters &p)
        : s(spheres)
        , p(p)
        , n(spheres.size())
      {
        for (const auto &x : s)
          if (!x.fixed)
            mobile_radii.push_back(x.radius);
        std::sort(mobile_radii.begin(), mobile_radii.end());
      }

      double radius(const std::size_t i, const double scale) const
      {
        return s[i].fixed ? s[i].radius : scale * s[i].radius;
      }

      void confine(std::array<double, 3> &x) const
      {
        for (unsigned int d = 0; d < 3; ++d)
          if (p.periodic[d])
            {
              x[d] -= p.domain[d] * std::floor(x[d] / p.domain[d]);
              if (!(x[d] < p.domain[d]))
                x[d] = 0.;
            }
          else
            x[d] = std::min(std::max(x[d], p.centre_lo[d]), p.centre_hi[d]);
      }

      /// Build the cell list for radius scale @p scale.
      void build_grid(const double scale)
      {
        // Cells about two upper-quartile radii wide (at least 1/200 of the
        // domain); larger spheres look further (their reach), and each pair
        // is handled by its larger sphere.
        double r_typ = mobile_radii.empty() ? 0. :
                                              scale * mobile_radii[(3 * mobile_radii.size()) / 4];
        for (unsigned int d = 0; d < 3; ++d)
          {
            double c = std::max(2. * r_typ, p.domain[d] / 200.);
            if (!(c > 0.))
              c = p.domain[d];
            nc[d] = std::max(1, static_cast<int>(std::floor(p.domain[d] / c)));
            cell[d] = p.domain[d] / nc[d];
          }
        head.assign(static_cast<std::size_t>(nc[0]) * nc[1] * nc[2], -1);
        next.assign(n, -1);
        cell_of.resize(n);
        for (std::size_t i = 0; i < n; ++i)
          {
            std::array<int, 3> c;
            for (unsigned int d = 0; d < 3; ++d)
              c[d] = std::min(nc[d] - 1,
                              std::max(0, static_cast<int>(std::floor(s[i].centre[d] / cell[d]))));
            cell_of[i] = c;
            const std::size_t h = c[0] + nc[0] * (c[1] + static_cast<std::size_t>(nc[1]) * c[2]);
            next[i] = head[h];
            head[h] = static_cast<long>(i);
          }
      }

      /// Cells within @p reach cells of @p c along axis @p d.
      void axis_cells(const unsigned int d, const int c, const int reach,
                      std::vector<int> &out) const
      {
        out.clear();
        if (p.periodic[d])
          {
            if (2 * reach + 1 >= nc[d])
              for (int k = 0; k < nc[d]; ++k)
                out.push_back(k);
            else
              for (int o = -reach; o <= reach; ++o)
                out.push_back(((c + o) % nc[d] + nc[d]) % nc[d]);
          }
        else
          for (int k = std::max(0, c - reach); k <= std::min(nc[d] - 1, c + reach); ++k)
            out.push_back(k);
      }

      /// Calls f(i, j, dvec, dist2) for every pair closer than the sum of
      /// their radii at @p scale (j handled from the larger sphere i).
      template <typename F>
      void for_each_contact(const double scale, F &&f)
      {
        std::array<std::vector<int>, 3> cells;
        for (std::size_t i = 0; i < n; ++i)
          {
            const double ri = radius(i, scale);
            for (unsigned int d = 0; d < 3; ++d)
              axis_cells(d, cell_of[i][d],
                         static_cast<int>(std::ceil(2. * ri / cell[d])), cells[d]);
            for (const int ck : cells[2])
              for (const int cj : cells[1])
                for (const int ci : cells[0])
                  for (long jj = head[ci + nc[0] * (cj + static_cast<std::size_t>(nc[1]) * ck)];
                       jj >= 0; jj = next[jj])
                    {
                      const std::size_t j = static_cast<std::size_t>(jj);
                      if (j == i || (s[i].fixed && s[j].fixed))
                        continue;
                      const double rj = radius(j, scale);
                      if (!(rj < ri || (rj == ri && j < i)))
                        continue;
                      std::array<double, 3> dv;
                      double dist2 = 0.;
                      for (unsigned int d = 0; d < 3; ++d)
                        {
                          dv[d] = s[j].centre[d] - s[i].centre[d];
                          if (p.periodic[d])
                            dv[d] -= p.domain[d] * std::floor(dv[d] / p.domain[d] + 0.5);
                          dist2 += dv[d] * dv[d];
                        }
                      const double sum = ri + rj;
                      if (dist2 < sum * sum)
                        f(i, j, ri, rj, dv, dist2);
                    }
          }
      }

      /// One Gauss-Seidel sweep at @p scale; returns the largest overlap
      /// relative to the smaller radius found.
      double sweep(const double scale, double &inner)
      {
        build_grid(scale);
        double worst = 0.;
        inner = scale;
        const double f = p.max_overlap;
        for_each_contact(scale, [&](const std::size_t i, const std::size_t j, const double ri,
                                    const double rj, const std::array<double, 3> &dv,
                                    const double dist2) {
          const double dist = std::sqrt(dist2);
          const double ov = ri + rj - dist;
          worst = std::max(worst, ov / std::min(ri, rj));
          if (s[i].fixed || s[j].fixed)
            {
              const std::size_t m = s[i].fixed ? j : i, q = s[i].fixed ? i : j;
              inner = std::min(inner, (dist - s[q].radius) / s[m].radius);
            }
          else
            inner = std::min(inner, dist / (s[i].radius + s[j].radius -
                                            f * std::min(s[i].radius, s[j].radius)));
          std::array<double, 3> e{{1., 0., 0.}};
          if (dist > 0.)
            for (unsigned int d = 0; d < 3; ++d)
              e[d] = dv[d] / dist;
          // Out of fixed spheres (the layers below) the push is tilted
          // upwards by ~6 degrees (non-periodic z only): a sphere on the
          // lower bound of its centre region between fixed spheres whose
          // centres lie on that same plane would otherwise only be pushed
          // sideways, back and forth, and never get out.
          if ((s[i].fixed || s[j].fixed) && !p.periodic[2])
            {
              const double up = s[i].fixed ? 0.1 : -0.1; // e points from i to j
              e[2] += up;
              const double norm = std::sqrt(e[0] * e[0] + e[1] * e[1] + e[2] * e[2]);
              for (unsigned int d = 0; d < 3; ++d)
                e[d] /= norm;
            }
          double wi, wj;
          if (s[i].fixed)
            wi = 0., wj = 1.;
          else if (s[j].fixed)
            wi = 1., wj = 0.;
          else
            {
              const double vi = ri * ri * ri, vj = rj * rj * rj;
              wi = vj / (vi + vj);
              wj = vi / (vi + vj);
            }
          const double push = ov * push_factor;
          for (unsigned int d = 0; d < 3; ++d)
            {
              s[i].centre[d] -= push * wi * e[d];
              s[j].centre[d] += push * wj * e[d];
            }
          confine(s[i].centre);
          confine(s[j].centre);
        });
        return worst;
      }

      /// Largest scale <= @p scale at which no pair violates the overlap
      /// rule (no overlap at all with fixed spheres).
      double safe_scale(const double scale)
      {
        build_grid(scale);
        double best = scale;
        const double f = p.max_overlap;
        for_each_contact(scale, [&](const std::size_t i, const std::size_t j, double, double,
                                    const std::array<double, 3> &, const double dist2) {
          const double dist = std::sqrt(dist2);
          double limit;
          if (s[i].fixed || s[j].fixed)
            {
              const std::size_t m = s[i].fixed ? j : i, q = s[i].fixed ? i : j;
              limit = (dist - s[q].radius) / s[m].radius;
            }
          else
            limit = dist / (s[i].radius + s[j].radius -
                            f * std::min(s[i].radius, s[j].radius));
          best = std::min(best, limit);
        });
        return std::max(0., best * (1. - 1e-12));
      }

      double max_relative_overlap(const double scale)
      {
        build_grid(scale);
        double worst = 0.;
        for_each_contact(scale, [&](std::size_t, std::size_t, const double ri, const double rj,
                                    const std::array<double, 3> &, const double dist2) {
          worst = std::max(worst, (ri + rj - std::sqrt(dist2)) / std::min(ri, rj));
        });
        return worst;
      }

      std::vector<PackingSphere> &s;
      const PackingParameters &p;
      const std::size_t n;
      std::vector<double> mobile_radii;
      std::array<int, 3> nc;
      std::array<double, 3> cell;
      std::vector<long> head, next;
      std::vector<std::array<int, 3>> cell_of;
    };
  } // namespace

  PackingReport pack_spheres(std::vector<PackingSphere> &spheres, const PackingParameters &p)
  {
    const auto start = std::chrono::steady_clock::now();
    for (unsigned int d = 0; d < 3; ++d)
      {
        if (!(p.domain[d] > 0.) || !std::isfinite(p.domain[d]))
          throw std::invalid_argument("sphere packing: the domain must have positive size");
        if (!p.periodic[d] && !(p.centre_lo[d] <= p.centre_hi[d]))
          throw std::invalid_argument("sphere packing: empty centre region");
      }
    if (!(p.contraction_rate > 0. && p.contraction_rate <= 1.))
      throw std::invalid_argument("sphere packing: contraction_rate must be in (0, 1]");
    if (!(p.max_overlap >= 0. && p.max_overlap < 1.))
      throw std::invalid_argument("sphere packing: max_overlap must be in [0, 1)");
    for (const auto &x : spheres)
      if (!(x.radius > 0.) || !std::isfinite(x.radius))
        throw std::invalid_argument("sphere packing: radii must be finite and > 0");

    PackingReport report;
    double region = 1.;
    for (unsigned int d = 0; d < 3; ++d)
      region *= p.periodic[d] ? p.domain[d] : std::max(p.centre_hi[d] - p.centre_lo[d], 1e-300);
    double volume = 0.;
    for (const auto &x : spheres)
      if (x.fixed)
        ++report.n_fixed;
      else
        {
          ++report.n_mobile;
          volume += 4. / 3. * pi * x.radius * x.radius * x.radius;
        }
    report.target_fraction = volume / region;

    Packer packer(spheres, p);
    if (p.random_start)
      {
        PortableRandom random(p.seed);
        for (auto &x : spheres)
          if (!x.fixed)
            {
              for (unsigned int d = 0; d < 3; ++d)
                x.centre[d] = p.periodic[d] ?
                                random.uniform() * p.domain[d] :
                                p.centre_lo[d] + random.uniform() * (p.centre_hi[d] - p.centre_lo[d]);
              packer.confine(x.centre);
            }
      }

    if (report.n_mobile > 0)
      {
        // Jodrey-Tory-like contraction: the outer scale starts at the
        // target radii; every sweep pushes the pairs that overlap at the
        // outer scale apart, the inner scale is the largest scale without
        // overlap, and the outer scale moves a fraction contraction_rate of the way
        // towards the inner one. Stops when both meet (jammed, or scale 1
        // reached without overlap) or the sweep budget is spent.
        double outer = 1.;
        double inner = 0.;
        while (report.sweeps < p.max_sweeps)
          {
            ++report.sweeps;
            packer.sweep(outer, inner);
            if (inner >= outer * (1. - 1e-4))
              break;
            outer -= p.contraction_rate * (outer - inner);
          }
        const double good_scale = outer;
        report.scale = packer.safe_scale(good_scale);
        report.max_overlap = packer.max_relative_overlap(report.scale);
        for (auto &x : spheres)
          if (!x.fixed)
            x.radius *= report.scale;
        report.fraction =
          report.target_fraction * report.scale * report.scale * report.scale;
      }
    else
      report.scale = 1.;
    report.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return report;
  }
} // namespace solidanode
