#include <solver/drivers/homogenize.h>
#include <solver/materials/phase_table.h>

#include <mesh/image_import.h>
#include <mesh/percolation.h>
#include <mesh/voxel_mesh.h>
#include <base/file_utils.h>
#include <base/json.h>
#include <postprocess/vtk_writer.h>
#include <solver/input/case_config.h>
#include <solver/transport/conduction.h>
#include <solver/elasticity/elastic_krylov.h>
#include <solver/elasticity/elasticity.h>
#include <solver/elasticity/voxel_integrals.h>
#include <base/errors.h>
#include <solver/input/homogenize_config.h>
#include <solver/drivers/run.h>

#include <deal.II/base/function.h>
#include <deal.II/base/symmetric_tensor.h>
#include <deal.II/distributed/tria.h>
#include <deal.II/dofs/dof_handler.h>
#include <deal.II/dofs/dof_tools.h>
#include <deal.II/fe/fe_q.h>
#include <deal.II/fe/fe_system.h>
#include <deal.II/lac/affine_constraints.h>
#include <deal.II/lac/dynamic_sparsity_pattern.h>
#include <deal.II/lac/full_matrix.h>
#include <deal.II/lac/petsc_sparse_matrix.h>
#include <deal.II/lac/petsc_vector.h>
#include <deal.II/lac/sparsity_tools.h>
#include <deal.II/numerics/vector_tools.h>

#include <petscksp.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <filesystem>
#include <iostream>
#include <memory>
#include <sstream>

namespace solidanode
{
  using namespace dealii;

  namespace
  {

    const char *axis_name(unsigned int d) { return d == 0 ? "x" : d == 1 ? "y" : "z"; }

    /// Locally owned cells as a VTK piece (points shared via vertex_index).
    UnstructuredPiece
    make_piece(const parallel::distributed::Triangulation<3> &tria)
    {
      UnstructuredPiece             piece;
      std::map<unsigned int, std::int64_t> point_of;
      static const unsigned int     vtk_order[8] = {0, 1, 3, 2, 4, 5, 7, 6};
      for (const auto &cell : tria.active_cell_iterators())
        if (cell->is_locally_owned())
          for (unsigned int v : vtk_order)
            {
              const auto [it, inserted] = point_of.emplace(
                cell->vertex_index(v), static_cast<std::int64_t>(point_of.size()));
              if (inserted)
                for (unsigned int d = 0; d < 3; ++d)
                  piece.points.push_back(cell->vertex(v)[d]);
              piece.hexahedra.push_back(it->second);
            }
      DataArray phase;
      phase.name = "phase";
      phase.type = DataArray::Type::uint8;
      for (const auto &cell : tria.active_cell_iterators())
        if (cell->is_locally_owned())
          phase.values.push_back(cell->material_id());
      piece.cell_data.push_back(phase);
      return piece;
    }

    /// u = E x, the macroscopic displacement of one KUBC load case.
    class MacroDisplacement : public Function<3>
    {
    public:
      explicit MacroDisplacement(const Tensor<2, 3> &E)
        : Function<3>(3)
        , E_(E)
      {}
      double value(const Point<3> &p, const unsigned int c) const override
      {
        double u = 0.;
        for (unsigned int j = 0; j < 3; ++j)
          u += E_[c][j] * p[j];
        return u;
      }
      void vector_value(const Point<3> &p, Vector<double> &v) const override
      {
        for (unsigned int c = 0; c < 3; ++c)
          v[c] = value(p, c);
      }

    private:
      Tensor<2, 3> E_;
    };
  } // namespace

