#!/bin/bash
# postprocess/render.py (VTK's own off-screen rendering, Debian python3-vtk9,
# under xvfb-run) on (1) a known dataset: 4^3 voxels whose von Mises stress
# is 0, 1, 2, 3 MPa by z layer and whose phase is 1 below z = 2 voxels and 2
# above: the colour range printed must be 0 .. 3 MPa, the picture must show
# the colours of both ends of the colour map in the model area and not be
# blank, phase.png both phase colours; (2) a tiny run made with the built
# solidanode: von_mises.png, phase.png, contact_map.png, contact_state.png
# must be non-trivial PNGs; without interfaces.pvd the contact map is
# skipped with a message; (3) not a results directory: status 1.
# Missing python3-vtk9 or xvfb is a failure (scripts/install_deps.sh
# installs them), not a skip.
# Usage: test_render.sh SOURCE_DIR BUILD_DIR
set -u
src=${1:?usage: test_render.sh SOURCE_DIR BUILD_DIR}
build=${2:?usage: test_render.sh SOURCE_DIR BUILD_DIR}
py=${SOLIDANODE_PYTHON:-/usr/bin/python3}

if ! "$py" -c 'import vtk, numpy' 2>/dev/null; then
  echo "FAIL: $py cannot import vtk and numpy (apt-get install python3-vtk9 python3-numpy; scripts/install_deps.sh)"
  exit 1
fi
# One X server for the whole script, started with -noreset: back-to-back
# 'xvfb-run -a' calls race (a new call can take the display number of a server
# still shutting down), and an X server resets when its last client closes,
# so the next render could connect during the reset ("bad X server
# connection", seen in CI with one server and no -noreset).
if [ -n "${DISPLAY:-}" ]; then
  run=("$py")
elif command -v xvfb-run >/dev/null 2>&1; then
  exec xvfb-run -a -s "-screen 0 1280x1024x24 -noreset" bash "$0" "$@"
else
  echo "FAIL: no display and xvfb-run not installed (apt-get install xvfb; scripts/install_deps.sh)"
  exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

cat > "$tmp/tiny.yaml" <<'YAML'
microstructure:
  generate:
    dims: [8, 8, 8]
    voxel_size: 0.5 um
    seed: 7
    matrix: LPSCl
    particles: {phase: Si, volume_fraction: 0.3, radius: 1.0 um, radius_log_std: 0.2, overlap: false}
    pores: {phase: pore, volume_fraction: 0.05, radius: 0.5 um}
materials:
  Si:    {E: 90 GPa, nu: 0.22}
  LPSCl: {E: 22 GPa, nu: 0.37}
  pore:  {model: pore}
boundary: {sides: rollers, top: pressure}
steps:
  - {name: press, increments: 1, top: 50 MPa}
  - {name: lithiate, increments: 1, top: 50 MPa, eigenstrain: {Si: 0.02}}
output: {directory: run, every: 1}
YAML
if [ ! -x "$build/solidanode" ]; then
  echo "FAIL: no program '$build/solidanode' (build it first: make, or cmake --build $build)"
  exit 1
fi
if ! "$build/solidanode" run "$tmp/tiny.yaml" --output "$tmp/run" --quiet > "$tmp/solve.log" 2>&1; then
  cat "$tmp/solve.log"
  echo "FAIL: solidanode could not make the fixture run"
  exit 1
fi

# The known dataset.
mkdir -p "$tmp/known"
"$py" - "$tmp/known" <<'PY'
import sys, vtk
from vtk.util.numpy_support import numpy_to_vtk
import numpy as np
out = sys.argv[1]
img = vtk.vtkImageData()
img.SetDimensions(5, 5, 5)
img.SetSpacing(1e-6, 1e-6, 1e-6)
k = np.repeat(np.arange(4), 16).astype(float)          # z layer of each cell (x fastest)
for name, values, kind in (("von_mises_Pa", k * 1e6, float), ("phase", 1 + (k >= 2), np.uint8)):
    a = numpy_to_vtk(np.ascontiguousarray(values.astype(kind)), deep=1)
    a.SetName(name)
    img.GetCellData().AddArray(a)
names = vtk.vtkStringArray()
names.SetName("phase_names")
for e in ("1=Si", "2=LPSCl"):
    names.InsertNextValue(e)
img.GetFieldData().AddArray(names)
grid = vtk.vtkAppendFilter()
grid.AddInputData(img)
grid.Update()
w = vtk.vtkXMLUnstructuredGridWriter()
w.SetFileName(out + "/solution_00001.vtu")
w.SetInputData(grid.GetOutput())
w.Write()
with open(out + "/solution.pvd", "w") as f:
    f.write('<?xml version="1.0"?>\n<VTKFile type="Collection" version="0.1">\n<Collection>\n'
            '<DataSet timestep="1" file="solution_00001.vtu"/>\n</Collection>\n</VTKFile>\n')
PY

render() {  # render NAME ARGS... : log in $tmp/NAME.log, status in $rc
  local name=$1; shift
  timeout 300 "${run[@]}" "$src/postprocess/render.py" "$@" > "$tmp/$name.log" 2>&1
  rc=$?
  if [ "$rc" -ne 0 ] && grep -q "bad X server connection" "$tmp/$name.log"; then
    # The X server, not the renderer: say so and try once more.
    echo "  [$name] lost the X server connection (status $rc); rendering once more"
    timeout 300 "${run[@]}" "$src/postprocess/render.py" "$@" > "$tmp/$name.log" 2>&1
    rc=$?
  fi
  sed "s/^/  [$name] /" "$tmp/$name.log"
}

