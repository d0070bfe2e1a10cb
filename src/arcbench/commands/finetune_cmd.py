"""`arcbench finetune`: fine-tune a model on `arcbench training-data` output, through OpenAI's API or locally with
LoRA, and keep a manifest of which data made which model (see `arcbench.training.finetunes`)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from arcbench.commands.shared import out as _out
from arcbench.errors import UserError

if TYPE_CHECKING:
    from arcbench.training.finetune_openai import Progress
    from arcbench.training.finetunes import FineTuneManifest


RegistryOpt = Annotated[Path | None, typer.Option(
    "--registry", help="Fine-tune registry folder (default $ARCBENCH_FINETUNES, else ./finetunes).")]
BaseUrlOpt = Annotated[str | None, typer.Option(
    "--base-url", help="API with OpenAI's files and fine-tuning endpoints (default OpenAI's).")]
KeyEnvOpt = Annotated[str | None, typer.Option("--api-key-env", help="Variable holding the API key (default "
                                               "OPENAI_API_KEY; a .env file here is read too).")]
PollOpt = Annotated[float, typer.Option("--poll-interval", help="Seconds between polls of the job.")]


def _fmt(x: float | None) -> str:
    return "–" if x is None else f"{x:.4f}"


class _Printer:
    """One line per poll that changed something: status, step, losses, tokens, and the job's own messages."""

    def __init__(self) -> None:
        self.start = time.monotonic()
        self.last = ""
        self.total: int | None = None

    def __call__(self, p: Progress) -> None:
        stamp = f"[{time.monotonic() - self.start:6.0f}s]"
        for message in p.messages:
            _out.print(f"{stamp} {message}", markup=False)
        self.total = p.total_steps or self.total  # only polls that saw a metrics event know it
        step = f"step {p.step}" + (f"/{self.total}" if self.total else "") if p.step else ""
        parts = [p.status, step, f"train loss {_fmt(p.train_loss)}" if p.train_loss is not None else "",
                 f"valid loss {_fmt(p.valid_loss)}" if p.valid_loss is not None else "",
                 f"trained tokens {p.trained_tokens:,}" if p.trained_tokens else ""]
        line = "  ".join(x for x in parts if x)
        if line != self.last:
            _out.print(f"{stamp} {p.job_id}  {line}", markup=False)
            self.last = line


def _run_hint(model: str, base_url: str | None) -> str:
    where = f" --base-url {base_url}" if base_url else ""
    return f"arcbench run{where} --model {model} --subset shortest_evaluation_10"


def _follow(manifest: FineTuneManifest, registry: Path | None, poll_s: float) -> None:
    from arcbench.training.finetune_openai import follow, make_client

    client, key = make_client(manifest.base_url, manifest.api_key_env)
    follow_cmd = f"arcbench finetune status {manifest.job_id}" + (f" --registry {registry}" if registry else "")
    try:
        progress = follow(client, manifest, registry, _Printer(), poll_s=poll_s, key=key)
    except KeyboardInterrupt:
        _out.print(f"Interrupted: job {manifest.job_id} goes on at the API. Follow it again with: {follow_cmd}",
                   markup=False)
        raise typer.Exit(1) from None
    if progress.status == "succeeded":
        model = progress.fine_tuned_model or "?"
        _out.print(f"Fine-tuned model: {model}", markup=False)
        _out.print(f"Measure it with: {_run_hint(model, manifest.base_url)}", markup=False)
        return
    if progress.status == "failed":
        raise UserError(f"fine-tuning job {manifest.job_id} failed: {progress.error or 'no reason given'}")
    _out.print(f"Job {manifest.job_id} was {progress.status}.", markup=False)
    raise typer.Exit(1)


