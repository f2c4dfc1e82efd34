#!/usr/bin/python3
"""Render standard pictures of a solidanode run with VTK, without a display.

    xvfb-run -a postprocess/render.py RESULTS_DIR [--time T | --last] [--out DIR]

Reads RESULTS_DIR/solution.pvd (and RESULTS_DIR/interfaces.pvd when the run
wrote interface output) and writes, into DIR (default RESULTS_DIR/plots/):

  von_mises.png      the box clipped through its centre by the plane with
                     normal (1,1,0), coloured by the cell array von_mises_Pa
                     (shown in MPa; colour range 0 .. max, or .. the 99.5th
                     percentile with the hotter voxels red)
  phase.png          the same clip coloured by the cell array phase, one
                     colour per phase, named from the field data phase_names
  contact_map.png    the interface faces coloured by normal_traction_Pa
                     (MPa); skipped with a message without interfaces.pvd
  contact_state.png  the interface faces coloured by contact_state
                     (0 free surface, 1 in contact), if that array is present

The time is the pvd timestep (increment number in steps runs, seconds in
protocol runs); --last (the default) takes the last one, --time T the one
nearest to T. Each picture's colour range is printed. Images are 1200x900,
written under a temporary name and renamed.

Needs VTK's Python bindings (Debian: python3-vtk9, which installs next to
libvtk9-dev) and, without a display, xvfb (xvfb-run): VTK renders off screen
into an X server.
"""

import argparse
import os
import sys
import xml.etree.ElementTree as ET

PROG = "render"
SIZE = (1200, 900)


def fail(message):
    print(f"{PROG}: error: {message}", file=sys.stderr)
    sys.exit(1)


try:
    import numpy as np
    import vtk
    from vtk.util.numpy_support import vtk_to_numpy, numpy_to_vtk
except ImportError as e:  # pragma: no cover - depends on the machine
    fail(f"{e}; install Debian's python3-vtk9 and python3-numpy and run with /usr/bin/python3")

VIRIDIS = [(0.0, (0.267, 0.005, 0.329)), (0.25, (0.229, 0.322, 0.546)),
           (0.5, (0.128, 0.567, 0.551)), (0.75, (0.369, 0.789, 0.383)),
           (1.0, (0.993, 0.906, 0.144))]
COOL_WARM = [(0.0, (0.230, 0.299, 0.754)), (0.5, (0.865, 0.865, 0.865)),
             (1.0, (0.706, 0.016, 0.150))]
PALETTE = [(0.85, 0.85, 0.85), (0.12, 0.47, 0.71), (1.0, 0.50, 0.05),
           (0.17, 0.63, 0.17), (0.84, 0.15, 0.16), (0.58, 0.40, 0.74),
           (0.55, 0.34, 0.29), (0.89, 0.47, 0.76), (0.74, 0.74, 0.13),
           (0.09, 0.75, 0.81)]
CONTACT_STATES = {0: "free surface (solid-pore)", 1: "in contact"}


# --------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------

def read_pvd(path):
    """[(time, absolute file)] of a .pvd, in file order."""
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as e:
        fail(f"'{path}': cannot read: {e}")
    base = os.path.dirname(path)
    return [(float(d.get("timestep", "0")), os.path.join(base, d.get("file")))
            for d in root.iter("DataSet")]


def pick(entries, time, label):
    if not entries:
        fail(f"'{label}' lists no datasets")
    if time is None:
        return entries[-1]
    best = min(entries, key=lambda e: abs(e[0] - time))
    if best[0] != time:
        print(f"{PROG}: {os.path.basename(label)}: no output at time {time:g}, using {best[0]:g}")
    return best


def read_dataset(path):
    readers = {".pvtu": vtk.vtkXMLPUnstructuredGridReader, ".vtu": vtk.vtkXMLUnstructuredGridReader,
               ".pvtp": vtk.vtkXMLPPolyDataReader, ".vtp": vtk.vtkXMLPolyDataReader,
               ".pvti": vtk.vtkXMLPImageDataReader, ".vti": vtk.vtkXMLImageDataReader}
    ext = os.path.splitext(path)[1]
    if ext not in readers or not os.path.isfile(path):
        fail(f"'{path}': no such VTK file")
    r = readers[ext]()
    r.SetFileName(path)
    r.Update()
    return r.GetOutput()


def cell_values(data, name):
    a = data.GetCellData().GetArray(name)
    return None if a is None else vtk_to_numpy(a).astype(float).ravel()


