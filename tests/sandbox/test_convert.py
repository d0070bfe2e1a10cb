"""Conversion and validation of returned values (child side `to_grid`, harness side `is_grid`)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from arcbench.sandbox import Sandbox, is_grid
from arcbench.sandbox.worker import to_grid
from tests.sandbox.conftest import GRID

grids = st.integers(1, 30).flatmap(
    lambda w: st.lists(st.lists(st.integers(0, 9), min_size=w, max_size=w), min_size=1, max_size=30))


@given(grids)
def test_valid_grids_convert_from_lists_tuples_and_arrays(grid: list[list[int]]) -> None:
    assert to_grid(grid) == (grid, "")
    assert to_grid(tuple(tuple(r) for r in grid)) == (grid, "")
    assert to_grid(np.array(grid, dtype=np.int32)) == (grid, "")
    assert to_grid([np.array(r) for r in grid]) == (grid, "")
    assert to_grid([[np.int64(v) for v in r] for r in grid]) == (grid, "")
    assert is_grid(grid)


@given(grids, st.integers(10, 1000) | st.integers(-1000, -1))
def test_out_of_range_cells_are_rejected(grid: list[list[int]], bad: int) -> None:
    grid[-1][-1] = bad
    out, why = to_grid(grid)
    assert out is None and str(bad) in why
    assert to_grid(np.array(grid))[0] is None
    assert not is_grid(grid)


@pytest.mark.parametrize(("value", "why"), [
    (None, "None"),
    ("123", "a str"),
    ([], "0 rows"),
    ([[]], "0 cells"),
    ([[1, 2], [3]], "not rectangular"),
    ([[0] * 31], "31 cells"),
    ([[0]] * 31, "31 rows"),
    ([[True]], "bool"),
    ([[1.5]], "1.5"),
    ([["1"]], "a str"),
    ([1, 2], "row 0 is a int"),
    (np.zeros((3, 3, 3), int), "3-d"),
    (np.zeros((31, 2), int), "31x2"),
    (np.full((2, 2), 0.5), "non-integral"),
    (np.zeros((2, 2), bool), "dtype bool"),
    (np.array([[1, 2], [3, 10]]), "10"),
    ({0: [1]}, "a dict"),
])
def test_invalid_values_say_why(value: object, why: str) -> None:
    out, message = to_grid(value)
    assert out is None
    assert why in message


def test_integral_floats_are_accepted() -> None:
    assert to_grid(np.zeros((2, 3))) == ([[0, 0, 0], [0, 0, 0]], "")
    assert to_grid([[1.0, 2.0]]) == ([[1, 2]], "")


@pytest.mark.parametrize("value", [[[1, 2], [3]], [[True]], [[10]], [], [[]], [[1]] * 31, [(1,)], "x", [[1.0]]])
def test_is_grid_rejects_non_grids(value: object) -> None:
    assert not is_grid(value)


@pytest.mark.parametrize(("source", "expected"), [
    ("import numpy as np\ndef transform(g):\n    return np.array(g, dtype=np.uint8)\n", GRID),
    ("def transform(g):\n    return tuple(tuple(r) for r in g)\n", GRID),
    ("def transform(g):\n    return [[float(v) for v in r] for r in g]\n", GRID),
])
def test_sandbox_returns_converted_grids(sandbox: Sandbox, source: str, expected: list[list[int]]) -> None:
    assert sandbox.run_sync(source, [GRID]).results[0].output == expected


def test_sandbox_reports_bad_output_with_the_reason(sandbox: Sandbox) -> None:
    result = sandbox.run_sync("def transform(g):\n    return [[1, 2], [3]]\n", [GRID])
    assert result.results[0].error == "bad_output"
    assert "not rectangular" in result.results[0].message
