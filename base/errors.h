// Error types shared by the solver and the program.
#pragma once

#include <stdexcept>

namespace solidanode
{
  /// An error raised on every rank with the same message: bad input found
  /// before any rank-local work, or the verdict of a collective operation
  /// (a linear solver that did not converge). The program can then exit
  /// cleanly on all ranks instead of aborting the MPI job.
  class CollectiveError : public std::runtime_error
  {
  public:
    using std::runtime_error::runtime_error;
  };
} // namespace solidanode
