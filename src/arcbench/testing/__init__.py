"""A real local OpenAI-compatible server with scripted replies: for dry runs without spending money, and for tests.

    with ScriptedServer([{"match": "3 3 0", "content": "...", "reasoning": "...", "times": 1}]) as s:
        ...  # point a client at s.base_url; s.requests lists what it received

`serve(responder)` serves any callable `(request_body) -> Reply`; `ModelResponder(model)` adapts a ChatModel.
`ScriptedModel(script)` answers the same scripts in memory, as a `ChatModel`: strategies run against it exactly as
against a model behind HTTP.
"""

from arcbench.testing.model import ScriptedModel
from arcbench.testing.script import DEFAULT_CONTENT, Reply, Rule, Script, load_script
from arcbench.testing.server import ChatServer, ModelResponder, RecordedRequest, Responder, ScriptedServer, serve

__all__ = [
    "DEFAULT_CONTENT",
    "ChatServer",
    "ModelResponder",
    "RecordedRequest",
    "Reply",
    "Responder",
    "Rule",
    "Script",
    "ScriptedModel",
    "ScriptedServer",
    "load_script",
    "serve",
]
