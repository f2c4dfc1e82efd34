#!/usr/bin/python3
"""postprocess/open_in_paraview.py: the planned views of real runs.

    /usr/bin/python3 tests/test_open_in_paraview.py SOLIDANODE WORKDIR [MPIEXEC ARGS...]

Runs a protocol case (output.format both, interfaces) and a steps case
without interface output, on the ranks the launcher gives, and asserts
what `--plan` (no ParaView) says against the VTK files read here:
  - the times are the .pvd times, the last time is the .pvd's last, the
    unit "s" / "increment";
  - protocol run: the views are phase, von_mises_Pa (in MPa), soc and the
    interfaces' normal_traction_Pa (in MPa), nothing missing; each data
    range is the min/max of the last .pvtu / .pvtp times the scale; colour
    ranges: von Mises 0 .. max (or the 99.5th percentile), soc 0 .. 1,
    traction symmetric about 0; the phase labels and names are those of
    the image; the clip plane goes through the centre of the box, normal
    (1,1,0);
  - the same plan from solution.xmf (HDF5) as from solution.pvd;
  - steps run without interfaces: hydrostatic stress instead of the state
    of charge, volumetric strain instead of the contact traction, both
    named as missing;
  - errors: not an output directory (exit 1, named), no action (exit 2),
    --save-state outside pvpython (exit 1, pvpython named, no file).
If SOLIDANODE_PVPYTHON names a pvpython, it also runs the script for real
(xvfb-run -a without a display) on the .pvd and the .xmf and checks the
.pvsm: it replaced an older file, no temporary file is left, one 2 x 2
layout of four render views, the readers' files, the coloured arrays and
their colour ranges, the MPa calculators, the clip plane, the last time.
"""
import json
import math
import os
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import postprocess_runs as pr  # noqa: E402

import numpy as np  # noqa: E402

SCRIPT = os.path.join(pr.SRC, "postprocess", "open_in_paraview.py")
check = pr.Checks("test_open_in_paraview")


def script(*args, python=sys.executable, prefix=()):
    p = subprocess.run(list(prefix) + [python, SCRIPT] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=300)
    return p.returncode, p.stdout, p.stderr


def plan_of(path):
    rc, out, err = script(path, "--plan")
    if not check(rc == 0, f"--plan {os.path.basename(path)} exits 0", err):
        return None
    return json.loads(out)


def close(a, b):
    return len(a) == len(b) and all(math.isclose(x, y, rel_tol=1e-12, abs_tol=1e-300)
                                    for x, y in zip(a, b))


def last_vtk(directory, pvd):
    entries = pr.pvd_entries(os.path.join(directory, pvd))
    return entries, pr.read_vtk(entries[-1][1])


