"""Runs against a local server as a small real model behaves there: replies cut at the token limit, the default cap
on reply length, and what the console, the task log and the next prompt say about it."""

from __future__ import annotations

import json

import pytest

from arcbench.cli import main
from arcbench.testing.server import ScriptedServer
from tests.run.helpers import task_log

RUNAWAY = {"content": "Let me think step by step. " * 40, "finish_reason": "length", "completion_tokens": 4096}


@pytest.fixture
def server():
    with ScriptedServer() as s:
        yield s


def _run(server, tmp_path, *args: str) -> int:
    return main(["run", "--base-url", server.base_url, "--model", "scripted", "--run-dir", str(tmp_path / "run"),
                 "--subset", "6150a2bd", *args])


def test_a_new_run_on_a_local_server_caps_replies_by_default_and_says_so(server, tmp_path, capsys):
    assert _run(server, tmp_path, "--max-turns", "1") == 0
    assert server.chat_requests[0].body["max_tokens"] == 4096
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["config"]["client"]["default_max_tokens"] == 4096
    assert "4,096 tokens" in capsys.readouterr().out


def test_the_users_max_tokens_replaces_the_default(server, tmp_path):
    assert _run(server, tmp_path, "--max-turns", "1", "--max-tokens", "700") == 0
    assert server.chat_requests[0].body["max_tokens"] == 700


def test_a_run_that_asks_for_reasoning_gets_no_default_cap(server, tmp_path):
    assert _run(server, tmp_path, "--max-turns", "1", "--reasoning-effort", "low") == 0
    assert "max_tokens" not in server.chat_requests[0].body


def test_a_cut_off_reply_is_shown_logged_and_told_to_the_model(server, tmp_path, capsys):
    server.set_script([{**RUNAWAY, "turn": 1}])
    assert _run(server, tmp_path, "--max-turns", "2") == 0
    out = capsys.readouterr().out
    assert "cut off at the token limit (4,096 tokens out)" in out
    log = task_log(tmp_path / "run", "6150a2bd")
    assert log.turns[0].finish_reason == "length" and log.turns[1].finish_reason == "stop"
    second_prompt = server.chat_requests[1].body["messages"][-1]["content"]
    assert "cut off at the token limit (4096 tokens)" in second_prompt


def test_resuming_a_run_started_without_the_default_cap_does_not_add_it(server, tmp_path):
    server.set_script([{"content": "no code here", "delay_s": 0}])
    assert _run(server, tmp_path, "--max-turns", "1", "--limit", "1") == 0
    path = tmp_path / "run" / "config.json"
    saved = json.loads(path.read_text())
    del saved["config"]["client"]["default_max_tokens"]  # as a run made before the default existed
    path.write_text(json.dumps(saved))
    (tmp_path / "run" / "summary.json").unlink()
    for log in (tmp_path / "run" / "tasks").iterdir():
        log.unlink()
    (tmp_path / "run" / "events.jsonl").write_text("")
    server.clear_requests()
    assert main(["run", "--resume", str(tmp_path / "run"), "--quiet"]) == 0
    assert "max_tokens" not in server.chat_requests[0].body
