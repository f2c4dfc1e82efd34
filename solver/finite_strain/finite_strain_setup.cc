#include <solver/finite_strain/finite_strain_internal.h>

#include <mesh/voxel_mesh.h>

#include <deal.II/dofs/dof_tools.h>
#include <deal.II/lac/affine_constraints.h>
#include <deal.II/lac/dynamic_sparsity_pattern.h>
#include <deal.II/lac/sparsity_tools.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace solidanode
{
  using namespace dealii;
  using namespace finite_strain_internal;

  void FiniteStrainSolver::setup_geometry_and_dofs()
  {
    const IndexSet ghosts = number_local_dofs();
    scan_cells(ghosts);
    compute_shape_gradients();
    collect_owned_constraints();
    setup_matrix_and_vectors();
    check_ghost_layout();
  }


  IndexSet FiniteStrainSolver::number_local_dofs()
  {
    dof_handler_.distribute_dofs(fe_);
    owned_ = dof_handler_.locally_owned_dofs();
    DoFTools::extract_locally_relevant_dofs(dof_handler_, relevant_);
    if (!owned_.is_contiguous())
      throw std::logic_error("FiniteStrainSolver: owned DoFs are not contiguous");
    n_owned_ = owned_.n_elements();
    IndexSet ghosts = relevant_;
    ghosts.subtract_set(owned_);
    local_to_global_.clear();
    local_to_global_.reserve(relevant_.n_elements());
    for (auto it = owned_.begin(); it != owned_.end(); ++it)
      local_to_global_.push_back(static_cast<PetscInt>(*it));
    for (auto it = ghosts.begin(); it != ghosts.end(); ++it)
      local_to_global_.push_back(static_cast<PetscInt>(*it));
    return ghosts;
  }


  void FiniteStrainSolver::scan_cells(const IndexSet &ghosts)
  {
    const types::global_dof_index first = n_owned_ > 0 ? *owned_.begin() : 0;
    auto local_index = [&](types::global_dof_index g) -> unsigned int {
      if (owned_.is_element(g))
        return static_cast<unsigned int>(g - first);
      return n_owned_ + static_cast<unsigned int>(ghosts.index_within_set(g));
    };

    // Cells, element geometry, boundary faces.
    const std::size_t n_cells = tria_.n_active_cells();
    cell_dofs_.assign(n_cells * n_cell_dof, 0);
    cell_phase_.assign(n_cells, 0);
    cell_faces_.assign(n_cells, 0);
    owned_cells_.clear();
    ghost_cells_.clear();
    dof_kind_.assign(local_to_global_.size(), 0);
    top_z_.clear();
    bool have_geometry = false, identical = true;
    double area = 0., solid_area = 0.;
    for (const auto &cell : dof_handler_.active_cell_iterators())
      {
        if (cell->is_artificial())
          continue;
        const unsigned int c = cell->active_cell_index();
        if (!have_geometry)
          {
            for (unsigned int d = 0; d < 3; ++d)
              h_[d] = cell->extent_in_direction(d);
            have_geometry = true;
          }
        for (unsigned int v = 0; v < 8; ++v)
          for (unsigned int d = 0; d < 3; ++d)
            {
              const double expected = cell->vertex(0)[d] + ((v >> d) & 1u) * h_[d];
              if (std::abs(cell->vertex(v)[d] - expected) > 1e-9 * h_[d])
                identical = false;
            }
        (cell->is_locally_owned() ? owned_cells_ : ghost_cells_).push_back(c);
        cell_phase_[c] = static_cast<unsigned char>(phase_of_material_[cell->material_id()]);
        for (unsigned int v = 0; v < 8; ++v)
          for (unsigned int comp = 0; comp < 3; ++comp)
            cell_dofs_[n_cell_dof * c + 3 * v + comp] = local_index(cell->vertex_dof_index(v, comp));
        for (unsigned int f = 0; f < 6; ++f)
          if (cell->at_boundary(f) && cell->face(f)->boundary_id() == f)
            cell_faces_[c] |= static_cast<unsigned char>(1u << f);
        // Dirichlet conditions, as in ElasticitySolver.
        auto fix = [&](unsigned int face, unsigned int comp, unsigned char kind) {
          if (!(cell_faces_[c] & (1u << face)))
            return;
          for (unsigned int v = 0; v < 8; ++v)
            if (vertex_on_face(v, face))
              dof_kind_[cell_dofs_[n_cell_dof * c + 3 * v + comp]] = kind;
        };
        fix(boundary_id::bottom, 2, 1);
        fix(boundary_id::x_min, 0, 1);
        fix(boundary_id::y_min, 1, 1);
        if (x_max_held(sides_))
          fix(boundary_id::x_max, 0, 1);
        if (y_max_held(sides_))
          fix(boundary_id::y_max, 1, 1);
        if (cell_faces_[c] & (1u << boundary_id::top))
          for (unsigned int v = 0; v < 8; ++v)
            if (vertex_on_face(v, boundary_id::top))
              top_z_.push_back(cell_dofs_[n_cell_dof * c + 3 * v + 2]);
        if (cell->is_locally_owned() && (cell_faces_[c] & (1u << boundary_id::top)))
          {
            const double a = cell->face(boundary_id::top)->measure();
            area += a;
            if (!phases_[cell_phase_[c]].pore)
              solid_area += a;
          }
      }
    identical = Utilities::MPI::min(identical ? 1u : 0u, comm_) == 1u;
    if (!identical)
      throw CollectiveError("FiniteStrainSolver: cells are not identical axis-aligned voxels");
    for (unsigned int d = 0; d < 3; ++d)
      h_[d] = Utilities::MPI::max(h_[d], comm_); // ranks without cells
    area       = Utilities::MPI::sum(area, comm_);
    solid_area = Utilities::MPI::sum(solid_area, comm_);
    if (top_ == TopCondition::pressure && !(solid_area > 0.))
      throw CollectiveError("the top face holds no solid voxel to carry the stack pressure");
    top_area_ratio_ = solid_area > 0. ? area / solid_area : 1.;
    top_area_       = area;
    std::sort(top_z_.begin(), top_z_.end());
    top_z_.erase(std::unique(top_z_.begin(), top_z_.end()), top_z_.end());
    mark_top_z();
    face_area_[0] = face_area_[1] = h_[1] * h_[2];
    face_area_[2] = face_area_[3] = h_[0] * h_[2];
    face_area_[4] = face_area_[5] = h_[0] * h_[1];
  }


  void FiniteStrainSolver::compute_shape_gradients()
  {

    // Shape-function gradients at the 2x2x2 Gauss points of the voxel.
    const double g[2] = {0.5 - 0.5 / std::sqrt(3.), 0.5 + 0.5 / std::sqrt(3.)};
    for (unsigned int q = 0; q < n_qp; ++q)
      {
        const double xi[3] = {g[q & 1u], g[(q >> 1) & 1u], g[(q >> 2) & 1u]};
        for (unsigned int v = 0; v < 8; ++v)
          {
            double val[3], der[3];
            for (unsigned int d = 0; d < 3; ++d)
              {
                const bool hi = (v >> d) & 1u;
                val[d]        = hi ? xi[d] : 1. - xi[d];
                der[d]        = (hi ? 1. : -1.) / h_[d];
              }
            grad_[24 * q + 3 * v + 0] = der[0] * val[1] * val[2];
            grad_[24 * q + 3 * v + 1] = val[0] * der[1] * val[2];
            grad_[24 * q + 3 * v + 2] = val[0] * val[1] * der[2];
          }
      }
    qp_weight_ = h_[0] * h_[1] * h_[2] / n_qp;
  }


  void FiniteStrainSolver::collect_owned_constraints()
  {

    owned_constrained_.clear();
    for (unsigned int i = 0; i < n_owned_; ++i)
      if (dof_kind_[i] != 0)
        owned_constrained_.push_back(i);
  }


  void FiniteStrainSolver::setup_matrix_and_vectors()
  {

    // Matrix: the sparsity of the condensed system (fixed rows and columns
    // hold their diagonal only; the top u_z keep their couplings, so that
    // the top can switch between pressure and punch), block size 3 for GAMG.
    AffineConstraints<double> constraints(relevant_);
    for (std::size_t i = 0; i < local_to_global_.size(); ++i)
      if (dof_kind_[i] == 1)
        constraints.add_line(local_to_global_[i]);
    constraints.close();
    DynamicSparsityPattern dsp(relevant_);
    DoFTools::make_sparsity_pattern(dof_handler_, dsp, constraints, false);
    SparsityTools::distribute_sparsity_pattern(dsp, owned_, comm_, relevant_);
    matrix_.reinit(owned_, owned_, dsp, comm_);
    check_petsc(MatSetBlockSize(matrix_.petsc_matrix(), 3), "MatSetBlockSize");

    for (auto *v : {&u_, &u_committed_, &u_trial_, &u_previous_, &r_})
      v->reinit(owned_, relevant_, comm_);
    du_.reinit(owned_, comm_);
  }


  void FiniteStrainSolver::check_ghost_layout()
  {

    // Check the local-form numbering assumed above: owned, then sorted ghosts.
    {
      LocalForm lf(handle(u_));
      if (static_cast<std::size_t>(lf.size()) != local_to_global_.size())
        throw std::logic_error("FiniteStrainSolver: unexpected ghosted vector layout");
      for (unsigned int i = 0; i < n_owned_; ++i)
        lf.data()[i] = static_cast<double>(local_to_global_[i]);
    }
    ghost_update_forward(handle(u_));
    bool layout_ok = true;
    {
      LocalForm lf(handle(u_));
      for (std::size_t i = 0; i < local_to_global_.size(); ++i)
        {
          layout_ok = layout_ok && lf.data()[i] == static_cast<double>(local_to_global_[i]);
          lf.data()[i] = 0.;
        }
    }
    if (!layout_ok)
      throw std::logic_error("FiniteStrainSolver: unexpected ghost numbering");
    for (auto *v : {&u_, &u_committed_, &u_trial_, &u_previous_, &r_})
      {
        LocalForm lf(handle(*v));
        std::fill(lf.data(), lf.data() + lf.size(), 0.);
      }
  }
} // namespace solidanode
