#!/usr/bin/python3
"""Open a solidanode run in ParaView with the standard views.

    pvpython postprocess/open_in_paraview.py RESULTS_DIR|solution.pvd|solution.xmf
        [--save-state FILE.pvsm] [--screenshot FILE.png]
    paraview --state=FILE.pvsm
    /usr/bin/python3 postprocess/open_in_paraview.py RESULTS_DIR --plan

Sets up one 2 x 2 layout at the last output time, every view showing the
volume clipped through its centre (plane normal (1,1,0), the half towards
the origin kept, as postprocess/render.py), the outline of the whole box,
a title and a colour bar, cameras linked:

  top left      phase: the voxel labels, one colour per phase, named from
                the field data phase_names (or microstructure.vti)
  top right     von Mises stress [MPa] (von_mises_Pa x 1e-6), 0 .. max
  bottom left   state of charge (soc, protocol runs), 0 .. 1; a run
                without it (steps runs) shows the hydrostatic stress [MPa]
                instead (symmetric about 0)
  bottom right  contact: normal traction [MPa] on the interface faces
                (interfaces.pvd, n.sigma.n, < 0 in compression, symmetric
                about 0), clipped by the same plane; without it
                contact_state; without interfaces.pvd the volume's
                volumetric strain

A view whose arrays the output does not have says so in its title.
Colour ranges are those of the data at the last time (whole volume).
The volume is read from solution.pvd when the directory has it, else from
solution.xmf (ParaView's XDMF3 reader); give the file to choose.

--plan prints the views as JSON (source files, times and their unit, the
last time, the fields found, each view's array, scale, unit, data range
and colour range) without importing ParaView: it needs VTK's Python
modules (Debian's python3-vtk9 or pvpython's own) and, for .xmf, h5py
(postprocess/read_xdmf.py). --save-state writes a ParaView state file
(FILE.pvsm; open with `paraview --state=FILE.pvsm`), --screenshot a PNG
of the layout; both under a temporary name, then renamed. Without a
display run pvpython under `xvfb-run -a`.

Exit status: 0, 1 on an error (message on stderr), 2 on a usage error.
"""

import argparse
import json
import os
import sys
import xml.etree.ElementTree as ET

PROG = "open_in_paraview"
CLIP_NORMAL = [1.0, 1.0, 0.0]
LAYOUT_NAME = "solidanode"
IMAGE_SIZE = [1600, 1200]
# One colour per phase, in label order (as postprocess/render.py).
PALETTE = [(0.85, 0.85, 0.85), (0.12, 0.47, 0.71), (1.0, 0.50, 0.05),
           (0.17, 0.63, 0.17), (0.84, 0.15, 0.16), (0.58, 0.40, 0.74),
           (0.55, 0.34, 0.29), (0.89, 0.47, 0.76), (0.74, 0.74, 0.13),
           (0.09, 0.75, 0.81)]
CONTACT_STATES = {0: "free surface", 1: "in contact", 2: "pressed into a pore"}


class PlanError(Exception):
    pass


# --------------------------------------------------------------------------
# Reading the output (no ParaView)
# --------------------------------------------------------------------------

def _vtk():
    try:
        from vtkmodules.vtkIOXML import (vtkXMLPUnstructuredGridReader, vtkXMLPPolyDataReader,
                                         vtkXMLImageDataReader, vtkXMLPImageDataReader)
        from vtkmodules.util.numpy_support import vtk_to_numpy
    except ImportError as e:
        raise PlanError(f"{e}; the plan needs VTK's Python modules (Debian's python3-vtk9, "
                        "run with /usr/bin/python3, or pvpython)")
    return vtkXMLPUnstructuredGridReader, vtkXMLPPolyDataReader, vtkXMLImageDataReader, \
        vtkXMLPImageDataReader, vtk_to_numpy


