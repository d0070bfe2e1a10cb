from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from arcbench.data import load_tasks
from arcbench.data.types import Example
from arcbench.prompts import grid_to_text, infer_output_shape, parse_task_prompt, task_prompt, text_to_grid

grids = st.integers(1, 30).flatmap(
    lambda w: st.lists(st.lists(st.integers(0, 9), min_size=w, max_size=w), min_size=1, max_size=30)
)


@given(grids)
def test_grid_text_round_trips(grid):
    assert text_to_grid(grid_to_text(grid)) == grid


def test_prompt_parses_back_to_the_task_for_every_training_task():
    for lt in load_tasks("arc-agi-1", "all_training"):
        train, tests = parse_task_prompt(task_prompt(lt.task))
        assert train == lt.task.train and tests == lt.task.test_inputs, lt.id


def test_prompt_holds_no_test_output():
    (lt,) = load_tasks("arc-agi-1", "6150a2bd")
    text = task_prompt(lt.task)
    assert grid_to_text(lt.test_outputs[0]) not in text
    assert "should be 3x3" in text


def test_output_shape_inference():
    same = [Example(input=[[0] * 3] * 2, output=[[1] * 3] * 2), Example(input=[[0] * 4] * 4, output=[[1] * 4] * 4)]
    assert infer_output_shape(same, [[0] * 5] * 6) == (6, 5)
    const = [Example(input=[[0] * 3] * 2, output=[[1]]), Example(input=[[0] * 4] * 4, output=[[1]])]
    assert infer_output_shape(const, [[0] * 5] * 6) == (1, 1)
    double = [Example(input=[[0] * 3] * 2, output=[[1] * 6] * 4), Example(input=[[0]], output=[[1] * 2] * 2)]
    assert infer_output_shape(double, [[0] * 5] * 6) == (12, 10)
    mixed = [Example(input=[[0] * 3] * 2, output=[[1]]), Example(input=[[0]], output=[[1] * 2] * 2)]
    assert infer_output_shape(mixed, [[0]]) is None
