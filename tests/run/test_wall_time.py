"""A resumed run's wall time counts every session's time, not only the last one's."""

from __future__ import annotations

import time
from datetime import datetime

from arcbench.cli import main
from arcbench.testing.server import ScriptedServer
from tests.run.helpers import IDENTITY, answer, events, kill_mid_run, summary

TASKS = ["6150a2bd", "67a3c6ac", "68b16354", "74dd1130"]


def _seconds(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def test_a_resumed_runs_wall_time_counts_the_time_before_the_kill(tmp_path):
    run_dir = tmp_path / "run"
    with ScriptedServer([{"content": answer(IDENTITY), "delay_s": 0.4}]) as server:
        before = kill_mid_run(server.base_url, run_dir, TASKS, 5, "--max-turns", "3")
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
