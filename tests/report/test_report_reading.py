"""The HTML report as people read it: what a turn's reply was, the summary before the configuration, headings that
keep code names as written, the scoring rules beside the numbers."""

from __future__ import annotations

import re
from pathlib import Path

from arcbench.report.html import render_report
from arcbench.report.rundir import expected_outputs, load_run
from tests.report.make_run import (
    FLIP_TASK,
    TaskSpec,
    TurnSpec,
    base_config,
    flip,
    identity,
    make_task_log,
    write_run,
)


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


def _run_with_failure(tmp_path: Path) -> Path:
    spec = TaskSpec("apifail4", FLIP_TASK.train, FLIP_TASK.test_inputs, FLIP_TASK.test_outputs)
    logs = [make_task_log(FLIP_TASK, [TurnSpec(flip)]), make_task_log(spec, [TurnSpec(None, api_error=True)])]
    logs[0].turns[0].code_note = "no `transform` defined; `transform_grid` is run as transform"
    return write_run(tmp_path / "run", logs, base_config(None))


def test_the_summary_comes_before_the_configuration(tmp_path: Path):
    page = _page(_run_with_failure(tmp_path))
    assert page.index("<h3>Summary</h3>") < page.index("Configuration")


def test_the_configuration_is_folded_and_names_each_setting_once(tmp_path: Path):
    page = _page(_run_with_failure(tmp_path))
    config = page[page.index("Configuration"):]
    config = config[:config.index("</details>")]
    assert page.rfind("<details", 0, page.index("Configuration")) > page.rfind("</details>", 0,
                                                                               page.index("Configuration"))
    keys = re.findall(r"<tr><td>([^<]+)</td>", config)
    assert keys and len(keys) == len(set(keys)), [k for k in keys if keys.count(k) > 1]
    bare = {k.rsplit(".", 1)[-1] for k in keys}
    assert len(bare) == len(keys)  # no `dataset` beside `config.dataset`
    assert len(keys) <= 32


def test_headings_keep_code_names_as_written(tmp_path: Path):
    page = _page(_run_with_failure(tmp_path))
    assert "transform_grid" in page
    for heading in re.findall(r"<h4>(.*?)</h4>", page, re.S):
        assert "transform_grid" not in heading, heading
    css_h4 = re.search(r"h4 \{[^}]*\}", page).group(0)
    assert "uppercase" not in css_h4 or "transform_grid" not in page.split("<h4>")[1].split("</h4>")[0]


def test_the_scoring_rules_are_stated_beside_the_score(tmp_path: Path):
    page = _page(_run_with_failure(tmp_path))
    assert "count as 0 in the score" in page
