// Interface areas of a labelled voxel image: marching tetrahedra on the
// (optionally smoothed) phase indicators, and the staircase count of voxel
// faces. Estimators: docs/morphology.md. The rest of the morphology:
// morphology.cc.
#include <mesh/morphology.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

namespace solidanode
{
  namespace
  {
    struct Vec
    {
      double x, y, z;
    };
    Vec operator-(const Vec &a, const Vec &b) { return {a.x - b.x, a.y - b.y, a.z - b.z}; }
    double cross_norm(const Vec &a, const Vec &b)
    {
      const double cx = a.y * b.z - a.z * b.y, cy = a.z * b.x - a.x * b.z,
                   cz = a.x * b.y - a.y * b.x;
      return std::sqrt(cx * cx + cy * cy + cz * cz);
    }

    // Smoothed indicators are integer weighted counts 0..full (full = 27
    // for the box, 64 for the binomial filter; sums of two for unions:
    // 0..2 full, still "inside" above full / 2 = iso).

    /// The six Freudenthal tetrahedra of a cube: corners 0, e_a, e_a+e_b, 7
    /// for every permutation (a, b, c) of the axes. Corner bits: x=1, y=2,
    /// z=4. Neighbouring cubes triangulate shared faces alike.
    constexpr int tets[6][4] = {{0, 1, 3, 7}, {0, 1, 5, 7}, {0, 2, 3, 7},
                                {0, 2, 6, 7}, {0, 4, 5, 7}, {0, 4, 6, 7}};

    /// Area of the iso-surface (value iso) of the piecewise linear
    /// interpolant of the corner values @p v on the six tetrahedra of one
    /// cube.
    double cube_area(const int v[8], const Vec corner[8], const double iso)
    {
      double area = 0.;
      const auto cut = [&](int a, int b) {
        const double t = (iso - v[a]) / double(v[b] - v[a]);
        return Vec{corner[a].x + t * (corner[b].x - corner[a].x),
                   corner[a].y + t * (corner[b].y - corner[a].y),
                   corner[a].z + t * (corner[b].z - corner[a].z)};
      };
      for (const auto &t : tets)
        {
          int in[4], out[4], n_in = 0, n_out = 0;
          for (int c = 0; c < 4; ++c)
            (v[t[c]] > iso ? in[n_in++] : out[n_out++]) = t[c];
          if (n_in == 0 || n_out == 0)
            continue;
          if (n_in == 1 || n_out == 1)
            {
              const int  lone   = n_in == 1 ? in[0] : out[0];
              const int *others = n_in == 1 ? out : in;
              const Vec  p0 = cut(lone, others[0]), p1 = cut(lone, others[1]),
                        p2 = cut(lone, others[2]);
              area += 0.5 * cross_norm(p1 - p0, p2 - p0);
            }
          else
            {
              // Planar quad P(a,c) P(a,d) P(b,d) P(b,c): half the cross
              // product of its diagonals.
              const Vec pac = cut(in[0], out[0]), pad = cut(in[0], out[1]),
                        pbd = cut(in[1], out[1]), pbc = cut(in[1], out[0]);
              area += 0.5 * cross_norm(pbd - pac, pbc - pad);
            }
        }
      return area;
    }

    /// Rolling computation of the 3x3x3 box counts of every phase, one z
    /// slice at a time (clamped at the image faces: the image is extended
    /// by repeating its outermost layer).
    class SmoothedSlices
    {
    public:
      SmoothedSlices(const VoxelImage &image, const std::vector<int> &phase_of_label,
                     unsigned int n_phases, AreaSmoothing smoothing)
        : image(image), phase_of_label(phase_of_label), K(n_phases),
          smooth(smoothing != AreaSmoothing::none),
          wc(smoothing == AreaSmoothing::binomial ? 2 : 1), full((wc + 2) * (wc + 2) * (wc + 2)),
          nx(image.dims[0]), ny(image.dims[1]), nz(image.dims[2]), plane(nx * ny)
      {
        for (auto &s : s2)
          {
            s.k = -1;
            s.data.assign(K * plane, 0);
          }
        for (auto &s : s3)
          {
            s.k = -1;
            s.data.assign(K * plane, 0);
            s.uniform.assign(plane, 0);
          }
        tmp.assign(K * plane, 0);
      }

