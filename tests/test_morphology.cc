// Tests of the morphology analysis: interface area estimator against
// formulas, connectivity, component sizes, roughness, the report.
#include <mesh/morphology.h>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <functional>
#include <regex>
#include <string>

using namespace solidanode;

namespace
{
  VoxelImage make_image(std::size_t nx, std::size_t ny, std::size_t nz,
                        const std::function<std::uint8_t(double, double, double)> &label,
                        double h = 1.)
  {
    VoxelImage im;
    im.dims       = {{nx, ny, nz}};
    im.voxel_size = {{h, h, h}};
    im.labels.resize(im.n_voxels());
    for (std::size_t k = 0; k < nz; ++k)
      for (std::size_t j = 0; j < ny; ++j)
        for (std::size_t i = 0; i < nx; ++i)
          im.labels[im.index(i, j, k)] = label(i + 0.5, j + 0.5, k + 0.5);
    for (unsigned int l = 0; l < 4; ++l)
      im.phase_names[static_cast<std::uint8_t>(l)] = "phase" + std::to_string(l);
    return im;
  }

  double rel_error(double a, double exact) { return (a - exact) / exact; }
} // namespace


TEST(InterfaceArea, SphereWithinThreePercent)
{
  for (const double r : {10., 12.5, 16.})
    {
      const double c  = 0.5 * std::ceil(2 * r + 6) + 0.2; // off-centre
      const auto   n  = static_cast<std::size_t>(std::ceil(2 * r + 6));
      const auto   im = make_image(n, n, n, [&](double x, double y, double z) {
        return (x - c) * (x - c) + (y - c) * (y - c) + (z - c) * (z - c) <= r * r ? 1 : 0;
      });
      const InterfaceAreas a     = interface_areas(im);
      const double         exact = 4 * M_PI * r * r;
      const double         err   = rel_error(a.pair.at({0, 1}), exact);
      std::printf("sphere r = %g: area %.2f, exact %.2f, error %+.2f %% (voxel faces %+.1f %%)\n",
                  r, a.pair.at({0, 1}), exact, 100 * err,
                  100 * rel_error(a.voxel_faces.at({0, 1}), exact));
      EXPECT_LT(std::abs(err), 0.03) << "r = " << r;
      std::printf("  (box smoothing %+.2f %%, no smoothing %+.2f %%)\n",
                  100 * rel_error(interface_areas(im, AreaSmoothing::box).pair.at({0, 1}), exact),
                  100 * rel_error(interface_areas(im, AreaSmoothing::none).pair.at({0, 1}), exact));
      // Two phases: the pair area is each phase's surface (symmetric).
      EXPECT_NEAR(a.phase.at(0), a.phase.at(1), 1e-9 * exact);
      EXPECT_NEAR(a.pair.at({0, 1}), a.phase.at(1), 1e-9 * exact);
    }
}

TEST(InterfaceArea, CylinderWithinThreePercent)
{
  // Along z through the whole image: only the lateral surface is an
  // interface (the image faces are not).
  const double r = 10., c = 13.3;
  const auto   im = make_image(27, 27, 20, [&](double x, double y, double) {
    return (x - c) * (x - c) + (y - c) * (y - c) <= r * r ? 2 : 0;
  });
  const double area  = interface_areas(im).pair.at({0, 2});
  const double exact = 2 * M_PI * r * 20;
  std::printf("cylinder r = 10: error %+.2f %%\n", 100 * rel_error(area, exact));
  EXPECT_LT(std::abs(rel_error(area, exact)), 0.03);
}