def protocol_plan(out):
    plan = plan_of(out)
    if plan is None:
        return None
    entries, (points, _, _, _, cells) = last_vtk(out, "solution.pvd")
    _, (_, _, _, _, faces) = last_vtk(out, "interfaces.pvd")
    check(plan["volume"]["format"] == "pvd", "a directory with both formats opens solution.pvd")
    check(plan["times"] == [float(t) for t, _ in entries] and
          plan["time_texts"] == [t for t, _ in entries],
          f"times are the .pvd's ({len(entries)})")
    check(plan["last_time"] == float(entries[-1][0]) and plan["n_times"] == len(entries),
          f"last time {entries[-1][0]} s", str(plan["last_time"]))
    check(plan["time_unit"] == "s", "time unit s (protocol run)")
    check(plan["fields_found"] == ["phase", "von_mises_Pa", "soc", "normal_traction_Pa"]
          and plan["missing"] == [], "views: phase, von Mises, soc, contact traction",
          f"{plan['fields_found']} missing {plan['missing']}")
    check(plan["layout"]["rows"] == 2 and plan["layout"]["columns"] == 2 and
          [v["slot"] for v in plan["views"]] == [0, 1, 2, 3], "2 x 2 layout, 4 views")
    v = {x["array"]: x for x in plan["views"]}

    def rng(a, scale=1.0):
        a = a.astype(float) * scale
        return [float(a.min()), float(a.max())]

    vm = rng(cells["von_mises_Pa"], 1e-6)
    p995 = float(np.percentile(cells["von_mises_Pa"].astype(float), 99.5)) * 1e-6
    top = p995 if p995 < 0.8 * vm[1] else vm[1]
    check(close(v["von_mises_Pa"]["data_range"], vm) and
          close(v["von_mises_Pa"]["color_range"], [0.0, top]) and
          v["von_mises_Pa"]["shown_as"] == "von_mises_MPa" and v["von_mises_Pa"]["unit"] == "MPa",
          f"von Mises in MPa: data {vm[0]:.4g} .. {vm[1]:.4g}, colours 0 .. {top:.4g}",
          str(v["von_mises_Pa"]))
    soc = rng(cells["soc"])
    check(close(v["soc"]["data_range"], soc) and v["soc"]["color_range"] == [0.0, 1.0]
          and 0.19 < soc[1] <= 0.21, f"soc: data {soc[0]:.4g} .. {soc[1]:.4g}, colours 0 .. 1",
          str(v["soc"]))
    tr = rng(faces["normal_traction_Pa"], 1e-6)
    m = max(abs(tr[0]), abs(tr[1]))
    t = v["normal_traction_Pa"]
    check(t["source"] == "interfaces" and close(t["data_range"], tr) and
          close(t["color_range"], [-m, m]) and t["shown_as"] == "normal_traction_MPa",
          f"contact traction from interfaces.pvd in MPa: data {tr[0]:.4g} .. {tr[1]:.4g}, "
          f"colours +-{m:.4g}", str(t))
    check(plan["interfaces"]["time"] == plan["last_time"], "interfaces at the same time")
    ph = v["phase"]
    check(ph["categorical"] and ph["labels"] == sorted(set(int(x) for x in cells["phase"])) and
          ph["annotations"] == {"0": "pore", "1": "Si", "2": "SE"},
          "phase: labels 0 1 2 named pore, Si, SE", str(ph))
    lo, hi = points.min(axis=0), points.max(axis=0)
    centre = [float(x) for x in 0.5 * (lo.astype(float) + hi.astype(float))]
    check(close(plan["clip"]["origin"], centre) and plan["clip"]["normal"] == [1.0, 1.0, 0.0],
          "clip through the centre of the box, normal (1,1,0)", str(plan["clip"]))

    xplan = plan_of(os.path.join(out, "solution.xmf"))
    if xplan is not None:
        check(xplan["volume"]["format"] == "xdmf" and xplan["views"] == plan["views"] and
              xplan["times"] == plan["times"] and xplan["last_time"] == plan["last_time"],
              "the views from solution.xmf equal those from solution.pvd",
              json.dumps(xplan["views"])[:2000])
        # .pvtu points are Float32 (output.float32), the HDF5 points Float64.
        size = max(abs(x) for x in plan["bounds"])
        check(all(abs(a - b) <= 1e-7 * size for a, b in zip(xplan["bounds"], plan["bounds"])),
              "the box from solution.xmf is the .pvd's (to Float32 rounding)",
              f"{xplan['bounds']} vs {plan['bounds']}")
    return plan, xplan


