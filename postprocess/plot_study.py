#!/usr/bin/python3
"""Plot a study.csv (solidanode sweep): an outcome against one parameter,
one curve per value of a second parameter, mean +- standard deviation over
a seed parameter as error bars. Debian: python3-matplotlib.

  postprocess/plot_study.py STUDY.csv --x 'steps[0].top' \\
      [--group microstructure.generate.pores.volume_fraction] \\
      [--y final_contact_area_Si_LPSCl_m2] [--seed microstructure.generate.seed] \\
      [--xlabel 'stack pressure'] [--output plot.png]

The script starts with #!/usr/bin/python3 (Debian's Python, where
python3-matplotlib lives), so it runs as a command; with another Python
call it as /usr/bin/python3 postprocess/plot_study.py.

Without --y, one PNG per outcome column (next to study.csv, in plots/).
Only rows with status 'finished' are used. Parameter values with units
('500 kPa', '1 MPa') are converted to one unit per axis (pressures in MPa,
lengths in um, percentages as %); the axis is labelled from the YAML path
('steps[0].top' -> 'top load (step 1)') unless --xlabel is given. Outcome
columns are scaled by their unit suffix (_Pa -> MPa, _m -> um, _m2 -> um^2).
"""
import argparse
import csv
import math
import os
import re
import sys

PROG = "plot_study.py"

try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError as e:  # pragma: no cover - depends on the machine
    sys.exit(f"{PROG}: error: {e}; install Debian's python3-matplotlib "
             f"(apt-get install python3-matplotlib) and run with /usr/bin/python3")

# Units a parameter value may carry (as in case files): unit -> (factor to
# SI, quantity). Every quantity is shown in one unit: DISPLAY.
INPUT_UNITS = {"Pa": (1.0, "pressure"), "kPa": (1e3, "pressure"), "MPa": (1e6, "pressure"),
               "GPa": (1e9, "pressure"), "m": (1.0, "length"), "mm": (1e-3, "length"),
               "um": (1e-6, "length"), "µm": (1e-6, "length"), "nm": (1e-9, "length"),
               "%": (1e-2, "percent")}
DISPLAY = {"pressure": (1e6, "MPa"), "length": (1e-6, "µm"), "percent": (1e-2, "%")}

# Column-name unit suffixes of outcomes -> (scale, label unit).
COLUMN_UNITS = {"_Pa": (1e-6, "MPa"), "_m2": (1e12, "µm²"), "_m3": (1e18, "µm³"),
                "_m": (1e6, "µm"), "_s": (1.0, "s")}

# YAML path parts that say nothing to a reader of the plot.
GENERIC = {"microstructure", "generate", "build", "materials", "solver", "output", "chemo"}
INDEXED = re.compile(r"^(\w+)\[(\d+)\]$")
RENAME = {"top": "top load", "seed": "seed"}


def number(text):
    """'50 MPa' -> (50, 'MPa'); '0.1' -> (0.1, ''); else (None, text)."""
    m = re.fullmatch(r"\s*([-+0-9.eE]+)\s*(\S*)\s*", text)
    if m:
        try:
            return float(m.group(1)), m.group(2)
        except ValueError:
            pass
    return None, text


def si_value(text):
    """'500 kPa' -> (5e5, 'pressure'); '0.1' -> (0.1, ''); None if not a number
    or an unknown unit."""
    v, unit = number(text)
    if v is None:
        return None
    if unit == "":
        return v, ""
    if unit not in INPUT_UNITS:
        return None
    factor, quantity = INPUT_UNITS[unit]
    return v * factor, quantity


def sort_key(text):
    s = si_value(text)
    return (0, s[0], "") if s is not None else (1, 0, text)


def x_axis(values):
    """Plot positions and unit for the parameter values (strings): one
    display unit per quantity. Returns (positions, unit) with unit '' for
    plain numbers, or (None, '') when the values are not all numbers of one
    quantity (then the x axis is categorical)."""
    parsed = [si_value(v) for v in values]
    if any(p is None for p in parsed) or len({q for _, q in parsed}) != 1:
        return None, ""
    quantity = parsed[0][1]
    if quantity == "":
        return [v for v, _ in parsed], ""
    scale, unit = DISPLAY[quantity]
    return [v / scale for v, _ in parsed], unit


def readable(path):
    """A YAML path as an axis label: 'microstructure.generate.pores.volume_fraction'
    -> 'pores volume fraction', 'steps[0].top' -> 'top load (step 1)',
    'microstructure.build.layers[1].populations[0].diameter' ->
    'diameter (layer 2, population 1)'."""
    parts = path.split(".")
    prop = parts[-1]
    subject, where = [], []
    for part in parts[:-1]:
        m = INDEXED.match(part)
        if m:
            name = m.group(1)
            name = name[:-1] if name.endswith("s") else name
            where.append(f"{name.replace('_', ' ')} {int(m.group(2)) + 1}")
        elif part not in GENERIC:
            subject.append(part.replace("_", " "))
    m = INDEXED.match(prop)
    if m:
        prop = m.group(1)
        where.append(f"entry {int(m.group(2)) + 1}")
    label = " ".join(subject + [RENAME.get(prop, prop.replace("_", " "))])
    return label + (f" ({', '.join(where)})" if where else "")