TEST(InterfaceArea, PlaneIsExact)
{
  // z-plane between k = 6 and 7, anisotropic voxels: area = Lx * Ly.
  auto im = make_image(16, 12, 15, [](double, double, double z) { return z < 7 ? 1 : 3; });
  im.voxel_size = {{2e-6, 3e-6, 0.5e-6}};
  const InterfaceAreas a = interface_areas(im);
  EXPECT_NEAR(a.pair.at({1, 3}), 32e-6 * 36e-6, 1e-12 * 32e-6 * 36e-6);
  EXPECT_NEAR(a.voxel_faces.at({1, 3}), 32e-6 * 36e-6, 1e-9 * 32e-6 * 36e-6);
  // x-plane too.
  const auto ix = make_image(10, 9, 8, [](double x, double, double) { return x < 4 ? 0 : 1; });
  EXPECT_NEAR(interface_areas(ix).pair.at({0, 1}), 9. * 8., 1e-9);
  // A single phase has no interface.
  const auto one = make_image(4, 4, 4, [](double, double, double) { return 2; });
  EXPECT_TRUE(interface_areas(one).pair.empty());
  EXPECT_EQ(interface_areas(one).phase.at(2), 0.);
}

TEST(InterfaceArea, ThreePhasesPairsSumToPhaseSurfaces)
{
  // A sphere (1) in a matrix (2) above a bottom slab (0) that the sphere
  // touches.
  const auto im = make_image(32, 32, 32, [](double x, double y, double z) {
    if ((x - 16) * (x - 16) + (y - 16) * (y - 16) + (z - 17) * (z - 17) <= 100)
      return 1;
    return z < 8 ? 0 : 2;
  });
  const InterfaceAreas a = interface_areas(im);
  ASSERT_EQ(a.pair.size(), 3u);
  for (const std::uint8_t p : {0, 1, 2})
    {
      double sum = 0.;
      for (const auto &[key, area] : a.pair)
        if (key.first == p || key.second == p)
          sum += area;
      EXPECT_NEAR(sum, a.phase.at(p), 1e-9 * a.phase.at(p)) << "phase " << int(p);
    }
  // Slab | matrix is a plane of 32 x 32 minus the disc of radius
  // sqrt(100 - 81) the sphere covers; the thin matrix wedge along the
  // contact line is lost to smoothing (docs/morphology.md).
  const double exact = 32. * 32. - M_PI * 19.;
  std::printf("slab | matrix with a triple line: error %+.2f %%\n",
              100 * rel_error(a.pair.at({0, 2}), exact));
  EXPECT_LT(std::abs(rel_error(a.pair.at({0, 2}), exact)), 0.08);
}

TEST(Connectivity, StraightChannelPercolatesBrokenOneDoesNot)
{
  // Pore channel (0) of 2 x 2 voxels along z in a solid (1).
  const auto straight = make_image(8, 8, 10, [](double x, double y, double) {
    return (x > 3 && x < 5 && y > 3 && y < 5) ? 0 : 1;
  });
  auto c = connectivity(straight);
  EXPECT_EQ(c.at(0).voxels, 40u);
  EXPECT_EQ(c.at(0).both, 1.0);
  EXPECT_EQ(c.at(0).top, 1.0);
  EXPECT_EQ(c.at(0).bottom, 1.0);
  EXPECT_EQ(c.at(0).components, 1u);
  EXPECT_EQ(c.at(1).both, 1.0);

  // Broken at k = 6: 6 layers below (24 voxels) reach the bottom, 3 above
  // (12 voxels) the top.
  const auto broken = make_image(8, 8, 10, [](double x, double y, double z) {
    return (x > 3 && x < 5 && y > 3 && y < 5 && !(z > 6 && z < 7)) ? 0 : 1;
  });
  c = connectivity(broken);
  EXPECT_EQ(c.at(0).voxels, 36u);
  EXPECT_EQ(c.at(0).both, 0.0);
  EXPECT_DOUBLE_EQ(c.at(0).top, 12. / 36.);
  EXPECT_DOUBLE_EQ(c.at(0).bottom, 24. / 36.);
  EXPECT_EQ(c.at(0).components, 2u);

  // Diagonal contact (edge only) does not connect under 6-connectivity.
  const auto diagonal = make_image(2, 1, 2, [](double x, double, double z) {
    return (x < 1) == (z < 1) ? 0 : 1;
  });
  c = connectivity(diagonal);
  EXPECT_EQ(c.at(0).components, 2u);
  EXPECT_EQ(c.at(0).both, 0.0);
}

