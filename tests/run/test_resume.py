"""A run killed with SIGKILL resumes without losing a logged call and without repeating one."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from arcbench.cli import main
from arcbench.testing.server import ScriptedServer
from tests.run.helpers import IDENTITY, answer, events, kill_mid_run, summary, task_log

TASKS = ["6150a2bd", "67a3c6ac", "68b16354", "74dd1130"]


def test_resume_after_kill_loses_nothing_and_repeats_no_call(tmp_path):
    run_dir = tmp_path / "run"
    with ScriptedServer([{"content": answer(IDENTITY), "delay_s": 0.3}]) as server:
        before = len(kill_mid_run(server.base_url, run_dir, TASKS, 4, "--max-turns", "3", "--max-workers", "2"))
        assert 4 <= before < 12, "the kill should land mid-run"
        sent_before = len(server.chat_requests)

        assert main(["run", "--resume", str(run_dir), "--quiet"]) == 0
        sent_after = len(server.chat_requests) - sent_before

    evs = events(run_dir)
    keys = [(e["task_id"], e["turn"]) for e in evs]
    assert len(keys) == len(set(keys)) == 12  # one logged call per turn: nothing repeated, nothing missing
    assert sent_after == 12 - before  # the resume paid only for the calls that were not on disk
    s = summary(run_dir)
    assert s.total_tasks == 4 and all(t.status == "done" for t in s.tasks)
    assert all(len(task_log(run_dir, t).turns) == 3 for t in TASKS)


def test_resume_of_a_finished_run_makes_no_call(tmp_path):
    run_dir = tmp_path / "run"
    with ScriptedServer([{"content": answer(IDENTITY)}]) as server:
        assert main(["run", "--base-url", server.base_url, "--model", "scripted", "--subset", "6150a2bd",
                     "--max-turns", "2", "--run-dir", str(run_dir), "--quiet"]) == 0
        n = len(server.chat_requests)
        assert main(["run", "--resume", str(run_dir), "--quiet"]) == 0
        assert len(server.chat_requests) == n


def test_resume_of_a_folder_without_a_run_is_a_user_error(tmp_path, capsys):
    assert main(["run", "--resume", str(tmp_path)]) == 2
    assert "not a run directory" in capsys.readouterr().err


def test_interrupted_run_exits_1_and_says_how_to_resume(tmp_path):
    run_dir = tmp_path / "run"
    with ScriptedServer([{"content": answer(IDENTITY), "delay_s": 0.5}]) as server:
        proc = subprocess.Popen(
            [sys.executable, "-m", "arcbench", "run", "--base-url", server.base_url, "--model", "scripted",
             "--subset", ",".join(TASKS), "--max-turns", "3", "--run-dir", str(run_dir), "--quiet"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        deadline = time.monotonic() + 60
        while not server.chat_requests and time.monotonic() < deadline:
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1, err
    assert f"arcbench run --resume {run_dir}" in out
    assert "Traceback" not in err
