"""Several answers per request (OpenAI's `n`) through real HTTP: honoured, ignored and refused by the server."""

from __future__ import annotations

import asyncio

import pytest

from arcbench.llm import ClientConfig, Completion, OpenAIChatModel
from arcbench.testing import ScriptedServer
from tests.fixtures_server import scripted_config

MESSAGES = [{"role": "system", "content": "You write programs."}, {"role": "user", "content": "Task grid 1 2 3"}]
ANSWERS = [{"content": f"answer {i}", "times": 1} for i in range(8)]


def _calls(config: ClientConfig, ns: list[int]) -> list[Completion]:
    """One model, these calls one after the other (what it learns in one call holds for the next)."""

    async def go() -> list[Completion]:
        model = OpenAIChatModel(config, "local")
        try:
            return [await model.complete(MESSAGES, n=n) for n in ns]
        finally:
            await model.aclose()

    return asyncio.run(go())


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_a_server_that_honours_n_gives_every_answer_in_one_request(scripted_server, stream):
    scripted_server.set_script(ANSWERS)
    (done,) = _calls(scripted_config(scripted_server, stream=stream), [4])
    assert [c.content for c in done.choices] == ["answer 0", "answer 1", "answer 2", "answer 3"]
    assert len(scripted_server.chat_requests) == 1 and scripted_server.chat_requests[0].body["n"] == 4
    assert done.notices == [] and done.error_kind is None
    assert done.usage.completion_tokens == 4 * 2  # "answer i" is 8 characters, 2 tokens, for each answer


def test_one_answer_asked_for_sends_no_n(scripted_server):
    _calls(scripted_config(scripted_server), [1])
    assert "n" not in scripted_server.chat_requests[0].body


def test_a_server_that_ignores_n_is_noticed_from_the_reply_and_not_asked_again(scripted_server):
    scripted_server.n_choices = "ignore"
    scripted_server.set_script(ANSWERS)
    first, second = _calls(scripted_config(scripted_server), [4, 4])
    assert [c.content for c in first.choices] == ["answer 0"] and [c.content for c in second.choices] == ["answer 1"]
    (notice,) = first.notices
    assert notice.kind == "n_unsupported" and "ignores" in notice.message and second.notices == []
    assert [r.body.get("n") for r in scripted_server.chat_requests] == [4, None]


def test_a_server_that_refuses_n_gets_the_request_again_without_it():
    with ScriptedServer(ANSWERS, n_choices="refuse") as server:
        first, second = _calls(scripted_config(server, max_attempts=1), [4, 4])
        bodies = [r.body for r in server.chat_requests]
    assert first.error_kind is None and first.content == "answer 0" and first.retries == []
    (notice,) = first.notices
    assert notice.kind == "n_unsupported" and "Only one completion choice is allowed" in notice.message
    assert second.content == "answer 1" and second.notices == []
    assert [b.get("n") for b in bodies] == [4, None, None]  # the refused request, its single retry, the next call


def test_only_the_request_that_finds_out_says_so_when_many_are_in_flight(scripted_server):
    scripted_server.n_choices = "ignore"
    scripted_server.set_script([{"content": "one", "delay_s": 0.2}])

    async def go() -> list[Completion]:
        model = OpenAIChatModel(scripted_config(scripted_server, concurrency=8), "local")
        try:
            return await asyncio.gather(*(model.complete(MESSAGES, n=4) for _ in range(8)))
        finally:
            await model.aclose()

    done = asyncio.run(go())
    assert sum(len(d.notices) for d in done) == 1 and all(len(d.choices) == 1 for d in done)
