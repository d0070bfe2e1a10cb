"""Several endpoints for one model: least outstanding requests, an endpoint that keeps failing taken out for a while
while the others carry on (real HTTP servers), and the pool's bookkeeping on a fake clock."""

from __future__ import annotations

import asyncio

from arcbench.llm import ClientConfig, Completion, OpenAIChatModel
from arcbench.llm.endpoints import EndpointPool
from arcbench.testing import ScriptedServer

MESSAGES = [{"role": "user", "content": "Task grid 1 2 3"}]


def _config(servers: list[ScriptedServer], **overrides) -> ClientConfig:
    urls = [s.base_url for s in servers]
    fields = {"model": "scripted", "base_url": urls[0], "more_base_urls": urls[1:], "backoff_base_s": 0.01,
              "backoff_max_s": 0.05, "concurrency": 16}
    return ClientConfig(**{**fields, **overrides})


def _gather(config: ClientConfig, calls: int) -> list[Completion]:
    async def go() -> list[Completion]:
        model = OpenAIChatModel(config, "local")
        try:
            return await asyncio.gather(*(model.complete(MESSAGES) for _ in range(calls)))
        finally:
            await model.aclose()

    return asyncio.run(go())


def test_requests_in_flight_are_spread_evenly_over_the_endpoints():
    with ScriptedServer([{"delay_s": 0.3}]) as a, ScriptedServer([{"delay_s": 0.3}]) as b:
        done = _gather(_config([a, b]), 8)
        assert len(a.chat_requests) == 4 and len(b.chat_requests) == 4
    assert {d.endpoint for d in done} == {a.base_url, b.base_url}


def test_a_slow_endpoint_gets_fewer_requests_than_a_fast_one():
    with ScriptedServer([{"delay_s": 0.5}]) as slow, ScriptedServer([{"delay_s": 0.02}]) as fast:
        async def go() -> None:
            model = OpenAIChatModel(_config([slow, fast], concurrency=4), "local")
            left = iter(range(40))  # a queue of calls shared by 4 workers, as a run's tasks share the model
            try:
                async def worker() -> None:
                    for _ in left:
                        await model.complete(MESSAGES)

                await asyncio.gather(*(worker() for _ in range(4)))
            finally:
                await model.aclose()

        asyncio.run(go())
        assert len(fast.chat_requests) > 3 * len(slow.chat_requests)


def test_an_endpoint_that_keeps_failing_is_taken_out_and_the_others_carry_on():
    with ScriptedServer([{"status": 503}]) as bad, ScriptedServer([{"delay_s": 0.05}]) as good:
        done = _gather(_config([bad, good], max_attempts=3), 12)
        failed_at_bad = len(bad.chat_requests)
    assert all(d.error_kind is None and d.endpoint == good.base_url for d in done)
    outs = [n for d in done for n in d.notices if n.kind == "endpoint_out"]
    assert len(outs) == 1 and outs[0].endpoint == bad.base_url and "taken out for 30 s" in outs[0].message
    assert failed_at_bad <= 7  # at most the first pick of each of the 6 requests spread there, plus a retry or so
    retried = [r for d in done for r in d.retries]
    assert retried and all(r.endpoint == bad.base_url and r.wait_s == 0 for r in retried)


def test_a_single_endpoint_is_never_taken_out_and_records_name_no_endpoint(scripted_server):
    scripted_server.set_script([{"status": 503, "times": 5}, {"content": "ok"}])
    done = _gather(_config([scripted_server], max_attempts=6), 1)
    assert done[0].error_kind is None and done[0].notices == [] and done[0].endpoint is None


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_an_endpoint_is_out_for_its_cooldown_then_back_and_out_for_twice_as_long_on_its_next_failure():
    clock = Clock()
    pool = EndpointPool(["a", "b"], trip_after=2, cooldown_s=10, clock=clock)
    a, b = pool.endpoints
    assert pool.failed(pool.pick(), "boom") is None
    out = pool.failed(pool.pick(avoid=b), "boom")
    assert out is not None and out.kind == "endpoint_out" and "1 other(s) carry on" in out.message
    assert [pool.pick().url for _ in range(3)] == ["b", "b", "b"]
    clock.now += 10
    assert pool.pick(avoid=b) is a
    again = pool.failed(a, "boom")
    assert again is not None and "taken out for 20 s" in again.message
    clock.now += 20
    back = pool.succeeded(pool.pick(avoid=b))
    assert back is not None and back.kind == "endpoint_back" and a.cooldown_s == 0


def test_with_every_endpoint_out_the_one_due_back_first_still_takes_requests():
    clock = Clock()
    pool = EndpointPool(["a", "b"], trip_after=1, cooldown_s=10, clock=clock)
    a = pool.endpoints[0]
    pool.failed(pool.pick(), "boom")  # a out until 110
    clock.now += 5
    pool.failed(pool.pick(), "boom")  # b out until 115
    assert pool.pick() is a


def test_least_outstanding_wins_and_ties_go_to_the_first_listed():
    pool = EndpointPool(["a", "b", "c"])
    picks = [pool.pick().url for _ in range(4)]
    assert picks == ["a", "b", "c", "a"]
    pool.succeeded(pool.endpoints[1])
    assert pool.pick().url == "b"
