"""A real OpenAI-compatible HTTP server on this machine, answering from a Python callable.

It speaks `/v1/chat/completions` and OpenAI's `/v1/responses` (JSON and server-sent-event streams; see
`arcbench.testing.responses_api`) and `/v1/models`, plays every failure a real endpoint shows (error statuses with
Retry-After, garbage bodies, hangs, dropped connections) and records every request it receives, so that tests and dry
runs check what arcbench really sent. The standard library's threading HTTP server runs in a background thread: no
extra dependency, and one slow reply never blocks another.
"""

from __future__ import annotations

import asyncio
import json
import math
import socket
import struct
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

from pydantic import BaseModel

from arcbench.llm import ChatModel, Completion, content_text
from arcbench.testing.responses_api import input_problem, response_events, response_object, responses_usage
from arcbench.testing.script import Reply, Rule, Script, ScriptResponder, coerce_script, conversation_items

Responder = Callable[[dict[str, Any]], Reply]
"""Turns a chat request body into the reply to send."""

NChoices = Literal["honour", "ignore", "refuse"]
"""What the server does with a request for several answers (`n` > 1): answer each (as vLLM and SGLang do), answer
once (as some servers do without a word), or refuse with HTTP 400 (as llama.cpp does)."""
N_REFUSED_MESSAGE = "Only one completion choice is allowed"
"""llama.cpp's words when it refuses `n` > 1."""

Route = Callable[[str, str, Mapping[str, str], bytes], "tuple[int, Any] | None"]
"""Extra endpoints (e.g. files and fine-tuning, `arcbench.testing.finetune_api`): given the method, path, headers and
raw body, the status and JSON to send, or None for a path it does not serve."""

_HANG_LIMIT_S = 3600.0
_REDACTED_HEADERS = frozenset({"authorization", "api-key", "x-api-key"})
_STATUS_TEXT = {
    400: ("invalid_request_error", "Bad request."),
    401: ("invalid_request_error", "Incorrect API key provided."),
    403: ("permission_denied", "You do not have access to this model."),
    404: ("invalid_request_error", "The model does not exist."),
    429: ("rate_limit_exceeded", "Rate limit reached; please retry later."),
    500: ("server_error", "The server had an error while processing your request."),
    502: ("server_error", "Bad gateway."),
    503: ("server_error", "The engine is currently overloaded."),
    524: ("server_error", "A timeout occurred."),
}


class RecordedRequest(BaseModel):
    """One request as the server received it (credentials masked)."""

    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any] | None = None
    received_at: float
    """time.monotonic() on arrival: comparable across requests, and with the client in the same process."""


def _tokens(text: str) -> int:
    return math.ceil(len(text) / 4)


def _prompt_text(body: dict[str, Any]) -> str:
    return "".join(content_text(m.get("content")) for m in conversation_items(body))


def usage_body(reply: Reply, body: dict[str, Any], more: Sequence[Reply] = ()) -> dict[str, Any]:
    """The `usage` object the server reports for a reply (and the further answers of a request for several): counts
    the script gave, or 4 characters a token; the prompt is counted once."""
    reasoning_tokens = completion = 0
    for r in (reply, *more):
        reasoning = r.reasoning_tokens if r.reasoning_tokens is not None else _tokens(r.reasoning or "")
        reasoning_tokens += reasoning
        if r.completion_tokens is not None:
            completion += r.completion_tokens
        else:
            calls = "".join(c.name + c.arguments_text() for c in r.tool_calls)
            completion += _tokens(r.content + calls) + reasoning
    prompt = reply.prompt_tokens if reply.prompt_tokens is not None else _tokens(_prompt_text(body))
    usage: dict[str, Any] = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": reply.cached_tokens or 0},
        "completion_tokens_details": {"reasoning_tokens": reasoning_tokens},
    }
    if reply.cost is not None:
        usage["cost"] = reply.cost
    return usage


def _message(reply: Reply) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.content}
    if reply.tool_calls:
        message["tool_calls"] = reply.tool_call_dicts()
        message["content"] = reply.content or None  # as OpenAI sends a reply that only calls tools
    r = reply.reasoning
    if r:
        if reply.reasoning_placement == "think_tag":
            message["content"] = f"<think>{r}</think>\n{reply.content}"
        elif reply.reasoning_placement == "reasoning_details":
            message["reasoning_details"] = [{"type": "reasoning.text", "text": r, "format": "unknown", "index": 0}]
        elif reply.reasoning_placement != "none":
            message[reply.reasoning_placement] = r
    return message


def _pieces(text: str, n: int = 3) -> list[str]:
    """Split text into up to n chunks, as a streaming server would send it."""
    if not text:
        return []
    size = max(1, math.ceil(len(text) / n))
    return [text[i : i + size] for i in range(0, len(text), size)]


