"""Render standard pictures of a solidanode run with ParaView, without a display.

    xvfb-run -a pvpython postprocess/render.py RESULTS_DIR [--time T | --last] [--out DIR]

Reads RESULTS_DIR/solution.pvd (and RESULTS_DIR/interfaces.pvd when the run
wrote interface output) and writes, into DIR (default RESULTS_DIR/plots/):

  von_mises.png    the box clipped through its centre by the plane with
                   normal (1,1,0), coloured by the cell array von_mises_Pa
                   (shown in MPa)
  phase.png        the same clip coloured by the cell array phase, one colour
                   per phase, named from microstructure.vti's phase_names
  contact_map.png  the interface faces coloured by normal_traction_Pa (MPa);
                   skipped with a message when interfaces.pvd is absent
  contact_state.png  the interface faces coloured by contact_state
                   (0 free surface, 1 in contact), if that array is present

The time is the pvd timestep (the increment number); --last (the default)
takes the last one, --time T the one nearest to T. Images are 1200x900,
written under a temporary name and renamed.

Needs ParaView's Python (Debian: paraview + python3-paraview, which conflicts
with libvtk9-dev, the build dependency, so install it where you view results)
and, without a display, xvfb (xvfb-run).
"""

import argparse
import os
import sys

PROG = "render"
SIZE = [1200, 900]


def fail(message):
    print(f"{PROG}: error: {message}", file=sys.stderr)
    sys.exit(1)


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="render.py",
        description="Render von Mises, phase and contact pictures of a "
                    "solidanode run to PNG (run with pvpython).")
    parser.add_argument("results_dir", metavar="RESULTS_DIR",
                        help="output directory of a run (holds solution.pvd)")
    when = parser.add_mutually_exclusive_group()
    when.add_argument("--time", type=float, metavar="T",
                      help="render the output time nearest to T (increment number)")
    when.add_argument("--last", action="store_true",
                      help="render the last output time (default)")
    parser.add_argument("--out", metavar="DIR",
                        help="where to write the PNGs (default RESULTS_DIR/plots)")
    return parser.parse_args(argv)


args = parse_args(sys.argv[1:])
pvd = os.path.join(args.results_dir, "solution.pvd")
if not os.path.isfile(pvd):
    fail(f"'{pvd}': no such file (is this a solidanode output directory?)")
out_dir = args.out or os.path.join(args.results_dir, "plots")
try:
    os.makedirs(out_dir, exist_ok=True)
except OSError as e:
    fail(f"cannot create output directory '{out_dir}': {e.strerror}")

try:
    from paraview import simple as pv
    from paraview import servermanager
except ImportError as e:
    fail(f"{e}: run this script with pvpython (Debian: python3-paraview)")

written = []


def timesteps(source):
    """The reader's time values as a list (ParaView gives a bare number for
    a single time step and nothing for none)."""
    values = source.TimestepValues
    if values is None:
        return []
    if isinstance(values, (int, float)):
        return [float(values)]
    return [float(v) for v in values]


def pick_time(times, label):
    if not times:
        return None
    if args.time is None:
        return times[-1]
    best = min(times, key=lambda t: abs(t - args.time))
    if best != args.time:
        print(f"{PROG}: {label}: no output at time {args.time:g}, using {best:g}")
    return best


def save(view, filename):
    path = os.path.join(out_dir, filename)
    tmp = os.path.join(out_dir, f".{filename}.{os.getpid()}.tmp.png")
    try:
        pv.SaveScreenshot(tmp, view, ImageResolution=SIZE,
                          OverrideColorPalette="WhiteBackground",
                          TransparentBackground=0)
        if not os.path.isfile(tmp) or os.path.getsize(tmp) == 0:
            fail(f"ParaView wrote no image for '{path}'")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    written.append(path)


def new_view():
    view = pv.CreateView("RenderView")
    view.ViewSize = SIZE
    view.OrientationAxesVisibility = 1
    view.Background = [1.0, 1.0, 1.0]
    try:  # ParaView >= 5.10: do not let the palette override the background
        view.UseColorPaletteForBackground = 0
    except AttributeError:
        pass
    return view


