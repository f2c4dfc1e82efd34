// Morphology of a labelled voxel image. Estimators: docs/morphology.md.
#include <mesh/morphology.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>
#include <sstream>
#include <stdexcept>

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

    std::string lower(std::string s)
    {
      for (auto &c : s)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return s;
    }

    std::string json_string(const std::string &s)
    {
      std::string out = "\"";
      for (const char c : s)
        {
          if (c == '"' || c == '\\')
            out += std::string("\\") + c;
          else if (static_cast<unsigned char>(c) < 0x20)
            {
              char buf[8];
              std::snprintf(buf, sizeof buf, "\\u%04x", c);
              out += buf;
            }
          else
            out += c;
        }
      return out + "\"";
    }

    std::string num(double x)
    {
      if (!std::isfinite(x))
        return "null";
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.9g", x);
      return buf;
    }

    std::string name_of(const VoxelImage &image, std::uint8_t label)
    {
      const auto it = image.phase_names.find(label);
      return it != image.phase_names.end() ? it->second : "label" + std::to_string(label);
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
      result.phase[l] = 0.;
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
    for (long k = -1; k < long(nz); ++k)
      {
        const auto &s0 = slices.get(k);
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
      result.phase[labels[p]] = field_area[p];
    for (std::size_t f = K; f < fields.size(); ++f)
      {
        const auto [p, q] = fields[f];
        const double a = 0.5 * (field_area[p] + field_area[q] - field_area[f]);
        result.pair[{labels[p], labels[q]}] = std::max(0., a);
      }

    // Staircase diagnostic: faces between different labels.
    const double face[3] = {h[1] * h[2], h[0] * h[2], h[0] * h[1]};
    std::map<std::pair<std::uint8_t, std::uint8_t>, std::size_t> faces[3];
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
      }
    return result;
  }


  std::map<std::uint8_t, PhaseConnectivity> connectivity(const VoxelImage &image)
  {
    const std::size_t nx = image.dims[0], ny = image.dims[1], nz = image.dims[2],
                      plane = nx * ny, n = image.n_voxels();
    if (n >= std::numeric_limits<std::uint32_t>::max())
      throw std::invalid_argument("connectivity: images above 2^32 voxels are not supported");
    const auto &lab = image.labels;

    // Union-find with the smallest index as root, so parent[x] <= x.
    std::vector<std::uint32_t> parent(n);
    std::iota(parent.begin(), parent.end(), 0u);
    const auto find = [&](std::uint32_t x) {
      while (parent[x] != x)
        {
          parent[x] = parent[parent[x]];
          x         = parent[x];
        }
      return x;
    };
    const auto unite = [&](std::uint32_t a, std::uint32_t b) {
      a = find(a);
      b = find(b);
      if (a < b)
        parent[b] = a;
      else if (b < a)
        parent[a] = b;
    };
    for (std::size_t k = 0; k < nz; ++k)
      for (std::size_t j = 0; j < ny; ++j)
        for (std::size_t i = 0; i < nx; ++i)
          {
            const std::size_t c = i + nx * (j + ny * k);
            if (i > 0 && lab[c - 1] == lab[c])
              unite(std::uint32_t(c - 1), std::uint32_t(c));
            if (j > 0 && lab[c - nx] == lab[c])
              unite(std::uint32_t(c - nx), std::uint32_t(c));
            if (k > 0 && lab[c - plane] == lab[c])
              unite(std::uint32_t(c - plane), std::uint32_t(c));
          }

    // In place: parent[] becomes the component number. A root is the first
    // voxel of its component; every other voxel points to a smaller index,
    // whose slot already holds the component number.
    std::vector<std::uint32_t> comp_size;
    std::vector<std::uint8_t>  comp_label, comp_flags;
    for (std::size_t c = 0; c < n; ++c)
      {
        std::uint32_t id;
        if (parent[c] == c)
          {
            id = static_cast<std::uint32_t>(comp_size.size());
            comp_size.push_back(0);
            comp_label.push_back(lab[c]);
            comp_flags.push_back(0);
          }
        else
          id = parent[parent[c]];
        parent[c] = id;
        ++comp_size[id];
        const std::size_t k = c / plane;
        if (k == 0)
          comp_flags[id] |= 2; // bottom
        if (k + 1 == nz)
          comp_flags[id] |= 1; // top
      }
    std::vector<std::uint32_t>().swap(parent);

    std::map<std::uint8_t, PhaseConnectivity>            result;
    std::map<std::uint8_t, std::vector<std::uint32_t>>   sizes;
    for (std::size_t id = 0; id < comp_size.size(); ++id)
      {
        auto &r = result[comp_label[id]];
        r.voxels += comp_size[id];
        ++r.components;
        if (comp_flags[id] == 3)
          r.both += comp_size[id];
        if (comp_flags[id] & 1)
          r.top += comp_size[id];
        if (comp_flags[id] & 2)
          r.bottom += comp_size[id];
        sizes[comp_label[id]].push_back(comp_size[id]);
      }
    const double voxel_volume = image.voxel_size[0] * image.voxel_size[1] * image.voxel_size[2];
    for (auto &[label, r] : result)
      {
        r.both /= double(r.voxels);
        r.top /= double(r.voxels);
        r.bottom /= double(r.voxels);
        auto &s = sizes[label];
        std::sort(s.begin(), s.end());
        const auto diameter = [&](std::uint32_t v) {
          return std::cbrt(6. * v * voxel_volume / M_PI);
        };
        double       cum      = 0.;
        const double total    = double(r.voxels);
        double      *target[] = {&r.d10, &r.d50, &r.d90};
        const double level[]  = {0.1, 0.5, 0.9};
        int          next     = 0;
        for (const auto v : s)
          {
            cum += v;
            while (next < 3 && cum >= level[next] * total)
              *target[next++] = diameter(v);
          }
      }
    return result;
  }


  Roughness top_surface_roughness(const VoxelImage &image,
                                  const std::vector<std::uint8_t> &labels)
  {
    std::array<bool, 256> in{};
    for (const auto l : labels)
      in[l] = true;
    const std::size_t nx = image.dims[0], ny = image.dims[1], nz = image.dims[2],
                      plane = nx * ny;
    std::vector<std::uint32_t> top(plane, 0); // highest k + 1, 0 = none
    for (std::size_t k = 0; k < nz; ++k)
      {
        const auto *lab = image.labels.data() + k * plane;
        for (std::size_t c = 0; c < plane; ++c)
          if (in[lab[c]])
            top[c] = static_cast<std::uint32_t>(k + 1);
      }
    Roughness r;
    double    sum = 0., lo = std::numeric_limits<double>::infinity(), hi = -lo;
    const double hz = image.voxel_size[2];
    for (const auto t : top)
      if (t == 0)
        ++r.empty_columns;
      else
        {
          ++r.columns;
          sum += t * hz;
          lo = std::min(lo, t * hz);
          hi = std::max(hi, t * hz);
        }
    if (r.columns == 0)
      return r;
    r.mean_height = sum / r.columns;
    double sa = 0., sq = 0.;
    for (const auto t : top)
      if (t != 0)
        {
          const double d = t * hz - r.mean_height;
          sa += std::abs(d);
          sq += d * d;
        }
    r.Sa = sa / r.columns;
    r.Sq = std::sqrt(sq / r.columns);
    r.Sz = hi - lo;
    return r;
  }


  MorphologyReport analyze_morphology(const VoxelImage &image,
                                      const MorphologyOptions &options,
                                      const std::string &source)
  {
    if (image.labels.size() != image.n_voxels() || image.n_voxels() == 0)
      throw std::invalid_argument(source + ": the image has " +
                                  std::to_string(image.labels.size()) + " labels for " +
                                  std::to_string(image.n_voxels()) + " voxels");
    MorphologyReport rep;
    rep.source         = source;
    rep.dims           = image.dims;
    rep.voxel_size     = image.voxel_size;
    const auto ext     = image.extent();
    rep.volume         = ext[0] * ext[1] * ext[2];
    rep.projected_area = ext[0] * ext[1];

    const auto hist = image.histogram();
    const auto find_label = [&](const std::string &name, const char *option) {
      for (const auto &[l, n] : image.phase_names)
        if (n == name)
          return l;
      std::string known;
      for (const auto &[l, n] : hist)
        known += (known.empty() ? "" : ", ") + name_of(image, l);
      throw std::invalid_argument(std::string(option) + ": no phase named '" + name +
                                  "' in " + source + " (phases: " + known + ")");
    };
    std::array<bool, 256> pore{};
    if (options.pore_phases.empty())
      {
        for (const auto &[l, n] : hist)
          {
            (void)n;
            const std::string name = lower(name_of(image, l));
            if (name.find("pore") != std::string::npos ||
                name.find("void") != std::string::npos)
              pore[l] = true;
          }
      }
    else
      for (const auto &name : options.pore_phases)
        pore[find_label(name, "--pore-phase")] = true;

    const auto areas = interface_areas(image);
    const auto conn  = connectivity(image);
    const auto fractions = image.volume_fractions();
    for (const auto &[l, n] : hist)
      {
        (void)n;
        PhaseReport p;
        p.label           = l;
        p.name            = name_of(image, l);
        p.pore            = pore[l];
        p.volume_fraction = fractions.at(l);
        p.surface_area    = areas.phase.at(l);
        p.connectivity    = conn.at(l);
        const auto g      = options.generator_particles.find(p.name);
        if (g != options.generator_particles.end())
          p.generator_particles = g->second;
        if (p.pore)
          {
            rep.porosity += p.volume_fraction;
            rep.pore_phases.push_back(p.name);
          }
        rep.phases.push_back(p);
      }
    for (const auto &[key, area] : areas.pair)
      {
        InterfaceReport r;
        r.a                  = key.first;
        r.b                  = key.second;
        r.name_a             = name_of(image, key.first);
        r.name_b             = name_of(image, key.second);
        r.area               = area;
        r.per_volume         = area / rep.volume;
        r.per_projected_area = area / rep.projected_area;
        r.voxel_face_area    = areas.voxel_faces.at(key);
        rep.interfaces.push_back(r);
      }

    std::vector<std::uint8_t> surface;
    if (options.surface_phases.empty())
      {
        for (const auto &[l, n] : hist)
          if (!pore[l])
            {
              (void)n;
              surface.push_back(l);
            }
      }
    else
      for (const auto &name : options.surface_phases)
        surface.push_back(find_label(name, "--surface-phases"));
    for (const auto l : surface)
      rep.surface_phases.push_back(name_of(image, l));
    rep.roughness = top_surface_roughness(image, surface);
    return rep;
  }


  std::string morphology_table(const MorphologyReport &r)
  {
    std::ostringstream out;
    char               buf[512];
    std::snprintf(buf, sizeof buf,
                  "%s: %zu x %zu x %zu voxels of %g x %g x %g um, volume %.6g um^3\n",
                  r.source.c_str(), r.dims[0], r.dims[1], r.dims[2], r.voxel_size[0] * 1e6,
                  r.voxel_size[1] * 1e6, r.voxel_size[2] * 1e6, r.volume * 1e18);
    out << buf;
    std::string pores;
    for (const auto &p : r.pore_phases)
      pores += (pores.empty() ? "" : ", ") + p;
    std::snprintf(buf, sizeof buf, "porosity %.4f (%s)\n\n", r.porosity,
                  pores.empty() ? "no pore phase" : pores.c_str());
    out << buf;
    out << "phase          label  vol.frac  surface um^2  conn.both  conn.top  conn.bottom"
           "  components  d10 um  d50 um  d90 um\n";
    for (const auto &p : r.phases)
      {
        std::snprintf(buf, sizeof buf,
                      "%-14s %5d  %8.4f  %12.5g  %9.4f  %8.4f  %11.4f  %10zu  %6.3g  %6.3g  %6.3g\n",
                      p.name.c_str(), int(p.label), p.volume_fraction, p.surface_area * 1e12,
                      p.connectivity.both, p.connectivity.top, p.connectivity.bottom,
                      p.connectivity.components, p.connectivity.d10 * 1e6,
                      p.connectivity.d50 * 1e6, p.connectivity.d90 * 1e6);
        out << buf;
      }
    for (const auto &p : r.phases)
      if (p.generator_particles)
        {
          std::snprintf(buf, sizeof buf, "  generator placed %zu particles of %s\n",
                        *p.generator_particles, p.name.c_str());
          out << buf;
        }
    out << "(connectivity: 6-connected, fraction of the phase volume touching both "
           "z faces / the top / the bottom)\n\n";
    out << "interface                     area um^2   per volume 1/um  per projected area\n";
    for (const auto &i : r.interfaces)
      {
        const std::string name = i.name_a + " | " + i.name_b;
        std::snprintf(buf, sizeof buf, "%-28s %11.5g  %15.5g  %18.5g\n", name.c_str(),
                      i.area * 1e12, i.per_volume * 1e-6, i.per_projected_area);
        out << buf;
      }
    std::string surf;
    for (const auto &p : r.surface_phases)
      surf += (surf.empty() ? "" : ", ") + p;
    std::snprintf(buf, sizeof buf,
                  "\ntop surface of {%s}: mean height %.5g um, Sa %.5g um, Sq %.5g um, "
                  "Sz (max-min) %.5g um over %zu columns (%zu empty)\n",
                  surf.c_str(), r.roughness.mean_height * 1e6, r.roughness.Sa * 1e6,
                  r.roughness.Sq * 1e6, r.roughness.Sz * 1e6, r.roughness.columns,
                  r.roughness.empty_columns);
    out << buf;
    return out.str();
  }


  std::string morphology_json(const MorphologyReport &r)
  {
    std::ostringstream o;
    o << "{\n  \"source\": " << json_string(r.source) << ",\n  \"dims\": [" << r.dims[0]
      << ", " << r.dims[1] << ", " << r.dims[2] << "],\n  \"voxel_size_m\": ["
      << num(r.voxel_size[0]) << ", " << num(r.voxel_size[1]) << ", " << num(r.voxel_size[2])
      << "],\n  \"volume_m3\": " << num(r.volume)
      << ",\n  \"projected_area_m2\": " << num(r.projected_area)
      << ",\n  \"porosity\": " << num(r.porosity) << ",\n  \"pore_phases\": [";
    for (std::size_t i = 0; i < r.pore_phases.size(); ++i)
      o << (i ? ", " : "") << json_string(r.pore_phases[i]);
    o << "],\n  \"area_estimator\": \"marching tetrahedra on 3x3x3 box-smoothed "
         "indicators (docs/morphology.md)\",\n  \"connectivity\": \"6-connected, z "
         "through thickness\",\n  \"phases\": [";
    for (std::size_t n = 0; n < r.phases.size(); ++n)
      {
        const auto &p = r.phases[n];
        const auto &c = p.connectivity;
        o << (n ? "," : "") << "\n    {\"name\": " << json_string(p.name)
          << ", \"label\": " << int(p.label) << ", \"pore\": " << (p.pore ? "true" : "false")
          << ", \"volume_fraction\": " << num(p.volume_fraction)
          << ", \"surface_area_m2\": " << num(p.surface_area)
          << ", \"connected_both_faces\": " << num(c.both)
          << ", \"connected_top\": " << num(c.top)
          << ", \"connected_bottom\": " << num(c.bottom)
          << ", \"components\": " << c.components << ", \"d10_m\": " << num(c.d10)
          << ", \"d50_m\": " << num(c.d50) << ", \"d90_m\": " << num(c.d90);
        if (p.generator_particles)
          o << ", \"generator_particles\": " << *p.generator_particles;
        o << "}";
      }
    o << "\n  ],\n  \"interfaces\": [";
    for (std::size_t n = 0; n < r.interfaces.size(); ++n)
      {
        const auto &i = r.interfaces[n];
        o << (n ? "," : "") << "\n    {\"phases\": [" << json_string(i.name_a) << ", "
          << json_string(i.name_b) << "], \"labels\": [" << int(i.a) << ", " << int(i.b)
          << "], \"area_m2\": " << num(i.area)
          << ", \"specific_area_per_volume_1_per_m\": " << num(i.per_volume)
          << ", \"specific_area_per_projected_area\": " << num(i.per_projected_area)
          << ", \"voxel_face_area_m2\": " << num(i.voxel_face_area) << "}";
      }
    o << "\n  ],\n  \"top_surface\": {\"phases\": [";
    for (std::size_t i = 0; i < r.surface_phases.size(); ++i)
      o << (i ? ", " : "") << json_string(r.surface_phases[i]);
    o << "], \"columns\": " << r.roughness.columns
      << ", \"empty_columns\": " << r.roughness.empty_columns
      << ", \"mean_height_m\": " << num(r.roughness.mean_height)
      << ", \"Sa_m\": " << num(r.roughness.Sa) << ", \"Sq_m\": " << num(r.roughness.Sq)
      << ", \"Sz_m\": " << num(r.roughness.Sz) << ", \"Sz_definition\": \"max - min\"}\n}\n";
    return o.str();
  }
} // namespace solidanode
