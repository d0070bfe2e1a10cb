"""A local LoRA fine-tune with Hugging Face TRL (`SFTTrainer`) and PEFT, on `arcbench training-data` output.

Each example becomes a conversational prompt/completion pair: every message up to the last assistant message is the
prompt, that message the completion, so the loss falls on the assistant's answer only (TRL's completion-only loss;
its `assistant_only_loss` would need `{% generation %}` markers that most chat templates, SmolLM2's included, lack).
Examples longer than `max_length` tokens are left out rather than truncated: truncation keeps the start, and would
cut off exactly the answer the loss is on.

OUTPUT_DIR/
  checkpoints/checkpoint-N/   adapter, optimizer and scheduler state (`--resume` continues from the last one)
  runs/                       TensorBoard event files: training loss, validation loss, learning rate
  adapter/                    the final LoRA adapter (+ tokenizer)
  merged/                     base + adapter merged into a plain Hugging Face model (+ tokenizer)
  finetune.json               the manifest (also in the fine-tune registry)

Needs the `finetune` extra; imports of torch and friends happen inside the functions that use them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from arcbench.errors import UserError
from arcbench.llm.hf_model import default_device, load_model, model_source, require_extra, set_threads
from arcbench.training.finetunes import (
    LOCAL_MANIFEST,
    DataLink,
    FineTuneManifest,
    MetricPoint,
    data_link,
    file_sha256,
    read_manifest,
    save_manifest,
)

EXTRA_MODULES = ("torch", "transformers", "trl", "peft", "tensorboard", "gguf", "datasets")


class LocalOptions(BaseModel):
    data: Path
    base: Path
    output: Path
    validation: Path | None = None
    name: str | None = None
    """The model name to run the fine-tune under (default: the output folder's name)."""
    epochs: float = 1.0
    max_steps: int | None = None
    """Stop after this many optimizer steps (overrides epochs)."""
    learning_rate: float = 2e-4
    batch_size: int = 2
    grad_accum: int = 1
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    max_length: int = 2048
    eval_steps: int = 50
    save_steps: int = 50
    logging_steps: int = 10
    seed: int = 0
    threads: int | None = None
    device: str | None = None
    resume: bool = False
    merge: bool = True


class LogLine(BaseModel):
    """What the trainer reported at one logging or evaluation step."""

    step: int
    max_steps: int
    train_loss: float | None = None
    valid_loss: float | None = None
    learning_rate: float | None = None
    seconds_per_step: float | None = None


OnLog = Callable[[LogLine], None]
Say = Callable[[str], None]


def _prompt_completion(messages: Any, where: str) -> dict[str, list[dict[str, str]]]:
    if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
        raise UserError(f"{where}: expected a list of chat messages")
    last = max((i for i, m in enumerate(messages) if m.get("role") == "assistant"), default=None)
    if last is None:
        raise UserError(f"{where}: no assistant message to learn")
    clean = [{"role": str(m.get("role")), "content": str(m.get("content") or "")} for m in messages[: last + 1]]
    return {"prompt": clean[:last], "completion": clean[last:]}


def read_examples(path: Path, split: str = "train") -> list[dict[str, list[dict[str, str]]]]:
    """Prompt/completion pairs from chat JSONL ({"messages": [...]} per line, every line) or the parquet export
    (`messages` column as JSON, the rows of `split`)."""
    if not path.is_file():
        raise UserError(f"{path}: no such file")
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(path, columns=["messages", "split"]).to_pylist()
        except Exception as e:  # pyarrow raises a zoo of types for a bad file
            raise UserError(f"{path}: not a parquet file from `arcbench training-data` ({e})") from None
        return [_prompt_completion(json.loads(r["messages"]), f"{path} row {i}")
                for i, r in enumerate(table) if r["split"] == split]
    rows = []
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except ValueError:
            raise UserError(f"{path} line {i}: not valid JSON") from None
        rows.append(_prompt_completion(data.get("messages") if isinstance(data, dict) else None, f"{path} line {i}"))
    return rows


def fit_length(rows: list[dict[str, Any]], tokenizer: Any, max_length: int) -> tuple[list[dict[str, Any]], int]:
    """The rows whose templated prompt + completion fit in max_length tokens, and how many did not."""
    kept = []
    for row in rows:
        ids = tokenizer.apply_chat_template(row["prompt"] + row["completion"], return_dict=True)["input_ids"]
        if len(ids) <= max_length:
            kept.append(row)
    return kept, len(rows) - len(kept)


def check_options(o: LocalOptions) -> None:
    for flag, value, low in (("--batch-size", o.batch_size, 1), ("--grad-accum", o.grad_accum, 1),
                             ("--lora-r", o.lora_r, 1), ("--max-length", o.max_length, 16),
                             ("--eval-steps", o.eval_steps, 1), ("--save-steps", o.save_steps, 1),
                             ("--logging-steps", o.logging_steps, 1)):
        if value < low:
            raise UserError(f"{flag} must be at least {low} (got {value})")
    if o.max_steps is not None and o.max_steps < 1:
        raise UserError(f"--max-steps must be at least 1 (got {o.max_steps})")
    if o.epochs <= 0:
        raise UserError(f"--epochs must be above 0 (got {o.epochs:g})")
    if not 0 < o.learning_rate < 1:
        raise UserError(f"--learning-rate must be between 0 and 1 (got {o.learning_rate:g})")
    model_source(o.base)


def _last_checkpoint(output: Path) -> str | None:
    from transformers.trainer_utils import get_last_checkpoint

    folder = output / "checkpoints"
    return get_last_checkpoint(str(folder)) if folder.is_dir() else None


def _manifest_for(o: LocalOptions, train_n: int, val_n: int) -> FineTuneManifest:
    """A new manifest, or (with --resume) the one in the output folder after checking the data is unchanged."""
    existing = o.output / LOCAL_MANIFEST
    if o.resume:
        if not existing.is_file():
            raise UserError(f"{o.output}: no fine-tune to resume (no {LOCAL_MANIFEST})")
        m = read_manifest(existing)
        if m.training.sha256 != file_sha256(o.data):
            raise UserError(f"{o.data} changed since this fine-tune started: resume with the data it started on, "
                            "or start a new one in another --output")
        m.output_dir = str(o.output.resolve())  # the folder may have moved since
        return m
    if existing.is_file() or (o.output / "checkpoints").is_dir():
        raise UserError(f"{o.output} already holds a fine-tune: --resume continues it, or choose another --output")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    val: DataLink | None = None
    if o.validation is not None:
        origin = o.validation.with_name(o.validation.name.replace("_val.jsonl", ".jsonl"))
        val = data_link(o.validation, val_n, origin if origin != o.validation else None)
    return FineTuneManifest(kind="local", job_id=f"local-{stamp}-{o.output.resolve().name}",
                            base_model=str(o.base.resolve()), training=data_link(o.data, train_n), validation=val,
                            fine_tuned_model=o.name or o.output.resolve().name, output_dir=str(o.output.resolve()))


def _relay(on_log: OnLog, manifest: FineTuneManifest, registry: Path) -> Any:
    """A TrainerCallback that reports each log to `on_log` and keeps the manifest's metrics current on disk."""
    from transformers import TrainerCallback

    class Relay(TrainerCallback):
        def __init__(self) -> None:
            self.t0 = time.monotonic()
            self.step0: int | None = None

        def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **_: Any) -> None:
            logs = logs or {}
            if "loss" not in logs and "eval_loss" not in logs:
                return
            step = int(state.global_step)
            if self.step0 is None:
                self.step0 = step - 1 if "loss" in logs else step
            done = step - self.step0
            line = LogLine(step=step, max_steps=int(state.max_steps), train_loss=logs.get("loss"),
                           valid_loss=logs.get("eval_loss"), learning_rate=logs.get("learning_rate"),
                           seconds_per_step=(time.monotonic() - self.t0) / done if done > 0 else None)
            point = next((p for p in manifest.metrics if p.step == step), None)
            if point is None:
                point = MetricPoint(step=step)
                manifest.metrics.append(point)
            if line.train_loss is not None:
                point.train_loss = float(line.train_loss)
            if line.valid_loss is not None:
                point.valid_loss = float(line.valid_loss)
            save_manifest(manifest, registry)
            on_log(line)

    return Relay()


