#!/usr/bin/python3
"""Read solidanode's XDMF output: solution.xmf + one HDF5 file per output.

    /usr/bin/python3 postprocess/read_xdmf.py RESULTS_DIR|solution.xmf
        [--time T] [--field NAME] [--check] [--json]

prints the output times (with their unit), the fields, and for one time
(the last, or the one nearest to --time) the size of the mesh and the
minimum and maximum of every field (--field NAME: of that field only, per
component). --check opens the HDF5 file of every time and checks each
dataset's shape and type against solution.xmf (exit status 1 on the first
file that fails, naming it). --json prints the same as one JSON object.

As a module (put postprocess/ on sys.path):

    import read_xdmf
    series = read_xdmf.open_series("results/demo")   # directory or .xmf
    series.times          # [1.0, 2.0, ...], as written in the .xmf
    series.time_unit      # "s" (protocol run), "increment" (steps run), None
    series.fields         # {name: Field(name, center, components, dtype)}
    out = series.load()                    # last time, every field
    out = series.load(time=2.0, fields=["von_mises_Pa"])
    out.points            # (N, 3) float64 [m]; points at rank boundaries
                          # appear once per rank, as in the .pvtu
    out.cells             # (C, 8) int64 point ids, VTK hexahedron order
    out.point_data["displacement_m"]       # (N, 3)
    out.cell_data["von_mises_Pa"]          # (C,): one-component arrays are 1-D

Arrays have the type written (float32 by default, output.float32) and the
order of the .pvtu pieces (rank 0's cells first). Every problem raises
XdmfError with the file name and what was expected: a missing .xmf or HDF5
file, an .xmf that is not complete XML, an HDF5 file that is truncated or
not HDF5, a dataset missing or of another shape or type than the .xmf says,
cell point ids outside the points. HDF5 keeps no checksum of uncompressed
data: changed bytes inside an array are not detected.

Times: solidanode writes the physical time in seconds in protocol runs and
the increment number in steps runs (README.md, "Outputs"); the unit is
taken from the run.json next to the .xmf (None without it).

Needs Debian's python3-h5py and python3-numpy (run with /usr/bin/python3).
Exit status: 0, 1 on an error (message on stderr), 2 on a usage error.
"""

import argparse
import json
import os
import sys
import xml.etree.ElementTree as ET

PROG = "read_xdmf"

try:
    import numpy as np
    import h5py
except ImportError as _e:  # pragma: no cover - depends on the machine
    print(f"{PROG}: error: {_e}; install Debian's python3-h5py and python3-numpy "
          "and run with /usr/bin/python3", file=sys.stderr)
    sys.exit(1)

# (NumberType, Precision) of an XDMF DataItem -> numpy type.
NUMBER_TYPES = {
    ("Float", 8): np.float64, ("Float", 4): np.float32,
    ("Int", 8): np.int64, ("Int", 4): np.int32, ("Int", 2): np.int16, ("Int", 1): np.int8,
    ("UInt", 8): np.uint64, ("UInt", 4): np.uint32, ("UInt", 2): np.uint16,
    ("UInt", 1): np.uint8, ("UChar", 1): np.uint8, ("Char", 1): np.int8,
}
CENTERS = {"Node": "point", "Cell": "cell"}


class XdmfError(Exception):
    """A missing, incomplete or inconsistent .xmf or HDF5 file."""


class DataItem:
    """One <DataItem Format="HDF">: FILE:/dataset with its shape and type."""

    def __init__(self, h5_file, dataset, shape, dtype):
        self.h5_file, self.dataset, self.shape, self.dtype = h5_file, dataset, shape, dtype


class Field:
    """A point or cell array: name, center ("point"/"cell"), components, dtype."""

    def __init__(self, name, center, components, dtype):
        self.name, self.center, self.components, self.dtype = name, center, components, dtype

    def __repr__(self):
        return (f"Field({self.name!r}, {self.center!r}, components={self.components}, "
                f"dtype={np.dtype(self.dtype).name})")

    def __eq__(self, other):
        return isinstance(other, Field) and (self.name, self.center, self.components,
                                             np.dtype(self.dtype)) == \
            (other.name, other.center, other.components, np.dtype(other.dtype))


class Step:
    """One output time of the .xmf."""

    def __init__(self, time, time_text, cells, points, attributes):
        self.time, self.time_text = time, time_text
        self.cells, self.points = cells, points  # DataItem
        self.attributes = attributes  # name -> (Field, DataItem)

    @property
    def h5_file(self):
        return self.points.h5_file

    @property
    def n_points(self):
        return self.points.shape[0]

    @property
    def n_cells(self):
        return self.cells.shape[0]


