"""Every model call on disk as it happens, and a resumed run that does not pay twice.

The recorder wraps the run's model. Each task gets its own view of it (`for_task`), which stamps every Completion
with the task and the call's position in it, writes it to events.jsonl as a CallEvent before the strategy sees the
reply, and on resume answers from the calls already on disk.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from arcbench.llm import ChatModel, Completion, Message, Tool
from arcbench.run.records import CallEvent, now_iso
from arcbench.run.store import read_jsonl

Replay = dict[tuple[str, int], CallEvent]
"""Successful calls already on disk, by (task id, turn index)."""


def replay_cache(events_path: Path) -> Replay:
    """The successful calls of an events.jsonl (empty for a new run)."""
    cache: Replay = {}
    for raw in read_jsonl(events_path):
        if raw.get("type") != "call":
            continue
        ev = CallEvent.model_validate(raw)
        if ev.error_kind is None:
            cache[(ev.task_id, ev.turn)] = ev
    return cache


class CallRecorder:
    def __init__(self, model: ChatModel, write: Callable[[CallEvent], Awaitable[None]],
                 replay: Replay | None = None) -> None:
        self.model = model
        self._write = write
        self._replay = replay or {}

    def for_task(self, task_id: str) -> TaskCalls:
        return TaskCalls(self, task_id)


class TaskCalls:
    """The model as one task sees it (a `ChatModel`): calls are numbered in the order they are made.

    A replayed call is matched on (task, turn index, exact messages), so a resumed task retraces its logged turns
    without paying for them again and makes new calls only where the log ends."""

    def __init__(self, recorder: CallRecorder, task_id: str) -> None:
        self._recorder = recorder
        self.task_id = task_id
        self._next = 0

    async def complete(self, messages: list[Message], *, tools: list[Tool] | None = None,
                       tool_choice: str | None = None) -> Completion:
        turn = self._next
        self._next += 1
        rec = self._recorder
        cached = rec._replay.get((self.task_id, turn))
        if cached is not None and cached.request.get("messages") == messages:
            return cached
        done = await (rec.model.complete(messages, tools=tools, tool_choice=tool_choice) if tools else
                      rec.model.complete(messages))
        # The completion is already validated: stamping it needs no second pass over its request and response.
        await rec._write(CallEvent.model_construct(**dict(done), task_id=self.task_id, turn=turn, time=now_iso()))
        return done

    async def aclose(self) -> None:
        """Nothing: the run closes the model it wraps, once, at the end."""
