"""The strategies and options researchers compare, end to end: `arcbench run` against the local server over real
HTTP, the real client, sandbox and run directory."""

from __future__ import annotations

import json
from typing import Any

import pytest

from arcbench.cli import main
from arcbench.prompts.images import grid_png, image_part
from arcbench.run.records import TaskLog
from tests.run.helpers import FLIPLR, IDENTITY, ROT180, answer, cheat, events, marker, run_cli, summary, task_log

TASK = "6150a2bd"  # a half turn


def _as_if_killed_after(run_dir, turns: int) -> None:
    """Leave the run as a kill would after its first `turns` calls (and their tool results) reached disk."""
    lines = (run_dir / "events.jsonl").read_text().splitlines()
    kept = [ln for ln in lines if json.loads(ln).get("turn", -1) < turns]  # prompt lines have no turn
    (run_dir / "events.jsonl").write_text("\n".join(kept) + "\n")
    log = task_log(run_dir, TASK)
    (run_dir / "tasks" / f"{TASK}.json").write_text(
        TaskLog(task_id=TASK, train=log.train, test_inputs=log.test_inputs).model_dump_json())
    (run_dir / "summary.json").unlink()


def run(server, tmp_path, *args: str) -> tuple[int, Any]:
    return run_cli(server, tmp_path, "--subset", TASK, *args)


def call(name: str, code: str) -> dict[str, Any]:
    return {"name": name, "arguments": {"code": code}}


TOOL_SCRIPT = [
    {"turn": 1, "tool_calls": [call("run_python", "shapes = [len(p['input']) for p in train]\nshapes")]},
    {"turn": 2, "tool_calls": [call("run_python", "print(shapes, len(test_inputs))"), call("submit", IDENTITY)]},
    {"turn": 3, "tool_calls": [call("submit", ROT180)]},
]


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_a_model_with_tools_explores_submits_and_every_call_is_logged(server, tmp_path, stream):
    server.set_script(TOOL_SCRIPT)
    code, run_dir = run(server, tmp_path, "--mode", "tools", "--max-turns", "6", *(["--stream"] if stream else []))
    assert code == 0
    log = task_log(run_dir, TASK)
    assert [len(t.tool_calls) for t in log.turns] == [1, 2, 1] and log.stop_reason == "train_correct"
    assert log.turns[1].tool_calls[0].result == "stdout:\n[3, 3] 1\n"  # `shapes` lived on from the first call
    assert "0 of 2 solved" in log.turns[1].tool_calls[1].result and log.score is not None and log.score.fully_solved
    bodies = [r.body or {} for r in server.chat_requests]
    assert all([t["function"]["name"] for t in b["tools"]] == ["run_python", "submit"] for b in bodies)
    third = bodies[2]["messages"]
    assert [m["role"] for m in third[-3:]] == ["assistant", "tool", "tool"]
    assert third[-1]["content"] == log.turns[1].tool_calls[1].result
    tools = [e for e in events(run_dir) if e["type"] == "tool"]
    assert [(e["turn"], e["name"], e["ok"]) for e in tools] == [(0, "run_python", True), (1, "run_python", True),
                                                                (1, "submit", True), (2, "submit", True)]
    calls = [e for e in events(run_dir) if e["type"] == "call"]
    assert [c["name"] for c in calls[1]["tool_calls"]] == ["run_python", "submit"]


def test_a_resumed_tools_run_replays_tool_results_and_pays_only_for_the_rest(server, tmp_path):
    server.set_script(TOOL_SCRIPT)
    code, run_dir = run(server, tmp_path, "--mode", "tools", "--max-turns", "6")
    assert code == 0
    first_requests = [r.body for r in server.chat_requests]
    # As if killed after the first call and its tool result reached disk.
    _as_if_killed_after(run_dir, turns=1)
    server.clear_requests()
    assert main(["run", "--resume", str(run_dir), "--quiet"]) == 0
    again = [r.body for r in server.chat_requests]
    assert again == first_requests[1:]  # the same conversation, the first call not paid again
    resumed = task_log(run_dir, TASK)
    assert resumed.turns[0].tool_calls[0].replayed and not resumed.turns[1].tool_calls[0].replayed
    assert resumed.score is not None and resumed.score.fully_solved


def test_an_endpoint_that_refuses_tools_ends_the_run_in_one_line(server, tmp_path, capsys):
    server.set_script([{"status": 400, "error_message": "tools is not supported with this model"}])
    code, _ = run(server, tmp_path, "--mode", "tools")
    err = capsys.readouterr().err
    assert code == 2 and "refuses function tools" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_images_reach_the_endpoint_as_png_content_parts(server, tmp_path):
    server.set_script([{"content": answer(IDENTITY)}])
    code, run_dir = run(server, tmp_path, "--images", "--max-turns", "2")
    assert code == 0
    first, second = (r.body or {} for r in server.chat_requests)
    log = task_log(run_dir, TASK)
    urls = [p["image_url"]["url"] for p in first["messages"][1]["content"] if p["type"] == "image_url"]
    grids = [g for pair in log.train for g in (pair["input"], pair["output"])] + log.test_inputs
    assert urls == [image_part(grid_png(g))["image_url"]["url"] for g in grids]
    feedback = second["messages"][-1]["content"]
    assert isinstance(feedback, list) and sum(p["type"] == "image_url" for p in feedback) == 2
    assert "[image]" in log.turns[0].user_message and log.turns[0].feedback


