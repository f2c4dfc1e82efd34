#!/bin/bash
# plot_summary.py on small summary.csv fixtures: today's columns
# (tests/data/plots/existing), the coming ones (porosity, contact areas,
# p50/p99, time_s, state_of_charge: tests/data/plots/future) and a minimal
# table; every PNG must exist, be a PNG, be > 10 kB and not a single colour.
# Bad input must fail with status 1 and name the file. The numbers behind
# the plots: tests/test_plot_scripts.py.
# Usage: test_plots.sh SOURCE_DIR    (exit 77 = skipped)
set -u
src=${1:?usage: test_plots.sh SOURCE_DIR}
py=${SOLIDANODE_PYTHON:-/usr/bin/python3}   # Debian's, where python3-matplotlib lives
script=$src/postprocess/plot_summary.py
data=$src/tests/data/plots

if ! "$py" -c 'import matplotlib, numpy' 2>/dev/null; then
  echo "SKIPPED: Debian's python3-matplotlib/python3-numpy not installed for $py (scripts/install_deps.sh installs them)"
  exit 77
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# check_pngs DIR NAME... : each DIR/NAME is a valid, non-trivial PNG
check_pngs() {
  local dir=$1; shift
  for name in "$@"; do
    local f=$dir/$name
    [ -f "$f" ] || { fail "$f not written"; continue; }
    local size; size=$(stat -c %s "$f")
    [ "$size" -gt 10240 ] || fail "$f is only $size bytes"
    "$py" - "$f" <<'PY' || fail "$f is not a valid non-trivial PNG"
import sys
import numpy as np
import matplotlib.image as mpimg
path = sys.argv[1]
with open(path, "rb") as f:
    assert f.read(8) == b"\x89PNG\r\n\x1a\n", "no PNG signature"
img = mpimg.imread(path)
assert img.ndim == 3 and img.shape[0] > 200 and img.shape[1] > 200, img.shape
colours = np.unique(img.reshape(-1, img.shape[2]), axis=0)
assert len(colours) > 16, f"only {len(colours)} colours"
PY
  done
  if ls -A "$dir" | grep -q '\.tmp$'; then fail "temporary files left in $dir"; fi
}

# expect_png_set DIR NAME... : exactly these PNGs
expect_png_set() {
  local dir=$1; shift
  local got; got=$(cd "$dir" && ls -- *.png 2>/dev/null | sort | tr '\n' ' ')
  local want; want=$(printf '%s\n' "$@" | sort | tr '\n' ' ')
  [ "$got" = "$want" ] || fail "$dir holds '$got', expected '$want'"
}

run() {  # run NAME ARGS... : stdout+stderr to $tmp/NAME.log, status in $rc
  local name=$1; shift
  "$py" "$script" "$@" >"$tmp/$name.log" 2>&1
  rc=$?
  sed "s/^/  [$name] /" "$tmp/$name.log"
}

# 1. Today's columns, default output directory RESULTS_DIR/plots.
cp -r "$data/existing" "$tmp/existing"
run existing "$tmp/existing"
[ "$rc" -eq 0 ] || fail "existing: exit status $rc"
check_pngs "$tmp/existing/plots" pressure_thickness.png stress_per_phase.png
expect_png_set "$tmp/existing/plots" pressure_thickness.png stress_per_phase.png
grep -q "skipped porosity_contact.png" "$tmp/existing.log" || fail "existing: no message about the skipped porosity/contact plot"
grep -q "stresses of phase 'pore'" "$tmp/existing.log" || fail "existing: no message about the skipped pore phase"
grep -q "$tmp/existing/plots/stress_per_phase.png" "$tmp/existing.log" || fail "existing: PNGs not listed"

# 2. Coming columns, --out, --include-pores.
run future "$data/future" --out "$tmp/future_out" --include-pores
[ "$rc" -eq 0 ] || fail "future: exit status $rc"
check_pngs "$tmp/future_out" pressure_thickness.png porosity_contact.png stress_per_phase.png
grep -q "skipped" "$tmp/future.log" && fail "future: something was skipped"

# 3. Minimal table (thickness only, x = increment); rerun overwrites in place.
run minimal "$data/minimal" --out "$tmp/minimal_out"
[ "$rc" -eq 0 ] || fail "minimal: exit status $rc"
run minimal_again "$data/minimal" --out "$tmp/minimal_out"
[ "$rc" -eq 0 ] || fail "minimal (second run): exit status $rc"
check_pngs "$tmp/minimal_out" pressure_thickness.png
expect_png_set "$tmp/minimal_out" pressure_thickness.png

# 4. Errors: status 1 and a message naming the file.
expect_error() {  # expect_error NAME DIR PATTERN
  run "$1" "$2" --out "$tmp/$1_out"
  [ "$rc" -eq 1 ] || fail "$1: exit status $rc, expected 1"
  grep -q "$2/summary.csv" "$tmp/$1.log" || fail "$1: message does not name $2/summary.csv"
  grep -qi "$3" "$tmp/$1.log" || fail "$1: message does not say '$3'"
}
mkdir -p "$tmp/missing" "$tmp/empty" "$tmp/header_only" "$tmp/unusable"
: > "$tmp/empty/summary.csv"
echo "increment,step,step_name,thickness_m" > "$tmp/header_only/summary.csv"
printf 'increment,step,step_name,cg_iterations\n1,1,press,20\n2,1,press,21\n' > "$tmp/unusable/summary.csv"
expect_error missing "$tmp/missing" "no such file"
expect_error empty "$tmp/empty" "empty"
expect_error header_only "$tmp/header_only" "no rows"
expect_error unusable "$tmp/unusable" "no usable columns"

# 5. The numbers behind the plots (branches, units, labels, error bars,
#    missing-module message): a Python unittest.
"$py" "$src/tests/test_plot_scripts.py" "$src" > "$tmp/unittest.log" 2>&1 || fail "test_plot_scripts.py"
sed "s/^/  [unittest] /" "$tmp/unittest.log"
grep -q "^OK" "$tmp/unittest.log" || fail "test_plot_scripts.py did not report OK"

# 6. A protocol run with state of charge: the battery plots are written.
run future_soc "$data/future" --out "$tmp/future_soc"
check_pngs "$tmp/future_soc" battery_soc.png stress_soc.png

if [ "$failures" -ne 0 ]; then
  echo "test_plots: $failures failure(s)"
  exit 1
fi
echo "test_plots: all checks passed"
