#!/bin/bash
# solver.allow_invalid_states: the run that would stop at an inverted state
# (tests/bad_inputs/inverted_voxels.yaml) continues, exits 0 and records the
# condition: summary.csv column invalid_state (empty for valid increments),
# run.json invalid_states (a protocol case refuses the key:
# bad_inputs/allow_invalid_states_in_protocol.yaml).
# Usage: test_invalid_state.sh SOLIDANODE_BINARY WORKDIR SOURCE_DIR
set -uo pipefail
bin="$1"
work="$2"
src="$3"
fail() { echo "FAIL: $*"; exit 1; }
rm -rf "$work"
mkdir -p "$work"
cp "$src/tests/bad_inputs/tiny_2x2x2.raw" "$work/"
sed -e 's/^  - {name: crush, top: 20 GPa, increments: 1}/  - {name: press, top: 10 MPa, increments: 1}\n  - {name: crush, top: 20 GPa, increments: 1}/' \
    -e 's/^solver: {method: amg}/solver: {method: amg, allow_invalid_states: true}/' \
    "$src/tests/bad_inputs/inverted_voxels.yaml" > "$work/case.yaml"
grep -q "allow_invalid_states: true" "$work/case.yaml" || fail "case not prepared"
"$bin" run "$work/case.yaml" --output "$work/out" --quiet || fail "the run with allow_invalid_states failed"
python3 - "$work/out" <<'PY' || exit 1
import csv, json, sys
out = sys.argv[1]
rows = list(csv.DictReader(open(out + "/summary.csv", newline="")))
assert len(rows) == 2, len(rows)
assert rows[0]["invalid_state"] == "", rows[0]["invalid_state"]
assert "voxel(s) inverted" in rows[1]["invalid_state"], rows[1]["invalid_state"]
assert "thickness" in rows[1]["invalid_state"], rows[1]["invalid_state"]
assert float(rows[1]["thickness_m"]) <= 0, rows[1]["thickness_m"]
run = json.load(open(out + "/run.json"))
inv = run["invalid_states"]
assert len(inv) == 1 and inv[0]["increment"] == 2, inv
assert inv[0]["what"] == rows[1]["invalid_state"], inv
print("recorded:", inv[0]["what"])
PY
# Without the key the same case stops at increment 2 with the error.
sed -i 's/, allow_invalid_states: true//' "$work/case.yaml"
out=$("$bin" run "$work/case.yaml" --output "$work/out" --overwrite --quiet 2>&1)
[ $? -ne 0 ] || fail "the invalid state did not stop the run"
echo "$out" | grep -q "solidanode: error: physically invalid state at increment 2 (step 'crush')" ||
  fail "unexpected message: $out"
echo PASS
