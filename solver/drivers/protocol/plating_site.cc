#include <solver/drivers/protocol/plating_site.h>

#include <base/errors.h>

#include <algorithm>

namespace solidanode
{
  PlatingSite::PlatingSite(const PlatingSpec &spec_, const PhaseTable &table,
                           std::map<unsigned int, MechanicalPhase> &mech_phases)
    : spec(spec_)
  {
    bool found = false;
    for (const auto &[l, p] : table.phases())
      {
        if (p.name == spec.phase)
          {
            found       = true;
            label       = l;
            site_volume = p.volume;
          }
        if (std::find(spec.layer.begin(), spec.layer.end(), p.name) != spec.layer.end())
          {
            layer_labels.insert(l);
            if (!p.pore)
              layer_solids.insert(l);
          }
        if (p.name == spec.collector)
          collector_label = static_cast<int>(l);
        if (p.name == spec.separator)
          separator_label = static_cast<int>(l);
      }
    if (!found)
      throw CollectiveError(spec.where + ": the plating phase '" + spec.phase +
                            "' has no voxel in the image: give the site (a seed film of "
                            "Li metal, e.g. a 'fill: " + spec.phase +
                            "' layer above the collector)");
    shape_phases(mech_phases);
  }

  void PlatingSite::shape_phases(std::map<unsigned int, MechanicalPhase> &mech_phases) const
  {
    mech_phases.at(label).swelling    = 1.;
    mech_phases.at(label).growth_axis = spec.axis;
  }

  void PlatingSite::find_cells(const dealii::parallel::distributed::Triangulation<3> &tria)
  {
    cells_.clear();
    for (const auto &cell : tria.active_cell_iterators())
      if (!cell->is_artificial() && cell->material_id() == label)
        cells_.push_back(cell->active_cell_index());
  }

  double PlatingSite::ratio(const double mol) const
  {
    return mol * spec.molar_volume / site_volume;
  }

  std::vector<double> PlatingSite::content(const std::vector<double> &x_li,
                                           const double plated_mol) const
  {
    std::vector<double> x = x_li;
    const double        r = ratio(plated_mol);
    for (const unsigned int c : cells_)
      x[c] = r;
    return x;
  }

  std::vector<double> PlatingSite::field(const std::size_t n_cells, const double plated_mol) const
  {
    std::vector<double> f(n_cells, 0.);
    for (const unsigned int c : cells_)
      f[c] = ratio(plated_mol);
    return f;
  }

  SiteContact PlatingSite::contact(const dealii::parallel::distributed::Triangulation<3> &tria,
                                   const std::vector<CellStress> &stress,
                                   const std::array<double, 3> &h, MPI_Comm comm) const
  {
    // A site face is in contact unless the normal stress across it (mean of
    // the two voxels, reference face area) exceeds the interface strength.
    // Voigt order xx yy zz yz xz xy: the normal component of face f is f / 2.
    SiteContact  sc;
    const double area[3] = {h[1] * h[2], h[0] * h[2], h[0] * h[1]};
    for (const auto &cell : tria.active_cell_iterators())
      if (cell->is_locally_owned() && cell->material_id() == label)
        for (unsigned int f = 0; f < 6; ++f)
          {
            if (cell->at_boundary(f))
              continue;
            const auto         nb       = cell->neighbor(f);
            const unsigned int id       = nb->material_id();
            const bool         to_layer = layer_solids.count(id) > 0;
            const bool         to_coll  = static_cast<int>(id) == collector_label;
            if (!to_layer && !to_coll)
              continue;
            const unsigned int d  = f / 2;
            const double       tn = 0.5 * (stress[cell->active_cell_index()][d] +
                                     stress[nb->active_cell_index()][d]);
            const bool lost = tn > spec.interface_strength;
            (to_layer ? (lost ? sc.layer_lost : sc.layer) :
                        (lost ? sc.collector_lost : sc.collector)) += area[d];
          }
    sc.layer          = dealii::Utilities::MPI::sum(sc.layer, comm);
    sc.layer_lost     = dealii::Utilities::MPI::sum(sc.layer_lost, comm);
    sc.collector      = dealii::Utilities::MPI::sum(sc.collector, comm);
    sc.collector_lost = dealii::Utilities::MPI::sum(sc.collector_lost, comm);
    return sc;
  }
} // namespace solidanode
