// solidanode homogenize, the command: runs what the case's 'homogenize'
// section asks (conduction networks with a percolation check, swelling,
// KUBC stiffness, sizing on octants), prints the table and writes
// homogenize.json. The solves: homogenize.cc. docs/homogenization.md.
#include <solver/drivers/homogenize.h>
#include <solver/materials/phase_table.h>

#include <mesh/voxel_mesh.h>
#include <base/errors.h>
#include <base/file_utils.h>
#include <base/json.h>
#include <solver/drivers/run.h>
#include <solver/elasticity/elasticity.h>
#include <solver/input/case_config.h>
#include <solver/input/homogenize_config.h>

#include <deal.II/base/mpi.h>
#include <deal.II/distributed/tria.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <sstream>

namespace solidanode
{
  using namespace dealii;

  namespace
  {
    const char *axis_name(unsigned int d) { return d == 0 ? "x" : d == 1 ? "y" : "z"; }

    Json spread_json(const Spread &s, double full)
    {
      Json j = Json::object();
      j["mean"]         = s.mean;
      j["min"]          = s.min;
      j["max"]          = s.max;
      j["relative_std"] = s.relative_std;
      j["full_box"]     = full;
      Json v = Json::array();
      for (double x : s.values)
        v.push_back(x);
      j["octants"] = v;
      return j;
    }

    /// The effective conductivities of every network on the whole image.
    void report_conductivities(const HomogenizeSpec &spec, const VoxelImage &image,
                               const LinearSolverSettings &settings, MPI_Comm comm,
                               const std::string &dir, Json &json, std::ostringstream &table,
                               std::vector<NetworkResult> &full_results)
    {
      Json nets = Json::array();
      for (const auto &net : spec.networks)
        {
          const NetworkResult r = homogenize_conduction(
            image, net.name, net.conductivities, net.reference, spec.directions,
            spec.insulator_ratio, settings, comm, spec.write_fields ? dir : std::string());
          full_results.push_back(r);
          Json j = Json::object();
          j["name"]                   = r.name;
          j["reference_phase"]        = r.reference_phase;
          j["sigma_0_S_per_m"]        = r.sigma_0;
          j["volume_fraction"]        = r.volume_fraction;
          j["insulator_ratio"]        = spec.insulator_ratio;
          Json &cond = j["conductivities_S_per_m"] = Json::object();
          for (const auto &[p, s] : net.conductivities)
            cond[p] = s;
          // Filled first, inserted after: references into j would dangle.
          Json se = Json::object(), tau = Json::object(), rel = Json::object(),
               cons = Json::object();
          std::string listed;
          for (const auto &[p, s] : net.conductivities)
            listed += (listed.empty() ? "" : ", ") + p;
          j["present"] = r.present;
          if (!r.present)
            {
              // Nothing conducts: no numbers to misread.
              table << "network " << r.name << ": not present (none of its conducting phases "
                    << listed << " is in the image): no conductivity, no tortuosity\n";
              j["status"] = "not present: none of the conducting phases (" + listed +
                            ") is in the image";
              nets.push_back(j);
              continue;
            }
          table << "network " << r.name << ": volume fraction " << r.volume_fraction
                << ", sigma_0 = " << r.sigma_0 << " S/m (" << r.reference_phase << ")\n";
          Json perc = Json::object(), perc0 = Json::object();
          for (const unsigned int d : spec.directions)
            {
              se[axis_name(d)]   = r.sigma_eff[d];
              tau[axis_name(d)]  = r.tortuosity[d]; // NaN -> null
              perc[axis_name(d)] = r.percolates[d];
              perc0[axis_name(d)] = r.percolates_at_sigma_0[d];
              rel[axis_name(d)]  = r.sigma_eff[d] / r.sigma_0;
              cons[axis_name(d)] = r.conservation_error[d];
              table << "  " << axis_name(d) << ": sigma_eff = " << r.sigma_eff[d] << " S/m ("
                    << r.sigma_eff[d] / r.sigma_0 << " sigma_0), ";
              std::string strong;
              for (const auto &p : r.sigma_0_phases)
                strong += (strong.empty() ? "" : ", ") + p;
              if (r.percolates_at_sigma_0[d])
                table << "tortuosity factor " << r.tortuosity[d];
              else if (r.percolates[d])
                table << "no tortuosity factor: the phases conducting at least "
                      << 100. * tortuosity_sigma_fraction << " % of sigma_0 (" << strong
                      << ") do not percolate between the two " << axis_name(d)
                      << " faces; the current crosses the weaker phases";
              else
                table << "does not percolate (no connected path of " << listed
                      << " between the two " << axis_name(d)
                      << " faces; sigma_eff is the insulators' leakage): no tortuosity";
              table << ", " << r.iterations[d] << " CG iterations\n";
            }
          j["percolates"]             = perc;
          j["percolates_at_sigma_0"]  = perc0;
          j["sigma_eff_S_per_m"]      = se;
          j["tortuosity_factor"]      = tau;
          j["sigma_eff_over_sigma_0"] = rel;
          j["current_balance_error"]  = cons;
          if (spec.write_fields)
            j["current_density_file"] = "current_" + r.name + ".pvtu";
          nets.push_back(j);
        }
      json["networks"] = nets;
    }

