// solidanode: chemo-mechanics of composite anode microstructures.
// All logic lives in the library; see app/cli.cc for the subcommands.
#include <app/cli.h>

int main(int argc, char **argv)
{
  return solidanode::cli_main(argc, argv);
}
