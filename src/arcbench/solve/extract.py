"""Finding the program in a model's reply.

Models wrap code in fences of many spellings, and small ones often do not: code with no fence at all, a closing
fence that was never opened (so that fences pair up around the prose between two blocks), a block cut off by the
token limit, a function called `transform_grid` with a `test_transform` beside it. The rules:

- Fences are read line by line. A fence with a language tag always opens a block; a bare fence closes the open
  block, or opens one when code follows it, or else is a stray closing fence whose code came before it.
- The program is the last closed block that defines `transform`, else the last unclosed one, else code written
  outside any block (the lines around a `def`, prose left out). The answer is searched first, the reasoning text
  after it.
- With no `transform`, the entry point is a function named like it (`transform_grid`), else like a solver (`solve`),
  else the only function that no other function calls; it is run under the name `transform`. Test functions are
  never the entry point. Two unrelated functions are not guessed between.
- A block that does not parse is still the model's program: the sandbox runs it and reports the syntax error with
  the model's own line numbers, so nothing is added before the code.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel

Placement = Literal["block", "unclosed", "text"]
"""Where the code was: a closed fenced block, a block never closed (often a reply cut off by the token limit), or
the reply's text outside any block."""


class ExtractedCode(BaseModel):
    code: str
    source: Literal["answer", "reasoning"]
    note: str = ""
    """How the code was found, when not as one ```python block defining `transform` (for people reading logs)."""
    function: str = "transform"
    """The function run as `transform`: `transform`, or the one the reply defined in its place."""
    placement: Placement = "block"


_FENCE_LINE = re.compile(r"^[ \t]*(`{3,}|~{3,})[ \t]*([^`\s]*)[^`]*$")
_GLUED_CLOSE = re.compile(r"^(.*\S)[ \t]*(`{3,})[ \t]*$")
"""Code with the closing fence at the end of its last line: `    return grid````."""
_GLUED_OPEN = re.compile(r"^(.*\S)[ \t]*(`{3,}[A-Za-z0-9_+.-]+)[ \t]*$")
"""Prose with the opening fence at its end: `Here is the code: ```python`."""

_TOP_DEF = re.compile(r"^(?:async[ \t]+)?def[ \t]+([A-Za-z_]\w*)[ \t]*\(([^)]*)", re.M)
_DEFINES_TRANSFORM = re.compile(r"^(?:(?:async[ \t]+)?def[ \t]+transform[ \t]*\(|transform[ \t]*=[^=])", re.M)
_ANY_DEF = re.compile(r"^([ \t]*)(?:async[ \t]+)?def[ \t]+[A-Za-z_]\w*[ \t]*\(", re.M)

_CODE_LINE = re.compile(
    r"""^(?:
        (?:async\s+)?def\s+\w+\s*\( | class\s+\w+ | import\s+\w | from\s+[\w.]+\s+import\s | @\w | \#
      | if\s+__name__ | (?:for|while|if|elif|with)\s.*:\s*(?:\#.*)?$ | (?:else|try|finally)\s*: | except\b
      | return\b | pass\s*$ | [\]\)\}]
      | [A-Za-z_][\w.]*(?:\[[^\]]*\])?(?:\s*,\s*[A-Za-z_]\w*)*\s*(?:=|\+=|-=|\*=|/=)(?!=)
      | [A-Za-z_][\w.]*\(.*\)\s*$
    )""",
    re.X,
)
"""A line that reads as Python at the indentation of the code around it (prose starts otherwise: a capital, a
word followed by words)."""

_SOLVER_NAMES = ("solve", "solution", "apply", "predict", "process")


@dataclass
class _Segment:
    kind: Literal["block", "unclosed", "text"]
    text: str
    lang: str = ""


def _lines(text: str) -> list[str]:
    """The reply's lines, with fences glued to code or prose split onto lines of their own."""
    out: list[str] = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if "`" in line and not _FENCE_LINE.match(line):
            if m := _GLUED_OPEN.match(line):
                out += [m.group(1), m.group(2)]
                continue
            if m := _GLUED_CLOSE.match(line):
                out += [m.group(1), m.group(2)]
                continue
        out.append(line)
    return out


def _looks_like_code(line: str) -> bool:
    return bool(_CODE_LINE.match(line.strip()))


def _next_content(lines: list[str], start: int) -> str | None:
    for line in lines[start:]:
        if line.strip():
            return line
    return None


def _segments(text: str) -> list[_Segment]:
    """The reply cut at its fences into closed blocks, a trailing unclosed block, and text."""
    lines = _lines(text)
    segments: list[_Segment] = []
    buf: list[str] = []
    open_lang: str | None = None
    for i, line in enumerate(lines):
        m = _FENCE_LINE.match(line)
        if m is None:
            buf.append(line)
            continue
        lang = m.group(2)
        if open_lang is not None:
            segments.append(_Segment("block", "\n".join(buf), open_lang))
            buf = []
            # A tagged fence inside an open block: the model forgot to close the first block and opened another.
            open_lang = lang if lang else None
            continue
        after = _next_content(lines, i + 1)
        opens = bool(lang) or (after is not None and not _FENCE_LINE.match(after) and _looks_like_code(after))
        if opens:
            segments.append(_Segment("text", "\n".join(buf)))
            buf = []
            open_lang = lang
        # else: a stray closing fence, whose code (if any) is in the text before it
    segments.append(_Segment("unclosed" if open_lang is not None else "text", "\n".join(buf), open_lang or ""))
    return [s for s in segments if s.text.strip()]


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _code_regions(text: str) -> list[str]:
    """Code written outside any block: the runs of code-like lines around each `def`, prose left out."""
    lines = text.split("\n")
    regions: list[str] = []
    taken = -1
    for i, line in enumerate(lines):
        if i <= taken or not _ANY_DEF.match(line):
            continue
        d = _indent(line)

        def inside(s: str, d: int = d) -> bool:
            return not s.strip() or _indent(s) > d or (_indent(s) == d and _looks_like_code(s))

        end = i
        while end + 1 < len(lines) and inside(lines[end + 1]):
            end += 1
        start = i
        while start > taken + 1 and inside(lines[start - 1]):
            start -= 1
        # Start at a line of the code's own indentation that reads as code (not a stray indented line of prose).
        while start < i and not (lines[start].strip() and _indent(lines[start]) == d
                                 and _looks_like_code(lines[start])):
            start += 1
        regions.append(textwrap.dedent("\n".join(lines[start:end + 1])).strip("\n"))
        taken = end
    return regions