    /// Effective swelling strain: the composite with these eigenstrains and
    /// no macroscopic stress (symmetry planes x0, y0, z0, the other faces
    /// traction free); strain = mean face displacement / length.
    void report_swelling(const CaseConfig &config, const HomogenizeSpec &spec,
                         const VoxelImage                           &image,
                         const std::map<unsigned int, ElasticPhase> &phases,
                         const LinearSolverSettings &settings, MPI_Comm comm, Json &json,
                         std::ostringstream &table)
    {
      parallel::distributed::Triangulation<3> tria(comm);
      create_voxel_mesh(image, tria);
      ElasticitySolver solver(tria, phases, SideCondition::free, TopCondition::free,
                              settings);
      LoadState load;
      for (const auto &[phase, eps] : spec.swelling)
        {
          bool found = false;
          for (const auto &[label, p] : phases)
            if (p.name == phase)
              {
                load.eigenstrain[label] = eps;
                found                   = true;
              }
          if (!found)
            throw CollectiveError(config.file + ": homogenize.swelling names phase '" +
                                  phase + "', which the image does not contain");
        }
      solver.solve(load);
      const auto ext = image.extent();
      Json       sw  = Json::object();
      Json       eig = Json::object(), eff = Json::object();
      for (const auto &[phase, eps] : spec.swelling)
        eig[phase] = eps;
      double volumetric = 0.;
      table << "effective swelling strain (stress-free composite):";
      for (unsigned int d = 0; d < 3; ++d)
        {
          const unsigned int face   = 2 * d + 1; // x_max, y_max, top
          const double       strain = solver.mean_face_displacement(face, d) / ext[d];
          eff[axis_name(d)]         = strain;
          volumetric += strain;
          table << " " << axis_name(d) << " " << strain;
        }
      table << ", volumetric " << volumetric << "\n";
      sw["phase_eigenstrain"]           = eig;
      sw["effective_strain"]            = eff;
      sw["effective_volumetric_strain"] = volumetric;
      sw["boundary_conditions"] =
        "symmetry planes x0, y0, z0; other faces traction free (no macroscopic stress)";
      json["swelling"] = sw;
    }

    /// The effective stiffness under KUBC; returns its Young's modulus.
    double report_stiffness(const VoxelImage &image,
                            const std::map<unsigned int, ElasticPhase> &phases,
                            const LinearSolverSettings &settings, MPI_Comm comm, Json &json,
                            std::ostringstream &table)
    {
      const StiffnessResult s = homogenize_stiffness(image, phases, settings, comm);
      Json e = Json::object();
      e["boundary_conditions"] =
        "KUBC (u = E x on the whole boundary): an upper bound of the RVE stiffness";
      Json C = Json::array();
      for (const auto &row : s.C)
        {
          Json r = Json::array();
          for (double x : row)
            r.push_back(x);
          C.push_back(r);
        }
      e["C_voigt_Pa"]       = C;
      e["bulk_modulus_Pa"]  = s.bulk;
      e["shear_modulus_Pa"] = s.shear;
      e["E_Pa"]             = s.E;
      e["nu"]               = s.nu;
      e["asymmetry"]        = s.asymmetry;
      json["elasticity"]    = e;
      table << "stiffness (KUBC, upper bound): E = " << s.E / 1e9 << " GPa, nu = " << s.nu
            << ", K = " << s.bulk / 1e9 << " GPa, G = " << s.shear / 1e9
            << " GPa, asymmetry " << s.asymmetry << "\n";
      return s.E;
    }

