"""The feedback says exactly what happened to the reply: no code, code without a `transform`, a syntax error (once,
not once per example), code found outside a block or under another name."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from arcbench.data import LabelledTask, load_tasks
from arcbench.data.types import Example
from arcbench.prompts.feedback import ReplyFacts, render_feedback
from arcbench.sandbox import Sandbox
from arcbench.solve import ExampleResult, SolveContext
from arcbench.testing import ScriptedModel
from tests.solve.test_extract_shapes import TRANSFORM_GRID_SYNTAX_ERROR, TWO_UNRELATED_FUNCTIONS, UNFENCED

TRAIN = [Example(input=[[1, 2]], output=[[2, 1]]), Example(input=[[3, 4]], output=[[4, 3]]),
         Example(input=[[5, 6]], output=[[6, 5]])]
SYNTAX = "File \"<program>\", line 10\n    print(transform_grid([[1, 0], [0, 1]])\n         ^\nSyntaxError: '(' was " \
         "never closed"
FALSE_NO_BLOCK = "no ```python code block"


def _all(error: str, message: str) -> list[ExampleResult]:
    return [ExampleResult(index=i, error=error, message=message) for i in range(len(TRAIN))]


def test_a_syntax_error_is_told_once_with_its_line_not_once_per_example():
    text = render_feedback(TRAIN, _all("syntax", SYNTAX))
    assert text.count("SyntaxError: '(' was never closed") == 1
    assert "line 10" in text and "syntax error" in text
    assert "Training example 2" not in text
    assert FALSE_NO_BLOCK not in text


def test_a_program_without_transform_at_run_time_is_told_once():
    text = render_feedback(TRAIN, _all("no_transform", "the program defines no function transform"))
    assert text.count("defines no function transform") == 1 and "Training example 2" not in text


def test_a_reply_without_code_is_told_it_held_none():
    text = render_feedback(TRAIN, None, ReplyFacts(missing="no code"))
    assert "Your reply held no code, so nothing could be run." in text


def test_code_without_a_transform_function_is_told_what_it_defines():
    text = render_feedback(TRAIN, None, ReplyFacts(
        missing="code that defines `count` and `widest` but no `transform(grid)`"))
    assert "Your reply held code that defines `count` and `widest` but no `transform(grid)`" in text
    assert FALSE_NO_BLOCK not in text


def test_code_run_under_another_name_is_told():
    results = [ExampleResult(index=i, output=e.output, correct=True, pixel_accuracy=1.0) for i, e in enumerate(TRAIN)]
    text = render_feedback(TRAIN, results, ReplyFacts(function="transform_grid"))
    assert "`transform_grid` was run as `transform(grid)`" in text


def test_code_found_outside_a_block_is_told():
    results = [ExampleResult(index=i, output=e.output, correct=True, pixel_accuracy=1.0) for i, e in enumerate(TRAIN)]
    text = render_feedback(TRAIN, results, ReplyFacts(outside_block=True))
    assert "not in a ```python block" in text


# ------------------------------------------------------------------ end to end: reply -> sandbox -> feedback


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(workers=1) as s:
        yield s


@pytest.fixture(scope="module")
def lt() -> LabelledTask:
    (task,) = load_tasks("arc-agi-1", "6150a2bd")
    return task


def _turn_and_feedback(lt: LabelledTask, sandbox: Sandbox, reply: str):
    ctx = SolveContext(lt.task, ScriptedModel([{"content": reply}]), sandbox, max_turns=1)
    turn = asyncio.run(ctx.sample(ctx.opening(), sample=0))
    return turn, ctx.feedback(turn)


def test_a_reply_whose_transform_grid_does_not_parse_gets_its_syntax_error_back(lt, sandbox):
    turn, feedback = _turn_and_feedback(lt, sandbox, TRANSFORM_GRID_SYNTAX_ERROR)
    assert turn.code is not None and turn.code_function == "transform_grid"
    assert {e.error for e in turn.train} == {"syntax"}
    assert feedback.count("was never closed") == 1 and "line 10" in feedback
    assert FALSE_NO_BLOCK not in feedback
    assert "`transform_grid` was run as `transform(grid)`" in feedback


def test_an_unfenced_program_is_run_and_the_model_told_where_it_was_found(lt, sandbox):
    turn, feedback = _turn_and_feedback(lt, sandbox, UNFENCED)
    assert turn.code is not None and turn.code_placement == "text" and turn.train
    assert "not in a ```python block" in feedback


def test_a_reply_with_two_unrelated_functions_is_told_what_they_are(lt, sandbox):
    turn, feedback = _turn_and_feedback(lt, sandbox, TWO_UNRELATED_FUNCTIONS)
    assert turn.code is None and turn.code_note == (
        "the reply held code that defines `count` and `widest` but no `transform(grid)`")
    assert "`count` and `widest`" in feedback


def test_a_reply_cut_at_the_token_limit_is_told_so():
    text = render_feedback(TRAIN, None, ReplyFacts(missing="no code", truncated=True, completion_tokens=4096))
    assert "cut off at the token limit (4096 tokens)" in text and "held no code" in text
    results = [ExampleResult(index=i, output=e.output, correct=True, pixel_accuracy=1.0) for i, e in enumerate(TRAIN)]
    assert "cut off at the token limit" in render_feedback(TRAIN, results, ReplyFacts(truncated=True))
    assert "cut off" not in render_feedback(TRAIN, results, ReplyFacts())


def test_a_truncated_reply_makes_a_truncated_turn(lt, sandbox):
    model = ScriptedModel([{"content": "Let me think step by step. " * 50, "finish_reason": "length",
                            "completion_tokens": 4096}])
    ctx = SolveContext(lt.task, model, sandbox, max_turns=1)
    turn = asyncio.run(ctx.sample(ctx.opening(), sample=0))
    assert turn.finish_reason == "length" and turn.truncated and turn.code is None
    assert "cut off at the token limit (4096 tokens)" in ctx.feedback(turn)