def axis_of(column):
    """Scale factor and axis label for a study.csv outcome column."""
    for suffix, (scale, unit) in COLUMN_UNITS.items():
        if column.endswith(suffix):
            return scale, f"{column[:-len(suffix)].replace('_', ' ')} [{unit}]"
    return 1.0, column.replace("_", " ")


def aggregate(done, xcol, xs, ycol, group_col=None, group=None):
    """Mean and sample standard deviation of ycol (scaled for its axis) per
    x value, over the rows that share it (the seeds). Returns [(index into
    xs, mean, std, n)] for the x values that have a finished number."""
    scale = axis_of(ycol)[0]
    out = []
    for i, x in enumerate(xs):
        vals = []
        for r in done:
            if r[xcol] != x or (group_col and r[group_col] != group):
                continue
            v = number(r[ycol])[0]
            if v is not None and math.isfinite(v):
                vals.append(v * scale)
        if not vals:
            continue
        mean = sum(vals) / len(vals)
        std = math.sqrt(sum((v - mean) ** 2 for v in vals) / (len(vals) - 1)) \
            if len(vals) > 1 else 0.
        out.append((i, mean, std, len(vals)))
    return out


def study_figure(done, a, y, xs, groups):
    """One figure: y against --x, a curve per group, error bars = std."""
    fig, ax = plt.subplots(figsize=(5.5, 4))
    positions, unit = x_axis(xs)
    n_max = 1
    for g in groups:
        points = aggregate(done, a.x, xs, y, a.group, g)
        if not points:
            continue
        n_max = max(n_max, max(n for *_, n in points))
        px = [positions[i] if positions is not None else i for i, *_ in points]
        label = f"{a.group_label} = {g}" if g is not None else None
        ax.errorbar(px, [m for _, m, _, _ in points],
                    yerr=[s for *_, s, _ in points] if a.seed else None,
                    marker="o", capsize=3, label=label)
    ax.set_xlabel(f"{a.x_label} [{unit}]" if unit else a.x_label)
    if positions is None:
        ax.set_xticks(range(len(xs)), xs)
    ax.set_ylabel(axis_of(y)[1])
    title = os.path.basename(os.path.dirname(os.path.abspath(a.csv)))
    if a.seed:
        title += f" (mean ± std over {n_max} values of {readable(a.seed)})"
    ax.set_title(title, fontsize=9)
    if a.group:
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def parse_args(argv=None):
    ap = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    ap.add_argument("csv")
    ap.add_argument("--x", required=True, help="parameter on the x axis (column name)")
    ap.add_argument("--group", help="second parameter: one curve per value")
    ap.add_argument("--y", action="append", help="outcome column(s); default all numeric outcomes")
    ap.add_argument("--seed", help="parameter averaged over (error bars = std)")
    ap.add_argument("--xlabel", help="x axis label (default: from the YAML path)")
    ap.add_argument("--grouplabel", help="legend label of --group (default: from the YAML path)")
    ap.add_argument("--output", help="PNG file (one --y) or directory")
    a = ap.parse_args(argv)
    a.x_label = a.xlabel or (readable(a.x) if a.x != "case" else "case")
    a.group_label = a.grouplabel or (readable(a.group) if a.group else None)
    return a


def main(argv=None):
    a = parse_args(argv)
    try:
        with open(a.csv, newline="") as f:
            rows = list(csv.DictReader(f))
    except OSError as e:
        sys.exit(f"{PROG}: error: cannot read '{a.csv}': {e.strerror}")
    if not rows:
        sys.exit(f"{PROG}: error: {a.csv} has no rows")
    columns = list(rows[0].keys())
    for c in [a.x, a.group, a.seed] + (a.y or []):
        if c and c not in columns:
            sys.exit(f"{PROG}: error: no column '{c}' in {a.csv}; columns: {', '.join(columns)}")
    done = [r for r in rows if r["status"] == "finished"]
    if not done:
        sys.exit(f"{PROG}: error: no finished case in {a.csv}")
    params = set(c for c in columns[1:] if c in (a.x, a.group, a.seed))
    skip = {"case", "status", "error", "increments"} | params
    ys = a.y or [c for c in columns if c not in skip and "." not in c and "[" not in c
                 and all(number(r[c])[0] is not None for r in done)]
    xs = sorted({r[a.x] for r in done}, key=sort_key)
    groups = sorted({r[a.group] for r in done}, key=sort_key) if a.group else [None]
    outdir = os.path.join(os.path.dirname(os.path.abspath(a.csv)), "plots")
    for y in ys:
        fig = study_figure(done, a, y, xs, groups)
        if a.output and a.output.endswith(".png") and len(ys) == 1:
            path = a.output
        else:
            d = a.output or outdir
            os.makedirs(d, exist_ok=True)
            path = os.path.join(d, re.sub(r"[^A-Za-z0-9_.-]", "_", y) + ".png")
        tmp = path + ".tmp"
        fig.savefig(tmp, dpi=120, format="png")
        os.replace(tmp, path)
        plt.close(fig)
        print("wrote", path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
