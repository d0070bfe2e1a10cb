"""The baseline as a solver: it reads grids from the prompt text, finds programs, and emits standalone source."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys

import pytest

from arcbench.baseline import count_tokens, solve_messages
from arcbench.baseline.search import Search
from arcbench.data import load_tasks
from arcbench.prompts.grids import grid_to_text
from arcbench.prompts.render import task_messages
from tests.baseline.helpers import code_of, run_in_process

EASY = {
    "6150a2bd": "rotate 180°",
    "67a3c6ac": "flip left-right",
    "0d3d703e": "colour map",
    "c59eb873": "scale up 2x",
    "3af2c5a8": "mirrored tiling",
    "00d62c1b": "fill enclosed areas",
    "007bbfb7": "fractal",
}


@pytest.mark.parametrize("task_id", sorted(EASY))
def test_solves_easy_task_from_the_prompt_alone(arc1, task_id: str) -> None:
    lt = arc1[task_id]
    code = code_of(solve_messages(task_messages(lt.task)))
    assert run_in_process(code, lt.task.test_inputs) == lt.test_outputs


def test_given_messages_hold_no_test_output(arc1) -> None:
    """The only way in is the chat messages, and the messages of a task carry its test inputs, not its outputs."""
    assert list(inspect.signature(solve_messages).parameters) == ["messages", "time_budget_s"]
    for task_id in EASY:
        lt = arc1[task_id]
        text = "\n".join(m["content"] for m in task_messages(lt.task))
        for out in lt.test_outputs:
            assert grid_to_text(out) not in text
        for grid in lt.task.test_inputs:
            assert grid_to_text(grid) in text


def test_emitted_program_runs_standalone_with_numpy_only(arc1) -> None:
    """In a fresh interpreter where arcbench cannot be imported, the emitted programs reproduce the training
    outputs."""
    programs = {tid: code_of(solve_messages(task_messages(arc1[tid].task))) for tid in ("3af2c5a8", "00d62c1b")}
    for tid, code in programs.items():
        assert "arcbench" not in code
        lt = arc1[tid]
        runner = (
            "import json, sys\n"
            "sys.modules['arcbench'] = None  # any import of arcbench now fails\n"
            "job = json.load(sys.stdin)\n"
            "ns = {}\n"
            "exec(job['code'], ns)\n"
            "print(json.dumps([ns['transform'](g) for g in job['grids']]))\n"
        )
        job = {"code": code, "grids": [e.input for e in lt.task.train]}
        done = subprocess.run([sys.executable, "-I", "-c", runner], input=json.dumps(job), capture_output=True,
                              text=True, timeout=60, env={}, check=True)
        assert json.loads(done.stdout) == [e.output for e in lt.task.train]


def test_reply_is_a_rationale_and_one_python_block(arc1) -> None:
    reply = solve_messages(task_messages(arc1["6150a2bd"].task))
    rationale = reply.split("```python", 1)[0]
    assert "rotate it 180°" in rationale and "fits all 2 training examples" in rationale
    assert "def transform(grid):" in code_of(reply)


def test_same_request_same_reply(arc1) -> None:
    messages = task_messages(arc1["0d3d703e"].task)
    assert solve_messages(messages) == solve_messages(messages)


def test_feedback_conversation_gets_the_next_untried_program(arc1) -> None:
    lt = arc1["6150a2bd"]
    messages = task_messages(lt.task)
    first = solve_messages(messages)
    convo = [*messages, {"role": "assistant", "content": first},
             {"role": "user", "content": "Your program was wrong on training example 1. Try again."}]
    second = solve_messages(convo)
    convo += [{"role": "assistant", "content": second}, {"role": "user", "content": "Still wrong."}]
    third = solve_messages(convo)
    codes = [code_of(first), code_of(second), code_of(third)]
    assert len(set(codes)) == 3
    assert second.startswith("My previous program was not right")
    # an independent (fresh) conversation gets the best answer again
    assert solve_messages(messages) == first


def test_without_a_fitting_rule_returns_the_closest_program() -> None:
    """A task no program can fit (one input, two different outputs): the reply says so, and its program is the
    one with the most training cells right (here, keeping the grid gets two examples of three)."""
    train = [([[1, 2], [3, 4]], [[7, 7], [3, 4]]), ([[1, 2], [3, 4]], [[1, 2], [3, 4]]),
             ([[5, 6], [8, 9]], [[5, 6], [8, 9]])]
    prompt = "\n".join(f"## Training example {i}\nInput (2x2):\n{grid_to_text(a)}\nOutput (2x2):\n{grid_to_text(b)}\n"
                       for i, (a, b) in enumerate(train, 1))
    prompt += "\n## Test input 1\nInput (2x2):\n1 1\n1 1\n"
    reply = solve_messages([{"role": "user", "content": prompt}])
    assert "No rule I tried fits every example" in reply
    outputs = run_in_process(code_of(reply), [a for a, _ in train])
    right = sum(o == b for (_, b), o in zip(train, outputs, strict=True))
    assert right == 2


def test_search_stops_at_its_deadline_on_a_large_task() -> None:
    """With a tiny budget on a big task the search gives up early, and the reply is still a runnable program."""
    big = max(load_tasks("arc-agi-2", "all_evaluation"), key=lambda lt: lt.size)
    import numpy as np

    pairs = [(np.array(e.input), np.array(e.output)) for e in big.task.train]
    search = Search(pairs, [np.array(t) for t in big.task.test_inputs], deadline=0.0)
    search.run()
    assert search.timed_out
    reply = solve_messages(task_messages(big.task), time_budget_s=0.05)
    outputs = run_in_process(code_of(reply), big.task.test_inputs)
    assert len(outputs) == len(big.task.test_inputs)


def test_token_count_is_characters_over_four() -> None:
    assert [count_tokens(t) for t in ("", "abc", "abcd", "abcde")] == [0, 1, 1, 2]


def test_emitted_program_runs_in_the_sandbox(arc1) -> None:
    from arcbench.sandbox import Sandbox

    lt = arc1["3af2c5a8"]
    code = code_of(solve_messages(task_messages(lt.task)))
    with Sandbox(workers=1) as sandbox:
        result = sandbox.run_sync(code, [e.input for e in lt.task.train] + lt.task.test_inputs)
    assert all(r.ok for r in result.results), result
    assert [r.output for r in result.results] == [e.output for e in lt.task.train] + lt.test_outputs
