"""Untrusted text made inert for the terminal (`inert`) and bounded in size (`clip`)."""

from __future__ import annotations

import io
import re

from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

from arcbench.inert import clip, inert

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
"""What must never reach a terminal from untrusted text (tab and newline are allowed in multi-line text)."""


def _printed(text: str) -> str:
    buf = io.StringIO()
    Console(file=buf, width=200, highlight=False, color_system=None).print(text)
    return buf.getvalue().rstrip("\n")


def test_ansi_and_osc_sequences_are_removed_whole():
    assert inert("a\x1b[31mred\x1b[0m b") == "ared b"
    assert inert("\x1b]0;new window title\x07text") == "text"
    assert inert("\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\") == "link"
    assert inert("\x1bP+q544e\x1b\\x") == "x"
    assert inert("\x9b2Jclear\x9d0;t\x9c") == "clear"
    assert inert("\x1bcreset \x1b(Bcharset \x1b7saved") == "reset charset saved"


def test_other_control_characters_become_a_visible_replacement():
    assert inert("nul\x00 bell\x07 del\x7f next-line\x85 esc\x1b") == "nul� bell� del� next-line� esc�"


def test_bidi_overrides_cannot_reorder_what_is_shown():
    assert inert("ok \u202egnp.exe\u202c") == "ok �gnp.exe�"


def test_multi_line_text_keeps_newlines_and_tabs_and_turns_carriage_returns_into_newlines():
    assert inert("a\tb\r\nc\rd\n") == "a\tb\nc\nd\n"


def test_single_line_text_has_no_line_breaks():
    assert inert("Traceback:\n  line 3\r\n\tValueError: x\u2028y", single_line=True) == (
        "Traceback: line 3 ValueError: x y")


def test_markup_is_escaped_so_rich_prints_it_literally():
    text = "[/red] [bold]not bold[/bold] [link=https://x]y[/link] \\[z]"
    assert _printed(inert(text, markup=True)) == text


@given(st.text())
def test_no_control_character_survives(text: str):
    assert not CONTROL.search(inert(text).replace("\n", "").replace("\t", ""))
    single = inert(text, single_line=True)
    assert not CONTROL.search(single) and "\n" not in single and "\t" not in single


@given(st.text())
def test_inert_is_idempotent(text: str):
    assert inert(inert(text)) == inert(text)
    assert inert(inert(text, single_line=True), single_line=True) == inert(text, single_line=True)


@given(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="\u2028\u2029"
                                      "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")))
def test_printable_text_is_unchanged(text: str):
    assert inert(text) == text


def test_clip_leaves_short_text_alone():
    assert clip("abc", 3) == "abc"


def test_clip_keeps_both_ends_and_says_how_much_was_cut():
    text = "head " + "x" * 15_000_000 + " tail"
    out = clip(text, 1_000)
    assert len(out) <= 1_000
    assert out.startswith("head ") and out.endswith(" tail")
    note = re.search(r"\n\[… ([\d,]+) characters cut …\]\n", out)
    assert int(note.group(1).replace(",", "")) == len(text) - (len(out) - len(note.group(0)))


@given(st.text(min_size=0, max_size=400), st.integers(min_value=0, max_value=300))
def test_clip_never_exceeds_its_limit(text: str, limit: int):
    out = clip(text, limit)
    assert len(out) <= limit
    assert (out == text) == (len(text) <= limit)
