"""The program key a run executes once per task and training-data extraction keeps once."""

from __future__ import annotations

from arcbench.solve import normalise_source
from tests.run.helpers import FLIPLR, IDENTITY

IDENTITY_REFORMATTED = "# copy the grid\ndef transform(grid):\n\n    return [row[:]   for row in grid]  # same\n"


def test_comments_blank_lines_and_spacing_do_not_make_a_new_program():
    assert normalise_source(IDENTITY) == normalise_source(IDENTITY_REFORMATTED)
    assert normalise_source(IDENTITY) != normalise_source(FLIPLR)


def test_code_that_does_not_parse_is_compared_by_its_whitespace_normalised_text():
    broken = "def transform(grid):\n    return grid +\n"
    assert normalise_source(broken) == normalise_source("def transform(grid):\n\n    return   grid +   # hm\n")
    assert normalise_source(broken) != normalise_source("def transform(grid):\n    return grid -\n")
