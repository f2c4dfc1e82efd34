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

# The checkpoint edited by hand (one value changed) or truncated: refused,
# naming the checkpoint, on every rank.
cp "$work/case.orig" "$work/case.yaml"
ckpt="$work/out/checkpoint.json"
cp "$ckpt" "$work/ckpt.orig"
/usr/bin/python3 - "$ckpt" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["seal"].startswith("fnv1a64:"), d.get("seal")
d["increment"] += 1
open(sys.argv[1], "w").write(json.dumps(d))
PY
refused_checkpoint() {
  out=$(run "${launcher[@]}" 2>&1)
  status=$?
  [ "$status" -ne 0 ] || fail "restart on $1 exited 0"
  echo "$out" | grep -q "solidanode: error: cannot restart: checkpoint '[^']*checkpoint.json'" ||
    fail "no error naming the checkpoint ($1): $out"
  echo "$out" | grep -q MPI_ABORT && fail "not collective ($1)"
  return 0
}
refused_checkpoint "an edited checkpoint"
head -c "$(( $(wc -c < "$work/ckpt.orig") / 2 ))" "$work/ckpt.orig" > "$ckpt"
refused_checkpoint "a truncated checkpoint"
cp "$work/ckpt.orig" "$ckpt"

# All unchanged: the restart continues to the end.
run "${launcher[@]}" || fail "restart with unchanged inputs failed"
grep -q '"status": "finished"' "$work/out/run.json" || fail "run not finished after restart"
[ "$(wc -l < "$work/out/summary.csv")" -eq 4 ] || fail "summary.csv should have a header and 3 rows"
# A protocol run: its per-rank cell-state files are sealed in checkpoint.json;
# one byte changed in one of them is refused, naming that file.
cat > "$work/protocol.yaml" <<'YAML'
microstructure:
  raw: {file: img.raw, dims: [4, 4, 4], voxel_size: 1 um}
  phases: {1: Si, 2: LPSCl}
materials:
  Si:
    E: 90 GPa
    nu: 0.22
    lithium: {c_max: 3.11e5 mol/m3, swelling: 0.3, diffusivity: 1e-12 m2/s}
  LPSCl: {E: 22 GPa, nu: 0.37, electrolyte: true}
boundary: {sides: rollers, top: pressure}
chemo: {kinematics: finite, max_soc_change: 0.05}
protocol:
  - press: {pressure: 20 MPa, release_to: 10 MPa, increments: 1}
  - lithiate: {c_rate: 2, until_soc: 0.2, pressure: 10 MPa}
output: {checkpoint_every: 1}
YAML
prun() { "$@" "$bin" run "$work/protocol.yaml" --output "$work/pout" --quiet "${extra[@]}"; }
extra=(--max-increments 2)
prun "${launcher[@]}"
[ $? -eq 3 ] || fail "the protocol run did not stop with a checkpoint (status 3)"
grep -q '"cell_files"' "$work/pout/checkpoint.json" || fail "protocol checkpoint lists no cell files"
bin_file=$(ls "$work"/pout/checkpoint_g*_r00000.bin | head -1)
[ -f "$bin_file" ] || fail "no cell-state file"
cp "$bin_file" "$work/bin.orig"
size=$(wc -c < "$bin_file")
printf '\377' | dd of="$bin_file" bs=1 seek=$(( size / 2 )) conv=notrunc 2>/dev/null
cmp -s "$bin_file" "$work/bin.orig" && printf '\000' | dd of="$bin_file" bs=1 seek=$(( size / 2 )) conv=notrunc 2>/dev/null
extra=(--restart)
out=$(prun "${launcher[@]}" 2>&1)
status=$?
[ "$status" -ne 0 ] || fail "restart on a damaged cell-state file exited 0"
echo "$out" | grep -q "solidanode: error: cannot restart: '[^']*$(basename "$bin_file")' was changed or damaged" ||
  fail "no error naming the cell-state file: $out"
echo "$out" | grep -q MPI_ABORT && fail "not collective (cell-state file)"
cp "$work/bin.orig" "$bin_file"
prun "${launcher[@]}" || fail "protocol restart with intact files failed"
grep -q '"status": "finished"' "$work/pout/run.json" || fail "protocol run not finished after restart"
echo "PASS"
