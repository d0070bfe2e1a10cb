"""A server that dies mid-run: the tasks whose calls failed are retried by --resume (their calls that succeeded are
replayed, not paid for again), also at a new --base-url; and a start that fails leaves no half-made run directory."""

from __future__ import annotations

import json

from arcbench.cli import main
from arcbench.testing.server import ScriptedServer
from tests.run.helpers import FLIPLR, IDENTITY, ROT180, answer, events, marker, summary, task_log

TASKS = "6150a2bd,67a3c6ac"


def _run(base_url: str, run_dir, *args: str) -> int:
    return main(["run", "--base-url", base_url, "--model", "scripted", "--run-dir", str(run_dir), "--quiet",
                 "--subset", TASKS, "--max-attempts", "1", *args])


def test_resume_retries_the_tasks_that_ended_on_api_failures_and_replays_their_good_calls(tmp_path, capsys):
    run_dir = tmp_path / "run"
    with ScriptedServer() as server:
        # 6150a2bd: turn 1 answers (wrong), then the server "dies"; 67a3c6ac: every call fails.
        server.set_script([{"match": marker("6150a2bd"), "turn": 1, "content": answer(IDENTITY)},
                           {"status": 503}])
        assert _run(server.base_url, run_dir, "--max-turns", "2") == 0
        s = summary(run_dir)
        assert s.api_failures == 2
        out = capsys.readouterr().out
        assert f"arcbench run --resume {run_dir}" in out  # the way out is named

        server.set_script([{"match": marker("6150a2bd"), "content": answer(ROT180)},
                           {"match": marker("67a3c6ac"), "content": answer(FLIPLR)}])
        server.clear_requests()
        assert main(["run", "--resume", str(run_dir), "--quiet"]) == 0
        resent = [(r.body["messages"][1]["content"], len(r.body["messages"])) for r in server.chat_requests]

    s = summary(run_dir)
    assert s.api_failures == 0 and s.tasks_fully_solved == 2
    # 6150a2bd's first turn was replayed from events.jsonl: only its second turn reached the server
    assert [n for text, n in resent if marker("6150a2bd") in text] == [4]
    log = task_log(run_dir, "6150a2bd")
    assert [t.error_kind for t in log.turns] == [None, None] and log.status == "done"


def test_resume_with_a_new_base_url_calls_the_server_where_it_moved(tmp_path, capsys):
    run_dir = tmp_path / "run"
    with ScriptedServer([{"status": 503}]) as old:
        assert _run(old.base_url, run_dir, "--max-turns", "1") == 0
        old_calls = len(old.chat_requests)
    assert summary(run_dir).api_failures == 2
    with ScriptedServer([{"content": answer(IDENTITY)}]) as new:
        assert main(["run", "--resume", str(run_dir), "--base-url", new.base_url, "--quiet"]) == 0
        assert len(new.chat_requests) == 2
    assert old_calls == 2
    resuming = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("Resuming"))
    assert "--base-url" in resuming and "as given" in resuming
    s = summary(run_dir)
    assert s.api_failures == 0 and s.total_tasks == 2
    saved = json.loads((run_dir / "config.json").read_text())
    assert saved["config"]["client"]["base_url"] == old.base_url  # config.json keeps what the run started with
    assert {e["request"]["model"] for e in events(run_dir)} == {"scripted"}


def test_an_unreachable_server_leaves_no_run_directory(tmp_path, capsys):
    run_dir = tmp_path / "run"
    assert _run("http://127.0.0.1:9/v1", run_dir) == 2
    assert "cannot reach" in capsys.readouterr().err
    assert not run_dir.exists()
    assert _run("http://127.0.0.1:9/v1", run_dir) == 2  # and the same command can be given again
    assert "already holds a run" not in capsys.readouterr().err


def test_bad_data_leaves_no_run_directory(tmp_path, capsys, write_task):
    data = tmp_path / "data"
    write_task("bad1", {"train": [{"input": [[1]], "output": [[12]]}], "test": [{"input": [[1]]}]}, data)
    run_dir = tmp_path / "run"
    assert main(["run", "--model", "baseline", "--data-dir", str(data), "--subset", "bad1", "--run-dir",
                 str(run_dir)]) == 2
    assert not run_dir.exists()


def test_a_server_that_refuses_the_model_at_the_first_call_leaves_no_run_directory(tmp_path, capsys):
    run_dir = tmp_path / "run"
    with ScriptedServer([{"status": 404}]) as server:
        assert _run(server.base_url, run_dir) == 2
    assert "has no model" in capsys.readouterr().err
    assert not run_dir.exists()


def test_a_failed_start_in_a_folder_the_user_made_leaves_the_folder(tmp_path):
    run_dir = tmp_path / "mine"
    run_dir.mkdir()
    (run_dir / "notes.txt").write_text("keep me")
    assert _run("http://127.0.0.1:9/v1", run_dir) == 2
    assert sorted(p.name for p in run_dir.iterdir()) == ["notes.txt"]