    /// Sizing advice: the same solves on the 8 octants.
    void report_sizing(const HomogenizeSpec &spec, const VoxelImage &image,
                       const std::map<unsigned int, ElasticPhase> &phases,
                       const LinearSolverSettings &settings, MPI_Comm comm,
                       const std::vector<NetworkResult> &full_results, double full_E,
                       Json &json, std::ostringstream &table)
    {
      const std::vector<VoxelImage> parts = octants(image);
      Json sz = Json::object();
      sz["method"] =
        "the same solves on the 8 octant sub-volumes (half the box per direction); "
        "relative_std = population std / mean of the 8 values";
      Json dims = Json::array();
      for (unsigned int d = 0; d < 3; ++d)
        dims.push_back(static_cast<double>(parts[0].dims[d]));
      sz["octant_dims"] = dims;
      sz["tolerance"]   = spec.sizing_tolerance;
      double worst      = 0.;
      std::string worst_what;
      table << "sizing: 8 octants of " << parts[0].dims[0] << "x" << parts[0].dims[1]
            << "x" << parts[0].dims[2] << " voxels (mean, min, max, relative std; full box)\n";
      auto note = [&](const Spread &sp, const std::string &what) {
        if (sp.relative_std >= worst)
          {
            worst      = sp.relative_std;
            worst_what = what;
          }
      };
      Json snets = Json::object();
      for (std::size_t n = 0; n < spec.networks.size(); ++n)
        {
          const auto &net = spec.networks[n];
          std::vector<NetworkResult> rs;
          for (const VoxelImage &part : parts)
            rs.push_back(homogenize_conduction(part, net.name, net.conductivities,
                                               net.reference, spec.directions,
                                               spec.insulator_ratio, settings, comm));
          Json sn = Json::object();
          for (const unsigned int d : spec.directions)
            {
              std::vector<double> v;
              for (const auto &r : rs)
                v.push_back(r.sigma_eff[d]);
              const Spread sp = spread_of(v);
              const double full = full_results[n].sigma_eff[d];
              sn[axis_name(d)]  = spread_json(sp, full);
              const std::string what = "sigma_eff " + net.name + " " + axis_name(d);
              note(sp, what);
              table << "  " << what << ": " << sp.mean << ", " << sp.min << ", " << sp.max
                    << " S/m, " << 100. * sp.relative_std << " %; " << full << " S/m\n";
            }
          snets[net.name] = sn;
        }
      sz["sigma_eff_S_per_m"] = snets;
      if (spec.elasticity)
        {
          std::vector<double> v;
          for (const VoxelImage &part : parts)
            v.push_back(homogenize_stiffness(part, phases, settings, comm).E);
          const Spread sp = spread_of(v);
          sz["E_Pa"]      = spread_json(sp, full_E);
          note(sp, "E");
          table << "  E: " << sp.mean / 1e9 << ", " << sp.min / 1e9 << ", "
                << sp.max / 1e9 << " GPa, " << 100. * sp.relative_std << " %; "
                << full_E / 1e9 << " GPa\n";
        }
      const bool ok         = worst < spec.sizing_tolerance;
      sz["max_relative_std"] = worst;
      sz["representative"]  = ok;
      json["sizing"]        = sz;
      table << (ok ? "sizing: the domain looks representative: "
                   : "sizing: the domain is NOT representative: ")
            << "largest octant relative std " << 100. * worst << " % (" << worst_what
            << ") " << (ok ? "< " : ">= ") << 100. * spec.sizing_tolerance << " %"
            << (ok ? "\n" : "; use a larger box (or average several seeds)\n");
    }
  } // namespace

  void run_homogenize(const CaseConfig &config, const std::string &output_directory,
                      MPI_Comm comm)
  {
    if (!config.homogenize)
      throw CollectiveError(config.file + ": no 'homogenize' section (see docs/homogenization.md)");
    const HomogenizeSpec &spec = *config.homogenize;
    const bool root = Utilities::MPI::this_mpi_process(comm) == 0;
    const std::string dir =
      output_directory.empty() ? config.output.directory : output_directory;
    if (root)
      create_directories(dir);
    MPI_Barrier(comm);

    std::vector<std::string> image_warnings;
    const VoxelImage image     = acquire_image(config.microstructure, comm, &image_warnings);
    const auto       fractions = image.volume_fractions();
    LinearSolverSettings settings = config.solver.linear;
    settings.relative_tolerance   = spec.relative_tolerance;
    settings.max_iterations       = std::max(settings.max_iterations, 5000u);

    Json json = Json::object();
    json["case"] = config.file;
    json["method"] =
      "steady conduction, phi = 1 V / 0 V on opposite faces, insulated sides; "
      "current from the weak-form reactions; stiffness under KUBC (upper bound)";
    Json vf = Json::object();
    for (const auto &[label, f] : fractions)
      vf[image.phase_names.count(label) ? image.phase_names.at(label)
                                        : std::to_string(label)] = f;
    json["volume_fractions"] = vf;
    Json warn = Json::array();
    for (const auto &w : image_warnings)
      {
        warn.push_back(w);
        if (root)
          std::cerr << "solidanode: warning: " << w << "\n" << std::flush;
      }
    json["warnings"] = warn;
    std::ostringstream table;
    table.precision(5);
    std::vector<NetworkResult> full_results;
    report_conductivities(spec, image, settings, comm, dir, json, table, full_results);
    std::map<unsigned int, ElasticPhase> phases;
    double full_E = 0.;
    if (spec.elasticity || !spec.swelling.empty())
      phases = PhaseTable(config, image).elastic_phases();
    if (!spec.swelling.empty())
      report_swelling(config, spec, image, phases, settings, comm, json, table);
    if (spec.elasticity)
      full_E = report_stiffness(image, phases, settings, comm, json, table);
    if (spec.sizing)
      report_sizing(spec, image, phases, settings, comm, full_results, full_E, json, table);
    if (root)
      {
        const std::string path = (std::filesystem::path(dir) / "homogenize.json").string();
        atomic_write_text(path, json.dump() + "\n");
        std::cout << table.str() << "wrote " << path << "\n" << std::flush;
      }
  }
} // namespace solidanode
