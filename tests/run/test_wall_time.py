"""A resumed run's wall time counts every session's time, not only the last one's."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime

from arcbench.cli import main
from arcbench.testing.server import ScriptedServer
from tests.run.helpers import IDENTITY, answer, events, summary

TASKS = ["6150a2bd", "67a3c6ac", "68b16354", "74dd1130"]


def _seconds(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def test_a_resumed_runs_wall_time_counts_the_time_before_the_kill(tmp_path):
    run_dir = tmp_path / "run"
    with ScriptedServer([{"content": answer(IDENTITY), "delay_s": 0.4}]) as server:
        env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
        proc = subprocess.Popen(
            [sys.executable, "-m", "arcbench", "run", "--base-url", server.base_url, "--model", "scripted",
             "--subset", ",".join(TASKS), "--max-turns", "3", "--run-dir", str(run_dir), "--quiet"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while len(events(run_dir)) < 5 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.02)
        time.sleep(0.2)  # let the task log of the last call be written
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        before = events(run_dir)
        # The killed session was busy at least from its first call's start to its last call's end.
        first_session = _seconds(before[-1]["time"]) - (_seconds(before[0]["time"]) - before[0]["latency_s"])
        assert first_session > 1.5
        started = time.monotonic()
        assert main(["run", "--resume", str(run_dir), "--quiet"]) == 0
        resumed = time.monotonic() - started
    after = events(run_dir)[len(before):]
    second_session = _seconds(after[-1]["time"]) - (_seconds(after[0]["time"]) - after[0]["latency_s"])
    wall = summary(run_dir).wall_time_s
    assert wall >= first_session + second_session, (wall, first_session, second_session)
    assert wall <= first_session + resumed + 30
