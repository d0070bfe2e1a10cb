"""A server that reports no usage: the run's tokens are unknown, and every place that shows them says so instead of
showing 0 (summary, report, compare)."""

from __future__ import annotations

import io
import json

import pytest
from rich.console import Console

from arcbench.cli import main
from arcbench.report.html import render_report
from arcbench.report.rundir import load_run
from arcbench.report.terminal import summary_table
from arcbench.testing.server import ScriptedServer
from tests.run.helpers import IDENTITY, answer, summary


@pytest.fixture
def server():
    with ScriptedServer([{"content": answer(IDENTITY), "include_usage": False}]) as s:
        yield s


def _run(server, tmp_path, name: str, *args: str):
    run_dir = tmp_path / name
    assert main(["run", "--base-url", server.base_url, "--model", "scripted", "--run-dir", str(run_dir), "--quiet",
                 "--subset", "6150a2bd,67a3c6ac", "--max-turns", "1", *args]) == 0
    return run_dir


def _text(renderable) -> str:
    buf = io.StringIO()
    Console(file=buf, width=120, color_system=None).print(renderable)
    return buf.getvalue()


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_a_run_without_usage_records_its_tokens_as_unknown(server, tmp_path, stream):
    run_dir = _run(server, tmp_path, "run", *(["--stream"] if stream else []))
    s = summary(run_dir)
    assert s.calls == 2 and s.calls_without_usage == 2 and not s.tokens_known
    row = next(line for line in _text(summary_table(s)).splitlines() if "Tokens" in line)
    assert "unknown" in row and " 0 " not in row


def test_the_report_shows_unknown_tokens_as_unknown(server, tmp_path):
    run_dir = _run(server, tmp_path, "run")
    page = render_report(load_run(run_dir), {})
    assert "tokens unknown" in page and "total 0" not in page


def test_compare_shows_unknown_tokens_as_unknown(server, tmp_path, capsys):
    a, b = _run(server, tmp_path, "a"), _run(server, tmp_path, "b")
    capsys.readouterr()
    assert main(["compare", str(a), str(b)]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if line.strip("│ ").startswith("tokens"))
    assert row.count("unknown") == 2


def test_an_arcprize_submission_says_its_tokens_are_not_known(server, tmp_path):
    run_dir = _run(server, tmp_path, "run")
    assert main(["submission", str(run_dir), "--format", "arcprize"]) == 0
    entry = json.loads((run_dir / "submission_arcprize" / "6150a2bd.json").read_text())
    assert entry[0]["attempt_1"]["metadata"]["kwargs"]["arcbench"]["tokens_known"] is False
