"""The HTML report: self-contained, escaped, and working in a real headless Chromium."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from arcbench.cli import main
from arcbench.data.types import grid_cells
from arcbench.report.html import render_report
from arcbench.report.rundir import LoadedRun, expected_outputs, load_run
from arcbench.run.records import TaskLog
from tests.optional import chromium
from tests.report.conftest import PAYLOAD
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

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _render(run_dir: Path) -> str:
    run = load_run(run_dir)
    logs = {t: log for r in (run.repeats or [run]) for t, log in r.tasks.items()}
    return render_report(run, expected_outputs(run.config, logs))


def test_model_text_is_escaped_so_it_cannot_run_script(run_dir: Path):
    page = _render(run_dir)
    assert PAYLOAD not in page
    assert "<img" not in page
    assert page.count("<script") == 1  # the report's own script, nothing the model wrote
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in page
    assert '&lt;/pre&gt;&lt;script&gt;' in page  # inside the highlighted code as well


def test_report_is_self_contained(run_dir: Path):
    page = _render(run_dir)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "@import" not in page and "url(" not in page
    assert "default-src 'none'" in page  # and the page forbids fetching anything


def _expected_cells(log: TaskLog, expected: list | None) -> int:
    """Cells the report draws for one task, counted from the log independently of the renderer."""
    exp_cells = sum(grid_cells(g) for g in expected) if expected else 0
    n = sum(grid_cells(p["input"]) + grid_cells(p["output"]) for p in log.train)
    n += sum(grid_cells(g) for g in log.test_inputs) + exp_cells  # task grids
    n += exp_cells + sum(grid_cells(a.output) for at in log.attempts for a in at)  # attempts
    for t in log.turns:
        if t.code is None or t.error_kind is not None:
            continue
        n += sum(grid_cells(log.train[r.index]["output"]) + (grid_cells(r.output) if r.output else 0) for r in t.train)
        n += sum((grid_cells(expected[r.index]) if expected else 0) + (grid_cells(r.output) if r.output else 0)
                 for r in t.test)
    return n


@pytest.mark.browser
def test_report_in_headless_chromium(run_dir: Path, capsys):
    browser_path = chromium()
    from playwright.sync_api import sync_playwright

    assert main(["report", str(run_dir)]) == 0
    report = run_dir / "report.html"
    run = load_run(run_dir)
    expected = expected_outputs(run.config, run.tasks)
    flip_cells = _expected_cells(run.tasks["flip0001"], expected["flip0001"])
    assert flip_cells == 151

    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(browser_path), args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.on("request", lambda r: problems.append(f"request {r.url}") if not r.url.startswith("file:") else None)
            page.goto(report.as_uri())

            rows = page.locator("table.tasks tbody tr:visible")
            assert rows.count() == 4
            assert page.locator(".cell").count() == 0  # nothing drawn until a task is opened

            # Opening a task from the table draws its grids: every cell, each in its colour.
            page.click("table.tasks a:text-is('flip0001')")
            task = page.locator("details.task[open]")
            assert task.count() == 1 and "flip0001" in task.locator("> summary").inner_text()
            assert task.locator(".cell").count() == flip_cells
            for g in task.locator(".grid").all():
                r, c = map(int, g.get_attribute("title").split("x"))
                assert g.locator(".cell").count() == r * c
            first = task.locator(".grid").first.locator(".cell").first
            assert first.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(0, 116, 217)"  # blue (1)
            assert task.locator(".grid.right").count() >= 4 and task.locator(".grid.wrong").count() >= 3
            assert task.locator("pre.code span.k").first.inner_text() == "def"

            # Filters: by status, then by id text.
            page.uncheck("input.status[value=solved]")
            assert _visible_ids(page) == ["apifail4", "second02", "third003"]
            assert page.locator("details.task:visible").count() == 3
            page.check("input.status[value=solved]")
            page.fill("input.search", "fail")
            assert _visible_ids(page) == ["apifail4"]
            assert "1 of 4 tasks shown" in page.locator(".count").inner_text()
            page.fill("input.search", "")

            # Sorting by score: ascending, then descending; tasks without a score stay last.
            page.click("th[data-key=score]")
            assert _visible_ids(page) == ["third003", "second02", "flip0001", "apifail4"]
            page.click("th[data-key=score]")
            assert _visible_ids(page) == ["flip0001", "second02", "third003", "apifail4"]
            page.click("th[data-key=id]")
            assert _visible_ids(page) == ["apifail4", "flip0001", "second02", "third003"]

            page.click("button.expand")
            assert page.locator("details.task[open]").count() == 4
            assert page.evaluate("window.__pwned") is None
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
        finally:
            browser.close()
    assert problems == []


def _visible_ids(page) -> list[str]:
    return page.eval_on_selector_all("table.tasks tbody tr:not([hidden])", "rs => rs.map(r => r.dataset.id)")


def test_repeat_runs_show_the_aggregate_and_each_run(tmp_path: Path):
    root = write_repeat_run(tmp_path / "rep", [[solved_log("a1"), unsolved_log("b2")], [unsolved_log("a1"),
                                                                                        unsolved_log("b2")]],
                            base_config(None))
    run = load_run(root)
    assert isinstance(run, LoadedRun) and [r.path.name for r in run.repeats] == ["run_1", "run_2"]
    page = render_report(run, {})
    assert "Repeat runs" in page and "all-turns success" in page
    assert page.count('<section class="run"') == 2 and ">run_1</h2>" in page and ">run_2</h2>" in page
    assert "25.0%" in page  # mean all-turns success over the two runs: (1/2 + 0) / 2


HOSTILE_HTML = ('</textarea></pre></details><script>window.__pwned=1</script><img src=x onerror="window.__pwned=1">'
                "<textarea>{{7*7}}${7*7}")
"""Closes the elements model text sits in, opens new ones, and looks like template syntax."""


def _hostile_html_run(tmp_path: Path) -> Path:
    def fails(grid):
        raise ValueError(f"out {HOSTILE_HTML}")

    spec = TaskSpec("hostile1", FLIP_TASK.train, FLIP_TASK.test_inputs, FLIP_TASK.test_outputs)
    log = make_task_log(spec, [
        TurnSpec(fails, response=f"reply {HOSTILE_HTML}", reasoning=f"reasoning {HOSTILE_HTML}",
                 code=f"def transform(grid):\n    return '{HOSTILE_HTML}'  # code\n"),
        TurnSpec(None, api_error=True)])
    log.turns[0].user_message = f"message {HOSTILE_HTML}"
    log.turns[0].feedback = f"feedback {HOSTILE_HTML}"
    log.turns[1].error_message = f"server {HOSTILE_HTML}"
    return write_run(tmp_path / "hostile", [log], base_config(None))


@pytest.mark.browser
def test_hostile_text_in_every_field_is_shown_as_text_in_chromium(tmp_path: Path, capsys):
    browser_path = chromium()
    from playwright.sync_api import sync_playwright

    run_dir = _hostile_html_run(tmp_path)
    assert main(["report", str(run_dir)]) == 0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(browser_path), args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page()
            page.goto((run_dir / "report.html").as_uri())
            page.click("button.expand")
            for tag in ("img", "textarea"):
                assert page.locator(tag).count() == 0, tag
            assert page.locator("script").count() == 1  # the report's own
            assert page.evaluate("window.__pwned") is None
            shown = page.evaluate("document.body.textContent")  # folded sections too
            for where in ("reply", "reasoning", "out", "message", "feedback", "server"):
                assert f"{where} {HOSTILE_HTML}" in shown, where
            assert HOSTILE_HTML in page.locator("pre.code").first.inner_text()
        finally:
            browser.close()