class Output:
    """The arrays of one time (Series.load)."""

    def __init__(self, time, h5_file, points, cells, point_data, cell_data):
        self.time, self.h5_file = time, h5_file
        self.points, self.cells = points, cells
        self.point_data, self.cell_data = point_data, cell_data

    def field(self, name):
        if name in self.point_data:
            return self.point_data[name]
        if name in self.cell_data:
            return self.cell_data[name]
        raise KeyError(name)


# --------------------------------------------------------------------------
# The .xmf
# --------------------------------------------------------------------------

def _xmf_path(path):
    if os.path.isdir(path):
        xmf = os.path.join(path, "solution.xmf")
        if not os.path.isfile(xmf):
            hint = (" (the run wrote VTK only: output.format: xdmf or both writes it)"
                    if os.path.isfile(os.path.join(path, "solution.pvd")) else "")
            raise XdmfError(f"'{xmf}': no such file; expected solidanode's XDMF index "
                            f"in the output directory{hint}")
        return xmf
    if not os.path.isfile(path):
        raise XdmfError(f"'{path}': no such file; expected a solidanode output directory "
                        "or its solution.xmf")
    return path


def _data_item(elem, xmf, where, directory):
    if elem is None:
        raise XdmfError(f"'{xmf}': {where} has no <DataItem>")
    if elem.get("Format", "XML") != "HDF":
        raise XdmfError(f"'{xmf}': {where}: DataItem Format '{elem.get('Format')}', "
                        "expected 'HDF'")
    try:
        shape = tuple(int(d) for d in elem.get("Dimensions", "").split())
    except ValueError:
        shape = ()
    if len(shape) != 2:
        raise XdmfError(f"'{xmf}': {where}: Dimensions '{elem.get('Dimensions')}', "
                        "expected 'ROWS COLUMNS'")
    key = (elem.get("NumberType", "Float"), int(elem.get("Precision", "4")))
    if key not in NUMBER_TYPES:
        raise XdmfError(f"'{xmf}': {where}: unknown NumberType/Precision {key}")
    text = (elem.text or "").strip()
    h5_name, sep, dataset = text.rpartition(":")
    if not sep or not h5_name or not dataset.startswith("/"):
        raise XdmfError(f"'{xmf}': {where}: '{text}', expected FILE.h5:/dataset")
    return DataItem(os.path.join(directory, h5_name), dataset, shape, NUMBER_TYPES[key])


def _parse_step(grid, xmf, directory, index):
    where = f"output {index + 1}"
    t = grid.find("Time")
    if t is None or t.get("Value") is None:
        raise XdmfError(f"'{xmf}': {where} has no <Time Value=...>")
    try:
        time = float(t.get("Value"))
    except ValueError:
        raise XdmfError(f"'{xmf}': {where}: time '{t.get('Value')}' is not a number")
    where = f"output {index + 1} (time {t.get('Value')})"
    topo = grid.find("Topology")
    if topo is None or topo.get("TopologyType") != "Hexahedron":
        raise XdmfError(f"'{xmf}': {where}: expected a <Topology TopologyType=\"Hexahedron\">")
    cells = _data_item(topo.find("DataItem"), xmf, where + " topology", directory)
    geo = grid.find("Geometry")
    if geo is None or geo.get("GeometryType", "XYZ") != "XYZ":
        raise XdmfError(f"'{xmf}': {where}: expected a <Geometry GeometryType=\"XYZ\">")
    points = _data_item(geo.find("DataItem"), xmf, where + " geometry", directory)
    if cells.shape[1] != 8 or points.shape[1] != 3:
        raise XdmfError(f"'{xmf}': {where}: topology {cells.shape} / geometry {points.shape}, "
                        "expected C x 8 and N x 3")
    attributes = {}
    for a in grid.findall("Attribute"):
        name, center = a.get("Name"), CENTERS.get(a.get("Center", "Node"))
        if not name or center is None:
            raise XdmfError(f"'{xmf}': {where}: attribute '{name}' with Center "
                            f"'{a.get('Center')}', expected Node or Cell")
        item = _data_item(a.find("DataItem"), xmf, f"{where} attribute '{name}'", directory)
        rows = points.shape[0] if center == "point" else cells.shape[0]
        if item.shape[0] != rows:
            raise XdmfError(f"'{xmf}': {where}: attribute '{name}' has {item.shape[0]} rows, "
                            f"expected {rows} ({center} array)")
        attributes[name] = (Field(name, center, item.shape[1], item.dtype), item)
    return Step(time, t.get("Value"), cells, points, attributes)


def _time_unit(directory):
    """"s" for a protocol run, "increment" for a steps run, from run.json."""
    try:
        with open(os.path.join(directory, "run.json"), encoding="utf-8") as f:
            record = json.load(f)
    except (OSError, ValueError):
        return None
    case = record.get("case") if isinstance(record, dict) else None
    if not isinstance(case, dict):
        return None
    return "s" if "protocol" in case else "increment"


