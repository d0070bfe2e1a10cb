"""Costs of calls: genai-prices for known models, the server's own figure, the user's flags, and unknown as None."""

from __future__ import annotations

import asyncio

import pytest
from genai_prices import Usage as PriceUsage
from genai_prices import calc_price

from arcbench.errors import UserError
from arcbench.llm import ClientConfig, Completion, OpenAIChatModel, Usage
from arcbench.llm.pricing import price_call, usage_from_body
from tests.fixtures_server import scripted_config

TOKENS = {"prompt_tokens": 1000, "completion_tokens": 2000, "reasoning_tokens": 500, "cached_tokens": 0}


def _call(config: ClientConfig) -> Completion:
    async def go() -> Completion:
        model = OpenAIChatModel(config, "local")
        try:
            return await model.complete([{"role": "user", "content": "hi"}])
        finally:
            await model.aclose()

    return asyncio.run(go())


def test_known_model_is_priced_by_genai_prices(scripted_server):
    scripted_server.set_script([{"content": "x", **TOKENS}])
    event = _call(scripted_config(scripted_server, model="gpt-4.1-nano", price_provider="openai"))
    expected = float(calc_price(PriceUsage(input_tokens=1000, output_tokens=2000), "gpt-4.1-nano",
                                provider_id="openai").total_price)
    assert event.cost_source == "genai-prices"
    assert event.cost_usd == pytest.approx(expected)
    assert event.cost_usd == pytest.approx((1000 * 0.10 + 2000 * 0.40) / 1e6)  # gpt-4.1-nano's list price


def test_cached_input_is_cheaper_when_the_price_data_says_so(scripted_server):
    scripted_server.set_script([{"content": "x", **TOKENS, "cached_tokens": 800}])
    event = _call(scripted_config(scripted_server, model="gpt-4.1-nano", price_provider="openai"))
    full = float(calc_price(PriceUsage(input_tokens=1000, output_tokens=2000), "gpt-4.1-nano",
                            provider_id="openai").total_price)
    assert event.usage.cached_tokens == 800
    assert event.cost_usd is not None and event.cost_usd < full


def test_unknown_model_has_unknown_cost(scripted_server):
    scripted_server.set_script([{"content": "x", **TOKENS}])
    event = _call(scripted_config(scripted_server, model="no-such-model-anywhere-7", price_provider="openai"))
    assert (event.cost_usd, event.cost_source) == (None, "unknown")


def test_local_endpoint_without_prices_is_unknown_not_free(scripted_server):
    scripted_server.set_script([{"content": "x", **TOKENS}])
    event = _call(scripted_config(scripted_server, model="gpt-4.1-nano"))
    assert (event.cost_usd, event.cost_source) == (None, "unknown")


def test_server_reported_cost_is_preferred(scripted_server):
    scripted_server.set_script([{"content": "x", **TOKENS, "cost": 0.0123}])
    event = _call(scripted_config(scripted_server, model="gpt-4.1-nano", price_provider="openai"))
    assert (event.cost_usd, event.cost_source) == (0.0123, "server")


def test_price_flags_override_everything(scripted_server):
    scripted_server.set_script([{"content": "x", **TOKENS, "cost": 0.0123}])
    event = _call(scripted_config(scripted_server, model="gpt-4.1-nano", price_provider="openai",
                                  price_in=2.0, price_out=8.0))
    assert event.cost_source == "flags"
    assert event.cost_usd == pytest.approx((1000 * 2.0 + 2000 * 8.0) / 1e6)


def test_price_flags_price_a_local_model(scripted_server):
    scripted_server.set_script([{"content": "x", **TOKENS}])
    event = _call(scripted_config(scripted_server, model="my-local-qwen", price_in=0.5, price_out=1.0))
    assert event.cost_usd == pytest.approx((1000 * 0.5 + 2000 * 1.0) / 1e6)


def test_a_reply_without_usage_has_unknown_cost(scripted_server):
    scripted_server.set_script([{"content": "x", "include_usage": False}])
    event = _call(scripted_config(scripted_server, model="gpt-4.1-nano", price_provider="openai",
                                  price_in=1.0, price_out=1.0))
    assert (event.cost_usd, event.cost_source) == (None, "unknown")


