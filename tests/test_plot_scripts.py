#!/usr/bin/python3
"""Numbers behind the plots of postprocess/plot_summary.py and
postprocess/plot_study.py: state-of-charge branches, thickness change,
contact fraction, legend text, step labels, unit conversion of study
parameters, error bars over seeds, readable axis labels, and the message
when a module is missing.

    /usr/bin/python3 tests/test_plot_scripts.py SOURCE_DIR
"""
import csv
import os
import re
import subprocess
import sys
import tempfile
import unittest

SRC = os.path.abspath(sys.argv.pop(1) if len(sys.argv) > 1 else
                      os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(SRC, "postprocess"))

import numpy as np  # noqa: E402
import plot_summary as ps  # noqa: E402
import plot_study as pst  # noqa: E402

# A cell: press (2 rows), lithiate to 0.5 (5 rows), rest (2), delithiate to 0
# (5), lithiate to 0.5 (5), delithiate to 0.25 (2). Thickness grows 10 % per
# unit of state of charge from 10 um; pressure 1 MPa + 20 MPa * soc.
SOC = [0, 0, .1, .2, .3, .4, .5, .5, .5, .4, .3, .2, .1, 0, .1, .2, .3, .4, .5, .4, .25]
STEPS = ["press"] * 2 + ["lithiate"] * 5 + ["rest"] * 2 + ["delithiate"] * 5 + \
    ["lithiate"] * 5 + ["delithiate"] * 2


def write_protocol_table(path):
    cols = ["increment", "step", "step_name", "time_s", "state_of_charge", "thickness_m",
            "stack_pressure_Pa", "applied_pressure_Pa", "porosity",
            "interface_area_Si_m2", "interface_area_in_contact_Si_m2",
            "p50_von_mises_Si_Pa", "p99_von_mises_Si_Pa", "contact_area_Si_LPSCl_m2"]
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(cols)
        step = 0
        for i, (soc, name) in enumerate(zip(SOC, STEPS)):
            step += i == 0 or name != STEPS[i - 1]
            time = 0.0 if name == "press" else 600.0 * i
            w.writerow([i + 1, step, name, time, soc, 10e-6 * (1 + 0.1 * soc),
                        1e6 + 20e6 * soc, 1e6, 0.1 - 0.05 * soc,
                        200e-12, 200e-12 * (1 - 0.5 * soc),
                        1e8 * (1 + soc), 3e8 * (1 + soc), 331e-12])


