// Helpers shared by the parts of FiniteStrainSolver (finite_strain*.cc):
// the element sizes, access to the local form of ghosted PETSc vectors, and
// the per-cell output of the element kernel. Not a public interface.
#pragma once

#include <solver/finite_strain/finite_strain.h>

#include <base/errors.h>
#include <solver/elasticity/elastic_krylov.h>

#include <deal.II/base/mpi.h>

#include <petscvec.h>

namespace solidanode
{
  namespace finite_strain_internal
  {
    constexpr unsigned int n_qp       = 8;
    constexpr unsigned int n_cell_dof = 24;
    constexpr unsigned int n_hist     = constitutive::n_history;
    constexpr unsigned int cell_hist  = n_qp * n_hist;

    /// Read/write access to the owned and ghost entries of a ghosted PETSc
    /// vector (its local form: owned entries first, then the ghosts).
    class LocalForm
    {
    public:
      explicit LocalForm(Vec v)
        : global_(v)
      {
        check_petsc(VecGhostGetLocalForm(global_, &local_), "VecGhostGetLocalForm");
        check_petsc(VecGetArray(local_, &data_), "VecGetArray");
      }
      ~LocalForm()
      {
        VecRestoreArray(local_, &data_);
        VecGhostRestoreLocalForm(global_, &local_);
      }
      LocalForm(const LocalForm &) = delete;
      LocalForm &operator=(const LocalForm &) = delete;
      PetscScalar *data() { return data_; }
      PetscInt     size() const
      {
        PetscInt n = 0;
        VecGetSize(local_, &n);
        return n;
      }

    private:
      Vec          global_;
      Vec          local_ = nullptr;
      PetscScalar *data_  = nullptr;
    };

    inline Vec handle(const dealii::PETScWrappers::VectorBase &v)
    {
      return static_cast<const Vec &>(v);
    }

    inline void ghost_update_forward(Vec v)
    {
      check_petsc(VecGhostUpdateBegin(v, INSERT_VALUES, SCATTER_FORWARD), "VecGhostUpdateBegin");
      check_petsc(VecGhostUpdateEnd(v, INSERT_VALUES, SCATTER_FORWARD), "VecGhostUpdateEnd");
    }

    inline double elapsed(double since) { return MPI_Wtime() - since; }

    /// Vertex v of a deal.II hexahedron sits at (v & 1, v >> 1 & 1, v >> 2 & 1).
    inline bool vertex_on_face(unsigned int v, unsigned int face)
    {
      return ((v >> (face / 2)) & 1u) == (face % 2);
    }
  } // namespace finite_strain_internal

  struct FiniteStrainSolver::CellOutput
  {
    double     f[finite_strain_internal::n_cell_dof];
    double     K[finite_strain_internal::n_cell_dof * finite_strain_internal::n_cell_dof];
    CellStress cauchy;
    double     J, alpha, volume;
  };
} // namespace solidanode
