"""ScriptedModel: the local server's scripts answered in memory, as a ChatModel."""

from __future__ import annotations

import asyncio

from arcbench.testing import DEFAULT_CONTENT, Reply, ScriptedModel

TASK = [{"role": "system", "content": "s"}, {"role": "user", "content": "grid 0 0 1"}]


def ask(model: ScriptedModel, messages=TASK):
    return asyncio.run(model.complete(messages))


def test_rules_match_the_first_user_message_and_the_turn():
    model = ScriptedModel([{"match": "0 0 1", "turn": 2, "content": "second"}, {"match": "0 0 1", "content": "first"}])
    assert ask(model).content == "first"
    assert ask(model, [*TASK, {"role": "assistant", "content": "x"}, {"role": "user", "content": "y"}]).content == \
        "second"
    assert ask(ScriptedModel()).content == DEFAULT_CONTENT


def test_a_completion_carries_the_request_reasoning_and_counted_usage():
    done = ask(ScriptedModel([{"content": "abcd" * 3, "reasoning": "why", "cost": 0.5}]))
    assert done.request["messages"] == TASK and done.reasoning == "why"
    assert done.usage.completion_tokens == 3 + 1 and done.cost_usd == 0.5 and done.cost_source == "server"


def test_scripted_failures_come_back_as_failed_completions():
    assert ask(ScriptedModel([{"status": 429}])).error_kind == "api_error"
    assert ask(ScriptedModel([{"hang": True}])).error_kind == "timeout"
    assert ask(ScriptedModel([{"garbage": True}])).error_message.startswith("malformed response")


def test_any_responder_can_answer():
    model = ScriptedModel(lambda body: Reply(content=str(len(body["messages"]))))
    assert ask(model).content == "2" and model.requests == [TASK]
