#!/usr/bin/python3
"""Turn a solidanode summary.csv into PNG plots.

    /usr/bin/python3 postprocess/plot_summary.py RESULTS_DIR [--out DIR] [--include-pores]

Reads RESULTS_DIR/summary.csv (one row per increment; column names carry
their unit: _Pa, _m, _m2, _s) and writes, into DIR (default
RESULTS_DIR/plots/):

  pressure_thickness.png  stack pressure [MPa] and thickness [um] vs time
                          [h] with a state-of-charge panel (protocol runs),
                          else vs state_of_charge, else vs the first
                          eigenstrain_<phase> that varies, else vs increment
  porosity_contact.png    porosity and contact area per phase pair [um^2]
                          (contact_area_<A>_<B>_m2) and active/electrolyte
                          area in contact (interface_area_in_contact_<P>_m2)
                          vs time [h], else increment
  stress_per_phase.png    mean / p50 / p99 / max von Mises stress [MPa] per
                          phase vs increment (pore/void phases only with
                          --include-pores)

Plots whose columns are absent are skipped with a message. Every PNG is
written under a temporary name and renamed. Needs Debian's python3-numpy and
python3-matplotlib (run with /usr/bin/python3, not a virtualenv's python).
Exit status: 0 if at least one PNG was written, 1 on an error.
"""

import argparse
import csv
import math
import os
import re
import sys
import tempfile

PROG = "plot_summary"


class PlotError(Exception):
    pass


def fail(message):
    print(f"{PROG}: error: {message}", file=sys.stderr)
    sys.exit(1)


try:
    import numpy as np
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError as e:  # pragma: no cover - depends on the machine
    fail(f"{e}; install Debian's python3-numpy and python3-matplotlib "
         f"(apt-get install python3-matplotlib) and run with /usr/bin/python3")


# --------------------------------------------------------------------------
# Reading the table
# --------------------------------------------------------------------------

class Table:
    """Columns of summary.csv: numeric ones as float arrays (NaN where a cell
    is empty or not a number), the others as lists of strings."""

    def __init__(self, path):
        self.path = path
        try:
            with open(path, newline="") as f:
                rows = [r for r in csv.reader(f) if any(c.strip() for c in r)]
        except FileNotFoundError:
            raise PlotError(f"'{path}': no such file (is this a solidanode "
                            f"output directory?)")
        except OSError as e:
            raise PlotError(f"'{path}': cannot read: {e.strerror}")
        except (UnicodeDecodeError, csv.Error) as e:
            raise PlotError(f"'{path}': not a CSV table: {e}")
        if not rows:
            raise PlotError(f"'{path}' is empty (no header, no rows)")
        self.names = [h.strip() for h in rows[0]]
        data = rows[1:]
        if not data:
            raise PlotError(f"'{path}' has a header but no rows (did the run "
                            f"finish an increment?)")
        for n, r in enumerate(data, start=2):
            if len(r) != len(self.names):
                raise PlotError(f"'{path}', line {n}: {len(r)} fields, the "
                                f"header has {len(self.names)}")
        self.n_rows = len(data)
        self.numeric = {}
        self.text = {}
        for j, name in enumerate(self.names):
            values = [r[j].strip() for r in data]
            parsed = [_to_float(v) for v in values]
            if all(p is not None for p in parsed) and \
                    not all(math.isnan(p) for p in parsed):
                self.numeric[name] = np.array(parsed, dtype=float)
            else:
                self.text[name] = values

    def has(self, name):
        return name in self.numeric and np.isfinite(self.numeric[name]).any()

    def __getitem__(self, name):
        return self.numeric[name]


def _to_float(text):
    if text == "" or text.lower() in ("nan", "na", "n/a"):
        return math.nan
    try:
        return float(text)
    except ValueError:
        return None


def varies(values):
    finite = values[np.isfinite(values)]
    return finite.size > 1 and finite.max() > finite.min()


# --------------------------------------------------------------------------
# Column discovery
# --------------------------------------------------------------------------

STRESS_STATS = ("mean", "p50", "p99", "max")
STRESS_RE = re.compile(r"^(mean|p50|p99|max)_von_mises_(.+)_Pa$")
CONTACT_RE = re.compile(r"^contact_area_(.+)_m2$")
# protocol runs: active phase / electrolyte area that carries Li flux
INTERFACE_RE = re.compile(r"^interface_area_in_contact_(.+)_m2$")
PORE_RE = re.compile(r"^(pores?|voids?|pore_space)$", re.IGNORECASE)


def phases_in_order(table):
    """Phase names in the order their columns first appear."""
    phases = []
    for name in table.names:
        m = STRESS_RE.match(name)
        phase = m.group(2) if m else (
            name[len("eigenstrain_"):] if name.startswith("eigenstrain_") else None)
        if phase and phase not in phases:
            phases.append(phase)
    return phases


