"""`arcbench compare` on hand-made run directories with known answers."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arcbench.cli import main
from arcbench.report.compare import compare_runs
from arcbench.report.rundir import load_run
from arcbench.report.stats import mcnemar_exact
from tests.report.make_run import (
    FLIP_TASK,
    TaskSpec,
    TurnSpec,
    base_config,
    make_task_log,
    solved_log,
    unsolved_log,
    write_repeat_run,
    write_run,
)


def test_mcnemar_exact_known_values():
    assert mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(1, 1) == 1.0
    assert mcnemar_exact(3, 0) == 0.25  # 2 * (1/2)^3
    assert mcnemar_exact(0, 5) == 0.0625
    assert mcnemar_exact(10, 2) == pytest.approx(2 * (1 + 12 + 66) / 4096)  # = 0.0386
    assert mcnemar_exact(2, 10) == mcnemar_exact(10, 2)


@given(st.integers(0, 300), st.integers(0, 300))
def test_mcnemar_is_a_probability_and_symmetric(b: int, c: int):
    p = mcnemar_exact(b, c)
    assert 0.0 < p <= 1.0
    assert p == mcnemar_exact(c, b)
    if b == c:
        assert p == 1.0


def test_mcnemar_matches_the_binomial_sum_for_a_large_sample():
    p = mcnemar_exact(400, 350)
    exact = 2 * Fraction(sum(math.comb(750, i) for i in range(351)), 2**750)
    assert p == float(exact) and 0.05 < p < 0.1


def _pair_runs(tmp_path: Path) -> tuple[Path, Path]:
    """12 tasks in common: 2 solved by both, 8 only by A, 1 only by B, 1 by neither; plus a task only A ran and a
    task B lost to an API failure (both left out of the pairing)."""
    both = [f"both{i}" for i in range(2)]
    only_a = [f"onlya{i}" for i in range(8)]
    only_b = ["onlyb0"]
    neither = ["neither0"]
    a = ([solved_log(t) for t in both + only_a] + [unsolved_log(t) for t in only_b + neither]
         + [solved_log("extra_a"), solved_log("lostinb")])
    spec = TaskSpec("lostinb", FLIP_TASK.train, FLIP_TASK.test_inputs, FLIP_TASK.test_outputs)
    b = ([solved_log(t) for t in both + only_b] + [unsolved_log(t) for t in only_a + neither]
         + [make_task_log(spec, [TurnSpec(None, api_error=True, cost_usd=None)])])
    return (write_run(tmp_path / "A", a, base_config(None, model="model-a")),
            write_run(tmp_path / "B", b, base_config(None, model="model-b", mode="independent")))


def test_paired_comparison_counts_discordant_tasks_and_tests_them(tmp_path: Path):
    a, b = _pair_runs(tmp_path)
    c = compare_runs([load_run(a), load_run(b)])
    (p,) = c.pairs
    assert p.tasks_in_common == 12
    assert p.both_solved == 2 and p.neither_solved == 1
    assert p.only_a == [f"onlya{i}" for i in range(8)] and p.only_b == ["onlyb0"]
    assert p.p_value == pytest.approx(2 * (1 + 9) / 2**9)  # 9 discordant, 1 of them for B: 0.0390625


def test_configurations_side_by_side(tmp_path: Path):
    a, b = _pair_runs(tmp_path)
    ca, cb = compare_runs([load_run(a), load_run(b)]).configs
    assert (ca.name, ca.model, cb.model, cb.mode) == ("A", "model-a", "model-b", "independent")
    assert ca.tasks == 14 and ca.solved.mean == 12 and ca.score.mean == pytest.approx(12 / 14)
    assert cb.tasks == 13 and cb.solved.mean == 3 and cb.scored_tasks.mean == 12 and cb.api_failures.mean == 1
    assert ca.tokens.mean == 14 * 150 and ca.turns.mean == 14
    assert ca.cost_usd.mean == pytest.approx(14 * 0.001) and ca.cost_known
    assert ca.cost_per_solved.mean == pytest.approx(14 * 0.001 / 12)
    assert not cb.cost_known  # the failed call's price was unknown: B's cost covers the priced calls only
    assert ca.score.ci95_low is None  # one run: no interval


def test_repeat_runs_give_means_with_t_confidence_intervals(tmp_path: Path):
    runs = [[solved_log("x"), unsolved_log("y")], [unsolved_log("x"), unsolved_log("y")],
            [solved_log("x"), unsolved_log("y")]]
    rep = write_repeat_run(tmp_path / "rep", runs, base_config(None))
    single = write_run(tmp_path / "one", [unsolved_log("x"), solved_log("y")], base_config(None))
    c = compare_runs([load_run(rep), load_run(single)])
    score = c.configs[0].score
    assert c.configs[0].runs == 3 and score.n == 3
    assert score.mean == pytest.approx(1 / 3)  # per-run scores 0.5, 0, 0.5
    half = 4.303 * math.sqrt(1 / 12) / math.sqrt(3)  # t(2) * sample std / sqrt(n)
    assert score.ci95_low == pytest.approx(1 / 3 - half) and score.ci95_high == pytest.approx(1 / 3 + half)
    # Paired on majority: x solved in 2 of 3 runs counts as solved; y never.
    (p,) = c.pairs
    assert p.only_a == ["x"] and p.only_b == ["y"] and p.p_value == 1.0 and p.solved_means == "majority of runs"


def test_compare_cli_prints_tables_and_json(tmp_path: Path, capsys):
    a, b = _pair_runs(tmp_path)
    assert main(["compare", str(a), str(b)]) == 0
    text = capsys.readouterr().out
    assert "McNemar" in text and "0.03906" in text and "solved only by model-b · independent: onlyb0" in text
    assert main(["compare", str(a), str(b), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["pairs"][0]["p_value"] == pytest.approx(0.0390625)
    assert [c["name"] for c in data["configs"]] == ["A", "B"]


def test_bad_paths_are_one_line_user_errors(tmp_path: Path):
    not_a_run = tmp_path / "empty"
    not_a_run.mkdir()
    for args in ([str(tmp_path / "missing"), str(not_a_run)], [str(not_a_run), str(not_a_run)], [str(not_a_run)]):
        r = subprocess.run([sys.executable, "-m", "arcbench", "compare", *args], capture_output=True, text=True,
                           timeout=120)
        assert r.returncode == 2, r.stderr
        assert r.stderr.startswith("error: ") and len(r.stderr.strip().splitlines()) == 1, r.stderr
        assert "Traceback" not in r.stderr


HOSTILE = "\x1b]0;pwned\x07\x1b[2J\x9b1m[/red][bold]"


def _hostile_pair(tmp_path: Path) -> tuple[Path, Path]:
    a = write_run(tmp_path / f"a{HOSTILE}", [solved_log(f"t{HOSTILE}"), unsolved_log("u1")],
                  base_config(None, model=f"model{HOSTILE}", dataset=f"ds{HOSTILE}"))
    b = write_run(tmp_path / "b", [unsolved_log(f"t{HOSTILE}"), unsolved_log("u1")], base_config(None))
    return a, b


def test_compare_prints_model_names_run_names_and_task_ids_as_inert_text(tmp_path: Path, capsys):
    a, b = _hostile_pair(tmp_path)
    assert main(["compare", str(a), str(b)]) == 0
    printed = capsys.readouterr().out
    assert "\x1b" not in printed and "\x9b" not in printed and "\x07" not in printed
    assert "[/red][bold]" in printed


def test_compare_json_escapes_every_control_character(tmp_path: Path, capsys):
    a, b = _hostile_pair(tmp_path)
    assert main(["compare", str(a), str(b), "--json"]) == 0
    printed = capsys.readouterr().out
    assert printed.isascii()
    assert json.loads(printed)["configs"][0]["model"] == f"model{HOSTILE}"
