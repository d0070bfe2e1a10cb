"""Fine-tuning through OpenAI's API (or any server with the same files and fine-tuning endpoints).

Upload the chat JSONL, create the job, follow it until it ends. The manifest in the fine-tune registry is written as
soon as the job exists and updated as it moves, so an interrupted command loses nothing: the job goes on at the API
and `arcbench finetune status JOB` follows it again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openai
from pydantic import BaseModel, Field

from arcbench.errors import UserError
from arcbench.llm.base import ClientConfig
from arcbench.llm.keys import key_env_name, redact, resolve_api_key
from arcbench.training.finetunes import DataLink, FineTuneManifest, MetricPoint, data_link, save_manifest

TERMINAL = ("succeeded", "failed", "cancelled")


class Progress(BaseModel):
    """What the follower knows after one poll: the job's state and what its events said since the last poll."""

    job_id: str
    status: str
    step: int | None = None
    total_steps: int | None = None
    train_loss: float | None = None
    valid_loss: float | None = None
    trained_tokens: int | None = None
    fine_tuned_model: str | None = None
    error: str | None = None
    messages: list[str] = Field(default_factory=list)
    """New event messages, oldest first."""


OnProgress = Callable[[Progress], None]


def make_client(base_url: str | None, api_key_env: str | None) -> tuple[openai.OpenAI, str]:
    """A client for the API, and the key it uses (for redaction). One-line error when the key is missing."""
    config = ClientConfig(base_url=base_url, api_key_env=api_key_env)
    key = resolve_api_key(config)
    if key is None:
        raise UserError(f"no API key for {base_url or 'the OpenAI API'}: set {key_env_name(config)} in the "
                        "environment or in a .env file here (or name another variable with --api-key-env)")
    # Retries for 429/5xx/connection errors come from the SDK; a poll that still fails is reported, not fatal.
    return openai.OpenAI(base_url=base_url, api_key=key, max_retries=3, timeout=120.0), key


def api_error(e: openai.OpenAIError, what: str, key: str | None = None) -> UserError:
    """An API failure as one line: what was being done and what the server said."""
    if isinstance(e, openai.APIStatusError):
        body = e.body if isinstance(e.body, dict) else {}
        err = body.get("error") if isinstance(body.get("error"), dict) else body
        message = str(err.get("message") or e.message)
        code = err.get("code") or getattr(e, "code", None)
        detail = f"{message} (HTTP {e.status_code}{', ' + str(code) if code else ''})"
    elif isinstance(e, openai.APIConnectionError):
        detail = f"cannot reach the API ({e.__cause__ or e}): check --base-url and the network"
    else:
        detail = str(e)
    return UserError(redact(f"{what}: {detail}", key))


def count_examples(path: Path) -> int:
    with path.open("rb") as f:
        return sum(1 for line in f if line.strip())


def check_data(path: Path, label: str) -> None:
    if not path.is_file():
        raise UserError(f"{label} {path}: no such file")
    if path.suffix != ".jsonl":
        raise UserError(f"{label} {path}: OpenAI fine-tuning takes chat JSONL (`arcbench training-data --format "
                        "openai` writes it)")
    if count_examples(path) == 0:
        raise UserError(f"{label} {path}: the file is empty")


def upload(client: openai.OpenAI, path: Path, key: str | None = None) -> str:
    try:
        with path.open("rb") as f:
            return client.files.create(file=(path.name, f), purpose="fine-tune").id
    except openai.OpenAIError as e:
        raise api_error(e, f"uploading {path}", key) from None


def start(client: openai.OpenAI, *, data: Path, validation: Path | None, model: str, suffix: str | None,
          epochs: int | None, seed: int | None, registry: Path, base_url: str | None, api_key_env: str | None,
          key: str | None = None, on_step: Callable[[str], None] | None = None) -> FineTuneManifest:
    """Upload the files, create the job and write its manifest. Nothing is followed yet."""
    say = on_step or (lambda _: None)
    training = data_link(data, count_examples(data))
    val_link: DataLink | None = None
    if validation is not None:
        # `X_val.jsonl` from `arcbench training-data` is covered by `X.manifest.json`.
        origin = validation.with_name(validation.name.replace("_val.jsonl", ".jsonl"))
        val_link = data_link(validation, count_examples(validation), origin if origin != validation else None)
    say(f"uploading {data} ({training.examples} examples)")
    training.file_id = upload(client, data, key)
    if validation is not None and val_link is not None:
        say(f"uploading {validation} ({val_link.examples} examples)")
        val_link.file_id = upload(client, validation, key)
    hyper: dict[str, Any] = {}
    if epochs is not None:
        hyper["n_epochs"] = epochs
    params: dict[str, Any] = {"model": model, "training_file": training.file_id}
    if val_link is not None:
        params["validation_file"] = val_link.file_id
    if suffix:
        params["suffix"] = suffix
    if seed is not None:
        params["seed"] = seed
    if hyper:
        params["method"] = {"type": "supervised", "supervised": {"hyperparameters": hyper}}
    try:
        job = client.fine_tuning.jobs.create(**params)
    except openai.OpenAIError as e:
        raise api_error(e, f"creating the fine-tuning job on {model}", key) from None
    manifest = FineTuneManifest(kind="openai", job_id=job.id, base_model=job.model or model, training=training,
                                validation=val_link, status=job.status, base_url=base_url, api_key_env=api_key_env,
                                hyperparameters=job.hyperparameters.model_dump(exclude_none=True)
                                if job.hyperparameters else hyper)
    save_manifest(manifest, registry)
    return manifest


