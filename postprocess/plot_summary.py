#!/usr/bin/python3
"""Turn a solidanode summary.csv into PNG plots.

    /usr/bin/python3 postprocess/plot_summary.py RESULTS_DIR [--out DIR] [--include-pores]

Reads RESULTS_DIR/summary.csv (one row per increment; column names carry
their unit: _Pa, _m, _m2, _s) and writes, into DIR (default
RESULTS_DIR/plots/):

  pressure_thickness.png  stack pressure [MPa] and thickness [um] vs time
                          [h] with panels of the state of charge and of the
                          plated Li [um] where they vary (protocol runs),
                          else vs state_of_charge, else vs the first
                          eigenstrain_<phase> that varies, else vs increment
  porosity_contact.png    porosity, the fraction of each active phase's
                          surface in contact with the electrolyte
                          (interface_area_in_contact_<P>_m2 /
                          interface_area_<P>_m2) and the voxel-face contact
                          area per phase pair [um^2] (contact_area_<A>_<B>_m2)
                          vs time [h], else increment
  stress_per_phase.png    mean / p50 / p99 / max von Mises stress [MPa] per
                          phase vs increment (pore/void phases only with
                          --include-pores)
  battery_soc.png         (when state_of_charge varies) thickness change [%]
                          from the start of the first lithiation, stack
                          pressure [MPa], porosity and active surface in
                          contact vs state of charge; lithiation (solid, ^)
                          and delithiation (dashed, v) as separate branches,
                          one colour per cycle
  stress_soc.png          p99 and p50 von Mises [MPa] per phase vs state of
                          charge, same branches
  compaction.png          (when the run presses with a punch) porosity and
                          the contact made across closed pores [um^2] vs
                          stack pressure [MPa], loading (solid) and
                          unloading (dashed); with --compare DIR... the
                          same curves of other runs, labelled by their
                          pressing temperature (or directory)

Step names are written where a load step starts; steps that start at the
same time (press and set_soc take no time) share one label.

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


def hold_flat_axis(ax, values):
    """A quantity held constant (a stack pressure under load control) varies
    by the solver's tolerance only; matplotlib would zoom into that noise
    and print an offset. Show it as flat: +-5 % around its value (+-1 when
    it is zero), without offset."""
    finite = np.concatenate([v[np.isfinite(v)] for v in values])
    if finite.size == 0:
        return
    centre, spread = finite.mean(), finite.max() - finite.min()
    scale = abs(centre) if centre != 0 else 1.0
    if spread <= 1e-4 * scale:
        ax.set_ylim(centre - 0.05 * scale, centre + 0.05 * scale)
        ax.ticklabel_format(axis="y", useOffset=False)


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


def step_starts(table):
    """(row index, name) where a new load step starts, or [] when the table
    has a single step."""
    names = table.text.get("step_name")
    if names is None and table.has("step"):
        names = [f"step {int(s)}" if np.isfinite(s) else "" for s in table["step"]]
    if names is None or len(set(names)) < 2:
        return []
    return [(i, n) for i, n in enumerate(names) if i == 0 or n != names[i - 1]]


def step_label_groups(positions, names, span, min_gap=0.06, max_names=3, char_frac=0.0085,
                      levels=3):
    """Merge step starts that lie closer than min_gap * span to the first
    start of their group (press and set_soc steps take no time, so several
    start at the same time): one label per group, names joined by ' / '
    (at most max_names, then '+N'). A label goes one height down when the
    previous label, on the top height, starts within 3 min_gap * span, and
    onto the highest of `levels` heights where no earlier label's text
    (char_frac * span per character, fontsize 7 on an 8 inch wide figure)
    still runs. Returns [(x, text, level)], level 0 .. levels - 1."""
    groups = []
    for x, name in zip(positions, names):
        if groups and abs(x - groups[-1][0]) < min_gap * span:
            if name not in groups[-1][1]:
                groups[-1][1].append(name)
        else:
            groups.append((x, [name]))
    out = []
    ends = [-np.inf] * levels  # where the text on each height ends
    for k, (x, group) in enumerate(groups):
        shown = group[:max_names]
        text = " / ".join(shown) + (f" +{len(group) - max_names}" if len(group) > max_names else "")
        close = k > 0 and out[-1][2] == 0 and abs(x - out[-1][0]) < 3 * min_gap * span
        free = [lvl for lvl in range(levels) if ends[lvl] <= x and not (close and lvl == 0)]
        level = free[0] if free else int(np.argmin(ends))
        ends[level] = x + (len(text) + 1) * char_frac * span
        out.append((x, text, level))
    return out


def mark_steps(ax, table, x):
    """Dotted lines where a new load step starts and one label per group of
    starts that fall together (x must be increment or time, i.e. monotonic)."""
    starts = step_starts(table)
    if not starts:
        return
    positions = [x[0] if i == 0 else 0.5 * (x[i - 1] + x[i]) for i, _ in starts]
    for i, xb in zip((i for i, _ in starts), positions):
        if i > 0:
            ax.axvline(xb, color="0.6", linestyle=":", linewidth=1)
    finite = x[np.isfinite(x)]
    span = float(finite.max() - finite.min()) if finite.size else 1.0
    for xb, text, level in step_label_groups(positions, [n for _, n in starts], span or 1.0):
        ax.text(xb, 0.98 - 0.1 * level, f" {text}", transform=ax.get_xaxis_transform(),
                va="top", ha="left", fontsize=7, color="0.35")


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

PANEL_NAMES = {"stack_pressure_Pa": "stack pressure", "thickness_m": "thickness",
               "state_of_charge": "state of charge", "plated_li_thickness_m": "plated Li"}


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
        if table.has("state_of_charge") and varies(table["state_of_charge"]):
            panels.insert(0, ("state_of_charge", "state of charge [-]", 1.))
        if table.has("plated_li_thickness_m") and varies(table["plated_li_thickness_m"]):
            panels.insert(0, ("plated_li_thickness_m", "plated Li [µm]", 1e6))
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
        ax.plot(x, table[col] * scale, label=PANEL_NAMES.get(col, col), **LINE)
        if col == "stack_pressure_Pa" and table.has("applied_pressure_Pa"):
            ax.plot(x, table["applied_pressure_Pa"] * scale, color="0.5",
                    linestyle="--", linewidth=1, label="applied pressure")
            ax.legend(**LEGEND)
        hold_flat_axis(ax, [table[col] * scale])
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


def contact_columns(table):
    """Split the contact columns: [(phase, in_contact_col, total_col)] for
    active phases whose whole interface area is a column too (plotted as a
    fraction), and the remaining absolute areas [(label, col)] (voxel faces
    between two solids, or an in-contact area without its total)."""
    fractions, areas = [], []
    for c in table.names:
        m = INTERFACE_RE.match(c)
        if m and table.has(c):
            total = f"interface_area_{m.group(1)}_m2"
            if table.has(total):
                fractions.append((m.group(1), c, total))
            else:
                areas.append((f"{m.group(1)}–electrolyte in contact", c))
    return fractions, areas


def contact_fraction(table, in_contact, total):
    """Fraction of the active surface in contact (NaN where the area is 0)."""
    t = table[total]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(t > 0, table[in_contact] / t, np.nan)


def plot_porosity_contact(table, out_dir, written, phases):
    if table.has("time_s") and varies(table["time_s"]):
        x, xlabel = table["time_s"] / 3600., "time [h]"
    else:
        x, xlabel = increment_axis(table)

    fractions, areas = contact_columns(table)
    areas = [(pair_label(CONTACT_RE.match(c).group(1), phases) + " (voxel faces)", c)
             for c in table.names if CONTACT_RE.match(c) and table.has(c)] + areas
    if not table.has("porosity") and not fractions and not areas:
        skipped("porosity_contact.png",
                "no column 'porosity' and no column contact_area_<A>_<B>_m2")
        return
    panels = []
    if table.has("porosity"):
        panels.append("porosity")
    else:
        skipped("porosity panel of porosity_contact.png", "no column 'porosity'")
    if fractions:
        panels.append("fraction")
    if areas:
        panels.append("contact")
    if not fractions and not areas:
        skipped("contact area panel of porosity_contact.png",
                "no column contact_area_<A>_<B>_m2")

    fig, axes = plt.subplots(len(panels), 1, sharex=True, squeeze=False,
                             figsize=(8, 2.6 + 2.4 * len(panels)))
    for ax, panel in zip(axes[:, 0], panels):
        if panel == "porosity":
            ax.plot(x, table["porosity"], **LINE)
            ax.set_ylabel("porosity [-]")
        elif panel == "fraction":
            for phase, c, total in fractions:
                ax.plot(x, contact_fraction(table, c, total), label=f"{phase} surface", **LINE)
            ax.set_ylabel("active surface\nin contact [-]")
            ax.legend(**LEGEND)
        else:
            for label, c in areas:
                ax.plot(x, table[c] * 1e12, label=label, **LINE)
            ax.set_ylabel("contact area [µm²]")
            ax.legend(**LEGEND)
        ax.grid(True, alpha=0.3)
        mark_steps(ax, table, x)
    axes[-1, 0].set_xlabel(xlabel)
    if xlabel == "increment":
        integer_ticks(axes[-1, 0])
    axes[0, 0].set_title("Porosity and contact")
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
# Against state of charge: lithiation and delithiation branches per cycle
# --------------------------------------------------------------------------

def soc_branches(soc, tol=1e-6):
    """Split the rows into branches along which the state of charge rises
    (lithiation) or falls (delithiation). Rows where it stays within tol
    (press, hold, rest) belong to no branch, unless the branch before them
    goes on in the same direction after them (a rest inside a lithiation,
    or time steps too short to move the state of charge): then they join
    it. Each branch starts at the row before its first change, so that the
    curve is continuous. The cycle count goes up when a lithiation follows
    a delithiation.
    Returns [dict(kind='lithiation'|'delithiation', cycle=int, rows=[...])]."""
    branches, cycle, delithiated = [], 1, False
    current = None
    for i in range(1, len(soc)):
        d = soc[i] - soc[i - 1]
        if not (np.isfinite(d) and abs(d) > tol):
            current = None
            continue
        kind = "lithiation" if d > 0 else "delithiation"
        if current is None and branches and branches[-1]["kind"] == kind:
            current = branches[-1]  # resumed after a pause: the same branch
            current["rows"].extend(range(current["rows"][-1] + 1, i))
        if current is None or current["kind"] != kind:
            if kind == "lithiation" and delithiated:
                cycle, delithiated = cycle + 1, False
            delithiated = delithiated or kind == "delithiation"
            current = dict(kind=kind, cycle=cycle, rows=[i - 1])
            branches.append(current)
        current["rows"].append(i)
    return branches


def branch_style(branch):
    lith = branch["kind"] == "lithiation"
    return dict(color=f"C{(branch['cycle'] - 1) % 10}", linestyle="-" if lith else "--",
                marker="^" if lith else "v", markersize=3.5, linewidth=1.5)


def branch_name(branch):
    return f"cycle {branch['cycle']} {branch['kind']}"


def thickness_change_percent(table, branches):
    """Thickness change [%] relative to the thickness where the first
    lithiation starts (the pressed cell), else where the first branch starts."""
    lith = [b for b in branches if b["kind"] == "lithiation"]
    ref_row = (lith or branches)[0]["rows"][0]
    t = table["thickness_m"]
    return 100.0 * (t / t[ref_row] - 1.0)


def battery_panels(table, branches):
    """[(y label, [(curve label or None, values)])] for battery_soc.png."""
    panels = []
    if table.has("thickness_m"):
        panels.append(("thickness change [%]\n(from start of lithiation)",
                       [(None, thickness_change_percent(table, branches))]))
    if table.has("stack_pressure_Pa"):
        panels.append(("stack pressure [MPa]", [(None, table["stack_pressure_Pa"] * 1e-6)]))
    if table.has("porosity"):
        panels.append(("porosity [-]", [(None, table["porosity"])]))
    fractions, _ = contact_columns(table)
    if fractions:
        curves = [(phase if len(fractions) > 1 else None, contact_fraction(table, c, t))
                  for phase, c, t in fractions]
        panels.append(("active surface\nin contact [-]", curves))
    return panels


def draw_branches(ax, soc, curves, branches, legend):
    for label, y in curves:
        for b in branches:
            rows = b["rows"]
            name = branch_name(b) + (f", {label}" if label else "")
            ax.plot(soc[rows], y[rows], label=name if legend or label else None,
                    **branch_style(b))
    ax.grid(True, alpha=0.3)


def battery_figure(table, branches):
    """Thickness change, stack pressure, porosity and contact fraction vs
    state of charge, one curve per branch. Returns the figure, or None when
    no column is there to plot."""
    panels = battery_panels(table, branches)
    if not panels:
        return None
    soc = table["state_of_charge"]
    fig, axes = plt.subplots(len(panels), 1, sharex=True, squeeze=False,
                             figsize=(8, 1.4 + 2.3 * len(panels)))
    for k, (ax, (ylabel, curves)) in enumerate(zip(axes[:, 0], panels)):
        draw_branches(ax, soc, curves, branches, legend=k == 0)
        hold_flat_axis(ax, [y for _, y in curves])
        ax.set_ylabel(ylabel)
        if k == 0 or any(label for label, _ in curves):
            ax.legend(**LEGEND)
    axes[-1, 0].set_xlabel("state of charge [-]")
    axes[0, 0].set_title("Cell response vs state of charge")
    fig.tight_layout()
    return fig


def stress_figure(table, branches, phases, include_pores):
    """p50 and p99 von Mises per solid phase vs state of charge (None when
    the table has no percentiles)."""
    chosen = [p for p in phases if (include_pores or not PORE_RE.match(p)) and
              any(table.has(f"{s}_von_mises_{p}_Pa") for s in ("p50", "p99"))]
    if not chosen:
        return None
    soc = table["state_of_charge"]
    fig, axes = plt.subplots(len(chosen), 1, sharex=True, squeeze=False,
                             figsize=(8, 1.4 + 2.3 * len(chosen)))
    for ax, phase in zip(axes[:, 0], chosen):
        curves = [(s, table[f"{s}_von_mises_{phase}_Pa"] * 1e-6) for s in ("p99", "p50")
                  if table.has(f"{s}_von_mises_{phase}_Pa")]
        draw_branches(ax, soc, curves, branches, legend=True)
        ax.set_ylabel("von Mises [MPa]")
        ax.set_title(phase, fontsize=10, loc="left")
        ax.legend(**LEGEND)
    axes[-1, 0].set_xlabel("state of charge [-]")
    fig.suptitle("von Mises stress percentiles vs state of charge")
    fig.tight_layout()
    return fig


def plot_battery(table, out_dir, written, phases, include_pores):
    if not table.has("state_of_charge") or not varies(table["state_of_charge"]):
        skipped("battery_soc.png and stress_soc.png", "no varying column state_of_charge")
        return
    branches = soc_branches(table["state_of_charge"])
    fig = battery_figure(table, branches)
    if fig is None:
        skipped("battery_soc.png", "no thickness, pressure, porosity or contact column")
    else:
        save(fig, out_dir, "battery_soc.png", written)
    fig = stress_figure(table, branches, phases, include_pores)
    if fig is None:
        skipped("stress_soc.png", "no p50/p99_von_mises_<phase>_Pa columns")
    else:
        save(fig, out_dir, "stress_soc.png", written)


# --------------------------------------------------------------------------

def press_rows(table):
    """Indices of the rows pressed by a punch (stack_mode 'punch')."""
    modes = table.text.get("stack_mode")
    if modes is None or not table.has("stack_pressure_Pa"):
        return []
    return [i for i, m in enumerate(modes) if m == "punch"]


def run_labels(runs):
    """runs: [(directory, table)] -> one label per run: its pressing
    temperature when the runs differ in it, else its directory's name."""
    def temperature(t):
        rows = press_rows(t)
        return t["temperature_K"][rows[0]] if rows and t.has("temperature_K") else None
    temps = [temperature(t) for _, t in runs]
    if None not in temps and max(temps) - min(temps) > 0.05:
        return [f"{T - 273.15:.0f} °C" for T in temps]
    return [os.path.basename(os.path.normpath(d)) for d, _ in runs]


