"""The run's console lines, end to end: which run a line is about in a repeat run, samples called samples, the
scoring rules beside the numbers."""

from __future__ import annotations

import io

from rich.console import Console

from arcbench.cli import main
from arcbench.report.terminal import aggregate_table, summary_table
from arcbench.run.records import Aggregate, RunSummary, Stat
from arcbench.testing.server import ScriptedServer
from tests.run.helpers import IDENTITY, answer


def _run(tmp_path, *args: str) -> None:
    with ScriptedServer([{"content": answer(IDENTITY)}]) as server:
        assert main(["run", "--base-url", server.base_url, "--model", "scripted", "--subset", "6150a2bd",
                     "--run-dir", str(tmp_path / "run"), *args]) == 0


def test_a_repeat_runs_turn_lines_say_which_run(tmp_path, capsys):
    _run(tmp_path, "--repeat-runs", "2", "--max-turns", "1")
    lines = [ln for ln in capsys.readouterr().out.splitlines() if "6150a2bd turn 1:" in ln]
    assert [ln.split(" · ")[0] for ln in lines] == ["run 1/2", "run 2/2"]


def test_independent_samples_are_shown_as_samples(tmp_path, capsys):
    _run(tmp_path, "--mode", "independent", "--max-turns", "2")
    out = capsys.readouterr().out
    assert "6150a2bd sample 1:" in out and "6150a2bd sample 2:" in out and "6150a2bd turn" not in out


def _text(renderable) -> str:
    buf = io.StringIO()
    Console(file=buf, width=160, color_system=None).print(renderable)
    return buf.getvalue()


def _summary(api_failures: int) -> RunSummary:
    return RunSummary(total_tasks=4, scored_tasks=4, score=0.25, tasks_fully_solved=1, task_accuracy=0.25,
                      pixel_accuracy=0.5, turn1_solved=1, api_failures=api_failures, timeout_failures=0,
                      api_successes=4 - api_failures, total_turns=4, prompt_tokens=1, completion_tokens=1,
                      reasoning_tokens=0, total_tokens=2, total_cost=0.0, cost_known=True, leaky=False,
                      wall_time_s=1.0, tasks=[])


def test_the_summary_states_that_api_failures_count_as_0_when_there_are_some():
    assert "count as 0" in _text(summary_table(_summary(1)))
    assert "count as 0" not in _text(summary_table(_summary(0)))


def test_the_aggregate_states_both_rules():
    st = Stat(mean=0.5, std=0.1, ci95_low=0.4, ci95_high=0.6, n=2)
    agg = Aggregate(runs=2, turn1_success=st, all_turns_success=st, score=st, per_run=[])
    text = " ".join(_text(aggregate_table(agg)).split())
    assert "ended on an API failure are left out" in text and "counts them as 0" in text
