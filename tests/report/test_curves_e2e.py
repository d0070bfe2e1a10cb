"""Anytime curves of real runs (the local server, the real client and sandbox, real ARC tasks): `plot --curves`,
the HTML report and `compare`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import matplotlib.image as mpimg
import pytest

from arcbench.cli import main
from arcbench.report.curves import curve_of_logs
from arcbench.report.rundir import load_curve, load_run
from arcbench.testing.server import ScriptedServer
from tests.run.helpers import FLIPLR, IDENTITY, ROT180, answer, marker, summary

SAMPLES = 12


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    """An independent run drawing every sample (a right program 2 times in 12 for one task, once for another, never
    for the third) and a feedback run that finds the right program on its second turn."""
    base = tmp_path_factory.mktemp("curves")
    m1, m2 = marker("6150a2bd"), marker("67a3c6ac")
    out = {}
    with ScriptedServer() as server:
        server.set_script([
            {"match": m1, "content": answer(IDENTITY), "times": 4},
            {"match": m1, "content": answer(ROT180), "times": 2},
            {"match": m1, "content": "No code this time.", "times": 2},
            {"match": m1, "content": answer(FLIPLR)},
            {"match": m2, "content": answer(IDENTITY), "times": 7},
            {"match": m2, "content": answer(FLIPLR), "times": 1},
            {"match": m2, "content": answer(IDENTITY)},
        ])
        common = ["run", "--base-url", server.base_url, "--model", "scripted", "--quiet", "--price-in", "1",
                  "--price-out", "2", "--subset", "6150a2bd,67a3c6ac,68b16354", "--stop-when", "never"]
        out["independent"] = base / "independent"
        assert main([*common, "--run-dir", str(out["independent"]), "--mode", "independent", "--max-turns",
                     str(SAMPLES), "--max-workers", "3"]) == 0
        server.set_script([
            {"match": m1, "turn": 1, "content": answer(IDENTITY)},
            {"match": m1, "content": answer(ROT180)},
        ])
        out["feedback"] = base / "feedback"
        assert main([*common, "--run-dir", str(out["feedback"]), "--mode", "feedback", "--max-turns", "3"]) == 0
    return out


def test_independent_samples_are_averaged_over_random_orders_and_end_at_the_run_score(runs):
    curve = load_curve(load_run(runs["independent"]))
    assert curve.random_orders and curve.orders > 1 and curve.tasks == 3 and curve.samples_max == SAMPLES
    last = curve.points[-1]
    assert last.k == SAMPLES
    # The right programs solve every training pair, so they rank first in any order: all samples = the run's answer.
    assert last.pass2 == pytest.approx(summary(runs["independent"]).score) == pytest.approx(2 / 3)
    assert last.pass_at_k == pytest.approx(2 / 3)
    first = curve.points[0]
    assert first.pass_at_k == pytest.approx((2 / SAMPLES + 1 / SAMPLES) / 3)
    assert first.pass2_low <= first.pass2 <= first.pass2_high
    assert last.cost_usd == pytest.approx(summary(runs["independent"]).total_cost)


def test_feedback_turns_are_taken_in_the_order_drawn(runs):
    curve = load_curve(load_run(runs["feedback"]))
    assert curve.orders == 1 and not curve.random_orders
    assert [p.pass2 for p in curve.points] == pytest.approx([0.0, 1 / 3, 1 / 3])
    assert all(p.pass2_low == p.pass2 == p.pass2_high for p in curve.points)


def test_the_same_samples_reordered_by_a_config_that_allows_it_give_a_band(runs):
    run = load_run(runs["feedback"])
    config = run.config.config.model_copy(update={"mode": "independent"})
    assert curve_of_logs(list(run.tasks.values()), config).random_orders


def test_plot_curves_writes_a_png_and_prints_the_table(runs, capsys):
    assert main(["plot", str(runs["independent"]), "--curves"]) == 0
    printed = capsys.readouterr().out
    png = runs["independent"] / "plots" / "curves_independent.png"
    height, width, _ = mpimg.imread(png).shape
    assert width > height > 300
    assert re.search(r"│\s+12 │\s+66\.7% │", printed) and "curves_independent.png" in printed
    assert not list((runs["independent"] / "plots").glob("turn_*.png"))  # per-turn charts are not drawn


def test_plot_curves_on_one_task_log_is_refused_in_one_line(runs, capsys):
    log = runs["independent"] / "tasks" / "6150a2bd.json"
    assert main(["plot", str(log), "--curves"]) == 2
    err = capsys.readouterr().err
    assert "--curves draws a whole run" in err and len(err.strip().splitlines()) == 1


def test_html_report_draws_both_curves_inline(runs):
    assert main(["report", str(runs["independent"])]) == 0
    page = (runs["independent"] / "report.html").read_text()
    assert "Score after k samples per task" in page
    for axis in ("samples", "cost"):
        svg = re.search(rf'<svg class="curve" data-axis="{axis}".*?</svg>', page, re.S)
        assert svg and 'class="pass2"' in svg[0] and 'class="pass-k"' in svg[0] and 'class="band"' in svg[0]
    assert "1000 random orders" in page


def test_report_of_a_one_turn_run_has_no_curves(runs, tmp_path):
    with ScriptedServer() as server:
        run_dir = tmp_path / "one"
        assert main(["run", "--base-url", server.base_url, "--model", "scripted", "--quiet", "--subset", "6150a2bd",
                     "--max-turns", "1", "--run-dir", str(run_dir)]) == 0
    assert main(["report", str(run_dir)]) == 0
    assert "Score after k samples per task" not in (run_dir / "report.html").read_text()


def test_compare_shows_curves_in_the_table_and_the_json(runs, capsys):
    assert main(["compare", str(runs["independent"]), str(runs["feedback"])]) == 0
    table = capsys.readouterr().out
    assert "score after k samples per task" in table
    assert re.search(r"│\s+12 │ 66\.7% \[67–67%\] · 66\.7% · \$0\.\d+ │\s+– │", table)
    assert main(["compare", str(runs["independent"]), str(runs["feedback"]), "--json"]) == 0
    configs = json.loads(capsys.readouterr().out)["configs"]
    independent, feedback = (c["anytime"] for c in configs)
    assert independent["samples_max"] == SAMPLES and independent["random_orders"] is True
    assert [p["k"] for p in feedback["points"]] == [1, 2, 3] and feedback["orders"] == 1
