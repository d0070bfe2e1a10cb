"""The compact events.jsonl is a codec: whatever conversations a run sends and answers it gets, every call reads back
with the exact messages sent and the exact completion received."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from arcbench.llm import Completion
from arcbench.llm.base import Choice
from arcbench.llm.pricing import usage_from_body
from arcbench.llm.reasoning import message_text
from arcbench.run.eventlog import TaskEvents, chain, read_call_events

words = st.sampled_from(["", "grid", "0 1\n1 0", "<think>hm</think>answer", "```python\ndef transform(g): ...```"])
plain = st.builds(lambda role, text: {"role": role, "content": text}, st.sampled_from(["system", "user"]), words)
odd = st.builds(lambda text: {"role": "user", "content": [{"type": "text", "text": text}], "name": "x"}, words)


@st.composite
def answer(draw, messages):
    n = draw(st.integers(1, 3))
    raw = [{"role": "assistant", "content": draw(words)} | ({"reasoning_content": "why"} if draw(st.booleans())
                                                             else {}) for _ in range(n)]
    failed = draw(st.integers(0, 5)) == 0
    if failed:
        return Completion(model="m", request={"model": "m", "messages": messages}, error_kind="api_error",
                          error_message="HTTP 500: boom")
    if draw(st.booleans()):  # a model with no HTTP body (the offline baseline, the in-memory model)
        texts = [message_text(m) for m in raw]
        return Completion(model="m", request={"model": "m", "messages": messages}, content=texts[0][0],
                          reasoning=texts[0][1], more_choices=[Choice(content=c, reasoning=r) for c, r in texts[1:]],
                          cost_usd=0.0, cost_source="free")
    usage = {"prompt_tokens": 3, "completion_tokens": 2 * n, "total_tokens": 3 + 2 * n}
    response = {"id": "x", "choices": [{"index": i, "message": m, "finish_reason": "stop"} for i, m in
                                       enumerate(raw)], "usage": usage}
    texts = [message_text(m) for m in raw]
    return Completion(model="m", request={"model": "m", "n": n, "messages": messages}, response=response,
                      content=texts[0][0], reasoning=texts[0][1],
                      more_choices=[Choice(content=c, reasoning=r) for c, r in texts[1:]],
                      usage=usage_from_body(usage) if draw(st.booleans()) else usage_from_body(None))


@st.composite
def calls(draw):
    """Calls of one task: fresh prompts, repeats, and conversations continued from an earlier call's answer."""
    made: list[tuple[list, Completion]] = []
    for _ in range(draw(st.integers(1, 6))):
        how = draw(st.sampled_from(["prompt", "again", "continue"])) if made else "prompt"
        if how == "prompt":
            messages = draw(st.lists(plain | odd, min_size=1, max_size=3))
        elif how == "again":
            messages = list(draw(st.sampled_from(made))[0])
        else:
            before, done = draw(st.sampled_from(made))
            choice = draw(st.sampled_from(done.choices))
            messages = [*before, {"role": "assistant", "content": choice.content}, draw(plain)]
        made.append((messages, draw(answer(messages))))
    return made


@settings(max_examples=150, deadline=None)
@given(calls())
def test_every_call_reads_back_with_the_messages_sent_and_the_completion_received(tmp_path_factory, made):
    path = tmp_path_factory.mktemp("events") / "events.jsonl"
    writer = TaskEvents("t")
    with path.open("w") as f:
        for turn, (messages, done) in enumerate(made):
            for line in writer.lines(done, messages, chain(messages), turn=turn, time="now"):
                f.write(json.dumps(line) + "\n")
    back = list(read_call_events(path))
    assert [e.request["messages"] for e in back] == [m for m, _ in made]
    for event, (_, done) in zip(back, made, strict=True):
        assert event.choices == done.choices and event.usage == done.usage
        assert (event.error_kind, event.cost_usd, event.call_id) == (done.error_kind, done.cost_usd, done.call_id)
        assert {k: v for k, v in event.request.items() if k != "messages"} == {
            k: v for k, v in done.request.items() if k != "messages"}
