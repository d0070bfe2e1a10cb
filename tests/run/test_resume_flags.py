"""`arcbench run --resume` with flags: the ones that only change how calls are made apply, the others are refused."""

from __future__ import annotations

import json

import pytest

from arcbench.cli import main
from arcbench.testing.server import ScriptedServer
from tests.run.helpers import IDENTITY, answer, summary


@pytest.fixture
def unstarted(tmp_path):
    """A run directory whose run never got an answer: its server failed every call, then went away."""
    run_dir = tmp_path / "run"
    with ScriptedServer([{"status": 503}]) as dying:
        code = main(["run", "--base-url", dying.base_url, "--model", "scripted", "--subset", "6150a2bd",
                     "--max-turns", "2", "--max-workers", "4", "--max-attempts", "1", "--run-dir", str(run_dir),
                     "--quiet"])
    assert code == 0 and summary(run_dir).api_failures == 1
    return run_dir


def test_a_moved_server_is_given_with_base_url_on_resume(unstarted, capsys):
    with ScriptedServer([{"content": answer(IDENTITY)}]) as server:
        assert main(["run", "--resume", str(unstarted), "--base-url", server.base_url, "--quiet"]) == 0
        assert len(server.chat_requests) == 2
    assert summary(unstarted).total_turns == 2
    assert "--base-url" in capsys.readouterr().out


def test_a_flag_given_with_its_default_value_still_overrides(unstarted, capsys):
    with ScriptedServer([{"content": answer(IDENTITY)}]) as server:
        assert main(["run", "--resume", str(unstarted), "--base-url", server.base_url, "--max-workers", "1",
                     "--quiet"]) == 0
    assert "--max-workers" in capsys.readouterr().out
    saved = json.loads((unstarted / "config.json").read_text())
    assert saved["config"]["max_workers"] == 4  # the run's record keeps what it was started with


@pytest.mark.parametrize(("args", "flag"), [
    (["--model", "other"], "--model"),
    (["--mode", "hybrid"], "--mode"),
    (["--independent-attempts"], "--independent-attempts"),
    (["--subset", "67a3c6ac"], "--subset"),
    (["--max-turns", "5"], "--max-turns"),
    (["--exec-timeout", "3"], "--exec-timeout"),
])
def test_flags_that_change_what_is_measured_are_refused_in_one_line(unstarted, capsys, args, flag):
    assert main(["run", "--resume", str(unstarted), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {flag} cannot change when resuming") and len(err.strip().splitlines()) == 1


def test_giving_the_saved_value_again_is_no_change(unstarted):
    with ScriptedServer([{"content": answer(IDENTITY)}]) as server:
        assert main(["run", "--resume", str(unstarted), "--base-url", server.base_url, "--model", "scripted",
                     "--max-turns", "2", "--quiet"]) == 0


def test_a_bad_value_on_resume_is_a_one_line_error(unstarted, capsys):
    assert main(["run", "--resume", str(unstarted), "--max-workers", "0"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --max-workers: input should be greater than or equal to 1")


def test_run_dir_does_not_go_with_resume(unstarted, capsys):
    assert main(["run", "--resume", str(unstarted), "--run-dir", "elsewhere"]) == 2
    assert "--run-dir does not go with --resume" in capsys.readouterr().err
