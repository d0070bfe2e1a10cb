"""`BaselineModel`: the offline baseline behind the `ChatModel` seam, so a run needs no network and no key.

The search is CPU work, so it runs in a process pool (created on first use, one worker per core): the event loop
stays free for the run's other tasks in flight.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from arcbench.baseline.chat import count_tokens, solve_messages
from arcbench.llm import ClientConfig, Completion, Message, Tool, Usage, content_text

MODEL_NAME = "baseline"



def usage_for(messages: list[Message], reply: str) -> Usage:
    """Token counts of the text (see `count_tokens`): the baseline has no tokenizer of its own."""
    prompt = sum(count_tokens(content_text(m.get("content"))) for m in messages)
    completion = count_tokens(reply)
    return Usage(prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion)


def response_body(reply: str, usage: Usage) -> dict:
    """The reply as an OpenAI Chat Completions body, so logs of baseline runs read like any other model's."""
    return {
        "object": "chat.completion",
        "model": MODEL_NAME,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": reply}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": usage.prompt_tokens, "completion_tokens": usage.completion_tokens,
                  "total_tokens": usage.total_tokens},
    }


class BaselineModel:
    """The `baseline` model (implements `arcbench.llm.ChatModel`). Free: every call costs $0."""

    def __init__(self, config: ClientConfig) -> None:
        self.config = config
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # spawn: forking a process that runs an event loop (and maybe threads) is unsafe
            self._pool = ProcessPoolExecutor(max_workers=os.cpu_count() or 1,
                                             mp_context=multiprocessing.get_context("spawn"))
        return self._pool

    async def complete(self, messages: list[Message], *, tools: list[Tool] | None = None,
                       tool_choice: str | None = None, n: int = 1) -> Completion:
        """Answer one chat request. A failure of the worker process is returned as an `api_error` completion. The
        baseline calls no tools: offered some, it answers in text as always. The search is deterministic, so asked
        for several answers (`n`) it gives one."""
        request = {"model": MODEL_NAME, "messages": messages}
        start = time.monotonic()
        loop = asyncio.get_running_loop()
        try:
            reply = await loop.run_in_executor(self._executor(), solve_messages, messages,
                                               self.config.baseline_time_s)
        except BrokenProcessPool as e:
            self._pool = None  # a fresh pool for the next call
            return Completion(model=MODEL_NAME, request=request, cost_usd=0.0, cost_source="free",
                              latency_s=time.monotonic() - start, error_kind="api_error",
                              error_message=f"baseline worker process died: {e}")
        usage = usage_for(messages, reply)
        return Completion(model=MODEL_NAME, request=request, response=response_body(reply, usage), content=reply,
                          usage=usage, cost_usd=0.0, cost_source="free", latency_s=time.monotonic() - start)

    async def aclose(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