def finetune_openai_cmd(
    data: Annotated[Path, typer.Argument(help="Training file: chat JSONL from `arcbench training-data`.",
                                         show_default=False)],
    model: Annotated[str, typer.Option("--model", "-m", help="Base model to fine-tune (e.g. gpt-4.1-nano-2025-04-14).",
                                       show_default=False)],
    validation: Annotated[Path | None, typer.Option(
        "--validation", help="Validation JSONL (default: DATA_val.jsonl beside DATA when it exists).")] = None,
    no_validation: Annotated[bool, typer.Option("--no-validation", help="Upload no validation file.")] = False,
    suffix: Annotated[str | None, typer.Option("--suffix", help="Up to 64 characters for the model name.")] = None,
    epochs: Annotated[int | None, typer.Option("--epochs", help="Training epochs (default: the API's choice).")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="The job's seed.")] = None,
    base_url: BaseUrlOpt = None,
    api_key_env: KeyEnvOpt = None,
    registry: RegistryOpt = None,
    poll_interval: PollOpt = 10.0,
    no_follow: Annotated[bool, typer.Option("--no-follow", help="Create the job and return.")] = False,
) -> None:
    """Upload the data, start a fine-tuning job and follow it: status, step, training and validation loss, trained
    tokens. Ctrl-C leaves the job running; `arcbench finetune status JOB` follows it again."""
    from arcbench.training.export import validation_path
    from arcbench.training.finetune_openai import check_data, make_client, start
    from arcbench.training.finetunes import registry_dir

    check_data(data, "training file")
    if validation is None and not no_validation and validation_path(data).is_file():
        validation = validation_path(data)
        _out.print(f"Validation file: {validation} (beside the data; --no-validation to leave it out)", markup=False)
    if no_validation:
        validation = None
    if validation is not None:
        check_data(validation, "validation file")
    if epochs is not None and epochs < 1:
        raise UserError(f"--epochs must be at least 1 (got {epochs})")
    if suffix is not None and len(suffix) > 64:
        raise UserError(f"--suffix must be at most 64 characters (got {len(suffix)})")
    if poll_interval < 0:
        raise UserError(f"--poll-interval must be 0 or more (got {poll_interval:g})")
    reg = registry_dir(registry)
    client, key = make_client(base_url, api_key_env)
    manifest = start(client, data=data, validation=validation, model=model, suffix=suffix, epochs=epochs, seed=seed,
                     registry=reg, base_url=base_url, api_key_env=api_key_env, key=key,
                     on_step=lambda line: _out.print(line, markup=False))
    _out.print(f"Job {manifest.job_id} created ({manifest.status}); manifest {reg / (manifest.job_id + '.json')}",
               markup=False)
    if no_follow:
        _out.print(f"Follow it with: arcbench finetune status {manifest.job_id}", markup=False)
        return
    _follow(manifest, reg, poll_interval)


def _manifest_for(job_id: str, registry: Path | None, base_url: str | None, api_key_env: str | None
                  ) -> tuple[FineTuneManifest, Path | None]:
    """The registry's manifest of a job (flags override where to reach it), or a stand-in for a job started
    elsewhere; the registry is None then, so nothing is saved about a job whose data arcbench never saw."""
    from arcbench.training.finetune_openai import unknown_job_manifest
    from arcbench.training.finetunes import find_job, registry_dir

    reg = registry_dir(registry)
    manifest = find_job(job_id, reg)
    if manifest is None:
        return unknown_job_manifest(job_id, base_url, api_key_env), None
    if manifest.kind != "openai":
        raise UserError(f"{job_id} is a local fine-tune (see {manifest.output_dir}); only API jobs can be followed")
    if base_url is not None:
        manifest.base_url = base_url
    if api_key_env is not None:
        manifest.api_key_env = api_key_env
    return manifest, reg


def finetune_status_cmd(
    job_id: Annotated[str, typer.Argument(help="Job id (ftjob-...).", show_default=False)],
    base_url: BaseUrlOpt = None,
    api_key_env: KeyEnvOpt = None,
    registry: RegistryOpt = None,
    poll_interval: PollOpt = 10.0,
    no_follow: Annotated[bool, typer.Option("--no-follow", help="Print the status once and return.")] = False,
) -> None:
    """Follow a fine-tuning job until it ends (the API it was started on is read from the registry's manifest)."""
    manifest, reg = _manifest_for(job_id, registry, base_url, api_key_env)
    if no_follow:
        from arcbench.training.finetune_openai import make_client, poll
        from arcbench.training.finetunes import save_manifest

        client, key = make_client(manifest.base_url, manifest.api_key_env)
        _Printer()(poll(client, manifest, set(), key))
        if reg is not None:
            save_manifest(manifest, reg)
        return
    _follow(manifest, reg, poll_interval)


