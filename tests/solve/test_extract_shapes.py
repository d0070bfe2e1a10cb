"""Code in the shapes small models really write: SmolLM2-135M-Instruct, Qwen2.5-0.5B and the like, behind llama.cpp.

Each reply below is written the way such a model writes it (prose around code, fences that do not pair up, code with
no fence at all, a helper's name instead of `transform`). Extraction must find the program in every one of them, and
say "no code" only for a reply that holds none.
"""

from __future__ import annotations

import ast

from hypothesis import given
from hypothesis import strategies as st

from arcbench.solve.extract import extract_code, why_no_code

FENCE = "```"

TRANSFORM_GRID_SYNTAX_ERROR = f"""To solve this problem, we need to find the pattern in the grid.

{FENCE}python
def transform_grid(grid):
    # Create a new grid with the same size
    new_grid = [[0 for _ in range(len(grid[0]))] for _ in range(len(grid))]
    for i in range(len(grid)):
        for j in range(len(grid[0])):
            if grid[i][j] == 1:
                new_grid[i][j] = 2
    return new_grid

print(transform_grid([[1, 0], [0, 1]])
{FENCE}

This function will transform the grid.
"""
"""A fenced block defining `transform_grid` that does not parse (a parenthesis never closed)."""

TRANSFORM_GRID_AND_TEST = f"""Here is the solution:

{FENCE}python
def transform_grid(grid):
    result = []
    for row in grid:
        result.append(row[::-1])
    return result

def test_transform():
    grid = [[1, 2], [3, 4]]
    assert transform_grid(grid) == [[2, 1], [4, 3]]
    print("All tests passed!"
{FENCE}
"""
"""`transform_grid` plus a `test_transform` (which calls it), the whole block not parsing."""

TRANSFORM_GRID_AND_TEST_PARSES = TRANSFORM_GRID_AND_TEST.replace('passed!"', 'passed!")')

UNFENCED = """The rule is to mirror each row of the grid from left to right.

def transform(grid):
    output = []
    for row in grid:
        output.append(row[::-1])
    return output

This function takes the input grid and returns the mirrored grid.
"""
"""A `def transform(grid):` with no fence at all, prose before and after."""

UNFENCED_WITH_IMPORT_AND_HELPER = """Step 1: find the colour. Step 2: fill.

import numpy as np

def fill(row, colour):
    return [colour if c == 0 else c for c in row]

def transform(grid):
    grid = np.array(grid)
    return [fill(list(r), 3) for r in grid.tolist()]
I hope this helps!
"""

LONE_CLOSING_FENCE = f"""def transform(grid):
    height = len(grid)
    width = len(grid[0])
    return [[grid[height - 1 - i][width - 1 - j] for j in range(width)] for i in range(height)]
{FENCE}
"""
"""Code, then a closing fence that was never opened."""

LONE_CLOSING_FENCE_AFTER_PROSE = f"""Here is the code:
def transform(grid):
    return [row[::-1] for row in grid[::-1]]
{FENCE}

It rotates the grid by 180 degrees.
"""

FENCES_PAIR_WRONGLY = f"""def transform(grid):
    return grid
{FENCE}

This keeps the grid as it is, which is not right. Let me flip it instead:

{FENCE}python
def transform(grid):
    return [row[::-1] for row in grid]
{FENCE}
"""
"""Code, a lone closing fence, prose, then a ```python block: paired naively, the fences enclose the prose."""

SOLVE_WITH_HELPER = f"""{FENCE}python
def get_colour(cell):
    return 5 if cell else 0

def solve(grid):
    return [[get_colour(c) for c in row] for row in grid]
{FENCE}"""

SMOLLM2_CUT_WITH_MAINS = """```python
def transform_grid(grid):
    output = []
    for row in grid:
        output.append((True, 10))
    return output

def main():
    grid = [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11], [12, 13, 14, 15]]
    for row in grid:
        output = transform_grid(row)
        output = output[2:] + [False, 0]
    print(f"Test Input 1: {output}")

def main():
    grid = [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11], [12, 13, 14, 15]]
    for row in grid:
        output = transform_grid(row)
        output = output[2:] + [False, 0]
    print(f"Test Input 2: {output}")

def main():
    grid = [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11], [12, 13, 14, 15]]
    for row in grid:
        output = transform_grid(row)
        output = output[2:] + [False, 0]
    print(f"Test Input 3: {output}")

def main():
    grid = [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11], [12, 13,"""
