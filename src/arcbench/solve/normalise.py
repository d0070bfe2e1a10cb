"""Keys for programs that run the same way: a run executes each distinct program of a task once, and
training-data extraction keeps each once.

Two programs that differ only in comments, blank lines or formatting run the same way. `normalise_source` is
`ast.unparse` of the parsed code (docstrings kept: they are code), or whitespace-normalised text when the code does
not parse; training-data extraction keys on it. A run keys on `program_key`, which equates every pair of programs
`normalise_source` equates at well under half its cost (about 55 against 140 microseconds for a 12-line program
here), since a run keys every distinct sample.
"""

from __future__ import annotations

import ast
import hashlib
import io
import marshal
import re
import tokenize
import types


def program_key(code: str) -> str:
    """Equal for programs that compile to the same code once line numbers are set aside: programs that differ only
    in comments, blank lines and formatting (whatever `normalise_source` equates: the same syntax tree compiles to the
    same code), and spellings the compiler folds together (`2 * 3` and `6`). Code that does not compile is keyed by
    its `normalise_source`. Compiling runs nothing of the program."""
    try:
        compiled = compile(code, "<program>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return "source:" + normalise_source(code)
    return "code:" + hashlib.blake2b(marshal.dumps(_without_positions(compiled)), digest_size=16).hexdigest()


_UNUSUAL = re.compile(r"[^\t\n\x20-\x7e]")


def layout_key(code: str) -> str | None:
    """`code` without blank lines, trailing whitespace and comments, or None where that cannot be told without the
    tokenizer. Programs with the same layout key have the same `program_key` (what it leaves out is not code), so a
    run computes `program_key` once per layout key: samples of one program often differ only in comments and blank
    lines. Only made when no line can be inside a string that spans lines (no triple quotes, no backslashes) and
    every character is printable ASCII, a tab or a newline (no other line breaks, no characters the compiler
    refuses); a comment is cut only from a line without quotes, where `#` cannot be in a string."""
    if "\"\"\"" in code or "'''" in code or "\\" in code or _UNUSUAL.search(code):
        return None
    lines = []
    for line in code.split("\n"):
        if "#" in line and "'" not in line and '"' not in line:
            line = line[:line.index("#")]
        line = line.rstrip(" \t")
        if line:
            lines.append(line)
    return "\n".join(lines)


def _without_positions(code: types.CodeType) -> types.CodeType:
    consts = tuple(_without_positions(c) if isinstance(c, types.CodeType) else c for c in code.co_consts)
    return code.replace(co_linetable=b"", co_firstlineno=1, co_consts=consts)


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