TEST(Connectivity, ComponentSizes)
{
  // Cubes of 1, 8 and 27 voxels (label 1) in label 0; volume-weighted
  // percentiles: 1/36 < 10 % -> d10 from the 8-voxel cube, d50 and d90
  // from the 27-voxel cube.
  const auto im = make_image(12, 4, 4, [](double x, double y, double z) {
    if (x < 1 && y < 1 && z < 1)
      return 1;
    if (x > 2 && x < 4 && y < 2 && z < 2)
      return 1;
    if (x > 5 && x < 8 && y < 3 && z < 3)
      return 1;
    return 0;
  });
  const auto c = connectivity(im);
  EXPECT_EQ(c.at(1).components, 3u);
  EXPECT_NEAR(c.at(1).d10, std::cbrt(6. * 8. / M_PI), 1e-12);
  EXPECT_NEAR(c.at(1).d50, std::cbrt(6. * 27. / M_PI), 1e-12);
  EXPECT_NEAR(c.at(1).d90, std::cbrt(6. * 27. / M_PI), 1e-12);
}

TEST(Roughness, StepSurface)
{
  // Solid (1, 2) up to 4 voxels for x < 5 and 8 voxels for x >= 5; above is
  // pore (0). Voxel height 0.5: heights 2 and 4.
  auto im = make_image(10, 6, 12, [](double x, double, double z) {
    if (z < 2)
      return 2;
    return z < (x < 5 ? 4 : 8) ? 1 : 0;
  });
  im.voxel_size[2] = 0.5;
  const Roughness r = top_surface_roughness(im, {1, 2});
  EXPECT_EQ(r.columns, 60u);
  EXPECT_EQ(r.empty_columns, 0u);
  EXPECT_DOUBLE_EQ(r.mean_height, 3.);
  EXPECT_DOUBLE_EQ(r.Sa, 1.);
  EXPECT_DOUBLE_EQ(r.Sq, 1.);
  EXPECT_DOUBLE_EQ(r.Sz, 2.);
  // Only phase 2: flat at 1.0.
  const Roughness flat = top_surface_roughness(im, {2});
  EXPECT_DOUBLE_EQ(flat.mean_height, 1.);
  EXPECT_EQ(flat.Sa, 0.);
  EXPECT_EQ(flat.Sz, 0.);
}

