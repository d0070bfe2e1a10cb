"""`arcbench run --samples` end to end against the local server: several answers per request (honoured, ignored,
refused), programs executed once per task, and the flags' rules."""

from __future__ import annotations

import pytest

from arcbench.cli import main
from arcbench.run.config import RunConfig
from arcbench.testing.server import ScriptedServer
from tests.run.helpers import FLIPLR, IDENTITY, ROT180, answer, events, marker, summary, task_log

IDENTITY_COMMENTED = "# nothing moves\ndef transform(grid):\n    return [row[:]   for row in grid]\n"
TASK = "6150a2bd"  # a half turn: ROT180 solves it


@pytest.fixture
def server():
    with ScriptedServer([{"content": answer(IDENTITY)}]) as s:
        yield s


def run(server, tmp_path, *args: str, name: str = "run") -> tuple[int, object]:
    run_dir = tmp_path / name
    code = main(["run", "--base-url", server.base_url, "--model", "scripted", "--run-dir", str(run_dir), *args])
    return code, run_dir


def test_samples_with_n_per_request_are_asked_n_at_a_time_and_all_drawn_with_stop_when_never(server, tmp_path):
    code, run_dir = run(server, tmp_path, "--subset", TASK, "--samples", "40", "--n-per-request", "8",
                        "--stop-when", "never", "--quiet")
    assert code == 0
    assert [r.body["n"] for r in server.chat_requests] == [8] * 5
    log = task_log(run_dir, TASK)
    assert len(log.turns) == 40 and log.stop_reason == "budget"
    assert len({t.call_id for t in log.turns}) == 5 and len(events(run_dir)) == 5
    s = summary(run_dir)
    assert s.total_turns == 40 and s.calls == 5


def test_samples_stop_on_the_stop_rule_like_any_run(server, tmp_path):
    server.set_script([{"match": marker(TASK), "content": answer(ROT180)}])
    code, run_dir = run(server, tmp_path, "--subset", TASK, "--samples", "1000", "--n-per-request", "4",
                        "--parallel-requests", "2", "--quiet")
    assert code == 0
    log = task_log(run_dir, TASK)
    assert log.stop_reason == "train_correct" and log.score.fully_solved
    assert len(server.chat_requests) == 2 and len(log.turns) == 8  # the first request stops it; the other was asked


def test_a_generalisation_check_made_mid_round_takes_the_next_number_and_the_log_stays_in_order(server, tmp_path):
    # The round's first answer solves the training examples: its check is asked at once (turn 4), before the rest
    # of the round (turns 1-3) is shown; the log holds them all in index order and reads back whole.
    server.set_script([{"times": 1, "content": answer(ROT180)}, {"content": answer(IDENTITY)}])
    code, run_dir = run(server, tmp_path, "--subset", TASK, "--samples", "40", "--n-per-request", "2",
                        "--parallel-requests", "2", "--generalise-check", "--quiet")
    assert code == 0
    log = task_log(run_dir, TASK)
    assert [t.index for t in log.turns] == [0, 1, 2, 3, 4] and log.turns[4].phase == "generalise"
    assert log.turns[4].user_message != log.turns[0].user_message and log.stop_reason == "train_correct"
    assert all(t.same_program_as in (None, 0, 1) for t in log.turns)
    assert [t.test_scores is not None for t in log.turns if t.code] == [True] * sum(1 for t in log.turns if t.code)


def test_a_server_that_ignores_n_gets_single_requests_and_the_console_says_so_once(server, tmp_path, capsys):
    server.n_choices = "ignore"
    code, run_dir = run(server, tmp_path, "--subset", f"{TASK},67a3c6ac", "--samples", "12", "--n-per-request", "4",
                        "--stop-when", "never", "--max-workers", "2", "--quiet")
    assert code == 0
    out = capsys.readouterr().out
    assert out.count("ignores it") == 1 and "one answer per request from now on" in out
    assert len(task_log(run_dir, TASK).turns) == 12 and summary(run_dir).total_turns == 24
    asked = [r.body.get("n") for r in server.chat_requests]
    assert len(asked) == 24 and asked.count(4) <= 6  # n only in the requests sent before the first reply


def test_a_server_that_refuses_n_gets_single_requests_and_the_console_says_so_once(tmp_path, capsys):
    with ScriptedServer([{"content": answer(IDENTITY)}], n_choices="refuse") as server:
        code, run_dir = run(server, tmp_path, "--subset", TASK, "--samples", "6", "--n-per-request", "3",
                            "--stop-when", "never", "--quiet")
    assert code == 0
    out = capsys.readouterr().out
    assert out.count("Only one completion choice is allowed") == 1
    log = task_log(run_dir, TASK)
    assert len(log.turns) == 6 and all(t.error_kind is None for t in log.turns)


def test_duplicate_programs_run_once_still_vote_and_the_summary_counts_the_runs_saved(server, tmp_path):
    server.set_script([
        {"times": 5, "content": answer(IDENTITY)},
        {"times": 3, "content": answer(IDENTITY_COMMENTED)},
        {"times": 2, "content": answer(FLIPLR)},
    ])
    code, run_dir = run(server, tmp_path, "--subset", TASK, "--samples", "10", "--stop-when", "never",
                        "--parallel-requests", "1", "--quiet")
    assert code == 0
    s = summary(run_dir)
    assert s.executions == 2 and s.executions_saved == 8
    log = task_log(run_dir, TASK)
    votes = sorted(a.votes for a in log.attempts[0])
    assert votes == [2, 8]  # identity (both spellings) and fliplr
    assert all(t.test_scores == log.turns[0].test_scores for t in log.turns[:8])
    assert main(["report", str(run_dir)]) == 0
    page = (run_dir / "report.html").read_text()
    assert "2 (8 reused)" in page and "answers from 10 model calls" not in page  # one answer a call here


def test_samples_and_another_mode_do_not_go_together(server, tmp_path, capsys):
    code, _ = run(server, tmp_path, "--samples", "10", "--mode", "feedback")
    assert code == 2 and "--samples draws independent samples" in capsys.readouterr().err


def test_samples_and_a_different_max_turns_do_not_go_together(server, tmp_path, capsys):
    code, _ = run(server, tmp_path, "--samples", "10", "--max-turns", "5")
    assert code == 2 and "give --samples or --max-turns" in capsys.readouterr().err


def test_more_than_ten_thousand_samples_is_refused_naming_the_flag(server, tmp_path, capsys):
    code, _ = run(server, tmp_path, "--samples", "10001")
    assert code == 2 and "--samples: input should be less than or equal to 10000" in capsys.readouterr().err


def test_a_feedback_conversation_past_its_ceiling_is_refused_in_one_line(server, tmp_path, capsys):
    code, _ = run(server, tmp_path, "--max-turns", "500")
    err = capsys.readouterr().err
    assert code == 2 and "mode feedback takes at most 100 turns per task (got 500)" in err


def test_each_strategy_takes_up_to_its_own_ceiling():
    assert RunConfig(mode="independent", max_turns=10_000).max_turns == 10_000
    assert RunConfig(mode="hybrid", max_turns=200).max_turns == 200
    with pytest.raises(ValueError, match="hybrid takes at most 200"):
        RunConfig(mode="hybrid", max_turns=201)


def test_several_answers_per_request_with_a_feedback_conversation_is_refused_in_one_line(server, tmp_path, capsys):
    code, _ = run(server, tmp_path, "--n-per-request", "4")
    err = capsys.readouterr().err
    assert code == 2 and "mode feedback does not draw samples in parallel" in err
