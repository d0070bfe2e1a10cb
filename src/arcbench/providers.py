"""Which model a `ClientConfig` names: the offline baseline or an OpenAI-compatible endpoint.

Above every provider in the layers (the baseline is a model built on the llm seam, not part of it); a new provider
is a module of its own and a branch here.
"""

from __future__ import annotations

from arcbench.errors import UserError
from arcbench.llm import ChatModel, ClientConfig, OpenAIChatModel, OpenAIResponsesModel, key_env_name, resolve_api_key


def make_model(config: ClientConfig, api_key: str | None = None) -> ChatModel:
    """The model a run talks to. 'baseline' with no base URL is the offline baseline; anything else is an
    OpenAI-compatible endpoint (through the Responses API with `api="responses"`), whose key is resolved here when
    not given. Raises UserError naming the variable to set when a remote endpoint has no key."""
    if config.model == "baseline" and config.base_url is None:
        from arcbench.baseline.model import BaselineModel

        return BaselineModel(config)
    key = api_key or resolve_api_key(config)
    if key is None:
        raise UserError(
            f"no API key for {config.base_url or 'the OpenAI API'}: set {key_env_name(config)} in the environment "
            f"or in a .env file here (or name another variable with --api-key-env)"
        )
    if config.api == "responses":
        return OpenAIResponsesModel(config, key)
    return OpenAIChatModel(config, key)
