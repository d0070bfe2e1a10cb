"""`arcbench run` end to end: real HTTP to the local scripted server, the real client, the real sandbox, real ARC
tasks."""

from __future__ import annotations

import json

import pytest

from arcbench.cli import main
from tests.run.helpers import (
    FLIPLR,
    IDENTITY,
    ROT180,
    answer,
    cheat,
    events,
    expected_output_texts,
    marker,
    run_cli,
    summary,
    task_log,
)

run = run_cli


def test_right_answers_score_100_percent(server, tmp_path):
    server.set_script([
        {"match": marker("6150a2bd"), "content": answer(ROT180)},
        {"match": marker("67a3c6ac"), "content": answer(FLIPLR)},
    ])
    code, run_dir = run(server, tmp_path, "--subset", "6150a2bd,67a3c6ac")
    assert code == 0
    s = summary(run_dir)
    assert s.score == 1.0 and s.tasks_fully_solved == 2 and s.turn1_solved == 2
    assert s.total_turns == 2 and s.leaky is False
    log = task_log(run_dir, "6150a2bd")
    assert log.status == "done" and log.stop_reason == "train_correct"
    assert log.attempts[0][0].output == [[0, 0, 4], [0, 8, 6], [5, 3, 6]]
    # every call is on disk with its request and usage, and the config was saved
    evs = events(run_dir)
    assert len(evs) == 2 and all(e["request"]["messages"] and e["usage"]["total_tokens"] > 0 for e in evs)
    config = json.loads((run_dir / "config.json").read_text())
    assert config["task_ids"] == ["6150a2bd", "67a3c6ac"] and config["template_hash"]


def test_solver_never_sends_a_test_output(server, tmp_path):
    server.set_script([{"match": marker("6150a2bd"), "content": answer(IDENTITY)}])
    code, _ = run(server, tmp_path, "--subset", "6150a2bd", "--max-turns", "3")
    assert code == 0
    sent = [json.dumps(r.body) for r in server.chat_requests]
    assert len(sent) == 3
    for text in expected_output_texts("6150a2bd"):
        assert all(json.dumps(text)[1:-1] not in s for s in sent)


def test_right_on_train_wrong_on_test_stops_after_one_turn_and_scores_zero(server, tmp_path):
    server.set_script([{"match": marker("6150a2bd"), "content": answer(cheat("6150a2bd",
                                                                             "return [r[::-1] for r in grid[::-1]]"))}])
    code, run_dir = run(server, tmp_path, "--subset", "6150a2bd", "--max-turns", "3")
    assert code == 0
    log = task_log(run_dir, "6150a2bd")
    assert len(log.turns) == 1 and log.turns[0].all_train_correct
    assert summary(run_dir).score == 0.0


def test_test_correct_stop_rule_continues_and_marks_the_run_leaky(server, tmp_path, capsys):
    server.set_script([{"match": marker("6150a2bd"), "content": answer(cheat("6150a2bd",
                                                                             "return [r[::-1] for r in grid[::-1]]"))}])
    code, run_dir = run(server, tmp_path, "--subset", "6150a2bd", "--max-turns", "3", "--stop-when", "test-correct")
    assert code == 0
    assert len(task_log(run_dir, "6150a2bd").turns) == 3
    s = summary(run_dir)
    assert s.leaky is True
    assert "LEAKY" in capsys.readouterr().out


def test_fix_on_second_turn_solves_in_two_turns_with_feedback_in_the_log(server, tmp_path):
    m = marker("6150a2bd")
    server.set_script([
        {"match": m, "turn": 1, "content": answer(IDENTITY, "Maybe nothing changes.")},
        {"match": m, "turn": 2, "content": answer(ROT180, "It is a half turn.")},
    ])
    code, run_dir = run(server, tmp_path, "--subset", "6150a2bd", "--max-turns", "3")
    assert code == 0
    log = task_log(run_dir, "6150a2bd")
    assert len(log.turns) == 2 and log.score.fully_solved
    fb = log.turns[0].feedback
    assert fb and "0 of 2 solved" in fb and "Expected output (3x3)" in fb
    second = server.chat_requests[1].body["messages"]
    assert second[-1]["content"] == fb and second[-2]["role"] == "assistant"
    assert summary(run_dir).turn1_solved == 0


