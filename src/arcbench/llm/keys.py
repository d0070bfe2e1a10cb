"""Which endpoint a base URL points at, which variable holds its key, and keeping keys out of every text we write.

Keys are read at call time from the environment or a `.env` file and handed straight to the HTTP client: they are
never stored in a config, an event, a log line or an error message.
"""

from __future__ import annotations

import functools
import ipaddress
import os
import re
from pathlib import Path
from urllib.parse import urlsplit

from dotenv import dotenv_values

from arcbench.llm.base import ClientConfig

OPENAI_BASE_URL = "https://api.openai.com/v1"
LOCAL_PLACEHOLDER_KEY = "arcbench-local-no-key"
"""Sent to local servers that need no key: the OpenAI client insists on one."""

_KEY_LIKE = re.compile(r"\b(sk|pk|rk|key)-[A-Za-z0-9_\-]{12,}")


@functools.lru_cache(maxsize=64)  # asked on every call (pricing, request shape): a run has one or a few URLs
def _host(base_url: str | None) -> str:
    if not base_url:
        return "api.openai.com"
    return (urlsplit(base_url if "//" in base_url else f"//{base_url}").hostname or "").lower()


@functools.lru_cache(maxsize=64)
def is_local_url(base_url: str | None) -> bool:
    """True for servers on this machine (localhost, 127.x, ::1, 0.0.0.0): they get a placeholder key and no price."""
    host = _host(base_url)
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return ip.is_loopback or ip.is_unspecified


def is_openrouter_url(base_url: str | None) -> bool:
    host = _host(base_url)
    return host == "openrouter.ai" or host.endswith(".openrouter.ai")


def is_openai_url(base_url: str | None) -> bool:
    return _host(base_url) == "api.openai.com"


def key_env_name(config: ClientConfig) -> str:
    """The environment variable the key is read from: --api-key-env, else by endpoint."""
    if config.api_key_env:
        return config.api_key_env
    return "OPENROUTER_API_KEY" if is_openrouter_url(config.base_url) else "OPENAI_API_KEY"


def resolve_api_key(config: ClientConfig, cwd: Path | None = None) -> str | None:
    """Key from the environment or a .env file in cwd (read without touching os.environ).

    The environment wins over the file. A local base URL with no key gets a placeholder. Returns None when no key is
    found for a remote endpoint: the caller decides whether that is an error (see `make_model`).
    """
    name = key_env_name(config)
    value = os.environ.get(name)
    if not value:
        env_file = (cwd or Path.cwd()) / ".env"
        if env_file.is_file():
            value = dotenv_values(env_file).get(name)
    if value:
        return value.strip()
    if is_local_url(config.base_url):
        return LOCAL_PLACEHOLDER_KEY
    return None


def redact(text: str, secret: str | None) -> str:
    """`text` with the key (and anything shaped like an API key) masked, on one line.

    Servers sometimes echo part of a rejected key in their error messages; those messages reach events and stderr.
    """
    if secret and len(secret) >= 4:
        text = text.replace(secret, "***")
    text = _KEY_LIKE.sub(lambda m: f"{m.group(1)}-***", text)
    return " ".join(text.split())
