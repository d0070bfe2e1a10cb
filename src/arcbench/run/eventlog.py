"""events.jsonl in its compact form: each thing a run sends or receives is written once.

A run with a thousand samples per task sends the same prompt a thousand times, and a feedback conversation sends every
earlier turn again with each new one. Written out in full, the log grows with samples × prompt size, and with the
square of the conversation length. So (events version 2):

- A `prompt` line holds a task's opening messages once, under their hash.
- A `call` line holds the call's request without its messages: `request.messages` is `{"base": HASH, "new": [...]}`
  (a request that does not hold the messages as given, the Responses API's `input`, is written whole, the reference
  then beside it as `messages`),
  the messages already on disk (a prompt, or an earlier call's messages followed by one of its answers as the
  assistant message) and the messages that follow them. A feedback turn's line therefore holds only its feedback.
- The answer texts are in the raw response only; `content`, `reasoning`, `more_choices` and `usage` are written only
  when they cannot be read back from it exactly (a model without an HTTP body, such as the offline baseline).
- Fields at their default value are left out.

Hashes chain message by message (BLAKE2b of the previous hash and the message's canonical JSON), so the hash of a
conversation extended by one message follows from the hash before it: the writer finds the longest prefix of a
request already on disk without storing prefixes, and a resumed run matches a request to a logged call by hash.

Version 1 lines (every call with its full request, as arcbench wrote them before) are read as they are, and a file
may hold both (a run started before and resumed after). A line written by a newer arcbench is refused in one line
naming its version.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from arcbench.errors import UserError
from arcbench.llm import Completion, Message
from arcbench.llm.base import Choice
from arcbench.llm.pricing import usage_from_body
from arcbench.llm.reasoning import message_text
from arcbench.run.records import EVENTS_VERSION, CallEvent, EndpointCount, PromptRecord, ToolEvent

EMPTY = ""
"""The hash of no messages."""
_FROM_RESPONSE = frozenset({"request", "response", "content", "reasoning", "more_choices", "usage"})
"""Completion fields the compact line writes its own way; every other field is written as the model dumps it."""


def extend(prefix_hash: str, message: Message) -> str:
    """The hash of a conversation whose hash was `prefix_hash`, with `message` appended.

    A plain message (a role and a text) is hashed as `role NUL text`, every other one as its canonical JSON (which
    starts with `{`, so the two never meet): a prompt is hashed on every call, and JSON-encoding it cost more than the
    hash."""
    role, content = message.get("role"), message.get("content")
    if len(message) == 2 and type(role) is str and type(content) is str and "\0" not in role:
        data = f"{role}\0{content}".encode()
    else:
        data = json.dumps(message, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    h = hashlib.blake2b(prefix_hash.encode(), digest_size=16)
    h.update(data)
    return h.hexdigest()


def chain(messages: Sequence[Message], start: str = EMPTY) -> list[str]:
    """The hash of every prefix of `messages` (after `start`): element i is the hash of messages[: i + 1]."""
    out = []
    h = start
    for m in messages:
        h = extend(h, m)
        out.append(h)
    return out


def messages_hash(messages: Sequence[Message]) -> str:
    hashes = chain(messages)
    return hashes[-1] if hashes else EMPTY


def _reply_message(choice: Choice) -> Message:
    """The assistant message a conversation continues with after this answer (as strategies build it)."""
    return {"role": "assistant", "content": choice.content}


def _response_texts(response: dict[str, Any] | None) -> list[tuple[str, str | None]] | None:
    """The answers a raw response holds, (content, reasoning) as the client reads them; None when it holds none."""
    if not isinstance(response, dict):
        return None
    choices = response.get("choices")
    if not isinstance(choices, list) or not choices:
        return None
    out = []
    for c in choices:
        message = c.get("message") if isinstance(c, dict) else None
        if not isinstance(message, dict):
            return None
        out.append(message_text(message))
    return out


def _texts_match(response: dict[str, Any] | None, done: Completion) -> bool:
    """Whether the answers read back from the raw response are exactly the completion's."""
    choices = response.get("choices") if isinstance(response, dict) else None
    answers = [(done.content, done.reasoning), *((c.content, c.reasoning) for c in done.more_choices)]
    if done.more_choices and (not isinstance(choices, list) or len(choices) != len(answers) or any(
            _finish(c) != m.finish_reason for c, m in zip(choices[1:], done.more_choices, strict=True))):
        return False  # the further answers' finish reasons are read back from the response too
    if isinstance(choices, list) and len(choices) == len(answers):
        # The common case, decided without reading the messages again: plain text, no reasoning anywhere.
        for c, (content, reasoning) in zip(choices, answers, strict=True):
            message = c.get("message") if isinstance(c, dict) else None
            if not (isinstance(message, dict) and reasoning is None and message.get("content") == content
                    and len(message) == 2 and message.get("role") == "assistant" and "<think" not in content
                    and "</think" not in content):
                break
        else:
            return True
    return _response_texts(response) == answers


