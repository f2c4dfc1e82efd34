// A finite-strain solver on a voxel image, for tests that build their own
// images: the distributed mesh and the solver, CG and Newton tolerances
// given, Newton verbose when FS_VERBOSE is set.
#pragma once

#include <mesh/voxel_mesh.h>
#include <solver/finite_strain/finite_strain.h>

#include <cstdlib>
#include <map>
#include <memory>

namespace solidanode
{
  struct VoxelSolid
  {
    dealii::parallel::distributed::Triangulation<3> tria;
    std::unique_ptr<FiniteStrainSolver>             solver;

    VoxelSolid(const VoxelImage &img, const std::map<unsigned int, MechanicalPhase> &phases,
               SideCondition sides, TopCondition top, double cg_rtol, double newton_rtol,
               Kinematics kin = Kinematics::finite, MPI_Comm comm = MPI_COMM_WORLD)
      : tria(comm)
    {
      create_voxel_mesh(img, tria);
      LinearSolverSettings lin;
      lin.relative_tolerance = cg_rtol;
      NewtonSettings newton;
      newton.relative_tolerance = newton_rtol;
      newton.verbose            = std::getenv("FS_VERBOSE") != nullptr;
      solver = std::make_unique<FiniteStrainSolver>(tria, phases, sides, top, kin, lin,
                                                    newton);
    }
  };
} // namespace solidanode
