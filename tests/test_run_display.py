"""The run's console lines show untrusted text (task ids, server errors) as inert text."""

from __future__ import annotations

import io

from rich.console import Console

from arcbench.commands.run_display import RunDisplay
from arcbench.llm import Usage
from arcbench.run.observer import RunTotals
from arcbench.run.records import TaskLog
from arcbench.solve import Turn

HOSTILE = "\x1b]0;pwned\x07\x1b[2J\x9b1m[/red][bold]"


def _console() -> tuple[Console, io.StringIO]:
    buf = io.StringIO()
    return Console(file=buf, width=300, highlight=False, color_system=None), buf


def _assert_inert(printed: str) -> None:
    assert "\x1b" not in printed and "\x9b" not in printed and "\x07" not in printed
    assert "[/red][bold]" in printed


def test_a_failed_call_line_shows_the_server_message_as_text():
    console, buf = _console()
    turn = Turn(index=0, sample=0, turn_in_sample=1, call_id="c", user_message="", error_kind="api_error",
                error_message=f"HTTP 400: {HOSTILE}\nsecond line")
    RunDisplay(console).turn(f"task{HOSTILE}", turn, RunTotals(label="run", tasks=1))
    printed = buf.getvalue()
    _assert_inert(printed)
    assert len(printed.strip().splitlines()) == 1


def test_a_task_line_shows_the_task_id_as_text():
    console, buf = _console()
    log = TaskLog(task_id=f"task{HOSTILE}", train=[], test_inputs=[], status="api_failure", stop_reason="api_error")
    RunDisplay(console).task_done(log, RunTotals(label="run", tasks=1), replayed=False)
    _assert_inert(buf.getvalue())


def test_a_truncated_reply_is_shown_as_cut_off_with_its_tokens():
    console, buf = _console()
    turn = Turn(index=0, sample=0, turn_in_sample=1, call_id="c", user_message="", finish_reason="length",
                code_note="the reply held no code", usage=Usage(prompt_tokens=796, completion_tokens=7396,
                                                                 total_tokens=8192))
    RunDisplay(console).turn("t1", turn, RunTotals(label="run", tasks=1))
    printed = buf.getvalue()
    assert "no code" in printed and "cut off at the token limit (7,396 tokens out)" in printed


VLLM_400 = ("HTTP 400: This model's maximum context length is 2048 tokens. However, you requested 2989 tokens (2689 "
            "in the messages, 300 in the completion). Please reduce the length of the messages or completion.")


def _line(display: RunDisplay, turn: Turn, label: str = "run") -> str:
    buf = display.console.file
    display.turn("t1", turn, RunTotals(label=label, tasks=1))
    return buf.getvalue().strip().splitlines()[-1]


def test_a_failed_call_line_keeps_the_sentences_that_say_what_happened():
    console, _ = _console()
    turn = Turn(index=0, sample=0, turn_in_sample=1, call_id="c", user_message="", error_kind="api_error",
                error_message=VLLM_400)
    line = _line(RunDisplay(console), turn)
    assert "you requested 2989 tokens (2689 in the messages, 300 in the completion)." in line
    assert "(2689 in the messages, |" not in line


def test_repeat_run_lines_name_their_run():
    console, buf = _console()
    turn = Turn(index=0, sample=0, turn_in_sample=1, call_id="c", user_message="", code_note="the reply held no code")
    assert _line(RunDisplay(console), turn, "run 2/3").startswith("run 2/3 · t1 turn 1:")
    log = TaskLog(task_id="t1", train=[], test_inputs=[], status="done", stop_reason="budget")
    RunDisplay(console).task_done(log, RunTotals(label="run 2/3", tasks=1), replayed=False)
    assert buf.getvalue().strip().splitlines()[-1].startswith("run 2/3 · t1:")


def test_a_single_run_needs_no_run_name():
    console, _ = _console()
    turn = Turn(index=0, sample=0, turn_in_sample=1, call_id="c", user_message="")
    assert _line(RunDisplay(console), turn).startswith("t1 turn 1:")


def test_independent_samples_are_labelled_as_samples():
    console, _ = _console()
    display = RunDisplay(console, samples=True)
    third = Turn(index=2, sample=2, turn_in_sample=1, call_id="c", user_message="")
    assert _line(display, third).startswith("t1 sample 3:")
    continued = Turn(index=3, sample=1, turn_in_sample=2, call_id="c", user_message="", phase="feedback")
    assert _line(display, continued).startswith("t1 sample 2, turn 2:")
