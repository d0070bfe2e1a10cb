"""`arcbench compare` as people read it in an 80-column terminal: runs labelled by what differs between them with a
legend to their folders, costs that say unknown when unknown and show small amounts, the scoring rules stated."""

from __future__ import annotations

import re
from pathlib import Path

from arcbench.cli import main
from arcbench.llm.pricing import usd
from arcbench.report.terminal import money
from tests.report.make_run import (
    FLIP_TASK,
    TaskSpec,
    TurnSpec,
    base_config,
    flip,
    make_task_log,
    solved_log,
    unsolved_log,
    write_run,
)

LONG_A = "20261129T013022Z_arc-agi-1_shortest_training_10_SmolLM2-135M-Instruct"
LONG_B = "20261129T013512Z_arc-agi-1_shortest_training_10_SmolLM2-135M-Instruct"


def _two_runs(tmp_path: Path, **b_config) -> tuple[Path, Path]:
    a = write_run(tmp_path / LONG_A, [solved_log("t1"), unsolved_log("t2")],
                  base_config(None, model="SmolLM2-135M-Instruct"))
    b = write_run(tmp_path / LONG_B, [unsolved_log("t1"), unsolved_log("t2")],
                  base_config(None, model="SmolLM2-135M-Instruct", **b_config))
    return a, b


def _tables(out: str) -> list[str]:
    return [line for line in out.splitlines() if line[:1] in "┏┃┡│└┌├┗╇╞╘╒╔║╚"]


def test_at_80_columns_runs_are_labelled_by_what_differs_with_a_legend(tmp_path: Path, capsys):
    a, b = _two_runs(tmp_path, mode="independent", max_turns=5)
    assert main(["compare", str(a), str(b)]) == 0
    out = capsys.readouterr().out
    assert all(len(line) <= 80 for line in _tables(out)), "\n".join(_tables(out))
    assert "…" not in "\n".join(_tables(out))  # nothing cut
    header = next(line for line in _tables(out) if "feedback" in line)
    assert "feedback · 3 turns" in header and "independent · 5 turns" in header
    assert "SmolLM2" not in header  # the model is the same: not part of the labels
    assert f"feedback · 3 turns = {a}" in out and f"independent · 5 turns = {b}" in out


def test_runs_that_differ_in_model_and_effort_are_labelled_by_them(tmp_path: Path, capsys):
    a = write_run(tmp_path / "a", [solved_log("t1")], base_config(None, model="openai/o4-mini"))
    b_config = base_config(None, model="openai/o4-mini")
    b_config.config.client.reasoning_effort = "high"
    c = write_run(tmp_path / "c", [solved_log("t1")], base_config(None, model="qwen3-8b"))
    b = write_run(tmp_path / "b", [solved_log("t1")], b_config)
    assert main(["compare", str(a), str(b), str(c)]) == 0
    out = capsys.readouterr().out
    assert all(len(line) <= 80 for line in _tables(out))
    for label in ("o4-mini", "o4-mini · effort high", "qwen3-8b"):
        assert re.search(rf"^{re.escape(label)} = ", out, re.M), label


def test_identical_configurations_are_lettered(tmp_path: Path, capsys):
    a, b = _two_runs(tmp_path)
    assert main(["compare", str(a), str(b)]) == 0
    out = capsys.readouterr().out
    assert f"A = {a}" in out and f"B = {b}" in out


def test_a_cost_that_is_not_known_at_all_is_unknown_not_partial(tmp_path: Path, capsys):
    unpriced = TurnSpec(flip, cost_usd=None)
    spec = TaskSpec("t1", FLIP_TASK.train, FLIP_TASK.test_inputs, FLIP_TASK.test_outputs)
    a = write_run(tmp_path / "a", [make_task_log(spec, [unpriced])], base_config(None))
    b = write_run(tmp_path / "b", [make_task_log(spec, [TurnSpec(flip, cost_usd=0.00005)])], base_config(None))
    assert main(["compare", str(a), str(b)]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if line.strip("│┃ ").startswith("cost "))
    assert "unknown" in row and "partial" not in row and "$0.000050" in row


def test_small_costs_keep_enough_digits():
    assert usd(0.00005) == "$0.000050" and money(0.00005) == "$0.000050"
    assert usd(0.0012345) == "$0.0012" and usd(0.0123) == "$0.0123" and usd(0.5) == "$0.5000"
    assert usd(12.345) == "$12.35" and usd(1234.5) == "$1,234.50" and usd(0.0) == "$0.00"
    assert money(None) == "unknown" and money(0.00005, known=False).startswith("$0.000050+")


def test_the_scoring_rules_are_stated_under_the_numbers(tmp_path: Path, capsys):
    a, b = _two_runs(tmp_path)
    assert main(["compare", str(a), str(b)]) == 0
    out = capsys.readouterr().out
    assert "API failure" in out and "count as 0" in out and "left out of the paired comparison" in out