def test_a_cycle_of_programs_triggers_the_oscillation_limit(server, tmp_path):
    m = marker(TASK)
    server.set_script([{"match": m, "turn": t, "content": answer(IDENTITY if t % 2 else FLIPLR)} for t in range(1, 5)])
    code, run_dir = run(server, tmp_path, "--max-turns", "5", "--max-repeats", "2")
    assert code == 0
    log = task_log(run_dir, TASK)
    assert [t.repeat_of for t in log.turns][:4] == [None, None, 0, 1]
    assert (log.turns[4].phase, log.turns[4].sample) == ("restart", 1)
    assert len(server.chat_requests[4].body["messages"]) == 2


def test_a_hardcoded_program_is_ranked_last_even_when_it_came_first(server, tmp_path):
    m = marker(TASK)
    server.set_script([
        {"match": m, "turn": 1, "content": answer(cheat(TASK, "return [r[::-1] for r in grid[::-1]]"))},
        {"match": m, "turn": 2, "content": answer(ROT180)},
    ])
    code, run_dir = run(server, tmp_path, "--max-turns", "2", "--stop-when", "never")
    assert code == 0
    log = task_log(run_dir, TASK)
    assert [t.hardcoded for t in log.turns] == [True, False] and "test input 1" in log.turns[0].hardcoded_reason
    first, second = log.attempts[0]
    assert first.turns == [1] and not first.hardcoded and second.hardcoded
    assert summary(run_dir).score == 1.0


def test_three_experts_vote_on_the_answer(server, tmp_path):
    right, wrong = ROT180, cheat(TASK, "return [r[::-1] for r in grid[::-1]]")
    server.set_script([{"times": 1, "content": answer(right)}, {"times": 1, "content": answer(wrong)},
                       {"times": 1, "content": answer(right)}])
    code, run_dir = run(server, tmp_path, "--mode", "refine", "--experts", "3", "--max-turns", "6")
    assert code == 0
    log = task_log(run_dir, TASK)
    assert sorted(t.sample for t in log.turns) == [0, 1, 2] and log.stop_reason == "train_correct"
    first = log.attempts[0][0]
    assert first.votes == 2 and log.score is not None and log.score.fully_solved
    assert len({json.dumps(r.body["messages"][1]["content"]) for r in server.chat_requests}) >= 2  # own orders


def test_refinement_shows_every_expert_the_best_programs_so_far(server, tmp_path):
    server.set_script([{"turn": 1, "content": answer(FLIPLR)}])
    code, run_dir = run(server, tmp_path, "--mode", "refine", "--experts", "2", "--max-turns", "4")
    assert code == 0
    later = [r.body["messages"][1]["content"] for r in server.chat_requests[2:]]
    assert len(later) == 2 and all("### Program 1" in t and "expected/produced" in t for t in later)
    assert [t.phase for t in task_log(run_dir, TASK).turns] == ["sample", "sample", "refine", "refine"]


def test_the_generalisation_check_asks_with_the_test_outputs_and_logs_the_answer(server, tmp_path):
    m = marker(TASK)
    server.set_script([{"match": m, "turn": 1, "content": answer(cheat(TASK, "return [r[::-1] for r in grid[::-1]]"))},
                       {"match": m, "turn": 2, "content": answer(ROT180, "It was fitted; here is the general rule.")}])
    code, run_dir = run(server, tmp_path, "--max-turns", "4", "--generalise-check")
    assert code == 0
    log = task_log(run_dir, TASK)
    assert [t.phase for t in log.turns] == ["sample", "generalise"] and log.stop_reason == "train_correct"
    assert "nobody has checked these outputs" in log.turns[1].user_message
    assert log.score is not None and log.score.fully_solved  # the revision ranks first: the first program is hard-coded


def test_grid_descriptions_and_diff_feedback_reach_the_model(server, tmp_path):
    code_text = FLIPLR + "\ndef describe_input(grid):\n    return f'{len(grid)} rows'\n"
    server.set_script([{"content": answer(code_text)}])
    code, run_dir = run(server, tmp_path, "--max-turns", "2", "--describe-grids", "--feedback", "diff",
                        "--mode", "hybrid")
    assert code == 0
    feedback = server.chat_requests[-1].body["messages"][-1]["content"]
    assert "describe_input(input): 3 rows" in feedback and "wrong cells as expected/produced" in feedback
    assert task_log(run_dir, TASK).turns[0].descriptions is not None


def test_strategy_settings_cannot_change_on_resume(server, tmp_path, capsys):
    server.set_script([{"content": answer(ROT180)}])
    code, run_dir = run(server, tmp_path, "--images")
    assert code == 0
    assert main(["run", "--resume", str(run_dir), "--max-repeats", "2"]) == 2
    assert "--max-repeats cannot change when resuming" in capsys.readouterr().err


@pytest.mark.parametrize("flags,message", [
    (["--experts", "0"], "--experts: input should be greater than or equal to 1"),
    (["--feedback", "pixels"], "--feedback: input should be 'text' or 'diff'"),
    (["--max-tool-calls", "0"], "--max-tool-calls: input should be greater than or equal to 1"),
])
def test_bad_strategy_flags_are_one_line_errors(server, tmp_path, capsys, flags, message):
    code, _ = run(server, tmp_path, *flags)
    assert code == 2 and message in capsys.readouterr().err


def test_a_resumed_refinement_sends_the_same_prompts_and_pays_only_for_the_rest(server, tmp_path):
    server.set_script([{"content": answer(FLIPLR)}])
    code, run_dir = run(server, tmp_path, "--mode", "refine", "--experts", "2", "--max-turns", "4")
    assert code == 0
    second_round = sorted(json.dumps(r.body) for r in server.chat_requests[2:])
    # As if killed when the first iteration's two calls had reached disk.
    _as_if_killed_after(run_dir, turns=2)
    server.clear_requests()
    assert main(["run", "--resume", str(run_dir), "--quiet"]) == 0
    assert sorted(json.dumps(r.body) for r in server.chat_requests) == second_round
    assert len(task_log(run_dir, TASK).turns) == 4