def _answers(reply: Reply) -> bool:
    """The reply is an answer (not an error, a hang, a reset or garbage): one that several choices can be made of."""
    return (reply.status == 200 and reply.error_message is None and reply.stream_error is None
            and not (reply.garbage or reply.hang or reply.reset))


def _stream_deltas(reply: Reply) -> Iterator[dict[str, Any]]:
    yield {"role": "assistant", "content": ""}
    r = reply.reasoning or ""
    placement = reply.reasoning_placement
    if r and placement == "think_tag":
        for piece in _pieces(f"<think>{r}</think>\n"):
            yield {"content": piece}
    elif r and placement == "reasoning_details":
        for piece in _pieces(r):
            yield {"reasoning_details": [{"type": "reasoning.text", "text": piece, "format": "unknown", "index": 0}]}
    elif r and placement != "none":
        for piece in _pieces(r):
            yield {placement: piece}
    for piece in _pieces(reply.content):
        yield {"content": piece}
    for i, call in enumerate(reply.tool_call_dicts()):
        fn = call["function"]
        yield {"tool_calls": [{"index": i, "id": call["id"], "type": "function",
                               "function": {"name": fn["name"], "arguments": ""}}]}
        for piece in _pieces(fn["arguments"]):
            yield {"tool_calls": [{"index": i, "function": {"arguments": piece}}]}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body leave in separate writes; with Nagle's algorithm on, the body then waits for the client's
    # delayed ACK (about 40 ms a reply), which would swamp the latency a script asks for.
    disable_nagle_algorithm = True
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.owner.log is not None:
            self.server.owner.log(format % args)

    def _read_body(self) -> tuple[dict[str, Any] | None, bool]:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        self._raw_body = raw
        if not raw:
            return None, True
        try:
            data = json.loads(raw)
        except ValueError:
            return None, False
        return (data, True) if isinstance(data, dict) else (None, False)

    def _record(self, body: dict[str, Any] | None) -> None:
        headers = {k: ("<redacted>" if k.lower() in _REDACTED_HEADERS else v) for k, v in self.headers.items()}
        self.server.owner._record(
            RecordedRequest(
                method=self.command, path=self.path, headers=headers, body=body, received_at=time.monotonic()
            )
        )

    def _send_json(self, status: int, data: Any, extra_headers: dict[str, str] | None = None) -> None:
        self._send_payload(status, json.dumps(data).encode(), extra_headers)

    def _send_payload(self, status: int, payload: bytes, extra_headers: dict[str, str] | None = None) -> None:
        """Headers and body in one write: one packet for the client to wake up for, and no wait on Nagle."""
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for k, v in (extra_headers or {}).items():
            self.send_header(k, v)
        self._headers_buffer.append(b"\r\n" + payload)  # what end_headers() appends, with the body behind it
        self.flush_headers()

    def _send_error_body(self, status: int, message: str, code: str | None = None, param: str | None = None) -> None:
        kind = _STATUS_TEXT.get(status, ("error", ""))[0]
        self._send_json(status, {"error": {"message": message, "type": kind, "param": param, "code": code}})

    def do_GET(self) -> None:
        self._record(None)
        if self.path.rstrip("/") in ("/v1/models", "/models"):
            owner = self.server.owner
            models = [{"id": m, "object": "model", "created": 0, "owned_by": "arcbench"} for m in owner.model_ids]
            self._send_json(200, {"object": "list", "data": models})
        elif not self._route(b""):
            self._send_error_body(404, f"no route {self.path}")

    def _route(self, raw: bytes) -> bool:
        """Answer from the server's extra routes; False when none serves this path."""
        for route in self.server.owner.routes:
            answer = route(self.command, self.path, self.headers, raw)
            if answer is not None:
                self._send_json(*answer)
                return True
        return False

    def do_POST(self) -> None:
        body, ok = self._read_body()
        self._record(body)
        path = self.path.rstrip("/")
        self._responses = path in ("/v1/responses", "/responses")
        if path not in ("/v1/chat/completions", "/chat/completions") and not self._responses:
            if not self._route(self._raw_body):
                self._send_error_body(404, f"no route {self.path}")
            return
        if not ok or body is None:
            self._send_error_body(400, "the request body is not a JSON object")
            return
        if self._responses and (problem := input_problem(body)) is not None:
            self._send_error_body(*problem)
            return
        owner = self.server.owner
        n = body.get("n") if not self._responses else None
        n = n if type(n) is int and n > 1 else 1
        if n > 1 and owner.n_choices == "refuse":
            self._send_error_body(400, N_REFUSED_MESSAGE, param="n")
            return
        try:
            replies = [owner.responder(body)]
            if n > 1 and owner.n_choices == "honour" and _answers(replies[0]):
                # Each answer is one more pass through the script (a rule's `times` counts answers), as a server
                # samples each choice on its own.
                replies += [r for r in (owner.responder(body) for _ in range(n - 1)) if _answers(r)]
        except Exception as e:  # a broken responder is the server's 500, as with a real server
            traceback.print_exc()
            self._send_error_body(500, f"responder failed: {type(e).__name__}: {e}")
            return
        self._answer(replies, body)

    def _answer(self, replies: list[Reply], body: dict[str, Any]) -> None:
        reply = replies[0]
        stop = self.server.owner._stop
        delay = max(r.delay_s for r in replies)
        if delay > 0 and stop.wait(delay):
            return
        if reply.hang:
            stop.wait(_HANG_LIMIT_S)
            self.close_connection = True
            return
        if reply.reset:
            # Linger 0 makes close() send a TCP reset instead of a polite FIN.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            return
        if reply.status != 200 or reply.error_message is not None:
            default = _STATUS_TEXT.get(reply.status, ("error", f"HTTP {reply.status}"))[1]
            headers = {"Retry-After": str(reply.retry_after)} if reply.retry_after is not None else {}
            kind = _STATUS_TEXT.get(reply.status, ("error", ""))[0]
            error = {"message": reply.error_message or default, "type": kind, "param": reply.error_param,
                     "code": reply.error_code}
            self._send_json(reply.status, {"error": error}, headers)
            return
        if reply.stream_error is not None and not body.get("stream"):
            code = reply.stream_error.get("code")
            self._send_json(code if isinstance(code, int) and 400 <= code < 600 else 500, {"error": reply.stream_error})
            return
        if self._responses:
            self._answer_responses(reply, body)
            return
        if body.get("stream"):
            self._stream(replies, body)
            return
        if reply.garbage:
            self._send_payload(200, b'{"id": "chatcmpl-garbage", "object": "chat.completion", "choices": [{"mess')
            return
        data: dict[str, Any] = {
            "id": f"chatcmpl-{self.server.owner._next_id()}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", ""),
            "choices": [{"index": i, "message": _message(r), "finish_reason": r.finish_reason}
                        for i, r in enumerate(replies)],
        }
        if reply.include_usage:
            data["usage"] = usage_body(reply, body, replies[1:])
        self._send_json(200, data)

    def _answer_responses(self, reply: Reply, body: dict[str, Any]) -> None:
        number = self.server.owner._next_id()
        usage = responses_usage(usage_body(reply, body)) if reply.include_usage else None
        if not body.get("stream"):
            if reply.garbage:
                self._send_payload(200, b'{"id": "resp_garbage", "object": "response", "output": [{"ty')
            else:
                self._send_json(200, response_object(reply, body, number, usage))
            return
        self._start_events()
        for sequence, event in enumerate(response_events(reply, body, number, usage)):
            self._chunk(f"event: {event['type']}\ndata: {json.dumps({**event, 'sequence_number': sequence})}\n\n"
                        .encode())
            if reply.garbage:  # the stream breaks off after its first event
                self._chunk(b'event: response.output_item.added\ndata: {"type": "response.outp\n\n')
                break
        self._chunk(b"")

    def _start_events(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _stream(self, replies: list[Reply], body: dict[str, Any]) -> None:
        reply = replies[0]
        self._start_events()
        base = {
            "id": f"chatcmpl-{self.server.owner._next_id()}",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": body.get("model", ""),
        }

        def event(data: dict[str, Any]) -> None:
            self._chunk(f"data: {json.dumps(data)}\n\n".encode())

        if reply.stream_error is not None:
            if reply.stream_error_as_data:
                event({"error": reply.stream_error})
            else:
                self._chunk(f"error: {json.dumps(reply.stream_error)}\n\n".encode())
            self._chunk(b"data: [DONE]\n\n")
        elif reply.garbage:
            event({**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]})
            self._chunk(b'data: {"choices": [{"index": 0, "delta": {"content": "trunc\n\n')
        else:
            for i, r in enumerate(replies):
                for delta in _stream_deltas(r):
                    event({**base, "choices": [{"index": i, "delta": delta, "finish_reason": None}]})
                event({**base, "choices": [{"index": i, "delta": {}, "finish_reason": r.finish_reason}]})
            options = body.get("stream_options") or {}
            if reply.include_usage and isinstance(options, dict) and options.get("include_usage"):
                event({**base, "choices": [], "usage": usage_body(reply, body, replies[1:])})
            self._chunk(b"data: [DONE]\n\n")
        self._chunk(b"")


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    # The default backlog of 5 resets connections when a run opens dozens at once (--max-workers 64).
    request_queue_size = 1024
    owner: ChatServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return  # a client that gave up (timeout, reset) is normal traffic, not a server fault
        super().handle_error(request, client_address)