  NetworkResult
  homogenize_conduction(const VoxelImage &image, const std::string &name,
                        const std::map<std::string, double> &sigma_by_phase,
                        const std::string &reference_phase,
                        const std::vector<unsigned int> &directions,
                        const double insulator_ratio,
                        const LinearSolverSettings &settings, MPI_Comm comm,
                        const std::string &vtk_directory)
  {
    NetworkResult result;
    result.name       = name;
    result.directions = directions;
    double sigma_max  = 0.;
    for (const auto &[phase, s] : sigma_by_phase)
      sigma_max = std::max(sigma_max, s);
    if (!(sigma_max > 0.))
      throw CollectiveError("network '" + name + "': no conducting phase");

    // Conductivity per label; the reference phase (sigma_0).
    const auto fractions = image.volume_fractions();
    std::map<unsigned int, double> sigma;
    double best_fraction = -1.;
    for (const auto &[label, fraction] : fractions)
      {
        const auto   nit   = image.phase_names.find(label);
        const std::string phase = nit == image.phase_names.end() ? "" : nit->second;
        const auto   it    = sigma_by_phase.find(phase);
        if (it == sigma_by_phase.end())
          sigma[label] = insulator_ratio * sigma_max;
        else
          {
            sigma[label] = it->second;
            result.volume_fraction += fraction;
            if (reference_phase.empty() ? fraction > best_fraction : phase == reference_phase)
              {
                best_fraction          = fraction;
                result.reference_phase = phase;
                result.sigma_0         = it->second;
              }
          }
      }
    std::array<bool, 256> conducting{};
    for (const auto &[label, s] : sigma)
      conducting[label] = image.phase_names.count(label) &&
                          sigma_by_phase.count(image.phase_names.at(label));
    for (const unsigned int d : directions)
      result.percolates[d] = percolates(image, conducting, d);
    if (result.volume_fraction == 0.)
      {
        // No conducting voxel: no solve, no tortuosity (not a factor of 0).
        result.present = false;
        result.tortuosity.fill(std::numeric_limits<double>::quiet_NaN());
        result.reference_phase = reference_phase.empty() ? sigma_by_phase.begin()->first
                                                         : reference_phase;
        result.sigma_0 = sigma_by_phase.count(result.reference_phase) ?
                           sigma_by_phase.at(result.reference_phase) : 0.;
        return result;
      }
    if (result.reference_phase.empty())
      {
        // Reference phase absent from the image: use its given conductivity.
        const auto it = reference_phase.empty() ? sigma_by_phase.end()
                                                : sigma_by_phase.find(reference_phase);
        result.reference_phase = it == sigma_by_phase.end() ? sigma_by_phase.begin()->first
                                                            : it->first;
        result.sigma_0 = sigma_by_phase.at(result.reference_phase);
      }
    // The tortuosity factor compares with sigma_0: it needs a path of phases
    // that conduct comparably (SWCNT + Si spans only through the Si).
    std::array<bool, 256> strong{};
    for (const auto &[label, s] : sigma)
      if (conducting[label] && s >= tortuosity_sigma_fraction * result.sigma_0)
        {
          strong[label] = true;
          result.sigma_0_phases.push_back(image.phase_names.at(label));
        }
    for (const unsigned int d : directions)
      result.percolates_at_sigma_0[d] = result.percolates[d] && percolates(image, strong, d);

    parallel::distributed::Triangulation<3> tria(comm);
    create_voxel_mesh(image, tria);
    ConductionSolver solver(tria, sigma, settings);
    UnstructuredPiece piece;
    const bool        write = !vtk_directory.empty();
    if (write)
      piece = make_piece(tria);
    for (const unsigned int d : directions)
      {
        const ConductionResult r = solver.solve(d);
        result.sigma_eff[d]  = r.sigma_eff;
        result.iterations[d] = r.iterations;
        result.conservation_error[d] =
          std::abs(r.current_in - r.current_out) / std::max(std::abs(r.current_in), 1e-300);
        // Without a connected path sigma_eff is the insulators' leakage and
        // eps sigma_0 / sigma_eff (~1/insulator_ratio) is no tortuosity.
        result.tortuosity[d] = result.percolates_at_sigma_0[d] ?
                                 result.volume_fraction * result.sigma_0 / r.sigma_eff :
                                 std::numeric_limits<double>::quiet_NaN();
        if (write)
          {
            const auto j = solver.cell_current_density();
            DataArray  a;
            a.name         = std::string("current_density_") + axis_name(d) + "_A_m2";
            a.n_components = 3;
            for (const auto &cell : tria.active_cell_iterators())
              if (cell->is_locally_owned())
                for (unsigned int c = 0; c < 3; ++c)
                  a.values.push_back(j[cell->active_cell_index()][c]);
            piece.cell_data.push_back(std::move(a));
          }
      }
    if (write)
      {
        const unsigned int rank   = Utilities::MPI::this_mpi_process(comm);
        const unsigned int nranks = Utilities::MPI::n_mpi_processes(comm);
        const std::string  stem   = "current_" + name;
        write_vtu(piece, (std::filesystem::path(vtk_directory) /
                          (stem + "_" + std::to_string(rank) + ".vtu")).string());
        MPI_Barrier(comm);
        if (rank == 0)
          {
            std::vector<std::string> files;
            for (unsigned int r = 0; r < nranks; ++r)
              files.push_back(stem + "_" + std::to_string(r) + ".vtu");
            write_pvtu((std::filesystem::path(vtk_directory) / (stem + ".pvtu")).string(),
                       files, piece);
          }
      }
    return result;
  }

