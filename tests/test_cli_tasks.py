from __future__ import annotations

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
