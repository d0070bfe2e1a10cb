"""The local OpenAI-compatible server: scripts, recording, failure modes, serving a model, and `arcbench serve`."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from arcbench.errors import UserError
from arcbench.llm import ClientConfig, Completion, OpenAIChatModel
from arcbench.testing import DEFAULT_CONTENT, ChatServer, ModelResponder, Reply, ScriptedServer, load_script, serve
from tests.fixtures_server import scripted_config


def _conversation(user: str, assistant_turns: int = 0) -> list[dict]:
    messages = [{"role": "system", "content": "sys"}, {"role": "user", "content": user}]
    for i in range(assistant_turns):
        messages += [{"role": "assistant", "content": f"try {i}"}, {"role": "user", "content": "feedback"}]
    return messages


def _ask(config: ClientConfig, messages: list[dict]) -> Completion:
    async def go() -> Completion:
        model = OpenAIChatModel(config, "local")
        try:
            return await model.complete(messages)
        finally:
            await model.aclose()

    return asyncio.run(go())


def test_default_reply_is_an_identity_program(scripted_server):
    event = _ask(scripted_config(scripted_server), _conversation("grid"))
    assert event.content == DEFAULT_CONTENT
    assert "def transform(grid)" in event.content


def test_models_route_lists_models(scripted_server):
    data = httpx.get(scripted_server.base_url + "/models").json()
    assert [m["id"] for m in data["data"]] == ["scripted"]


def test_rules_match_by_first_user_message_and_turn(scripted_server):
    scripted_server.set_script({
        "rules": [
            {"match": "task-A", "turn": 2, "content": "A second"},
            {"match": "task-A", "content": "A first"},
            {"match": "task-B", "content": "B"},
        ],
        "default": {"content": "fallback"},
    })
    config = scripted_config(scripted_server)
    assert _ask(config, _conversation("grid of task-A")).content == "A first"
    assert _ask(config, _conversation("grid of task-A", assistant_turns=1)).content == "A second"
    assert _ask(config, _conversation("grid of task-B", assistant_turns=1)).content == "B"
    assert _ask(config, _conversation("something else")).content == "fallback"


def test_times_lets_later_rules_take_over_and_set_script_resets_it(scripted_server):
    script = [{"content": "first", "times": 1}, {"content": "after"}]
    scripted_server.set_script(script)
    config = scripted_config(scripted_server)
    assert [_ask(config, _conversation("x")).content for _ in range(3)] == ["first", "after", "after"]
    scripted_server.set_script(script)
    assert _ask(config, _conversation("x")).content == "first"


def test_requests_are_recorded_with_credentials_masked(scripted_server):
    messages = _conversation("the grid")
    _ask(scripted_config(scripted_server), messages)
    (request,) = scripted_server.chat_requests
    assert request.method == "POST" and request.path == "/v1/chat/completions"
    assert request.body is not None and request.body["messages"] == messages
    assert request.headers["authorization"] == "<redacted>"
    scripted_server.clear_requests()
    assert scripted_server.requests == []


def test_usage_is_counted_from_text(scripted_server):
    scripted_server.set_script([{"content": "a" * 10, "reasoning": "b" * 7}])
    event = _ask(scripted_config(scripted_server), [{"role": "user", "content": "c" * 9}])
    u = event.usage
    assert (u.prompt_tokens, u.reasoning_tokens, u.completion_tokens) == (3, 2, 3 + 2)


def test_delay_is_at_least_the_scripted_latency(scripted_server):
    scripted_server.set_script([{"content": "slow", "delay_s": 0.3}])
    event = _ask(scripted_config(scripted_server), _conversation("x"))
    assert event.content == "slow"
    assert event.latency_s >= 0.3


def test_error_status_sends_openai_error_body_and_retry_after(scripted_server):
    scripted_server.set_script([{"status": 429, "retry_after": 7, "error_message": "slow down"}])
    r = httpx.post(scripted_server.base_url + "/chat/completions", json={"model": "m", "messages": []})
    assert r.status_code == 429
    assert r.headers["retry-after"] == "7"
    assert r.json()["error"]["message"] == "slow down"


def test_garbage_body_is_not_json(scripted_server):
    scripted_server.set_script([{"garbage": True}])
    r = httpx.post(scripted_server.base_url + "/chat/completions", json={"model": "m", "messages": []})
    assert r.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(r.text)


def test_bad_request_body_and_unknown_route(scripted_server):
    r = httpx.post(scripted_server.base_url + "/chat/completions", content=b"{nope")
    assert r.status_code == 400
    assert httpx.get(scripted_server.base_url + "/nowhere").status_code == 404


def test_serve_takes_any_responder():
    seen = []

    def responder(body: dict) -> Reply:
        seen.append(body["model"])
        return Reply(content=f"echo {len(body['messages'])}")

    server = serve(responder, model_ids=["echo"])
    try:
        event = _ask(ClientConfig(model="echo", base_url=server.base_url), _conversation("x"))
    finally:
        server.close()
    assert event.content == "echo 2"
    assert seen == ["echo"]


def test_model_responder_serves_a_chat_model(scripted_server):
    # A proxy: a ChatServer serving an OpenAIChatModel that itself talks to the scripted server.
    scripted_server.set_script([{"content": "from upstream", "reasoning": "upstream thoughts", "prompt_tokens": 11}])
    upstream = OpenAIChatModel(scripted_config(scripted_server), "local")
    with ChatServer(ModelResponder(upstream), model_ids=["proxy"]) as proxy:
        event = _ask(ClientConfig(model="proxy", base_url=proxy.base_url), _conversation("hello"))
    assert (event.content, event.reasoning, event.usage.prompt_tokens) == ("from upstream", "upstream thoughts", 11)
    assert scripted_server.chat_requests[0].body["messages"] == _conversation("hello")


def test_load_script_accepts_a_list_and_names_the_file_on_errors(tmp_path: Path):
    good = tmp_path / "s.json"
    good.write_text(json.dumps([{"match": "x", "content": "y", "times": 2}]))
    script = load_script(good)
    assert script.rules[0].times == 2
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"rules": [{"content": "y", "colour": "red"}]}))
    with pytest.raises(UserError, match=r"bad\.json.*colour"):
        load_script(bad)
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    with pytest.raises(UserError, match="not valid JSON"):
        load_script(broken)
    with pytest.raises(UserError, match="not found"):
        load_script(tmp_path / "missing.json")


def test_serve_command_serves_a_script_until_interrupted(tmp_path: Path):
    script = tmp_path / "script.json"
    rules = [{"content": "scripted answer", "reasoning": "why", "reasoning_placement": "think_tag"}]
    script.write_text(json.dumps(rules))
    proc = subprocess.Popen(
        [sys.executable, "-m", "arcbench", "serve", "scripted", "--script", str(script), "--port", "0", "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        url = first.split(" at ")[1].strip()
        event = _ask(ClientConfig(model="scripted", base_url=url), _conversation("x"))
        assert (event.content, event.reasoning) == ("scripted answer", "why")
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err


def test_serve_command_reports_a_bad_script_in_one_line(tmp_path: Path):
    result = subprocess.run(
        [sys.executable, "-m", "arcbench", "serve", "scripted", "--script", str(tmp_path / "none.json")],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "script file not found" in result.stderr


def test_scripted_server_is_a_context_manager():
    with ScriptedServer([{"content": "hi"}]) as server:
        url = server.base_url
        assert url.endswith("/v1")
        assert httpx.get(url + "/models").status_code == 200
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + "/models")


def test_serve_command_logs_a_hostile_request_line_as_inert_text():
    import socket

    proc = subprocess.Popen([sys.executable, "-m", "arcbench", "serve", "scripted", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().split(" at ")[1].strip()
        host, port = url.removeprefix("http://").split("/")[0].split(":")
        with socket.create_connection((host, int(port)), timeout=10) as s:
            s.sendall(b"GET /v1/\x1b]0;pwned\x07\x1b[2J[/red] HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            while s.recv(4096):
                pass
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "\x1b" not in out and "\x07" not in out and "/v1/[/red]" in out


@pytest.mark.parametrize("mode", ["honour", "ignore", "refuse"])
def test_a_request_for_several_answers_gets_what_the_n_choices_mode_says(mode):
    with ScriptedServer([{"content": f"answer {i}", "times": 1} for i in range(3)], n_choices=mode) as server:
        body = {"model": "scripted", "n": 3, "messages": _conversation("task")}
        reply = httpx.post(f"{server.base_url}/chat/completions", json=body, timeout=10)
    if mode == "refuse":
        assert reply.status_code == 400 and reply.json()["error"]["param"] == "n"
        return
    texts = [c["message"]["content"] for c in reply.json()["choices"]]
    assert texts == (["answer 0", "answer 1", "answer 2"] if mode == "honour" else ["answer 0"])
    assert [c["index"] for c in reply.json()["choices"]] == list(range(len(texts)))


def test_serve_command_refuses_an_unknown_n_choices_mode_in_one_line():
    result = subprocess.run([sys.executable, "-m", "arcbench", "serve", "scripted", "--n-choices", "sometimes"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "--n-choices must be honour, ignore or refuse" in result.stderr
