"""API keys: where they are read from, which variable is named when one is missing."""

from __future__ import annotations

import os

import pytest

from arcbench.errors import UserError
from arcbench.llm import ClientConfig, OpenAIChatModel, key_env_name, resolve_api_key
from arcbench.llm.keys import LOCAL_PLACEHOLDER_KEY, is_local_url, redact
from arcbench.providers import make_model

OPENROUTER = "https://openrouter.ai/api/v1"


@pytest.fixture(autouse=True)
def _no_keys(monkeypatch):
    for name in ("OPENAI_API_KEY", "OPENROUTER_API_KEY", "MY_KEY"):
        monkeypatch.delenv(name, raising=False)


def test_key_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    assert resolve_api_key(ClientConfig(), tmp_path) == "sk-env"


def test_key_from_dotenv_without_touching_environment(tmp_path):
    (tmp_path / ".env").write_text("OPENAI_API_KEY=sk-from-file\n")
    assert resolve_api_key(ClientConfig(), tmp_path) == "sk-from-file"
    assert "OPENAI_API_KEY" not in os.environ


def test_environment_wins_over_dotenv(monkeypatch, tmp_path):
    (tmp_path / ".env").write_text("OPENAI_API_KEY=sk-from-file\n")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    assert resolve_api_key(ClientConfig(), tmp_path) == "sk-env"


def test_openrouter_reads_its_own_variable(monkeypatch, tmp_path):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai")
    monkeypatch.setenv("OPENROUTER_API_KEY", "sk-or")
    config = ClientConfig(base_url=OPENROUTER)
    assert key_env_name(config) == "OPENROUTER_API_KEY"
    assert resolve_api_key(config, tmp_path) == "sk-or"


def test_named_variable_wins(monkeypatch, tmp_path):
    (tmp_path / ".env").write_text("MY_KEY=sk-mine\nOPENROUTER_API_KEY=sk-or\n")
    config = ClientConfig(base_url=OPENROUTER, api_key_env="MY_KEY")
    assert key_env_name(config) == "MY_KEY"
    assert resolve_api_key(config, tmp_path) == "sk-mine"


@pytest.mark.parametrize("url", ["http://localhost:8000/v1", "http://127.0.0.1:1234/v1", "http://[::1]:8000/v1",
                                 "http://0.0.0.0:8000/v1", "http://127.5.0.1/v1"])
def test_local_endpoint_without_key_gets_placeholder(url, tmp_path):
    assert is_local_url(url)
    assert resolve_api_key(ClientConfig(base_url=url), tmp_path) == LOCAL_PLACEHOLDER_KEY


@pytest.mark.parametrize("url", [None, OPENROUTER, "https://api.together.xyz/v1", "http://10.0.0.5:8000/v1",
                                 "https://localhost.example.com/v1"])
def test_remote_endpoint_without_key_is_none(url, tmp_path):
    assert not is_local_url(url)
    assert resolve_api_key(ClientConfig(base_url=url), tmp_path) is None


def test_make_model_names_the_missing_variable(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UserError, match="OPENROUTER_API_KEY"):
        make_model(ClientConfig(model="x", base_url=OPENROUTER))
    with pytest.raises(UserError, match="MY_KEY"):
        make_model(ClientConfig(api_key_env="MY_KEY"))


def test_make_model_builds_a_client_for_a_local_endpoint(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    model = make_model(ClientConfig(model="qwen", base_url="http://localhost:8000/v1"))
    assert isinstance(model, OpenAIChatModel)
    assert model.config.model == "qwen"


def test_redact_masks_the_key_and_key_shaped_text():
    text = "bad key sk-live-abcdefghijklmnop and sk-proj-QWERTYUIOPASDFGH\nnext"
    assert redact(text, "sk-live-abcdefghijklmnop") == "bad key *** and sk-*** next"
