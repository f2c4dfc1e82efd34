"""Small solidanode runs for the tests of the Python post-processing
(test_read_xdmf.py, test_open_in_paraview.py): the cases, running them
(optionally under an MPI launcher), and what the VTK files say (.pvd times,
.pvtu/.pvtp arrays through VTK's own readers, Debian's python3-vtk9).
"""
import os
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(SRC, "postprocess"))

# 8 x 8 x 8 voxels of 0.5 um: electrolyte (2), a Si layer (1) at z 2..5, a
# few pore voxels (0) in the top layer.
IMAGE_DIMS = (8, 8, 8)


def image_bytes():
    nx, ny, nz = IMAGE_DIMS
    return bytes(1 if 2 <= k < 6 else 0 if k == nz - 1 and (i + j) % 4 == 0 else 2
                 for k in range(nz) for j in range(ny) for i in range(nx))


MATERIALS = """\
materials:
  pore: {model: pore}
  Si:
    E: 90 GPa
    nu: 0.22
    lithium: {c_max: 3.11e5 mol/m3, swelling: 0.3, diffusivity: 1e-12 m2/s}
  SE: {E: 22 GPa, nu: 0.37, electrolyte: true}
"""

HEADER = """\
microstructure:
  raw: {file: img.raw, dims: [8, 8, 8], voxel_size: 0.5 um}
  phases: {0: pore, 1: Si, 2: SE}
"""

# A protocol run: press to 20 MPa, release to 10 MPa (no time: outputs 1 ms
# apart), lithiate at 2C to 20 % state of charge (times in seconds).
PROTOCOL_CASE = HEADER + MATERIALS + """\
boundary: {sides: rollers, top: pressure}
chemo: {kinematics: finite, max_soc_change: 0.1}
protocol:
  - press: {pressure: 20 MPa, release_to: 10 MPa, increments: 2}
  - lithiate: {c_rate: 2, until_soc: 0.2}
output: {format: both, interfaces: true, checkpoint_every: 0}
"""

# A steps run (small strain): press, then swell Si; times are increment
# numbers. Float64 arrays and points.
STEPS_CASE = HEADER + """\
materials:
  pore: {model: pore}
  Si: {E: 90 GPa, nu: 0.22}
  SE: {E: 22 GPa, nu: 0.37}
boundary: {sides: rollers, top: pressure}
steps:
  - {name: press, increments: 2, top: 10 MPa}
  - {name: swell, increments: 1, top: 10 MPa, eigenstrain: {Si: 0.01}}
output: {format: both, float32: false, checkpoint_every: 0}
solver: {method: amg}
"""


def fresh_dir(path):
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def run_case(binary, work, name, text, launcher=()):
    """Write WORK/NAME.yaml (+ img.raw) and run it into WORK/NAME; returns
    the output directory and the wall time. Raises RuntimeError with the
    program's output when it fails."""
    with open(os.path.join(work, "img.raw"), "wb") as f:
        f.write(image_bytes())
    case = os.path.join(work, name + ".yaml")
    with open(case, "w") as f:
        f.write(text)
    out = os.path.join(work, name)
    cmd = list(launcher) + [binary, "run", case, "--output", out, "--quiet", "--overwrite"]
    start = time.monotonic()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=300)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {p.returncode}:\n{p.stdout}")
    return out, time.monotonic() - start


def pvd_entries(path):
    """[(timestep text, absolute file)] of a .pvd, in file order."""
    root = ET.parse(path).getroot()
    base = os.path.dirname(path)
    return [(d.get("timestep"), os.path.join(base, d.get("file"))) for d in root.iter("DataSet")]


def xmf_time_texts(path):
    """The <Time Value=...> strings of a .xmf, in file order."""
    return [t.get("Value") for t in ET.parse(path).getroot().iter("Time")]


def read_vtk(path):
    """points, connectivity (C x 8 or C x 4), cell types, {name: array} of
    point and cell data of a .pvtu/.pvtp, read with VTK's readers."""
    import numpy as np
    import vtk
    from vtk.util.numpy_support import vtk_to_numpy
    reader = (vtk.vtkXMLPUnstructuredGridReader() if path.endswith(".pvtu")
              else vtk.vtkXMLPPolyDataReader())
    reader.SetFileName(path)
    reader.Update()
    data = reader.GetOutput()
    if data.GetNumberOfPoints() == 0 and data.GetNumberOfCells() == 0:
        raise RuntimeError(f"VTK read nothing from '{path}'")
    points = vtk_to_numpy(data.GetPoints().GetData())
    if path.endswith(".pvtu"):
        cells = data.GetCells()
        types = vtk_to_numpy(data.GetCellTypesArray())
        width = 8
    else:
        cells = data.GetPolys()
        types = None
        width = 4
    conn = vtk_to_numpy(cells.GetConnectivityArray()).astype(np.int64)
    offsets = vtk_to_numpy(cells.GetOffsetsArray())
    if not np.array_equal(np.diff(offsets), np.full(len(offsets) - 1, width)):
        raise RuntimeError(f"'{path}': cells are not all of {width} points")

    def arrays(attributes):
        return {attributes.GetArrayName(i): vtk_to_numpy(attributes.GetArray(i))
                for i in range(attributes.GetNumberOfArrays())}

    return points, conn.reshape(-1, width), types, arrays(data.GetPointData()), \
        arrays(data.GetCellData())


class Checks:
    """Named checks; prints each, counts failures, ends with the plain
    'N passed, N failed' line."""

    def __init__(self, name):
        self.name, self.passed, self.failed = name, 0, 0

    def __call__(self, condition, what, detail=""):
        if condition:
            self.passed += 1
            print(f"ok: {what}")
        else:
            self.failed += 1
            print(f"FAIL: {what}" + (f": {detail}" if detail else ""))
        return bool(condition)

    def finish(self):
        print(f"{self.name}: {self.passed} passed, {self.failed} failed")
        return 1 if self.failed else 0