class TaskEvents:
    """The writer's memory for one task: which message sequences are on disk, by hash."""

    def __init__(self, task_id: str, known: set[str] | None = None) -> None:
        self.task_id = task_id
        self.known: set[str] = known if known is not None else set()
        self.known.add(EMPTY)

    def lines(self, done: Completion, messages: Sequence[Message], hashes: Sequence[str], *, turn: int,
              time: str, run_elapsed_s: float | None = None) -> list[dict[str, Any]]:
        """The lines that put one call on disk: its prompt first when no prefix of its messages is there yet."""
        out: list[dict[str, Any]] = []
        base_len = next((i for i in range(len(hashes), 0, -1) if hashes[i - 1] in self.known), 0)
        if base_len == 0 and messages:
            out.append(PromptRecord(task_id=self.task_id, hash=hashes[-1], messages=list(messages)).model_dump())
            self.known.add(hashes[-1])
            base_len = len(messages)
        line = call_line(done, self.task_id, turn, time, hashes[base_len - 1] if base_len else EMPTY,
                         messages[base_len:])
        if run_elapsed_s is not None:
            line["run_elapsed_s"] = round(run_elapsed_s, 3)
        out.append(line)
        self.remember(done, hashes[-1] if hashes else EMPTY)
        return out

    def remember(self, done: Completion, full: str) -> None:
        """A call's messages, and each of its answers as the next assistant message, are on disk from now on."""
        self.known.add(full)
        if done.error_kind is None:
            for choice in done.choices:
                self.known.add(extend(full, _reply_message(choice)))


def call_line(done: Completion, task_id: str, turn: int, time: str, base: str,
              new: Sequence[Message]) -> dict[str, Any]:
    """One call as a compact line (see the module docstring)."""
    line: dict[str, Any] = {"schema_version": EVENTS_VERSION, "type": "call", "task_id": task_id, "turn": turn,
                            "time": time}
    line.update(done.model_dump(exclude_defaults=True, exclude=_FROM_RESPONSE))
    line["call_id"] = done.call_id  # a default factory: never left out
    ref = {"base": base, "new": list(new)}
    if "messages" in done.request:
        line["request"] = {k: v for k, v in done.request.items() if k != "messages"} | {"messages": ref}
    else:
        line["request"] = done.request
        line["messages"] = ref
    if done.response is not None:
        line["response"] = done.response
    if not _texts_match(done.response, done):
        line["content"] = done.content
        if done.reasoning is not None:
            line["reasoning"] = done.reasoning
        if done.more_choices:
            line["more_choices"] = [c.model_dump() for c in done.more_choices]
    usage = done.response.get("usage") if isinstance(done.response, dict) else None
    if usage_from_body(usage if isinstance(usage, dict) else None) != done.usage:
        line["usage"] = done.usage.model_dump()
    return line


