"""Token counts and dollars of one call. An unknown price stays unknown (None), never 0.

Order of trust: --price-in/--price-out (with --price-cached: the user said so), then a cost the server reported for
this very call (OpenRouter's `usage.cost`), then the `genai-prices` package's maintained price data for a known model
and provider (cached input at the cached rate where it knows one, else as ordinary input).
Reasoning tokens are output tokens: they are part of `completion_tokens` as OpenAI reports them, and are added to it
for servers that report them apart. Cached input tokens are part of the input count everywhere; they are read from
OpenAI's `prompt_tokens_details.cached_tokens` (OpenRouter, vLLM and most compatible servers use it too), DeepSeek's
`prompt_cache_hit_tokens` or Moonshot's top-level `cached_tokens`.
"""

from __future__ import annotations

import math
from typing import Any

from arcbench.llm.base import ClientConfig, CostSource, Usage
from arcbench.llm.keys import is_local_url


def _int(value: Any) -> int:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0


def usage_from_body(usage: dict[str, Any] | None) -> Usage:
    """Normalised token counts from a response's `usage` object; when absent, unknown (`unreported`), not zero."""
    if not isinstance(usage, dict):
        return Usage(unreported=1)
    prompt = _int(usage.get("prompt_tokens"))
    completion = _int(usage.get("completion_tokens"))
    details = usage.get("completion_tokens_details") or {}
    prompt_details = usage.get("prompt_tokens_details") or {}
    reasoning = _int(details.get("reasoning_tokens")) if isinstance(details, dict) else 0
    cached = _int(prompt_details.get("cached_tokens")) if isinstance(prompt_details, dict) else 0
    if not cached:  # DeepSeek, then Moonshot, report cache hits outside prompt_tokens_details
        cached = _int(usage.get("prompt_cache_hit_tokens")) or _int(usage.get("cached_tokens"))
    total = _int(usage.get("total_tokens"))
    if reasoning and (reasoning > completion or total == prompt + completion + reasoning):
        completion += reasoning  # the server counted reasoning apart from the completion: bill it as output anyway
    return Usage(
        prompt_tokens=prompt,
        completion_tokens=completion,
        reasoning_tokens=reasoning,
        cached_tokens=min(cached, prompt),
        total_tokens=max(total, prompt + completion),
    )


def usage_from_responses(usage: dict[str, Any] | None) -> Usage:
    """Normalised token counts from a Responses API `usage` object: `input_tokens` (with
    `input_tokens_details.cached_tokens`) and `output_tokens` (reasoning included, with
    `output_tokens_details.reasoning_tokens`)."""
    if not isinstance(usage, dict):
        return Usage()
    details = usage.get("output_tokens_details")
    input_details = usage.get("input_tokens_details")
    return usage_from_body({
        "prompt_tokens": usage.get("input_tokens"),
        "completion_tokens": usage.get("output_tokens"),
        "total_tokens": usage.get("total_tokens"),
        "prompt_tokens_details": input_details if isinstance(input_details, dict) else {},
        "completion_tokens_details": details if isinstance(details, dict) else {},
    })


def server_cost(usage: dict[str, Any] | None) -> float | None:
    """The cost in dollars the server reported for the call, if any (OpenRouter: `usage.cost`)."""
    if not isinstance(usage, dict):
        return None
    cost = usage.get("cost")
    if isinstance(cost, int | float) and not isinstance(cost, bool) and cost >= 0:
        return float(cost)
    return None


def known_price_provider(provider_id: str) -> bool:
    """Whether genai-prices has price data for this provider id (e.g. 'openai', 'openrouter', 'groq')."""
    from genai_prices.data_snapshot import get_snapshot

    try:
        get_snapshot().find_provider(None, provider_id, None)
    except LookupError:
        return False
    return True


def _genai_price(usage: Usage, config: ClientConfig) -> float | None:
    from genai_prices import Usage as PriceUsage
    from genai_prices import calc_price

    where: dict[str, str]
    if config.price_provider:
        where = {"provider_id": config.price_provider}
    elif config.base_url is None:
        where = {"provider_id": "openai"}
    elif is_local_url(config.base_url):
        return None  # a local server serving a model with a famous name does not charge that model's price
    else:
        where = {"provider_api_url": config.base_url}
    price_usage = PriceUsage(
        input_tokens=usage.prompt_tokens,
        output_tokens=usage.completion_tokens,
        cache_read_tokens=min(usage.cached_tokens, usage.prompt_tokens),
    )
    try:
        result = calc_price(price_usage, config.model, **where)
    except (LookupError, ValueError):
        return None
    return float(result.total_price)


def flag_price(usage: Usage, price_in: float, price_out: float, price_cached: float | None = None) -> float:
    """Dollars at the user's $/million-token prices; cached input at `price_cached`, or as ordinary input without
    it."""
    cached = min(usage.cached_tokens, usage.prompt_tokens) if price_cached is not None else 0
    uncached = usage.prompt_tokens - cached
    return (uncached * price_in + cached * (price_cached or 0.0) + usage.completion_tokens * price_out) / 1_000_000


def price_call(
    usage: Usage, config: ClientConfig, reported: float | None, has_usage: bool
) -> tuple[float | None, CostSource]:
    """(cost in dollars or None, where it came from) for one successful call.

    Without usage in the response the tokens are unknown, so the cost is too (unless the server reported it).
    """
    if config.price_in is not None and config.price_out is not None and has_usage:
        return flag_price(usage, config.price_in, config.price_out, config.price_cached), "flags"
    if reported is not None:
        return reported, "server"
    if not has_usage:
        return None, "unknown"
    cost = _genai_price(usage, config)
    return (cost, "genai-prices") if cost is not None else (None, "unknown")


def estimate_price(usage: Usage, config: ClientConfig) -> float | None:
    """What a call with this usage would cost before it is made, priced as the call will be: the flags, else
    genai-prices (a cost the server will report is not known in advance). None when neither knows a price."""
    if config.price_in is not None and config.price_out is not None:
        return flag_price(usage, config.price_in, config.price_out, config.price_cached)
    return _genai_price(usage, config)


def price_basis(config: ClientConfig) -> str:
    """Where estimated prices come from, in words."""
    if config.price_in is not None and config.price_out is not None:
        cached = f", cached input ${config.price_cached:g}" if config.price_cached is not None else ""
        return f"--price-in ${config.price_in:g} / --price-out ${config.price_out:g} per million tokens{cached}"
    where = config.price_provider or ("openai" if config.base_url is None else config.base_url)
    return f"genai-prices for '{config.model}' at {where}"
def usd(x: float) -> str:
    """Dollars as people should read them: cents from a dollar up, four decimals from a cent up, and two
    significant digits below a cent, so that a call that cost $0.00005 is not shown as $0.0000."""
    if x == 0:
        return "$0.00"
    if abs(x) >= 1:
        return f"${x:,.2f}"
    if abs(x) >= 0.01:
        return f"${x:.4f}"
    decimals = 1 - math.floor(math.log10(abs(x)))
    return f"${x:.{decimals}f}"