"""A real reply of SmolLM2-135M-Instruct (arcbench serve hf, --max-tokens 400) to task 0d3d703e: `transform_grid`,
then `main` over and over until the token limit cut the block open."""

SMOLLM2_NESTED_WITH_TEST = """```python
def transform_grid(grid):
    def transform(grid):
        for x, y, x, y in zip(row, row, row, row):
            grid[x][x][x] = 1
        return [row[x][x] * 25 + (1 << 2) + int(grid[x][x]) + 2 * 17] * 1 + (1 << 1) * (2 * 1 + 1) + 1 + 1
    return transform_grid(grid)

def test_transform():
    test_grid = [[1, 2, 3, 4], 5, 6, 7]
    for row_index, row_value in test_grid:
        transform_grid(row_value)
    test_grid[test_grid.__len__() // 2][test_grid[test_grid.__len__() // 2 - 1][0]] = 1
    print(test_grid[test_grid.__len__() // 2])

test_transform()
```"""
"""A real reply of SmolLM2-135M-Instruct to task 3c9b0459: `transform_grid` with a nested `transform`, a
`test_transform` that calls it, and a call at module level (one long line of it shortened here)."""

NO_CODE = """The output grid is the input grid rotated by 90 degrees clockwise. The blue cells stay blue and the
background stays black. Each row becomes a column."""

CODE_WITHOUT_A_FUNCTION = f"""{FENCE}python
grid = [[0, 1], [1, 0]]
print([row[::-1] for row in grid])
{FENCE}"""

TWO_UNRELATED_FUNCTIONS = f"""{FENCE}python
def count(grid):
    return sum(map(sum, grid))

def widest(grid):
    return max(len(r) for r in grid)
{FENCE}"""


def _run(code: str, grid: list[list[int]]) -> list[list[int]]:
    ns: dict = {}
    exec(code, ns)
    return ns["transform"](grid)


def test_a_fenced_transform_grid_that_does_not_parse_is_still_the_program():
    got = extract_code(TRANSFORM_GRID_SYNTAX_ERROR)
    assert got is not None and got.function == "transform_grid"
    assert got.code.startswith("def transform_grid(grid):")
    assert got.code.rstrip().endswith("transform = transform_grid")
    assert "transform_grid" in got.note
    try:
        ast.parse(got.code)
    except SyntaxError as e:
        assert e.lineno == 10  # the model's own line numbers are kept: its `print(` line
    else:
        raise AssertionError("the model's syntax error must be kept, not repaired")


def test_transform_grid_is_chosen_over_the_test_function_beside_it():
    for reply in (TRANSFORM_GRID_AND_TEST, TRANSFORM_GRID_AND_TEST_PARSES):
        got = extract_code(reply)
        assert got is not None and got.function == "transform_grid", reply
        assert "def test_transform" in got.code  # the whole block is the program
    assert _run(extract_code(TRANSFORM_GRID_AND_TEST_PARSES).code, [[1, 2]]) == [[2, 1]]


def test_an_unfenced_transform_is_found_without_the_prose_around_it():
    got = extract_code(UNFENCED)
    assert got is not None and got.placement == "text" and got.function == "transform"
    assert got.code.startswith("def transform(grid):") and "This function" not in got.code
    assert _run(got.code, [[1, 2], [3, 4]]) == [[2, 1], [4, 3]]
    assert "outside" in got.note


def test_unfenced_code_keeps_its_imports_and_helpers():
    got = extract_code(UNFENCED_WITH_IMPORT_AND_HELPER)
    assert got is not None
    assert got.code.startswith("import numpy as np") and "def fill(" in got.code
    assert "Step 1" not in got.code and "I hope" not in got.code
    assert _run(got.code, [[0, 1]]) == [[3, 1]]