def pair_label(middle, phases):
    """'Si_LPSCl' -> 'Si–LPSCl' using the known phase names (which may
    themselves contain underscores)."""
    for a in phases:
        for b in phases:
            if f"{a}_{b}" == middle:
                return f"{a}–{b}"
    return middle


def increment_axis(table):
    if table.has("increment"):
        return table["increment"], "increment"
    return np.arange(1, table.n_rows + 1, dtype=float), "row of summary.csv"


# --------------------------------------------------------------------------
# Plot helpers
# --------------------------------------------------------------------------

LINE = dict(marker="o", markersize=3.5, linewidth=1.5)
LEGEND = dict(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0),
              borderaxespad=0.0, frameon=False)


def integer_ticks(ax):
    from matplotlib.ticker import MaxNLocator
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def mark_steps(ax, table, x):
    """Dotted lines and names where a new load step starts (x must be
    increment or time, i.e. monotonic)."""
    names = table.text.get("step_name")
    if names is None and table.has("step"):
        names = [f"step {int(s)}" if np.isfinite(s) else "" for s in table["step"]]
    if names is None or len(set(names)) < 2:
        return
    for i, name in enumerate(names):
        if i == 0 or name != names[i - 1]:
            if i > 0:
                xb = 0.5 * (x[i - 1] + x[i])
                ax.axvline(xb, color="0.6", linestyle=":", linewidth=1)
            else:
                xb = x[0]
            ax.text(xb, 0.98, f" {name}", transform=ax.get_xaxis_transform(),
                    va="top", ha="left", fontsize=8, color="0.35")


def save(fig, out_dir, filename, written):
    path = os.path.join(out_dir, filename)
    fd, tmp = tempfile.mkstemp(prefix=f".{filename}.", suffix=".tmp", dir=out_dir)
    os.close(fd)
    try:
        fig.savefig(tmp, format="png", dpi=120)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    finally:
        plt.close(fig)
    written.append(path)


def skipped(what, why):
    print(f"{PROG}: skipped {what}: {why}")


# --------------------------------------------------------------------------
# The three figures
# --------------------------------------------------------------------------

def plot_pressure_thickness(table, out_dir, written):
    panels = [(c, lbl, s) for c, lbl, s in
              (("stack_pressure_Pa", "stack pressure [MPa]", 1e-6),
               ("thickness_m", "thickness [µm]", 1e6)) if table.has(c)]
    if not panels:
        skipped("pressure_thickness.png",
                "no column stack_pressure_Pa or thickness_m")
        return

    along_load = False
    if table.has("time_s") and varies(table["time_s"]):
        # Protocol runs (press, lithiate, delithiate, ...): along time, with
        # the state of charge as a panel of its own.
        x, xlabel, along_load = table["time_s"] / 3600., "time [h]", True
        if table.has("state_of_charge"):
            panels.insert(0, ("state_of_charge", "state of charge [-]", 1.))
    elif table.has("state_of_charge"):
        x, xlabel = table["state_of_charge"], "state of charge [-]"
    else:
        eig = [c for c in table.names
               if c.startswith("eigenstrain_") and c in table.numeric and varies(table[c])]
        if eig:
            x = table[eig[0]]
            xlabel = f"eigenstrain of {eig[0][len('eigenstrain_'):]} [-]"
        else:
            (x, xlabel), along_load = increment_axis(table), True

    fig, axes = plt.subplots(len(panels), 1, sharex=True, squeeze=False,
                             figsize=(8, 2.6 + 2.4 * len(panels)))
    for ax, (col, label, scale) in zip(axes[:, 0], panels):
        ax.plot(x, table[col] * scale, label=col, **LINE)
        if col == "stack_pressure_Pa" and table.has("applied_pressure_Pa"):
            ax.plot(x, table["applied_pressure_Pa"] * scale, color="0.5",
                    linestyle="--", linewidth=1, label="applied pressure")
            ax.legend(**LEGEND)
        ax.set_ylabel(label)
        ax.grid(True, alpha=0.3)
        if along_load:
            mark_steps(ax, table, x)
    axes[-1, 0].set_xlabel(xlabel)
    if xlabel == "increment":
        integer_ticks(axes[-1, 0])
    axes[0, 0].set_title("Stack pressure and thickness")
    fig.tight_layout()
    save(fig, out_dir, "pressure_thickness.png", written)