def steps_plan(out):
    plan = plan_of(out)
    if plan is None:
        return
    entries, (_, _, _, _, cells) = last_vtk(out, "solution.pvd")
    check(plan["time_unit"] == "increment" and plan["last_time"] == float(entries[-1][0]),
          f"steps run: unit increment, last time {entries[-1][0]}")
    check(plan["interfaces"] is None and plan["missing"] == ["soc", "normal_traction_Pa"],
          "steps run without interfaces: soc and traction named missing", str(plan["missing"]))
    v = plan["views"]
    h = [float(cells["hydrostatic_stress_Pa"].min()) * 1e-6,
         float(cells["hydrostatic_stress_Pa"].max()) * 1e-6]
    check(v[2]["array"] == "hydrostatic_stress_Pa" and v[2]["instead_of"] == "soc" and
          close(v[2]["data_range"], h) and close(v[2]["color_range"], [-max(map(abs, h))] * 1 +
                                                 [max(map(abs, h))]),
          f"hydrostatic stress [MPa] instead of soc: {h[0]:.4g} .. {h[1]:.4g}", str(v[2]))
    e = [float(cells["volumetric_strain"].min()), float(cells["volumetric_strain"].max())]
    check(v[3]["array"] == "volumetric_strain" and v[3]["source"] == "volume" and
          "no interfaces.pvd" in v[3]["title"] and close(v[3]["data_range"], e),
          "volumetric strain instead of the contact traction, title says why", str(v[3]))


def errors(work):
    rc, _, err = script(work, "--plan")
    check(rc == 1 and f"'{work}': no solution.pvd or solution.xmf" in err,
          "not an output directory: exit 1, named", err)
    rc, _, err = script(work)
    check(rc == 2 and "nothing to do" in err, "no action: exit 2, says what to give", err)
    target = os.path.join(work, "never.pvsm")
    rc, _, err = script(os.path.join(work, "protocol"), "--save-state", target)
    check(rc == 1 and "pvpython" in err and not os.path.exists(target),
          "--save-state outside pvpython: exit 1, pvpython named, no file", err)


def pvsm_facts(path):
    root = ET.parse(path).getroot()
    proxies = {p.get("id"): p for p in root.iter("Proxy") if p.get("group")}

    def prop(p, name):
        for q in p.iter("Property"):
            if q.get("name") == name:
                return [e.get("value") for e in q.iter("Element")]
        return None

    facts = {"files": [], "layouts": [], "lut": {}, "colored": set(), "calc": {}, "planes": [],
             "time": None}
    for p in root.iter("Proxy"):
        t = p.get("type")
        if t in ("PVDReader", "Xdmf3ReaderS"):
            facts["files"].append((t, prop(p, "FileName")[0]))
        elif t == "ViewLayout":
            items = p.find("Layout").findall("Item")
            views = [i.get("view") for i in items if i.get("view") != "0"]
            # a 2 x 2 grid: the root split one way, both halves the other way
            splits = [i.get("direction") for i in items[:3]]
            grid = splits[0] != "0" and splits[1] == splits[2] != "0" and splits[0] != splits[1]
            facts["layouts"].append((len(items), grid,
                                     [proxies[v].get("type") for v in views]))
        elif t == "PVLookupTable":
            pts = [float(x) for x in prop(p, "RGBPoints")]
            facts["lut"][p.get("id")] = (pts[0], pts[-4], prop(p, "Annotations"))
        elif t == "Calculator":
            facts["calc"][prop(p, "ResultArrayName")[0]] = prop(p, "Function")[0]
        elif t == "Plane" and p.get("group") == "implicit_functions":
            facts["planes"].append(([float(x) for x in prop(p, "Origin")],
                                    [float(x) for x in prop(p, "Normal")]))
        elif t == "AnimationScene":
            facts["time"] = float(prop(p, "AnimationTime")[0])
        c = prop(p, "ColorArrayName") if p.get("group") == "representations" else None
        if c and c[-1]:
            facts["colored"].add(c[-1])
    names = {}
    for coll in root.iter("ProxyCollection"):
        if coll.get("name") == "lookup_tables":
            for item in coll.findall("Item"):
                names[item.get("name").split(".PVLookupTable")[0]] = facts["lut"][item.get("id")]
    facts["lut"] = names
    return facts


