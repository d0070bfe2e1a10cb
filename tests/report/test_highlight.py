"""The report's Python highlighter: never fails, loses nothing, escapes everything."""

from __future__ import annotations

import html
import re

from hypothesis import given
from hypothesis import strategies as st

from arcbench.report.highlight import highlight_python


def _text(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", page))


@given(st.text())
def test_every_character_reaches_the_output_escaped(code):
    out = highlight_python(code)
    assert _text(out) == code.replace("\r\n", "\n").replace("\r", "\n")  # line ends read as newlines
    assert "<script" not in out.lower().replace('<span class="', "")


def test_tokens_get_the_report_classes():
    out = highlight_python('@dec\ndef f(x):  # why\n    return len("s") + 1\n')
    for cls, text in (("d", "@dec"), ("k", "def"), ("f", "f"), ("c", "# why"), ("b", "len"), ("s", '&quot;s&quot;'),
                      ("n", "1")):
        assert f'<span class="{cls}">{text}</span>' in out


def test_broken_code_is_still_highlighted():
    out = highlight_python('def f(:\n    s = "unclosed\n')
    assert _text(out) == 'def f(:\n    s = "unclosed\n' and '<span class="k">def</span>' in out
