"""When to try a failed call again and how long to wait first. Pure functions."""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

RETRYABLE_STATUS = frozenset({408, 409, 429})
"""Client-error codes worth retrying (timeouts, conflicts, rate limits); every 5xx (524 included) is retried too."""


def is_retryable_status(status: int) -> bool:
    return status in RETRYABLE_STATUS or status >= 500


def retry_after_s(headers: Mapping[str, str], now: datetime | None = None) -> float | None:
    """Seconds a server asked us to wait: `retry-after-ms`, `retry-after` in seconds, or `retry-after` as an HTTP
    date. None when absent or unreadable; never negative."""
    lowered = {k.lower(): v for k, v in headers.items()}
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = lowered.get(name)
        if value is None:
            continue
        try:
            return max(0.0, float(value) / scale)
        except ValueError:
            pass
    value = lowered.get("retry-after")
    if value is None:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def backoff_s(failed_attempt: int, base_s: float, max_s: float, rng: random.Random | None = None) -> float:
    """Exponential backoff with jitter: about base·2^(n-1), drawn from its upper half so concurrent tasks that failed
    together do not retry together, and never above max_s."""
    ceiling = min(max_s, base_s * 2 ** (failed_attempt - 1))
    return ceiling / 2 + (rng or random).random() * ceiling / 2


def wait_before_retry(
    failed_attempt: int,
    server_wait_s: float | None,
    *,
    base_s: float,
    max_s: float,
    retry_after_max_s: float,
    rng: random.Random | None = None,
) -> float:
    """The wait before the next attempt: the server's Retry-After (capped) when it sent one, else backoff."""
    if server_wait_s is not None:
        return min(server_wait_s, retry_after_max_s)
    return backoff_s(failed_attempt, base_s, max_s, rng)