class ChatServer:
    """An OpenAI-compatible server on host:port (port 0 picks a free one), answering with `responder`.

    Use as a context manager, or call `start()` and `close()`. `requests` lists what it received, oldest first.
    """

    def __init__(
        self,
        responder: Responder,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        model_ids: Sequence[str] = ("scripted",),
        log: Callable[[str], None] | None = None,
        routes: Sequence[Route] = (),
        n_choices: NChoices = "honour",
    ) -> None:
        self.responder = responder
        self.n_choices: NChoices = n_choices
        """What a request for several answers gets (see NChoices); may change between requests."""
        self.host = host
        self.port = port
        self.model_ids = list(model_ids)
        self.routes = list(routes)
        self.log = log
        self._requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ids = 0
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> ChatServer:
        """Bind and serve in a background thread. Raises OSError when the port is taken."""
        if self._httpd is not None:
            return self
        httpd = _HTTPServer((self.host, self.port), _Handler)
        httpd.owner = self
        self._httpd = httpd
        self.port = httpd.server_address[1]
        # A short poll interval keeps close() quick: shutdown() waits for the serving loop's next poll.
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, name=f"chat-server-{self.port}", daemon=True
        )
        self._thread.start()
        return self

    @property
    def base_url(self) -> str:
        """The URL to give a client, ending in /v1."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/v1"

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        """The model requests only: chat completions, and the Responses API's."""
        return [r for r in self.requests if r.path.rstrip("/").endswith(("/chat/completions", "/responses"))]

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _next_id(self) -> int:
        with self._lock:
            self._ids += 1
            return self._ids

    def wait(self) -> None:
        """Block until the server is closed (or the process interrupted)."""
        while not self._stop.wait(0.5):
            pass

    def close(self) -> None:
        """Stop serving; replies still hanging or delayed give up."""
        self._stop.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        closer = getattr(self.responder, "close", None)
        if callable(closer):
            closer()
        self._httpd = None

    def __enter__(self) -> ChatServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


