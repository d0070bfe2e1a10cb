"""The baseline served over real HTTP answers the official `openai` client like a hosted model."""

from __future__ import annotations

import math

import openai

from arcbench.baseline.model import BaselineModel
from arcbench.llm import ClientConfig
from arcbench.prompts.render import task_messages
from arcbench.testing.server import ChatServer, ModelResponder
from tests.baseline.helpers import code_of, run_in_process


def test_served_baseline_answers_the_openai_client(arc1) -> None:
    lt = arc1["6150a2bd"]
    messages = task_messages(lt.task)
    model = BaselineModel(ClientConfig(model="baseline", baseline_time_s=1.0))
    with ChatServer(ModelResponder(model), model_ids=("baseline",)) as server:
        client = openai.OpenAI(base_url=server.base_url, api_key="unused", max_retries=0)
        reply = client.chat.completions.create(model="baseline", messages=messages)
        assert [m.id for m in client.models.list()] == ["baseline"]
    content = reply.choices[0].message.content
    assert run_in_process(code_of(content), lt.task.test_inputs) == lt.test_outputs
    assert reply.usage.completion_tokens == math.ceil(len(content) / 4)