def add_scaled(data, name, new_name, scale):
    v = cell_values(data, name) * scale
    arr = numpy_to_vtk(v, deep=1)
    arr.SetName(new_name)
    data.GetCellData().AddArray(arr)
    return v


def phase_names(data, results_dir):
    """label -> name from the field data 'phase_names' of the data (every
    piece carries it), else of microstructure.vti."""
    arr = data.GetFieldData().GetAbstractArray("phase_names")
    if arr is None:
        vti = os.path.join(results_dir, "microstructure.vti")
        if os.path.isfile(vti):
            r = vtk.vtkXMLImageDataReader()
            r.SetFileName(vti)
            r.Update()
            arr = r.GetOutput().GetFieldData().GetAbstractArray("phase_names")
    names = {}
    for i in range(arr.GetNumberOfValues() if arr is not None else 0):
        label, _, name = arr.GetValue(i).partition("=")
        names[int(label)] = name
    return names


# --------------------------------------------------------------------------
# Drawing
# --------------------------------------------------------------------------

def continuous_lut(points, lo, hi, above=None):
    ctf = vtk.vtkColorTransferFunction()
    for x, rgb in points:
        ctf.AddRGBPoint(x, *rgb)
    lut = vtk.vtkLookupTable()
    lut.SetNumberOfTableValues(256)
    for i in range(256):
        lut.SetTableValue(i, *ctf.GetColor(i / 255.0), 1.0)
    lut.SetRange(lo, hi if hi > lo else lo + 1e-12)
    if above is not None:
        lut.SetUseAboveRangeColor(1)
        lut.SetAboveRangeColor(*above, 1.0)
    lut.Build()
    return lut


def categorical_lut(labels, names):
    """One colour per integer label (a table over lo..hi), annotated with
    the names for the scalar bar."""
    lo, hi = min(labels), max(labels)
    lut = vtk.vtkLookupTable()
    lut.SetNumberOfTableValues(hi - lo + 1)
    lut.SetTableRange(lo - 0.5, hi + 0.5)
    for i in range(hi - lo + 1):
        lut.SetTableValue(i, 1.0, 1.0, 1.0, 1.0)
    for i, label in enumerate(labels):
        lut.SetTableValue(label - lo, *PALETTE[i % len(PALETTE)], 1.0)
        lut.SetAnnotation(vtk.vtkVariant(float(label)), names.get(label, f"phase {label}"))
    lut.Build()
    return lut


def surface_actor(data, array, lut):
    surf = vtk.vtkDataSetSurfaceFilter()
    surf.SetInputData(data)
    mapper = vtk.vtkDataSetMapper()
    mapper.SetInputConnection(surf.GetOutputPort())
    mapper.SetScalarModeToUseCellFieldData()
    mapper.SelectColorArray(array)
    mapper.SetLookupTable(lut)
    mapper.UseLookupTableScalarRangeOn()
    mapper.ScalarVisibilityOn()
    mapper.SetColorModeToMapScalars()  # uint8 labels are not RGB colours
    actor = vtk.vtkActor()
    actor.SetMapper(mapper)
    actor.GetProperty().LightingOff()  # flat: the colours are the table's
    return actor


def outline_actor(data):
    o = vtk.vtkOutlineFilter()
    o.SetInputData(data)
    m = vtk.vtkPolyDataMapper()
    m.SetInputConnection(o.GetOutputPort())
    a = vtk.vtkActor()
    a.SetMapper(m)
    a.GetProperty().SetColor(0.2, 0.2, 0.2)
    a.GetProperty().SetLineWidth(2.0)
    return a


def scalar_bar(lut, title, categorical=False):
    bar = vtk.vtkScalarBarActor()
    bar.SetLookupTable(lut)
    bar.SetTitle(title)
    bar.SetLabelFormat("%.4g")
    bar.SetNumberOfLabels(0 if categorical else 5)
    bar.SetDrawAnnotations(1 if categorical else 0)
    bar.GetPositionCoordinate().SetCoordinateSystemToNormalizedViewport()
    bar.GetPositionCoordinate().SetValue(0.86, 0.2)
    bar.SetWidth(0.1)
    bar.SetHeight(0.6)
    bar.SetUnconstrainedFontSize(True)
    for prop in (bar.GetTitleTextProperty(), bar.GetLabelTextProperty(),
                 bar.GetAnnotationTextProperty()):
        prop.SetColor(0.0, 0.0, 0.0)
        prop.ShadowOff()
        prop.ItalicOff()
        prop.SetFontSize(18)
    return bar