class Series:
    """The time series of a solution.xmf (open_series)."""

    def __init__(self, path):
        self.path = os.path.abspath(_xmf_path(path))
        self.directory = os.path.dirname(self.path)
        try:
            root = ET.parse(self.path).getroot()
        except ET.ParseError as e:
            raise XdmfError(f"'{self.path}': not a complete XDMF file ({e}); expected the "
                            "solution.xmf solidanode writes (is the file truncated?)")
        except OSError as e:
            raise XdmfError(f"'{self.path}': cannot read: {e.strerror}")
        collection = root.find("Domain/Grid")
        if root.tag != "Xdmf" or collection is None or \
                collection.get("CollectionType") != "Temporal":
            raise XdmfError(f"'{self.path}': expected <Xdmf><Domain><Grid "
                            "CollectionType=\"Temporal\">, as solidanode writes")
        self.steps = [_parse_step(g, self.path, self.directory, i)
                      for i, g in enumerate(collection.findall("Grid"))]
        if not self.steps:
            raise XdmfError(f"'{self.path}': lists no output times")
        self.time_unit = _time_unit(self.directory)

    @property
    def times(self):
        return [s.time for s in self.steps]

    @property
    def fields(self):
        """The fields of the last time (every time has the same)."""
        return {name: f for name, (f, _) in self.steps[-1].attributes.items()}

    def step(self, time=None, exact=False):
        """The step at @p time (None: the last); the nearest unless @p exact."""
        if time is None:
            return self.steps[-1]
        best = min(self.steps, key=lambda s: abs(s.time - time))
        if exact and abs(best.time - time) > 1e-12 * max(1.0, abs(time)):
            raise XdmfError(f"'{self.path}': no output at time {time:g}; times: "
                            + ", ".join(s.time_text for s in self.steps))
        return best

    def load(self, time=None, fields=None, exact=False):
        """Points, cells and the chosen fields (None: all) at @p time."""
        step = self.step(time, exact)
        if fields is None:
            fields = list(step.attributes)
        for name in fields:
            if name not in step.attributes:
                raise XdmfError(f"'{self.path}': no field '{name}' at time {step.time_text}; "
                                "fields: " + ", ".join(step.attributes))
        with _open_h5(step, self.path) as f:
            points = _read(f, step.points, step, self.path)
            cells = _read(f, step.cells, step, self.path)
            if cells.size and (cells.min() < 0 or cells.max() >= points.shape[0]):
                raise XdmfError(f"'{step.h5_file}': {step.cells.dataset} has point ids "
                                f"{cells.min()} .. {cells.max()}, expected 0 .. "
                                f"{points.shape[0] - 1} (corrupt file?)")
            point_data, cell_data = {}, {}
            for name in fields:
                field, item = step.attributes[name]
                values = _read(f, item, step, self.path)
                if field.components == 1:
                    values = values.reshape(-1)
                (point_data if field.center == "point" else cell_data)[name] = values
        return Output(step.time, step.h5_file, points, cells, point_data, cell_data)

    def check(self):
        """Open every HDF5 file and check each dataset's shape and type
        (no data read). Raises XdmfError at the first problem."""
        for step in self.steps:
            with _open_h5(step, self.path) as f:
                for item in [step.points, step.cells] + [i for _, i in step.attributes.values()]:
                    _dataset(f, item, step, self.path)


def open_series(path):
    """The Series of a solidanode output directory or its solution.xmf."""
    return Series(path)


# --------------------------------------------------------------------------
# The HDF5 files
# --------------------------------------------------------------------------

def _open_h5(step, xmf):
    path = step.h5_file
    what = (f"the HDF5 file of time {step.time_text} in '{os.path.basename(xmf)}' "
            f"({step.n_points} points, {step.n_cells} cells)")
    if not os.path.isfile(path):
        raise XdmfError(f"'{path}': no such file; expected {what}")
    try:
        return h5py.File(path, "r")
    except OSError as e:
        size = os.path.getsize(path)
        raise XdmfError(f"'{path}': cannot open as HDF5 ({e}; {size} bytes); expected {what} "
                        "(truncated or damaged: copied incompletely, disk full?)")