def isometric_camera(view, bounds):
    """Look at the box centre from the (+x, +y, +z) octant (the side the
    clip is cut open on), with the whole box in view."""
    c = [0.5 * (bounds[0] + bounds[1]), 0.5 * (bounds[2] + bounds[3]),
         0.5 * (bounds[4] + bounds[5])]
    diag = max(((bounds[1] - bounds[0]) ** 2 + (bounds[3] - bounds[2]) ** 2 +
                (bounds[5] - bounds[4]) ** 2) ** 0.5, 1e-30)
    d = [1.0, 0.8, 0.75]
    norm = sum(x * x for x in d) ** 0.5
    view.CameraFocalPoint = c
    view.CameraPosition = [c[i] + 3.0 * diag * d[i] / norm for i in range(3)]
    view.CameraViewUp = [0.0, 0.0, 1.0]
    view.CameraParallelProjection = 0
    pv.ResetCamera(view)        # keeps the direction, fits the whole box


def scalar_bar(view, lut, title):
    bar = pv.GetScalarBar(lut, view)
    bar.Title = title
    bar.ComponentTitle = ""
    bar.Visibility = 1
    bar.TitleColor = [0.0, 0.0, 0.0]
    bar.LabelColor = [0.0, 0.0, 0.0]
    bar.TitleFontSize = 18
    bar.LabelFontSize = 16
    bar.ScalarBarLength = 0.5
    bar.RangeLabelFormat = "%.4g"
    bar.WindowLocation = "Any Location"
    bar.Position = [0.87, 0.25]
    return bar


def title_text(view, text):
    t = pv.Text(Text=text)
    d = pv.Show(t, view)
    d.WindowLocation = "Upper Center"
    d.FontSize = 20
    d.Color = [0.0, 0.0, 0.0]


def outline(view, source):
    d = pv.Show(pv.Outline(Input=source), view)
    d.DiffuseColor = [0.2, 0.2, 0.2]
    d.AmbientColor = [0.2, 0.2, 0.2]
    d.LineWidth = 2.0


def style(display):
    """Flat voxel colours that stay readable on faces turned from the light."""
    display.Ambient = 0.35
    display.Diffuse = 0.75
    display.Specular = 0.0
    return display


def high_percentile(source, name, q, time, absolute=False):
    """The q-th percentile of a cell array (of its absolute value), or None
    without numpy; used to keep one hot voxel from washing out the colours."""
    try:
        import numpy as np
        from vtkmodules.util.numpy_support import vtk_to_numpy
        data = servermanager.Fetch(source)
        values = []
        blocks = [data]
        if data.IsA("vtkCompositeDataSet"):
            it = data.NewIterator()
            it.InitTraversal()
            blocks = []
            while not it.IsDoneWithTraversal():
                blocks.append(it.GetCurrentDataObject())
                it.GoToNextItem()
        for b in blocks:
            arr = b.GetCellData().GetArray(name)
            if arr is not None:
                values.append(vtk_to_numpy(arr).ravel())
        if not values:
            return None
        v = np.concatenate(values)
        v = v[np.isfinite(v)]
        if absolute:
            v = np.abs(v)
        return float(np.percentile(v, q)) if v.size else None
    except Exception as e:
        print(f"{PROG}: note: colour range from min/max ({e})")
        return None


def array_range(source, name):
    info = source.GetDataInformation().GetCellDataInformation().GetArrayInformation(name)
    if info is None:
        return None
    return info.GetComponentRange(0)


def phase_names(results_dir):
    """label -> name from microstructure.vti's field data 'phase_names'
    (entries 'label=name'); empty when unavailable."""
    vti = os.path.join(results_dir, "microstructure.vti")
    if not os.path.isfile(vti):
        return {}
    try:
        data = servermanager.Fetch(pv.XMLImageDataReader(FileName=[vti]))
        arr = data.GetFieldData().GetAbstractArray("phase_names")
        names = {}
        for i in range(arr.GetNumberOfValues() if arr else 0):
            label, _, name = arr.GetValue(i).partition("=")
            names[int(label)] = name
        return names
    except Exception as e:  # a picture without names is still useful
        print(f"{PROG}: note: cannot read phase names from '{vti}': {e}")
        return {}


# contact_state as written by postprocess/interfaces.cc
CONTACT_STATES = {0: "free surface (solid-pore)", 1: "in contact"}

