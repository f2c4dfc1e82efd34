#!/bin/bash
# A real one-node Slurm cluster on localhost runs the tiny sweep as a job
# array (cluster/submit_sweep.sh): an invalid case stops the submission,
# --skip-invalid submits the valid ones, the collect job (afterany) writes
# study.csv.
# Needs root (installs slurm-wlm and munge with apt-get, starts munged,
# slurmctld and slurmd); prints "SKIPPED: ..." and exits 77 where impossible.
# Usage: test_slurm.sh SOLIDANODE SOURCE_DIR WORK_DIR
set -uo pipefail
prog=$(realpath "$1") src=$(realpath "$2") work=$3
skip() { echo "SKIPPED: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "not root: cannot install slurm-wlm/munge or start slurmctld/slurmd"
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q slurm-wlm munge > /tmp/solidanode_slurm_apt.log 2>&1 \
    || skip "apt-get install slurm-wlm munge failed (no apt archive?); see /tmp/solidanode_slurm_apt.log"
fi
rm -rf "$work"; mkdir -p "$work"/{state,spool,log,munge}
work=$(realpath "$work")
chmod 755 "$work"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  sleep 1
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
}
trap cleanup EXIT

# munge with its own key, socket and pid file (leaves any system munged alone).
dd if=/dev/urandom of="$work/munge/munge.key" bs=1024 count=1 2>/dev/null
chmod 400 "$work/munge/munge.key"
sock=$work/munge/munge.socket
munged --force -f --key-file="$work/munge/munge.key" --socket="$sock" \
  --pid-file="$work/munge/munged.pid" --log-file="$work/munge/munged.log" \
  --seed-file="$work/munge/seed" || skip "munged does not start: $(tail -2 "$work/munge/munged.log")"
sleep 1
pids+=("$(cat "$work/munge/munged.pid")")

mem=$(awk '/MemTotal/{print int($2/1024/2)}' /proc/meminfo)
port=$((16817 + RANDOM % 1000))
cat > "$work/slurm.conf" <<CONF
ClusterName=solidanode_test
SlurmctldHost=localhost
SlurmctldPort=$port
SlurmdPort=$((port + 1000))
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$sock
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/log/slurmctld.log
SlurmdLogFile=$work/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
SchedulerType=sched/backfill
NodeName=localhost CPUs=$(nproc) RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
CONF
export SLURM_CONF=$work/slurm.conf
slurmctld -D -f "$SLURM_CONF" > "$work/log/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -f "$SLURM_CONF" -N localhost > "$work/log/slurmd.out" 2>&1 &
pids+=($!)
up=0
for i in $(seq 30); do
  if sinfo -h -o %T 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then up=1; break; fi
  sleep 1
done
if [ "$up" -ne 1 ]; then
  echo "--- slurmctld"; tail -20 "$work/log/slurmctld.log" "$work/log/slurmctld.out" 2>/dev/null
  echo "--- slurmd"; tail -20 "$work/log/slurmd.log" "$work/log/slurmd.out" 2>/dev/null
  sinfo 2>&1 | head -5
  skip "the one-node Slurm cluster did not come up in 30 s (logs above)"
fi
sinfo

out=$work/study
export SOLIDANODE=$prog
export OMPI_MCA_btl_vader_single_copy_mechanism=none
# The study has an invalid case: nothing is submitted ...
bash "$src/cluster/submit_sweep.sh" slurm "$src/tests/data/sweep/study.yaml" "$out" 1 > "$work/refused.log" 2>&1
rc=$?
cat "$work/refused.log"
[ "$rc" -eq 2 ] || { echo "FAIL: submit_sweep.sh exit $rc with an invalid case, expected 2"; exit 1; }
grep -q "case_0002.*invalid" "$work/refused.log" || { echo "FAIL: the invalid case is not named"; exit 1; }
[ -z "$(squeue -h)" ] || { echo "FAIL: jobs were submitted for an invalid study"; squeue; exit 1; }
# ... unless --skip-invalid: the valid cases run, the collect job waits with afterany.
bash "$src/cluster/submit_sweep.sh" slurm --skip-invalid "$src/tests/data/sweep/study.yaml" "$out" 1 \
  > "$work/submit.log" 2>&1 || { cat "$work/submit.log"; echo "FAIL: submit_sweep.sh --skip-invalid"; exit 1; }
cat "$work/submit.log"
grep -q "submitting cases 0,1" "$work/submit.log" || { echo "FAIL: not cases 0,1"; exit 1; }
collect_id=$(sed -n 's/.*collect job \([0-9]*\);.*/\1/p' "$work/submit.log")
dep=$(scontrol show job "$collect_id" 2>/dev/null | grep -o 'Dependency=[^ ]*')
echo "collect job $collect_id: $dep"
case "$dep" in *afterany*|Dependency=\(null\)) ;; *) echo "FAIL: collect job dependency '$dep'"; exit 1 ;; esac
for i in $(seq 300); do
  [ -z "$(squeue -h 2>/dev/null)" ] && break
  sleep 1
done
squeue
if [ -n "$(squeue -h)" ]; then echo "FAIL: jobs still queued after 5 min"; squeue; exit 1; fi
cat "$out"/sweep-*.out 2>/dev/null | tail -20
csv=$out/study.csv
[ -f "$csv" ] || { echo "FAIL: no study.csv"; tail -20 "$work/log/slurmctld.log"; exit 1; }
cat "$csv"
ls "$out"/sweep-collect-*.out >/dev/null 2>&1 || { echo "FAIL: the collect job did not run"; exit 1; }
[ "$(wc -l < "$csv")" -eq 4 ] || { echo "FAIL: study.csv rows"; exit 1; }
[ "$(grep -c ',finished,' "$csv")" -eq 2 ] || { echo "FAIL: two cases should finish"; exit 1; }
grep -q '^2,.*,not run,' "$csv" || { echo "FAIL: case 2 (invalid, not submitted) not listed as 'not run'"; exit 1; }
echo "test_slurm.sh: OK (job array of 3 + collect on a local Slurm $(sinfo -V))"
