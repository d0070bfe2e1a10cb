"""`arcbench exec` as a user runs it: a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

TASK = {
    "train": [{"input": [[1, 0], [0, 0]], "output": [[0, 1], [0, 0]]},
              {"input": [[2, 3], [0, 0]], "output": [[3, 2], [0, 0]]}],
    "test": [{"input": [[0, 5], [6, 0]], "output": [[5, 0], [0, 6]]}],
}
FLIP = "def transform(grid):\n    return [row[::-1] for row in grid]\n"


def _arcbench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "arcbench", *args], capture_output=True, text=True, timeout=120)


def _setup(tmp_path: Path, source: str) -> tuple[Path, Path]:
    data = tmp_path / "tasks"
    data.mkdir()
    (data / "flipper.json").write_text(json.dumps(TASK))
    program = tmp_path / "prog.py"
    program.write_text(source)
    return program, data


def test_exec_json_reports_every_example(tmp_path: Path) -> None:
    program, data = _setup(tmp_path, FLIP)
    proc = _arcbench("exec", str(program), "--task", "flipper", "--data-dir", str(data), "--json")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert [(r["split"], r["index"]) for r in rows] == [("train", 0), ("train", 1), ("test", 0)]
    assert all(r["ok"] and r["correct"] and r["pixel_accuracy"] == 1.0 and r["error"] is None for r in rows)
    assert rows[2]["output"] == [[5, 0], [0, 6]]


def test_exec_reports_errors_and_partial_accuracy(tmp_path: Path) -> None:
    source = "def transform(grid):\n    if grid[0][0] == 2:\n        raise ValueError('nope')\n    return grid\n"
    program, data = _setup(tmp_path, source)
    proc = _arcbench("exec", str(program), "--task", "flipper", "--data-dir", str(data), "--json", "--timeout", "0.5")
    rows = json.loads(proc.stdout)
    assert rows[0]["ok"] and not rows[0]["correct"] and rows[0]["pixel_accuracy"] == 0.5
    assert rows[1]["error"] == "exception" and rows[1]["correct"] is False and rows[1]["output"] is None
    assert rows[2]["ok"] and rows[2]["pixel_accuracy"] == 0.0


def test_exec_table_shows_results(tmp_path: Path) -> None:
    program, data = _setup(tmp_path, FLIP + "print('hello from the program')\n")
    proc = _arcbench("exec", str(program), "--task", "flipper", "--data-dir", str(data))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("yes") == 3
    assert "100%" in proc.stdout
    assert "hello from the program" in proc.stdout


def test_missing_program_is_a_user_error(tmp_path: Path) -> None:
    _, data = _setup(tmp_path, FLIP)
    proc = _arcbench("exec", str(tmp_path / "missing.py"), "--task", "flipper", "--data-dir", str(data))
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0
    assert "missing.py" in proc.stderr and "not found" in proc.stderr


def test_unknown_task_is_a_user_error(tmp_path: Path) -> None:
    program, data = _setup(tmp_path, FLIP)
    proc = _arcbench("exec", str(program), "--task", "nosuchtask", "--data-dir", str(data))
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0
    assert "nosuchtask" in proc.stderr
