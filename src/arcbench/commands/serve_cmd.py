"""`arcbench serve MODEL`: a local OpenAI-compatible server, to dry-run a configuration without spending money.

Each model is one subcommand that builds a responder and hands it to `_run`; adding a model is a few lines.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from arcbench.cli import app
from arcbench.errors import UserError
from arcbench.testing.server import ChatServer

serve_app = typer.Typer(
    help="Run a local OpenAI-compatible server (http://HOST:PORT/v1) that arcbench run --base-url can use.",
    no_args_is_help=True,
)
app.add_typer(serve_app, name="serve")

_out = Console(highlight=False, soft_wrap=True)

HostOpt = Annotated[str, typer.Option("--host", help="Address to listen on (127.0.0.1 keeps it on this machine).")]
PortOpt = Annotated[int, typer.Option("--port", help="Port to listen on (0 picks a free one).")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Do not print a line per request.")]


def _run(server: ChatServer, model: str, quiet: bool) -> None:
    """Start the server, say how to use it, and serve until Ctrl-C."""
    if not quiet:
        server.log = lambda line: _out.print(line, markup=False)
    try:
        server.start()
    except OSError as e:
        where = f"{server.host}:{server.port}"
        raise UserError(f"cannot listen on {where}: {e.strerror or e} (choose another --port)") from None
    _out.print(f"serving model '{model}' at {server.base_url}", markup=False)
    _out.print(f"try: arcbench run --base-url {server.base_url} --model {model}   (Ctrl-C stops)", markup=False)
    sys.stdout.flush()
    try:
        server.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()


@serve_app.command("scripted")
def serve_scripted(
    script: Annotated[Path | None, typer.Option(
        "--script", help="JSON script of replies (rules with match/turn/times and the reply); default: every "
        "request gets an identity program.")] = None,
    host: HostOpt = "127.0.0.1",
    port: PortOpt = 8000,
    quiet: QuietOpt = False,
) -> None:
    """Serve scripted replies: fixed code, per-task and per-turn answers, reasoning, latency, errors on demand; and
    OpenAI's files and fine-tuning endpoints with jobs that succeed (to dry-run `arcbench finetune openai`)."""
    from arcbench.testing.finetune_api import FineTuneAPI
    from arcbench.testing.script import Script, load_script
    from arcbench.testing.server import ScriptedServer

    server = ScriptedServer(load_script(script) if script else Script(), host, port, routes=[FineTuneAPI()])
    _run(server, "scripted", quiet)


@serve_app.command("baseline")
def serve_baseline(
    host: HostOpt = "127.0.0.1",
    port: PortOpt = 8000,
    quiet: QuietOpt = False,
    baseline_time: Annotated[float, typer.Option("--baseline-time", help="Seconds of search per reply.")] = 2.0,
) -> None:
    """Serve the offline baseline model over HTTP, as if it were a hosted model."""
    from arcbench.llm.base import ClientConfig
    from arcbench.testing.server import ModelResponder

    try:
        from arcbench.baseline.model import BaselineModel
    except ImportError:
        raise UserError("the offline baseline model is not available in this installation") from None
    model = BaselineModel(ClientConfig(model="baseline", baseline_time_s=baseline_time))
    _run(ChatServer(ModelResponder(model), host, port, model_ids=("baseline",)), "baseline", quiet)
