#!/bin/bash
# A run killed with SIGKILL between checkpoints restarts with --restart and
# ends with the same summary as an uninterrupted run (to solver tolerance).
# Usage: test_kill_restart.sh SOLIDANODE_BINARY WORKDIR
set -euo pipefail
bin="$1"
work="$2"
rm -rf "$work"
mkdir -p "$work"
cat > "$work/case.yaml" <<'YAML'
microstructure:
  generate:
    dims: [16, 16, 16]
    voxel_size: 0.5 um
    seed: 9
    matrix: LPSCl
    particles: {phase: Si, volume_fraction: 0.25, radius: 1.5 um}
    pores: {phase: pore, volume_fraction: 0.04, radius: 0.5 um}
materials:
  Si: {E: 90 GPa, nu: 0.22}
  LPSCl: {E: 22 GPa, nu: 0.37}
  pore: {model: pore}
steps:
  - {name: press, increments: 4, top: 40 MPa}
  - {name: swell, increments: 4, eigenstrain: {Si: 0.01}}
output: {checkpoint_every: 1}
solver: {rtol: 1e-10}
YAML

"$bin" run "$work/case.yaml" --output "$work/straight" --quiet

# Start the same case, kill it hard once a checkpoint past increment 2 exists.
"$bin" run "$work/case.yaml" --output "$work/killed" --quiet &
pid=$!
for _ in $(seq 1 600); do
  if [ -f "$work/killed/checkpoint.json" ] &&
     grep -Eq '"increment": ([3-9])' "$work/killed/checkpoint.json"; then
    break
  fi
  sleep 0.05
done
kill -9 "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
if grep -q '"increment": 8' "$work/killed/checkpoint.json"; then
  echo "note: the run finished before it could be killed; restart is then a no-op"
fi
echo "killed after checkpoint: $(grep '"increment"' "$work/killed/checkpoint.json")"

"$bin" run "$work/case.yaml" --output "$work/killed" --restart --quiet

# SIGTERM (what a scheduler sends before the wall-time kill): the run
# writes a checkpoint after the current increment and exits with status 3.
"$bin" run "$work/case.yaml" --output "$work/term" --quiet &
pid=$!
for _ in $(seq 1 600); do
  [ -f "$work/term/checkpoint.json" ] && break
  sleep 0.05
done
kill -TERM "$pid"
status=0
wait "$pid" || status=$?
if [ "$status" -ne 3 ] && ! grep -q '"increment": 8' "$work/term/checkpoint.json"; then
  echo "FAIL: SIGTERM gave exit status $status, expected 3"
  exit 1
fi
grep -q "stopped after increment" "$work/term/solidanode.log" || [ "$status" -eq 0 ]
"$bin" run "$work/case.yaml" --output "$work/term" --restart --quiet

for d in killed term; do
/usr/bin/python3 - "$work/straight/summary.csv" "$work/$d/summary.csv" "$d" <<'PY'
import csv, sys
a = list(csv.DictReader(open(sys.argv[1])))
b = list(csv.DictReader(open(sys.argv[2])))
assert len(a) == 8 and len(b) == 8, (len(a), len(b))
skip = {"cg_iterations", "relative_residual", "solve_wall_s", "step_name"}
for ra, rb in zip(a, b):
    for k in ra:
        if k in skip:
            continue
        x, y = float(ra[k]), float(rb[k])
        assert abs(x - y) <= 1e-6 * max(abs(x), 1e-3), (k, ra["increment"], x, y)
print(f"restart after {sys.argv[3]} matches the uninterrupted run: 8 rows compared")
PY
done
