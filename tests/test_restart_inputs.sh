#!/bin/bash
# --restart refuses inputs that changed since the checkpoint: the image file
# (its bytes, same size) and the case file, each named in the error; with
# unchanged inputs the restart continues. run.json and checkpoint.json list
# every input with its fingerprint.
# Usage: test_restart_inputs.sh SOLIDANODE_BINARY WORKDIR [MPIEXEC...]
set -uo pipefail
bin="$1"
work="$2"
shift 2
run() { "$@" "$bin" run "$work/case.yaml" --output "$work/out" --quiet "${extra[@]}"; }
fail() { echo "FAIL: $*"; exit 1; }
launcher=("$@")
rm -rf "$work"
mkdir -p "$work"
# 4 x 4 x 4 voxels: label 1 (Si) in the lower half, 2 (LPSCl) above.
python3 -c "import sys; sys.stdout.buffer.write(bytes([1]*32 + [2]*32))" > "$work/img.raw"
cat > "$work/case.yaml" <<'YAML'
microstructure:
  raw: {file: img.raw, dims: [4, 4, 4], voxel_size: 1 um}
  phases: {1: Si, 2: LPSCl}
materials:
  Si: {E: 90 GPa, nu: 0.22}
  LPSCl: {E: 22 GPa, nu: 0.37}
steps:
  - {name: press, increments: 3, top: 10 MPa}
output: {checkpoint_every: 1}
solver: {method: amg}
YAML

extra=(--max-increments 1)
run "${launcher[@]}"
[ $? -eq 3 ] || fail "the first chunk did not stop with a checkpoint (status 3)"
grep -q '"role": "image"' "$work/out/checkpoint.json" || fail "checkpoint has no image fingerprint"
grep -q '"fingerprint": "fnv1a64:' "$work/out/run.json" || fail "run.json has no fingerprints"

# Same size, one byte different.
cp "$work/img.raw" "$work/img.orig"
printf '\002' | dd of="$work/img.raw" bs=1 seek=0 conv=notrunc 2>/dev/null
extra=(--restart)
out=$(run "${launcher[@]}" 2>&1)
status=$?
echo "$out"
[ "$status" -ne 0 ] || fail "restart on a changed image exited 0"
echo "$out" | grep -q "solidanode: error: cannot restart: the image file '[^']*img.raw' changed since the checkpoint in" ||
  fail "no error naming the changed image"
echo "$out" | grep -q MPI_ABORT && fail "not collective"

# The image back, the case changed: refused, naming the case file.
cp "$work/img.orig" "$work/img.raw"
cp "$work/case.yaml" "$work/case.orig"
echo "# a comment" >> "$work/case.yaml"
out=$(run "${launcher[@]}" 2>&1)
status=$?
[ "$status" -ne 0 ] || fail "restart on a changed case exited 0"
echo "$out" | grep -q "cannot restart: the case file [^ ]*case.yaml changed" || fail "no error naming the case: $out"

# All unchanged: the restart continues to the end.
cp "$work/case.orig" "$work/case.yaml"
run "${launcher[@]}" || fail "restart with unchanged inputs failed"
grep -q '"status": "finished"' "$work/out/run.json" || fail "run not finished after restart"
[ "$(wc -l < "$work/out/summary.csv")" -eq 4 ] || fail "summary.csv should have a header and 3 rows"
echo "PASS"