def test_chaos_replies_still_finish_every_task(server, tmp_path):
    m1, m2, m3 = marker("6150a2bd"), marker("67a3c6ac"), marker("68b16354")
    server.set_script([
        {"match": m1, "status": 500, "times": 1},
        {"match": m1, "garbage": True, "times": 1},
        {"match": m1, "content": answer(ROT180)},
        {"match": m2, "status": 429, "retry_after": "0", "times": 2},
        {"match": m2, "content": "I am not sure what the rule is."},
        {"match": m3, "reset": True, "times": 1},
        {"match": m3, "content": answer("def transform(grid):\n    return 1 / 0\n")},
    ])
    code, run_dir = run(server, tmp_path, "--subset", "6150a2bd,67a3c6ac,68b16354", "--max-turns", "2",
                        "--max-workers", "3")
    assert code == 0
    s = summary(run_dir)
    assert s.total_tasks == 3 and s.api_failures == 0 and s.tasks_fully_solved == 1
    assert {t.status for t in s.tasks} == {"done"}
    evs = events(run_dir)
    retries = {e["task_id"]: len(e["retries"]) for e in evs if e["turn"] == 0}
    assert retries["6150a2bd"] == 2 and retries["67a3c6ac"] == 2 and retries["68b16354"] == 1
    assert task_log(run_dir, "68b16354").turns[0].train[0].error == "exception"
    assert task_log(run_dir, "67a3c6ac").turns[0].code is None


def test_a_task_whose_calls_keep_failing_is_an_api_failure_not_a_wrong_answer(server, tmp_path):
    server.set_script([{"match": marker("6150a2bd"), "status": 503}])
    code, run_dir = run(server, tmp_path, "--subset", "6150a2bd", "--max-attempts", "2")
    assert code == 0
    s = summary(run_dir)
    assert s.api_failures == 1 and s.api_successes == 0 and s.failed_calls == 1
    assert task_log(run_dir, "6150a2bd").status == "api_failure"


def test_reasoning_only_answers_are_extracted(server, tmp_path):
    server.set_script([{"match": marker("6150a2bd"), "content": "See my reasoning.",
                        "reasoning": answer(ROT180), "reasoning_placement": "reasoning_content"}])
    code, run_dir = run(server, tmp_path, "--subset", "6150a2bd")
    assert code == 0
    turn = task_log(run_dir, "6150a2bd").turns[0]
    assert turn.code_source == "reasoning" and turn.code == ROT180
    assert summary(run_dir).tasks_fully_solved == 1


def test_independent_mode_sends_fresh_single_turn_requests(server, tmp_path):
    server.set_script([{"match": marker("6150a2bd"), "content": answer(IDENTITY)}])
    code, run_dir = run(server, tmp_path, "--subset", "6150a2bd", "--max-turns", "3", "--independent-attempts")
    assert code == 0
    reqs = server.chat_requests
    assert len(reqs) == 3 and all(len(r.body["messages"]) == 2 for r in reqs)
    assert [t.sample for t in task_log(run_dir, "6150a2bd").turns] == [0, 1, 2]


