from __future__ import annotations

from arcbench.data.types import Example
from arcbench.prompts.feedback import MAX_EXAMPLE_CHARS, MAX_FEEDBACK_CHARS, render_feedback
from arcbench.solve import ExampleResult

TRAIN = [Example(input=[[1, 2]], output=[[2, 1]]), Example(input=[[3, 4]], output=[[4, 3]])]


def test_feedback_reports_each_example_with_grids_and_shape_hint():
    results = [
        ExampleResult(index=0, output=[[2, 1]], correct=True, pixel_accuracy=1.0),
        ExampleResult(index=1, output=[[4, 3, 0]], correct=False, pixel_accuracy=0.0),
    ]
    text = render_feedback(TRAIN, results)
    assert "1 of 2 solved" in text
    assert "Training example 1: solved" in text and "Training example 2: not solved" in text
    assert "Expected output (1x2):\n4 3" in text and "Your output (1x3):\n4 3 0" in text
    assert "Shape hint: your output is 1x3 but the expected output is 1x2." in text
    assert "Some examples are solved" in text and "Generalise" in text


def test_feedback_shows_errors_in_place_of_output():
    results = [ExampleResult(index=i, error="exception", message="ZeroDivisionError: division by zero")
               for i in range(2)]
    text = render_feedback(TRAIN, results)
    assert "Your program failed (exception): ZeroDivisionError" in text
    assert "No example is solved yet" in text


def test_feedback_without_code_asks_for_a_code_block():
    text = render_feedback(TRAIN, None)
    assert "held no code" in text and "exactly one ```python block that defines `transform(grid)`" in text


HUGE = "ValueError: " + "x" * 15_000_000 + " (end of the message)"
"""A 15 MB error message, as a forged sandbox report can carry it."""


def test_a_huge_error_message_is_cut_per_example_and_the_model_is_told():
    results = [ExampleResult(index=i, error="exception", message=HUGE) for i in range(2)]
    text = render_feedback(TRAIN, results)
    assert len(text) <= 2 * MAX_EXAMPLE_CHARS + 2_000
    assert text.count("characters cut") == 2
    assert text.count("(end of the message)") == 2  # the end of a traceback (the exception) is kept
    assert "Training example 2: not solved" in text and "No example is solved yet" in text


def test_a_huge_output_grid_is_cut_per_example():
    results = [ExampleResult(index=0, output=[[1] * 1000] * 1000), ExampleResult(index=1, output=[[4, 3]],
                                                                                  correct=True, pixel_accuracy=1.0)]
    text = render_feedback(TRAIN, results)
    assert len(text) <= MAX_EXAMPLE_CHARS + 2_000 and "characters cut" in text
    assert "Training example 2: solved" in text


def test_the_whole_feedback_message_is_capped_per_turn_and_the_model_is_told():
    train = [Example(input=[[0] * 30] * 30, output=[[1] * 30] * 30)] * 200
    results = [ExampleResult(index=i, error="exception", message=HUGE) for i in range(200)]
    text = render_feedback(train, results)
    assert len(text) <= MAX_FEEDBACK_CHARS
    assert "characters cut" in text
    assert text.startswith("Your program was run on the training examples: 0 of 200 solved.")
    assert text.endswith(render_feedback(TRAIN, results[:2]).rsplit("\n", 1)[-1])  # the closing instruction stays


def test_honest_feedback_on_the_largest_arc_tasks_is_never_cut():
    """Ten 30x30 training pairs, each answered with a wrong 30x30 grid or a worker-sized error: nothing is cut."""
    train = [Example(input=[[0] * 30] * 30, output=[[1] * 30] * 30)] * 10
    wrong = [ExampleResult(index=i, output=[[2] * 30] * 30, pixel_accuracy=0.0) for i in range(10)]
    failed = [ExampleResult(index=i, error="exception", message="Traceback\n" + "y" * 3_990) for i in range(10)]
    for results in (wrong, failed):
        assert "characters cut" not in render_feedback(train, results)
