"""Fine-tune manifests: which training data made which model, through which files and job.

Every fine-tune (an OpenAI job or a local LoRA run) has one manifest, kept in the fine-tune registry: a folder,
`finetunes/` in the working directory by default (like `runs/` and `training_data/`), or the folder named by the
environment variable ARCBENCH_FINETUNES or a `--registry` flag. A manifest is `<registry>/<job id>.json`; a local
fine-tune also keeps a copy as `OUTPUT_DIR/finetune.json`, so its output folder carries its own provenance when it is
moved. `arcbench compare` looks a run's model name up in the registry to name the data and job behind it.

No heavy imports here: the core install reads manifests too.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

from arcbench import __version__
from arcbench.errors import UserError
from arcbench.run.records import now_iso
from arcbench.run.store import read_model, write_json_atomic
from arcbench.training.export import manifest_path

REGISTRY_ENV = "ARCBENCH_FINETUNES"
DEFAULT_REGISTRY = Path("finetunes")
LOCAL_MANIFEST = "finetune.json"
"""A local fine-tune's manifest inside its output folder."""

Kind = Literal["openai", "local"]


class DataLink(BaseModel):
    """A training or validation file as it was when the fine-tune started."""

    path: str
    """Absolute path."""
    sha256: str
    examples: int
    """Lines (JSONL) or rows of the split used (parquet)."""
    data_manifest: str | None = None
    """The `OUTPUT.manifest.json` written by `arcbench training-data` beside the data, when there is one."""
    file_id: str | None = None
    """The uploaded file's id (OpenAI)."""


class MetricPoint(BaseModel):
    step: int
    train_loss: float | None = None
    valid_loss: float | None = None
    """Validation loss, when this step evaluated one."""


class FineTuneManifest(BaseModel):
    """`<registry>/<job id>.json`: dataset manifest -> files -> job -> model."""

    schema_version: int = 1
    kind: Kind
    job_id: str
    created_at: str = Field(default_factory=now_iso)
    updated_at: str = Field(default_factory=now_iso)
    arcbench_version: str = __version__
    base_model: str
    training: DataLink
    validation: DataLink | None = None
    status: str = "created"
    """OpenAI's job status (validating_files, queued, running, succeeded, failed, cancelled), or for a local
    fine-tune: running, succeeded, interrupted, failed."""
    fine_tuned_model: str | None = None
    """The name to run the model under: OpenAI's `ft:...` name, or a local fine-tune's `--name`."""
    hyperparameters: dict[str, Any] = Field(default_factory=dict)
    trained_tokens: int | None = None
    metrics: list[MetricPoint] = Field(default_factory=list)
    error: str | None = None
    base_url: str | None = None
    """The API's base URL (None: OpenAI's), so `arcbench finetune status` finds the job again."""
    api_key_env: str | None = None
    """The variable the key was read from (never the key)."""
    output_dir: str | None = None
    """A local fine-tune's output folder (checkpoints/, runs/, adapter/, merged/)."""
    adapter_dir: str | None = None
    merged_dir: str | None = None
    device: str | None = None

    @property
    def last_train_loss(self) -> float | None:
        return next((m.train_loss for m in reversed(self.metrics) if m.train_loss is not None), None)

    @property
    def last_valid_loss(self) -> float | None:
        return next((m.valid_loss for m in reversed(self.metrics) if m.valid_loss is not None), None)


def registry_dir(explicit: Path | None = None) -> Path:
    """The registry folder: the flag, else $ARCBENCH_FINETUNES, else ./finetunes."""
    if explicit is not None:
        return explicit
    env = os.environ.get(REGISTRY_ENV)
    return Path(env) if env else DEFAULT_REGISTRY


def save_manifest(manifest: FineTuneManifest, registry: Path) -> Path:
    """Write the manifest into the registry (and a local fine-tune's output folder); returns the registry file."""
    manifest.updated_at = now_iso()
    path = registry / f"{manifest.job_id}.json"
    write_json_atomic(path, manifest)
    if manifest.output_dir:
        write_json_atomic(Path(manifest.output_dir) / LOCAL_MANIFEST, manifest)
    return path


def read_manifest(path: Path) -> FineTuneManifest:
    try:
        return read_model(path, FineTuneManifest)
    except (ValidationError, ValueError, OSError) as e:
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise UserError(f"{path}: not a fine-tune manifest arcbench can read ({first})") from None


def list_manifests(registry: Path) -> list[FineTuneManifest]:
    """Every readable manifest in the registry, oldest first; unreadable files are skipped (the registry is a
    folder anyone may drop files into, and one stray file must not stop `compare`)."""
    found = []
    for path in sorted(registry.glob("*.json")) if registry.is_dir() else []:
        try:
            found.append(read_model(path, FineTuneManifest))
        except (ValidationError, ValueError, OSError):
            continue
    return sorted(found, key=lambda m: m.created_at)


def find_job(job_id: str, registry: Path) -> FineTuneManifest | None:
    path = registry / f"{job_id}.json"
    return read_manifest(path) if path.is_file() else None


def find_for_model(model: str, registry: Path) -> FineTuneManifest | None:
    """The newest manifest whose fine-tuned model is `model`."""
    matches = [m for m in list_manifests(registry) if m.fine_tuned_model == model]
    return matches[-1] if matches else None


def find_local(path: Path) -> FineTuneManifest | None:
    """The manifest of the local fine-tune a path belongs to (its output folder, adapter/ or merged/), if any."""
    for folder in (path, *path.resolve().parents[:2]):
        candidate = folder / LOCAL_MANIFEST
        if candidate.is_file():
            return read_manifest(candidate)
    return None


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def data_link(path: Path, examples: int, data_manifest_of: Path | None = None) -> DataLink:
    """Describe a data file; `data_manifest_of` is the training-data OUTPUT whose manifest covers it (a validation
    file `X_val.jsonl` is described by `X.manifest.json`)."""
    manifest = manifest_path(data_manifest_of or path)
    return DataLink(path=str(path.resolve()), sha256=file_sha256(path), examples=examples,
                    data_manifest=str(manifest.resolve()) if manifest.is_file() else None)


def origins(models: list[str], registry: Path) -> dict[str, dict[str, Any]]:
    """For each model name a registry manifest produced (the newest such manifest): its job, base model, data and
    data manifest, as the fields of `arcbench.report.compare.FineTuneOrigin`."""
    found: dict[str, dict[str, Any]] = {}
    for m in list_manifests(registry):  # oldest first: a newer fine-tune under the same name wins
        if m.fine_tuned_model in models:
            found[m.fine_tuned_model] = {
                "job_id": m.job_id, "kind": m.kind, "base_model": m.base_model, "training_data": m.training.path,
                "training_examples": m.training.examples, "data_manifest": m.training.data_manifest,
                "validation_data": m.validation.path if m.validation else None,
                "manifest": str(registry / f"{m.job_id}.json")}
    return found
