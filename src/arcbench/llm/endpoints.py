"""Several endpoints serving one model: which one takes the next request, and which are out of service for a while.

Requests go to the endpoint with the fewest requests outstanding (ties to the one listed first), which keeps fast and
slow servers equally busy without knowing their speeds. An endpoint that fails `trip_after` attempts in a row
(connection errors, timeouts, 5xx, malformed replies: not rate limits, not the user's mistakes) is taken out for
`cooldown_s`, doubled each time it is taken out again without having answered in between (up to `max_cooldown_s`).
When it is due back it gets requests again; one more failure takes it out again at once. Every endpoint out at once
stops nothing: the one due back first still takes requests, so a run never stalls on its own bookkeeping.

No I/O here: the client tells the pool what happened and relays the notices it returns.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from arcbench.llm.base import Notice


@dataclass
class Endpoint:
    url: str
    """The base URL as the user gave it (what logs and the summary name)."""
    clients: list[Any] = field(default_factory=list)
    """The HTTP clients that talk to it (several small connection pools, used in turn)."""
    outstanding: int = 0
    failures_in_row: int = 0
    out_until: float = 0.0
    """Monotonic time it is due back; 0 when it is in service."""
    cooldown_s: float = 0.0
    """The length of its last time out (0 when it never was out, or has answered since)."""
    turn: int = 0


class EndpointPool:
    def __init__(self, urls: list[str], *, trip_after: int = 3, cooldown_s: float = 30.0, max_cooldown_s: float = 300.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if not urls:
            raise ValueError("an endpoint pool needs at least one URL")
        self.endpoints = [Endpoint(url=u) for u in urls]
        self.trip_after = trip_after
        self.base_cooldown_s = cooldown_s
        self.max_cooldown_s = max_cooldown_s
        self._clock = clock

    def available(self, now: float | None = None) -> list[Endpoint]:
        """The endpoints in service now."""
        now = self._clock() if now is None else now
        return [e for e in self.endpoints if e.out_until <= now]

    def pick(self, avoid: Endpoint | None = None) -> Endpoint:
        """The endpoint for the next attempt (its outstanding count already raised): the least busy in service,
        other than `avoid` (the one the previous attempt failed on) when there is another."""
        if len(self.endpoints) == 1:
            chosen = self.endpoints[0]
        else:
            now = self._clock()
            ready = self.available(now)
            if avoid is not None and len(ready) > 1:
                ready = [e for e in ready if e is not avoid]
            if ready:
                chosen = min(ready, key=lambda e: e.outstanding)
            else:
                chosen = min(self.endpoints, key=lambda e: e.out_until)
        chosen.outstanding += 1
        return chosen

    def has_other(self, endpoint: Endpoint) -> bool:
        """Another endpoint is in service: a failed attempt can go there at once instead of waiting to retry."""
        return any(e is not endpoint for e in self.available())

    def succeeded(self, endpoint: Endpoint) -> Notice | None:
        endpoint.outstanding -= 1
        endpoint.failures_in_row = 0
        back = endpoint.cooldown_s > 0
        endpoint.out_until = endpoint.cooldown_s = 0.0
        if back and len(self.endpoints) > 1:
            return Notice(kind="endpoint_back", endpoint=endpoint.url,
                          message=f"endpoint {endpoint.url} answers again: back in service")
        return None

    def finished(self, endpoint: Endpoint) -> None:
        """An attempt that says nothing about the endpoint's health ended (a rate limit, a refused request)."""
        endpoint.outstanding -= 1

    def failed(self, endpoint: Endpoint, reason: str) -> Notice | None:
        """An attempt failed in a way that says the endpoint is unwell; a notice when that takes it out."""
        endpoint.outstanding -= 1
        endpoint.failures_in_row += 1
        now = self._clock()
        if len(self.endpoints) == 1 or endpoint.failures_in_row < self.trip_after or endpoint.out_until > now:
            return None
        endpoint.cooldown_s = min(self.max_cooldown_s, endpoint.cooldown_s * 2 or self.base_cooldown_s)
        endpoint.out_until = now + endpoint.cooldown_s
        others = sum(1 for e in self.available(now) if e is not endpoint)
        return Notice(kind="endpoint_out", endpoint=endpoint.url,
                      message=f"endpoint {endpoint.url} failed {endpoint.failures_in_row} times in a row ({reason}): "
                              f"taken out for {endpoint.cooldown_s:g} s, {others} other(s) carry on")
