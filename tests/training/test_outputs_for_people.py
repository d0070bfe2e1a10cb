"""What `training-data` and `report` leave for people: files anyone may read, like the rest of a run's outputs, and
a refusal that says why when there is nothing to write."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from arcbench.cli import main
from arcbench.testing.server import ScriptedServer
from tests.run.helpers import ROT180, answer, marker

UMASK = 0o022


@pytest.fixture
def usual_umask() -> Iterator[None]:
    old = os.umask(UMASK)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _solved_run(tmp_path: Path) -> Path:
    run_dir = tmp_path / "run"
    with ScriptedServer([{"match": marker("6150a2bd"), "content": answer(ROT180)}]) as server:
        assert main(["run", "--base-url", server.base_url, "--model", "scripted", "--subset", "6150a2bd",
                     "--max-turns", "1", "--run-dir", str(run_dir), "--quiet"]) == 0
    return run_dir


def test_report_and_training_files_are_readable_like_every_other_output(tmp_path, usual_umask, runs):
    expected = 0o666 & ~UMASK
    assert _mode(runs[0] / "config.json") == expected  # what the run itself writes
    assert main(["report", str(runs[1])]) == 0
    assert _mode(runs[1] / "report.html") == expected
    out = tmp_path / "data" / "set.jsonl"
    assert main(["training-data", str(runs[0]), "--output", str(out), "--validation", "0.4", "--quiet"]) == 0
    written = [out, out.with_name("set_val.jsonl"), out.with_name("set.manifest.json")]
    assert {p.name: _mode(p) for p in written} == {p.name: expected for p in written}
    table = tmp_path / "data" / "set.parquet"
    assert main(["training-data", str(runs[0]), "--output", str(table), "--format", "parquet", "--quiet"]) == 0
    assert _mode(table) == expected


def test_nothing_to_write_says_why_writes_nothing_and_exits_non_zero(tmp_path, capsys):
    run_dir = _solved_run(tmp_path)  # its one program solves every training example: left out by default
    out = tmp_path / "data" / "set.jsonl"
    assert main(["training-data", str(run_dir), "--output", str(out), "--quiet"]) == 2
    printed = capsys.readouterr()
    assert "Wrote" not in printed.out and "programs found" in printed.out  # the counts are still shown
    assert printed.err.startswith("error: nothing to write: ") and len(printed.err.strip().splitlines()) == 1
    assert "already solves every training example" in printed.err and "--include-correct" in printed.err
    assert not out.exists() and not out.with_name("set.manifest.json").exists()


def test_runs_without_programs_say_so(tmp_path, capsys):
    run_dir = tmp_path / "run"
    with ScriptedServer([{"content": "I cannot solve this."}]) as server:
        assert main(["run", "--base-url", server.base_url, "--model", "scripted", "--subset", "6150a2bd",
                     "--max-turns", "1", "--run-dir", str(run_dir), "--quiet"]) == 0
    assert main(["training-data", str(run_dir), "--output", str(tmp_path / "x.jsonl"), "--quiet"]) == 2
    assert "no programs found" in capsys.readouterr().err