def read_pvd(path):
    """[(time, time text, absolute file)] of a .pvd."""
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as e:
        raise PlanError(f"'{path}': not a complete .pvd file ({e})")
    except OSError as e:
        raise PlanError(f"'{path}': cannot read: {e.strerror}")
    base = os.path.dirname(path)
    entries = [(float(d.get("timestep", "0")), d.get("timestep", "0"),
                os.path.join(base, d.get("file", ""))) for d in root.iter("DataSet")]
    if not entries:
        raise PlanError(f"'{path}' lists no datasets")
    return entries


def _read_vtk_file(path, reader_class):
    if not os.path.isfile(path):
        raise PlanError(f"'{path}': no such file (listed in the .pvd)")
    r = reader_class()
    r.SetFileName(path)
    r.Update()
    data = r.GetOutput()
    if data is None or data.GetNumberOfCells() == 0 and data.GetNumberOfPoints() == 0:
        raise PlanError(f"'{path}': VTK read no cells (damaged or incomplete file?)")
    return data


def _arrays(data, vtk_to_numpy):
    cells = data.GetCellData()
    out = {}
    for i in range(cells.GetNumberOfArrays()):
        a = cells.GetArray(i)
        if a is not None:
            out[cells.GetArrayName(i)] = vtk_to_numpy(a)
    return out


def _phase_names_of(data):
    arr = data.GetFieldData().GetAbstractArray("phase_names") if data is not None else None
    names = {}
    for i in range(arr.GetNumberOfValues() if arr is not None else 0):
        label, _, name = arr.GetValue(i).partition("=")
        try:
            names[int(label)] = name
        except ValueError:
            pass
    return names


def _time_unit(directory):
    try:
        with open(os.path.join(directory, "run.json"), encoding="utf-8") as f:
            case = json.load(f).get("case", {})
    except (OSError, ValueError, AttributeError):
        return None
    return "s" if isinstance(case, dict) and "protocol" in case else "increment"


def read_volume(source):
    """times, the last time's cell arrays, bounds and phase names."""
    pu_reader, _, image_reader, pimage_reader, vtk_to_numpy = _vtk()
    directory = os.path.dirname(source)
    if source.endswith(".pvd"):
        entries = read_pvd(source)
        time, text, last_file = entries[-1]
        # .pvtu pieces, or image data (output.format: image)
        data = _read_vtk_file(last_file,
                              pimage_reader if last_file.endswith(".pvti") else pu_reader)
        arrays = _arrays(data, vtk_to_numpy)
        bounds = list(data.GetBounds())
        names = _phase_names_of(data)
        times = [e[0] for e in entries]
        texts = [e[1] for e in entries]
    else:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import read_xdmf
        try:
            series = read_xdmf.open_series(source)
            out = series.load()
        except read_xdmf.XdmfError as e:
            raise PlanError(str(e))
        arrays = dict(out.cell_data)
        lo, hi = out.points.min(axis=0), out.points.max(axis=0)
        bounds = [float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1]),
                  float(lo[2]), float(hi[2])]
        times = series.times
        texts = [s.time_text for s in series.steps]
        time, last_file, names = times[-1], out.h5_file, {}
    if not names:
        vti = os.path.join(directory, "microstructure.vti")
        if os.path.isfile(vti):
            r = image_reader()
            r.SetFileName(vti)
            r.Update()
            names = _phase_names_of(r.GetOutput())
    return {"times": times, "time_texts": texts, "last_time": time, "last_file": last_file,
            "arrays": arrays, "bounds": bounds, "phase_names": names}


def read_interfaces(directory, time):
    """The interface faces at the output nearest to @p time, or None."""
    ipvd = os.path.join(directory, "interfaces.pvd")
    if not os.path.isfile(ipvd):
        return None
    _, pp_reader, _, _, vtk_to_numpy = _vtk()
    entries = read_pvd(ipvd)
    t, text, path = min(entries, key=lambda e: abs(e[0] - time))
    data = _read_vtk_file(path, pp_reader)
    return {"file": ipvd, "time": t, "piece": path, "arrays": _arrays(data, vtk_to_numpy)}