def test_one_price_flag_alone_is_a_user_error(scripted_server):
    with pytest.raises(UserError, match="--price-in and --price-out"):
        OpenAIChatModel(scripted_config(scripted_server, price_in=1.0), "local")


def test_reasoning_reported_apart_is_billed_as_output():
    # Some servers count reasoning outside completion_tokens (total = prompt + completion + reasoning).
    usage = usage_from_body({"prompt_tokens": 100, "completion_tokens": 40, "total_tokens": 200,
                             "completion_tokens_details": {"reasoning_tokens": 60}})
    assert (usage.completion_tokens, usage.reasoning_tokens, usage.total_tokens) == (100, 60, 200)
    cost, source = price_call(usage, ClientConfig(price_in=1.0, price_out=10.0), None, has_usage=True)
    assert source == "flags"
    assert cost == pytest.approx((100 * 1.0 + 100 * 10.0) / 1e6)


def test_reasoning_inside_completion_is_not_counted_twice():
    usage = usage_from_body({"prompt_tokens": 100, "completion_tokens": 100, "total_tokens": 200,
                             "completion_tokens_details": {"reasoning_tokens": 60}})
    assert (usage.completion_tokens, usage.reasoning_tokens) == (100, 60)


def test_openai_default_endpoint_is_priced_as_openai():
    usage = Usage(prompt_tokens=1000, completion_tokens=1000, total_tokens=2000)
    cost, source = price_call(usage, ClientConfig(model="gpt-4.1-nano"), None, has_usage=True)
    assert source == "genai-prices"
    assert cost == pytest.approx((1000 * 0.10 + 1000 * 0.40) / 1e6)


def test_openrouter_model_is_priced_from_its_url():
    usage = Usage(prompt_tokens=1000, completion_tokens=1000, total_tokens=2000)
    config = ClientConfig(model="openai/gpt-4.1-nano", base_url="https://openrouter.ai/api/v1")
    cost, source = price_call(usage, config, None, has_usage=True)
    assert source == "genai-prices" and cost is not None and cost > 0


def test_unknown_price_provider_is_a_user_error(scripted_server):
    with pytest.raises(UserError, match="no provider 'opnai'"):
        OpenAIChatModel(scripted_config(scripted_server, price_provider="opnai"), "local")



def test_price_cached_flag_charges_cached_input_at_its_own_rate(scripted_server):
    scripted_server.set_script([{"content": "x", **TOKENS, "cached_tokens": 800}])
    event = _call(scripted_config(scripted_server, model="my-local-qwen", price_in=2.0, price_out=8.0,
                                  price_cached=0.5))
    assert event.usage.cached_tokens == 800
    assert event.cost_usd == pytest.approx((200 * 2.0 + 800 * 0.5 + 2000 * 8.0) / 1e6)


def test_without_price_cached_the_flags_charge_cached_input_as_input(scripted_server):
    scripted_server.set_script([{"content": "x", **TOKENS, "cached_tokens": 800}])
    event = _call(scripted_config(scripted_server, model="my-local-qwen", price_in=2.0, price_out=8.0))
    assert event.cost_usd == pytest.approx((1000 * 2.0 + 2000 * 8.0) / 1e6)


def test_price_cached_without_the_other_prices_is_a_user_error(scripted_server):
    with pytest.raises(UserError, match="--price-cached goes with --price-in and --price-out"):
        OpenAIChatModel(scripted_config(scripted_server, price_cached=0.5), "local")


def test_genai_prices_charges_cached_input_at_the_cached_rate():
    usage = Usage(prompt_tokens=1000, completion_tokens=0, cached_tokens=800, total_tokens=1000)
    cost, _ = price_call(usage, ClientConfig(model="gpt-4.1-nano"), None, has_usage=True)
    assert cost == pytest.approx((200 * 0.10 + 800 * 0.025) / 1e6)  # gpt-4.1-nano: $0.025 per cached million


@pytest.mark.parametrize("usage", [
    {"prompt_tokens": 1000, "completion_tokens": 10, "prompt_cache_hit_tokens": 700, "prompt_cache_miss_tokens": 300},
    {"prompt_tokens": 1000, "completion_tokens": 10, "cached_tokens": 700},
], ids=["deepseek", "moonshot"])
def test_cached_tokens_are_read_where_other_providers_report_them(usage):
    assert usage_from_body(usage).cached_tokens == 700
