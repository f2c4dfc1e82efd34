#!/bin/bash
# mpirun wrapper used by `make demo`, the tests' documentation and the batch
# scripts. Adds what Open MPI needs in containers and CI so that users do not
# have to know:
#   --allow-run-as-root  when running as root (CI, containers);
#   --oversubscribe      when more ranks are requested than there are cores;
#   no CMA single-copy   (ptrace is often forbidden in containers).
# Usage: cluster/mpirun.sh -np N PROGRAM [ARGS...]
set -euo pipefail

flags=()
if [ "$(id -u)" -eq 0 ]; then
  flags+=(--allow-run-as-root)
fi

np=1
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[$i]}" in
    -np|-n|--np|-c) np="${args[$((i + 1))]:-1}" ;;
  esac
done
if [ "$np" -gt "$(nproc)" ]; then
  flags+=(--oversubscribe)
fi

export OMPI_MCA_btl_vader_single_copy_mechanism="${OMPI_MCA_btl_vader_single_copy_mechanism:-none}"
exec mpirun "${flags[@]}" "$@"
