"""OpenAIChatModel through real HTTP against the scripted local server: reasoning, retries, errors, rate limit."""

from __future__ import annotations

import asyncio
import itertools
import time
from email.utils import formatdate

import pytest

from arcbench.errors import UserError
from arcbench.llm import Completion, OpenAIChatModel
from arcbench.testing import ScriptedServer
from tests.fixtures_server import scripted_config
from tests.llm.helpers import KEY, MESSAGES, call

PLACEMENTS = ["reasoning_content", "reasoning", "reasoning_details", "think_tag"]


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
@pytest.mark.parametrize("placement", PLACEMENTS)
def test_reasoning_is_captured_and_split_from_the_answer(scripted_server, placement, stream):
    scripted_server.set_script(
        [{"content": "def transform(g): return g", "reasoning": "The grid is mirrored.",
          "reasoning_placement": placement}]
    )
    event = call(scripted_config(scripted_server, stream=stream))
    assert event.error_kind is None
    assert event.content == "def transform(g): return g"
    assert event.reasoning == "The grid is mirrored."


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_reply_without_reasoning_has_none(scripted_server, stream):
    scripted_server.set_script([{"content": "answer", "reasoning": "hidden", "reasoning_placement": "none"}])
    event = call(scripted_config(scripted_server, stream=stream))
    assert (event.content, event.reasoning) == ("answer", None)


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_usage_and_reasoning_tokens_are_kept(scripted_server, stream):
    scripted_server.set_script(
        [{"content": "x", "reasoning": "y", "prompt_tokens": 120, "completion_tokens": 80, "reasoning_tokens": 50,
          "cached_tokens": 20}]
    )
    event = call(scripted_config(scripted_server, stream=stream))
    u = event.usage
    assert (u.prompt_tokens, u.completion_tokens, u.reasoning_tokens, u.cached_tokens, u.total_tokens) == (
        120, 80, 50, 20, 200)


def test_stream_request_asks_for_usage_and_response_is_assembled(scripted_server):
    scripted_server.set_script([{"content": "abcdefghijkl", "reasoning": "rrrrrrrr"}])
    event = call(scripted_config(scripted_server, stream=True))
    sent = scripted_server.chat_requests[0].body
    assert sent["stream"] is True and sent["stream_options"] == {"include_usage": True}
    assert event.response is not None
    assert event.response["choices"][0]["message"]["content"] == "abcdefghijkl"
    assert event.response["stream_chunks"] > 3


def test_event_request_is_the_body_the_server_received(scripted_server):
    config = scripted_config(scripted_server, temperature=0.3, max_tokens=512, reasoning_effort="high",
                             extra_body={"chat_template_kwargs": {"enable_thinking": True}})
    event = call(config)
    (received,) = scripted_server.chat_requests
    assert received.body == event.request
    assert received.body["messages"] == MESSAGES
    assert received.body["reasoning_effort"] == "high"
    assert received.body["max_tokens"] == 512
    assert received.body["chat_template_kwargs"] == {"enable_thinking": True}


RETRYABLE = {
    "429": {"status": 429},
    "500": {"status": 500},
    "503": {"status": 503},
    "524": {"status": 524},
    "garbage": {"garbage": True},
    "reset": {"reset": True},
    "timeout": {"hang": True},
}


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
@pytest.mark.parametrize("failure", list(RETRYABLE))
def test_retryable_failures_are_retried_and_recorded(scripted_server, failure, stream):
    scripted_server.set_script([{**RETRYABLE[failure], "times": 2}, {"content": "finally"}])
    event = call(scripted_config(scripted_server, stream=stream, timeout_s=0.5))
    assert event.error_kind is None
    assert event.content == "finally"
    assert [r.attempt for r in event.retries] == [1, 2]
    assert len(scripted_server.chat_requests) == 3
    status = RETRYABLE[failure].get("status")
    assert all(r.status_code == status for r in event.retries)
    if failure == "timeout":
        assert all("no reply within" in r.reason for r in event.retries)