PALETTE = [[0.85, 0.85, 0.85], [0.12, 0.47, 0.71], [1.0, 0.50, 0.05],
           [0.17, 0.63, 0.17], [0.84, 0.15, 0.16], [0.58, 0.40, 0.74],
           [0.55, 0.34, 0.29], [0.89, 0.47, 0.76], [0.74, 0.74, 0.13],
           [0.09, 0.75, 0.81]]


# --------------------------------------------------------------------------
# Volume: clip through the centre
# --------------------------------------------------------------------------

reader = pv.PVDReader(FileName=pvd)
times = timesteps(reader)
t = pick_time(times, "solution.pvd")
if t is None:
    t = 0.0
reader.UpdatePipeline(t)
cell_arrays = list(reader.CellData.keys())
for needed in ("von_mises_Pa",):
    if needed not in cell_arrays:
        fail(f"'{pvd}' at time {t:g} has no cell array '{needed}' "
             f"(it has: {', '.join(cell_arrays) or 'none'})")
bounds = reader.GetDataInformation().GetBounds()
centre = [0.5 * (bounds[0] + bounds[1]), 0.5 * (bounds[2] + bounds[3]),
          0.5 * (bounds[4] + bounds[5])]
print(f"{PROG}: {pvd}: time {t:g} of {len(times)} output(s), "
      f"{reader.GetDataInformation().GetNumberOfCells()} cells")

# ForceTime pins the chosen time for everything downstream (views and Fetch).
at_t = pv.ForceTime(Input=reader, ForcedTime=t, IgnorePipelineTime=1)
vm = pv.Calculator(Input=at_t)
vm.AttributeType = "Cell Data"
vm.ResultArrayName = "von_mises_MPa"
vm.Function = "von_mises_Pa*1e-6"

clip = pv.Clip(Input=vm)
clip.ClipType = "Plane"
clip.ClipType.Origin = centre
clip.ClipType.Normal = [1.0, 1.0, 0.0]
clip.Invert = 1          # keep the half towards the origin; the cut faces +x+y
clip.UpdatePipeline(t)

# (a) von Mises
view = new_view()
view.ViewTime = t
outline(view, reader)
d = style(pv.Show(clip, view))
pv.ColorBy(d, ("CELLS", "von_mises_MPa"))
lut = pv.GetColorTransferFunction("von_mises_MPa")
lut.ApplyPreset("Viridis (matplotlib)", True)
vmax = max((array_range(clip, "von_mises_MPa") or (0.0, 1.0))[1], 1e-12)
top = high_percentile(clip, "von_mises_MPa", 99.5, t) or vmax
note = ""
if top < 0.8 * vmax:   # a few hot voxels: clip the colour range, mark them red
    lut.UseAboveRangeColor = 1
    lut.AboveRangeColor = [0.85, 0.1, 0.1]
    note = f"; red: above {top:.4g} MPa (max {vmax:.4g})"
else:
    top = vmax
lut.AutomaticRescaleRangeMode = "Never"
lut.RescaleTransferFunction(0.0, top)
pv.GetOpacityTransferFunction("von_mises_MPa").RescaleTransferFunction(0.0, top)
scalar_bar(view, lut, "von Mises stress [MPa]")
title_text(view, f"von Mises stress, clip normal (1,1,0) through the centre, "
                 f"increment {t:g}{note}")
isometric_camera(view, bounds)
save(view, "von_mises.png")

# (c) phase
if "phase" in cell_arrays:
    view = new_view()
    view.ViewTime = t
    outline(view, reader)
    d = style(pv.Show(clip, view))
    pv.ColorBy(d, ("CELLS", "phase"))
    lut = pv.GetColorTransferFunction("phase")
    lut.InterpretValuesAsCategories = 1
    lo, hi = array_range(reader, "phase") or (0, 0)
    names = phase_names(args.results_dir)
    labels = sorted(set(range(int(lo), int(hi) + 1)) | set(names))
    annotations, colours = [], []
    for i, label in enumerate(labels):
        annotations += [str(label), names.get(label, f"phase {label}")]
        colours += PALETTE[i % len(PALETTE)]
    lut.Annotations = annotations
    lut.IndexedColors = colours
    bar = scalar_bar(view, lut, "phase")
    try:
        bar.DrawAnnotations = 1
    except AttributeError:
        pass
    title_text(view, f"phases, clip normal (1,1,0) through the centre, increment {t:g}")
    isometric_camera(view, bounds)
    save(view, "phase.png")
