#!/bin/bash
# postprocess/render.py under pvpython on a tiny run (8^3 voxels, made here
# with the built solidanode) plus a hand-made interfaces.pvd: von_mises.png,
# phase.png, contact_map.png and contact_state.png must be non-trivial PNGs;
# without interfaces.pvd the contact map is skipped with a message.
# Usage: test_render.sh SOURCE_DIR BUILD_DIR    (exit 77 = skipped)
set -u
src=${1:?usage: test_render.sh SOURCE_DIR BUILD_DIR}
build=${2:?usage: test_render.sh SOURCE_DIR BUILD_DIR}

if ! command -v pvpython >/dev/null 2>&1; then
  echo "SKIPPED: pvpython not installed (Debian's python3-paraview conflicts with libvtk9-dev)"
  exit 77
fi
if [ -n "${DISPLAY:-}" ]; then
  pvrun=(pvpython)
elif command -v xvfb-run >/dev/null 2>&1; then
  pvrun=(xvfb-run -a pvpython)
else
  echo "SKIPPED: no display and xvfb-run not installed (apt-get install xvfb)"
  exit 77
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

# Interface faces as the solver will write them (PolyData, cell arrays
# contact_state, phase_pair, area_m2, normal_traction_Pa): the six faces of
# a cube in the middle of the 4 um box, the same file at both times.
cat > "$tmp/run/interfaces_00001.vtp" <<'VTP'
<?xml version="1.0"?>
<VTKFile type="PolyData" version="0.1" byte_order="LittleEndian">
  <PolyData>
    <Piece NumberOfPoints="8" NumberOfPolys="6">
      <Points>
        <DataArray type="Float64" NumberOfComponents="3" format="ascii">
          1e-6 1e-6 1e-6  3e-6 1e-6 1e-6  3e-6 3e-6 1e-6  1e-6 3e-6 1e-6
          1e-6 1e-6 3e-6  3e-6 1e-6 3e-6  3e-6 3e-6 3e-6  1e-6 3e-6 3e-6
        </DataArray>
      </Points>
      <Polys>
        <DataArray type="Int64" Name="connectivity" format="ascii">
          0 3 2 1  4 5 6 7  0 1 5 4  2 3 7 6  1 2 6 5  0 4 7 3
        </DataArray>
        <DataArray type="Int64" Name="offsets" format="ascii">4 8 12 16 20 24</DataArray>
      </Polys>
      <CellData>
        <DataArray type="Int32" Name="contact_state" format="ascii">1 1 0 1 2 1</DataArray>
        <DataArray type="Int32" Name="phase_pair" format="ascii">258 258 258 258 258 258</DataArray>
        <DataArray type="Float64" Name="area_m2" format="ascii">4e-12 4e-12 4e-12 4e-12 4e-12 4e-12</DataArray>
        <DataArray type="Float64" Name="normal_traction_Pa" format="ascii">-8e7 -6e7 2e6 -3e7 -1e7 -5e7</DataArray>
      </CellData>
    </Piece>
  </PolyData>
</VTKFile>
VTP
cat > "$tmp/run/interfaces.pvd" <<'PVD'
<?xml version="1.0"?>
<VTKFile type="Collection" version="0.1" byte_order="LittleEndian">
  <Collection>
    <DataSet timestep="1" group="" part="0" file="interfaces_00001.vtp"/>
    <DataSet timestep="2" group="" part="0" file="interfaces_00001.vtp"/>
  </Collection>
</VTKFile>
PVD

render() {  # render NAME ARGS... : log in $tmp/NAME.log, status in $rc
  local name=$1; shift
  timeout 300 "${pvrun[@]}" "$src/postprocess/render.py" "$@" > "$tmp/$name.log" 2>&1
  rc=$?
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
    timeout 120 pvpython - "$f" > "$tmp/colours.log" 2>&1 <<'PY' || { cat "$tmp/colours.log"; fail "$f: too few colours"; }
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

# 1. Last time, default output directory, with interfaces.
render last "$tmp/run" --last
[ "$rc" -eq 0 ] || fail "render --last: exit status $rc"
check_pngs "$tmp/run/plots" von_mises.png phase.png contact_map.png contact_state.png

# 2. An earlier time into --out, without interfaces: contact map skipped visibly.
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
