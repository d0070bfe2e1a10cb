"""The one seam between arcbench and every model: `ChatModel.complete(messages) -> CallEvent`.

`make_model(config)` gives the offline baseline or an `OpenAIChatModel` for any OpenAI-compatible endpoint;
`resolve_api_key` finds the key (environment or .env) without ever storing it.
"""

from arcbench.llm.base import ChatModel, ClientConfig, ReasoningEffort
from arcbench.llm.factory import make_model
from arcbench.llm.keys import is_local_url, key_env_name, resolve_api_key
from arcbench.llm.openai_chat import OpenAIChatModel

__all__ = [
    "ChatModel",
    "ClientConfig",
    "OpenAIChatModel",
    "ReasoningEffort",
    "is_local_url",
    "key_env_name",
    "make_model",
    "resolve_api_key",
]