TEST(MorphologyReport, FractionsPorosityJsonAndErrors)
{
  auto im = make_image(10, 10, 10, [](double x, double, double z) {
    if (z > 9)
      return 0;
    return x < 3 ? 1 : 2;
  });
  im.phase_names = {{0, "pore"}, {1, "Si"}, {2, "LPSCl"}};
  MorphologyOptions opt;
  opt.generator_particles["Si"] = 7;
  const MorphologyReport r = analyze_morphology(im, opt, "test.vti");
  EXPECT_NEAR(r.porosity, 0.1, 1e-15);
  ASSERT_EQ(r.pore_phases, std::vector<std::string>{"pore"});
  ASSERT_EQ(r.phases.size(), 3u);
  EXPECT_DOUBLE_EQ(r.phases[1].volume_fraction, 0.27);
  EXPECT_EQ(*r.phases[1].generator_particles, 7u);
  EXPECT_FALSE(r.phases[2].generator_particles);
  ASSERT_EQ(r.interfaces.size(), 3u);
  // Si | LPSCl: plane x = 3 of 10 x 9 voxels, ending at the pore layer
  // (the triple line costs a little area, docs/morphology.md).
  const double area = r.interfaces[2].area;
  std::printf("plane ending at a triple line: error %+.2f %%\n", 100 * (area - 90.) / 90.);
  EXPECT_NEAR(area, 90., 0.1 * 90.);
  EXPECT_DOUBLE_EQ(r.interfaces[2].per_volume, area / 1000.);
  EXPECT_DOUBLE_EQ(r.interfaces[2].per_projected_area, area / 100.);
  EXPECT_DOUBLE_EQ(r.roughness.Sa, 0.);
  EXPECT_DOUBLE_EQ(r.roughness.mean_height, 9.);
  EXPECT_DOUBLE_EQ(r.phases[2].connectivity.both, 0.);
  EXPECT_DOUBLE_EQ(r.phases[2].connectivity.bottom, 1.);
  EXPECT_DOUBLE_EQ(r.phases[0].connectivity.top, 1.);
  EXPECT_DOUBLE_EQ(r.phases[0].connectivity.bottom, 0.);
  const std::string json = morphology_json(r);
  EXPECT_NE(json.find("\"porosity\": 0.1,"), std::string::npos) << json;
  EXPECT_NE(json.find("\"phases\": [\"Si\", \"LPSCl\"], \"labels\": [1, 2], \"area_m2\": "),
            std::string::npos)
    << json;
  EXPECT_NE(json.find("\"generator_particles\": 7"), std::string::npos);
  EXPECT_NE(morphology_table(r).find("Si | LPSCl"), std::string::npos);

  // Explicit pore phase, unknown names.
  opt.pore_phases = {"Si"};
  EXPECT_DOUBLE_EQ(analyze_morphology(im, opt, "t").porosity, 0.27);
  opt.pore_phases = {"air"};
  try
    {
      analyze_morphology(im, opt, "test.vti");
      FAIL();
    }
  catch (const std::invalid_argument &e)
    {
      EXPECT_NE(std::string(e.what()).find("--pore-phase: no phase named 'air' in test.vti"),
                std::string::npos)
        << e.what();
    }
}

