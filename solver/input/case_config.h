// A solidanode case: everything one YAML file describes, in SI units.
// The YAML format is documented in docs/input.md and inputs/demo.yaml.
#pragma once

#include <mesh/image_import.h>
#include <mesh/sphere_generator.h>
#include <mesh/populations.h>
#include <mesh/voxel_image.h>
#include <solver/input/chemo_config.h>
#include <solver/elasticity/elasticity_types.h>

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace solidanode
{
  struct MicrostructureSpec
  {
    enum class Source
    {
      generate,
      build, ///< particle populations, packing, layers (mesh/populations.h)
      vti,
      raw,
      tiff, ///< TIFF file or stack (mesh/image_import.h)
      mhd   ///< MetaImage header + raw data
    };
    Source                    source = Source::generate;
    SphereGeneratorParameters generator;
    std::shared_ptr<const BuildSpec> build; ///< build only
    std::string               file; ///< absolute or relative to the cwd
    // raw only
    std::array<std::size_t, 3> dims{{0, 0, 0}};
    std::array<double, 3>      voxel_size{{0, 0, 0}};
    std::array<double, 3>      origin{{0, 0, 0}};
    /// Label -> phase name given in the YAML (required for raw; for vti,
    /// overrides/extends the names stored in the file).
    std::map<std::uint8_t, std::string> phase_names;
    /// tiff/mhd: whether 'origin' was given (mhd: else from the header);
    /// for mhd, voxel_size[0] > 0 means 'voxel_size' overrides the header.
    bool origin_given = false;
    /// remap / crop / downsample, applied after reading (any source).
    ImageOperations operations;
  };

  struct MaterialSpec
  {
    enum class Model
    {
      linear_elastic,
      pore ///< void space, modelled as a very compliant solid
    };
    std::string name;
    Model       model = Model::linear_elastic;
    double      E     = 0.; ///< [Pa]
    double      nu    = 0.; ///< [-]
    /// Set when the material is declared {homogenized_from: FILE}: the
    /// homogenize.json read (path resolved against the case
    /// file); E and nu are then its isotropic effective values.
    std::string homogenized_from;
    /// From that file: effective conductivity per network [S/m] (mean over
    /// the directions computed), for transport models; empty otherwise.
    std::map<std::string, double> effective_conductivity;

    // Chemo-mechanics (protocol cases; docs/chemo_mechanics.md).
    /// Li storage; set for active phases (Si, Ag, ...).
    std::optional<LithiumSpec> lithium;
    /// Lithiated modulus and J2 plasticity (defaults: constant E, elastic).
    PlasticitySpec plasticity;
    /// Solid electrolyte: Li enters active phases across faces touching it.
    bool electrolyte = false;
    /// Power-law creep (Li metal); unset: none.
    std::optional<CreepSpec> creep;
    /// Stress limit for a phase without a yield stress [Pa]; 0 = the
    /// default of laws/stress_limit.cc, infinity = 'none'.
    double stress_limit = 0.;
    /// Constants of laws registered outside the built-in set
    /// (solver/materials/material_law.h), by "law.key".
    std::map<std::string, double> parameters;
  };

  struct StepSpec
  {
    std::string  name;
    unsigned int increments = 1;
    /// Top load at the end of the step: pressure [Pa] or displacement [m]
    /// according to BoundarySpec::top; unset = same as the previous step.
    std::optional<double> top;
    /// Eigenstrain per phase name at the end of the step [-]; phases not
    /// listed keep their previous value.
    std::map<std::string, double> eigenstrain;
  };

  struct BoundarySpec
  {
    SideCondition sides = SideCondition::rollers;
    TopCondition  top   = TopCondition::pressure;
  };

  struct OutputSpec
  {
    std::string  directory;       ///< default "results/<case file stem>"
    unsigned int every      = 1;  ///< write VTK every n-th increment (and the last)
    bool         microstructure = true; ///< write microstructure.vti
    /// Volume fields to write (names as in docs/input.md); empty = all.
    std::set<std::string> fields;
    /// Volume output format: VTK XML pieces (.pvtu/.pvd), image data on
    /// the voxel grid (.pvti/.pvd), XDMF + one parallel HDF5 file per step
    /// (.xmf/.h5), or .pvtu and XDMF.
    bool         vtk   = true;
    bool         image = false;
    bool         xdmf  = false;
    bool         float32  = true;  ///< real-valued arrays as Float32 (false: Float64)
    bool         compress = true;  ///< zlib-compressed appended data
    bool         interfaces = true; ///< interfaces_*.pvtp + interfaces.pvd
    bool         profiles   = true; ///< profiles_<increment>.csv
    /// Edge of the cubic window of the local porosity field [m]; 0 = 5 voxels.
    double       porosity_window = 0.;
    /// Write a checkpoint every n increments (0: only on SIGTERM/SIGUSR1
    /// and at the end).
    unsigned int checkpoint_every = 0;
  };


  struct SolverSpec
  {
    LinearSolverSettings linear;
    /// Young's modulus of pores relative to the softest solid phase. Solid
    /// fields change by O(ratio); below ~1e-5 GAMG's smoothers can fail.
    double pore_stiffness_ratio = 1e-4;
    /// Finite-strain protocol cases: elastic volume ratio J_c at which a
    /// crushed pore voxel closes (MechanicalPhase::closure_J; the barrier's
    /// bulk modulus is the softest solid's). 0: no closure, pores may invert.
    double pore_closure = 0.1;
    /// Finite-strain protocol cases: volumetric stress from each voxel
    /// element's mean volume change (FiniteStrainSolver::set_mean_dilatation)
    /// instead of point by point; against locking of the trilinear elements
    /// when plastic or creep flow is isochoric (e.g. Li creeping in a thin film).
    bool mean_dilatation = false;
    /// Linear solver of the small-strain `steps` cases: matrix-free CG with
    /// geometric multigrid (MFElasticitySolver, solver/elasticity/mf_elasticity.h), or
    /// the assembled matrix with PETSc CG + GAMG (ElasticitySolver). mf falls
    /// back to amg when the image dimensions allow no multigrid level.
    enum class Method
    {
      mf,
      amg
    };
    Method method = Method::mf;
    /// Small-strain `steps` cases: an increment with inverted voxels
    /// (1 + tr eps <= 0), a thickness <= 0 or a porosity outside [0, 1] ends
    /// the run with an error unless this is set; then the run continues and
    /// records the condition (summary.csv column invalid_state, run.json
    /// invalid_states).
    bool allow_invalid_states = false;
  };

  struct HomogenizeSpec; // solver/input/homogenize_config.h

  struct CaseConfig
  {
    std::string                          file; ///< the YAML file read
    /// Command-line overrides applied to the file ("path=value", in order;
    /// study/case_overrides.h) and the YAML document then read; both empty
    /// when the file was read as it is.
    std::vector<std::string>             overrides;
    std::string                          overridden_text;
    MicrostructureSpec                   microstructure;
    std::map<std::string, MaterialSpec>  materials; ///< by phase name
    BoundarySpec                         boundary;
    std::vector<StepSpec>                steps;
    OutputSpec                           output;
    SolverSpec                           solver;
    /// The optional 'homogenize' section (solidanode homogenize); null if absent.
    std::shared_ptr<const HomogenizeSpec> homogenize;
    /// The chemo-mechanical protocol (a 'protocol' section instead of
    /// 'steps'); null for the small-strain load-step model.
    std::shared_ptr<const ChemoSpec> chemo;
  };

  /// Read and validate a case file. Throws InputError (see yaml_input.h) with
  /// file, line, column and key for every problem, including unknown keys.
  CaseConfig read_case(const std::string &path);

  /// Same from YAML text; @p source_name is used in messages and to resolve
  /// relative file names (its directory).
  CaseConfig read_case_string(const std::string &text,
                              const std::string &source_name);

  /// Check a case's materials against its image (after the image is built or
  /// read): every label in the image must name a phase that has a material,
  /// and every material must occupy at least one voxel (a listed phase with
  /// volume fraction zero is almost always a typo or a wrong label map).
  /// Throws InputError naming the case file, the phase, its label and voxel
  /// count and what to change.
  void check_image_phases(const CaseConfig &config, const VoxelImage &image);
} // namespace solidanode
