"""Reasoning parameters per endpoint, and reasoning text found wherever servers put it."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from arcbench.llm import ClientConfig, OpenAIChatModel
from arcbench.llm.reasoning import merge_delta, message_text, reasoning_params, split_think


def _body(**config) -> dict:
    return OpenAIChatModel(ClientConfig(**config), "k").build_request([{"role": "user", "content": "hi"}])


def test_openai_gets_reasoning_effort_and_max_completion_tokens():
    body = _body(model="o4-mini", reasoning_effort="medium", max_tokens=1000)
    assert body["reasoning_effort"] == "medium"
    assert body["max_completion_tokens"] == 1000 and "max_tokens" not in body


def test_openrouter_gets_a_reasoning_budget_and_asks_for_cost():
    for effort, budget in (("low", 4096), ("medium", 16384), ("high", 65536)):
        body = _body(model="deepseek/deepseek-r1", base_url="https://openrouter.ai/api/v1", reasoning_effort=effort)
        assert body["reasoning"] == {"max_tokens": budget}
        assert "reasoning_effort" not in body
        assert body["usage"] == {"include": True}


def test_other_servers_get_reasoning_effort_and_max_tokens():
    body = _body(base_url="http://localhost:8000/v1", reasoning_effort="low", max_tokens=64)
    assert body["reasoning_effort"] == "low" and body["max_tokens"] == 64


def test_no_effort_sends_no_reasoning_fields():
    assert reasoning_params(ClientConfig()) == {}
    body = _body()
    assert set(body) == {"model", "messages"}


def test_extra_body_is_merged_last():
    body = _body(base_url="http://localhost:8000/v1", reasoning_effort="low",
                 extra_body={"reasoning_effort": None, "chat_template_kwargs": {"enable_thinking": False}})
    assert body["reasoning_effort"] is None
    assert body["chat_template_kwargs"] == {"enable_thinking": False}


def test_split_think_variants():
    assert split_think("<think>plan</think>\n\nanswer") == ("answer", "plan")
    assert split_think("plan</think>answer") == ("answer", "plan")
    assert split_think("<think>a</think>x<think>b</think>y") == ("xy", "a\n\nb")
    assert split_think("<think>cut off mid-thought") == ("", "cut off mid-thought")
    assert split_think("<thinking>t</thinking>ans") == ("ans", "t")
    assert split_think("no tags") == ("no tags", None)


_plain = st.text(alphabet=st.characters(blacklist_characters="<>"), max_size=60)


@given(reasoning=_plain.filter(str.strip), answer=_plain)
def test_think_block_round_trip(reasoning, answer):
    assert split_think(f"<think>{reasoning}</think>{answer}") == (answer.strip(), reasoning.strip())


def test_reasoning_from_several_fields_is_not_duplicated():
    message = {"content": "A", "reasoning": "R", "reasoning_details": [{"type": "reasoning.text", "text": "R"}]}
    assert message_text(message) == ("A", "R")


def test_reasoning_summary_blocks_are_read():
    message = {"content": "A", "reasoning_details": [{"type": "reasoning.summary", "summary": "S"},
                                                     {"type": "reasoning.encrypted", "data": "xx"}]}
    assert message_text(message) == ("A", "S")


def test_merge_delta_joins_pieces_of_one_block():
    message: dict = {"role": "assistant"}
    for piece in ("ab", "cd"):
        merge_delta(message, {"reasoning_details": [{"type": "reasoning.text", "text": piece, "index": 0}]})
        merge_delta(message, {"content": piece, "reasoning_content": piece.upper()})
    assert message["content"] == "abcd"
    assert message["reasoning_content"] == "ABCD"
    assert message["reasoning_details"] == [{"type": "reasoning.text", "text": "abcd", "index": 0}]