      /// Counts of phase p at (i, j) of slice k: data[p * plane + j * nx + i];
      /// uniform[j * nx + i] = phase + 1 if the count is 27 for it, else 0.
      struct Slice3
      {
        long                      k;
        std::vector<std::uint8_t> data, uniform;
      };

      const Slice3 &get(long k)
      {
        k = clamp(k, nz);
        for (auto &s : s3)
          if (s.k == k)
            return s;
        Slice3 &s = s3[k % 2];
        s.k       = k;
        if (!smooth)
          {
            // The raw indicator scaled to 0 or 27.
            std::fill(s.data.begin(), s.data.end(), 0);
            const auto *lab = image.labels.data() + k * plane;
            for (std::size_t c = 0; c < plane; ++c)
              s.data[phase_of_label[lab[c]] * plane + c] = static_cast<std::uint8_t>(full);
          }
        else
          {
            const auto &a = slice2(clamp(k - 1, nz)), &b = slice2(k),
                       &c = slice2(clamp(k + 1, nz));
            for (std::size_t n = 0; n < K * plane; ++n)
              s.data[n] = static_cast<std::uint8_t>(a[n] + wc * b[n] + c[n]);
          }
        std::fill(s.uniform.begin(), s.uniform.end(), 0);
        for (unsigned int p = 0; p < K; ++p)
          for (std::size_t c = 0; c < plane; ++c)
            if (s.data[p * plane + c] == full)
              s.uniform[c] = static_cast<std::uint8_t>(p + 1);
        return s;
      }

      static long clamp(long k, std::size_t n)
      {
        return k < 0 ? 0 : (k >= long(n) ? long(n) - 1 : k);
      }

    private:
      struct Slice2
      {
        long                      k;
        std::vector<std::uint8_t> data;
      };

      /// 3x3 counts within slice k.
      const std::vector<std::uint8_t> &slice2(long k)
      {
        for (auto &s : s2)
          if (s.k == k)
            return s.data;
        Slice2 &s = s2[k % 4];
        s.k       = k;
        // Sums along x into tmp, then along y into s.data.
        std::fill(tmp.begin(), tmp.end(), 0);
        const auto *lab = image.labels.data() + k * plane;
        for (std::size_t j = 0; j < ny; ++j)
          for (std::size_t i = 0; i < nx; ++i)
            {
              const std::size_t p  = phase_of_label[lab[j * nx + i]];
              std::uint8_t     *row = tmp.data() + p * plane + j * nx;
              // Voxel i contributes to its own count and its x neighbours';
              // at the faces the repeated outer layer adds once more.
              row[i] += wc;
              if (i > 0)
                row[i - 1] += 1;
              else
                row[i] += 1;
              if (i + 1 < nx)
                row[i + 1] += 1;
              else
                row[i] += 1;
            }
        for (unsigned int p = 0; p < K; ++p)
          {
            const std::uint8_t *t = tmp.data() + p * plane;
            std::uint8_t       *o = s.data.data() + p * plane;
            for (std::size_t j = 0; j < ny; ++j)
              {
                const std::uint8_t *lo = t + clamp(long(j) - 1, ny) * nx,
                                   *mid = t + j * nx, *hi = t + clamp(long(j) + 1, ny) * nx;
                for (std::size_t i = 0; i < nx; ++i)
                  o[j * nx + i] = static_cast<std::uint8_t>(lo[i] + wc * mid[i] + hi[i]);
              }
          }
        return s.data;
      }

      const VoxelImage       &image;
      const std::vector<int> &phase_of_label;
      const unsigned int      K;
      const bool              smooth;
      const int               wc; ///< centre weight: 1 box, 2 binomial
      const int               full; ///< value inside a phase: (wc + 2)^3
      const std::size_t       nx, ny, nz, plane;
      Slice2                  s2[4];
      Slice3                  s3[2];
      std::vector<std::uint8_t> tmp;
    };

