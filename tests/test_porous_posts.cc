// The finite-strain solver on a film that is mostly pore: square Si posts
// (4 x 4 voxels in a pitch of 8) on an electrolyte slab, the gaps pore
// voxels at 1e-4 of the softest solid's stiffness. PETSc's default GAMG
// eigenvalue estimate (GMRES) left an indefinite preconditioner on this
// mesh, for the consistent and the reference tangent alike, and the first
// solve failed; the reference-tangent fallback now sets the AMG up with CG
// estimates (SpdEigenEstimates). Asserted: the stack pressure converges;
// the piston's force p A_box rests on the post tops only (a piston does not
// push on a pore), so the top force is p A_box and the posts carry the
// uniaxial stress sigma_zz = -p A_box / A_post = -4 p. Runs on 1 and 2
// ranks.
#include "voxel_solid.h"

#include <deal.II/base/mpi.h>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>

using namespace solidanode;
using dealii::Utilities::MPI::sum;

TEST(PorousPosts, StackPressureOnPostsAmongPoreVoxelsConverges)
{
  const double h = 0.1e-6;
  VoxelImage   img;
  img.dims        = {{8, 8, 30}};
  img.voxel_size  = {{h, h, h}};
  img.phase_names = {{0, "pore"}, {1, "LPSCl"}, {2, "Si"}};
  img.labels.assign(img.n_voxels(), 1);
  for (std::size_t k = 20; k < 30; ++k)
    for (std::size_t j = 0; j < 8; ++j)
      for (std::size_t i = 0; i < 8; ++i)
        img.labels[img.index(i, j, k)] = (i < 4 && j < 4) ? 2 : 0;

  MechanicalPhase lpscl, si, pore;
  lpscl.name = "LPSCl";
  lpscl.E0   = 22e9;
  lpscl.nu   = 0.37;
  si.name    = "Si";
  si.E0      = 90e9;
  si.nu      = 0.22;
  pore.name  = "pore";
  pore.pore  = true;
  pore.E0    = 1e-4 * lpscl.E0;
  pore.nu    = 0.;

  VoxelSolid          body(img, {{0, pore}, {1, lpscl}, {2, si}}, SideCondition::rollers,
                           TopCondition::pressure, 1e-8, 1e-8);
  const auto         &tria   = body.tria;
  FiniteStrainSolver &solver = *body.solver;

  const double           p  = 20e6;
  const NewtonStatistics st = solver.solve(p, std::vector<double>(tria.n_active_cells(), 0.));
  ASSERT_TRUE(st.converged) << st.failure;
  solver.commit();

  // Mean sigma_zz of the post cells half way up (z = 24, 25 voxels).
  const auto s = solver.cell_cauchy_stress();
  double     szz = 0., n = 0.;
  for (const auto &cell : tria.active_cell_iterators())
    if (cell->is_locally_owned() && cell->material_id() == 2)
      {
        const double z = cell->center()[2] / h;
        if (z > 24. && z < 26.)
          {
            szz += s[cell->active_cell_index()][2];
            n += 1.;
          }
      }
  szz = sum(szz, MPI_COMM_WORLD) / sum(n, MPI_COMM_WORLD);
  const double post_area = 16. * h * h, box_area = 64. * h * h;
  const double force     = solver.top_force(); // collective
  if (dealii::Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
    std::printf("posts among 75 %% pore voxels: %u Newton, %u CG, %u fallbacks; sigma_zz %.5g "
                "Pa (-p A_box / A_post = %.5g), top force %.5g N (p A_box = %.5g)\n",
                st.iterations, st.linear_iterations, st.linear_fallbacks, szz,
                -p * box_area / post_area, force, p * box_area);
  EXPECT_NEAR(szz / (-p * box_area / post_area), 1., 0.01);
  EXPECT_NEAR(force / (p * box_area), 1., 1e-3);
}
