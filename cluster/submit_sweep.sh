#!/bin/bash
# Submit a study as a job array (one case per task) plus a collect job that
# writes study.csv when every task has ended (afterany: also after failed or
# timed-out tasks; a task stopped at a checkpoint is requeued first).
#   cluster/submit_sweep.sh [slurm|pbs] [--skip-invalid] STUDY.yaml OUTDIR [NP] [-- extra sbatch/qsub options]
# Before submitting, `solidanode sweep --dry-run` checks every case; if one is
# invalid nothing is submitted (exit 2) unless --skip-invalid, which submits
# the valid cases only (Slurm; study.csv lists the others as 'not run').
# Resources go after --, e.g. -- --partition=compute --account=proj123 --mem-per-cpu=4G
# SOLIDANODE (default: solidanode on PATH) is the program; it is exported to
# the jobs, with SOLIDANODE_MPIRUN (e.g. srun) if set.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
usage="usage: submit_sweep.sh [slurm|pbs] [--skip-invalid] STUDY.yaml OUTDIR [NP] [-- options]"
system=slurm skip_invalid=0
while [ $# -gt 0 ]; do
  case "$1" in
    slurm|pbs) system=$1; shift ;;
    --skip-invalid) skip_invalid=1; shift ;;
    *) break ;;
  esac
done
study=$(realpath "${1:?$usage}")
out=$(realpath -m "${2:?$usage}")
np=${3:-1}
case "${3:-}" in --|'') ;; *[!0-9]*) echo "submit_sweep.sh: NP '$3' is not a number; $usage" >&2; exit 2 ;; esac
shift $(( $# < 3 ? $# : 3 )); [ "${1:-}" = "--" ] && shift
export SOLIDANODE=${SOLIDANODE:-$(command -v solidanode || true)}
[ -x "$SOLIDANODE" ] || { echo "submit_sweep.sh: set SOLIDANODE to the solidanode program" >&2; exit 2; }

set +e
listing=$("$SOLIDANODE" sweep "$study" --output "$out" --dry-run 2>&1)
dry_rc=$?
set -e
all=$(printf '%s\n' "$listing" | grep -c '^  case_' || true)
valid=$(printf '%s\n' "$listing" | grep '^  case_' | grep -v '\[invalid: ' \
        | sed -n 's/^  case_0*\([0-9][0-9]*\):.*/\1/p' | tr '\n' ',' | sed 's/,$//')
[ "$all" -gt 0 ] || { printf '%s\n' "$listing" >&2; echo "submit_sweep.sh: the study has no cases" >&2; exit 2; }
if [ "$dry_rc" -ne 0 ]; then
  printf '%s\n' "$listing" | grep -e '\[invalid: ' -e 'error' >&2 || printf '%s\n' "$listing" >&2
  if [ "$skip_invalid" -eq 0 ]; then
    echo "submit_sweep.sh: invalid case(s) above; nothing submitted (fix the study, or --skip-invalid)" >&2
    exit 2
  fi
  [ -n "$valid" ] || { echo "submit_sweep.sh: no valid case; nothing submitted" >&2; exit 2; }
  [ "$system" = slurm ] || { echo "submit_sweep.sh: --skip-invalid needs Slurm (PBS arrays are ranges)" >&2; exit 2; }
  echo "submit_sweep.sh: skipping the invalid case(s); submitting cases $valid"
fi
[ -n "$valid" ] || valid="0-$((all - 1))"
n=$(echo "$valid" | tr ',' '\n' | wc -l); [ "$dry_rc" -eq 0 ] && n=$all
mkdir -p "$out"
if [ "$system" = slurm ]; then
  array=$(sbatch --parsable --export=ALL --chdir="$out" --array="$valid" --ntasks="$np" "$@" \
          "$here/slurm/sweep_array.sbatch" "$study" "$out")
  collect=$(sbatch --parsable --export=ALL --chdir="$out" --dependency=afterany:"${array%%;*}" "$@" \
          "$here/slurm/collect.sbatch" "$study" "$out")
else
  array=$(qsub -V -J 0-$((all - 1)) -l select=1:ncpus="$np":mpiprocs="$np" \
          -v STUDY="$study",OUT="$out",NP="$np" "$@" "$here/pbs/sweep_array.pbs")
  collect=$(qsub -V -W depend=afterany:"$array" -v STUDY="$study",OUT="$out" "$@" \
          "$here/pbs/collect.pbs")
fi
echo "submitted $n cases: array job $array, collect job $collect; table $out/study.csv"
