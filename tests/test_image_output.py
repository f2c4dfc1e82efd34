#!/usr/bin/python3
"""output.format: image against output.format: vtk of the same runs.

    /usr/bin/python3 tests/test_image_output.py SOLIDANODE WORKDIR [MPIEXEC ARGS...]

Runs the small protocol case (finite strain, Float32) and steps case
(small strain, Float64) of postprocess_runs.py twice each, once writing
.pvtu pieces and once image data (.pvti + one .vti slab per rank), on the
ranks the launcher gives, and asserts, read with VTK's own parallel readers:
  - the same times in solution.pvd, each pointing at a .pvti;
  - the image is the voxel grid: 8 x 8 x 8 cells of 0.5 um at the origin;
  - every cell array of every .pvtu cell equals the image's array in the
    voxel under that cell, exactly, with the same type and components;
    every point array equals the image's at the same grid point;
  - the image files of one output take fewer bytes than the .pvtu files
    (no points, no connectivity); bytes per voxel printed.
"""
import glob
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import postprocess_runs as pr  # noqa: E402

import numpy as np  # noqa: E402

check = pr.Checks("test_image_output")
VOXEL = 0.5e-6


def read_image(path):
    import vtk
    from vtk.util.numpy_support import vtk_to_numpy
    reader = vtk.vtkXMLPImageDataReader()
    reader.SetFileName(path)
    reader.Update()
    data = reader.GetOutput()

    def arrays(attributes):
        return {attributes.GetArrayName(i): vtk_to_numpy(attributes.GetArray(i))
                for i in range(attributes.GetNumberOfArrays())}

    return (data.GetDimensions(), data.GetOrigin(), data.GetSpacing(),
            arrays(data.GetPointData()), arrays(data.GetCellData()))


def output_bytes(path):
    """Bytes of one output: the index file and its pieces."""
    base = os.path.basename(path).rsplit(".", 1)[0]
    pieces = glob.glob(os.path.join(os.path.dirname(path), "pieces", base + "_r*"))
    return os.path.getsize(path) + sum(os.path.getsize(p) for p in pieces)


def compare(label, vtk_out, image_out):
    pvd_v = pr.pvd_entries(os.path.join(vtk_out, "solution.pvd"))
    pvd_i = pr.pvd_entries(os.path.join(image_out, "solution.pvd"))
    check([t for t, _ in pvd_v] == [t for t, _ in pvd_i] and len(pvd_i) >= 3,
          f"{label}: the same {len(pvd_i)} times in solution.pvd",
          f"{pvd_v} vs {pvd_i}")
    check(all(f.endswith(".pvti") for _, f in pvd_i), f"{label}: .pvd lists .pvti files")
    nx, ny, nz = pr.IMAGE_DIMS
    for (t, pvtu), (_, pvti) in zip(pvd_v, pvd_i):
        points, conn, _, pdata, cdata = pr.read_vtk(pvtu)
        dims, origin, spacing, ipoint, icell = read_image(pvti)
        check(tuple(dims) == (nx + 1, ny + 1, nz + 1) and np.allclose(origin, 0.) and
              np.allclose(spacing, VOXEL, rtol=1e-12),
              f"{label} t={t}: image grid {dims} points, spacing {spacing}")
        # The voxel under each .pvtu cell: its lowest corner on the grid.
        corner = np.rint(points[conn[:, 0]] / VOXEL).astype(np.int64)
        voxel = corner[:, 0] + nx * (corner[:, 1] + ny * corner[:, 2])
        grid = np.rint(points / VOXEL).astype(np.int64)
        gpoint = grid[:, 0] + (nx + 1) * (grid[:, 1] + (ny + 1) * grid[:, 2])
        check(set(icell) == set(cdata) and set(ipoint) == set(pdata),
              f"{label} t={t}: the same {len(icell)} cell and {len(ipoint)} point arrays",
              f"{sorted(icell)} vs {sorted(cdata)}")
        differ = [n for n, a in cdata.items() if n in icell and not (
            icell[n].dtype == a.dtype and icell[n].shape[1:] == a.shape[1:] and
            np.array_equal(icell[n][voxel], a))]
        differ += [n for n, a in pdata.items() if n in ipoint and not (
            ipoint[n].dtype == a.dtype and np.array_equal(ipoint[n][gpoint], a))]
        check(not differ and len(np.unique(voxel)) == nx * ny * nz,
              f"{label} t={t}: every array equals the .pvtu's in every voxel and grid point",
              "differ: " + ", ".join(differ))
    b_vtk, b_image = output_bytes(pvd_v[-1][1]), output_bytes(pvd_i[-1][1])
    voxels = nx * ny * nz
    check(b_image < b_vtk,
          f"{label}: one output {b_image / voxels:.1f} B/voxel as image, "
          f"{b_vtk / voxels:.1f} B/voxel as .pvtu")


def main():
    binary, work = sys.argv[1], pr.fresh_dir(sys.argv[2])
    launcher = sys.argv[3:]
    for label, case in (("protocol", pr.PROTOCOL_CASE), ("steps", pr.STEPS_CASE)):
        outs = []
        for fmt in ("vtk", "image"):
            text = case.replace("format: both", f"format: {fmt}")
            out, _ = pr.run_case(binary, work, f"{label}_{fmt}", text, launcher)
            outs.append(out)
        compare(label, *outs)
    return check.finish()


if __name__ == "__main__":
    sys.exit(main())
