// Morphology of a labelled voxel image: connectivity, roughness and the
// report. Interface areas: interface_areas.cc. Estimators: docs/morphology.md.
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

    std::string num_text(double x)
    {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.4g", x);
      return buf;
    }

    /// A number for the table, or "n/a" when its estimator does not apply.
    std::string cell(double x, bool applies, int width)
    {
      char buf[48];
      if (applies)
        std::snprintf(buf, sizeof buf, "%*.5g", width, x);
      else
        std::snprintf(buf, sizeof buf, "%*s", width, "n/a");
      return buf;
    }

    std::string name_of(const VoxelImage &image, std::uint8_t label)
    {
      const auto it = image.phase_names.find(label);
      return it != image.phase_names.end() ? it->second : "label" + std::to_string(label);
    }

    /// A thin phase of the pair, or a phase C that vanishes from the
    /// smoothed union A u B but not from A or B alone (a thin C between
    /// them: a coating), corrupts S_AB = (S_A + S_B - S_AuB) / 2.
    void set_pair_applicability(InterfaceReport &r, const std::vector<PhaseReport> &phases,
                                const InterfaceAreas &areas)
    {
      std::string thin, between;
      for (const auto &p : phases)
        if ((p.label == r.a || p.label == r.b) &&
            p.resolved_fraction < thin_phase_resolved_fraction)
          thin += (thin.empty() ? "'" : ", '") + p.name + "'";
        else if (p.label != r.a && p.label != r.b)
          {
            const auto inside = [&](std::uint8_t x) {
              const auto it = areas.inside_fraction.find({x, p.label});
              return it == areas.inside_fraction.end() ? 0. : it->second;
            };
            const double gained = areas.union_inside_fraction.at({{r.a, r.b}, p.label}) -
                                  inside(r.a) - inside(r.b);
            if (gained >= swallowed_fraction)
              between += (between.empty() ? "" : "; ") + num_text(100. * gained) + " % of '" +
                         p.name + "'";
          }
      if (!thin.empty())
        {
          r.smoothed_applies = false;
          r.note = "thin phase " + thin + ": the smoothed estimator does not apply";
        }
      else if (!between.empty())
        {
          r.smoothed_applies = false;
          r.note = "a phase too thin for the smoothing lies between them (" + between +
                   " vanishes from the smoothed union of the two): the smoothed estimator "
                   "does not apply";
        }
    }
  } // namespace

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
    // Heights in whole voxels: a flat surface gives exactly 0 (no rounding
    // of sums of doubles); converted to metres at the end.
    Roughness          r;
    unsigned long long sum = 0;
    std::uint32_t      lo = std::numeric_limits<std::uint32_t>::max(), hi = 0;
    const double       hz = image.voxel_size[2];
    for (const auto t : top)
      if (t == 0)
        ++r.empty_columns;
      else
        {
          ++r.columns;
          sum += t;
          lo = std::min(lo, t);
          hi = std::max(hi, t);
        }
    if (r.columns == 0)
      return r;
    const double mean = double(sum) / double(r.columns);
    r.mean_height     = mean * hz;
    double sa = 0., sq = 0.;
    for (const auto t : top)
      if (t != 0)
        {
          const double d = double(t) - mean;
          sa += std::abs(d);
          sq += d * d;
        }
    // Below 1e-9 voxel: rounding, reported as 0.
    const auto clean = [&](double v) { return v < 1e-9 ? 0. : v * hz; };
    r.Sa = clean(sa / r.columns);
    r.Sq = clean(std::sqrt(sq / r.columns));
    r.Sz = (hi - lo) * hz;
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
        p.voxel_face_area = areas.phase_voxel_faces.at(l);
        p.resolved_fraction = areas.resolved_fraction.at(l);
        p.smoothed_applies  = p.resolved_fraction >= thin_phase_resolved_fraction;
        if (!p.smoothed_applies)
          p.note = "thin phase: " + num_text(100. * p.resolved_fraction) +
                   " % of its voxels lie inside its smoothed surface (features about one "
                   "or two voxels thick); the smoothed estimator does not apply, the "
                   "voxel-face area is an upper bound";
        else
          // A thin phase embedded in this one (a fibre in a matrix) is
          // swallowed by this phase's smoothed surface, and its share of the
          // surface lost.
          for (const auto &[key, f] : areas.inside_fraction)
            if (key.first == l && f >= swallowed_fraction && p.smoothed_applies)
              {
                p.smoothed_applies = false;
                p.note = num_text(100. * f) + " % of the voxels of '" +
                         name_of(image, key.second) + "' lie inside the smoothed surface of '" +
                         p.name + "' (a phase too thin for the smoothing, embedded in it): the "
                         "smoothed estimator does not apply, the voxel-face area is an upper "
                         "bound";
              }
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
    const double min_face = std::min({image.voxel_size[0] * image.voxel_size[1],
                                      image.voxel_size[1] * image.voxel_size[2],
                                      image.voxel_size[0] * image.voxel_size[2]});
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
        set_pair_applicability(r, rep.phases, areas);
        if (r.smoothed_applies && r.area > 1.05 * r.voxel_face_area + 0.01 * min_face)
          {
            r.smoothed_applies = false;
            r.note = "smoothed estimate " + num_text(r.area * 1e12) +
                     " um^2 exceeds the voxel-face count, an upper bound: not applicable";
          }
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
    out << "phase          label  vol.frac  surface um^2  voxel faces um^2  conn.both  conn.top"
           "  conn.bottom  components  d10 um  d50 um  d90 um\n";
    std::vector<std::string> notes;
    const auto mark = [&](const std::string &note) {
      if (note.empty())
        return std::string();
      notes.push_back(note);
      return " [" + std::to_string(notes.size()) + "]";
    };
    for (const auto &p : r.phases)
      {
        std::snprintf(buf, sizeof buf,
                      "%-14s %5d  %8.4f  %s  %16.5g  %9.4f  %8.4f  %11.4f  %10zu  %6.3g  %6.3g  "
                      "%6.3g%s\n",
                      p.name.c_str(), int(p.label), p.volume_fraction,
                      cell(p.surface_area * 1e12, p.smoothed_applies, 12).c_str(),
                      p.voxel_face_area * 1e12, p.connectivity.both, p.connectivity.top, p.connectivity.bottom,
                      p.connectivity.components, p.connectivity.d10 * 1e6,
                      p.connectivity.d50 * 1e6, p.connectivity.d90 * 1e6,
                      mark(p.note).c_str());
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
    out << "interface                     area um^2  voxel faces um^2  per volume 1/um  "
           "per projected area\n";
    for (const auto &i : r.interfaces)
      {
        const std::string name = i.name_a + " | " + i.name_b;
        std::snprintf(buf, sizeof buf, "%-28s %s  %16.5g  %s  %s%s\n", name.c_str(),
                      cell(i.area * 1e12, i.smoothed_applies, 11).c_str(),
                      i.voxel_face_area * 1e12,
                      cell(i.per_volume * 1e-6, i.smoothed_applies, 15).c_str(),
                      cell(i.per_projected_area, i.smoothed_applies, 18).c_str(),
                      mark(i.note).c_str());
        out << buf;
      }
    out << "(area: smoothed estimator, docs/morphology.md; voxel faces: exact count of "
           "voxel faces, an upper bound, ~1.5x for curved surfaces)\n";
    for (std::size_t n = 0; n < notes.size(); ++n)
      out << "[" << n + 1 << "] " << notes[n] << "\n";
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
         "indicators (docs/morphology.md); null where it does not apply (thin phases, "
         "see note); voxel_face_*: exact count of voxel faces, an upper bound\",\n"
         "  \"connectivity\": \"6-connected, z through thickness\",\n  \"phases\": [";
    for (std::size_t n = 0; n < r.phases.size(); ++n)
      {
        const auto &p = r.phases[n];
        const auto &c = p.connectivity;
        o << (n ? "," : "") << "\n    {\"name\": " << json_string(p.name)
          << ", \"label\": " << int(p.label) << ", \"pore\": " << (p.pore ? "true" : "false")
          << ", \"volume_fraction\": " << num(p.volume_fraction)
          << ", \"surface_area_m2\": " << (p.smoothed_applies ? num(p.surface_area) : "null")
          << ", \"voxel_face_surface_area_m2\": " << num(p.voxel_face_area)
          << ", \"smoothed_resolved_fraction\": " << num(p.resolved_fraction)
          << ", \"smoothed_estimator_applies\": " << (p.smoothed_applies ? "true" : "false")
          << ", \"connected_both_faces\": " << num(c.both)
          << ", \"connected_top\": " << num(c.top)
          << ", \"connected_bottom\": " << num(c.bottom)
          << ", \"components\": " << c.components << ", \"d10_m\": " << num(c.d10)
          << ", \"d50_m\": " << num(c.d50) << ", \"d90_m\": " << num(c.d90);
        if (p.generator_particles)
          o << ", \"generator_particles\": " << *p.generator_particles;
        if (!p.note.empty())
          o << ", \"note\": " << json_string(p.note);
        o << "}";
      }
    o << "\n  ],\n  \"interfaces\": [";
    for (std::size_t n = 0; n < r.interfaces.size(); ++n)
      {
        const auto &i = r.interfaces[n];
        o << (n ? "," : "") << "\n    {\"phases\": [" << json_string(i.name_a) << ", "
          << json_string(i.name_b) << "], \"labels\": [" << int(i.a) << ", " << int(i.b)
          << "], \"area_m2\": " << (i.smoothed_applies ? num(i.area) : "null")
          << ", \"specific_area_per_volume_1_per_m\": "
          << (i.smoothed_applies ? num(i.per_volume) : "null")
          << ", \"specific_area_per_projected_area\": "
          << (i.smoothed_applies ? num(i.per_projected_area) : "null")
          << ", \"voxel_face_area_m2\": " << num(i.voxel_face_area)
          << ", \"smoothed_estimator_applies\": " << (i.smoothed_applies ? "true" : "false");
        if (!i.note.empty())
          o << ", \"note\": " << json_string(i.note);
        o << "}";
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
