"""`arcbench run`: the main job."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from arcbench.cli import DataDirOpt, DatasetOpt, app
from arcbench.errors import UserError
from arcbench.inert import inert


def _shown(value: object, markup: bool = False) -> str:
    """A path or model name (from a flag or a saved config) as one inert line."""
    return inert(str(value), single_line=True, markup=markup)


def _range(name: str, value: float | None, lo: float, hi: float | None = None) -> None:
    if value is not None and (value < lo or (hi is not None and value > hi)):
        bound = f"between {lo:g} and {hi:g}" if hi is not None else f"at least {lo:g}"
        raise UserError(f"{name} must be {bound} (got {value:g})")


@app.command("run")
def run_cmd(
    dataset: DatasetOpt = "arc-agi-1",
    subset: Annotated[str, typer.Option("--subset", "-s", help="Subset name, id-list file or comma-separated ids.")] = (
        "shortest_training_10"),
    data_dir: DataDirOpt = None,
    model: Annotated[str | None, typer.Option(
        "--model", "-m", help="Model name at the endpoint (default gpt-4.1-nano; `baseline` runs the offline model). "
        "With no --model, --base-url or API key, the offline baseline runs.")] = None,
    base_url: Annotated[str | None, typer.Option(
        "--base-url", help="OpenAI-compatible endpoint, e.g. https://openrouter.ai/api/v1 or http://localhost:8000/v1"
    )] = None,
    api_key_env: Annotated[str | None, typer.Option(
        "--api-key-env", help="Environment variable holding the API key (default OPENAI_API_KEY, or "
        "OPENROUTER_API_KEY for OpenRouter); a .env file in the working directory is read too.")] = None,
    limit: Annotated[int | None, typer.Option("--limit", help="Run only the first N tasks of the subset.")] = None,
    max_turns: Annotated[int, typer.Option("--max-turns", "--max_turns",
                                           help="Model calls per task (turns or samples).")] = 3,
    mode: Annotated[str, typer.Option("--mode", help="feedback | independent | hybrid.")] = "feedback",
    independent_attempts: Annotated[bool, typer.Option(
        "--independent-attempts", "--independent_attempts", help="Same as --mode independent.")] = False,
    max_workers: Annotated[int, typer.Option("--max-workers", "--max_workers",
                                             help="Tasks in flight at once (1-512).")] = 1,
    rate_limit_delay: Annotated[float, typer.Option(
        "--rate-limit-delay", "--rate_limit_delay", help="Minimum seconds between request starts.")] = 0.0,
    repeat_runs: Annotated[int, typer.Option("--repeat-runs", "--repeat_runs",
                                             help="Repeat the whole run N times (1-10) for statistics.")] = 1,
    reasoning_effort: Annotated[str | None, typer.Option(
        "--reasoning-effort", "--reasoning_effort", help="low | medium | high, mapped for the endpoint.")] = None,
    temperature: Annotated[float | None, typer.Option("--temperature", help="Sampling temperature.")] = None,
    max_tokens: Annotated[int | None, typer.Option("--max-tokens", "--max_tokens",
                                                   help="Maximum tokens per reply.")] = None,
    request_timeout: Annotated[float, typer.Option("--request-timeout",
                                                   help="Seconds per model request before it is retried.")] = 1000.0,
    retries: Annotated[int, typer.Option("--max-attempts", help="Attempts per model request (1 = no retry).")] = 3,
    stream: Annotated[bool, typer.Option("--stream", help="Stream replies (helps long reasoning calls behind "
                                         "proxies).")] = False,
    extra_body: Annotated[str | None, typer.Option(
        "--extra-body", help='JSON merged into every request body, e.g. \'{"chat_template_kwargs": '
        '{"enable_thinking": true}}\'.')] = None,
    price_in: Annotated[float | None, typer.Option("--price-in", help="$ per million input tokens.")] = None,
    price_out: Annotated[float | None, typer.Option("--price-out", help="$ per million output tokens.")] = None,
    price_provider: Annotated[str | None, typer.Option(
        "--price-provider", help="genai-prices provider whose prices apply (e.g. openai behind a local proxy); "
        "default: inferred from --base-url.")] = None,
    baseline_time: Annotated[float, typer.Option(
        "--baseline-time", help="Seconds of search per reply of the offline baseline model.")] = 2.0,
    exec_timeout: Annotated[float, typer.Option("--exec-timeout", help="Seconds per program run on one grid.")] = 1.0,
    exec_memory: Annotated[int, typer.Option("--exec-memory", help="Memory cap per program, MB.")] = 512,
    stop_when: Annotated[str, typer.Option(
        "--stop-when", help="train-correct (default) | never | test-correct (reads test labels: marks the run "
        "leaky).")] = "train-correct",
    output_dir: Annotated[str, typer.Option("--output-dir", help="Folder for run directories.")] = "runs",
    run_dir: Annotated[str | None, typer.Option("--run-dir", help="Exact run directory (default "
                                                "OUTPUT_DIR/<time>_<dataset>_<subset>_<model>).")] = None,
    resume: Annotated[str | None, typer.Option("--resume", help="Finish an interrupted run in this directory.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No per-turn lines.")] = False,
) -> None:
    """Run a model on ARC tasks: it writes programs, arcbench runs and scores them, logs everything."""
    from arcbench.llm import ClientConfig, make_model, resolve_api_key
    from arcbench.run.config import RunConfig, default_run_dir, read_saved_config
    from arcbench.run.engine import run, tasks_for_resume
    from arcbench.run.progress import aggregate_table, summary_table

    console = Console(highlight=False, soft_wrap=True)  # paths and commands stay on one line, copyable
    tasks = None
    if resume:
        directory = Path(resume)
        saved = read_saved_config(directory)
        config = saved.config.model_copy(update={"quiet": quiet or saved.config.quiet})
        if max_workers != 1:
            config.max_workers = max_workers
            config.client.concurrency = max_workers
        tasks = tasks_for_resume(saved)
        console.print(f"Resuming {_shown(directory)} ({len(tasks)} tasks, model {_shown(config.client.model)})",
                      markup=False)
    else:
        if independent_attempts:
            mode = "independent"
        if mode not in ("feedback", "independent", "hybrid"):
            raise UserError(f"--mode must be feedback, independent or hybrid (got {mode!r})")
        if stop_when not in ("train-correct", "never", "test-correct"):
            raise UserError(f"--stop-when must be train-correct, never or test-correct (got {stop_when!r})")
        if reasoning_effort is not None and reasoning_effort not in ("low", "medium", "high"):
            raise UserError(f"--reasoning-effort must be low, medium or high (got {reasoning_effort!r})")
        _range("--max-turns", max_turns, 1, 100)
        _range("--max-workers", max_workers, 1, 512)
        _range("--repeat-runs", repeat_runs, 1, 10)
        _range("--limit", limit, 1)
        _range("--rate-limit-delay", rate_limit_delay, 0)
        _range("--exec-timeout", exec_timeout, 0.01, 600)
        _range("--exec-memory", exec_memory, 64)
        _range("--max-attempts", retries, 1, 20)
        _range("--request-timeout", request_timeout, 1)
        _range("--baseline-time", baseline_time, 0.05, 600)
        body: dict = {}
        if extra_body:
            try:
                body = json.loads(extra_body)
            except json.JSONDecodeError as e:
                raise UserError(f"--extra-body is not valid JSON ({e.msg} at character {e.pos})") from None
            if not isinstance(body, dict):
                raise UserError("--extra-body must be a JSON object")
        client = ClientConfig(
            model=model or "gpt-4.1-nano", base_url=base_url, api_key_env=api_key_env,
            reasoning_effort=reasoning_effort, temperature=temperature, max_tokens=max_tokens,
            timeout_s=request_timeout, max_attempts=retries, stream=stream, extra_body=body, price_in=price_in,
            price_out=price_out, rate_limit_delay_s=rate_limit_delay, concurrency=max_workers,
            price_provider=price_provider, baseline_time_s=baseline_time,
        )
        if model is None and base_url is None and api_key_env is None and resolve_api_key(client) is None:
            client.model = "baseline"
            console.print("No --model and no OPENAI_API_KEY found: running the offline `baseline` model "
                          "(set OPENAI_API_KEY, or pass --model/--base-url, to run a language model).")
        config = RunConfig(
            dataset=dataset, subset=subset, data_dir=data_dir, limit=limit, max_turns=max_turns, mode=mode,
            max_workers=max_workers, repeat_runs=repeat_runs, stop_when=stop_when, exec_timeout_s=exec_timeout,
            exec_memory_mb=exec_memory, output_dir=output_dir, quiet=quiet, client=client,
        )
        directory = Path(run_dir) if run_dir else default_run_dir(config)
        if (directory / "config.json").exists():
            raise UserError(f"{directory} already holds a run: use --resume {directory} to finish it, or another "
                            "--run-dir")

    chat = make_model(config.client)  # resolves the key itself; one line naming the variable when there is none
    if config.leaky:
        console.print("[bold red]--stop-when test-correct reads test outputs to decide when to stop: this run is "
                      "LEAKY and its score is not an honest measurement.[/bold red]")
    console.print(f"Run directory: {_shown(directory)}", markup=False)
    try:
        result = asyncio.run(run(config, chat, directory, console, tasks))
    except KeyboardInterrupt:
        console.print(f"[yellow]Interrupted.[/yellow] Finish it with: arcbench run --resume "
                      f"{_shown(directory, markup=True)}")
        raise typer.Exit(1) from None
    for i, s in enumerate(result.summaries, 1):
        title = "SUMMARY" if len(result.summaries) == 1 else f"SUMMARY run {i}"
        console.print(summary_table(s, title))
    if result.aggregate is not None:
        console.print(aggregate_table(result.aggregate))
    console.print(f"Logs: {_shown(directory)}", markup=False)
