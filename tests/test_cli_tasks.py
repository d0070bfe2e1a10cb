from __future__ import annotations

import json
import subprocess
import sys


def arcbench(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "arcbench", *args], capture_output=True, text=True, timeout=120)


def test_tasks_list_prints_shortest_tasks_first():
    r = arcbench("tasks", "list", "--dataset", "arc-agi-1", "--subset", "shortest_training_10")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 10
    assert lines[0].startswith("6150a2bd") and lines[1].startswith("d631b094")
    assert "size=54" in lines[0] and "train=2" in lines[0] and "3x3->3x3" in lines[0]


def test_ids_only():
    r = arcbench("tasks", "list", "--subset", "mit-easy", "--ids-only")
    assert r.returncode == 0
    assert r.stdout.split()[0] == "0a1d4ef5" and len(r.stdout.split()) == 20


def test_user_errors_are_one_line_and_exit_2():
    for args in (["tasks", "list", "--subset", "nope"], ["tasks", "list", "--no-such-flag"],
                 ["tasks", "list", "--data-dir", "/does/not/exist"], ["tasks", "show", "ffffffff"]):
        r = arcbench(*args)
        assert r.returncode == 2, args
        assert r.stderr.startswith("error: ") and len(r.stderr.strip().splitlines()) == 1, r.stderr
        assert "Traceback" not in r.stderr


def test_tasks_show_draws_the_grids():
    r = arcbench("tasks", "show", "6150a2bd")
    assert r.returncode == 0
    assert "train 1" in r.stdout and "test 1" in r.stdout


def test_help_lists_commands():
    r = arcbench("--help")
    assert r.returncode == 0 and "tasks" in r.stdout


HOSTILE_ID = "evil\x1b]0;pwned\x07\x1b[2J[/red][bold]id\x9b1m"
"""A task id as a challenges file may carry it: a window-title OSC, a clear-screen CSI, rich markup, an 8-bit CSI."""


def _hostile_challenges(tmp_path) -> str:
    path = tmp_path / "hostile_challenges.json"
    task = {"train": [{"input": [[1]], "output": [[2]]}], "test": [{"input": [[3]]}]}
    path.write_text(json.dumps({HOSTILE_ID: task}))
    return str(path)


def _inert(stream: str) -> None:
    assert "\x1b" not in stream and "\x9b" not in stream and "\x07" not in stream


def test_tasks_list_prints_a_hostile_task_id_as_plain_text(tmp_path):
    for flags in ((), ("--ids-only",)):
        r = arcbench("tasks", "list", "--data-dir", _hostile_challenges(tmp_path), "--subset", "all", *flags)
        assert r.returncode == 0, r.stderr
        _inert(r.stdout)
        assert "[/red][bold]id" in r.stdout


def test_tasks_show_prints_a_hostile_task_id_as_plain_text(tmp_path):
    r = arcbench("tasks", "show", HOSTILE_ID, "--data-dir", _hostile_challenges(tmp_path))
    assert r.returncode == 0, r.stderr
    _inert(r.stdout)
    assert "[/red][bold]id" in r.stdout


def test_error_line_stays_one_inert_line_whatever_the_message_holds(tmp_path):
    r = arcbench("tasks", "list", "--data-dir", _hostile_challenges(tmp_path), "--subset", "nope,other")
    assert r.returncode == 2
    _inert(r.stderr)
    assert r.stderr.startswith("error: ") and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "[/red][bold]id" in r.stderr
    r = arcbench("tasks", "list", "--data-dir", str(tmp_path / "two\nlines\x1b[2J"))
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    _inert(r.stderr)