class SummaryPlots(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp()
        write_protocol_table(os.path.join(cls.dir, "summary.csv"))
        cls.table = ps.Table(os.path.join(cls.dir, "summary.csv"))

    def test_branches(self):
        b = ps.soc_branches(np.array(SOC, dtype=float))
        self.assertEqual([(x["kind"], x["cycle"]) for x in b],
                         [("lithiation", 1), ("delithiation", 1),
                          ("lithiation", 2), ("delithiation", 2)])
        self.assertEqual(b[0]["rows"], [1, 2, 3, 4, 5, 6])      # starts at the pressed row
        self.assertEqual(b[1]["rows"], [8, 9, 10, 11, 12, 13])  # after the rest
        self.assertEqual(b[3]["rows"], [18, 19, 20])

    def test_battery_figure(self):
        branches = ps.soc_branches(self.table["state_of_charge"])
        fig = ps.battery_figure(self.table, branches)
        labels = [ax.get_ylabel() for ax in fig.axes]
        self.assertEqual(len(fig.axes), 4, labels)
        thick = fig.axes[0]
        lines = thick.get_lines()
        self.assertEqual(len(lines), 4)
        self.assertEqual([l.get_label() for l in lines],
                         ["cycle 1 lithiation", "cycle 1 delithiation",
                          "cycle 2 lithiation", "cycle 2 delithiation"])
        xs = np.concatenate([l.get_xdata() for l in lines])
        self.assertAlmostEqual(xs.min(), 0.0)
        self.assertAlmostEqual(xs.max(), 0.5)
        # thickness change from the pressed cell: 10 % per unit soc -> 5 % at 0.5
        y = lines[0].get_ydata()
        self.assertAlmostEqual(y[0], 0.0)
        self.assertAlmostEqual(y[-1], 5.0, places=9)
        self.assertIn("[%]", labels[0])
        # stack pressure in MPa: 1 + 20 * 0.5 = 11
        self.assertAlmostEqual(fig.axes[1].get_lines()[0].get_ydata()[-1], 11.0)
        self.assertIn("[MPa]", labels[1])
        # contact fraction 1 - 0.5 soc -> 0.75 at soc 0.5
        self.assertAlmostEqual(fig.axes[3].get_lines()[0].get_ydata()[-1], 0.75)
        ps.plt.close(fig)

    def test_held_pressure_is_drawn_flat(self):
        # 20 MPa held by load control, with the solver's 1e-5 relative noise:
        # the axis spans +-5 % of it instead of zooming into the noise.
        branches = ps.soc_branches(self.table["state_of_charge"])
        held = ps.Table(os.path.join(self.dir, "summary.csv"))
        noise = 1e-5 * np.sin(np.arange(len(SOC)))
        held.numeric["stack_pressure_Pa"] = 20e6 * (1 + noise)
        fig = ps.battery_figure(held, branches)
        low, high = fig.axes[1].get_ylim()
        self.assertAlmostEqual(low, 19.0, places=3)
        self.assertAlmostEqual(high, 21.0, places=3)
        ps.plt.close(fig)
        # a varying pressure keeps matplotlib's own range
        fig = ps.battery_figure(self.table, branches)
        low, high = fig.axes[1].get_ylim()
        self.assertLess(low, 1.5)
        self.assertGreater(high, 10.5)
        ps.plt.close(fig)

    def test_stress_figure(self):
        branches = ps.soc_branches(self.table["state_of_charge"])
        fig = ps.stress_figure(self.table, branches, ["Si"], False)
        lines = fig.axes[0].get_lines()
        self.assertEqual(len(lines), 8)  # p99 and p50 x 4 branches
        self.assertAlmostEqual(max(l.get_ydata().max() for l in lines), 450.0)  # MPa
        ps.plt.close(fig)

    def captured(self, plot, *args):
        figures = []
        saved = ps.save
        ps.save = lambda fig, out, name, written: figures.append(fig)
        try:
            plot(self.table, self.dir, [], *args)
        finally:
            ps.save = saved
        return figures[0]

    def test_legends_without_column_names(self):
        fig = self.captured(ps.plot_pressure_thickness)
        texts = [t.get_text() for ax in fig.axes if ax.get_legend()
                 for t in ax.get_legend().get_texts()]
        self.assertIn("stack pressure", texts)
        self.assertFalse([t for t in texts if re.search(r"_Pa|_m$", t)], texts)
        ps.plt.close(fig)

    def test_contact_panels(self):
        fig = self.captured(ps.plot_porosity_contact, ["Si", "LPSCl"])
        by_label = {ax.get_ylabel(): ax for ax in fig.axes}
        frac = by_label["active surface\nin contact [-]"].get_lines()[0].get_ydata()
        self.assertAlmostEqual(frac.max(), 1.0)
        self.assertAlmostEqual(frac.min(), 0.75)
        area = by_label["contact area [µm²]"].get_lines()[0]
        self.assertEqual(area.get_label(), "Si–LPSCl (voxel faces)")
        self.assertAlmostEqual(area.get_ydata()[0], 331.0)
        ps.plt.close(fig)

    def test_compaction_curves(self):
        # Two presses, at 90 and 25 degC: 0 -> 400 -> 2 MPa in a punch, one
        # row after at a constant pressure that is not a press row.
        def press_table(path, kelvin, densify):
            p = [100e6, 200e6, 300e6, 400e6, 200e6, 2e6]
            with open(path, "w", newline="") as f:
                w = csv.writer(f)
                w.writerow(["increment", "stack_mode", "stack_pressure_Pa", "temperature_K",
                            "porosity", "pressed_contact_area_m2"])
                for i, pi in enumerate(p):
                    peak = min(pi, 400e6) if i < 4 else 400e6
                    w.writerow([i + 1, "punch", pi, kelvin,
                                0.3 - densify * peak / 400e6 + (0.01 if i > 3 else 0.),
                                1e-12 * peak / 400e6])
                w.writerow([7, "pressure", 2e6, kelvin, 0.25, 1e-12])
        hot, cold = tempfile.mkdtemp(), tempfile.mkdtemp()
        press_table(os.path.join(hot, "summary.csv"), 363.15, 0.06)
        press_table(os.path.join(cold, "summary.csv"), 298.15, 0.05)
        figures = []
        saved = ps.save
        ps.save = lambda fig, out, name, written: (figures.append((name, fig)),
                                                   written.append(name))
        try:
            ps.main([hot, "--compare", cold, "--out", tempfile.mkdtemp()])
        finally:
            ps.save = saved
        fig = dict(figures)["compaction.png"]
        ax = fig.axes[0]
        lines = {l.get_label(): l for l in ax.get_lines()}
        self.assertEqual(sorted(lines), ["25 °C, loading", "25 °C, unloading",
                                         "90 °C, loading", "90 °C, unloading"])
        load = lines["90 °C, loading"]
        self.assertEqual(list(load.get_xdata()), [100., 200., 300., 400.])
        self.assertAlmostEqual(load.get_ydata()[-1], 0.24)
        unload = lines["25 °C, unloading"]
        self.assertEqual(list(unload.get_xdata()), [400., 200., 2.])   # not the 7th row
        self.assertAlmostEqual(unload.get_ydata()[-1], 0.26)
        contact = {l.get_label(): l for l in fig.axes[1].get_lines()}
        self.assertAlmostEqual(contact["90 °C, loading"].get_ydata()[-1], 1.0)  # µm²
        for _, f in figures:
            ps.plt.close(f)

    def test_step_labels_do_not_overprint(self):
        names = ["press", "hold", "set_soc", "press", "lithiate", "rest", "delithiate"]
        pos = [0.0, 0.0, 0.0, 0.1, 5.0, 5.2, 10.0]
        out = ps.step_label_groups(pos, names, span=10.0)
        self.assertEqual([t for _, t, _ in out],
                         ["press / hold / set_soc", "lithiate / rest", "delithiate"])
        out = ps.step_label_groups([0, 1, 2], ["a", "b", "c"], span=10.0)
        self.assertEqual([lvl for *_, lvl in out], [0, 1, 0])
        # A long first label still runs where the third starts: a third height.
        out = ps.step_label_groups([0, 2, 4], ["x" * 60, "strip at a fixed gap again", "c"], span=10.0)
        self.assertEqual([lvl for *_, lvl in out], [0, 1, 2])
        out = ps.step_label_groups([0, 2, 6], ["x" * 60, "b", "c"], span=10.0)
        self.assertEqual([lvl for *_, lvl in out], [0, 1, 0])


class StudyPlots(unittest.TestCase):
    def test_units_are_honoured(self):
        self.assertEqual(pst.si_value("500 kPa"), (5e5, "pressure"))
        pos, unit = pst.x_axis(["500 kPa", "1 MPa", "2 MPa"])
        self.assertEqual(unit, "MPa")
        np.testing.assert_allclose(pos, [0.5, 1.0, 2.0])
        pos, unit = pst.x_axis(["40 nm", "0.1 um"])
        np.testing.assert_allclose(pos, [0.04, 0.1])
        self.assertEqual(unit, "µm")
        self.assertEqual(pst.x_axis(["0.2", "0.3"]), ([0.2, 0.3], ""))
        self.assertEqual(pst.x_axis(["1 MPa", "1 um"]), (None, ""))
        self.assertEqual(sorted(["2 MPa", "500 kPa", "1 MPa"], key=pst.sort_key),
                         ["500 kPa", "1 MPa", "2 MPa"])

    def test_readable_labels(self):
        self.assertEqual(pst.readable("steps[0].top"), "top load (step 1)")
        self.assertEqual(pst.readable("microstructure.generate.pores.volume_fraction"),
                         "pores volume fraction")
        self.assertEqual(pst.readable("microstructure.build.layers[1].populations[0].diameter"),
                         "diameter (layer 2, population 1)")

    def test_error_bars_over_seeds(self):
        d = tempfile.mkdtemp()
        path = os.path.join(d, "study.csv")
        with open(path, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["case", "status", "steps[0].top", "microstructure.generate.seed",
                        "final_stack_pressure_Pa"])
            for i, (p, seed, v) in enumerate([("2 MPa", 1, 3e6), ("500 kPa", 1, 1e6),
                                               ("1 MPa", 1, 2e6), ("500 kPa", 2, 3e6),
                                               ("1 MPa", 2, 2e6), ("2 MPa", 2, 5e6),
                                               ("2 MPa", 3, 0.0)]):
                w.writerow([f"case_{i}", "finished" if seed < 3 else "failed", p, seed, v])
        a = pst.parse_args([path, "--x", "steps[0].top", "--seed",
                            "microstructure.generate.seed"])
        with open(path, newline="") as f:
            done = [r for r in csv.DictReader(f) if r["status"] == "finished"]
        xs = sorted({r[a.x] for r in done}, key=pst.sort_key)
        fig = pst.study_figure(done, a, "final_stack_pressure_Pa", xs, [None])
        ax = fig.axes[0]
        line = ax.get_lines()[0]
        np.testing.assert_allclose(np.asarray(line.get_xdata(), float), [0.5, 1.0, 2.0])
        np.testing.assert_allclose(np.asarray(line.get_ydata(), float), [2.0, 2.0, 4.0])  # MPa
        segs = ax.collections[0].get_segments()   # error bars: std of two seeds
        np.testing.assert_allclose([s[1][1] - s[0][1] for s in segs],
                                   [2 * 2 ** 0.5, 0.0, 2 * 2 ** 0.5])
        self.assertEqual(ax.get_xlabel(), "top load (step 1) [MPa]")
        self.assertEqual(ax.get_ylabel(), "final stack pressure [MPa]")
        pst.plt.close(fig)


class Launching(unittest.TestCase):
    def test_missing_module_is_named(self):
        for script in ("plot_summary.py", "plot_study.py", "render.py"):
            # -S: no site-packages, so numpy, matplotlib and vtk are missing
            r = subprocess.run([sys.executable, "-S", os.path.join(SRC, "postprocess", script),
                                "x.csv", "--x", "a"], capture_output=True, text=True)
            self.assertNotEqual(r.returncode, 0)
            self.assertRegex(r.stderr, r"No module named '(numpy|matplotlib|vtk)'")
            self.assertRegex(r.stderr, r"python3-(matplotlib|vtk9)")
            self.assertNotIn("Traceback", r.stderr)

    def test_shebang_and_study_commands(self):
        for script in ("plot_summary.py", "plot_study.py", "render.py"):
            path = os.path.join(SRC, "postprocess", script)
            with open(path) as f:
                self.assertEqual(f.readline().strip(), "#!/usr/bin/python3")
            self.assertTrue(os.access(path, os.X_OK), path)
        studies = os.path.join(SRC, "inputs", "studies")
        for name in os.listdir(studies):
            with open(os.path.join(studies, name)) as f:
                for line in f:
                    if "plot_study.py" in line:
                        self.assertRegex(line, r"#\s+postprocess/plot_study\.py ", name)


if __name__ == "__main__":
    unittest.main(verbosity=2)