def test_hybrid_samples_half_the_budget_then_continues_the_best(server, tmp_path):
    m = marker("6150a2bd")
    half = "def transform(grid):\n    return [row[::-1] for row in grid]\n"  # some pixels right
    server.set_script([
        {"match": m, "turn": 1, "times": 1, "content": answer(IDENTITY)},
        {"match": m, "turn": 1, "times": 1, "content": answer(half)},
        {"match": m, "turn": 2, "content": answer(ROT180)},
    ])
    code, run_dir = run(server, tmp_path, "--subset", "6150a2bd", "--max-turns", "4", "--mode", "hybrid")
    assert code == 0
    log = task_log(run_dir, "6150a2bd")
    assert [(t.sample, t.turn_in_sample, t.phase) for t in log.turns] == [(0, 1, "sample"), (1, 1, "sample"),
                                                                           (1, 2, "feedback")]
    assert log.score.fully_solved
    third = server.chat_requests[2].body["messages"]
    assert half.strip() in third[2]["content"]


def test_repeat_runs_statistics(server, tmp_path):
    m = marker("6150a2bd")
    server.set_script([{"match": m, "content": answer(ROT180), "times": 2}, {"content": answer(IDENTITY)}])
    code, run_dir = run(server, tmp_path, "--subset", "6150a2bd,67a3c6ac", "--max-turns", "1",
                        "--repeat-runs", "3")
    assert code == 0
    agg = json.loads((run_dir / "aggregate.json").read_text())
    assert [r["all_turns_success"] for r in agg["per_run"]] == [0.5, 0.5, 0.0]
    assert agg["all_turns_success"]["mean"] == pytest.approx(1 / 3)
    assert agg["all_turns_success"]["std"] == pytest.approx(0.288675, rel=1e-4)
    assert agg["turn1_success"]["mean"] == pytest.approx(1 / 3)
    for k in (1, 2, 3):
        assert (run_dir / f"run_{k}" / "summary.json").exists()


def test_unreachable_server_is_a_one_line_user_error(tmp_path, capsys):
    code = main(["run", "--base-url", "http://127.0.0.1:9/v1", "--model", "x", "--run-dir", str(tmp_path / "r"),
                 "--subset", "6150a2bd"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: cannot reach http://127.0.0.1:9/v1")
    assert len(err.strip().splitlines()) == 1


def test_missing_key_for_a_remote_endpoint_names_the_variable(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    code = main(["run", "--model", "gpt-4.1-nano", "--subset", "6150a2bd"])
    err = capsys.readouterr().err
    assert code == 2 and "OPENAI_API_KEY" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(("flag", "value", "expect"), [
    ("--max-workers", "0", "--max-workers: input should be greater than or equal to 1 (got 0)"),
    ("--repeat-runs", "11", "--repeat-runs: input should be less than or equal to 10 (got 11)"),
    ("--mode", "mcts", "--mode: must be feedback, independent, hybrid, tools or refine (got 'mcts')"),
    ("--stop-when", "always", "--stop-when: input should be 'train-correct', 'never' or 'test-correct'"),
    ("--request-timeout", "0", "--request-timeout: input should be greater than 0 (got 0.0)"),
    ("--extra-body", "{nope", "--extra-body is not valid JSON"),
])
def test_bad_flags_are_one_line_user_errors(server, tmp_path, capsys, flag, value, expect):
    code, _ = run(server, tmp_path, "--subset", "6150a2bd", flag, value)
    err = capsys.readouterr().err
    assert code == 2 and expect in err and len(err.strip().splitlines()) == 1


def test_a_server_error_with_escapes_and_markup_is_shown_as_text_and_the_run_finishes(server, tmp_path, capsys):
    server.set_script([{"match": marker("6150a2bd"), "status": 400,
                        "error_message": "bad [/red]\x1b]0;pwned\x07\x1b[2J request"}])
    run_dir = tmp_path / "odd[/red]\x1b[2J"
    code = main(["run", "--base-url", server.base_url, "--model", "scripted", "--run-dir", str(run_dir),
                 "--subset", "6150a2bd", "--max-attempts", "1"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "\x1b" not in printed and "\x07" not in printed
    assert "bad [/red] request" in printed and "odd[/red]" in printed
    assert task_log(run_dir, "6150a2bd").status == "api_failure"