def test_code_before_a_lone_closing_fence_is_the_program():
    for reply in (LONE_CLOSING_FENCE, LONE_CLOSING_FENCE_AFTER_PROSE):
        got = extract_code(reply)
        assert got is not None, reply
        assert got.code.startswith("def transform(grid):") and FENCE not in got.code
        assert _run(got.code, [[1, 2], [3, 4]]) == [[4, 3], [2, 1]]


def test_fences_that_pair_wrongly_still_give_the_last_program():
    got = extract_code(FENCES_PAIR_WRONGLY)
    assert got is not None and got.placement == "block"
    assert _run(got.code, [[1, 2]]) == [[2, 1]]


def test_real_smollm2_replies_with_transform_grid_are_run_as_transform_grid():
    cut = extract_code(SMOLLM2_CUT_WITH_MAINS)
    assert cut is not None and cut.function == "transform_grid" and cut.placement == "unclosed"
    nested = extract_code(SMOLLM2_NESTED_WITH_TEST)
    assert nested is not None and nested.function == "transform_grid" and nested.placement == "block"


def test_the_function_no_other_function_calls_is_the_entry_point():
    got = extract_code(SOLVE_WITH_HELPER)
    assert got is not None and got.function == "solve"
    assert _run(got.code, [[0, 7]]) == [[0, 5]]


def test_a_reply_without_code_is_no_code_and_says_so():
    assert extract_code(NO_CODE) is None
    assert why_no_code(NO_CODE) == "no code"


def test_code_without_a_function_to_call_is_not_run_and_says_why():
    assert extract_code(CODE_WITHOUT_A_FUNCTION) is None
    assert why_no_code(CODE_WITHOUT_A_FUNCTION) == "code that defines no function"


def test_two_unrelated_functions_are_not_guessed_between_and_named():
    assert extract_code(TWO_UNRELATED_FUNCTIONS) is None
    assert why_no_code(TWO_UNRELATED_FUNCTIONS) == "code that defines `count` and `widest` but no `transform(grid)`"


def test_code_in_the_reasoning_is_explained_when_the_answer_has_none():
    assert why_no_code("no idea", reasoning=TWO_UNRELATED_FUNCTIONS).startswith("code that defines `count`")


# ------------------------------------------------------------------ property: a `def transform` is never lost

_PROSE = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="`~\r\x0b\x0c\x1c\x1d"
                                        "\x1e\x85\u2028\u2029"), max_size=60)
_BODY = st.lists(st.sampled_from([
    "    return grid", "    return [row[::-1] for row in grid]", "    x = [1, 2", "    for row in grid:",
    "        row.reverse()", "    # keep the colours", "", "    return helper(grid)", "    print(grid",
]), min_size=1, max_size=5)
_FENCE_LINE = st.sampled_from(["```", "```python", "```py", "```Python3", "~~~", "```json", "  ```"])


@st.composite
def replies_with_a_transform(draw: st.DrawFn) -> str:
    """A reply in any arrangement of prose, fences (paired or not) and other code, with one `def transform(`
    somewhere in it at the start of a line."""
    program = "\n".join([f"def transform({draw(st.sampled_from(['grid', 'g', 'grid: list']))}):",
                         *draw(_BODY)])
    pieces = draw(st.lists(st.one_of(_PROSE, _FENCE_LINE, st.just("def helper(grid):\n    return grid"),
                                     st.just("import numpy as np")), max_size=6))
    where = draw(st.integers(0, len(pieces)))
    pieces.insert(where, program)
    return "\n".join(pieces)


@given(replies_with_a_transform())
def test_extraction_never_loses_a_def_transform_the_reply_contains(reply):
    got = extract_code(reply)
    assert got is not None, reply
    assert "def transform(" in got.code and got.function == "transform"


@given(replies_with_a_transform())
def test_a_def_transform_in_the_reasoning_is_found_when_the_answer_has_none(reasoning):
    got = extract_code("I could not write it down.", reasoning=reasoning)
    assert got is not None and "def transform(" in got.code and got.source == "reasoning"
