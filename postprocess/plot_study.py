#!/usr/bin/python3
"""Plot a study.csv (solidanode sweep): an outcome against one parameter,
one curve per value of a second parameter, mean +- standard deviation over
a seed parameter as error bars. Debian: python3-matplotlib.

  python3 postprocess/plot_study.py STUDY.csv --x 'steps[0].top' \
      [--group microstructure.generate.pores.volume_fraction] \
      [--y final_contact_area_Si_LPSCl_m2] [--seed microstructure.generate.seed] \
      [--output plot.png]

Without --y, one PNG per outcome column (next to study.csv, in plots/).
Only rows with status 'finished' are used. Values with units ("50 MPa") are
ordered by their number.
"""
import argparse
import csv
import math
import os
import re
import sys

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

UNITS = {"Pa": 1, "kPa": 1e3, "MPa": 1e6, "GPa": 1e9, "m": 1, "mm": 1e-3, "um": 1e-6,
         "nm": 1e-9, "%": 1e-2}


def number(text):
    """'50 MPa' -> (50, 'MPa'); '0.1' -> (0.1, ''); else (None, text)."""
    m = re.fullmatch(r"\s*([-+0-9.eE]+)\s*(\S*)\s*", text)
    if m:
        try:
            return float(m.group(1)), m.group(2)
        except ValueError:
            pass
    return None, text


def sort_key(text):
    v, u = number(text)
    return (0, v * UNITS.get(u, 1), "") if v is not None else (1, 0, text)


# Column-name unit suffixes -> (scale, label unit) for readable axes.
UNITS = {"_Pa": (1e-6, "MPa"), "_m2": (1e12, "µm²"), "_m": (1e6, "µm"), "_s": (1.0, "s")}


def axis_of(column):
    """Scale factor and axis label for a study.csv column."""
    for suffix, (scale, unit) in UNITS.items():
        if column.endswith(suffix):
            return scale, f"{column[:-len(suffix)].replace('_', ' ')} [{unit}]"
    return 1.0, column.replace("_", " ")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("csv")
    ap.add_argument("--x", required=True, help="parameter on the x axis (column name)")
    ap.add_argument("--group", help="second parameter: one curve per value")
    ap.add_argument("--y", action="append", help="outcome column(s); default all numeric outcomes")
    ap.add_argument("--seed", help="parameter averaged over (error bars = std)")
    ap.add_argument("--output", help="PNG file (one --y) or directory")
    a = ap.parse_args()

    with open(a.csv, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        sys.exit(f"plot_study.py: {a.csv} has no rows")
    columns = list(rows[0].keys())
    for c in [a.x, a.group, a.seed] + (a.y or []):
        if c and c not in columns:
            sys.exit(f"plot_study.py: no column '{c}' in {a.csv}; columns: {', '.join(columns)}")
    done = [r for r in rows if r["status"] == "finished"]
    if not done:
        sys.exit(f"plot_study.py: no finished case in {a.csv}")
    params = set(c for c in columns[1:] if c in (a.x, a.group, a.seed))
    skip = {"case", "status", "error", "increments"} | params
    ys = a.y or [c for c in columns if c not in skip and "." not in c and "[" not in c
                 and all(number(r[c])[0] is not None for r in done)]
    xs = sorted({r[a.x] for r in done}, key=sort_key)
    groups = sorted({r[a.group] for r in done}, key=sort_key) if a.group else [None]
    outdir = os.path.join(os.path.dirname(os.path.abspath(a.csv)), "plots")
    written = []
    for y in ys:
        fig, ax = plt.subplots(figsize=(5.5, 4))
        numeric_x = all(number(x)[0] is not None for x in xs)
        for g in groups:
            px, py, pe = [], [], []
            for i, x in enumerate(xs):
                vals = [float(r[y]) * axis_of(y)[0] for r in done if r[a.x] == x and (g is None or r[a.group] == g)
                        and r[y] not in ("", "nan")]
                if not vals:
                    continue
                mean = sum(vals) / len(vals)
                std = math.sqrt(sum((v - mean) ** 2 for v in vals) / (len(vals) - 1)) if len(vals) > 1 else 0.
                px.append(number(x)[0] if numeric_x else i)
                py.append(mean)
                pe.append(std)
            label = f"{a.group} = {g}" if g is not None else None
            ax.errorbar(px, py, yerr=pe if a.seed else None, marker="o", capsize=3, label=label)
        unit = number(xs[0])[1] if numeric_x else ""
        ax.set_xlabel(f"{a.x} [{unit}]" if unit else a.x)
        if not numeric_x:
            ax.set_xticks(range(len(xs)), xs)
        ax.set_ylabel(axis_of(y)[1])
        title = os.path.basename(os.path.dirname(os.path.abspath(a.csv)))
        if a.seed:
            title += f" (mean ± std over {a.seed})"
        ax.set_title(title, fontsize=9)
        if a.group:
            ax.legend(fontsize=8)
        fig.tight_layout()
        if a.output and a.output.endswith(".png") and len(ys) == 1:
            path = a.output
        else:
            d = a.output or outdir
            os.makedirs(d, exist_ok=True)
            path = os.path.join(d, re.sub(r"[^A-Za-z0-9_.-]", "_", y) + ".png")
        fig.savefig(path, dpi=120)
        plt.close(fig)
        written.append(path)
    for p in written:
        print("wrote", p)


if __name__ == "__main__":
    main()
