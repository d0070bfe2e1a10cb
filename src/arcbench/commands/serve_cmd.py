"""`arcbench serve MODEL`: a local OpenAI-compatible server, to dry-run a configuration without spending money.

Each model is one subcommand that builds a responder and hands it to `start_serving`. A model served from another module
registers on `serve_app` from that module's own `register` (`serve_app.command("name")(fn)`).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from arcbench.commands.shared import flag_errors, group, out
from arcbench.errors import UserError
from arcbench.inert import inert
from arcbench.testing.server import ChatServer

HostOpt = Annotated[str, typer.Option("--host", help="Address to listen on (127.0.0.1 keeps it on this machine).")]
PortOpt = Annotated[int, typer.Option("--port", help="Port to listen on (0 picks a free one).")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Do not print a line per request.")]

serve_app = group("Run a local OpenAI-compatible server (http://HOST:PORT/v1) that arcbench run --base-url can use.")


def start_serving(server: ChatServer, model: str, quiet: bool) -> None:
    """Start the server, say how to use it, and serve until Ctrl-C."""
    if not quiet:
        # A request line is whatever a client sent: shown as inert text.
        server.log = lambda line: out.print(inert(line, single_line=True), markup=False)
    try:
        server.start()
    except OSError as e:
        where = f"{server.host}:{server.port}"
        raise UserError(f"cannot listen on {where}: {e.strerror or e} (choose another --port)") from None
    try:  # Ctrl-C from here on (even while the lines below print) is the normal way to stop
        out.print(f"serving model '{model}' at {server.base_url}", markup=False)
        out.print(f"try: arcbench run --base-url {server.base_url} --model {model}   (Ctrl-C stops)", markup=False)
        sys.stdout.flush()
        server.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()


def serve_scripted(
    script: Annotated[Path | None, typer.Option(
        "--script", help="JSON script of replies (rules with match/turn/times and the reply); default: every "
        "request gets an identity program.")] = None,
    host: HostOpt = "127.0.0.1",
    port: PortOpt = 8000,
    quiet: QuietOpt = False,
    n_choices: Annotated[str, typer.Option(
        "--n-choices", help="What a request for several answers (n > 1) gets: honour (one answer each, as vLLM), "
        "ignore (one answer), refuse (HTTP 400, as llama.cpp).")] = "honour",
) -> None:
    """Serve scripted replies: fixed code, per-task and per-turn answers, reasoning, latency, errors on demand; and
    OpenAI's files and fine-tuning endpoints with jobs that succeed (to dry-run `arcbench finetune openai`)."""
    from arcbench.testing.finetune_api import FineTuneAPI
    from arcbench.testing.script import Script, load_script
    from arcbench.testing.server import ScriptedServer

    if n_choices not in ("honour", "ignore", "refuse"):
        raise UserError(f"--n-choices must be honour, ignore or refuse (got {n_choices!r})")
    server = ScriptedServer(load_script(script) if script else Script(), host, port, routes=[FineTuneAPI()],
                            n_choices=n_choices)  # type: ignore[arg-type]
    start_serving(server, "scripted", quiet)


def serve_baseline(
    host: HostOpt = "127.0.0.1",
    port: PortOpt = 8000,
    quiet: QuietOpt = False,
    baseline_time: Annotated[float, typer.Option("--baseline-time", help="Seconds of search per reply.")] = 2.0,
) -> None:
    """Serve the offline baseline model over HTTP, as if it were a hosted model."""
    from arcbench.llm import ClientConfig
    from arcbench.testing.server import ModelResponder

    try:
        from arcbench.baseline.model import BaselineModel
    except ImportError:
        raise UserError("the offline baseline model is not available in this installation") from None
    with flag_errors({"baseline_time_s": "--baseline-time"}):
        config = ClientConfig(model="baseline", baseline_time_s=baseline_time)
    model = BaselineModel(config)
    start_serving(ChatServer(ModelResponder(model), host, port, model_ids=("baseline",)), "baseline", quiet)


def register(app: typer.Typer) -> None:
    serve_app.command("scripted")(serve_scripted)
    serve_app.command("baseline")(serve_baseline)
    app.add_typer(serve_app, name="serve")