def plot_porosity_contact(table, out_dir, written, phases):
    if table.has("time_s") and varies(table["time_s"]):
        x, xlabel = table["time_s"] / 3600., "time [h]"
    else:
        x, xlabel = increment_axis(table)

    contact = [c for c in table.names
               if (CONTACT_RE.match(c) or INTERFACE_RE.match(c)) and table.has(c)]
    if not table.has("porosity") and not contact:
        skipped("porosity_contact.png",
                "no column 'porosity' and no column contact_area_<A>_<B>_m2")
        return
    panels = []
    if table.has("porosity"):
        panels.append("porosity")
    else:
        skipped("porosity panel of porosity_contact.png", "no column 'porosity'")
    if contact:
        panels.append("contact")
    else:
        skipped("contact area panel of porosity_contact.png",
                "no column contact_area_<A>_<B>_m2")

    fig, axes = plt.subplots(len(panels), 1, sharex=True, squeeze=False,
                             figsize=(8, 2.6 + 2.4 * len(panels)))
    for ax, panel in zip(axes[:, 0], panels):
        if panel == "porosity":
            ax.plot(x, table["porosity"], **LINE)
            ax.set_ylabel("porosity [-]")
        else:
            for c in contact:
                m = CONTACT_RE.match(c)
                label = pair_label(m.group(1), phases) if m else \
                    f"{INTERFACE_RE.match(c).group(1)}–electrolyte in contact"
                ax.plot(x, table[c] * 1e12, label=label, **LINE)
            ax.set_ylabel("contact area [µm²]")
            ax.legend(**LEGEND)
        ax.grid(True, alpha=0.3)
        mark_steps(ax, table, x)
    axes[-1, 0].set_xlabel(xlabel)
    if xlabel == "increment":
        integer_ticks(axes[-1, 0])
    axes[0, 0].set_title("Porosity and contact area")
    fig.tight_layout()
    save(fig, out_dir, "porosity_contact.png", written)


def plot_stress(table, out_dir, written, phases, include_pores):
    x, xlabel = increment_axis(table)
    chosen = []
    for phase in phases:
        cols = [(s, f"{s}_von_mises_{phase}_Pa") for s in STRESS_STATS]
        cols = [(s, c) for s, c in cols if table.has(c)]
        if not cols:
            continue
        if PORE_RE.match(phase) and not include_pores:
            skipped(f"stresses of phase '{phase}'", "pore phase (use --include-pores)")
            continue
        chosen.append((phase, cols))
    if not chosen:
        skipped("stress_per_phase.png", "no <stat>_von_mises_<phase>_Pa columns")
        return

    styles = {"mean": dict(color="C0"), "p50": dict(color="C2", linestyle="--"),
              "p99": dict(color="C1", linestyle="-."), "max": dict(color="C3")}
    fig, axes = plt.subplots(len(chosen), 1, sharex=True, squeeze=False,
                             figsize=(8, 1.4 + 2.4 * len(chosen)))
    for ax, (phase, cols) in zip(axes[:, 0], chosen):
        for stat, col in cols:
            ax.plot(x, table[col] * 1e-6, label=stat, **{**LINE, **styles[stat]})
        ax.set_ylabel("von Mises [MPa]")
        ax.set_title(phase, fontsize=10, loc="left")
        ax.grid(True, alpha=0.3)
        ax.legend(**LEGEND)
        mark_steps(ax, table, x)
    axes[-1, 0].set_xlabel(xlabel)
    if xlabel == "increment":
        integer_ticks(axes[-1, 0])
    fig.suptitle("von Mises stress per phase")
    fig.tight_layout()
    save(fig, out_dir, "stress_per_phase.png", written)


# --------------------------------------------------------------------------

def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="plot_summary.py",
        description="Plot a solidanode summary.csv to PNG files.")
    parser.add_argument("results_dir", metavar="RESULTS_DIR",
                        help="output directory of a run (holds summary.csv)")
    parser.add_argument("--out", metavar="DIR",
                        help="where to write the PNGs (default RESULTS_DIR/plots)")
    parser.add_argument("--include-pores", action="store_true",
                        help="also plot the stresses of pore/void phases")
    args = parser.parse_args(argv)

    csv_path = os.path.join(args.results_dir, "summary.csv")
    try:
        table = Table(csv_path)
    except PlotError as e:
        fail(str(e))

    out_dir = args.out or os.path.join(args.results_dir, "plots")
    try:
        os.makedirs(out_dir, exist_ok=True)
    except OSError as e:
        fail(f"cannot create output directory '{out_dir}': {e.strerror}")

    phases = phases_in_order(table)
    written = []
    try:
        plot_pressure_thickness(table, out_dir, written)
        plot_porosity_contact(table, out_dir, written, phases)
        plot_stress(table, out_dir, written, phases, args.include_pores)
    except OSError as e:
        fail(f"cannot write into '{out_dir}': {e.strerror or e}")

    if not written:
        fail(f"'{csv_path}': no usable columns (expected e.g. stack_pressure_Pa, "
             f"thickness_m, porosity, contact_area_<A>_<B>_m2, "
             f"mean_von_mises_<phase>_Pa)")
    print(f"{PROG}: wrote {len(written)} PNG file(s):")
    for p in written:
        print(f"  {p}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
