"""--mode tools through the strategy seam: a scripted model calls run_python and submit, the session persists in the
real sandbox, budgets and limits hold, and logged results are replayed instead of run again."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from arcbench.prompts.grids import grid_to_text
from arcbench.sandbox import ProgramResult, Sandbox, SandboxLimits
from arcbench.solve import STRATEGIES, Solver, SolveSettings
from arcbench.solve.options import SolveOptions
from arcbench.solve.records import ToolCallRecord
from arcbench.solve.session import PythonSession
from arcbench.testing import ScriptedModel
from tests.solve.helpers import ROT180, answer, solve, train_only


def call(name: str, code: str) -> dict[str, Any]:
    return {"name": name, "arguments": {"code": code}}


def tool_results(messages: list[dict[str, Any]]) -> list[str]:
    return [m["content"] for m in messages if m.get("role") == "tool"]


def test_a_model_explores_then_submits_and_sees_every_result(lt, sandbox):
    model = ScriptedModel([
        {"turn": 1, "tool_calls": [call("run_python", "n = len(train)\nprint('pairs', n)")]},
        {"turn": 2, "tool_calls": [call("run_python", "n * 10")]},
        {"turn": 3, "tool_calls": [call("submit", ROT180)]},
    ])
    solver = solve(lt, STRATEGIES["tools"], model, sandbox, max_turns=6)
    turns = solver.turns_made
    assert [t.phase for t in turns] == ["sample", "tools", "tools"] and solver.stop_reason == "train_correct"
    assert tool_results(model.requests[1]) == ["stdout:\npairs 2\n"]
    assert tool_results(model.requests[2])[-1] == "value:\n20"  # n survived from the call before
    assert turns[2].code == ROT180 and turns[2].all_train_correct and turns[2].tool_calls[0].ok
    assert [t["function"]["name"] for t in model.bodies[0]["tools"]] == ["run_python", "submit"]
    assert "run_python(code)" in model.requests[0][1]["content"]  # the task prompt explains the tools


def test_a_submitted_program_right_only_on_training_stops_after_that_turn(lt, sandbox):
    model = ScriptedModel([{"turn": 1, "tool_calls": [call("submit", train_only(lt))]}])
    solver = solve(lt, STRATEGIES["tools"], model, sandbox, max_turns=5)
    (turn,) = solver.turns_made
    assert turn.all_train_correct and solver.stop_reason == "train_correct" and turn.test[0].output == [[0]]


def test_the_session_starts_with_training_pairs_and_test_inputs_and_no_test_output(lt, sandbox):
    session = PythonSession(sandbox, lt.task.train, lt.task.test_inputs, timeout_s=2, memory_mb=256)
    program = session.program("pass")
    for out in lt.test_outputs or []:
        assert json.dumps(out) not in program and grid_to_text(out) not in program
    model = ScriptedModel([
        {"turn": 1, "tool_calls": [call("run_python", "sorted(k for k in globals() if not k.startswith('_'))")]},
        {"turn": 2, "tool_calls": [call("run_python", "test_inputs == " + json.dumps(lt.task.test_inputs))]},
        {"content": "no idea"},
    ])
    solve(lt, STRATEGIES["tools"], model, sandbox, max_turns=3)
    assert tool_results(model.requests[1]) == ["value:\n['np', 'test_inputs', 'train']"]
    assert tool_results(model.requests[2])[-1] == "value:\nTrue"


def test_a_call_that_raises_leaves_nothing_in_the_session(lt, sandbox):
    model = ScriptedModel([
        {"turn": 1, "tool_calls": [call("run_python", "x = 1\n1/0")]},
        {"turn": 2, "tool_calls": [call("run_python", "x")]},
        {"content": "no idea"},
    ])
    turns = solve(lt, STRATEGIES["tools"], model, sandbox, max_turns=3).turns_made
    first, second = turns[0].tool_calls[0], turns[1].tool_calls[0]
    assert not first.ok and "ZeroDivisionError" in first.result and "1/0" in first.result
    assert not second.ok and "NameError" in second.result


def test_a_call_is_stopped_at_its_time_limit_and_the_session_goes_on(lt, sandbox):
    model = ScriptedModel([
        {"turn": 1, "tool_calls": [call("run_python", "k = 7")]},
        {"turn": 2, "tool_calls": [call("run_python", "import time\nwhile True:\n    time.sleep(0.01)")]},
        {"turn": 3, "tool_calls": [call("run_python", "k + 1")]},
        {"content": "no idea"},
    ])
    turns = solve(lt, STRATEGIES["tools"], model, sandbox, max_turns=4,
                  options=SolveOptions(tool_timeout_s=0.5)).turns_made
    assert "ran longer than 0.5 s" in turns[1].tool_calls[0].result
    assert turns[2].tool_calls[0].result == "value:\n8"


def test_a_call_is_held_to_its_memory_limit(lt, sandbox):
    model = ScriptedModel([{"turn": 1, "tool_calls": [call("run_python", "b = bytearray(900 * 2**20)\nlen(b)")]},
                           {"content": "no idea"}])
    turns = solve(lt, STRATEGIES["tools"], model, sandbox, max_turns=2,
                  options=SolveOptions(tool_memory_mb=128)).turns_made
    result = turns[0].tool_calls[0]
    assert not result.ok and ("MemoryError" in result.result or "memory" in result.result)


def test_the_tool_budget_holds_and_then_tools_are_switched_off(lt, sandbox):
    model = ScriptedModel([
        {"turn": 1, "tool_calls": [call("run_python", "1"), call("run_python", "2"), call("run_python", "3")]},
        {"turn": 2, "content": answer(ROT180)},
    ])
    solver = solve(lt, STRATEGIES["tools"], model, sandbox, max_turns=4, options=SolveOptions(max_tool_calls=2))
    first, second = solver.turns_made
    assert [c.result for c in first.tool_calls] == ["value:\n1", "value:\n2",
                                                    "not run: the 2 tool calls of this puzzle are spent"]
    assert model.requests[1][-1]["role"] == "user" and "no more tool calls" in model.requests[1][-1]["content"]
    assert model.bodies[1]["tool_choice"] == "none" and "tool_choice" not in model.bodies[0]
    assert second.code == ROT180 and second.all_train_correct  # the final message's block counts as a submit


def test_a_final_message_with_a_python_block_is_fed_back_like_a_submit(lt, sandbox):
    model = ScriptedModel([{"turn": 1, "content": answer("def transform(grid):\n    return grid\n")},
                           {"content": "no idea"}])
    solver = solve(lt, STRATEGIES["tools"], model, sandbox, max_turns=2)
    first = solver.turns_made[0]
    assert first.code is not None and model.requests[1][-1] == {"role": "user", "content": first.feedback}
    assert "0 of 2 solved" in (first.feedback or "")


def test_one_submit_runs_per_reply(lt, sandbox):
    model = ScriptedModel([{"turn": 1, "tool_calls": [call("submit", "def transform(grid):\n    return grid\n"),
                                                      call("submit", ROT180)]}, {"content": "no idea"}])
    first = solve(lt, STRATEGIES["tools"], model, sandbox, max_turns=2).turns_made[0]
    assert first.code is not None and "return grid" in first.code and not first.all_train_correct
    assert first.tool_calls[1].result.startswith("not run: one submit runs per reply")


def test_a_reply_with_neither_calls_nor_code_is_told_to_use_the_tools(lt, sandbox):
    model = ScriptedModel([{"turn": 1, "content": "Let me think."}, {"content": "no idea"}])
    solve(lt, STRATEGIES["tools"], model, sandbox, max_turns=2)
    assert "called no tool" in model.requests[1][-1]["content"]


def test_bad_arguments_and_unknown_tools_are_answered_not_run(lt, sandbox):
    model = ScriptedModel([{"turn": 1, "tool_calls": [{"name": "run_python", "arguments": "{not json"},
                                                      {"name": "shell", "arguments": {"code": "ls"}}]},
                           {"content": "no idea"}])
    first = solve(lt, STRATEGIES["tools"], model, sandbox, max_turns=2).turns_made[0]
    assert "must be JSON" in first.tool_calls[0].result and "no tool 'shell'" in first.tool_calls[1].result


class CountingSandbox:
    """The real sandbox, counting the programs it is asked to run."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox, self.runs = sandbox, 0

    async def run(self, source: str, grids: list, limits: SandboxLimits | None = None) -> ProgramResult:
        self.runs += 1
        return await self.sandbox.run(source, grids, limits)


