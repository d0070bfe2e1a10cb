"""`arcbench serve hf`: a Hugging Face model (folder or GGUF, with or without a LoRA adapter) behind the local
OpenAI-compatible server, so a fine-tuned model can be measured with `arcbench run` where there is no vLLM."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from arcbench.commands.serve_cmd import HostOpt, PortOpt, QuietOpt, serve_app, start_serving
from arcbench.commands.shared import out
from arcbench.errors import UserError


def serve_hf(
    model: Annotated[Path, typer.Option("--model", help="Hugging Face model folder or .gguf file (the base model "
                                        "of an adapter, or a merged fine-tune).", show_default=False)],
    adapter: Annotated[Path | None, typer.Option("--adapter", help="LoRA adapter folder (e.g. OUTPUT/adapter of "
                                                 "`arcbench finetune local`).")] = None,
    name: Annotated[str | None, typer.Option("--name", help="Model name to suggest and list in /v1/models (default: "
                                             "the local fine-tune's name, else the folder or file name); requests "
                                             "may carry any name.")] = None,
    max_tokens: Annotated[int, typer.Option("--max-tokens", help="Most tokens a reply may have (a request's "
                                            "max_tokens is honoured below this).")] = 1024,
    temperature: Annotated[float | None, typer.Option("--temperature", help="Sampling temperature for requests "
                                                      "that set none (default greedy).")] = None,
    threads: Annotated[int | None, typer.Option("--threads", help="CPU threads for torch (default half the "
                                                "cores).")] = None,
    device: Annotated[str | None, typer.Option("--device", help="cpu, cuda or mps (default: a GPU if there is "
                                               "one).")] = None,
    host: HostOpt = "127.0.0.1",
    port: PortOpt = 8000,
    quiet: QuietOpt = False,
) -> None:
    """Serve a Hugging Face model (with or without a LoRA adapter) over HTTP. Slow on CPU: each reply is generated
    token by token, one request at a time."""
    from arcbench.llm.base import ClientConfig
    from arcbench.llm.hf_model import HFChatModel, default_device, model_source, require_extra, set_threads
    from arcbench.testing.hf_server import HFResponder
    from arcbench.testing.server import ChatServer
    from arcbench.training.finetunes import find_local

    if max_tokens < 1:
        raise UserError(f"--max-tokens must be at least 1 (got {max_tokens})")
    model_source(model)  # a wrong path is one line before the heavy imports
    require_extra("arcbench serve hf")
    local = find_local(adapter) if adapter is not None else find_local(model)
    served = name or (local.fine_tuned_model if local and local.fine_tuned_model else None) or model.stem
    used = set_threads(threads)
    device = device or default_device()
    out.print(f"loading {model}" + (f" with adapter {adapter}" if adapter else "") + f" on {device} "
               f"({used} thread{'s' if used != 1 else ''})" + (": slow, one request at a time" if device == "cpu"
                                                                 else ""), markup=False)
    chat = HFChatModel.load(ClientConfig(model=served, max_tokens=max_tokens, temperature=temperature), model,
                            adapter, device)
    start_serving(ChatServer(HFResponder(chat, max_tokens), host, port, model_ids=(served,)), served, quiet)


def register(app: typer.Typer) -> None:
    serve_app.command("hf")(serve_hf)
