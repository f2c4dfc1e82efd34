// `solidanode sweep STUDY.yaml`: a parameter study over one base case.
//
// A study file names a base case, the YAML paths to vary and their values:
//
//   base: ../demo.yaml                 # relative to the study file
//   mode: grid                         # grid (full product) | list (zipped)
//   output: results/study              # relative to the current directory
//   parameters:
//     steps[0].top: [10 MPa, 50 MPa]
//     microstructure.generate.seed: [1, 2]
//
// Every case gets OUTPUT/case_NNNN/case.yaml (the base with the values
// substituted); OUTPUT/study.csv collects one row per case (cluster/README.md).
// This file reads, expands and collects studies; launching the cases as
// processes is the program's business (app/sweep_runner.h).
#pragma once

#include <yaml-cpp/yaml.h>

#include <map>
#include <string>
#include <vector>

namespace solidanode
{
  struct StudyParameter
  {
    std::string             path;   ///< dotted YAML path, e.g. "steps[0].top"
    std::vector<YAML::Node> values; ///< as written in the study file
  };

  struct StudyCase
  {
    unsigned int             id = 0;  ///< 0-based; directory case_NNNN
    std::vector<std::size_t> value_index; ///< per parameter
  };

  struct Study
  {
    std::string                 file;      ///< the study file
    std::string                 base_file; ///< absolute path of the base case
    YAML::Node                  base;      ///< the base case document
    std::vector<StudyParameter> parameters; ///< in file order
    bool                        grid = true; ///< false: list (zipped)
    std::string                 output;    ///< study directory
    std::vector<StudyCase>      cases;
  };

  /// Index tuples of the cases: grid = full product (last parameter
  /// fastest), list = zipped (all lists must have the same length).
  /// Throws std::invalid_argument for list mode with unequal lengths.
  std::vector<std::vector<std::size_t>>
  expand_cases(const std::vector<std::size_t> &n_values, bool grid);

  /// Set the node at @p dotted_path ("a.b[2].c") of @p document to @p value
  /// (document is modified in place; clone first). Every key and index on
  /// the way must exist; the last key may be new in an existing mapping.
  /// Throws InputError naming the path and the component that is missing.
  void set_yaml_path(YAML::Node &document, const std::string &dotted_path,
                     const YAML::Node &value, const std::string &source_name);

  /// Read a study file and its base case; expands the cases and validates
  /// every case with read_case (errors name the case and its values).
  Study read_study(const std::string &path);

  /// The YAML text of case @p c (values substituted, relative image file
  /// names made absolute with respect to the base case's directory).
  std::string case_yaml(const Study &study, const StudyCase &c);

  /// Text of a parameter value as given (for tables): scalars verbatim,
  /// sequences/maps in flow style; line breaks become spaces
  /// (study.csv quotes fields as needed, base/csv.h).
  std::string value_text(const YAML::Node &value);

  /// Build study.csv from the case directories (atomically written).
  /// Returns the number of rows.
  std::size_t collect_study(const Study &study, const std::string &output);

  /// "case_0007": the directory of case 7 inside the study's output.
  std::string case_name(unsigned int id);

  /// The "status" of CASE_DIRECTORY/run.json ("finished", ...), "" if none.
  std::string run_status(const std::string &case_directory);
} // namespace solidanode
