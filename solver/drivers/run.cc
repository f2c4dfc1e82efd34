#include <solver/drivers/run.h>

#include <solver/drivers/protocol/protocol_driver.h>
#include <solver/drivers/steps/steps_driver.h>

namespace solidanode
{
  RunResult run_case(const CaseConfig &config, const RunOptions &options, MPI_Comm comm)
  {
    if (config.chemo)
      return ProtocolDriver(config, options, comm).run();
    return StepsDriver(config, options, comm).run();
  }
} // namespace solidanode
