"""The program keys: a run executes each once per task, training-data extraction keeps each once."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from arcbench.solve import normalise_source, program_key
from arcbench.solve.normalise import layout_key
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


def test_layout_key_leaves_out_comments_blank_lines_and_trailing_spaces_only():
    plain = "def transform(grid):\n    out = grid\n    return out\n"
    noted = "# a note\ndef transform(grid):  # why\n\n    out = grid   \n\t\n    return out\n\n"
    assert layout_key(plain) == layout_key(noted) == "def transform(grid):\n    out = grid\n    return out"
    assert program_key(plain) == program_key(noted)
    assert layout_key(plain) != layout_key(plain.replace("out = grid", "out  = grid"))


def test_layout_key_keeps_a_hash_on_a_line_with_quotes_where_it_may_be_in_a_string():
    assert layout_key('x = "a#b"\n') != layout_key('x = "a"\n')
    assert layout_key("x = 'a' # note\n") == "x = 'a' # note"


def test_layout_key_is_not_made_where_lines_may_be_inside_a_string_or_break_unusually():
    for code in ['s = """a\n# b\n"""\n', "s = '''a\n'''\n", "x = 1 + \\\n    2\n", 's = "a\\n#b"\n',
                 "x = 1\r\ny = 2\n", "x = 1  # \u00e9\n", "x = 1  # \x00\n", "x = 1\x0c\n", "x = 1  # \u2028 y\n"]:
        assert layout_key(code) is None, code


FRAGMENTS = ["x = 1", "x = 2", 'y = "#"', "y = '# not a comment'", "z = x  # a comment", "# a comment", "",
             "   ", "def f(v):", "    return v", "    # inside", "w = [1,", "     2]  # two", "if x:", "    pass"]


@given(st.lists(st.sampled_from(FRAGMENTS), max_size=8), st.lists(st.sampled_from(FRAGMENTS), max_size=8))
def test_programs_with_the_same_layout_key_have_the_same_program_key(a, b):
    first, second = "\n".join(a) + "\n", "\n".join(b) + "\n"
    if layout_key(first) is not None and layout_key(first) == layout_key(second):
        assert program_key(first) == program_key(second) or not (program_key(first).startswith("code:")
                                                                 or program_key(second).startswith("code:"))


@given(st.lists(st.sampled_from(FRAGMENTS), max_size=8), st.randoms(use_true_random=False))
def test_comments_and_blank_lines_added_keep_the_layout_key_and_the_program_key(lines, rng):
    code = "\n".join(lines) + "\n"
    variant = []
    for line in lines:
        if rng.random() < 0.3:
            variant.append(rng.choice(["", "  ", "# added", "\t# added"]))
        quoted = "'" in line or '"' in line
        variant.append(line + ("  # added" if not quoted and rng.random() < 0.3 else ""))
    changed = "\n".join(variant) + "\n"
    assert layout_key(changed) == layout_key(code) is not None
    if program_key(code).startswith("code:"):
        assert program_key(changed) == program_key(code)