def _new_events(client: openai.OpenAI, job_id: str, seen: set[str]) -> list[Any]:
    """Events not seen yet, oldest first. The API pages newest first; stop at the first one already seen."""
    fresh: list[Any] = []
    after: str | None = None
    while True:
        page = client.fine_tuning.jobs.list_events(job_id, limit=100, **({"after": after} if after else {}))
        batch = list(page.data)
        for event in batch:
            if event.id in seen:
                return list(reversed(fresh))
            fresh.append(event)
        if not batch or not page.has_more:
            return list(reversed(fresh))
        after = batch[-1].id


def poll(client: openai.OpenAI, manifest: FineTuneManifest, seen: set[str], key: str | None = None) -> Progress:
    """Retrieve the job and its new events once; update the manifest in memory."""
    job_id = manifest.job_id
    try:
        job = client.fine_tuning.jobs.retrieve(job_id)
        events = _new_events(client, job_id, seen)
    except openai.OpenAIError as e:
        raise api_error(e, f"following job {job_id}", key) from None
    progress = Progress(job_id=job_id, status=job.status, trained_tokens=job.trained_tokens,
                        fine_tuned_model=job.fine_tuned_model)
    for event in events:
        seen.add(event.id)
        data = event.data if isinstance(event.data, dict) else {}
        if event.type == "metrics" and "step" in data:
            point = MetricPoint(step=int(data["step"]), train_loss=data.get("train_loss"),
                                valid_loss=data.get("full_valid_loss", data.get("valid_loss")))
            manifest.metrics = [m for m in manifest.metrics if m.step != point.step] + [point]
            progress.step, progress.total_steps = point.step, data.get("total_steps")
        else:
            progress.messages.append(event.message)
    if manifest.metrics:
        last = manifest.metrics[-1]
        progress.step = progress.step or last.step
        progress.train_loss, progress.valid_loss = manifest.last_train_loss, manifest.last_valid_loss
    if job.error is not None and job.error.message:
        progress.error = f"{job.error.message} ({job.error.code}{', ' + job.error.param if job.error.param else ''})"
    manifest.status = job.status
    manifest.fine_tuned_model = job.fine_tuned_model or manifest.fine_tuned_model
    manifest.trained_tokens = job.trained_tokens
    manifest.error = progress.error
    return progress


def follow(client: openai.OpenAI, manifest: FineTuneManifest, registry: Path | None, on_progress: OnProgress, *,
           poll_s: float = 10.0, key: str | None = None, sleep: Callable[[float], None] = time.sleep) -> Progress:
    """Poll until the job ends, reporting each poll and saving the manifest when it changes (not without a registry:
    a job started elsewhere). A Ctrl-C (KeyboardInterrupt) propagates: the job goes on at the API."""
    seen: set[str] = set()
    before = ""
    while True:
        progress = poll(client, manifest, seen, key)
        state = manifest.model_dump_json(exclude={"updated_at"})
        if state != before and registry is not None:
            save_manifest(manifest, registry)
            before = state
        on_progress(progress)
        if progress.status in TERMINAL:
            return progress
        sleep(poll_s)


def cancel(client: openai.OpenAI, manifest: FineTuneManifest, registry: Path | None, key: str | None = None) -> str:
    """Cancel the job; its new status (saved to the registry, when the job is in one)."""
    try:
        job = client.fine_tuning.jobs.cancel(manifest.job_id)
    except openai.OpenAIError as e:
        raise api_error(e, f"cancelling job {manifest.job_id}", key) from None
    manifest.status = job.status
    if registry is not None:
        save_manifest(manifest, registry)
    return job.status


def unknown_job_manifest(job_id: str, base_url: str | None, api_key_env: str | None) -> FineTuneManifest:
    """A stand-in manifest for a job started elsewhere (not in this registry): followed, but not saved."""
    return FineTuneManifest(kind="openai", job_id=job_id, base_model="?", base_url=base_url, api_key_env=api_key_env,
                            training=DataLink(path="?", sha256="", examples=0))