def real_paraview(pvpython, plan, source, work, tag):
    state = os.path.join(work, f"views_{tag}.pvsm")
    with open(state, "w") as f:
        f.write("an older state file\n")
    prefix = [] if os.environ.get("DISPLAY") else ["xvfb-run", "-a", "-s",
                                                   "-screen 0 1280x1024x24 -noreset"]
    start = time.monotonic()
    rc, out, err = script(source, "--save-state", state, python=pvpython, prefix=prefix)
    check(rc == 0, f"pvpython ({tag}): exit 0 in {time.monotonic() - start:.1f} s",
          out + err[-3000:])
    leftovers = [n for n in os.listdir(work) if n.startswith(f".views_{tag}")]
    check(not leftovers, f"pvpython ({tag}): no temporary file left", str(leftovers))
    try:
        f = pvsm_facts(state)
    except (ET.ParseError, OSError, KeyError, TypeError) as e:
        check(False, f"pvpython ({tag}): the .pvsm replaced the older file and parses", str(e))
        return
    check(True, f"pvpython ({tag}): the .pvsm replaced the older file and parses")
    reader = "Xdmf3ReaderS" if source.endswith(".xmf") else "PVDReader"
    want_files = {(reader, os.path.abspath(plan["volume"]["file"]))}
    if plan["interfaces"]:
        want_files.add(("PVDReader", plan["interfaces"]["file"]))
    check(set(f["files"]) == want_files, f"pvpython ({tag}): readers of the run's files",
          str(f["files"]))
    check(f["layouts"] == [(7, True, ["RenderView"] * 4)],
          f"pvpython ({tag}): one 2 x 2 layout of four render views", str(f["layouts"]))
    shown = {v["shown_as"] for v in plan["views"] if v["array"]}
    check(f["colored"] == shown, f"pvpython ({tag}): coloured by {sorted(shown)}",
          str(f["colored"]))
    check({k: v for k, v in f["calc"].items()} ==
          {v["shown_as"]: f"{v['array']}*{v['scale']:g}" for v in plan["views"]
           if v["array"] and v["scale"] != 1.0},
          f"pvpython ({tag}): Pa -> MPa calculators", str(f["calc"]))
    bad = [v["shown_as"] for v in plan["views"] if v["array"] and not v.get("categorical")
           and not close(f["lut"].get(v["shown_as"], (0, 0))[:2], v["color_range"])]
    check(not bad, f"pvpython ({tag}): colour ranges as planned", f"{bad}: {f['lut']}")
    phase = f["lut"].get("phase")
    check(phase is not None and phase[2] == ["0", "pore", "1", "Si", "2", "SE"],
          f"pvpython ({tag}): phase colours named", str(phase))
    clip = (plan["clip"]["origin"], plan["clip"]["normal"])
    planes = [p for p in f["planes"] if close(p[0], clip[0]) and p[1] == clip[1]]
    check(len(planes) == (2 if plan["interfaces"] else 1),
          f"pvpython ({tag}): the clip plane(s) through the centre", str(f["planes"]))
    check(f["time"] == plan["last_time"], f"pvpython ({tag}): at the last time", str(f["time"]))


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    binary, work, launcher = sys.argv[1], os.path.abspath(sys.argv[2]), sys.argv[3:]
    start = time.monotonic()
    pr.fresh_dir(work)
    protocol, wall_p = pr.run_case(binary, work, "protocol", pr.PROTOCOL_CASE, launcher)
    steps_case = pr.STEPS_CASE.replace("output: {format: both,",
                                       "output: {format: both, interfaces: false,")
    steps, wall_s = pr.run_case(binary, work, "steps", steps_case, launcher)
    print(f"runs: protocol {wall_p:.1f} s, steps {wall_s:.1f} s")
    plans = protocol_plan(protocol)
    steps_plan(steps)
    errors(work)
    pvpython = os.environ.get("SOLIDANODE_PVPYTHON")
    if pvpython and plans:
        real_paraview(pvpython, plans[0], protocol, work, "pvd")
        if plans[1]:
            real_paraview(pvpython, plans[1], os.path.join(protocol, "solution.xmf"), work,
                          "xmf")
    else:
        print("note: SOLIDANODE_PVPYTHON not set: the ParaView part was not run (the plan was)")
    print(f"test_open_in_paraview: {time.monotonic() - start:.1f} s in all")
    return check.finish()


if __name__ == "__main__":
    sys.exit(main())