TEST(MorphologyReport, ThinCoatingFlaggedVoxelFacesExact)
{
  // Si box [6, 14)^3, a one-voxel LPSCl_coat shell around it, LPSCl matrix;
  // voxel size 0.1 um.
  const double h  = 1e-7;
  auto         im = make_image(20, 20, 20, [](double x, double y, double z) {
    const auto in = [&](double a, double b) {
      return x > a && x < b && y > a && y < b && z > a && z < b;
    };
    return in(6, 14) ? 1 : (in(5, 15) ? 3 : 2);
  }, h);
  im.phase_names = {{1, "Si"}, {2, "LPSCl"}, {3, "LPSCl_coat"}};
  const MorphologyReport r = analyze_morphology(im, {}, "coated.vti");
  ASSERT_EQ(r.phases.size(), 3u);
  ASSERT_EQ(r.interfaces.size(), 3u);
  const double f = h * h;
  // Voxel faces: exact counts of the box faces.
  const auto &si = r.phases[0], &lpscl = r.phases[1], &coat = r.phases[2];
  EXPECT_NEAR(si.voxel_face_area, 6 * 8 * 8 * f, 1e-9 * f);
  EXPECT_NEAR(coat.voxel_face_area, (6 * 8 * 8 + 6 * 10 * 10) * f, 1e-9 * f);
  EXPECT_NEAR(lpscl.voxel_face_area, 6 * 10 * 10 * f, 1e-9 * f);
  const auto &si_lpscl = r.interfaces[0], &si_coat = r.interfaces[1],
             &lpscl_coat = r.interfaces[2];
  EXPECT_EQ(si_lpscl.name_b, "LPSCl");
  EXPECT_EQ(si_coat.name_b, "LPSCl_coat");
  EXPECT_EQ(si_lpscl.voxel_face_area, 0.);
  EXPECT_NEAR(si_coat.voxel_face_area, 384 * f, 1e-9 * f);
  EXPECT_NEAR(lpscl_coat.voxel_face_area, 600 * f, 1e-9 * f);
  // The coating vanishes under the 3x3x3 smoothing: flagged, and so are its
  // interfaces and Si | LPSCl, between which it lies (the pair formula would
  // otherwise give Si | LPSCl the area of the coated surface although they
  // never touch).
  std::printf("coating resolved fraction %.3f, Si %.3f; smoothed Si | LPSCl %.4g voxel^2\n",
              coat.resolved_fraction, si.resolved_fraction, si_lpscl.area / f);
  EXPECT_LT(coat.resolved_fraction, 0.05);
  EXPECT_FALSE(coat.smoothed_applies);
  EXPECT_NE(coat.note.find("thin phase"), std::string::npos);
  EXPECT_GT(si.resolved_fraction, 0.8); // its corners and edges are rounded off
  EXPECT_TRUE(si.smoothed_applies);
  EXPECT_TRUE(lpscl.smoothed_applies);
  for (const auto &i : r.interfaces)
    {
      EXPECT_FALSE(i.smoothed_applies) << i.name_a << " | " << i.name_b;
      EXPECT_NE(i.note.find("'LPSCl_coat'"), std::string::npos) << i.note;
    }
  // Si's own surface is still measured (an 8-voxel cube with edges rounded
  // over about a voxel: 22 % under its 384 voxel faces).
  EXPECT_GT(si.surface_area, 0.75 * 384 * f);
  EXPECT_LT(si.surface_area, 384 * f);

  // Table and JSON say the same: n/a / null where the estimator does not
  // apply, with the voxel-face areas next to it.
  const std::string table = morphology_table(r), json = morphology_json(r);
  EXPECT_TRUE(std::regex_search(table, std::regex("Si \\| LPSCl +n/a +0 +n/a +n/a \\[2\\]")))
    << table;
  EXPECT_NE(table.find("[1] thin phase"), std::string::npos) << table;
  EXPECT_NE(json.find("\"phases\": [\"Si\", \"LPSCl\"], \"labels\": [1, 2], \"area_m2\": null, "
                      "\"specific_area_per_volume_1_per_m\": null, "
                      "\"specific_area_per_projected_area\": null, \"voxel_face_area_m2\": 0, "
                      "\"smoothed_estimator_applies\": false, \"note\": \"a phase too thin for "
                      "the smoothing lies between them ("),
            std::string::npos)
    << json;
  EXPECT_NE(json.find("\"name\": \"LPSCl_coat\", \"label\": 3, \"pore\": false, "
                      "\"volume_fraction\": 0.061, \"surface_area_m2\": null, "
                      "\"voxel_face_surface_area_m2\": 9.84e-12"),
            std::string::npos)
    << json;

  // Without the coating (Si directly in LPSCl) everything applies and the
  // pair is the smoothed surface of Si.
  for (auto &l : im.labels)
    if (l == 3)
      l = 2;
  const MorphologyReport bare = analyze_morphology(im, {}, "bare.vti");
  ASSERT_EQ(bare.interfaces.size(), 1u);
  EXPECT_TRUE(bare.interfaces[0].smoothed_applies);
  EXPECT_NEAR(bare.interfaces[0].area, bare.phases[0].surface_area, 1e-9 * f);
  EXPECT_NEAR(bare.interfaces[0].voxel_face_area, 384 * f, 1e-9 * f);
}

TEST(Roughness, FlatSurfaceIsExactlyZero)
{
  // A flat top at 7 voxels of 0.1 um (a height that is not exact in binary).
  const auto im = make_image(13, 11, 10, [](double, double, double z) {
    return z < 7 ? 1 : 0;
  }, 1e-7);
  const Roughness r = top_surface_roughness(im, {1});
  EXPECT_EQ(r.Sa, 0.);
  EXPECT_EQ(r.Sq, 0.);
  EXPECT_EQ(r.Sz, 0.);
  EXPECT_NEAR(r.mean_height, 7e-7, 1e-20);
}
