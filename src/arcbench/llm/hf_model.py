"""A Hugging Face causal language model on this machine, behind the `ChatModel` seam.

`--model` is a Hugging Face model folder (config.json + weights) or a GGUF file (transformers reads it through the
`gguf` package and dequantizes the weights), optionally with a LoRA adapter from `arcbench finetune local`. It needs
the `finetune` extra; without it, `require_extra` ends the command with one line saying how to install it.

Generation runs in a worker thread, one request at a time (a CPU has no spare capacity for two; on a GPU a
dedicated server such as vLLM is the tool for throughput).
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from arcbench.errors import UserError
from arcbench.llm.base import ClientConfig, Completion, Message, Tool, Usage

EXTRA_HINT = "install the finetune extra: uv sync --extra finetune (or pip install 'arcbench[finetune]')"


def require_extra(what: str, modules: tuple[str, ...] = ("torch", "transformers", "peft", "gguf")) -> None:
    """One line naming the missing packages and the install command, instead of an ImportError deep inside."""
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        raise UserError(f"{what} needs {', '.join(missing)}: {EXTRA_HINT}")


def set_threads(threads: int | None) -> int:
    """Set torch's CPU threads and return the count. Default: half the cores (at least 1) — on a shared or
    hyperthreaded machine, more threads than physical cores make each step slower, not faster (measured here:
    one thread 0.9 s a LoRA step, two threads beside another busy process 16 s)."""
    import torch

    n = threads if threads is not None else max(1, (os.cpu_count() or 2) // 2)
    if n < 1:
        raise UserError(f"--threads must be at least 1 (got {n})")
    torch.set_num_threads(n)
    return n


def default_device() -> str:
    import torch

    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def model_source(path: Path) -> tuple[str, str | None]:
    """(folder, GGUF file name or None) for transformers' `from_pretrained`. A folder holding exactly one .gguf file
    and no config.json counts as that file."""
    if not path.exists():
        raise UserError(f"{path}: no such model folder or GGUF file")
    if path.is_file():
        if path.suffix != ".gguf":
            raise UserError(f"{path}: expected a Hugging Face model folder or a .gguf file")
        return str(path.parent), path.name
    if (path / "config.json").is_file():
        return str(path), None
    ggufs = sorted(path.glob("*.gguf"))
    if len(ggufs) == 1:
        return str(path), ggufs[0].name
    raise UserError(f"{path}: not a Hugging Face model folder (no config.json) and not a single GGUF file")


def _drop_gguf_quantization(model: Any) -> None:
    """transformers dequantizes GGUF weights as it loads them, so the model is dense; but it keeps the GGUF
    quantization config, and then refuses to train or save the model. The config describes weights that no longer
    exist: drop it."""
    model.hf_quantizer = None
    model.is_quantized = False
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config


def load_model(path: Path, device: str, *, for_training: bool = False) -> tuple[Any, Any]:
    """(model, tokenizer) from a model folder or GGUF file, on `device`. float32 on CPU (bf16 matmuls are slow or
    missing there), bf16 on a GPU that has it."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder, gguf = model_source(path)
    dtype = torch.float32
    if device == "cuda" and torch.cuda.is_bf16_supported():
        dtype = torch.bfloat16
    kwargs: dict[str, Any] = {"gguf_file": gguf} if gguf else {}
    try:
        tokenizer = AutoTokenizer.from_pretrained(folder, **kwargs)
        model = AutoModelForCausalLM.from_pretrained(folder, dtype=dtype, **kwargs)
    except (OSError, ValueError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise UserError(f"{path}: cannot load the model ({first})") from None
    if gguf:
        _drop_gguf_quantization(model)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    if not getattr(tokenizer, "chat_template", None):
        raise UserError(f"{path}: the tokenizer has no chat template (arcbench talks to models in chat messages)")
    model.to(device)
    if not for_training:
        model.eval()
    return model, tokenizer


def load_adapter(model: Any, adapter: Path) -> Any:
    """The model with a LoRA adapter (a folder with adapter_config.json) applied, for inference."""
    from peft import PeftModel

    if not (adapter / "adapter_config.json").is_file():
        raise UserError(f"{adapter}: not a LoRA adapter folder (no adapter_config.json)")
    return PeftModel.from_pretrained(model, str(adapter)).eval()


@dataclass
class Generation:
    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str
    """"stop" when the model ended its turn, "length" when max_tokens cut it."""


class HFChatModel:
    """A local Hugging Face model (implements `arcbench.llm.base.ChatModel`). Free: calls cost $0."""

    def __init__(self, config: ClientConfig, model: Any, tokenizer: Any, device: str) -> None:
        self.config = config
        self.model = model
        self.tokenizer = tokenizer
        self.device = device
        self._lock = threading.Lock()

    @classmethod
    def load(cls, config: ClientConfig, path: Path, adapter: Path | None = None, device: str | None = None
             ) -> HFChatModel:
        require_extra("serving a Hugging Face model")
        device = device or default_device()
        model, tokenizer = load_model(path, device)
        if adapter is not None:
            model = load_adapter(model, adapter)
        return cls(config, model, tokenizer, device)

    def generate(self, messages: list[Message], max_tokens: int | None = None,
                 temperature: float | None = None) -> Generation:
        """One chat completion. Greedy unless a temperature above 0 is asked for (replies then repeat exactly)."""
        import torch

        limit = max_tokens or self.config.max_tokens or 1024
        temp = temperature if temperature is not None else self.config.temperature
        inputs = self.tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt",
                                                    return_dict=True).to(self.device)
        prompt_len = int(inputs["input_ids"].shape[1])
        sampling: dict[str, Any] = {"do_sample": False}
        if temp:
            sampling = {"do_sample": True, "temperature": float(temp)}
        with self._lock, torch.inference_mode():
            out = self.model.generate(**inputs, max_new_tokens=limit, pad_token_id=self.tokenizer.pad_token_id,
                                      **sampling)
        new = out[0][prompt_len:]
        ended = bool(len(new)) and int(new[-1]) in _stop_ids(self.tokenizer, self.model)
        text = self.tokenizer.decode(new, skip_special_tokens=True)
        return Generation(text=text, prompt_tokens=prompt_len, completion_tokens=len(new),
                          finish_reason="stop" if ended or len(new) < limit else "length")

    async def complete(self, messages: list[Message], *, max_tokens: int | None = None,
                       temperature: float | None = None, tools: list[Tool] | None = None,
                       tool_choice: str | None = None, n: int = 1) -> Completion:
        """Answer one chat request (in a worker thread). A generation that raises is returned as an `api_error`
        completion, as a server's 500 would be. Offered tools are not used: the reply is text.
        One answer per request, whatever `n` asks."""
        request: dict[str, Any] = {"model": self.config.model, "messages": messages}
        start = time.monotonic()
        try:
            g = await asyncio.to_thread(self.generate, messages, max_tokens, temperature)
        except (RuntimeError, ValueError) as e:
            return Completion(model=self.config.model, request=request, cost_usd=0.0, cost_source="free",
                              latency_s=time.monotonic() - start, error_kind="api_error",
                              error_message=f"generation failed: {type(e).__name__}: {e}")
        usage = Usage(prompt_tokens=g.prompt_tokens, completion_tokens=g.completion_tokens,
                      total_tokens=g.prompt_tokens + g.completion_tokens)
        response = {"object": "chat.completion", "model": self.config.model,
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": g.text},
                                 "finish_reason": g.finish_reason}],
                    "usage": usage.model_dump(include={"prompt_tokens", "completion_tokens", "total_tokens"})}
        return Completion(model=self.config.model, request=request, response=response, content=g.text, usage=usage,
                          cost_usd=0.0, cost_source="free", latency_s=time.monotonic() - start,
                          finish_reason=g.finish_reason)

    async def aclose(self) -> None:
        return None


def _stop_ids(tokenizer: Any, model: Any) -> set[int]:
    ids = model.generation_config.eos_token_id if getattr(model, "generation_config", None) else None
    found = set(ids if isinstance(ids, list) else [ids] if ids is not None else [])
    if tokenizer.eos_token_id is not None:
        found.add(int(tokenizer.eos_token_id))
    return found
