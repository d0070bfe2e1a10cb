"""The program keys: a run executes each once per task, training-data extraction keeps each once."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from arcbench.solve import normalise_source, program_key
from tests.run.helpers import FLIPLR, IDENTITY

IDENTITY_REFORMATTED = "# copy the grid\ndef transform(grid):\n\n    return [row[:]   for row in grid]  # same\n"


def test_comments_blank_lines_and_spacing_do_not_make_a_new_program():
    assert normalise_source(IDENTITY) == normalise_source(IDENTITY_REFORMATTED)
    assert normalise_source(IDENTITY) != normalise_source(FLIPLR)


def test_code_that_does_not_parse_is_compared_by_its_whitespace_normalised_text():
    broken = "def transform(grid):\n    return grid +\n"
    assert normalise_source(broken) == normalise_source("def transform(grid):\n\n    return   grid +   # hm\n")
    assert normalise_source(broken) != normalise_source("def transform(grid):\n    return grid -\n")


PROGRAMS = [
    IDENTITY,
    FLIPLR,
    '"""Mirror the grid."""\nimport numpy as np\n\ndef transform(grid):\n    g = np.array(grid)\n'
    "    return g[:, ::-1].tolist()\n",
    "def transform(grid):\n    def f(v):\n        return (v + 1) % 10 if v else 0\n"
    "    return [[f(v) for v in r] for r in grid]\n",
]


def _reformatted(code: str, rng) -> str:
    """The same program with comments, blank lines and spacing added where Python ignores them."""
    out = []
    for line in code.splitlines():
        if rng.random() < 0.3:
            out.append("")
        if line.strip() and rng.random() < 0.3:
            line += "  # note"
        out.append(line.replace(" = ", "   =   ") if rng.random() < 0.5 else line)
    return "# written by a model\n" + "\n".join(out) + "\n\n"


@given(st.sampled_from(PROGRAMS), st.randoms(use_true_random=False))
def test_program_key_equates_what_normalise_source_equates(code, rng):
    variant = _reformatted(code, rng)
    assert normalise_source(variant) == normalise_source(code)
    assert program_key(variant) == program_key(code)


def test_program_key_tells_different_programs_apart():
    assert len({program_key(p) for p in PROGRAMS}) == len(PROGRAMS)
    assert program_key("def transform(grid):\n    return 1\n") != program_key("def transform(grid):\n    return 2\n")


def test_program_key_of_code_that_does_not_compile_is_its_normalised_source():
    broken = "def transform(grid):\n    return grid +\n"
    assert program_key(broken) == program_key("def transform(grid):\n\n    return   grid +   # hm\n")
    assert program_key(broken) != program_key("def transform(grid):\n    return grid -\n")
