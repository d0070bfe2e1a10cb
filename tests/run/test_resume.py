"""A run killed with SIGKILL resumes without losing a logged call and without repeating one."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

from arcbench.cli import main
from arcbench.run.store import read_jsonl
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


def _calls_on_disk(run_dir) -> int:
    path = run_dir / "events.jsonl"
    return sum(1 for line in read_jsonl(path) if line.get("type") == "call")


def test_sampling_resumed_after_kills_at_random_moments_repeats_no_call_and_loses_none(tmp_path):
    rng = random.Random(14)
    run_dir = tmp_path / "run"
    samples, n, parallel, workers = 32, 4, 2, 2
    with ScriptedServer([{"content": answer(IDENTITY), "delay_s": 0.15}]) as server:
        env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
        start = [sys.executable, "-m", "arcbench", "run", "--base-url", server.base_url, "--model", "scripted",
                 "--subset", ",".join(TASKS), "--samples", str(samples), "--n-per-request", str(n),
                 "--parallel-requests", str(parallel), "--max-workers", str(workers), "--stop-when", "never",
                 "--run-dir", str(run_dir), "--quiet"]
        resume = [sys.executable, "-m", "arcbench", "run", "--resume", str(run_dir), "--quiet"]
        kills = 0
        for k in range(3):
            proc = subprocess.Popen(start if k == 0 else resume, env=env, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.PIPE)
            target = _calls_on_disk(run_dir) + rng.randint(1, 6)
            deadline = time.monotonic() + 60
            while _calls_on_disk(run_dir) < target and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(rng.uniform(0, 0.2))  # anywhere: between calls, mid-request, mid-write
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
                kills += 1
            proc.wait()
        assert kills >= 2, "the kills should land mid-run"
        assert main(["run", "--resume", str(run_dir), "--quiet"]) == 0
        sent = len(server.chat_requests)
        assert main(["run", "--resume", str(run_dir), "--quiet"]) == 0
        assert len(server.chat_requests) == sent  # a finished run makes no call

    evs = events(run_dir)
    keys = [(e["task_id"], e["turn"]) for e in evs]
    assert len(keys) == len(set(keys))  # no call logged twice: none was made again after a resume
    assert len(keys) == len(TASKS) * samples // n  # every call of the budget is on disk, none missing
    lost = sent - len(keys)  # answered by the server but killed before they reached the disk
    assert 0 <= lost <= kills * workers * parallel
    for t in TASKS:
        log = task_log(run_dir, t)
        assert len(log.turns) == samples and log.status == "done"
        assert sorted((x.call_id, x.choice) for x in log.turns) == sorted(
            (e["call_id"], c) for e in evs if e["task_id"] == t for c in range(n))
    assert summary(run_dir).total_turns == len(TASKS) * samples


def test_sampling_that_stops_on_the_stop_rule_keeps_every_logged_call_after_a_kill(tmp_path):
    # A task samples in rounds of 2 requests x 2 answers; the 7th answer the server gives solves the training
    # examples, so the task ends with its round. Killed after a few calls and resumed, it replays what is on disk:
    # every logged call of the task is in its log (a call paid for and left out would be lost from the costs), and
    # none is made twice.
    rot180 = "def transform(grid):\n    return [row[::-1] for row in grid[::-1]]\n"
    run_dir = tmp_path / "run"
    script = [{"times": 6, "content": answer(IDENTITY), "delay_s": 0.2}, {"content": answer(rot180), "delay_s": 0.2}]
    with ScriptedServer(script) as server:
        kill_mid_run(server.base_url, run_dir, ["6150a2bd"], 2, "--samples", "40", "--n-per-request", "2",
                     "--parallel-requests", "2")
        assert main(["run", "--resume", str(run_dir), "--quiet"]) == 0
    evs = events(run_dir)
    keys = [e["turn"] for e in evs]
    assert len(keys) == len(set(keys))
    log = task_log(run_dir, "6150a2bd")
    assert log.stop_reason == "train_correct" and len(log.turns) % 4 == 0 and len(log.turns) < 40
    assert sorted({t.call_id for t in log.turns}) == sorted(e["call_id"] for e in evs)
    assert [t.index for t in log.turns] == list(range(len(log.turns)))
    assert summary(run_dir).calls == len(evs)
