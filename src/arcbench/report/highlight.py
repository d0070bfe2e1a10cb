"""Python syntax highlighting for the HTML report, by Pygments: escaped HTML with a <span class> per token kind.

Pygments' lexer never fails on broken code (model code often has unclosed strings or bad indents: they come out as
error tokens), and with newline stripping off every character of the input reaches the output, escaped (line
ends as "\n"). The classes
are the report's own short ones, so its stylesheet stays as it is.
"""

from __future__ import annotations

import html

from pygments import lex
from pygments.lexers import PythonLexer
from pygments.token import Comment, Keyword, Name, Number, Operator, String, _TokenType

_LEXER = PythonLexer(stripnl=False, ensurenl=False)
_CLASSES: tuple[tuple[_TokenType, str], ...] = (
    (Comment, "c"),
    (String, "s"),
    (Number, "n"),
    (Name.Decorator, "d"),
    (Name.Function, "f"),
    (Name.Class, "f"),
    (Name.Builtin, "b"),
    (Keyword, "k"),
    (Operator.Word, "k"),
)


def _css_class(token: _TokenType) -> str | None:
    for kind, cls in _CLASSES:
        if token in kind:
            return cls
    return None


def highlight_python(code: str) -> str:
    """HTML for `code`: token spans (classes k keyword, b builtin, s string, c comment, n number, f defined name,
    d decorator); everything escaped."""
    runs: list[tuple[str | None, str]] = []  # neighbouring tokens of one class share a span (a string is 3 tokens)
    for token, text in lex(code, _LEXER):
        cls = _css_class(token)
        if runs and runs[-1][0] == cls:
            runs[-1] = (cls, runs[-1][1] + text)
        else:
            runs.append((cls, text))
    return "".join(f'<span class="{cls}">{html.escape(text)}</span>' if cls else html.escape(text)
                   for cls, text in runs)
