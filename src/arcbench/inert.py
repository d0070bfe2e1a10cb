"""Untrusted text — model replies, program output and errors, task ids from files, server messages — made harmless.

Two pure functions, one promise each:

- `inert`: safe to show. No terminal control survives (escape sequences are dropped whole, any other control
  character becomes a visible U+FFFD), so a program cannot clear the screen, retitle the window, plant a hyperlink or
  fake a line of arcbench's output; with `markup=True` rich prints `[tags]` literally instead of styling (or
  crashing) on them.
- `clip`: bounded. At most `limit` characters, and a cut says how much was cut.

This module sits in the lowest layer: anything above may use it, and it imports nothing from arcbench.
"""

from __future__ import annotations

import re

from rich.markup import escape as _escape_markup

REPLACEMENT = "\ufffd"
"""What an unsafe character is shown as."""

_SEQUENCE = re.compile(
    r"""
      \x1b\[ [0-?]* [ -/]* [@-~]                         # CSI (colours, cursor moves, clear screen)
    | \x9b [0-?]* [ -/]* [@-~]                           # CSI, 8-bit form
    | (?:\x1b[\]PX^_]|[\x9d\x90\x98\x9e\x9f])            # OSC (titles, hyperlinks, clipboard), DCS, SOS, PM, APC
      [^\x07\x1b\x9c]* (?:\x07|\x1b\\|\x9c)              #   ... up to their terminator
    | \x1b [ -/]* [0-~]                                  # any other escape (reset, charset, save cursor)
    """,
    re.VERBOSE,
)
"""Terminal escape sequences, dropped whole so that no parameter text is left behind. An unterminated string
sequence is not matched: its ESC is replaced below and the rest stays visible."""

_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
"""C0 and C1 controls (tab and newline excepted), DEL, and the bidirectional marks and overrides that can make a
terminal show characters in another order than they are."""

_LINE_BREAK = re.compile(r"\r\n?|[\u2028\u2029]")
_SPACE = re.compile(r"[ \t]*[\n\t][ \t\n]*")


def inert(text: str, *, single_line: bool = False, markup: bool = False) -> str:
    """`text` with nothing a terminal would act on: escape sequences removed, other controls shown as U+FFFD.

    Newlines and tabs stay (carriage returns become newlines) unless `single_line`, which joins everything into one
    line with single spaces. `markup=True` also escapes rich markup, for text interpolated into a markup string; pass
    the result of `inert` to rich as `Text`, or with `markup=False`, otherwise.
    """
    text = _SEQUENCE.sub("", text)
    text = _LINE_BREAK.sub("\n", text)
    text = _UNSAFE.sub(REPLACEMENT, text)
    if single_line:
        text = _SPACE.sub(" ", text)
    return _escape_markup(text) if markup else text


def clip(text: str, limit: int) -> str:
    """`text` if it has at most `limit` characters; else its start and its end around a note of how many characters
    were cut, at most `limit` characters in all. Both ends are kept because a traceback's exception is its last line.

    With a limit too small for the note, the plain first `limit` characters.
    """
    if len(text) <= limit:
        return text
    widest = _note(len(text))  # the note is never longer than this, whatever is cut
    keep = limit - len(widest)
    if keep < 0:
        return text[:max(limit, 0)]
    head = keep - keep // 3  # two thirds from the start, a third from the end
    tail = keep - head
    return text[:head] + _note(len(text) - keep) + (text[len(text) - tail:] if tail else "")


def _note(cut: int) -> str:
    return f"\n[… {cut:,} characters cut …]\n"
