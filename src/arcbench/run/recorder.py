"""Every model call on disk as it happens, and a resumed run that does not pay twice.

The recorder wraps the run's model. Each task gets its own view of it (`for_task`), which stamps every Completion
with the task and the call's position in it, writes it to events.jsonl as a CallEvent before the strategy sees the
reply, and on resume answers from the calls already on disk. It is also the task's tool journal: each tool call's
result is written as a ToolEvent when it has run, and found again on resume.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from pathlib import Path

from arcbench.llm import ChatModel, Completion, Message, Tool
from arcbench.run.records import CallEvent, ToolEvent, now_iso
from arcbench.run.store import read_jsonl
from arcbench.solve import ToolCallRecord


class Replay(dict[tuple[str, int], CallEvent]):
    """Successful calls already on disk, by (task id, turn index); `tools` holds the tool calls' results by (task id,
    turn index, tool call id)."""

    def __init__(self) -> None:
        super().__init__()
        self.tools: dict[tuple[str, int, str], ToolEvent] = {}


def replay_cache(events_path: Path) -> Replay:
    """The successful calls (and tool results) of an events.jsonl (empty for a new run)."""
    cache = Replay()
    for raw in read_jsonl(events_path):
        if raw.get("type") == "tool":
            tool = ToolEvent.model_validate(raw)
            cache.tools[(tool.task_id, tool.turn, tool.id)] = tool
        if raw.get("type") != "call":
            continue
        ev = CallEvent.model_validate(raw)
        if ev.error_kind is None:
            cache[(ev.task_id, ev.turn)] = ev
    return cache


def conversation_digest(messages: list[Message]) -> str:
    """A digest of a conversation, for matching a call whose request does not hold it verbatim."""
    return hashlib.sha256(json.dumps(messages, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _asked_for(event: CallEvent, messages: list[Message]) -> bool:
    """Whether a logged call answered exactly this conversation."""
    if event.messages_sha256 is not None:
        return event.messages_sha256 == conversation_digest(messages)
    return event.request.get("messages") == messages


class CallRecorder:
    def __init__(self, model: ChatModel, write: Callable[[CallEvent | ToolEvent], Awaitable[None]],
                 replay: Replay | None = None) -> None:
        self.model = model
        self._write = write
        self._replay = replay if replay is not None else Replay()

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
        self._replayed: set[int] = set()

    async def complete(self, messages: list[Message], *, tools: list[Tool] | None = None,
                       tool_choice: str | None = None) -> Completion:
        turn = self._next
        self._next += 1
        rec = self._recorder
        cached = rec._replay.get((self.task_id, turn))
        if cached is not None and _asked_for(cached, messages):
            self._replayed.add(turn)
            return cached
        done = await (rec.model.complete(messages, tools=tools, tool_choice=tool_choice) if tools else
                      rec.model.complete(messages))
        digest = None if "messages" in done.request else conversation_digest(messages)
        # The completion is already validated: stamping it needs no second pass over its request and response.
        await rec._write(CallEvent.model_construct(**dict(done), task_id=self.task_id, turn=turn, time=now_iso(),
                                                   messages_sha256=digest))
        return done

    def logged_tool(self, turn: int, call_id: str) -> ToolCallRecord | None:
        """A tool call's result from before a resume, when the call that made it was replayed too."""
        tools = getattr(self._recorder._replay, "tools", {})  # a plain dict of calls holds no tool results
        found = tools.get((self.task_id, turn, call_id))
        if found is None or turn not in self._replayed:
            return None
        return ToolCallRecord.model_validate(found.model_dump(include=set(ToolCallRecord.model_fields)))

    async def record_tool(self, turn: int, record: ToolCallRecord) -> None:
        await self._recorder._write(ToolEvent(**record.model_dump(), task_id=self.task_id, turn=turn, time=now_iso()))

    async def aclose(self) -> None:
        """Nothing: the run closes the model it wraps, once, at the end."""
