"""How long a reply may be when the user does not say: the default cap on reply length.

A small model on a local server can run away: repeat itself until the context is full. With SmolLM2-135M-Instruct
behind llama.cpp's server on a 2-core CPU, one such reply ran 7,396 tokens for 376 s, holding a server slot (and the
run) all that time, and ended with no code. The answer a non-reasoning model is asked for — a few sentences and one
program — is hundreds of tokens; the longest honest ones hard-code a whole 30x30 output grid (900 cells, at about
two tokens a cell some 1,800 tokens). 4,096 leaves room for those and would have cut that runaway at about half.

Reasoning models need far more (tens of thousands of tokens at high effort) and remote providers already bound a
reply by the model's own limit, so the default applies only where both hold: a local server (the same test as for
keys and prices: localhost, 127.x, ::1, 0.0.0.0) and no `--reasoning-effort`. A local reasoning model that thinks
without being asked (Qwen3, DeepSeek-R1 distills) needs `--max-tokens N`; its replies are shown as cut off until
then. The default is recorded in the run's config (`client.default_max_tokens`), so a resumed run keeps the cap it
started with, and it is dropped for a call whose server refuses it (vLLM refuses a cap that does not fit in the
context beside the prompt).
"""

from __future__ import annotations

from arcbench.llm.base import ClientConfig
from arcbench.llm.keys import is_local_url

LOCAL_MAX_TOKENS = 4096
"""The default cap on reply length on a local server, in completion tokens."""


def default_max_tokens(config: ClientConfig) -> int | None:
    """The cap a new run gets when the user gave none: LOCAL_MAX_TOKENS on a local server when no reasoning is asked
    for, else None (the server's own limit)."""
    if config.max_tokens is not None or config.reasoning_effort is not None or config.model == "baseline":
        return None
    if config.base_url is None or not is_local_url(config.base_url):
        return None
    return LOCAL_MAX_TOKENS
