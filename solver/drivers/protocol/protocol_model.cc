#include <solver/drivers/protocol/protocol_model.h>

#include <mesh/voxel_io.h>
#include <solver/drivers/run.h>
#include <solver/materials/isotropic.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <stdexcept>

namespace solidanode
{
  ProtocolModel::ProtocolModel(const CaseConfig &config_, RunContext &ctx)
    : config(config_)
    , chemo(*config_.chemo)
    , comm(ctx.comm)
    , tria(ctx.comm)
  {
    std::vector<std::string> image_warnings;
    ctx.timed("image",
              [&] { image = acquire_image(config.microstructure, comm, &image_warnings); });
    for (const auto &w : image_warnings)
      ctx.warn("solidanode: warning: " + w);
    set_up_phases();
    if (config.output.microstructure && ctx.root && !ctx.options.restart)
      write_vti(image, (ctx.out / "microstructure.vti").string());

    ctx.timed("mesh", [&] { mesh_info = create_voxel_mesh(image, tria); });
    if (plating)
      plating->find_cells(tria);
    ctx.timed("setup", [&] {
      mech = std::make_unique<FiniteStrainSolver>(
        tria, mech_phases, config.boundary.sides, config.boundary.top,
        chemo.kinematics == ChemoSpec::Kinematics::finite ? Kinematics::finite :
                                                            Kinematics::small,
        config.solver.linear, newton_settings());
      if (config.solver.mean_dilatation) // finite kinematics only (checked at input)
        mech->set_mean_dilatation(true);
      set_up_bands();
      TransportSettings ts;
      ts.area_correction = chemo.area_correction;
      li = std::make_unique<LiTransport>(tria, active, electrolyte, chemo.temperature, ts);
    });
    for (const auto &[label, a] : active)
      li->set_uniform(label, config.materials.at(a.name).lithium->initial_soc);
    initial_thickness = image.extent()[2];
    top_area          = image.extent()[0] * image.extent()[1];
  }

  void ProtocolModel::set_up_phases()
  {
    try
      {
        check_image_phases(config, image);
      }
    catch (const std::exception &e)
      {
        throw CollectiveError(e.what());
      }
    table       = std::make_unique<PhaseTable>(config, image);
    temperature = chemo.temperature;
    mech_phases = phases_at(temperature, config.file);
    active      = table->active_phases();
    electrolyte = table->electrolyte_labels();
    pore_labels = table->pore_labels();
    if (chemo.plating)
      plating = std::make_unique<PlatingSite>(*chemo.plating, *table, mech_phases);
    for (const auto &[label, a] : active)
      {
        stress_coupling = stress_coupling || a.Omega > 0.;
        capacity_mol += a.c_max * phase_volume(label);
      }
  }

  std::map<unsigned int, MechanicalPhase> ProtocolModel::phases_at(const double T,
                                                                  const std::string &where) const
  {
    try
      {
        auto phases = table->mechanical_phases(T, config.solver.pore_closure);
        if (plating)
          plating->shape_phases(phases);
        return phases;
      }
    catch (const std::invalid_argument &e)
      {
        throw CollectiveError(where + ": " + e.what());
      }
  }

  void ProtocolModel::set_temperature(const double T, const std::string &where)
  {
    if (T == temperature)
      return;
    mech_phases = phases_at(T, where);
    mech->set_phases(mech_phases);
    li->set_temperature(T);
    temperature = T;
  }

  void ProtocolModel::set_up_bands()
  {
    std::vector<FiniteStrainSolver::Band> bands;
    for (const CohesiveSpec &spec : chemo.interfaces)
      {
        auto label_of = [&](const std::string &name) {
          for (const auto &[label, phase] : mech_phases)
            if (phase.name == name)
              return label;
          throw CollectiveError(spec.where + ": phase '" + name + "' does not occur in the image");
        };
        FiniteStrainSolver::Band b{label_of(spec.phase), label_of(spec.band), spec.strength,
                                   spec.fracture_energy, spec.residual};
        const MechanicalPhase &band = mech_phases.at(b.band);
        if (band.pore)
          throw CollectiveError(spec.where + ": the band lies in '" + spec.band +
                                "', a pore; name a solid as the second phase");
        // The softest state of the band phase decides whether its law snaps back.
        const double E = band.E1 >= 0. ? std::min(band.E0, band.E1) : band.E0;
        const double M = isotropic::p_wave_modulus(E, band.nu);
        const double h = mech->band_thickness(), h_max = max_band_thickness(M, b.strength,
                                                                             b.fracture_energy);
        if (!(h < h_max))
          throw CollectiveError(
            spec.where + ": the band (one voxel, " + std::to_string(h * 1e6) +
            " um) must be thinner than 2 M G_c / f_t^2 = " + std::to_string(h_max * 1e6) +
            " um, or its traction-separation law snaps back; use smaller voxels, a larger "
            "fracture_energy or a lower strength");
        bands.push_back(b);
      }
    if (!bands.empty())
      mech->set_cohesive_bands(bands);
  }

  NewtonSettings ProtocolModel::newton_settings() const
  {
    NewtonSettings newton;
    newton.relative_tolerance = chemo.newton_rtol;
    // ... or an absolute force: newton_rtol x (1 MPa on every voxel face),
    // as an l2 norm over all DoFs. Without it, steps that change little
    // (rest, hold) start from a tiny residual and iterate to rtol of it.
    const double n_dofs_estimate =
      3. * double(image.dims[0] + 1) * double(image.dims[1] + 1) * double(image.dims[2] + 1);
    newton.absolute_tolerance = chemo.newton_rtol * 1e6 * image.voxel_size[0] *
                                image.voxel_size[1] * std::sqrt(n_dofs_estimate);
    newton.max_iterations = chemo.newton_max_iterations;
    newton.max_forcing        = chemo.newton_forcing;
    newton.lag_preconditioner = chemo.newton_lag_amg;
    newton.verbose        = std::getenv("SOLIDANODE_NEWTON_VERBOSE") != nullptr;
    // Extrapolated starts pay off for plating and creep (3 instead of 7-16
    // Newton iterations); for swelling Si they cost ~20 % more.
    newton.extrapolate = plating != nullptr ||
                         std::any_of(mech_phases.begin(), mech_phases.end(),
                                     [](const auto &p) { return p.second.creep_rate > 0.; });
    return newton;
  }

  std::vector<double> ProtocolModel::mech_content(const std::vector<double> &x_li,
                                                  const double plated_mol) const
  {
    return plating ? plating->content(x_li, plated_mol) : x_li;
  }

  double ProtocolModel::alloy_soc() const
  {
    double n = 0.;
    for (const auto &[label, a] : active)
      n += li->total_li(label);
    return capacity_mol > 0. ? n / capacity_mol : 0.;
  }
} // namespace solidanode