@dataclass
class _Candidate:
    code: str
    placement: Placement


_PREFERENCE: tuple[Placement, ...] = ("block", "unclosed", "text")


def _candidates(text: str) -> list[_Candidate]:
    """Every piece of code in a text, in the order it appears."""
    found: list[_Candidate] = []
    for seg in _segments(text):
        if seg.kind == "text":
            found += [_Candidate(code, "text") for code in _code_regions(seg.text)]
        else:
            found.append(_Candidate(textwrap.dedent(seg.text).strip("\n"), seg.kind))
    return found


def _functions(code: str) -> list[str]:
    """Top-level functions that take at least one argument, in order of definition."""
    return list(dict.fromkeys(m.group(1) for m in _TOP_DEF.finditer(code) if m.group(2).strip()))


def _bodies(code: str) -> dict[str, str]:
    """Each top-level function's body (the lines after its `def` up to the next line at column 0)."""
    bodies: dict[str, list[str]] = {}
    current: str | None = None
    for line in code.split("\n"):
        if line and not line[0].isspace() and not line.startswith("#"):
            m = _TOP_DEF.match(line)
            current = m.group(1) if m else None
            if current is not None:
                bodies.setdefault(current, [])
            continue
        if current is not None:
            bodies[current].append(line)
    return {name: "\n".join(lines) for name, lines in bodies.items()}


def _roots(code: str, names: list[str]) -> list[str]:
    """The functions among `names` that no other top-level function calls (a call at module level, such as the
    model printing its own function's result, does not count)."""
    bodies = _bodies(code)
    return [n for n in names
            if not any(re.search(rf"\b{re.escape(n)}\s*\(", body) for other, body in bodies.items() if other != n)]


def _entry_point(code: str) -> str | None:
    """The function to run as `transform` in code that defines no `transform`, or None when there is no clear one."""
    names = [n for n in _functions(code) if not n.lower().startswith(("test", "_")) and n != "main"]
    named = ([n for n in names if "transform" in n.lower()]
             or [n for n in names if n.lower().startswith(_SOLVER_NAMES)])
    if named:
        return (_roots(code, named) or named)[-1]
    roots = _roots(code, names)
    return roots[0] if len(roots) == 1 else None


def _from_text(text: str) -> ExtractedCode | None:
    candidates = _candidates(text)
    ordered = [c for placement in _PREFERENCE for c in reversed(candidates) if c.placement == placement]
    for cand in ordered:  # the last closed block first, then the last unclosed one, then code outside blocks
        if _DEFINES_TRANSFORM.search(cand.code):
            return _found(cand, "transform")
    for cand in ordered:
        name = _entry_point(cand.code)
        if name is not None:
            return _found(cand, name)
    return None


def _found(cand: _Candidate, function: str) -> ExtractedCode:
    code = cand.code + "\n"
    notes = []
    if cand.placement == "unclosed":
        notes.append("taken from an unclosed code block (the reply may have been cut off)")
    elif cand.placement == "text":
        notes.append("taken from code outside a ``` block")
    if function != "transform":
        code += f"\n\ntransform = {function}\n"
        notes.append(f"no `transform` defined; `{function}` is run as transform")
    return ExtractedCode(code=code, source="answer", note="; ".join(notes), function=function,
                         placement=cand.placement)


def extract_code(answer: str, reasoning: str | None = None) -> ExtractedCode | None:
    """The program in a reply, or None when there is none (`why_no_code` says why)."""
    found = _from_text(answer or "")
    if found:
        return found
    if reasoning:
        found = _from_text(reasoning)
        if found:
            note = "no code in the answer; taken from the reasoning text" + (f"; {found.note}" if found.note else "")
            return found.model_copy(update={"source": "reasoning", "note": note})
    return None


def _and(names: list[str]) -> str:
    quoted = [f"`{n}`" for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + f" and {quoted[-1]}"


def why_no_code(answer: str, reasoning: str | None = None) -> str:
    """What a reply in which `extract_code` found no program held instead, as words that follow "the reply held":
    no code, or code with no function to call (naming the functions it does define)."""
    code = [c.code for text in (answer or "", reasoning or "") for c in _candidates(text)]
    code += [s.text for text in (answer or "", reasoning or "") for s in _segments(text) if s.kind != "text"]
    names = list(dict.fromkeys(n for c in code for n in _functions(c)))
    if names:
        return f"code that defines {_and(names[:6])} but no `transform(grid)`"
    if code:
        return "code that defines no function"
    return "no code"
