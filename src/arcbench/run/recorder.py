"""Every model call on disk as it happens, and a resumed run that does not pay twice.

The recorder wraps the run's model. Each task gets its own view of it (`for_task`), which stamps every Completion
with the task and the call's position in it, writes it to events.jsonl (compact: `arcbench.run.eventlog`) before the
strategy sees the reply, and on resume answers from the calls already on disk. It is also the task's tool journal:
each tool call's result is written as a ToolEvent when it has run, and found again on resume.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import BaseModel

from arcbench.llm import ChatModel, Completion, Message, Notice, Tool, forward
from arcbench.run.eventlog import Replay, TaskEvents, chain, count_endpoints
from arcbench.run.records import EndpointCount, ToolEvent, now_iso
from arcbench.solve import ToolCallRecord

Sink = Callable[[list[BaseModel | dict[str, Any]]], Awaitable[None]]
"""Appends lines to events.jsonl durably, all of them in one write."""


class CallRecorder:
    def __init__(self, model: ChatModel, write: Sink, replay: Replay | None = None, *,
                 on_notice: Callable[[Notice], None] | None = None, endpoints: list[str] | None = None,
                 clock: Callable[[], float] | None = None) -> None:
        self.model = model
        self._clock = clock
        """The run's wall time so far, written with each call (see CallStamp.run_elapsed_s)."""
        self._write = write
        self._replay = replay if replay is not None else Replay()
        self._on_notice = on_notice
        self.endpoints: dict[str, EndpointCount] = {u: EndpointCount(url=u) for u in endpoints or []}
        """Per-endpoint counts of every call of the run, resumed ones included (filled for several endpoints)."""
        for url, count in self._replay.endpoints.items():
            mine = self.endpoints.setdefault(url, EndpointCount(url=url))
            mine.calls += count.calls
            mine.failed_attempts += count.failed_attempts
            mine.taken_out += count.taken_out

    def for_task(self, task_id: str) -> TaskCalls:
        return TaskCalls(self, task_id)


class TaskCalls:
    """The model as one task sees it (a `ChatModel`): calls are numbered in the order they are made.

    A replayed call is matched on (task, call index, the hash of its exact messages), so a resumed task retraces its
    logged calls without paying for them again and makes new calls only where the log ends."""

    def __init__(self, recorder: CallRecorder, task_id: str) -> None:
        self._recorder = recorder
        self.task_id = task_id
        self._next = 0
        self._replayed: set[int] = set()
        self._events = TaskEvents(task_id, recorder._replay.known.pop(task_id, None))

    async def complete(self, messages: list[Message], *, tools: list[Tool] | None = None,
                       tool_choice: str | None = None, n: int = 1) -> Completion:
        turn = self._next
        self._next += 1
        rec = self._recorder
        hashes = chain(messages)
        cached = rec._replay.calls.pop((self.task_id, turn), None)
        if cached is not None and cached.matches(messages, hashes):
            self._replayed.add(turn)
            self._events.remember(cached.completion, hashes[-1] if hashes else "")
            return cached.completion
        done = await forward(rec.model, messages, tools=tools, tool_choice=tool_choice, n=n)
        await rec._write(self._events.lines(done, messages, hashes, turn=turn, time=now_iso(),
                                            run_elapsed_s=rec._clock() if rec._clock is not None else None))
        count_endpoints(rec.endpoints, done)
        if rec._on_notice is not None:
            for notice in done.notices:
                rec._on_notice(notice)
        return done

    def logged_tool(self, turn: int, call_id: str) -> ToolCallRecord | None:
        """A tool call's result from before a resume, when the call that made it was replayed too."""
        found = self._recorder._replay.tools.get((self.task_id, turn, call_id))
        if found is None or turn not in self._replayed:
            return None
        return ToolCallRecord.model_validate(found.model_dump(include=set(ToolCallRecord.model_fields)))

    async def record_tool(self, turn: int, record: ToolCallRecord) -> None:
        await self._recorder._write([ToolEvent(**record.model_dump(), task_id=self.task_id, turn=turn,
                                               time=now_iso())])

    async def aclose(self) -> None:
        """Nothing: the run closes the model it wraps, once, at the end."""