else:
    print(f"{PROG}: skipped phase.png: no cell array 'phase'")

# --------------------------------------------------------------------------
# (b) Contact map from interfaces.pvd
# --------------------------------------------------------------------------

ipvd = os.path.join(args.results_dir, "interfaces.pvd")
if not os.path.isfile(ipvd):
    print(f"{PROG}: skipped contact_map.png: no '{ipvd}' (run without interface output)")
else:
    ireader = pv.PVDReader(FileName=ipvd)
    itimes = timesteps(ireader)
    ti = min(itimes, key=lambda x: abs(x - t)) if itimes else 0.0
    if itimes and ti != t:
        print(f"{PROG}: interfaces.pvd: no output at time {t:g}, using {ti:g}")
    ireader.UpdatePipeline(ti)
    iarrays = list(ireader.CellData.keys())
    if ireader.GetDataInformation().GetNumberOfCells() == 0:
        print(f"{PROG}: skipped contact_map.png: '{ipvd}' has no interface faces at time {ti:g}")
    else:
        ireader = pv.ForceTime(Input=ireader, ForcedTime=ti, IgnorePipelineTime=1)
        if "normal_traction_Pa" in iarrays:
            tr = pv.Calculator(Input=ireader)
            tr.AttributeType = "Cell Data"
            tr.ResultArrayName = "normal_traction_MPa"
            tr.Function = "normal_traction_Pa*1e-6"
            view = new_view()
            view.ViewTime = ti
            outline(view, reader)
            d = style(pv.Show(tr, view))
            pv.ColorBy(d, ("CELLS", "normal_traction_MPa"))
            lut = pv.GetColorTransferFunction("normal_traction_MPa")
            lut.AutomaticRescaleRangeMode = "Never"
            lo, hi = array_range(tr, "normal_traction_MPa") or (-1.0, 1.0)
            if lo < 0.0 < hi:
                # tension and compression: diverging map, white at zero,
                # symmetric up to the 99th percentile of |traction|
                lut.ApplyPreset("Cool to Warm", True)
                m = max(-lo, hi)
                m = min(m, high_percentile(tr, "normal_traction_MPa", 99.0, ti,
                                           absolute=True) or m) or m
                lut.RescaleTransferFunction(-m, m)
            else:
                lut.ApplyPreset("Viridis (matplotlib)", True)
                lut.RescaleTransferFunction(lo, hi if hi > lo else lo + 1e-12)
            scalar_bar(view, lut, "normal traction [MPa] (< 0: compression)")
            title_text(view, f"interfaces: normal traction, increment {ti:g}")
            isometric_camera(view, bounds)
            save(view, "contact_map.png")
        else:
            print(f"{PROG}: skipped contact_map.png: '{ipvd}' has no cell array "
                  f"'normal_traction_Pa' (it has: {', '.join(iarrays) or 'none'})")

        if "contact_state" in iarrays:
            view = new_view()
            view.ViewTime = ti
            outline(view, reader)
            d = style(pv.Show(ireader, view))
            pv.ColorBy(d, ("CELLS", "contact_state"))
            lut = pv.GetColorTransferFunction("contact_state")
            lut.InterpretValuesAsCategories = 1
            lo, hi = array_range(ireader, "contact_state") or (0, 0)
            annotations, colours = [], []
            for i, v in enumerate(range(int(lo), int(hi) + 1)):
                annotations += [str(v), CONTACT_STATES.get(v, f"state {v}")]
                colours += PALETTE[(i + 1) % len(PALETTE)]
            lut.Annotations = annotations
            lut.IndexedColors = colours
            scalar_bar(view, lut, "contact_state")
            title_text(view, f"interfaces: contact state, increment {ti:g}")
            isometric_camera(view, bounds)
            save(view, "contact_state.png")

print(f"{PROG}: wrote {len(written)} PNG file(s):")
for p in written:
    print(f"  {p}")