# --------------------------------------------------------------------------
# The plan
# --------------------------------------------------------------------------

def _range(values, scale):
    v = values.astype(float).ravel() * scale  # numpy array
    return [float(v.min()), float(v.max())] if v.size else [0.0, 0.0]


def _symmetric(r):
    m = max(abs(r[0]), abs(r[1])) or 1e-12
    return [-m, m]


def _view(slot, title, source, array, scale, unit, data_range, color_range, preset, **extra):
    v = {"slot": slot, "title": title, "source": source, "array": array,
         "shown_as": array if scale == 1.0 else f"{array.rsplit('_Pa', 1)[0]}_MPa",
         "scale": scale, "unit": unit, "data_range": data_range, "color_range": color_range,
         "preset": preset}
    v.update(extra)
    return v


def make_plan(path):
    """Everything the ParaView part sets up, from the files alone."""
    global np
    import numpy as np
    path = os.path.abspath(path)
    if os.path.isdir(path):
        directory = path
        for name in ("solution.pvd", "solution.xmf"):
            if os.path.isfile(os.path.join(path, name)):
                source = os.path.join(path, name)
                break
        else:
            raise PlanError(f"'{path}': no solution.pvd or solution.xmf (is this a solidanode "
                            "output directory?)")
    else:
        if not os.path.isfile(path):
            raise PlanError(f"'{path}': no such file")
        if not path.endswith((".pvd", ".xmf")):
            raise PlanError(f"'{path}': expected a .pvd or .xmf file or an output directory")
        directory, source = os.path.dirname(path), path
    vol = read_volume(source)
    faces = read_interfaces(directory, vol["last_time"])
    arrays = vol["arrays"]
    b = vol["bounds"]
    centre = [0.5 * (b[0] + b[1]), 0.5 * (b[2] + b[3]), 0.5 * (b[4] + b[5])]
    views, missing = [], []

    # 0: phase
    if "phase" in arrays:
        labels = sorted(int(x) for x in set(arrays["phase"].ravel().tolist()))
        names = vol["phase_names"]
        all_labels = sorted(set(labels) | set(names))
        views.append(_view(0, "phase", "volume", "phase", 1.0, "", _range(arrays["phase"], 1.0),
                           [min(all_labels) - 0.5, max(all_labels) + 0.5], None,
                           categorical=True, labels=labels,
                           annotations={str(l): names.get(l, f"phase {l}") for l in all_labels},
                           colors={str(l): PALETTE[i % len(PALETTE)]
                                   for i, l in enumerate(all_labels)}))
    else:
        missing.append("phase")
        views.append(_view(0, "phase: not in the output (output.fields)", "volume", None, 1.0,
                           "", None, None, None))

    # 1: von Mises stress in MPa
    if "von_mises_Pa" in arrays:
        r = _range(arrays["von_mises_Pa"], 1e-6)
        top = max(r[1], 1e-12)
        # A few hot voxels: the colours up to the 99.5th percentile, those
        # above red (as postprocess/render.py).
        p995 = float(np.percentile(arrays["von_mises_Pa"].astype(float), 99.5)) * 1e-6
        above = {}
        if p995 < 0.8 * top:
            top, above = p995, {"above_range_color": [0.85, 0.1, 0.1]}
        views.append(_view(1, "von Mises stress [MPa]", "volume", "von_mises_Pa", 1e-6, "MPa",
                           r, [0.0, top], "Viridis (matplotlib)", **above))
    else:
        missing.append("von_mises_Pa")
        views.append(_view(1, "von Mises stress: not in the output (output.fields)", "volume",
                           None, 1.0, "", None, None, None))

    # 2: state of charge, else hydrostatic stress
    if "soc" in arrays:
        r = _range(arrays["soc"], 1.0)
        views.append(_view(2, "state of charge", "volume", "soc", 1.0, "", r,
                           [0.0, max(1.0, r[1])], "Viridis (matplotlib)"))
    else:
        missing.append("soc")
        if "hydrostatic_stress_Pa" in arrays:
            r = _range(arrays["hydrostatic_stress_Pa"], 1e-6)
            views.append(_view(2, "hydrostatic stress [MPa] (no state of charge: steps run)",
                               "volume", "hydrostatic_stress_Pa", 1e-6, "MPa", r, _symmetric(r),
                               "Cool to Warm", instead_of="soc"))
        else:
            views.append(_view(2, "state of charge: not in the output", "volume", None, 1.0,
                               "", None, None, None))

    # 3: contact traction on the interfaces
    farr = faces["arrays"] if faces else {}
    if faces and "normal_traction_Pa" in farr:
        r = _range(farr["normal_traction_Pa"], 1e-6)
        views.append(_view(3, "contact normal traction [MPa] (< 0 compression)", "interfaces",
                           "normal_traction_Pa", 1e-6, "MPa", r, _symmetric(r),
                           "Cool to Warm"))
    elif faces and "contact_state" in farr:
        missing.append("normal_traction_Pa")
        states = sorted(int(x) for x in set(farr["contact_state"].ravel().tolist()))
        views.append(_view(3, "contact state", "interfaces", "contact_state", 1.0, "",
                           _range(farr["contact_state"], 1.0),
                           [min(states) - 0.5, max(states) + 0.5], None, categorical=True,
                           labels=states, instead_of="normal_traction_Pa",
                           annotations={str(s): CONTACT_STATES.get(s, f"state {s}")
                                        for s in states},
                           colors={str(s): PALETTE[i % len(PALETTE)]
                                   for i, s in enumerate(states)}))
    else:
        missing.append("normal_traction_Pa")
        why = "no interfaces.pvd (output.interfaces: false)" if not faces else \
            "no normal_traction_Pa in interfaces.pvd"
        if "volumetric_strain" in arrays:
            r = _range(arrays["volumetric_strain"], 1.0)
            views.append(_view(3, f"volumetric strain ({why})", "volume", "volumetric_strain",
                               1.0, "", r, _symmetric(r), "Cool to Warm",
                               instead_of="normal_traction_Pa"))
        else:
            views.append(_view(3, f"contact traction: {why}", "volume", None, 1.0, "",
                               None, None, None))

    return {
        "directory": directory,
        "volume": {"file": source, "format": "pvd" if source.endswith(".pvd") else "xdmf",
                   "last_file": vol["last_file"],
                   "cell_arrays": sorted(arrays)},
        "interfaces": None if faces is None else
        {"file": faces["file"], "time": faces["time"], "last_file": faces["piece"],
         "cell_arrays": sorted(farr)},
        "times": vol["times"], "time_texts": vol["time_texts"],
        "time_unit": _time_unit(directory),
        "last_time": vol["last_time"], "n_times": len(vol["times"]),
        "bounds": b,
        "clip": {"origin": centre, "normal": CLIP_NORMAL, "keep": "towards the origin"},
        "layout": {"name": LAYOUT_NAME, "rows": 2, "columns": 2,
                   "order": "slot 0 top left, 1 top right, 2 bottom left, 3 bottom right"},
        "views": views,
        "fields_found": [v["array"] for v in views if v["array"]],
        "missing": missing,
    }


