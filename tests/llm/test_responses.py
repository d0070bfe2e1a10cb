"""OpenAIResponsesModel through real HTTP against the local server's /v1/responses: what it asks for, what it logs,
how it fails and retries, and the reasoning items it carries from one turn to the next."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from arcbench.errors import UserError
from arcbench.llm import ClientConfig, Completion, OpenAIResponsesModel
from tests.fixtures_server import scripted_config

MESSAGES = [{"role": "system", "content": "You write programs."}, {"role": "user", "content": "Task grid 1 2 3"}]
STREAM = pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])


def _calls(config: ClientConfig, *conversations: list[dict[str, Any]]) -> list[Completion]:
    """One call per conversation, on one model."""
    async def go() -> list[Completion]:
        model = OpenAIResponsesModel(config, "local")
        try:
            return [await model.complete(c) for c in conversations]
        finally:
            await model.aclose()

    return asyncio.run(go())


def _call(config: ClientConfig, messages: list[dict[str, Any]] | None = None) -> Completion:
    return _calls(config, messages or MESSAGES)[0]


def _follow_up(messages: list[dict[str, Any]], done: Completion) -> list[dict[str, Any]]:
    """The conversation after a reply, as a strategy continues it (`SolveContext.continued`)."""
    reply = {"role": "assistant", "content": done.content, "provider_items": done.provider_items}
    return [*messages, reply, {"role": "user", "content": "Your program solved 0 of 2 examples."}]


@STREAM
def test_request_asks_for_summaries_and_encrypted_reasoning_without_storing(scripted_server, stream):
    _call(scripted_config(scripted_server, stream=stream, reasoning_effort="high", max_tokens=900))
    (sent,) = scripted_server.chat_requests
    assert sent.path == "/v1/responses"
    body = sent.body
    assert body["reasoning"] == {"summary": "auto", "effort": "high"}
    assert body["include"] == ["reasoning.encrypted_content"]
    assert body["store"] is False
    assert body["max_output_tokens"] == 900
    assert body["input"] == MESSAGES
    assert body.get("stream", False) is stream


@STREAM
def test_summary_is_logged_as_reasoning_and_usage_is_mapped(scripted_server, stream):
    scripted_server.set_script([{"content": "def transform(g): return g", "reasoning": "The grid is mirrored.",
                                 "prompt_tokens": 120, "completion_tokens": 80, "reasoning_tokens": 50,
                                 "cached_tokens": 20}])
    done = _call(scripted_config(scripted_server, stream=stream))
    assert done.error_kind is None
    assert (done.content, done.reasoning) == ("def transform(g): return g", "The grid is mirrored.")
    u = done.usage
    assert (u.prompt_tokens, u.completion_tokens, u.reasoning_tokens, u.cached_tokens, u.total_tokens) == (
        120, 80, 50, 20, 200)
    assert [item["type"] for item in done.provider_items or []] == ["reasoning", "message"]
    assert done.provider_items[0]["encrypted_content"]


@STREAM
def test_second_turn_sends_back_the_first_turns_reasoning_items(scripted_server, stream):
    scripted_server.set_script([{"turn": 1, "content": "first try", "reasoning": "Maybe a flip."},
                                {"turn": 2, "content": "second try", "reasoning": "A rotation, then."}])
    config = scripted_config(scripted_server, stream=stream)

    async def go() -> tuple[Completion, Completion]:
        model = OpenAIResponsesModel(config, "local")
        try:
            first = await model.complete(MESSAGES)
            return first, await model.complete(_follow_up(MESSAGES, first))
        finally:
            await model.aclose()

    first, second = asyncio.run(go())
    assert second.error_kind is None and second.reasoning == "A rotation, then."
    sent = scripted_server.chat_requests[1].body["input"]
    assert sent[:2] == MESSAGES
    assert sent[2:4] == first.provider_items  # the reasoning item, encrypted content and all, then its message
    assert sent[2]["type"] == "reasoning" and sent[2]["encrypted_content"]
    assert sent[4]["role"] == "user"


def test_reasoning_sent_back_without_its_encrypted_content_is_refused_when_not_stored(scripted_server):
    # What the real API does, and so what the test above would meet if the items went back incomplete.
    scripted_server.set_script([{"content": "x", "reasoning": "r"}])
    first = _call(scripted_config(scripted_server))
    stripped = [{k: v for k, v in item.items() if k != "encrypted_content"} for item in first.provider_items or []]
    reply = {"role": "assistant", "content": first.content, "provider_items": stripped}
    (second,) = _calls(scripted_config(scripted_server, max_attempts=1),
                       [*MESSAGES, reply, {"role": "user", "content": "again"}])
    assert second.error_kind == "api_error" and "not persisted when `store` is set to false" in second.error_message


def test_store_can_be_turned_on_with_extra_body(scripted_server):
    _call(scripted_config(scripted_server, extra_body={"store": True}))
    assert scripted_server.chat_requests[0].body["store"] is True


@STREAM
@pytest.mark.parametrize("failure", [{"status": 503}, {"garbage": True}, {"error_message": "upstream failed"}],
                         ids=["503", "garbage", "failed-response"])
def test_failures_are_retried_and_recorded(scripted_server, failure, stream):
    scripted_server.set_script([{**failure, "times": 2}, {"content": "finally"}])
    done = _call(scripted_config(scripted_server, stream=stream))
    assert done.content == "finally"
    assert [r.attempt for r in done.retries] == [1, 2]
    assert len(scripted_server.chat_requests) == 3


def test_flag_prices_cover_responses_calls_cached_input_included(scripted_server):
    scripted_server.set_script([{"content": "x", "prompt_tokens": 1000, "completion_tokens": 2000,
                                 "cached_tokens": 800}])
    done = _call(scripted_config(scripted_server, price_in=2.0, price_out=8.0, price_cached=0.5))
    assert done.cost_source == "flags"
    assert done.cost_usd == pytest.approx((200 * 2.0 + 800 * 0.5 + 2000 * 8.0) / 1e6)


def test_a_model_refusing_reasoning_settings_is_told_to_use_chat(scripted_server):
    scripted_server.set_script([{"status": 400, "error_code": "unsupported_parameter",
                                 "error_param": "reasoning.summary",
                                 "error_message": "Unsupported parameter: 'reasoning.summary'."}])
    with pytest.raises(UserError, match="--api chat"):
        _call(scripted_config(scripted_server))