  namespace
  {
    /// The six unit macroscopic strains, in Voigt order xx yy zz yz xz xy.
    std::array<Tensor<2, 3>, 6> unit_macro_strains()
    {
      std::array<Tensor<2, 3>, 6> strains;
      for (unsigned int k = 0; k < 3; ++k)
        strains[k][k][k] = 1.;
      const unsigned int pairs[3][2] = {{1, 2}, {0, 2}, {0, 1}}; // yz, xz, xy
      for (unsigned int k = 0; k < 3; ++k)
        {
          strains[3 + k][pairs[k][0]][pairs[k][1]] = 0.5;
          strains[3 + k][pairs[k][1]][pairs[k][0]] = 0.5;
        }
      return strains;
    }

    /// KUBC: u = E x on the whole boundary.
    AffineConstraints<double> kubc_constraints(const DoFHandler<3> &dof_handler,
                                               const IndexSet &relevant, const Tensor<2, 3> &E)
    {
      AffineConstraints<double> c(relevant);
      const MacroDisplacement   f(E);
      for (types::boundary_id b = 0; b < 6; ++b)
        VectorTools::interpolate_boundary_values(dof_handler, b, f, c);
      c.close();
      return c;
    }

    /// Element matrix lambda K_lambda + mu K_mu of the phase @p id.
    void element_matrix(const VoxelIntegrals &element,
                        const std::map<unsigned int, ElasticPhase> &phases, unsigned int id,
                        FullMatrix<double> &cell_matrix)
    {
      const Lame m(phases.at(id));
      for (unsigned int i = 0; i < cell_matrix.m(); ++i)
        for (unsigned int j = 0; j < cell_matrix.n(); ++j)
          cell_matrix(i, j) = m.lambda * element.K_lambda(i, j) + m.mu * element.K_mu(i, j);
    }

    /// Volume average of the stress of the displacement @p ghosted, Voigt
    /// order, summed over the ranks (all voxels have the same volume).
    std::array<double, 6> mean_stress(const DoFHandler<3> &dof_handler, const VoxelIntegrals *element,
                                      const std::map<unsigned int, ElasticPhase> &phases,
                                      const PETScWrappers::MPI::Vector &ghosted, MPI_Comm comm)
    {
      const unsigned int                   n = dof_handler.get_fe().n_dofs_per_cell();
      std::vector<types::global_dof_index> dofs(n);
      SymmetricTensor<2, 3>                mean;
      for (const auto &cell : dof_handler.active_cell_iterators())
        if (cell->is_locally_owned())
          {
            cell->get_dof_indices(dofs);
            SymmetricTensor<2, 3> eps;
            for (unsigned int i = 0; i < n; ++i)
              eps += ghosted(dofs[i]) * element->mean_strain[i];
            const Lame m(phases.at(cell->material_id()));
            mean += m.lambda * trace(eps) * unit_symmetric_tensor<3>() + 2. * m.mu * eps;
          }
      const double N = static_cast<double>(dof_handler.get_triangulation().n_global_active_cells());
      const double voigt[6] = {mean[0][0], mean[1][1], mean[2][2],
                               mean[1][2], mean[0][2], mean[0][1]};
      std::array<double, 6> result;
      for (unsigned int i = 0; i < 6; ++i)
        result[i] = Utilities::MPI::sum(voigt[i], comm) / N;
      return result;
    }

    /// Asymmetry and the isotropic estimates (Voigt averages) of result.C.
    void isotropic_estimates(StiffnessResult &result)
    {
      const auto &C = result.C;
      double max_c = 0., max_diff = 0.;
      for (unsigned int i = 0; i < 6; ++i)
        for (unsigned int j = 0; j < 6; ++j)
          {
            max_c    = std::max(max_c, std::abs(C[i][j]));
            max_diff = std::max(max_diff, std::abs(C[i][j] - C[j][i]));
          }
      result.asymmetry = max_c > 0. ? max_diff / max_c : 0.;
      const double d = C[0][0] + C[1][1] + C[2][2];
      const double o = C[0][1] + C[0][2] + C[1][2];
      const double s = C[3][3] + C[4][4] + C[5][5];
      result.bulk    = (d + 2. * o) / 9.;
      result.shear   = (d - o + 3. * s) / 15.;
      result.E       = 9. * result.bulk * result.shear / (3. * result.bulk + result.shear);
      result.nu      = (3. * result.bulk - 2. * result.shear) /
                  (2. * (3. * result.bulk + result.shear));
    }
  } // namespace

