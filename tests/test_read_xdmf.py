#!/usr/bin/python3
"""postprocess/read_xdmf.py against the VTK output of the same run.

    /usr/bin/python3 tests/test_read_xdmf.py SOLIDANODE WORKDIR [MPIEXEC ARGS...]

Runs two small cases with output.format: both (a protocol run, Float32
arrays, times in seconds; a steps run, Float64, increment numbers), on the
ranks the launcher gives, and asserts:
  - the .xmf times are the .pvd times (the same strings, the same numbers),
    each time's HDF5 file is named like its .pvtu, the unit is "s" / "increment";
  - at every time, the XDMF arrays equal the .pvtu arrays read by VTK
    exactly: points (Float32 .pvtu points equal the Float64 HDF5 points
    rounded to Float32), hexahedra (global point ids, same cell order),
    every point and cell array with the same name, components and type;
    on 2 ranks both ranks' cells are there;
  - the command line prints the times with their unit and the min/max of
    the .pvtu arrays (--json), --check passes;
  - damaged output is named with what was expected: a truncated HDF5 file,
    one whose signature is overwritten, a missing one, a deleted dataset,
    cell point ids out of range, a truncated .xmf, an .xmf whose Dimensions
    disagree with the HDF5 file, a directory without solution.xmf; the
    command line exits 1 with "read_xdmf: error: 'FILE'".
"""
import json
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import postprocess_runs as pr  # noqa: E402

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import read_xdmf as rx  # noqa: E402

CLI = os.path.join(pr.SRC, "postprocess", "read_xdmf.py")
check = pr.Checks("test_read_xdmf")


