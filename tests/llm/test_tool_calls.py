"""Function tools through real HTTP: offered in the request, calls read back from plain and streamed replies, and an
endpoint that refuses tools stopping the run with one line."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from arcbench.errors import UserError
from arcbench.llm import ClientConfig, Completion, OpenAIChatModel
from arcbench.llm.tools import assistant_message, tool_calls_of
from tests.fixtures_server import scripted_config

MESSAGES = [{"role": "user", "content": "Task grid 1 2 3"}]
TOOLS = [{"type": "function", "function": {"name": "run_python", "description": "run code",
                                           "parameters": {"type": "object", "properties": {"code": {"type": "string"}},
                                                          "required": ["code"]}}}]


def _call(config: ClientConfig, messages: list[dict[str, Any]] | None = None, **kw: Any) -> Completion:
    async def go() -> Completion:
        model = OpenAIChatModel(config, "sk-test")
        try:
            return await model.complete(messages or MESSAGES, **kw)
        finally:
            await model.aclose()

    return asyncio.run(go())


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_tool_calls_in_a_reply_reach_the_completion(scripted_server, stream):
    code = "print(len(train))\n" * 20  # long enough to arrive in several streamed pieces
    scripted_server.set_script([{"tool_calls": [{"name": "run_python", "arguments": {"code": code}},
                                                {"name": "submit", "arguments": {"code": "def transform(g): ..."}}]}])
    done = _call(scripted_config(scripted_server, stream=stream), tools=TOOLS)
    assert done.error_kind is None and done.content == ""
    assert [(c.id, c.name) for c in done.tool_calls] == [("call_1", "run_python"), ("call_2", "submit")]
    assert json.loads(done.tool_calls[0].arguments) == {"code": code}


def test_offered_tools_and_tool_choice_are_in_the_request_body(scripted_server):
    _call(scripted_config(scripted_server), tools=TOOLS, tool_choice="none")
    body = scripted_server.chat_requests[-1].body or {}
    assert body["tools"] == TOOLS and body["tool_choice"] == "none"


def test_a_request_without_tools_sends_no_tools_field(scripted_server):
    _call(scripted_config(scripted_server))
    body = scripted_server.chat_requests[-1].body or {}
    assert "tools" not in body and "tool_choice" not in body


@pytest.mark.parametrize("status,message", [
    (400, "tools is not supported with this model"),
    (400, '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set'),
    (500, "tools param requires --jinja flag"),
])
def test_an_endpoint_refusing_tools_is_one_line_naming_the_mode(scripted_server, status, message):
    scripted_server.set_script([{"status": status, "error_message": message}])
    with pytest.raises(UserError) as err:
        _call(scripted_config(scripted_server), tools=TOOLS)
    text = str(err.value)
    assert "refuses function tools" in text and "--mode tools" in text and "\n" not in text
    assert len(scripted_server.chat_requests) == 1  # not retried


def test_the_same_error_without_tools_offered_is_an_ordinary_failure(scripted_server):
    scripted_server.set_script([{"status": 500, "error_message": "tools param requires --jinja flag"}])
    done = _call(scripted_config(scripted_server, max_attempts=1))
    assert done.error_kind == "api_error"


def test_calls_without_ids_or_with_object_arguments_are_normalised():
    calls = tool_calls_of({"tool_calls": [{"function": {"name": "submit", "arguments": {"code": "x"}}},
                                          {"function": {"arguments": "{}"}}, "junk"]})
    assert [(c.id, c.name, json.loads(c.arguments)) for c in calls] == [("call_0", "submit", {"code": "x"})]


def test_the_assistant_message_carries_its_calls_for_the_next_request():
    (call,) = tool_calls_of({"tool_calls": [{"id": "c9", "function": {"name": "run_python",
                                                                      "arguments": '{"code": "1"}'}}]})
    msg = assistant_message("", [call])
    assert msg["tool_calls"] == [{"id": "c9", "type": "function",
                                  "function": {"name": "run_python", "arguments": '{"code": "1"}'}}]
    assert "tool_calls" not in assistant_message("text", [])
