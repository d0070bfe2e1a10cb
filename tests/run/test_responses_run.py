"""`arcbench run --api responses` end to end: a feedback conversation carries the model's reasoning items from turn to
turn, summaries are logged as reasoning, and a resume replays the calls without paying for them again."""

from __future__ import annotations

import pytest

from arcbench.cli import main
from arcbench.testing.server import ScriptedServer
from tests.run.helpers import FLIPLR, ROT180, answer, events, summary, task_log

TASK = "6150a2bd"  # solved by a 180° rotation, not by a left-right flip
SCRIPT = [
    {"turn": 1, "content": answer(FLIPLR), "reasoning": "Perhaps a mirror image.", "reasoning_tokens": 40},
    {"turn": 2, "content": answer(ROT180), "reasoning": "The mirror was wrong: rotate.", "reasoning_tokens": 30},
]


def _run(server: ScriptedServer, run_dir, *args: str) -> int:
    return main(["run", "--api", "responses", "--base-url", server.base_url, "--model", "scripted", "--subset", TASK,
                 "--max-turns", "3", "--run-dir", str(run_dir), "--quiet", *args])


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_feedback_turn_sends_back_the_previous_turns_reasoning_items(tmp_path, stream):
    run_dir = tmp_path / "run"
    with ScriptedServer(SCRIPT) as server:
        assert _run(server, run_dir, *(["--stream"] if stream else [])) == 0
        first, second = (r.body for r in server.chat_requests)
    evs = events(run_dir)
    assert [e["request"]["input"] for e in evs] == [first["input"], second["input"]]
    items = evs[0]["provider_items"]
    assert [i["type"] for i in items] == ["reasoning", "message"] and items[0]["encrypted_content"]
    assert second["input"][2:4] == items  # turn 1's reasoning and message, verbatim, before the feedback
    assert second["input"][4]["role"] == "user" and "not solved" in second["input"][4]["content"]
    log = task_log(run_dir, TASK)
    assert [t.reasoning for t in log.turns] == ["Perhaps a mirror image.", "The mirror was wrong: rotate."]
    assert log.score is not None and log.score.fully_solved
    assert summary(run_dir).reasoning_tokens == 70


def test_resume_replays_responses_calls_without_sending_them_again(tmp_path):
    run_dir = tmp_path / "run"
    with ScriptedServer(SCRIPT) as server:
        assert _run(server, run_dir) == 0
        # As if killed after its calls were logged: the task log and the summary never written.
        (run_dir / "tasks" / f"{TASK}.json").unlink()
        (run_dir / "summary.json").unlink()
        sent = len(server.chat_requests)
        assert main(["run", "--resume", str(run_dir), "--quiet"]) == 0
        assert len(server.chat_requests) == sent
    assert len(events(run_dir)) == 2
    log = task_log(run_dir, TASK)
    assert len(log.turns) == 2 and log.score is not None and log.score.fully_solved
