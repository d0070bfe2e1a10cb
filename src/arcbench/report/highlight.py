"""Offline Python syntax highlighting for the HTML report: escaped HTML with a <span class> per token kind.

A single regular expression rather than `tokenize`: model code is often broken (unclosed strings, bad indents), and a
highlighter must never fail on it. Every character of the input reaches the output, escaped.
"""

from __future__ import annotations

import builtins
import html
import keyword
import re

_KEYWORDS = set(keyword.kwlist) | set(keyword.softkwlist) - {"_"}
_BUILTINS = {n for n in dir(builtins) if not n.startswith("_")}

_TOKEN = re.compile(
    r"""
    (?P<comment>\#[^\n]*)
  | (?P<string>[rRbBuUfF]{0,2}(?:'''[\s\S]*?(?:'''|\Z)|\"\"\"[\s\S]*?(?:\"\"\"|\Z)
        |'(?:\\.|[^'\\\n])*'?|"(?:\\.|[^"\\\n])*"?))
  | (?P<number>\b(?:0[xXoObB][0-9a-fA-F_]+|\d[\d_]*\.?[\d_]*(?:[eE][+-]?\d+)?j?|\.\d[\d_]*(?:[eE][+-]?\d+)?j?))
  | (?P<decorator>^[ \t]*@[\w.]+)
  | (?P<name>[A-Za-z_]\w*)
    """,
    re.VERBOSE | re.MULTILINE,
)


def highlight_python(code: str) -> str:
    """HTML for `code`: token spans (classes k keyword, b builtin, s string, c comment, n number, f defined name,
    d decorator); everything escaped."""
    out: list[str] = []
    pos = 0
    expect_def_name = False
    for m in _TOKEN.finditer(code):
        if m.start() > pos:
            out.append(html.escape(code[pos:m.start()]))
        kind = m.lastgroup
        text = m.group()
        cls = None
        if kind == "name":
            if expect_def_name:
                cls = "f"
                expect_def_name = False
            elif text in _KEYWORDS:
                cls = "k"
                expect_def_name = text in ("def", "class")
            elif text in _BUILTINS:
                cls = "b"
        else:
            cls = {"comment": "c", "string": "s", "number": "n", "decorator": "d"}[kind or ""]
            expect_def_name = False
        escaped = html.escape(text)
        out.append(f'<span class="{cls}">{escaped}</span>' if cls else escaped)
        pos = m.end()
    out.append(html.escape(code[pos:]))
    return "".join(out)
