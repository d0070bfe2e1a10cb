"""Whole runs against hostile programs: a model whose every reply looks the answers up scores 0, and a model whose
every reply forges the sandbox's reports still gets every task finished (and resumable)."""

from __future__ import annotations

import pytest

from arcbench.cli import main
from arcbench.testing.server import ScriptedServer
from tests.run.helpers import answer, events, summary, task_log
from tests.sandbox.hostile import ANSWER_LOOKUP, FORGERIES, log_forger


@pytest.fixture
def server():
    with ScriptedServer() as s:
        yield s


def _run(server, run_dir, *args: str) -> int:
    return main(["run", "--base-url", server.base_url, "--model", "scripted", "--run-dir", str(run_dir), "--quiet",
                 "--max-turns", "1", *args])


@pytest.mark.parametrize("dataset", ["arc-agi-1", "arc-agi-2"])
def test_answer_lookup_model_scores_zero(server, tmp_path, dataset):
    server.set_script({"rules": [], "default": {"content": answer(ANSWER_LOOKUP)}})
    run_dir = tmp_path / "run"
    assert _run(server, run_dir, "--dataset", dataset, "--subset", "shortest_training_3") == 0
    s = summary(run_dir)
    assert s.total_tasks == 3 and s.score == 0.0 and s.tasks_fully_solved == 0 and s.leaky is False
    for r in s.tasks:
        log = task_log(run_dir, r.task_id)
        assert not any(ex.correct for t in log.turns for ex in t.train)  # not even the training outputs


def test_forging_model_finishes_every_task_and_resumes(server, tmp_path):
    replies = [answer(log_forger(FORGERIES[name])) for name in ("huge_duration", "deep_nesting", "huge_message")]
    server.set_script({"rules": [{"turn": k + 1, "content": r} for k, r in enumerate(replies)],
                       "default": {"content": replies[0]}})
    run_dir = tmp_path / "run"
    assert _run(server, run_dir, "--subset", "shortest_training_3", "--max-turns", "3", "--stop-when", "never") == 0
    s = summary(run_dir)
    assert s.total_tasks == 3 and len(s.tasks) == 3
    assert len(events(run_dir)) == 9
    assert (run_dir / "events.jsonl").stat().st_size < 2_000_000  # no 15 MB message per grid reached the log
    def calls() -> int:
        return sum(r.path.endswith("/chat/completions") for r in server.requests)

    before = calls()
    assert main(["run", "--resume", str(run_dir), "--quiet"]) == 0  # nothing left to do, nothing paid again
    assert calls() == before
