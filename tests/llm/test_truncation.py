"""A reply cut off by the token limit is known as such (finish_reason "length"), and the default cap on reply length
that a new run against a local server gets is dropped for a call whose server refuses it."""

from __future__ import annotations

from typing import Any

import pytest

from arcbench.llm import ClientConfig
from arcbench.llm.limits import LOCAL_MAX_TOKENS, default_max_tokens
from arcbench.testing.script import Reply
from arcbench.testing.server import ChatServer
from tests.fixtures_server import scripted_config
from tests.llm.helpers import call


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_a_reply_cut_at_the_token_limit_says_so(scripted_server, stream):
    scripted_server.set_script([{"content": "def transform(grid):\n    return [[", "finish_reason": "length"}])
    done = call(scripted_config(scripted_server, stream=stream))
    assert done.finish_reason == "length" and done.truncated


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_a_finished_reply_is_not_truncated(scripted_server, stream):
    done = call(scripted_config(scripted_server, stream=stream))
    assert done.finish_reason == "stop" and not done.truncated


def test_a_local_server_gets_a_default_cap_unless_reasoning_is_asked_for():
    local = ClientConfig(model="m", base_url="http://127.0.0.1:8080/v1")
    assert default_max_tokens(local) == LOCAL_MAX_TOKENS == 4096
    assert default_max_tokens(local.model_copy(update={"reasoning_effort": "low"})) is None
    assert default_max_tokens(local.model_copy(update={"max_tokens": 300})) is None  # the user's own cap rules
    assert default_max_tokens(ClientConfig(model="gpt-4.1-nano")) is None
    assert default_max_tokens(ClientConfig(model="o4-mini", base_url="https://openrouter.ai/api/v1")) is None
    assert default_max_tokens(ClientConfig(model="baseline")) is None


def test_the_default_cap_is_sent_as_max_tokens(scripted_server):
    call(scripted_config(scripted_server, default_max_tokens=4096))
    assert scripted_server.chat_requests[0].body["max_tokens"] == 4096


VLLM_REFUSAL = ("'max_tokens' or 'max_completion_tokens' is too large: 4096. This model's maximum context length is "
                "2048 tokens and your request has 900 input tokens (4096 > 2048 - 900). None")


class _ShortContext:
    """A vLLM-like server with a short context: it refuses any max_tokens that does not fit beside the prompt."""

    def __call__(self, body: dict[str, Any]) -> Reply:
        if body.get("max_tokens", 0) > 1000:
            return Reply(status=400, error_message=VLLM_REFUSAL)
        return Reply(content="fine")


def test_a_default_cap_the_server_refuses_is_dropped_and_the_call_made_without_it():
    with ChatServer(_ShortContext()) as server:
        done = call(ClientConfig(model="m", base_url=server.base_url, default_max_tokens=4096))
        bodies = [r.body for r in server.chat_requests]
    assert done.error_kind is None and done.content == "fine"
    assert bodies[0]["max_tokens"] == 4096 and "max_tokens" not in bodies[1]
    assert len(done.retries) == 1 and "default cap" in done.retries[0].reason and done.retries[0].wait_s == 0
    assert "max_tokens" not in done.request  # the event keeps what was sent last


def test_the_users_own_cap_is_never_dropped():
    with ChatServer(_ShortContext()) as server:
        done = call(ClientConfig(model="m", base_url=server.base_url, max_tokens=4096, max_attempts=3))
        assert len(server.chat_requests) == 1
    assert done.error_kind == "api_error" and "HTTP 400" in done.error_message