@dataclass
class LoggedCall:
    """A call read back from the log: the hash of the messages it sent and the completion it got."""

    messages_hash: str | None
    """None for a version 1 line of the Responses API, matched on its `messages_sha256`."""
    completion: CallEvent

    def matches(self, messages: Sequence[Message], hashes: Sequence[str]) -> bool:
        """Whether this logged call answered exactly these messages (`hashes`: their `chain`)."""
        if self.messages_hash is not None:
            return bool(hashes) and self.messages_hash == hashes[-1]
        return self.completion.messages_sha256 == conversation_digest(messages)


def conversation_digest(messages: Sequence[Message]) -> str:
    """The SHA-256 digest version 1 logs kept of a conversation a request did not hold verbatim."""
    return hashlib.sha256(json.dumps(list(messages), sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _finish(choice: Any) -> str | None:
    finish = choice.get("finish_reason") if isinstance(choice, dict) else None
    return finish if isinstance(finish, str) else None


def _completion_fields(line: dict[str, Any]) -> dict[str, Any]:
    """A compact line's fields as a CallEvent has them (messages left as the reference they are)."""
    data = dict(line)
    if "content" not in data:
        texts = _response_texts(data.get("response"))
        if texts:
            data["content"], data["reasoning"] = texts[0]
            choices = data["response"]["choices"]
            data["more_choices"] = [{"content": c, "reasoning": r, "finish_reason": _finish(choice)}
                                    for (c, r), choice in zip(texts[1:], choices[1:], strict=True)]
    if "usage" not in data:
        usage = data["response"].get("usage") if isinstance(data.get("response"), dict) else None
        data["usage"] = usage_from_body(usage if isinstance(usage, dict) else None).model_dump()
    return data


def _ref(line: dict[str, Any]) -> dict[str, Any]:
    """The messages reference of a compact call line (in its request, or beside it)."""
    request = line.get("request")
    ref = request.get("messages") if isinstance(request, dict) else None
    return ref if isinstance(ref, dict) else line["messages"]


def _version(line: dict[str, Any], path: Path, number: int) -> int:
    version = line.get("schema_version", 1)
    if type(version) is not int or version > EVENTS_VERSION:
        raise UserError(f"{path}, line {number}: written by a newer arcbench (events version {version}; this one "
                        f"reads up to {EVENTS_VERSION}): upgrade arcbench to read this run")
    return version


def _lines(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """The records of a JSONL file with their line numbers, read as a stream; a torn last line is ignored."""
    if not path.exists():
        return
    with path.open(encoding="utf-8") as f:
        for number, text in enumerate(f, 1):
            if not text.strip():
                continue
            try:
                record = json.loads(text)
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict):
                yield number, record


@dataclass
class Replay:
    """What a resumed run needs from events.jsonl: the successful calls of the tasks still to finish, what each of
    those tasks has on disk, and how every call so far went per endpoint."""

    calls: dict[tuple[str, int], LoggedCall] = field(default_factory=dict)
    known: dict[str, set[str]] = field(default_factory=dict)
    endpoints: dict[str, EndpointCount] = field(default_factory=dict)
    tools: dict[tuple[str, int, str], ToolEvent] = field(default_factory=dict)
    """Tool calls' results (--mode tools) by (task id, call index, tool call id)."""
    run_elapsed_s: float = 0.0
    """The largest run wall time a call line recorded (the time of the sessions before a kill)."""


def count_endpoints(counts: dict[str, EndpointCount], done: Completion) -> None:
    """Add one call to the per-endpoint counts: the endpoint that answered, every failed attempt where it failed,
    every time an endpoint was taken out."""
    def row(url: str) -> EndpointCount:
        return counts.setdefault(url, EndpointCount(url=url))

    if done.endpoint is not None:
        if done.error_kind is None:
            row(done.endpoint).calls += 1
        else:
            row(done.endpoint).failed_attempts += 1
    for retry in done.retries:
        if retry.endpoint is not None:
            row(retry.endpoint).failed_attempts += 1
    for notice in done.notices:
        if notice.kind == "endpoint_out" and notice.endpoint is not None:
            row(notice.endpoint).taken_out += 1


def read_replay(path: Path, tasks: set[str]) -> Replay:
    """The replay of an events.jsonl (empty for a new run) for the given unfinished tasks. Streams the file: only
    those tasks' calls are kept in memory."""
    replay = Replay()
    for number, line in _lines(path):
        kind = line.get("type")
        if kind == "tool" and line.get("task_id") in tasks:
            tool = ToolEvent.model_validate(line)
            replay.tools[(tool.task_id, tool.turn, tool.id)] = tool
        if kind not in ("call", "prompt"):
            continue
        version = _version(line, path, number)
        task_id = line.get("task_id")
        elapsed = line.get("run_elapsed_s")
        if type(elapsed) in (int, float) and elapsed > replay.run_elapsed_s:
            replay.run_elapsed_s = float(elapsed)
        if kind == "prompt":
            if task_id in tasks:
                replay.known.setdefault(task_id, set()).add(line["hash"])
            continue
        if version == 1:
            event = CallEvent.model_validate(line)
            full = _v1_hash(event)
        else:
            event = CallEvent.model_validate(_completion_fields(line))
            ref = _ref(line)
            hashes = chain(ref["new"], ref["base"])
            full = hashes[-1] if hashes else ref["base"]
        count_endpoints(replay.endpoints, event)
        if task_id in tasks and event.error_kind is None:
            replay.calls[(event.task_id, event.turn)] = LoggedCall(full, event)
    return replay


def _v1_hash(event: CallEvent) -> str | None:
    """The messages hash of a call written in full (version 1); None when the request does not hold the messages as
    they were given (the Responses API: version 1 kept only their SHA-256, `messages_sha256`, which a resume matches
    with `matches`)."""
    messages = event.request.get("messages")
    return messages_hash(messages) if isinstance(messages, list) else None


def read_call_events(path: Path) -> Iterator[CallEvent]:
    """Every call of an events.jsonl (either version) with its full request, messages included, in file order."""
    blocks: dict[tuple[str, str], tuple[str, Any]] = {}
    """(task, hash) -> how to rebuild those messages: ("prompt", messages), ("call", (base, new)) or
    ("answer", (call hash, assistant message))."""

    def rebuild(task_id: str, h: str, number: int) -> list[Message]:
        parts: list[list[Message]] = []
        while h != EMPTY:
            found = blocks.get((task_id, h))
            if found is None:
                raise UserError(f"{path}, line {number}: refers to messages that are not in the file (a damaged "
                                "log)")
            how, what = found
            if how == "prompt":
                parts.append(what)
                break
            if how == "call":
                base, new = what
                parts.append(new)
                h = base
            else:
                parent, message = what
                parts.append([message])
                h = parent
        return [m for part in reversed(parts) for m in part]

    for number, line in _lines(path):
        kind = line.get("type")
        if kind not in ("call", "prompt"):
            continue
        version = _version(line, path, number)
        task_id = line.get("task_id", "")
        if kind == "prompt":
            blocks[(task_id, line["hash"])] = ("prompt", line["messages"])
            continue
        if version == 1:
            event = CallEvent.model_validate(line)
            messages = event.request.get("messages")
            if not isinstance(messages, list):
                yield event  # the Responses API's request: its input is in it, as sent
                continue
            full = messages_hash(messages)
            if messages:  # a run resumed by a later arcbench may refer to it
                blocks[(task_id, full)] = ("prompt", messages)
        else:
            data = _completion_fields(line)
            ref = _ref(line)
            hashes = chain(ref["new"], ref["base"])
            full = hashes[-1] if hashes else ref["base"]
            if full != ref["base"]:
                blocks[(task_id, full)] = ("call", (ref["base"], ref["new"]))
            messages = rebuild(task_id, full, number)
            data.pop("messages", None)
            if isinstance(data["request"].get("messages"), dict):
                data["request"] = {**data["request"], "messages": messages}
            event = CallEvent.model_validate(data)
        if event.error_kind is None:
            for choice in event.choices:
                message = _reply_message(choice)
                blocks[(task_id, extend(full, message))] = ("answer", (full, message))
        yield event
