from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from arcbench.solve.extract import extract_code

PROG = "def transform(grid):\n    return grid\n"


def fenced(code: str, lang: str = "python") -> str:
    return f"```{lang}\n{code}```"


def test_last_block_defining_transform_wins():
    early = fenced("def transform(g):\n    return 1\n")
    text = f"first\n{early}\nthen\n{fenced(PROG)}\n{fenced('x = 1')}"
    got = extract_code(text)
    assert got is not None and got.code == PROG and got.source == "answer" and got.note == ""


def test_code_is_taken_from_reasoning_when_the_answer_has_none():
    got = extract_code("The answer is below... oh, no code.", reasoning=f"Let me write it\n{fenced(PROG)}")
    assert got is not None and got.source == "reasoning" and got.code == PROG
    assert "reasoning" in got.note


def test_answer_code_is_preferred_over_reasoning_code():
    other = "def transform(grid):\n    return [[0]]\n"
    got = extract_code(fenced(PROG), reasoning=fenced(other))
    assert got is not None and got.code == PROG


def test_single_differently_named_function_is_aliased_and_noted():
    got = extract_code(fenced("def solve(grid):\n    return grid\n"))
    assert got is not None
    assert got.code.rstrip().endswith("transform = solve")
    assert "solve" in got.note
    ns: dict = {}
    exec(got.code, ns)
    assert ns["transform"]([[1]]) == [[1]]


def test_unclosed_final_block_is_used_with_a_note():
    got = extract_code("rationale\n```python\n" + PROG)
    assert got is not None and got.code == PROG and "unclosed" in got.note


def test_fence_spellings():
    for lang in ("python", "py", "Python3", ""):
        got = extract_code(fenced(PROG, lang))
        assert got is not None and got.code == PROG, lang


def test_no_code_gives_none():
    assert extract_code("I think the rule is a rotation.") is None
    assert extract_code(fenced("def a(x):\n    pass\ndef b(y):\n    pass\n")) is None


def test_a_block_with_a_syntax_error_is_still_the_program():
    bad = "def transform(grid):\n    return grid[\n"
    got = extract_code(fenced(bad))
    assert got is not None and got.code == bad


@given(st.text(max_size=300))
def test_extraction_never_raises_and_returns_transform_code(text):
    got = extract_code(text, reasoning=text)
    assert got is None or "transform" in got.code