  StiffnessResult
  homogenize_stiffness(const VoxelImage &image,
                       const std::map<unsigned int, ElasticPhase> &phases,
                       const LinearSolverSettings &settings, MPI_Comm comm)
  {
    parallel::distributed::Triangulation<3> tria(comm);
    create_voxel_mesh(image, tria);
    const FESystem<3> fe(FE_Q<3>(1), 3);
    DoFHandler<3>     dof_handler(tria);
    dof_handler.distribute_dofs(fe);
    const IndexSet owned = dof_handler.locally_owned_dofs();
    IndexSet       relevant;
    DoFTools::extract_locally_relevant_dofs(dof_handler, relevant);

    // Unit element of one voxel (as ElasticitySolver).
    std::unique_ptr<VoxelIntegrals> element;
    for (const auto &cell : dof_handler.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          element = std::make_unique<VoxelIntegrals>(fe, cell);
          break;
        }
    const std::array<Tensor<2, 3>, 6> strains = unit_macro_strains();

    // The matrix is the same for all six cases (same constrained DoFs).
    const unsigned int              n  = fe.n_dofs_per_cell();
    const AffineConstraints<double> c0 = kubc_constraints(dof_handler, relevant, strains[0]);
    DynamicSparsityPattern dsp(relevant);
    DoFTools::make_sparsity_pattern(dof_handler, dsp, c0, false);
    SparsityTools::distribute_sparsity_pattern(dsp, owned, comm, relevant);
    PETScWrappers::MPI::SparseMatrix matrix;
    matrix.reinit(owned, owned, dsp, comm);
    check_petsc(MatSetBlockSize(matrix.petsc_matrix(), 3), "MatSetBlockSize");
    FullMatrix<double>                   cell_matrix(n, n);
    std::vector<types::global_dof_index> dofs(n);
    for (const auto &cell : dof_handler.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          element_matrix(*element, phases, cell->material_id(), cell_matrix);
          cell->get_dof_indices(dofs);
          c0.distribute_local_to_global(cell_matrix, dofs, matrix);
        }
    matrix.compress(VectorOperation::add);

    StiffnessResult     result;
    const ElasticKrylov krylov(dof_handler, owned, matrix, settings,
                               /*nonzero_initial_guess=*/false);
    const KSP           ksp = krylov.ksp();
    PETScWrappers::MPI::Vector rhs(owned, comm), solution(owned, comm),
      ghosted(owned, relevant, comm);
    Vector<double> cell_rhs(n);
    for (unsigned int k = 0; k < 6; ++k)
      {
        // Right-hand side of the prescribed boundary values.
        const AffineConstraints<double> c = kubc_constraints(dof_handler, relevant, strains[k]);
        rhs = 0;
        for (const auto &cell : dof_handler.active_cell_iterators())
          if (cell->is_locally_owned())
            {
              element_matrix(*element, phases, cell->material_id(), cell_matrix);
              cell_rhs = 0;
              cell->get_dof_indices(dofs);
              c.distribute_local_to_global(cell_rhs, dofs, rhs, cell_matrix);
            }
        rhs.compress(VectorOperation::add);
        solution = 0;
        check_petsc(KSPSolve(ksp, rhs, solution), "KSPSolve");
        KSPConvergedReason reason;
        KSPGetConvergedReason(ksp, &reason);
        if (reason < 0)
          throw CollectiveError("effective stiffness: linear solver did not converge "
                                "(PETSc reason " + std::to_string(reason) + ")");
        c.distribute(solution);
        ghosted = solution;
        const std::array<double, 6> column =
          mean_stress(dof_handler, element.get(), phases, ghosted, comm);
        for (unsigned int i = 0; i < 6; ++i)
          result.C[i][k] = column[i];
      }
    isotropic_estimates(result);
    return result;
  }

  Spread spread_of(const std::vector<double> &values)
  {
    Spread s;
    s.values = values;
    if (values.empty())
      return s;
    s.min = *std::min_element(values.begin(), values.end());
    s.max = *std::max_element(values.begin(), values.end());
    for (double v : values)
      s.mean += v;
    s.mean /= static_cast<double>(values.size());
    double var = 0.;
    for (double v : values)
      var += (v - s.mean) * (v - s.mean);
    var /= static_cast<double>(values.size());
    s.relative_std = s.mean != 0. ? std::sqrt(var) / std::abs(s.mean) : 0.;
    return s;
  }

  std::vector<VoxelImage> octants(const VoxelImage &image)
  {
    std::array<std::size_t, 3> half;
    for (unsigned int d = 0; d < 3; ++d)
      {
        half[d] = image.dims[d] / 2;
        if (half[d] == 0)
          throw CollectiveError("sizing: the image has " + std::to_string(image.dims[d]) +
                                " voxel(s) along " + axis_name(d) +
                                ", octants need at least 2");
      }
    std::vector<VoxelImage> result;
    for (unsigned int o = 0; o < 8; ++o)
      {
        std::array<std::size_t, 3> lo, hi;
        for (unsigned int d = 0; d < 3; ++d)
          {
            lo[d] = (o >> d) & 1u ? image.dims[d] - half[d] : 0;
            hi[d] = lo[d] + half[d];
          }
        result.push_back(crop(image, lo, hi, "octant"));
      }
    return result;
  }
} // namespace solidanode
