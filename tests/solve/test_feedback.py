from __future__ import annotations

from arcbench.data.types import Example
from arcbench.prompts.feedback import render_feedback
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
    assert "no ```python code block" in render_feedback(TRAIN, None)
