#!/bin/bash
# The output directory is locked while a run uses it, and --overwrite keeps
# the earlier results until the new run has started:
#  1. a second run into the directory of a running one fails at once
#     (with and without --overwrite), naming the directory; the first run
#     finishes with all its rows;
#  2. --overwrite with a case whose image turns out bad leaves the earlier
#     results as they were (byte for byte);
#  3. --overwrite with a good case replaces them and leaves nothing aside.
# Usage: test_output_lock.sh SOLIDANODE_BINARY WORKDIR [MPIEXEC...]
set -uo pipefail
bin="$1"
work="$2"
shift 2
launcher=("$@")
fail() { echo "FAIL: $*"; exit 1; }
rm -rf "$work"
mkdir -p "$work"
cat > "$work/slow.yaml" <<'YAML'
microstructure:
  generate:
    dims: [24, 24, 24]
    voxel_size: 0.5 um
    seed: 3
    matrix: LPSCl
    particles: {phase: Si, volume_fraction: 0.25, radius: 1.5 um}
materials:
  Si: {E: 90 GPa, nu: 0.22}
  LPSCl: {E: 22 GPa, nu: 0.37}
steps:
  - {name: press, increments: 12, top: 40 MPa}
solver: {method: amg, rtol: 1e-10}
YAML
# An image with label 2 that has no phase name: found only once the run
# reads its image, after the output directory was made ready.
python3 -c "import sys; sys.stdout.buffer.write(bytes([1]*7 + [2]))" > "$work/bad.raw"
cat > "$work/bad.yaml" <<'YAML'
microstructure:
  raw: {file: bad.raw, dims: [2, 2, 2], voxel_size: 1 um}
  phases: {1: Si}
materials:
  Si: {E: 90 GPa, nu: 0.22}
steps:
  - {top: 10 MPa}
YAML
out="$work/out"

# 1. Two runs into one directory.
"${launcher[@]}" "$bin" run "$work/slow.yaml" --output "$out" --quiet > "$work/first.log" 2>&1 &
first=$!
for _ in $(seq 1 600); do
  [ -f "$out/run.json" ] && break
  sleep 0.05
done
[ -f "$out/run.json" ] || fail "the first run did not start"
for flag in "" "--overwrite"; do
  second=$("${launcher[@]}" "$bin" run "$work/slow.yaml" --output "$out" --quiet $flag 2>&1)
  status=$?
  echo "$second"
  [ "$status" -ne 0 ] || fail "second run ($flag) exited 0 while the first was running"
  if ! echo "$second" | grep -q "solidanode: error: output directory '$out' is in use by another run (process [0-9]* holds '$out/.lock')"; then
    # On a loaded machine the first run may have finished before the second
    # looked: then the earlier-results refusal is the right answer.
    if kill -0 "$first" 2>/dev/null || [ -n "$flag" ] ||
       ! echo "$second" | grep -q "already holds results"; then
      fail "second run ($flag): no error naming the locked directory"
    fi
    echo "note: the first run had finished; the second was refused for the earlier results"
  fi
  echo "$second" | grep -q MPI_ABORT && fail "not collective"
done
kill -0 "$first" 2>/dev/null || echo "note: the first run ended before the second was refused"
wait "$first" || { cat "$work/first.log"; fail "the first run failed"; }
[ "$(wc -l < "$out/summary.csv")" -eq 13 ] || fail "the first run's summary.csv lost rows"
grep -q '"status": "finished"' "$out/run.json" || fail "the first run is not finished"

# 2. --overwrite with a case that fails after the directory was prepared.
cp "$out/summary.csv" "$work/summary.before"
cp "$out/run.json" "$work/run.before"
bad=$("${launcher[@]}" "$bin" run "$work/bad.yaml" --output "$out" --overwrite --quiet 2>&1)
status=$?
echo "$bad"
[ "$status" -ne 0 ] || fail "the bad case exited 0"
echo "$bad" | grep -q "solidanode: error: .*bad.raw: label 2 at voxel (1, 1, 1) has no phase name" ||
  fail "unexpected error for the bad case"
cmp -s "$out/summary.csv" "$work/summary.before" || fail "summary.csv changed after a failed --overwrite"
cmp -s "$out/run.json" "$work/run.before" || fail "run.json changed after a failed --overwrite"
[ -f "$out/solution.pvd" ] || fail "solution.pvd lost after a failed --overwrite"
[ -e "$out/.overwritten" ] && fail ".overwritten left behind after a restore"

# 3. --overwrite with a good case: replaced, nothing left aside; the lock
#    was released by every run (this one could take it).
"${launcher[@]}" "$bin" run "$work/slow.yaml" --output "$out" --overwrite --quiet ||
  fail "--overwrite with a good case failed"
[ -e "$out/.overwritten" ] && fail ".overwritten left behind after a good --overwrite"
cmp -s "$out/run.json" "$work/run.before" && fail "run.json not replaced"
[ "$(wc -l < "$out/summary.csv")" -eq 13 ] || fail "new summary.csv incomplete"

# 4. The lock held by another process (flock(1), as a run holds it): refused
#    without touching the directory, whatever the timing.
if command -v flock > /dev/null; then
  cp "$out/run.json" "$work/run.before"
  exec 9> "$out/.lock"
  flock -n 9 || fail "flock(1) could not take the free lock"
  held=$("${launcher[@]}" "$bin" run "$work/slow.yaml" --output "$out" --overwrite --quiet 2>&1)
  status=$?
  exec 9>&-
  [ "$status" -ne 0 ] || fail "a run into a locked directory exited 0"
  echo "$held" | grep -q "solidanode: error: output directory '$out' is in use by another run" ||
    fail "no lock error: $held"
  cmp -s "$out/run.json" "$work/run.before" || fail "a refused run changed run.json"
else
  echo "note: flock(1) not installed, part 4 skipped"
fi
echo "PASS"