    /// The staircase areas: voxel faces between different labels, per pair
    /// of result.pair and summed per phase.
    void add_voxel_faces(const VoxelImage &image, InterfaceAreas &result)
    {
      const std::size_t nx = image.dims[0], ny = image.dims[1], nz = image.dims[2],
                        plane = nx * ny;
      const auto       &h = image.voxel_size;
      const double face[3] = {h[1] * h[2], h[0] * h[2], h[0] * h[1]};
      std::vector<std::size_t> count(3 * 256 * 256, 0);
      for (std::size_t k = 0; k < nz; ++k)
        for (std::size_t j = 0; j < ny; ++j)
          for (std::size_t i = 0; i < nx; ++i)
            {
              const std::size_t c = i + nx * (j + ny * k);
              const std::uint8_t a = image.labels[c];
              if (i + 1 < nx && image.labels[c + 1] != a)
                ++count[0 * 65536 + std::min(a, image.labels[c + 1]) * 256 +
                        std::max(a, image.labels[c + 1])];
              if (j + 1 < ny && image.labels[c + nx] != a)
                ++count[1 * 65536 + std::min(a, image.labels[c + nx]) * 256 +
                        std::max(a, image.labels[c + nx])];
              if (k + 1 < nz && image.labels[c + plane] != a)
                ++count[2 * 65536 + std::min(a, image.labels[c + plane]) * 256 +
                        std::max(a, image.labels[c + plane])];
            }
      for (const auto &[key, area] : result.pair)
        {
          (void)area;
          double a = 0.;
          for (int d = 0; d < 3; ++d)
            a += count[d * 65536 + key.first * 256 + key.second] * face[d];
          result.voxel_faces[key] = a;
          result.phase_voxel_faces[key.first] += a;
          result.phase_voxel_faces[key.second] += a;
        }
    }

  } // namespace


