"""`arcbench exec` shows a program's output and errors as inert text: nothing it prints drives the terminal."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

TASK = {"train": [{"input": [[1, 0]], "output": [[0, 1]]}], "test": [{"input": [[0, 5]], "output": [[5, 0]]}]}
HOSTILE = r"\x1b]0;pwned\x07\x1b[2J\x9b1m[/red][bold]"
PROGRAM = f"""
print("out{HOSTILE}put")
def transform(grid):
    raise ValueError("bad{HOSTILE}message")
"""


def test_exec_prints_program_output_and_errors_as_inert_text(tmp_path: Path) -> None:
    data = tmp_path / "tasks"
    data.mkdir()
    (data / "t1.json").write_text(json.dumps(TASK))
    program = tmp_path / "prog.py"
    program.write_text(PROGRAM)
    proc = subprocess.run([sys.executable, "-m", "arcbench", "exec", str(program), "--task", "t1",
                           "--data-dir", str(data)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "\x1b" not in proc.stdout and "\x9b" not in proc.stdout and "\x07" not in proc.stdout
    assert "[/red][bold]put" in proc.stdout  # the program's output, as text
    assert "[/red][bold]" in proc.stdout.split("program output")[0]  # the error message in the table, as text