def train(o: LocalOptions, registry: Path, on_log: OnLog, say: Say) -> FineTuneManifest:
    """Run (or resume) the fine-tune; returns the finished manifest. KeyboardInterrupt propagates after the
    manifest says `interrupted` (the last checkpoint is where `--resume` continues)."""
    check_options(o)
    require_extra("arcbench finetune local", EXTRA_MODULES)
    import torch
    from datasets import Dataset
    from peft import LoraConfig
    from torch.utils.tensorboard import SummaryWriter
    from transformers import PrinterCallback
    from transformers.integrations import TensorBoardCallback
    from trl import SFTConfig, SFTTrainer

    threads = set_threads(o.threads)
    device = o.device or default_device()
    checkpoint = _last_checkpoint(o.output) if o.resume else None
    if o.resume and checkpoint is None:
        raise UserError(f"{o.output}: no checkpoint to resume from (checkpoints/ is empty)")
    train_rows = read_examples(o.data, "train")
    # The split only selects rows of a parquet table (both splits in one file); a JSONL file is one split.
    val_source = o.validation or (o.data if o.data.suffix == ".parquet" else None)
    val_rows = read_examples(val_source, "validation") if val_source is not None else []
    manifest = _manifest_for(o, len(train_rows), len(val_rows))
    cpu = device == "cpu"
    say(f"loading {o.base} on {device}" + (f" ({threads} thread{'s' if threads != 1 else ''}; CPU training is "
                                           "slow — a GPU is many times faster)" if cpu else ""))
    model, tokenizer = load_model(o.base, device, for_training=True)
    train_rows, dropped = fit_length(train_rows, tokenizer, o.max_length)
    val_rows, val_dropped = fit_length(val_rows, tokenizer, o.max_length)
    if dropped or val_dropped:
        say(f"left out {dropped} training and {val_dropped} validation examples longer than --max-length "
            f"{o.max_length} tokens")
    if not train_rows:
        raise UserError(f"no training example fits in --max-length {o.max_length} tokens: raise it")
    has_val = bool(val_rows)
    bf16 = device == "cuda" and torch.cuda.is_bf16_supported()
    manifest.hyperparameters = {
        "method": "lora", "epochs": o.epochs, "max_steps": o.max_steps, "learning_rate": o.learning_rate,
        "batch_size": o.batch_size, "grad_accum": o.grad_accum, "lora_r": o.lora_r, "lora_alpha": o.lora_alpha,
        "lora_dropout": o.lora_dropout, "max_length": o.max_length, "seed": o.seed, "threads": threads,
        "examples_used": len(train_rows), "validation_examples_used": len(val_rows), "bf16": bf16,
    }
    manifest.device, manifest.status, manifest.error = device, "running", None
    save_manifest(manifest, registry)

    config = SFTConfig(
        output_dir=str(o.output / "checkpoints"),
        num_train_epochs=o.epochs, max_steps=o.max_steps or -1, learning_rate=o.learning_rate,
        per_device_train_batch_size=o.batch_size, per_device_eval_batch_size=o.batch_size,
        gradient_accumulation_steps=o.grad_accum, max_length=o.max_length, completion_only_loss=True,
        # bf16 only where the hardware has it; gradient checkpointing (TRL's default) only costs time with LoRA on a
        # model this size, and on CPU it is slower still.
        bf16=bf16, fp16=False, gradient_checkpointing=False,
        eval_strategy="steps" if has_val else "no", eval_steps=o.eval_steps,
        save_strategy="steps", save_steps=o.save_steps, save_total_limit=3,
        logging_steps=o.logging_steps, logging_first_step=True, report_to="none", disable_tqdm=True,
        seed=o.seed, data_seed=o.seed, use_cpu=cpu, dataloader_num_workers=0, dataloader_pin_memory=not cpu,
    )
    lora = LoraConfig(r=o.lora_r, lora_alpha=o.lora_alpha, lora_dropout=o.lora_dropout, target_modules="all-linear",
                      task_type="CAUSAL_LM")
    # transformers 5 takes TensorBoard's folder from the environment only; a writer of our own puts it in runs/.
    tensorboard = TensorBoardCallback(tb_writer=SummaryWriter(log_dir=str(o.output / "runs")))
    trainer = SFTTrainer(model=model, args=config, train_dataset=Dataset.from_list(train_rows),
                         eval_dataset=Dataset.from_list(val_rows) if has_val else None, processing_class=tokenizer,
                         peft_config=lora, callbacks=[tensorboard, _relay(on_log, manifest, registry)])
    trainer.remove_callback(PrinterCallback)  # it prints raw log dicts; the relay reports them instead
    try:
        trainer.train(resume_from_checkpoint=checkpoint)
        if has_val and not any(p.valid_loss is not None and p.step == trainer.state.global_step
                               for p in manifest.metrics):
            trainer.evaluate()  # a validation loss for the final weights, whatever --eval-steps was
    except KeyboardInterrupt:
        manifest.status = "interrupted"
        save_manifest(manifest, registry)
        raise
    except Exception as e:
        manifest.status, manifest.error = "failed", f"{type(e).__name__}: {e}"
        save_manifest(manifest, registry)
        raise

    adapter = o.output / "adapter"
    trainer.save_model(str(adapter))
    tokenizer.save_pretrained(str(adapter))
    manifest.adapter_dir = str(adapter.resolve())
    if o.merge:
        say("merging the adapter into the base model")
        merged = o.output / "merged"
        trainer.model.merge_and_unload().save_pretrained(str(merged))
        tokenizer.save_pretrained(str(merged))
        manifest.merged_dir = str(merged.resolve())
    manifest.status = "succeeded"
    save_manifest(manifest, registry)
    return manifest


def serve_recipe(m: FineTuneManifest) -> list[str]:
    """How to serve the result and measure it, as commands to copy."""
    name = m.fine_tuned_model or "finetuned"
    run = f"arcbench run --base-url http://127.0.0.1:8000/v1 --model {name} --subset shortest_evaluation_10"
    lines = ["Serve it and measure it:",
             "  here (any machine; slow on CPU):",
             f"    arcbench serve hf --model {m.base_model} --adapter {m.adapter_dir} --port 8000",
             f"    {run}"]
    if m.merged_dir:
        lines += ["  on a GPU with vLLM (the merged model):",
                  f"    vllm serve {m.merged_dir} --served-model-name {name} --port 8000",
                  "  or with the adapter on a Hugging Face base model (not a GGUF file):",
                  f"    vllm serve BASE_MODEL --enable-lora --lora-modules {name}={m.adapter_dir} --port 8000",
                  "  SGLang:",
                  f"    python -m sglang.launch_server --model-path {m.merged_dir} --served-model-name {name} "
                  "--port 8000",
                  f"    {run}"]
    return lines
