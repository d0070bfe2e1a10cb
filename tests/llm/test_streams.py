"""Streams as local servers send them: no usage unless asked (tokens then unknown, never 0), and an error inside a
200 stream (llama.cpp's context overflow) recognised for what it is."""

from __future__ import annotations

import pytest

from arcbench.llm import Usage
from tests.fixtures_server import scripted_config
from tests.llm.helpers import call

OVERFLOW = {"code": 400, "message": "the request exceeds the available context size, try increasing it",
            "type": "exceed_context_size_error", "n_prompt_tokens": 2689, "n_ctx": 2048}
"""What llama.cpp's server sends, as an `error:` line of a 200 event stream, when a prompt does not fit."""


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_a_reply_without_usage_has_unknown_tokens_not_zero(scripted_server, stream):
    scripted_server.set_script([{"content": "ok", "include_usage": False}])
    done = call(scripted_config(scripted_server, stream=stream))
    assert done.error_kind is None and not done.usage.known and done.usage.unreported == 1
    assert done.cost_usd is None and done.cost_source == "unknown"


def test_a_reply_with_usage_has_known_tokens(scripted_server):
    done = call(scripted_config(scripted_server, stream=True))
    assert done.usage.known and done.usage.total_tokens > 0


def test_unknown_tokens_stay_known_as_unknown_when_added_up():
    total = Usage(prompt_tokens=10, completion_tokens=5, total_tokens=15) + Usage(unreported=1)
    assert total.total_tokens == 15 and total.unreported == 1 and not total.known


def test_a_context_overflow_inside_a_stream_is_the_400_it_is_and_not_retried(scripted_server):
    scripted_server.set_script([{"stream_error": OVERFLOW}])
    done = call(scripted_config(scripted_server, stream=True, max_attempts=3))
    assert len(scripted_server.chat_requests) == 1 and done.retries == []
    assert done.error_kind == "api_error"
    assert done.error_message == "HTTP 400: the request exceeds the available context size, try increasing it"


def test_a_server_error_inside_a_stream_is_retried(scripted_server):
    scripted_server.set_script([{"stream_error": {"code": 500, "message": "slot crashed"}, "times": 1},
                                {"content": "ok"}])
    done = call(scripted_config(scripted_server, stream=True))
    assert done.error_kind is None and done.content == "ok"
    assert len(done.retries) == 1 and "slot crashed" in done.retries[0].reason


def test_an_openai_style_error_event_inside_a_stream_is_reported_with_its_message(scripted_server):
    scripted_server.set_script([{"stream_error": {"message": "provider overloaded"}, "stream_error_as_data": True,
                                 "times": 1}, {"content": "ok"}])
    done = call(scripted_config(scripted_server, stream=True))
    assert done.content == "ok" and "provider overloaded" in done.retries[0].reason