def cli(*args):
    p = subprocess.run([sys.executable, CLI] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def compare_run(out, float32, unit, n_ranks):
    label = os.path.basename(out)
    series = rx.open_series(out)
    pvd = pr.pvd_entries(os.path.join(out, "solution.pvd"))
    texts = pr.xmf_time_texts(series.path)
    check(texts == [t for t, _ in pvd], f"{label}: .xmf time strings are the .pvd's",
          f"{texts} vs {[t for t, _ in pvd]}")
    check(series.times == [float(t) for t, _ in pvd], f"{label}: times as numbers equal")
    check(len(series.times) >= 3, f"{label}: at least 3 output times ({len(series.times)})")
    check(series.time_unit == unit, f"{label}: time unit '{unit}'", str(series.time_unit))
    for step, (t, pvtu) in zip(series.steps, pvd):
        check(os.path.basename(step.h5_file) == os.path.basename(pvtu)[:-5] + ".h5",
              f"{label} t={t}: HDF5 file named like {os.path.basename(pvtu)}", step.h5_file)
        x = series.load(step.time, exact=True)
        points, conn, types, pdata, cdata = pr.read_vtk(pvtu)
        if float32:
            same = points.dtype == np.float32 and np.array_equal(
                x.points.astype(np.float32), points)
        else:
            same = points.dtype == np.float64 and np.array_equal(x.points, points)
        check(x.points.dtype == np.float64 and same,
              f"{label} t={t}: {len(points)} points equal the .pvtu's "
              f"({'Float32' if float32 else 'Float64'})")
        check(x.cells.dtype == np.int64 and np.array_equal(x.cells, conn) and
              np.all(types == 12), f"{label} t={t}: {len(conn)} hexahedra equal the .pvtu's")
        names_x = {n: (f.center, f.components, np.dtype(f.dtype)) for n, f in
                   series.fields.items()}
        names_v = {}
        for center, arrays in (("point", pdata), ("cell", cdata)):
            for n, a in arrays.items():
                names_v[n] = (center, 1 if a.ndim == 1 else a.shape[1], a.dtype)
        check(names_x == names_v, f"{label} t={t}: {len(names_x)} fields with the .pvtu's "
              "names, centres, components and types", f"{names_x} vs {names_v}")
        bad = [n for n, a in list(pdata.items()) + list(cdata.items())
               if not (x.field(n).dtype == a.dtype and np.array_equal(x.field(n), a))]
        check(not bad, f"{label} t={t}: every array equals the .pvtu's exactly",
              "differ: " + ", ".join(bad))
        if "mpi_rank" in cdata:
            ranks = sorted(set(int(r) for r in x.cell_data["mpi_rank"]))
            check(ranks == list(range(n_ranks)), f"{label} t={t}: cells of ranks {ranks}")

    # The command line: times with unit, ranges of the last .pvtu.
    rc, stdout, stderr = cli(out, "--check", "--json")
    check(rc == 0, f"{label}: read_xdmf.py --check --json exits 0", stderr)
    if rc == 0:
        s = json.loads(stdout)
        _, _, _, pdata, cdata = pr.read_vtk(pvd[-1][1])
        want = {n: [float(a.min()), float(a.max())] for n, a in {**pdata, **cdata}.items()}
        got = {n: [r["min"], r["max"]] for n, r in s["ranges"].items()}
        check(got == want and s["time"] == float(pvd[-1][0]) and s["checked"] == len(pvd),
              f"{label}: --json min/max of every field at the last time are the .pvtu's",
              f"{got} vs {want}")
    rc, stdout, _ = cli(out, "--time", pvd[1][0], "--field", "von_mises_Pa")
    unit_text = "s (protocol run" if unit == "s" else "increment number (steps run)"
    check(rc == 0 and unit_text in stdout and f"time {float(pvd[1][0]):g}" in stdout
          and "von_mises_Pa" in stdout, f"{label}: summary names the unit and the time", stdout)


def expect_error(series_or_dir, call, file_name, words, what):
    """@p call raises XdmfError naming @p file_name and every one of @p words."""
    try:
        call()
    except rx.XdmfError as e:
        msg = str(e)
        ok = f"'{file_name}'" in msg or f"{os.sep}{os.path.basename(file_name)}'" in msg
        check(ok and all(w in msg for w in words), what, msg)
        return
    check(False, what, "no error raised")


def damaged_outputs(out, work):
    d = os.path.join(work, "damaged")
    shutil.rmtree(d, ignore_errors=True)
    shutil.copytree(out, d)
    s = rx.open_series(d)
    t = [st.time for st in s.steps]
    h5 = [st.h5_file for st in s.steps]

    # Truncated to a third: HDF5 sees the end of file before its stored end.
    with open(h5[-1], "r+b") as f:
        f.truncate(os.path.getsize(h5[-1]) // 3)
    expect_error(d, lambda: s.load(t[-1]), h5[-1],
                 ["truncated file", "expected the HDF5 file of time"],
                 "truncated HDF5 file: named, 'truncated file'")
    check(rx.open_series(d).times == t, "times are still listed (they are in the .xmf)")
    rc, _, err = cli(d)
    check(rc == 1 and err.startswith(f"read_xdmf: error: '{h5[-1]}'"),
          "command line: exit 1, error names the truncated file", err)
    # --check walks every time: the damaged last one is found.
    rc, _, err = cli(d, "--check", "--time", str(t[0]))
    check(rc == 1 and f"'{h5[-1]}'" in err, "--check finds the truncated file at another time",
          err)

    # The signature overwritten.
    with open(h5[0], "r+b") as f:
        f.write(b"\0" * 64)
    expect_error(d, lambda: s.load(t[0]), h5[0], ["file signature not found"],
                 "HDF5 header overwritten: named, 'file signature not found'")

    # Missing.
    os.remove(h5[1])
    expect_error(d, lambda: s.load(t[1]), h5[1], ["no such file", "expected the HDF5 file"],
                 "missing HDF5 file: named, 'no such file'")
    rc, _, err = cli(d, "--time", str(t[1]))
    check(rc == 1 and f"'{h5[1]}': no such file" in err, "command line: missing file named", err)

    # A dataset deleted; cell point ids out of range.
    with h5py.File(h5[2], "r+") as f:
        del f["/cell/von_mises_Pa"]
    expect_error(d, lambda: s.load(t[2]), h5[2], ["no dataset '/cell/von_mises_Pa'"],
                 "deleted dataset: file and dataset named")
    with h5py.File(h5[2], "r+") as f:
        f["/cell/von_mises_Pa"] = np.zeros((s.steps[2].n_cells, 1), np.float64)
    expect_error(d, lambda: s.load(t[2]), h5[2],
                 ["dataset '/cell/von_mises_Pa' is", "float64", "as 'solution.xmf' says"],
                 "dataset of another type: found and expected type named")
    if len(h5) > 3:
        with h5py.File(h5[3], "r+") as f:
            f["/hexahedra"][0, 0] = 10 ** 9
        expect_error(d, lambda: s.load(t[3]), h5[3], ["point ids", "corrupt"],
                     "cell point ids out of range: named")

    # The .xmf: truncated; Dimensions that disagree with the HDF5 file.
    xmf = os.path.join(d, "solution.xmf")
    text = open(xmf).read()
    with open(xmf, "w") as f:
        f.write(text[: len(text) // 2])
    expect_error(d, lambda: rx.open_series(d), xmf, ["not a complete XDMF file"],
                 "truncated .xmf: named, 'not a complete XDMF file'")
    rc, _, err = cli(d)
    check(rc == 1 and f"'{xmf}': not a complete XDMF file" in err,
          "command line: truncated .xmf named", err)
    n = s.steps[-1].n_points
    with open(xmf, "w") as f:
        f.write(text.replace(f'Dimensions="{n} 3"', f'Dimensions="{n + 1} 3"'))
    shutil.copy(os.path.join(out, os.path.basename(h5[-1])), h5[-1])
    expect_error(d, lambda: rx.open_series(d).load(), h5[-1],
                 [f"is {n} x 3 float64, expected {n + 1} x 3 float64"],
                 "points of another shape than the .xmf says: both shapes named")
    os.remove(xmf)
    expect_error(d, lambda: rx.open_series(d), xmf, ["no such file", "output.format"],
                 "no solution.xmf (VTK-only run): named, output.format suggested")


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    binary, work, launcher = sys.argv[1], os.path.abspath(sys.argv[2]), sys.argv[3:]
    n_ranks = 1
    for flag in ("-n", "-np", "--np"):
        if flag in launcher:
            n_ranks = int(launcher[launcher.index(flag) + 1])
    start = time.monotonic()
    pr.fresh_dir(work)
    protocol, wall_p = pr.run_case(binary, work, "protocol", pr.PROTOCOL_CASE, launcher)
    steps, wall_s = pr.run_case(binary, work, "steps", pr.STEPS_CASE, launcher)
    print(f"runs on {n_ranks} rank(s): protocol {wall_p:.1f} s, steps {wall_s:.1f} s")
    compare_run(protocol, True, "s", n_ranks)
    compare_run(steps, False, "increment", n_ranks)
    damaged_outputs(protocol, work)
    print(f"test_read_xdmf: {time.monotonic() - start:.1f} s in all")
    return check.finish()


if __name__ == "__main__":
    sys.exit(main())