# --------------------------------------------------------------------------
# ParaView
# --------------------------------------------------------------------------

def _time_note(plan):
    t = plan["last_time"]
    unit = plan["time_unit"]
    if unit == "s":
        return f"t = {t:g} s"
    if unit == "increment":
        return f"increment {t:g}"
    return f"time {t:g}"


def build(plan):
    """Set up the layout in the running ParaView session; returns the layout."""
    from paraview import simple as pv

    def reader(path):
        if path.endswith(".xmf"):
            return pv.Xdmf3ReaderS(registrationName=os.path.basename(path), FileName=[path])
        return pv.PVDReader(registrationName=os.path.basename(path), FileName=path)

    volume = reader(plan["volume"]["file"])
    faces = reader(plan["interfaces"]["file"]) if plan["interfaces"] else None
    scene = pv.GetAnimationScene()
    scene.UpdateAnimationUsingDataTimeSteps()
    scene.AnimationTime = plan["last_time"]

    def clipped(src, name):
        c = pv.Clip(registrationName=name, Input=src)
        c.ClipType = "Plane"
        c.ClipType.Origin = plan["clip"]["origin"]
        c.ClipType.Normal = plan["clip"]["normal"]
        c.Invert = 1  # keep the half towards the origin
        return c

    volume_clip = clipped(volume, "clip")
    faces_clip = clipped(faces, "interfaces clip") if faces else None

    layout = pv.CreateLayout(LAYOUT_NAME)
    views = []
    for _ in range(4):
        v = pv.CreateView("RenderView")
        v.ViewSize = [IMAGE_SIZE[0] // 2, IMAGE_SIZE[1] // 2]
        v.OrientationAxesVisibility = 1
        v.Background = [1.0, 1.0, 1.0]
        try:  # ParaView >= 5.10: a view's own background, not the palette's
            v.UseColorPaletteForBackground = 0
        except AttributeError:
            pass
        views.append(v)
    # 0 | 1 over 2 | 3
    layout.SplitVertical(0, 0.5)
    layout.SplitHorizontal(1, 0.5)
    layout.SplitHorizontal(2, 0.5)
    for cell, v in zip((3, 4, 5, 6), views):
        layout.AssignView(cell, v)

    b, c = plan["bounds"], plan["clip"]["origin"]
    size = max(b[1] - b[0], b[3] - b[2], b[5] - b[4]) or 1.0
    for spec, view in zip(plan["views"], views):
        outline = pv.Show(volume, view)
        outline.SetRepresentationType("Outline")
        outline.AmbientColor = outline.DiffuseColor = [0.2, 0.2, 0.2]
        outline.ColorArrayName = ["POINTS", ""]  # solid colour
        src = faces_clip if spec["source"] == "interfaces" else volume_clip
        shown = src
        if spec["array"] and spec["scale"] != 1.0:
            calc = pv.Calculator(registrationName=spec["shown_as"], Input=src)
            calc.AttributeType = "Cell Data"
            calc.ResultArrayName = spec["shown_as"]
            calc.Function = f"{spec['array']}*{spec['scale']:g}"
            shown = calc
        display = pv.Show(shown, view)
        display.SetRepresentationType("Surface")
        display.Ambient, display.Diffuse = 0.3, 0.75  # side faces not too dark
        if spec["array"]:
            pv.ColorBy(display, ("CELLS", spec["shown_as"]))
            lut = pv.GetColorTransferFunction(spec["shown_as"])
            if spec.get("categorical"):
                lut.InterpretValuesAsCategories = 1
                lut.AnnotationsInitialized = 1
                ann, colors = [], []
                for key, name in spec["annotations"].items():
                    ann += [key, name]
                    colors += list(spec["colors"][key])
                lut.Annotations = ann
                lut.IndexedColors = colors
            else:
                lut.ApplyPreset(spec["preset"], True)
                lut.AutomaticRescaleRangeMode = "Never"
                lut.RescaleTransferFunction(*spec["color_range"])
                if "above_range_color" in spec:
                    lut.UseAboveRangeColor = 1
                    lut.AboveRangeColor = spec["above_range_color"]
                pv.GetOpacityTransferFunction(spec["shown_as"]).RescaleTransferFunction(
                    *spec["color_range"])
            display.SetScalarBarVisibility(view, True)
            bar = pv.GetScalarBar(lut, view)
            bar.Title = spec["shown_as"]
            bar.ComponentTitle = f"[{spec['unit']}]" if spec["unit"] else ""
            bar.TitleColor = bar.LabelColor = [0.0, 0.0, 0.0]  # on white
            bar.TitleFontSize, bar.LabelFontSize = 14, 12
        else:
            display.ColorArrayName = ["POINTS", ""]
        title = pv.Text(registrationName=f"title {spec['slot']}")
        title.Text = f"{spec['title']}, {_time_note(plan)}"
        td = pv.Show(title, view)
        td.FontSize = 14
        td.Color = [0.0, 0.0, 0.0]
        for location in ("Upper Center", "UpperCenter"):
            try:
                td.WindowLocation = location
                break
            except ValueError:
                continue
        view.CameraFocalPoint = c
        view.CameraPosition = [c[0] + 2.2 * size, c[1] + 1.8 * size, c[2] + 1.6 * size]
        view.CameraViewUp = [0.0, 0.0, 1.0]
        view.ViewTime = plan["last_time"]
    for i, v in enumerate(views[1:], 1):
        pv.AddCameraLink(views[0], v, f"camera link {i}")
    for v in views:
        pv.SetActiveView(v)
        pv.ResetCamera(v)
    pv.SetActiveView(views[0])
    pv.Render(views[0])
    return layout, views


def _replace_atomically(path, write):
    """write(tmp) then rename tmp to @p path (same directory)."""
    path = os.path.abspath(path)
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        raise PlanError(f"cannot write '{path}': no directory '{directory}'")
    root, ext = os.path.splitext(os.path.basename(path))
    tmp = os.path.join(directory, f".{root}.{os.getpid()}.tmp{ext}")
    try:
        write(tmp)
        if not os.path.isfile(tmp) or os.path.getsize(tmp) == 0:
            raise PlanError(f"ParaView wrote nothing for '{path}'")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="open_in_paraview.py",
        description="Standard ParaView views of a solidanode run: a 2x2 layout of phase, "
                    "von Mises stress [MPa], state of charge and contact traction [MPa], "
                    "clipped through the centre, at the last time (run with pvpython).")
    parser.add_argument("path", metavar="RESULTS_DIR|solution.pvd|solution.xmf")
    parser.add_argument("--plan", action="store_true",
                        help="print the planned views as JSON (no ParaView needed)")
    parser.add_argument("--save-state", metavar="FILE.pvsm",
                        help="write a ParaView state file (paraview --state=FILE.pvsm)")
    parser.add_argument("--screenshot", metavar="FILE.png", help="write a PNG of the layout")
    args = parser.parse_args(argv)
    if not (args.plan or args.save_state or args.screenshot):
        parser.error("nothing to do: give --plan, --save-state FILE.pvsm or --screenshot "
                     "FILE.png")
    if args.save_state and not args.save_state.endswith(".pvsm"):
        parser.error(f"--save-state {args.save_state}: the state file must end in .pvsm")
    try:
        plan = make_plan(args.path)
        if args.plan:
            print(json.dumps(plan, indent=1))
        if not (args.save_state or args.screenshot):
            return 0
        try:
            from paraview import simple as pv
        except ImportError as e:
            raise PlanError(f"{e}: run this with ParaView's pvpython (xvfb-run -a pvpython "
                            "without a display); --plan works without ParaView")
        layout, views = build(plan)
        if args.save_state:
            _replace_atomically(args.save_state, lambda tmp: pv.SaveState(tmp))
            print(f"{PROG}: wrote {args.save_state} (open with: paraview "
                  f"--state={args.save_state})", file=sys.stderr if args.plan else sys.stdout)
        if args.screenshot:
            _replace_atomically(args.screenshot, lambda tmp: pv.SaveScreenshot(
                tmp, layout, ImageResolution=IMAGE_SIZE))
            print(f"{PROG}: wrote {args.screenshot}",
                  file=sys.stderr if args.plan else sys.stdout)
    except PlanError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    status = main()
    # pvpython: sys.exit() after views were made ends with an X error
    # (GLXBadContext, exit status 1) under Xvfb; a plain end does not.
    if status:
        sys.exit(status)