  InterfaceAreas interface_areas(const VoxelImage &image, const AreaSmoothing smoothing)
  {
    const double iso = smoothing == AreaSmoothing::binomial ? 32. : 13.5;
    if (image.labels.size() != image.n_voxels())
      throw std::invalid_argument("interface_areas: labels do not match the dimensions");
    InterfaceAreas result;
    const auto     hist = image.histogram();
    std::vector<std::uint8_t> labels;
    std::vector<int>          phase_of_label(256, 0);
    for (const auto &[l, n] : hist)
      {
        (void)n;
        phase_of_label[l] = static_cast<int>(labels.size());
        labels.push_back(l);
      }
    const unsigned int K = static_cast<unsigned int>(labels.size());
    for (const auto l : labels)
      {
        result.phase[l]             = 0.;
        result.phase_voxel_faces[l] = 0.;
        result.resolved_fraction[l] = 1.;
      }
    if (K < 2)
      return result;

    // Fields: the K phases, then the unions of every pair.
    std::vector<std::pair<int, int>> fields;
    for (unsigned int p = 0; p < K; ++p)
      fields.emplace_back(p, -1);
    for (unsigned int p = 0; p < K; ++p)
      for (unsigned int q = p + 1; q < K; ++q)
        fields.emplace_back(p, q);
    std::vector<double> field_area(fields.size(), 0.);

    const std::size_t nx = image.dims[0], ny = image.dims[1], nz = image.dims[2],
                      plane = nx * ny;
    const auto       &h = image.voxel_size;
    Vec               corner[8];
    for (int c = 0; c < 8; ++c)
      corner[c] = {(c & 1) * h[0], ((c >> 1) & 1) * h[1], ((c >> 2) & 1) * h[2]};

    SmoothedSlices slices(image, phase_of_label, K, smoothing);
    std::vector<double> layer_area(fields.size());
    std::vector<std::size_t> resolved(K, 0), voxels(K, 0), swallowed(K * K, 0),
      swallowed_union(fields.size() * K, 0);
    for (long k = -1; k < long(nz); ++k)
      {
        const auto &s0 = slices.get(k);
        if (k >= 0)
          {
            // Voxels of slice k inside their own phase's smoothed surface.
            // And voxels of other phases inside each phase's surface.
            const auto *lab = image.labels.data() + k * plane;
            for (std::size_t c = 0; c < plane; ++c)
              {
                const unsigned int p = phase_of_label[lab[c]];
                ++voxels[p];
                resolved[p] += s0.data[p * plane + c] > iso;
                if (s0.uniform[c] != 0)
                  continue;
                for (unsigned int q = 0; q < K; ++q)
                  if (q != p && s0.data[q * plane + c] > iso)
                    ++swallowed[q * K + p];
                for (std::size_t f = K; f < fields.size(); ++f)
                  if (int(p) != fields[f].first && int(p) != fields[f].second &&
                      s0.data[fields[f].first * plane + c] +
                          s0.data[fields[f].second * plane + c] > iso)
                    ++swallowed_union[f * K + p];
              }
          }
        const auto &s1 = slices.get(k + 1);
        const double wz = (k == -1 || k == long(nz) - 1) ? 0.5 : 1.;
        std::fill(layer_area.begin(), layer_area.end(), 0.);
        for (long j = -1; j < long(ny); ++j)
          {
            const std::size_t j0 = SmoothedSlices::clamp(j, ny),
                              j1 = SmoothedSlices::clamp(j + 1, ny);
            const double wy = (j == -1 || j == long(ny) - 1) ? 0.5 : 1.;
            for (long i = -1; i < long(nx); ++i)
              {
                const std::size_t i0 = SmoothedSlices::clamp(i, nx),
                                  i1 = SmoothedSlices::clamp(i + 1, nx);
                const std::size_t at[8] = {j0 * nx + i0, j0 * nx + i1, j1 * nx + i0,
                                           j1 * nx + i1, j0 * nx + i0, j0 * nx + i1,
                                           j1 * nx + i0, j1 * nx + i1};
                const std::uint8_t u = s0.uniform[at[0]];
                if (u != 0 && s0.uniform[at[1]] == u && s0.uniform[at[2]] == u &&
                    s0.uniform[at[3]] == u && s1.uniform[at[4]] == u &&
                    s1.uniform[at[5]] == u && s1.uniform[at[6]] == u &&
                    s1.uniform[at[7]] == u)
                  continue; // inside one phase: no surface of any field
                const double w = wy * ((i == -1 || i == long(nx) - 1) ? 0.5 : 1.);
                int          pv[16][8];
                const unsigned int KK = std::min(K, 16u);
                // Per-phase corner values (phases beyond 16 are rare; they
                // are read directly below).
                for (unsigned int p = 0; p < KK; ++p)
                  for (int c = 0; c < 8; ++c)
                    pv[p][c] = (c < 4 ? s0 : s1).data[p * plane + at[c]];
                for (std::size_t f = 0; f < fields.size(); ++f)
                  {
                    int v[8];
                    const auto [p, q] = fields[f];
                    int n_in = 0;
                    for (int c = 0; c < 8; ++c)
                      {
                        const auto &s = c < 4 ? s0 : s1;
                        v[c] = p < 16 ? pv[p][c] : s.data[p * plane + at[c]];
                        if (q >= 0)
                          v[c] += q < 16 ? pv[q][c] : s.data[q * plane + at[c]];
                        n_in += v[c] > iso;
                      }
                    if (n_in == 0 || n_in == 8)
                      continue;
                    layer_area[f] += w * cube_area(v, corner, iso);
                  }
              }
          }
        for (std::size_t f = 0; f < fields.size(); ++f)
          field_area[f] += wz * layer_area[f];
      }

    for (unsigned int p = 0; p < K; ++p)
      {
        result.phase[labels[p]]             = field_area[p];
        result.resolved_fraction[labels[p]] = voxels[p] ? double(resolved[p]) / voxels[p] : 1.;
        for (unsigned int q = 0; q < K; ++q)
          if (q != p && voxels[q] > 0)
            result.inside_fraction[{labels[p], labels[q]}] =
              double(swallowed[p * K + q]) / voxels[q];
      }
    for (std::size_t f = K; f < fields.size(); ++f)
      {
        const auto [p, q] = fields[f];
        const double a = 0.5 * (field_area[p] + field_area[q] - field_area[f]);
        result.pair[{labels[p], labels[q]}] = std::max(0., a);
        for (unsigned int r = 0; r < K; ++r)
          if (int(r) != p && int(r) != q && voxels[r] > 0)
            result.union_inside_fraction[{{labels[p], labels[q]}, labels[r]}] =
              double(swallowed_union[f * K + r]) / voxels[r];
      }

    add_voxel_faces(image, result);
    return result;
  }

} // namespace solidanode