def _dataset(f, item, step, xmf):
    try:
        ds = f[item.dataset]
    except (KeyError, OSError, RuntimeError, ValueError) as e:
        raise XdmfError(f"'{step.h5_file}': no dataset '{item.dataset}' ({e}); expected "
                        f"{item.shape[0]} x {item.shape[1]} {np.dtype(item.dtype).name} "
                        f"as '{os.path.basename(xmf)}' says (damaged file?)")
    if not isinstance(ds, h5py.Dataset) or ds.shape != item.shape or \
            ds.dtype != np.dtype(item.dtype):
        found = (f"{' x '.join(map(str, ds.shape))} {ds.dtype.name}"
                 if isinstance(ds, h5py.Dataset) else "a group")
        raise XdmfError(f"'{step.h5_file}': dataset '{item.dataset}' is {found}, expected "
                        f"{item.shape[0]} x {item.shape[1]} {np.dtype(item.dtype).name} as "
                        f"'{os.path.basename(xmf)}' says (time {step.time_text})")
    return ds


def _read(f, item, step, xmf):
    ds = _dataset(f, item, step, xmf)
    try:
        return ds[()]
    except (OSError, RuntimeError, ValueError) as e:
        raise XdmfError(f"'{step.h5_file}': cannot read dataset '{item.dataset}' ({e}); "
                        "truncated or damaged file?")


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------

UNIT_TEXT = {"s": "s (protocol run: physical time)",
             "increment": "increment number (steps run)",
             None: "unit unknown (no run.json)"}


def summary(series, time=None, field=None):
    """The facts the command line prints, as a dict (also --json)."""
    if field is not None and field not in series.fields:
        raise XdmfError(f"'{series.path}': no field '{field}'; fields: "
                        + ", ".join(series.fields))
    step = series.step(time)
    out = series.load(step.time, None if field is None else [field])
    result = {
        "file": series.path, "time_unit": series.time_unit,
        "times": series.times,
        "fields": {n: {"center": f.center, "components": f.components,
                       "dtype": np.dtype(f.dtype).name} for n, f in series.fields.items()},
        "time": step.time, "h5_file": step.h5_file,
        "n_points": step.n_points, "n_cells": step.n_cells, "ranges": {},
    }
    for data in (out.point_data, out.cell_data):
        for name, v in data.items():
            entry = {"min": float(v.min()) if v.size else None,
                     "max": float(v.max()) if v.size else None}
            if field is not None and v.ndim == 2:
                entry["component_min"] = [float(x) for x in v.min(axis=0)]
                entry["component_max"] = [float(x) for x in v.max(axis=0)]
            result["ranges"][name] = entry
    return result


def print_summary(s, requested_time):
    unit = s["time_unit"]
    print(f"{s['file']}: {len(s['times'])} output time(s), {UNIT_TEXT[unit]}")
    print("  times: " + ", ".join(f"{t:g}" for t in s["times"]))
    for center in ("point", "cell"):
        names = [f"{n} ({f['components']} x {f['dtype']})" if f["components"] > 1
                 else f"{n} ({f['dtype']})"
                 for n, f in s["fields"].items() if f["center"] == center]
        print(f"  {center} fields: " + (", ".join(names) if names else "none"))
    note = ""
    if requested_time is not None and s["time"] != requested_time:
        note = f" (nearest to {requested_time:g})"
    unit_suffix = " s" if unit == "s" else ""
    print(f"time {s['time']:g}{unit_suffix}{note}: {os.path.basename(s['h5_file'])}, "
          f"{s['n_points']} points, {s['n_cells']} cells")
    width = max([len(n) for n in s["ranges"]] + [5])
    print(f"  {'field':<{width}}  {'min':>14}  {'max':>14}")
    for name, r in s["ranges"].items():
        if r["min"] is None:
            print(f"  {name:<{width}}  {'(empty)':>14}")
            continue
        print(f"  {name:<{width}}  {r['min']:>14.7g}  {r['max']:>14.7g}")
        for k, (lo, hi) in enumerate(zip(r.get("component_min", []), r.get("component_max", []))):
            print(f"  {'  [' + str(k) + ']':<{width}}  {lo:>14.7g}  {hi:>14.7g}")


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="read_xdmf.py",
        description="List the times and fields of solidanode's XDMF output (solution.xmf + "
                    "HDF5) and the min/max of the fields at one time.")
    parser.add_argument("path", metavar="RESULTS_DIR|solution.xmf")
    parser.add_argument("--time", type=float, metavar="T",
                        help="the output time nearest to T (default: the last)")
    parser.add_argument("--field", metavar="NAME", help="only this field, per component")
    parser.add_argument("--check", action="store_true",
                        help="open every time's HDF5 file and check its datasets")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    try:
        series = open_series(args.path)
        if args.check:
            series.check()
        s = summary(series, args.time, args.field)
    except XdmfError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 1
    if args.json:
        if args.check:
            s["checked"] = len(series.steps)
        print(json.dumps(s, indent=1))
    else:
        print_summary(s, args.time)
        if args.check:
            print(f"checked: {len(series.steps)} HDF5 file(s), every dataset as the .xmf says")
    return 0


if __name__ == "__main__":
    sys.exit(main())
