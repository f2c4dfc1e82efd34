#!/bin/bash
# A disk that fills up during a run: the run stops with one clear error
# ("solidanode: error: cannot write 'FILE': No space left on device") and a
# non-zero exit on every rank, no MPI_ABORT, no VTK error dump, no
# half-written files (*.tmp*) left, and the rows already in summary.csv
# intact; after space is freed, --restart finishes the run.
#
# The full disk is a small tmpfs: mounted directly as root, else in a user
# and mount namespace (unshare -rm); where neither is permitted the test is
# skipped, visibly (status 77). (A file-size limit, ulimit -f, cannot stand
# in: Open MPI's start-up needs larger files itself.)
# Usage: test_full_disk.sh SOLIDANODE_BINARY WORKDIR [MPIEXEC...]
set -uo pipefail
bin="$1"
work="$2"
shift 2
fail() { echo "FAIL: $*"; exit 1; }
if [ "${SOLIDANODE_FULL_DISK_INNER:-}" != 1 ]; then
  rm -rf "$work"
  mkdir -p "$work"
  export SOLIDANODE_FULL_DISK_INNER=1
  if [ "$(id -u)" -eq 0 ] && mount -t tmpfs -o size=192k tmpfs "$work" 2>/dev/null; then
    bash "$0" "$bin" "$work" "$@"
    status=$?
    umount "$work"
    exit $status
  fi
  if unshare -rm true 2>/dev/null; then
    exec unshare -rm bash -c 'mount -t tmpfs -o size=192k tmpfs "$1" && exec bash "$0" "$@"' \
      "$0" "$bin" "$work" "$@"
  fi
  echo "SKIPPED: cannot mount a small tmpfs here (not root, no user namespaces)"
  exit 77
fi

launcher=("$@")
echo "full disk: a 192 KiB tmpfs"
cat > "$work/case.yaml" <<'YAML'
microstructure:
  generate:
    dims: [8, 8, 8]
    voxel_size: 0.5 um
    seed: 3
    matrix: LPSCl
    particles: {phase: Si, volume_fraction: 0.25, radius: 1 um}
materials:
  Si: {E: 90 GPa, nu: 0.22}
  LPSCl: {E: 22 GPa, nu: 0.37}
steps:
  - {name: press, increments: 30, top: 30 MPa}
output: {checkpoint_every: 1}
solver: {method: amg}
YAML
# Room for the case, the image and a few increments, not for 30.
out=$("${launcher[@]}" "$bin" run "$work/case.yaml" --output "$work/out" --quiet 2>&1)
status=$?
echo "$out" | tail -n 20
[ "$status" -ne 0 ] || fail "the run on a full disk exited 0"
[ "$status" -lt 128 ] || fail "the run died from a signal (status $status)"
echo "$out" | grep -q "^solidanode: error: cannot write '[^']*': No space left on device" ||
  fail "no clear error about the full disk"
echo "$out" | grep -q MPI_ABORT && fail "not collective (MPI_ABORT)"
echo "$out" | grep -q "ERROR: In " && fail "a VTK error dump reached the user"
[ "$(echo "$out" | grep -c .)" -le 12 ] || fail "more than a few lines of output for one error"
left=$(find "$work/out" -name '*.tmp*' | head -5)
[ -z "$left" ] || fail "half-written files left: $left"
rows=0
if [ -f "$work/out/summary.csv" ]; then
  /usr/bin/python3 - "$work/out/summary.csv" <<'PY' || fail "summary.csv damaged"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
for r in rows:
    assert None not in r.values() and len(r) > 5, r
    float(r["thickness_m"])
print(f"summary.csv: {len(rows)} whole rows")
PY
  rows=$(( $(wc -l < "$work/out/summary.csv") - 1 ))
fi
[ "$rows" -lt 30 ] || fail "the disk never filled (30 rows written)"

# Space freed (the tmpfs made larger): --restart continues from the last
# checkpoint and finishes all 30 increments.
mount -o remount,size=64m "$work" || fail "cannot enlarge the tmpfs"
"${launcher[@]}" "$bin" run "$work/case.yaml" --output "$work/out" --restart --quiet ||
  fail "restart after the disk was freed failed"
grep -q '"status": "finished"' "$work/out/run.json" || fail "run not finished after restart"
[ "$(wc -l < "$work/out/summary.csv")" -eq 31 ] || fail "summary.csv should have a header and 30 rows"
echo "PASS"
