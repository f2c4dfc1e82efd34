// Command-line interface of the solidanode program.
#pragma once

namespace solidanode
{
  /// Initialise MPI/PETSc, dispatch the subcommand, report errors.
  /// Returns the process exit code (0 ok, 1 error, 2 usage).
  int cli_main(int argc, char **argv);
} // namespace solidanode