check_pngs() {  # check_pngs DIR NAME...
  local dir=$1; shift
  for name in "$@"; do
    local f=$dir/$name
    [ -f "$f" ] || { fail "$f not written"; continue; }
    [ "$(head -c 8 "$f" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] || fail "$f is not a PNG"
    local size; size=$(stat -c %s "$f")
    [ "$size" -gt 10240 ] || fail "$f is only $size bytes"
    # Not one flat colour: count the distinct colours with ParaView's VTK.
    timeout 120 "$py" - "$f" > "$tmp/colours.log" 2>&1 <<'PY' || { cat "$tmp/colours.log"; fail "$f: too few colours"; }
import sys
from vtkmodules.vtkIOImage import vtkPNGReader
r = vtkPNGReader()
r.SetFileName(sys.argv[1])
r.Update()
img = r.GetOutput()
nx, ny, _ = img.GetDimensions()
assert nx == 1200 and ny == 900, (nx, ny)
a = img.GetPointData().GetScalars()
n = a.GetNumberOfComponents()
colours = set()
for i in range(0, a.GetNumberOfTuples(), 7):
    colours.add(tuple(int(a.GetComponent(i, c)) for c in range(min(n, 3))))
assert len(colours) > 16, f"only {len(colours)} colours"
print(f"{len(colours)} colours")
PY
  done
  if ls -A "$dir" | grep -q '\.tmp'; then fail "temporary files left in $dir"; fi
}

# 1. The known dataset: colour range and colours match the data.
render known "$tmp/known" --out "$tmp/known_out"
[ "$rc" -eq 0 ] || fail "render known: exit status $rc"
grep -q "von_mises.png: colour range 0 .. 3 MPa (data 0 .. 3 MPa)" "$tmp/known.log" \
  || fail "known: colour range not 0 .. 3 MPa"
grep -q "phase.png: 2 phase(s): 1=Si, 2=LPSCl" "$tmp/known.log" || fail "known: phase names"
"$py" - "$tmp/known_out" > "$tmp/pixels.log" 2>&1 <<'PY' || { cat "$tmp/pixels.log"; fail "known: pixels do not match the data"; }
import sys
import numpy as np
import vtk
from vtk.util.numpy_support import vtk_to_numpy

def pixels(path):
    r = vtk.vtkPNGReader()
    r.SetFileName(path)
    r.Update()
    nx, ny, _ = r.GetOutput().GetDimensions()
    a = vtk_to_numpy(r.GetOutput().GetPointData().GetScalars()).reshape(ny, nx, -1)[:, :, :3]
    return a[:, : int(0.8 * nx)].reshape(-1, 3).astype(int)   # the model, not the colour bar

def has(px, rgb, tol=3):
    return int((np.abs(px - np.array(rgb)).max(axis=1) <= tol).sum())

vm = pixels(sys.argv[1] + "/von_mises.png")
white = has(vm, (255, 255, 255), 0)
assert white < 0.9 * len(vm), f"blank: {white} of {len(vm)} pixels white"
low, high = has(vm, (68, 1, 84)), has(vm, (253, 231, 37))      # viridis at 0 and 1
assert low > 500 and high > 500, f"0 MPa colour in {low} pixels, 3 MPa colour in {high}"
assert has(vm, (217, 26, 26), 10) == 0, "voxels above the colour range drawn red"
ph = pixels(sys.argv[1] + "/phase.png")
a, b = has(ph, (217, 217, 217)), has(ph, (31, 120, 181))        # first two palette colours
assert a > 500 and b > 500, f"phase colours in {a} and {b} pixels"
print(f"ok: {low} / {high} pixels at the ends of the colour map, phases {a} / {b}")
PY
cat "$tmp/pixels.log"
check_pngs "$tmp/known_out" von_mises.png phase.png

# 2. A run of the built program: last time, default output directory, with
#    interfaces; then an earlier time into --out without them.
render last "$tmp/run" --last
[ "$rc" -eq 0 ] || fail "render --last: exit status $rc"
check_pngs "$tmp/run/plots" von_mises.png phase.png contact_map.png contact_state.png
rm "$tmp/run/interfaces.pvd"
render first "$tmp/run" --time 1 --out "$tmp/first"
[ "$rc" -eq 0 ] || fail "render --time 1: exit status $rc"
check_pngs "$tmp/first" von_mises.png phase.png
grep -q "skipped contact_map.png" "$tmp/first.log" || fail "no message about the skipped contact map"
[ -e "$tmp/first/contact_map.png" ] && fail "contact_map.png written without interfaces.pvd"

# 3. Not a results directory: status 1 naming the file.
render missing "$tmp/nothing"
[ "$rc" -eq 1 ] || fail "missing directory: exit status $rc, expected 1"
grep -q "$tmp/nothing/solution.pvd" "$tmp/missing.log" || fail "missing directory: message does not name solution.pvd"

if [ "$failures" -ne 0 ]; then
  echo "test_render: $failures failure(s)"
  exit 1
fi
echo "test_render: all checks passed"