def title_actor(text):
    t = vtk.vtkTextActor()
    t.SetInput(text)
    t.GetTextProperty().SetFontSize(20)
    t.GetTextProperty().SetColor(0.0, 0.0, 0.0)
    t.GetTextProperty().SetJustificationToCentered()
    t.SetPosition(SIZE[0] // 2, SIZE[1] - 40)
    return t


def render_png(actors, bounds, path):
    """Off screen, camera from the (+x, +y, +z) octant, PNG written atomically."""
    ren = vtk.vtkRenderer()
    ren.SetBackground(1.0, 1.0, 1.0)
    for a in actors:
        if isinstance(a, vtk.vtkActor2D):
            ren.AddActor2D(a)
        else:
            ren.AddActor(a)
    c = [0.5 * (bounds[0] + bounds[1]), 0.5 * (bounds[2] + bounds[3]), 0.5 * (bounds[4] + bounds[5])]
    cam = ren.GetActiveCamera()
    cam.SetFocalPoint(*c)
    cam.SetPosition(c[0] + 1.0, c[1] + 0.8, c[2] + 0.75)
    cam.SetViewUp(0.0, 0.0, 1.0)
    ren.ResetCamera(bounds)
    cam.Zoom(0.9)
    win = vtk.vtkRenderWindow()
    win.SetOffScreenRendering(1)
    win.SetSize(*SIZE)
    win.AddRenderer(ren)
    win.Render()
    grab = vtk.vtkWindowToImageFilter()
    grab.SetInput(win)
    grab.SetInputBufferTypeToRGB()
    grab.ReadFrontBufferOff()
    grab.Update()
    tmp = os.path.join(os.path.dirname(path), f".{os.path.basename(path)}.{os.getpid()}.tmp")
    writer = vtk.vtkPNGWriter()
    writer.SetFileName(tmp)
    writer.SetInputConnection(grab.GetOutputPort())
    writer.Write()
    if not os.path.isfile(tmp) or os.path.getsize(tmp) == 0:
        fail(f"VTK wrote no image for '{path}' (no X server? run under xvfb-run -a)")
    os.replace(tmp, path)
    win.Finalize()


# --------------------------------------------------------------------------
# The pictures
# --------------------------------------------------------------------------

def clip_centre(data):
    b = data.GetBounds()
    plane = vtk.vtkPlane()
    plane.SetOrigin(0.5 * (b[0] + b[1]), 0.5 * (b[2] + b[3]), 0.5 * (b[4] + b[5]))
    plane.SetNormal(1.0, 1.0, 0.0)
    clip = vtk.vtkTableBasedClipDataSet()
    clip.SetInputData(data)
    clip.SetClipFunction(plane)
    clip.InsideOutOn()  # keep the half towards the origin; the cut faces +x+y
    clip.Update()
    return clip.GetOutput()


def von_mises_picture(data, clipped, time, out_dir):
    v = cell_values(clipped, "von_mises_MPa")
    vmax = max(float(v.max()) if v.size else 0.0, 1e-12)
    top = float(np.percentile(v, 99.5)) if v.size else vmax
    note, above = "", None
    if top < 0.8 * vmax:  # a few hot voxels: clip the range, mark them red
        above, note = (0.85, 0.1, 0.1), f"; red: above {top:.4g} MPa (max {vmax:.4g})"
    else:
        top = vmax
    lut = continuous_lut(VIRIDIS, 0.0, top, above)
    print(f"{PROG}: von_mises.png: colour range 0 .. {top:.6g} MPa "
          f"(data {float(v.min()) if v.size else 0:.6g} .. {vmax:.6g} MPa)")
    actors = [outline_actor(data), surface_actor(clipped, "von_mises_MPa", lut),
              scalar_bar(lut, "von Mises [MPa]"),
              title_actor(f"von Mises stress, clip normal (1,1,0), time {time:g}{note}")]
    render_png(actors, data.GetBounds(), os.path.join(out_dir, "von_mises.png"))


def phase_picture(data, clipped, time, names, out_dir):
    labels = sorted(set(int(x) for x in np.unique(cell_values(data, "phase"))) | set(names))
    lut = categorical_lut(labels, names)
    print(f"{PROG}: phase.png: {len(labels)} phase(s): "
          + ", ".join(f"{l}={names.get(l, '?')}" for l in labels))
    actors = [outline_actor(data), surface_actor(clipped, "phase", lut),
              scalar_bar(lut, "phase", categorical=True),
              title_actor(f"phases, clip normal (1,1,0) through the centre, time {time:g}")]
    render_png(actors, data.GetBounds(), os.path.join(out_dir, "phase.png"))


def contact_pictures(volume, results_dir, time, out_dir):
    ipvd = os.path.join(results_dir, "interfaces.pvd")
    if not os.path.isfile(ipvd):
        print(f"{PROG}: skipped contact_map.png: no '{ipvd}' (run without interface output)")
        return
    ti, ifile = pick(read_pvd(ipvd), time, ipvd)
    faces = read_dataset(ifile)
    if faces.GetNumberOfCells() == 0:
        print(f"{PROG}: skipped contact_map.png: '{ifile}' has no interface faces")
        return
    if faces.GetCellData().GetArray("normal_traction_Pa") is not None:
        tr = add_scaled(faces, "normal_traction_Pa", "normal_traction_MPa", 1e-6)
        lo, hi = float(tr.min()), float(tr.max())
        if lo < 0.0 < hi:  # diverging, white at zero, up to the 99th percentile of |t|
            m = min(max(-lo, hi), float(np.percentile(np.abs(tr), 99.0)) or max(-lo, hi))
            lut, rng = continuous_lut(COOL_WARM, -m, m), (-m, m)
        else:
            lut, rng = continuous_lut(VIRIDIS, lo, hi), (lo, hi)
        print(f"{PROG}: contact_map.png: colour range {rng[0]:.6g} .. {rng[1]:.6g} MPa "
              f"(data {lo:.6g} .. {hi:.6g} MPa)")
        actors = [outline_actor(volume), surface_actor(faces, "normal_traction_MPa", lut),
                  scalar_bar(lut, "normal traction [MPa]"),
                  title_actor(f"interfaces: normal traction (< 0 compression), time {ti:g}")]
        render_png(actors, volume.GetBounds(), os.path.join(out_dir, "contact_map.png"))
    else:
        print(f"{PROG}: skipped contact_map.png: '{ifile}' has no cell array 'normal_traction_Pa'")
    if faces.GetCellData().GetArray("contact_state") is not None:
        states = sorted(set(int(x) for x in np.unique(cell_values(faces, "contact_state"))))
        lut = categorical_lut(states, {s: CONTACT_STATES.get(s, f"state {s}") for s in states})
        actors = [outline_actor(volume), surface_actor(faces, "contact_state", lut),
                  scalar_bar(lut, "contact", categorical=True),
                  title_actor(f"interfaces: contact state, time {ti:g}")]
        render_png(actors, volume.GetBounds(), os.path.join(out_dir, "contact_state.png"))


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="render.py",
        description="Render von Mises, phase and contact pictures of a solidanode run "
                    "to PNG with VTK (off screen; xvfb-run -a without a display).")
    parser.add_argument("results_dir", metavar="RESULTS_DIR",
                        help="output directory of a run (holds solution.pvd)")
    when = parser.add_mutually_exclusive_group()
    when.add_argument("--time", type=float, metavar="T",
                      help="render the output time nearest to T")
    when.add_argument("--last", action="store_true", help="render the last output time (default)")
    parser.add_argument("--out", metavar="DIR",
                        help="where to write the PNGs (default RESULTS_DIR/plots)")
    args = parser.parse_args(argv)

    pvd = os.path.join(args.results_dir, "solution.pvd")
    if not os.path.isfile(pvd):
        fail(f"'{pvd}': no such file (is this a solidanode output directory?)")
    out_dir = args.out or os.path.join(args.results_dir, "plots")
    try:
        os.makedirs(out_dir, exist_ok=True)
    except OSError as e:
        fail(f"cannot create output directory '{out_dir}': {e.strerror}")
    entries = read_pvd(pvd)
    t, path = pick(entries, args.time, pvd)
    data = read_dataset(path)
    if data.GetCellData().GetArray("von_mises_Pa") is None:
        fail(f"'{path}' has no cell array 'von_mises_Pa'")
    print(f"{PROG}: {pvd}: time {t:g} of {len(entries)} output(s), {data.GetNumberOfCells()} cells")
    add_scaled(data, "von_mises_Pa", "von_mises_MPa", 1e-6)
    clipped = clip_centre(data)
    von_mises_picture(data, clipped, t, out_dir)
    if data.GetCellData().GetArray("phase") is not None:
        phase_picture(data, clipped, t, phase_names(data, args.results_dir), out_dir)
    else:
        print(f"{PROG}: skipped phase.png: no cell array 'phase'")
    contact_pictures(data, args.results_dir, t, out_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