class MemoryJournal:
    """Tool results kept in a dict, as the run keeps them in events.jsonl."""

    def __init__(self) -> None:
        self.records: dict[tuple[int, str], ToolCallRecord] = {}

    def logged_tool(self, turn: int, call_id: str) -> ToolCallRecord | None:
        return self.records.get((turn, call_id))

    async def record_tool(self, turn: int, record: ToolCallRecord) -> None:
        self.records[(turn, record.id)] = record


def test_logged_tool_results_are_replayed_instead_of_run_again(lt, sandbox):
    script = [{"turn": 1, "tool_calls": [call("run_python", "import random\nr = random.random()\nr")]},
              {"turn": 2, "tool_calls": [call("run_python", "r * 2")]},
              {"content": "no idea"}]
    journal = MemoryJournal()
    counting = CountingSandbox(sandbox)

    def run_once() -> list:
        solver = Solver(lt.task, STRATEGIES["tools"], ScriptedModel(script), counting, SolveSettings(max_turns=3),
                        journal=journal)

        async def go() -> None:
            async for _ in solver.turns():
                pass

        asyncio.run(go())
        return solver.turns_made

    first = run_once()
    ran = counting.runs
    again = run_once()
    assert [c.result for t in first for c in t.tool_calls] == [c.result for t in again for c in t.tool_calls]
    assert all(c.replayed for t in again for c in t.tool_calls)
    assert ran == 2 and counting.runs == ran  # the second time, nothing ran
