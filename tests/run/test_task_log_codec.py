"""The compact task log is a codec: whatever turns a run makes, the log read back is the log written."""

from __future__ import annotations

import json
from unittest.mock import patch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arcbench.llm import Usage
from arcbench.run import records
from arcbench.run.records import TaskLog, compact_task_log
from arcbench.scoring import AttemptScore
from arcbench.solve.records import ExampleResult, TestRun, Turn

TEXTS = ["", "short", "x" * 40, "The task prompt\n" * 30, "```python\ndef transform(grid):\n    return grid\n```",
         "def transform(grid):\n    return grid\n", "def transform(grid):\n    return grid\n\n"]
"""Texts of every kind a turn holds, programs found inside replies among them."""
texts = st.sampled_from(TEXTS)
usages = st.builds(Usage, prompt_tokens=st.integers(0, 3), completion_tokens=st.integers(0, 3),
                   total_tokens=st.integers(0, 6))
grids = st.lists(st.lists(st.integers(0, 9), min_size=1, max_size=2), min_size=1, max_size=2)


@st.composite
def results(draw):
    train = draw(st.lists(st.builds(ExampleResult, index=st.integers(0, 3), output=st.none() | grids,
                                    correct=st.booleans(), pixel_accuracy=st.floats(0, 1)), max_size=2))
    test = draw(st.lists(st.builds(TestRun, index=st.integers(0, 1), output=st.none() | grids), max_size=1))
    scores = draw(st.none() | st.lists(st.builds(AttemptScore, correct=st.booleans(), pixel_accuracy=st.floats(0, 1),
                                                  matched_cells=st.integers(0, 4)), max_size=1))
    return train, test, scores


@st.composite
def logs(draw):
    turns: list[Turn] = []
    for call in range(draw(st.integers(0, 4))):
        per_call = {"call_id": f"call{call}", "user_message": draw(texts), "turn_in_sample": draw(st.integers(1, 3)),
                    "phase": draw(st.sampled_from(["sample", "feedback"])), "latency_s": draw(st.floats(0, 2)),
                    "cost_usd": draw(st.none() | st.floats(0, 1)), "error_kind": draw(st.none() | st.just("timeout"))}
        for choice in range(draw(st.integers(1, 3))):
            index = len(turns)
            runners = [t for t in turns if t.code is not None and t.same_program_as is None]
            source = draw(st.none() | st.sampled_from(runners)) if runners else None
            train, test, scores = (source.train, source.test, source.test_scores) if source else draw(results())
            # What a program's run gives, shared with the turns whose program is the same.
            ran = ({k: getattr(source, k) for k in ("train_solved", "train_pixel_accuracy", "hardcoded",
                                                   "hardcoded_reason")} if source else
                   {"train_solved": draw(st.integers(0, 2)), "train_pixel_accuracy": draw(st.floats(0, 1)),
                    "hardcoded": (hard := draw(st.booleans())), "hardcoded_reason": "holds an output" if hard else ""})
            varied = {k: draw(st.sampled_from([v, v, None if k == "cost_usd" else v]))
                      for k, v in per_call.items()} if draw(st.booleans()) else per_call
            turns.append(Turn(
                index=index, sample=draw(st.sampled_from([index, 0, choice])), choice=choice, **varied,
                usage=draw(usages), response=draw(texts), reasoning=draw(st.none() | texts),
                code=draw(texts) if source is None else source.code, train=train, test=test, test_scores=scores,
                same_program_as=source.index if source else None, train_total=len(train), **ran,
                finish_reason=draw(st.sampled_from([None, "stop", "length"])),
                code_function=draw(st.sampled_from([None, "transform", "solve"])),
                code_placement=draw(st.sampled_from([None, "block", "text"])),
            ))
    if draw(st.booleans()):
        # Turns out of index order, and numbers with gaps: a check made mid-round is shown before the rest of the
        # round, a call the budget stopped leaves its number unused.
        gap = draw(st.integers(1, 3))
        turns = [t.model_copy(update={"index": t.index * gap, "same_program_as": None if t.same_program_as is None
                                      else t.same_program_as * gap}) for t in turns]
        turns = draw(st.permutations(turns))
    return TaskLog(task_id="t", turns=list(turns), status=draw(st.sampled_from(["in_progress", "done"])))


@settings(max_examples=300, deadline=None)
@given(logs())
def test_a_compact_task_log_reads_back_as_the_log_written(log):
    written = json.loads(json.dumps(compact_task_log(log)))
    back = TaskLog.model_validate(written)
    assert back.model_copy(update={"schema_version": log.schema_version}) == log


@settings(max_examples=300, deadline=None)
@given(logs())
def test_a_packed_task_log_reads_back_as_the_log_written(log):
    with patch.object(records, "_PACK_MIN_CHARS", 0):  # every log packed, however few its texts
        written = json.loads(json.dumps(compact_task_log(log)))
    assert "packed" in written
    back = TaskLog.model_validate(written)
    assert back.model_copy(update={"schema_version": log.schema_version}) == log


def test_a_sampling_task_log_is_packed_and_a_damaged_pack_is_one_clear_error():
    turns = [Turn(index=i, sample=i, turn_in_sample=1, call_id=f"c{i // 8}", choice=i % 8, user_message="prompt",
                  response=f"Shift by {i}.\n```python\ndef transform(grid):\n    return [[(v + {i}) % 10 for v in r]"
                           " for r in grid]\n```\n", code=f"def transform(grid):\n    return [[(v + {i}) % 10 for v "
                                                      "in r] for r in grid]\n", code_source="answer")
             for i in range(400)]
    log = TaskLog(task_id="t", turns=turns)
    written = compact_task_log(log)
    assert "packed" in written and "texts" not in written
    assert len(json.dumps(written)) < len(log.model_dump_json()) / 4
    with pytest.raises(ValueError, match="packed texts cannot be read"):
        TaskLog.model_validate({**written, "packed": "not base85 at all"})
