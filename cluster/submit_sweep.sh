#!/bin/bash
# Submit a study as a job array (one case per task) plus a collect job that
# writes study.csv when every task succeeded.
#   cluster/submit_sweep.sh [slurm|pbs] STUDY.yaml OUTDIR [NP] [-- extra sbatch/qsub options]
# SOLIDANODE (default: solidanode on PATH) is the program; it is exported to
# the jobs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
system=slurm
case "${1:-}" in slurm|pbs) system=$1; shift ;; esac
study=$(realpath "${1:?usage: submit_sweep.sh [slurm|pbs] STUDY.yaml OUTDIR [NP] [-- options]}")
out=$(realpath -m "${2:?OUTDIR}")
np=${3:-1}
shift $(( $# < 3 ? $# : 3 )); [ "${1:-}" = "--" ] && shift
export SOLIDANODE=${SOLIDANODE:-$(command -v solidanode || true)}
[ -x "$SOLIDANODE" ] || { echo "submit_sweep.sh: set SOLIDANODE to the solidanode program" >&2; exit 2; }
n=$("$SOLIDANODE" sweep "$study" --dry-run | grep -c '^  case_')
[ "$n" -gt 0 ] || { echo "submit_sweep.sh: the study has no cases" >&2; exit 2; }
mkdir -p "$out"
if [ "$system" = slurm ]; then
  array=$(sbatch --parsable --export=ALL --chdir="$out" --array=0-$((n - 1)) --ntasks="$np" "$@" \
          "$here/slurm/sweep_array.sbatch" "$study" "$out")
  collect=$(sbatch --parsable --export=ALL --chdir="$out" --dependency=afterok:"${array%%;*}" "$@" \
          "$here/slurm/collect.sbatch" "$study" "$out")
else
  array=$(qsub -V -J 0-$((n - 1)) -l select=1:ncpus="$np":mpiprocs="$np" \
          -v STUDY="$study",OUT="$out",NP="$np" "$@" "$here/pbs/sweep_array.pbs")
  collect=$(qsub -V -W depend=afterok:"$array" -v STUDY="$study",OUT="$out" "$@" \
          "$here/pbs/collect.pbs")
fi
echo "submitted $n cases: array job $array, collect job $collect; table $out/study.csv"
