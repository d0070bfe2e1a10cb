"""Compact run logs: a task's prompt once, each call only what is new, texts and duplicate results once per task
log; read back whole, old logs read as they are, newer ones refused in one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from arcbench.cli import main
from arcbench.errors import UserError
from arcbench.run.eventlog import read_call_events
from arcbench.run.records import CallEvent, TaskLog
from arcbench.testing.server import ScriptedServer
from tests.run.helpers import FLIPLR, IDENTITY, ROT180, answer, marker, summary, task_log

TASK = "6150a2bd"


@pytest.fixture
def server():
    with ScriptedServer([{"content": answer(IDENTITY)}]) as s:
        yield s


def run(server, run_dir: Path, *args: str) -> int:
    return main(["run", "--base-url", server.base_url, "--model", "scripted", "--run-dir", str(run_dir), "--quiet",
                 *args])


def lines(run_dir: Path) -> list[dict]:
    return [json.loads(x) for x in (run_dir / "events.jsonl").read_text().splitlines()]


def prompt_text(server) -> str:
    return server.chat_requests[0].body["messages"][-1]["content"]


def test_samples_store_the_prompt_once_and_read_back_as_sent(server, tmp_path):
    run_dir = tmp_path / "run"
    assert run(server, run_dir, "--subset", f"{TASK},67a3c6ac", "--samples", "24", "--n-per-request", "4",
               "--stop-when", "never") == 0
    raw = (run_dir / "events.jsonl").read_text()
    assert [x["type"] for x in lines(run_dir)].count("prompt") == 2
    assert raw.count(json.dumps(prompt_text(server))[1:40]) <= 2  # each task's prompt once
    assert all(x["request"]["messages"]["new"] == [] for x in lines(run_dir) if x["type"] == "call")
    sent = sorted(json.dumps(r.body["messages"]) for r in server.chat_requests)
    assert sorted(json.dumps(e.request["messages"]) for e in read_call_events(run_dir / "events.jsonl")) == sent


def test_a_feedback_turn_stores_only_its_feedback_and_reads_back_as_sent(server, tmp_path):
    run_dir = tmp_path / "run"
    assert run(server, run_dir, "--subset", TASK, "--max-turns", "4") == 0
    calls = [x for x in lines(run_dir) if x["type"] == "call"]
    assert [len(c["request"]["messages"]["new"]) for c in calls] == [0, 1, 1, 1]
    assert [c["request"]["messages"]["new"][0]["role"] for c in calls[1:]] == ["user"] * 3
    sent = [r.body["messages"] for r in server.chat_requests]
    assert [e.request["messages"] for e in read_call_events(run_dir / "events.jsonl")] == sent


def test_answer_texts_are_stored_once_in_the_raw_response(server, tmp_path):
    run_dir = tmp_path / "run"
    assert run(server, run_dir, "--subset", TASK, "--samples", "4", "--n-per-request", "2", "--stop-when",
               "never") == 0
    calls = [x for x in lines(run_dir) if x["type"] == "call"]
    assert all("content" not in c and "usage" not in c for c in calls)
    events = list(read_call_events(run_dir / "events.jsonl"))
    assert all(e.content == answer(IDENTITY) and len(e.choices) == 2 and e.usage.total_tokens > 0 for e in events)


def test_a_task_log_writes_the_prompt_and_a_duplicate_programs_results_once(server, tmp_path):
    server.set_script([{"times": 1, "content": answer(FLIPLR)}, {"content": answer(IDENTITY)}])
    run_dir = tmp_path / "run"
    assert run(server, run_dir, "--subset", TASK, "--samples", "12", "--stop-when", "never",
               "--parallel-requests", "1") == 0
    raw = json.loads((run_dir / "tasks" / f"{TASK}.json").read_text())
    assert raw["schema_version"] == 2 and raw["texts"][0] == prompt_text(server)
    assert sum("train" in t for t in raw["turns"]) == 2  # fliplr and identity ran; ten duplicates did not
    log = task_log(run_dir, TASK)
    assert all(t.user_message == prompt_text(server) for t in log.turns)
    assert all(t.train == log.turns[1].train and t.test_scores == log.turns[1].test_scores for t in log.turns[2:])


def test_a_compact_task_log_reads_back_equal_to_the_log_written(server, tmp_path):
    from arcbench.run.records import compact_task_log

    server.set_script([{"match": marker(TASK), "turn": 2, "content": answer(ROT180)}])
    run_dir = tmp_path / "run"
    assert run(server, run_dir, "--subset", TASK, "--max-turns", "3") == 0
    log = task_log(run_dir, TASK)
    assert TaskLog.model_validate(json.loads(json.dumps(compact_task_log(log)))) == log


def test_an_old_run_directory_is_read_and_resumed_as_it_is(server, tmp_path):
    run_dir = tmp_path / "run"
    assert run(server, run_dir, "--subset", TASK, "--max-turns", "3") == 0
    events = list(read_call_events(run_dir / "events.jsonl"))
    # As arcbench wrote it before compact logs: every call whole, and the task unfinished.
    (run_dir / "events.jsonl").write_text("".join(e.model_copy(update={"schema_version": 1}).model_dump_json() + "\n"
                                                  for e in events[:2]))
    (run_dir / "tasks" / f"{TASK}.json").unlink()
    before = len(server.chat_requests)
    assert main(["run", "--resume", str(run_dir), "--quiet"]) == 0
    assert len(server.chat_requests) == before + 1  # the two old calls replayed, only the third made
    mixed = list(read_call_events(run_dir / "events.jsonl"))
    assert [e.schema_version for e in mixed] == [1, 1, 2]
    assert [e.request["messages"] for e in mixed] == [r.body["messages"] for r in server.chat_requests[:3]]
    assert len(task_log(run_dir, TASK).turns) == 3 and summary(run_dir).total_turns == 3


def test_a_log_written_by_a_newer_arcbench_is_refused_in_one_line(server, tmp_path, capsys):
    run_dir = tmp_path / "run"
    assert run(server, run_dir, "--subset", TASK, "--max-turns", "2") == 0
    (run_dir / "tasks" / f"{TASK}.json").unlink()
    with (run_dir / "events.jsonl").open("a") as f:
        f.write(json.dumps({"schema_version": 9, "type": "call", "task_id": TASK, "turn": 5}) + "\n")
    assert main(["run", "--resume", str(run_dir), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "written by a newer arcbench (events version 9" in err and "Traceback" not in err
    with pytest.raises(UserError, match="events version 9"):
        list(read_call_events(run_dir / "events.jsonl"))


def test_a_task_log_written_by_a_newer_arcbench_is_refused_in_one_line(server, tmp_path, capsys):
    run_dir = tmp_path / "run"
    assert run(server, run_dir, "--subset", TASK, "--max-turns", "1") == 0
    path = run_dir / "tasks" / f"{TASK}.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "schema_version": 7}))
    assert main(["report", str(run_dir)]) == 2
    assert "task log version 7" in capsys.readouterr().err


def test_a_call_event_without_an_http_body_keeps_its_texts(tmp_path):
    from arcbench.run.eventlog import TaskEvents, chain

    event = CallEvent(task_id="t", turn=0, time="x", model="baseline", request={"messages": []}, content="hi",
                      reasoning="thought")
    messages = [{"role": "user", "content": "task"}]
    written = TaskEvents("t").lines(event, messages, chain(messages), turn=0, time="x")
    path = tmp_path / "events.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in written))
    (back,) = read_call_events(path)
    assert (back.content, back.reasoning, back.request["messages"]) == ("hi", "thought", messages)