def finetune_cancel_cmd(
    job_id: Annotated[str, typer.Argument(help="Job id (ftjob-...).", show_default=False)],
    base_url: BaseUrlOpt = None,
    api_key_env: KeyEnvOpt = None,
    registry: RegistryOpt = None,
) -> None:
    """Cancel a fine-tuning job."""
    from arcbench.training.finetune_openai import cancel, make_client

    manifest, reg = _manifest_for(job_id, registry, base_url, api_key_env)
    client, key = make_client(manifest.base_url, manifest.api_key_env)
    status = cancel(client, manifest, reg, key)
    _out.print(f"Job {job_id}: {status}", markup=False)


def finetune_list_cmd(registry: RegistryOpt = None) -> None:
    """The fine-tune registry: every job, its data, status, losses and model."""
    from arcbench.training.finetunes import list_manifests, registry_dir

    reg = registry_dir(registry)
    manifests = list_manifests(reg)
    if not manifests:
        _out.print(f"No fine-tunes in {reg}.", markup=False)
        return
    # One line per job rather than a table: model names are long, and a wrapped cell cannot be copied.
    _out.print(f"fine-tunes in {reg}:", markup=False)
    for m in manifests:
        data = f"{Path(m.training.path).name} ({m.training.examples} examples)"
        losses = f"train/valid loss {_fmt(m.last_train_loss)}/{_fmt(m.last_valid_loss)}"
        _out.print(f"{m.job_id}  {m.kind}  {m.base_model}  {data}  {m.status}  {losses}  "
                   f"model {m.fine_tuned_model or '–'}", markup=False)