def serve(
    responder: Responder, host: str = "127.0.0.1", port: int = 0, *, model_ids: Sequence[str] = ("scripted",)
) -> ChatServer:
    """Start a server answering with `responder`; the caller closes it."""
    return ChatServer(responder, host, port, model_ids=model_ids).start()


class ScriptedServer(ChatServer):
    """A ChatServer answering from a script (see `arcbench.testing.script`); the script can change between calls."""

    def __init__(
        self,
        script: Script | list[Rule] | list[dict[str, Any]] | dict[str, Any] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        log: Callable[[str], None] | None = None,
        routes: Sequence[Route] = (),
        n_choices: NChoices = "honour",
    ) -> None:
        self._script_responder = ScriptResponder(coerce_script(script))
        super().__init__(self._script_responder, host, port, model_ids=("scripted",), log=log, routes=routes,
                         n_choices=n_choices)

    def set_script(self, script: Script | list[Rule] | list[dict[str, Any]] | dict[str, Any] | None) -> None:
        """Replace the script (and reset its rules' `times` counters)."""
        self._script_responder.set_script(coerce_script(script))

    def __enter__(self) -> ScriptedServer:
        self.start()
        return self


class ModelResponder:
    """Serves any ChatModel (e.g. the offline baseline) through the server: each request becomes one `complete()`
    call on a private event loop thread, and its Completion becomes the reply."""

    def __init__(self, model: ChatModel) -> None:
        self.model = model
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="model-responder", daemon=True)
        self._thread.start()

    async def _complete(self, body: dict[str, Any]) -> Completion:
        """The model's Completion for a request; a subclass may pass the request's options on."""
        # A Responses API request's input items become chat messages (its reasoning items have no place there).
        messages = [{"role": m["role"], "content": content_text(m.get("content"))}
                    for m in conversation_items(body) if isinstance(m.get("role"), str)]
        return await self.model.complete(messages)

    def __call__(self, body: dict[str, Any]) -> Reply:
        done = asyncio.run_coroutine_threadsafe(self._complete(body), self._loop).result()
        if done.error_kind is not None:
            return Reply(status=500, error_message=done.error_message or done.error_kind)
        return Reply(
            content=done.content,
            reasoning=done.reasoning,
            prompt_tokens=done.usage.prompt_tokens,
            completion_tokens=done.usage.completion_tokens,
            reasoning_tokens=done.usage.reasoning_tokens,
            cached_tokens=done.usage.cached_tokens,
            cost=done.cost_usd,
            finish_reason=done.finish_reason or "stop",
        )

    def close(self) -> None:
        async def _shutdown() -> None:
            await self.model.aclose()

        if self._loop.is_running():
            asyncio.run_coroutine_threadsafe(_shutdown(), self._loop).result(timeout=10)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)
        self._loop.close()
