"""`BaselineModel`: the baseline behind the ChatModel seam, answering from a process pool."""

from __future__ import annotations

import asyncio
import math

from arcbench.baseline import solve_messages
from arcbench.baseline.model import BaselineModel
from arcbench.llm import ClientConfig
from arcbench.prompts.grids import grid_to_text
from arcbench.prompts.render import task_messages
from arcbench.providers import make_model
from tests.baseline.helpers import code_of, run_in_process
from tests.loop_ticks import ticking


def test_complete_answers_without_blocking_the_event_loop(arc1) -> None:
    lt = arc1["6150a2bd"]
    messages = task_messages(lt.task)
    model = make_model(ClientConfig(model="baseline", baseline_time_s=1.0))
    assert isinstance(model, BaselineModel)

    async def main():
        try:
            async with ticking(0.005) as ticks:
                event = await model.complete(messages)
        finally:
            await model.aclose()
        return event, ticks.count

    event, ticks = asyncio.run(main())
    assert ticks > 3  # the loop kept running while the search worked in another process
    assert event.error_kind is None
    assert event.model == "baseline"
    assert event.request == {"model": "baseline", "messages": messages}
    assert event.cost_usd == 0.0 and event.cost_source == "free"
    assert event.content == solve_messages(messages, 1.0)
    assert event.response["choices"][0]["message"]["content"] == event.content
    assert event.usage.completion_tokens == math.ceil(len(event.content) / 4)
    assert event.usage.prompt_tokens == sum(math.ceil(len(m["content"]) / 4) for m in messages)
    assert event.usage.total_tokens == event.usage.prompt_tokens + event.usage.completion_tokens
    assert event.latency_s > 0
    assert run_in_process(code_of(event.content), lt.task.test_inputs) == lt.test_outputs
    # what the model was given holds the test inputs but never a test output
    sent = "\n".join(m["content"] for m in event.request["messages"])
    assert grid_to_text(lt.task.test_inputs[0]) in sent
    assert all(grid_to_text(out) not in sent for out in lt.test_outputs)


def test_concurrent_calls_each_get_their_own_answer(arc1) -> None:
    model = BaselineModel(ClientConfig(model="baseline", baseline_time_s=1.0))
    ids = ["6150a2bd", "67a3c6ac", "c59eb873"]

    async def main():
        try:
            return await asyncio.gather(*(model.complete(task_messages(arc1[t].task)) for t in ids))
        finally:
            await model.aclose()

    events = asyncio.run(main())
    for tid, event in zip(ids, events, strict=True):
        assert run_in_process(code_of(event.content), arc1[tid].task.test_inputs) == arc1[tid].test_outputs
