"""The engine driven from Python: a config, any ChatModel, an observer; no console, no CLI."""

from __future__ import annotations

import asyncio

import pytest
from pydantic import ValidationError

from arcbench.run.config import RunConfig
from arcbench.run.engine import run
from arcbench.run.observer import RunTotals
from arcbench.testing import ScriptedModel
from tests.run.helpers import IDENTITY, ROT180, answer, events, marker, task_log


class Watcher:
    def __init__(self) -> None:
        self.seen: list[tuple[str, int, int]] = []
        self.ends = 0

    def started(self, totals: RunTotals) -> None:
        self.seen.append(("started", totals.done, totals.usage.total_tokens))

    def turn(self, task_id, turn, totals: RunTotals) -> None:
        self.seen.append(("turn", totals.done, totals.usage.total_tokens))

    def task_done(self, log, totals: RunTotals, *, replayed: bool) -> None:
        self.seen.append(("task_done", totals.done, totals.usage.total_tokens))

    def finished(self, summary) -> None:
        self.ends += 1


def test_a_run_from_python_reports_to_its_observer_and_logs_every_call(tmp_path):
    model = ScriptedModel([{"match": marker("6150a2bd"), "content": answer(ROT180)}, {"content": answer(IDENTITY)}])
    config = RunConfig(subset="6150a2bd,67a3c6ac", max_turns=2)
    watcher = Watcher()
    result = asyncio.run(run(config, model, tmp_path / "run", observer=watcher))
    s = result.summaries[0]
    assert s.tasks_fully_solved == 1 and s.total_turns == 3
    assert [k for k, _, _ in watcher.seen].count("turn") == 3 and watcher.ends == 1
    tokens = [t for _, _, t in watcher.seen]
    assert tokens == sorted(tokens) and tokens[-1] == s.total_tokens  # totals kept once, by the engine
    assert [(e["task_id"], e["turn"]) for e in events(tmp_path / "run")] == [("6150a2bd", 0), ("67a3c6ac", 0),
                                                                               ("67a3c6ac", 1)]
    assert task_log(tmp_path / "run", "6150a2bd").stop_reason == "train_correct"


@pytest.mark.parametrize("bad", [{"max_workers": 0}, {"max_turns": 0}, {"repeat_runs": 11}, {"mode": "mcts"},
                                 {"stop_when": "always"}, {"limit": 0}, {"exec_timeout_s": 0}])
def test_a_config_out_of_range_is_refused_where_it_is_made(bad):
    with pytest.raises(ValidationError):
        RunConfig(**bad)


def test_a_config_changed_out_of_range_is_refused_too():
    config = RunConfig()
    with pytest.raises(ValidationError):
        config.max_workers = 0
