"""One key for programs that run the same way: a run executes each distinct program of a task once, and
training-data extraction keeps each once.

Two programs that differ only in comments, blank lines or formatting run the same way. The key is `ast.unparse` of
the parsed code (docstrings kept: they are code), or whitespace-normalised text when the code does not parse.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize


def normalise_source(code: str) -> str:
    """A key equal for programs that differ only in comments, blank lines and formatting."""
    try:
        return ast.unparse(ast.parse(code))
    except (SyntaxError, ValueError, RecursionError):
        return _strip_text(code)


def _strip_text(code: str) -> str:
    """Comments dropped (where the tokenizer can tell them apart from strings), runs of whitespace made one space,
    blank lines dropped."""
    try:
        toks = [t for t in tokenize.generate_tokens(io.StringIO(code).readline) if t.type != tokenize.COMMENT]
        code = tokenize.untokenize(toks)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    lines = (re.sub(r"[ \t]+", " ", line).rstrip() for line in code.splitlines())
    return "\n".join(line for line in lines if line.strip())