def test_last_failure_is_returned_as_api_error(scripted_server):
    scripted_server.set_script([{"status": 503, "error_message": "overloaded"}])
    event = call(scripted_config(scripted_server, max_attempts=3))
    assert event.error_kind == "api_error"
    assert "503" in event.error_message and "overloaded" in event.error_message
    assert len(event.retries) == 2
    assert len(scripted_server.chat_requests) == 3
    assert event.cost_usd is None


def test_last_timeout_is_returned_as_timeout(scripted_server):
    scripted_server.set_script([{"hang": True}])
    event = call(scripted_config(scripted_server, max_attempts=2, timeout_s=0.3))
    assert event.error_kind == "timeout"
    assert len(scripted_server.chat_requests) == 2


def test_a_200_with_an_error_object_is_retried(scripted_server):
    # OpenRouter sometimes answers 200 with {"error": ...} instead of a completion.
    scripted_server.set_script([{"error_message": "upstream provider failed", "times": 1}, {"content": "ok"}])
    event = call(scripted_config(scripted_server))
    assert event.content == "ok"
    (retry,) = event.retries
    assert "upstream provider failed" in retry.reason


def test_plain_400_fails_fast_without_retry(scripted_server):
    scripted_server.set_script([{"status": 400, "error_message": "This model's maximum context length is 8192 tokens",
                                 "error_code": "context_length_exceeded"}])
    event = call(scripted_config(scripted_server))
    assert event.error_kind == "api_error"
    assert "maximum context length" in event.error_message
    assert event.retries == []
    assert len(scripted_server.chat_requests) == 1


@pytest.mark.parametrize(("status", "needle"), [(401, "OPENAI_API_KEY"), (403, "scripted"), (404, "scripted")])
def test_auth_and_missing_model_errors_are_user_errors_without_retry(scripted_server, status, needle):
    scripted_server.set_script([{"status": status}])
    with pytest.raises(UserError) as err:
        call(scripted_config(scripted_server))
    assert needle in str(err.value)
    assert f"HTTP {status}" in str(err.value)
    assert "\n" not in str(err.value)
    assert len(scripted_server.chat_requests) == 1


def test_401_names_the_chosen_key_variable(scripted_server):
    scripted_server.set_script([{"status": 401}])
    with pytest.raises(UserError, match="MY_LOCAL_KEY"):
        call(scripted_config(scripted_server, api_key_env="MY_LOCAL_KEY"))


@pytest.mark.parametrize(
    ("message", "code", "param"),
    [
        ("Unsupported parameter: 'reasoning_effort' is not supported with this model.", "unsupported_parameter",
         "reasoning_effort"),
        ("Unrecognized request argument supplied: chat_template_kwargs", None, None),
        ("Unsupported value: 'temperature' does not support 0.3 with this model.", "unsupported_value",
         "temperature"),
    ],
)
def test_rejected_parameter_is_a_user_error_naming_it(scripted_server, message, code, param):
    scripted_server.set_script([{"status": 400, "error_message": message, "error_code": code, "error_param": param}])
    with pytest.raises(UserError) as err:
        call(scripted_config(scripted_server, reasoning_effort="low"))
    expected = param or "chat_template_kwargs"
    assert f"parameter '{expected}'" in str(err.value)
    assert len(scripted_server.chat_requests) == 1


def test_retry_after_seconds_is_the_recorded_wait(scripted_server):
    scripted_server.set_script([{"status": 429, "retry_after": "1", "times": 1}, {"content": "ok"}])
    event = call(scripted_config(scripted_server))
    assert event.content == "ok"
    assert [(r.status_code, r.wait_s) for r in event.retries] == [(429, 1.0)]


