// GoogleTest main shared by all test programs: initialises MPI (and PETSc,
// through deal.II) once, and lets only rank 0 print results so that the
// output of a 2-rank run stays readable. Every rank still runs every test,
// and a failure on any rank makes the process exit non-zero.
#include <deal.II/base/mpi.h>

#include <gtest/gtest.h>

int main(int argc, char **argv)
{
  dealii::Utilities::MPI::MPI_InitFinalize mpi(argc, argv, 1);
  ::testing::InitGoogleTest(&argc, argv);
  if (dealii::Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) != 0)
    {
      auto &listeners = ::testing::UnitTest::GetInstance()->listeners();
      delete listeners.Release(listeners.default_result_printer());
    }
  const int local_result = RUN_ALL_TESTS();
  const int global_result =
    dealii::Utilities::MPI::max(local_result, MPI_COMM_WORLD);
  return global_result;
}