def finetune_local_cmd(
    data: Annotated[Path, typer.Argument(help="Chat JSONL or parquet from `arcbench training-data`.",
                                         show_default=False)],
    base: Annotated[Path, typer.Option("--base", help="Base model: a Hugging Face model folder or a .gguf file.",
                                       show_default=False)],
    output: Annotated[Path, typer.Option("--output", "-o", help="Output folder (checkpoints/, runs/, adapter/, "
                                         "merged/, finetune.json).", show_default=False)],
    validation: Annotated[Path | None, typer.Option(
        "--validation", help="Validation JSONL (default: DATA_val.jsonl beside DATA, or a parquet file's "
        "validation rows).")] = None,
    no_validation: Annotated[bool, typer.Option("--no-validation", help="Evaluate on no validation set.")] = False,
    name: Annotated[str | None, typer.Option("--name", help="Name to run the model under (default: the output "
                                             "folder's name).")] = None,
    epochs: Annotated[float, typer.Option("--epochs", help="Passes over the training set.")] = 1.0,
    max_steps: Annotated[int | None, typer.Option("--max-steps", help="Stop after N optimizer steps (overrides "
                                                  "--epochs).")] = None,
    learning_rate: Annotated[float, typer.Option("--learning-rate", help="Peak learning rate (linear decay).")] = 2e-4,
    batch_size: Annotated[int, typer.Option("--batch-size", help="Examples per device step.")] = 2,
    grad_accum: Annotated[int, typer.Option("--grad-accum", help="Steps accumulated per optimizer step.")] = 1,
    lora_r: Annotated[int, typer.Option("--lora-r", help="LoRA rank.")] = 16,
    lora_alpha: Annotated[int, typer.Option("--lora-alpha", help="LoRA alpha.")] = 32,
    max_length: Annotated[int, typer.Option("--max-length", help="Longest example in tokens; longer ones are left "
                                            "out, not truncated.")] = 2048,
    eval_steps: Annotated[int, typer.Option("--eval-steps", help="Validation loss every N steps (and at the "
                                            "end).")] = 50,
    save_steps: Annotated[int, typer.Option("--save-steps", help="Checkpoint every N steps.")] = 50,
    logging_steps: Annotated[int, typer.Option("--logging-steps", help="Training loss every N steps.")] = 10,
    threads: Annotated[int | None, typer.Option("--threads", help="CPU threads for torch (default half the "
                                                "cores).")] = None,
    device: Annotated[str | None, typer.Option("--device", help="cpu, cuda or mps (default: a GPU if there is "
                                               "one).")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed for LoRA initialisation and data order.")] = 0,
    resume: Annotated[bool, typer.Option("--resume", help="Continue the fine-tune in --output from its last "
                                         "checkpoint.")] = False,
    no_merge: Annotated[bool, typer.Option("--no-merge", help="Save the adapter only, not a merged model.")] = False,
    registry: RegistryOpt = None,
) -> None:
    """LoRA fine-tune of a Hugging Face or GGUF model with TRL and PEFT: loss on the assistant's answer only,
    validation loss, TensorBoard logs in OUTPUT/runs, checkpoints, adapter and merged model. Uses a GPU when there
    is one; on CPU it runs, slowly."""
    from arcbench.training.export import validation_path
    from arcbench.training.finetune_local import LocalOptions, LogLine, serve_recipe, train
    from arcbench.training.finetunes import registry_dir

    if validation is None and not no_validation and data.suffix == ".jsonl" and validation_path(data).is_file():
        validation = validation_path(data)
        _out.print(f"Validation file: {validation} (beside the data; --no-validation to leave it out)", markup=False)
    if no_validation:
        validation = None
    options = LocalOptions(data=data, base=base, output=output, validation=validation, name=name, epochs=epochs,
                           max_steps=max_steps, learning_rate=learning_rate, batch_size=batch_size,
                           grad_accum=grad_accum, lora_r=lora_r, lora_alpha=lora_alpha, max_length=max_length,
                           eval_steps=eval_steps, save_steps=save_steps, logging_steps=logging_steps,
                           threads=threads, device=device, seed=seed, resume=resume, merge=not no_merge)

    def show(line: LogLine) -> None:
        parts = [f"step {line.step}/{line.max_steps}"]
        if line.train_loss is not None:
            parts.append(f"train loss {line.train_loss:.4f}")
        if line.valid_loss is not None:
            parts.append(f"valid loss {line.valid_loss:.4f}")
        if line.seconds_per_step is not None:
            parts.append(f"{line.seconds_per_step:.1f} s/step")
        _out.print("  ".join(parts), markup=False)

    reg = registry_dir(registry)
    resume_cmd = f"arcbench finetune local {data} --base {base} --output {output} --resume"
    try:
        manifest = train(options, reg, show, lambda line: _out.print(line, markup=False))
    except KeyboardInterrupt:
        _out.print(f"Interrupted. Continue from the last checkpoint with: {resume_cmd}", markup=False)
        raise typer.Exit(1) from None
    _out.print(f"Adapter: {manifest.adapter_dir}" + (f"\nMerged model: {manifest.merged_dir}"
                                                      if manifest.merged_dir else ""), markup=False)
    _out.print(f"TensorBoard: tensorboard --logdir {output / 'runs'}", markup=False)
    _out.print(f"Model name: {manifest.fine_tuned_model}  (manifest {reg / (manifest.job_id + '.json')})",
               markup=False)
    for line in serve_recipe(manifest):
        _out.print(line, markup=False)


def register(app: typer.Typer) -> None:
    from arcbench.commands.shared import group

    finetune = group("Fine-tune a model on arcbench training data (OpenAI's API or a local LoRA), follow jobs, "
                     "list the fine-tune registry.")
    finetune.command("openai")(finetune_openai_cmd)
    finetune.command("status")(finetune_status_cmd)
    finetune.command("cancel")(finetune_cancel_cmd)
    finetune.command("list")(finetune_list_cmd)
    finetune.command("local")(finetune_local_cmd)
    app.add_typer(finetune, name="finetune")