def test_retry_after_http_date_is_honoured(scripted_server):
    when = formatdate(time.time() + 2, usegmt=True)
    scripted_server.set_script([{"status": 503, "retry_after": when, "times": 1}, {"content": "ok"}])
    event = call(scripted_config(scripted_server))
    assert event.content == "ok"
    (retry,) = event.retries
    assert 0.0 < retry.wait_s <= 2.0  # the date has whole-second precision
    assert retry.wait_s > 0.05  # not the millisecond backoff of this config


def test_retry_after_is_capped(scripted_server):
    scripted_server.set_script([{"status": 429, "retry_after": "3600", "times": 1}, {"content": "ok"}])
    event = call(scripted_config(scripted_server, retry_after_max_s=0.2))
    assert [r.wait_s for r in event.retries] == [0.2]


def test_backoff_without_retry_after_grows_within_bounds(scripted_server):
    scripted_server.set_script([{"status": 500, "times": 3}, {"content": "ok"}])
    event = call(scripted_config(scripted_server, max_attempts=4, backoff_base_s=0.01, backoff_max_s=0.03))
    waits = [r.wait_s for r in event.retries]
    assert len(waits) == 3
    assert 0.005 <= waits[0] <= 0.01
    assert 0.01 <= waits[1] <= 0.02
    assert 0.015 <= waits[2] <= 0.03  # capped at backoff_max_s


def test_rate_limit_delay_spaces_request_starts_across_tasks(scripted_server):
    config = scripted_config(scripted_server, rate_limit_delay_s=0.25)

    async def go() -> list[Completion]:
        model = OpenAIChatModel(config, KEY)
        try:
            return await asyncio.gather(
                *(model.complete(MESSAGES) for i in range(4))
            )
        finally:
            await model.aclose()

    events = asyncio.run(go())
    assert all(e.error_kind is None for e in events)
    arrivals = sorted(r.received_at for r in scripted_server.chat_requests)
    assert len(arrivals) == 4
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    assert min(gaps) >= 0.2, gaps


def test_key_never_appears_in_events_errors_or_repr(scripted_server):
    echo = f"Incorrect API key provided: {KEY}. You can find your API key at https://example.test"
    events = []
    scripted_server.set_script([{"content": "fine", "reasoning": "thought"}])
    events.append(call(scripted_config(scripted_server)))
    scripted_server.set_script([{"status": 500, "error_message": echo}])
    events.append(call(scripted_config(scripted_server, max_attempts=2)))
    scripted_server.set_script([{"status": 400, "error_message": echo}])
    events.append(call(scripted_config(scripted_server)))
    scripted_server.set_script([{"status": 401, "error_message": echo}])
    with pytest.raises(UserError) as err:
        call(scripted_config(scripted_server))
    texts = [e.model_dump_json() for e in events] + [str(err.value), repr(OpenAIChatModel(scripted_config(
        scripted_server), KEY))]
    assert "500" in texts[1] and "Incorrect API key" in texts[1]  # the message is kept, the key masked
    for text in texts:
        assert KEY not in text
        assert "DISTINCTIVE" not in text
    for request in scripted_server.requests:
        assert request.headers.get("authorization") == "<redacted>"
        assert KEY not in request.model_dump_json()


def test_connection_refused_is_an_api_error_after_retries():
    with ScriptedServer() as server:
        config = scripted_config(server, max_attempts=2)
    event = call(config)  # the server is closed: nothing listens on that port now
    assert event.error_kind == "api_error"
    assert "connection failed" in event.error_message
    assert len(event.retries) == 1


def test_event_keeps_the_messages_as_sent(scripted_server):
    messages = [{"role": "user", "content": "first"}]

    async def go() -> Completion:
        model = OpenAIChatModel(scripted_config(scripted_server), KEY)
        try:
            return await model.complete(messages)
        finally:
            await model.aclose()

    event = asyncio.run(go())
    messages.append({"role": "assistant", "content": event.content})
    assert event.request["messages"] == [{"role": "user", "content": "first"}]