def plot_compaction(runs, out_dir, written):
    """runs: [(label, table)]; the first is the run being plotted."""
    pressed = [(label, t, press_rows(t)) for label, t in runs]
    if not pressed[0][2]:
        return  # the run has no press: nothing to plot, nothing missing
    contact = "pressed_contact_area_m2"
    panels = ["porosity"] + ([contact] if pressed[0][1].has(contact) else [])
    fig, axes = plt.subplots(len(panels), 1, sharex=True, squeeze=False,
                             figsize=(8, 2.6 + 2.4 * len(panels)))
    for k, (label, t, rows) in enumerate(pressed):
        if not rows:
            continue
        p = t["stack_pressure_Pa"][rows] / 1e6
        peak = int(np.argmax(p))
        colour = f"C{k}"
        for ax, column in zip(axes[:, 0], panels):
            if not t.has(column):
                continue
            y = t[column][rows] * (1e12 if column == contact else 1.)
            ax.plot(p[:peak + 1], y[:peak + 1], "-o", color=colour, ms=3,
                    label=f"{label}, loading")
            if peak + 1 < len(rows):
                ax.plot(p[peak:], y[peak:], "--v", color=colour, ms=3,
                        label=f"{label}, unloading")
    axes[0, 0].set_ylabel("porosity [-]")
    if len(panels) > 1:
        axes[1, 0].set_ylabel("contact across\nclosed pores [µm²]")
    for ax in axes[:, 0]:
        ax.grid(True, alpha=0.3)
    axes[0, 0].legend(**LEGEND)
    axes[-1, 0].set_xlabel("stack pressure [MPa]")
    axes[0, 0].set_title("Compaction: loading and unloading")
    fig.tight_layout()
    save(fig, out_dir, "compaction.png", written)


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
    parser.add_argument("--compare", metavar="DIR", nargs="+", default=[],
                        help="other runs whose compaction curves to overlay")
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

    compared = [(args.results_dir, table)]
    for d in args.compare:
        try:
            compared.append((d, Table(os.path.join(d, "summary.csv"))))
        except PlotError as e:
            fail(f"--compare: {e}")
    runs = list(zip(run_labels(compared), [t for _, t in compared]))

    phases = phases_in_order(table)
    written = []
    try:
        plot_pressure_thickness(table, out_dir, written)
        plot_porosity_contact(table, out_dir, written, phases)
        plot_stress(table, out_dir, written, phases, args.include_pores)
        plot_battery(table, out_dir, written, phases, args.include_pores)
        plot_compaction(runs, out_dir, written)
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
