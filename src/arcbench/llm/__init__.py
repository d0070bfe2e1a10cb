"""The one seam between arcbench and every model: `ChatModel.complete(messages) -> Completion`.

`OpenAIChatModel` talks to any OpenAI-compatible endpoint and `OpenAIResponsesModel` to OpenAI's Responses API
(`arcbench.providers.make_model` picks one, or the offline baseline, for a config); `resolve_api_key` finds the key
(environment or .env) without ever storing it; `check_reachable` tells in one line when an endpoint is not there at all.
"""

from typing import TYPE_CHECKING, Any

from arcbench.llm.base import (
    ChatModel,
    Choice,
    ClientConfig,
    Completion,
    CostSource,
    FailureKind,
    Message,
    Notice,
    ReasoningEffort,
    RetryRecord,
    Tool,
    ToolCall,
    Usage,
    forward,
)
from arcbench.llm.keys import is_local_url, key_env_name, resolve_api_key
from arcbench.llm.reasoning import content_text

if TYPE_CHECKING:
    from arcbench.llm.openai_chat import OpenAIChatModel
    from arcbench.llm.openai_responses import OpenAIResponsesModel
    from arcbench.llm.reachability import check_reachable

# The HTTP client stack (openai, httpx) loads on first use: the baseline's worker processes, the test server and
# `arcbench --help` import this package for its types and never call an endpoint.
_LAZY = {"OpenAIChatModel": "arcbench.llm.openai_chat", "OpenAIResponsesModel": "arcbench.llm.openai_responses",
         "check_reachable": "arcbench.llm.reachability"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ChatModel",
    "Choice",
    "ClientConfig",
    "Completion",
    "CostSource",
    "FailureKind",
    "Message",
    "Notice",
    "OpenAIChatModel",
    "OpenAIResponsesModel",
    "ReasoningEffort",
    "RetryRecord",
    "Tool",
    "ToolCall",
    "Usage",
    "check_reachable",
    "content_text",
    "forward",
    "is_local_url",
    "key_env_name",
    "resolve_api_key",
]
