"""The HTML report as people read it: what a turn's reply was, the summary before the configuration, headings that
keep code names as written, the scoring rules beside the numbers."""

from __future__ import annotations

from pathlib import Path

from arcbench.report.html import render_report
from arcbench.report.rundir import expected_outputs, load_run
from tests.report.make_run import FLIP_TASK, TurnSpec, base_config, flip, identity, make_task_log, write_run


def _page(run_dir: Path) -> str:
    run = load_run(run_dir)
    return render_report(run, expected_outputs(run.config, run.tasks))


def test_a_reply_cut_at_the_token_limit_is_shown_as_cut_off(tmp_path: Path):
    cut = TurnSpec(None, response="Let me think step by step. " * 20, completion_tokens=4096,
                   extra={"finish_reason": "length"})
    run_dir = write_run(tmp_path / "run", [make_task_log(FLIP_TASK, [cut, TurnSpec(flip)])], base_config(None))
    page = _page(run_dir)
    assert page.count("cut off at the token limit") == 1
    assert "4,096 tokens" in page


def test_a_reply_that_ended_is_not_marked(tmp_path: Path):
    run_dir = write_run(tmp_path / "run", [make_task_log(FLIP_TASK, [TurnSpec(identity)])], base_config(None))
    assert "cut off at the token limit" not in _page(run_dir)
