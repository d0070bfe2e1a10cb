"""`arcbench run`: the main job, and `--resume` to finish one."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from arcbench.commands.shared import DataDirOpt, DatasetOpt, flag_errors, given, out
from arcbench.errors import UserError
from arcbench.inert import inert


def _shown(value: object, markup: bool = False) -> str:
    """A path or model name (from a flag or a saved config) as one inert line."""
    return inert(str(value), single_line=True, markup=markup)

_FLAGS: dict[str, tuple[str, tuple[str, ...]]] = {
    # parameter: (flag, the config fields it sets)
    "dataset": ("--dataset", ("dataset",)),
    "subset": ("--subset", ("subset",)),
    "data_dir": ("--data-dir", ("data_dir",)),
    "model": ("--model", ("client.model",)),
    "base_url": ("--base-url", ("client.base_url", "client.more_base_urls")),
    "api_key_env": ("--api-key-env", ("client.api_key_env",)),
    "limit": ("--limit", ("limit",)),
    "max_turns": ("--max-turns", ("max_turns",)),
    "mode": ("--mode", ("mode",)),
    "independent_attempts": ("--independent-attempts", ("mode",)),
    "max_workers": ("--max-workers", ("max_workers", "client.concurrency")),
    "rate_limit_delay": ("--rate-limit-delay", ("client.rate_limit_delay_s",)),
    "repeat_runs": ("--repeat-runs", ("repeat_runs",)),
    "reasoning_effort": ("--reasoning-effort", ("client.reasoning_effort",)),
    "temperature": ("--temperature", ("client.temperature",)),
    "max_tokens": ("--max-tokens", ("client.max_tokens",)),
    "request_timeout": ("--request-timeout", ("client.timeout_s",)),
    "retries": ("--max-attempts", ("client.max_attempts",)),
    "stream": ("--stream", ("client.stream",)),
    "extra_body": ("--extra-body", ("client.extra_body",)),
    "price_in": ("--price-in", ("client.price_in",)),
    "price_out": ("--price-out", ("client.price_out",)),
    "price_provider": ("--price-provider", ("client.price_provider",)),
    "baseline_time": ("--baseline-time", ("client.baseline_time_s",)),
    "exec_timeout": ("--exec-timeout", ("exec_timeout_s",)),
    "exec_memory": ("--exec-memory", ("exec_memory_mb",)),
    "stop_when": ("--stop-when", ("stop_when",)),
    "output_dir": ("--output-dir", ("output_dir",)),
    "quiet": ("--quiet", ("quiet",)),
    "price_cached": ("--price-cached", ("client.price_cached",)),
    "api": ("--api", ("client.api",)),
    "max_cost": ("--max-cost", ("max_cost_usd",)),
    "est_output_tokens": ("--est-output-tokens", ("est_output_tokens",)),
    "images": ("--images", ("solve.images",)),
    "images_only": ("--images-only", ("solve.images_only",)),
    "describe_grids": ("--describe-grids", ("solve.describe_grids",)),
    "feedback": ("--feedback", ("solve.feedback",)),
    "max_repeats": ("--max-repeats", ("solve.max_repeats",)),
    "generalise_check": ("--generalise-check", ("solve.generalise_check",)),
    "experts": ("--experts", ("solve.experts",)),
    "refine_programs": ("--refine-programs", ("solve.refine_programs",)),
    "max_tool_calls": ("--max-tool-calls", ("solve.max_tool_calls",)),
    "tool_timeout": ("--tool-timeout", ("solve.tool_timeout_s",)),
    "tool_memory": ("--tool-memory", ("solve.tool_memory_mb",)),
    "executor": ("--executor", ("executor",)),
    "ray_address": ("--ray-address", ("ray_address",)),
    "samples": ("--samples", ("mode", "max_turns")),
    "n_per_request": ("--n-per-request", ("n_per_request",)),
    "parallel_requests": ("--parallel-requests", ("parallel_requests",)),
    "base_url_file": ("--base-url-file", ("client.base_url", "client.more_base_urls")),
}
_SAMPLES_PARALLEL_REQUESTS = 8
"""Requests of a task in flight at once with --samples, unless --parallel-requests says otherwise."""
_FLAG_OF_FIELD = {}
for _flag, _fields in _FLAGS.values():
    for _field in _fields:
        _FLAG_OF_FIELD.setdefault(_field, _flag)


def _extra_body(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        body = json.loads(text)
    except json.JSONDecodeError as e:
        raise UserError(f"--extra-body is not valid JSON ({e.msg} at character {e.pos})") from None
    if not isinstance(body, dict):
        raise UserError("--extra-body must be a JSON object")
    return body


def _base_urls(params: dict[str, Any]) -> list[str]:
    """The endpoints --base-url (given once or more) and --base-url-file name, in that order, each once."""
    given = params.get("base_url")
    urls = [given] if isinstance(given, str) else list(given or [])  # a sweep file may give one URL or a list
    path = params.get("base_url_file")
    if path:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise UserError(f"--base-url-file {path}: cannot read it ({e})") from None
        urls += [line.split("#", 1)[0].strip() for line in text.splitlines()]
    urls = list(dict.fromkeys(u for u in urls if u))
    if path and not urls:
        raise UserError(f"--base-url-file {path}: no URL in it (one per line; # starts a comment)")
    return urls


def _settings(params: dict[str, Any], names: set[str]) -> dict[str, Any]:
    """The config fields the named parameters set, by dotted name."""
    fields: dict[str, Any] = {}
    # --independent-attempts wins over --mode, --samples over --mode and --max-turns (contradictions are refused
    # before this; defaults are not).
    for name in sorted(names, key=lambda n: n in ("independent_attempts", "samples")):
        if name not in _FLAGS:
            continue
        value = params[name]
        if name == "independent_attempts":
            if not value:
                continue
            value = "independent"
        elif name == "extra_body":
            value = _extra_body(value)
        elif name in ("base_url", "base_url_file"):
            urls = _base_urls(params)
            fields["client.base_url"], fields["client.more_base_urls"] = (urls[0], urls[1:]) if urls else (None, [])
            continue
        elif name == "samples":
            if value is not None:
                fields["mode"], fields["max_turns"] = "independent", value
            continue
        for field in _FLAGS[name][1]:
            fields[field] = value
    return fields


def _check_samples(params: dict[str, Any], asked: set[str]) -> None:
    """--samples is a budget and a mode in one: refuse the flags that would say otherwise."""
    if params.get("samples") is None:
        return
    if "max_turns" in asked and params["max_turns"] != params["samples"]:
        raise UserError("--samples sets the budget (samples per task): give --samples or --max-turns, not both")
    if "mode" in asked and params["mode"] != "independent":
        raise UserError(f"--samples draws independent samples: it does not go with --mode {params['mode']}")


def _nested(fields: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for path, value in fields.items():
        *parents, leaf = path.split(".")
        where = data
        for p in parents:
            where = where.setdefault(p, {})
        where[leaf] = value
    return data


def run_cmd(
    ctx: typer.Context,
    dataset: DatasetOpt = "arc-agi-1",
    subset: Annotated[str, typer.Option("--subset", "-s", help="Subset name, id-list file or comma-separated ids.")] = (
        "shortest_training_10"),
    data_dir: DataDirOpt = None,
    model: Annotated[str | None, typer.Option(
        "--model", "-m", help="Model name at the endpoint (default gpt-4.1-nano; `baseline` runs the offline model). "
        "With no --model, --base-url or API key, the offline baseline runs.")] = None,
    base_url: Annotated[list[str] | None, typer.Option(
        "--base-url", help="OpenAI-compatible endpoint, e.g. https://openrouter.ai/api/v1 or http://localhost:8000/v1"
    )] = None,
    api_key_env: Annotated[str | None, typer.Option(
        "--api-key-env", help="Environment variable holding the API key (default OPENAI_API_KEY, or "
        "OPENROUTER_API_KEY for OpenRouter); a .env file in the working directory is read too.")] = None,
    limit: Annotated[int | None, typer.Option("--limit", help="Run only the first N tasks of the subset.")] = None,
    max_turns: Annotated[int, typer.Option("--max-turns", "--max_turns",
                                           help="Model calls per task (turns or samples).")] = 3,
    mode: Annotated[str, typer.Option("--mode", help="Strategy: feedback | independent | hybrid | tools | refine (a "
                                      "name in arcbench.solve.STRATEGIES).")] = "feedback",
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
    max_tokens: Annotated[int | None, typer.Option(
        "--max-tokens", "--max_tokens", help="Maximum tokens per reply (default: 4096 on a local server unless "
        "--reasoning-effort is given, else the server's own limit).")] = None,
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
    price_cached: Annotated[float | None, typer.Option(
        "--price-cached", help="$ per million cached input tokens, with --price-in and --price-out (default: "
        "cached input costs --price-in).")] = None,
    api: Annotated[str, typer.Option(
        "--api", help="chat (Chat Completions, any compatible server) | responses (OpenAI's Responses API: reasoning "
        "summaries, reasoning carried between turns).")] = "chat",
    max_cost: Annotated[float | None, typer.Option(
        "--max-cost", help="Budget in dollars for the whole run: no call starts once the spending, with the calls in "
        "flight, would pass it; unfinished tasks end as budget_exhausted (raise it with --resume).")] = None,
    est_output_tokens: Annotated[int | None, typer.Option(
        "--est-output-tokens", help="Reply tokens per call assumed by the cost estimate and the budget (default: "
        "--max-tokens, else 4000).")] = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Print the cost estimate and stop: no model call, nothing written.")] = False,
    images: Annotated[bool, typer.Option("--images", help="Send every grid also as a PNG image (task prompt and "
                                         "feedback).")] = False,
    images_only: Annotated[bool, typer.Option("--images-only", help="Send grids as PNG images only, without their "
                                              "digits.")] = False,
    describe_grids: Annotated[bool, typer.Option(
        "--describe-grids", help="Ask for describe_input/describe_output too and show what they return on every "
        "training grid in the feedback.")] = False,
    feedback: Annotated[str, typer.Option("--feedback", help="text (default) | diff: wrong outputs of the right "
                                          "shape cell by cell, wrong cells as expected/produced.")] = "text",
    max_repeats: Annotated[int | None, typer.Option(
        "--max-repeats", help="Restart a feedback conversation from a fresh sample after K turns whose training "
        "outputs repeat an earlier turn's.")] = None,
    generalise_check: Annotated[bool, typer.Option(
        "--generalise-check", help="When a program solves every training example, one more turn shows the model its "
        "test outputs and asks whether it is general; both programs stay candidates.")] = False,
    experts: Annotated[int, typer.Option("--experts", help="refine: experts working side by side.")] = 3,
    refine_programs: Annotated[int, typer.Option(
        "--refine-programs", help="refine: best programs so far shown to an expert each iteration.")] = 5,
    max_tool_calls: Annotated[int, typer.Option("--max-tool-calls", help="tools: tool calls per task.")] = 30,
    tool_timeout: Annotated[float, typer.Option(
        "--tool-timeout", help="tools: seconds for one run_python call's own code.")] = 10.0,
    tool_memory: Annotated[int, typer.Option("--tool-memory", help="tools: memory for one run_python call, MB."
                                             )] = 512,
    executor: Annotated[str, typer.Option(
        "--executor", help="Where programs run: local (this machine's sandbox) | ray (a sandbox pool on every node of "
        "a Ray cluster; needs the ray extra).")] = "local",
    ray_address: Annotated[str | None, typer.Option(
        "--ray-address", help="With --executor ray: the cluster (HOST:6379, or auto on one of its nodes); default "
        "a local Ray instance.")] = None,
    base_url_file: Annotated[str | None, typer.Option(
        "--base-url-file", help="A file of endpoints, one URL per line (# comments), added to --base-url.")] = None,
    samples: Annotated[int | None, typer.Option(
        "--samples", help="N independent samples per task (up to 10,000): --mode independent with a budget of N; "
        "--stop-when applies (never draws all N).")] = None,
    n_per_request: Annotated[int, typer.Option(
        "--n-per-request", help="Answers asked for per request when sampling (OpenAI's n; vLLM and SGLang honour "
        "it). A server that ignores or refuses it gets one request per answer.")] = 1,
    parallel_requests: Annotated[int | None, typer.Option(
        "--parallel-requests", help="Requests of one task in flight at once when sampling (default 1, or "
        f"{_SAMPLES_PARALLEL_REQUESTS} with --samples).")] = None,
) -> None:
    """Run a model on ARC tasks: it writes programs, arcbench runs and scores them, logs everything.

    With --resume, flags that only change how calls are made (--max-workers, --rate-limit-delay, --request-timeout,
    --max-attempts, --base-url, --base-url-file, --api-key-env, --stream, --parallel-requests, --quiet, --executor,
    --ray-address) or how much may be spent (--max-cost, --est-output-tokens) override the saved ones; flags that
    would change what the run measures are refused."""
    from arcbench.commands.run_display import RunDisplay, budget_lines, dollars, estimate_lines
    from arcbench.llm import resolve_api_key
    from arcbench.llm.limits import default_max_tokens
    from arcbench.providers import make_model
    from arcbench.report.terminal import aggregate_table, summary_table
    from arcbench.run.budget import Budget, estimate_cost, is_free, logged_spend
    from arcbench.run.config import FixedOnResume, RunConfig, default_run_dir, read_saved_config, resumed
    from arcbench.run.engine import run, select_tasks, tasks_for_resume

    params = ctx.params
    tasks = None
    _check_samples(params, given(ctx))
    # --samples is the budget: a bad value is named as the user spelled it.
    flag_of_field = {**_FLAG_OF_FIELD, "max_turns": "--samples"} if samples is not None else _FLAG_OF_FIELD
    if resume:
        directory = Path(resume)
        asked = given(ctx) - {"resume"}
        for name, flag in (("run_dir", "--run-dir"), ("output_dir", "--output-dir")):
            if name in asked:
                raise UserError(f"{flag} does not go with --resume: the run directory is the one --resume names")
        if "dry_run" in asked:
            raise UserError("--dry-run does not go with --resume: it estimates a new run before its first call")
        saved = read_saved_config(directory)
        changes = _settings(params, asked)
        try:
            with flag_errors(flag_of_field):
                config = resumed(saved.config, changes)
        except FixedOnResume as e:
            flag = next((_FLAGS[n][0] for n in sorted(asked) if e.field in _FLAGS.get(n, ("", ()))[1]), e.field)
            started = "without it" if e.saved in (None, {}) else f"with {e.saved!r}"
            raise UserError(f"{flag} cannot change when resuming: the run was started {started} and that decides "
                            "what it measures (start a new run instead)") from None
        tasks = tasks_for_resume(saved)
        applied = sorted({_FLAGS[n][0] for n in asked if n in _FLAGS})
        out.print(f"Resuming {_shown(directory)} ({len(tasks)} tasks, model {_shown(config.client.model)})"
                  + (f" with {', '.join(applied)} as given" if applied else ""), markup=False)
        if config.max_cost_usd is not None:
            spent, known = logged_spend(directory)
            out.print(f"Budget: ${spent:.4f}{'' if known else ' + unknown'} spent so far of the "
                      f"{dollars(config.max_cost_usd)} budget (--max-cost)", markup=False)
    else:
        fields = _settings(params, set(_FLAGS))
        fields["client.model"] = model or "gpt-4.1-nano"
        if parallel_requests is None:
            fields["parallel_requests"] = _SAMPLES_PARALLEL_REQUESTS if samples is not None else 1
        with flag_errors(flag_of_field):
            config = RunConfig.model_validate(_nested(fields))
        if model is None and config.client.base_url is None and api_key_env is None and (
                resolve_api_key(config.client) is None):
            config.client.model = "baseline"
            out.print("No --model and no OPENAI_API_KEY found: running the offline `baseline` model "
                      "(set OPENAI_API_KEY, or pass --model/--base-url, to run a language model).")
        cap = default_max_tokens(config.client)
        if cap is not None:  # recorded in config.json, so that a resumed run keeps it
            config.client.default_max_tokens = cap
            out.print(f"No --max-tokens: replies are capped at {cap:,} tokens on a local server, so that one runaway "
                      "reply cannot hold the run (--max-tokens N sets another cap; --reasoning-effort lifts it).")
        directory = Path(run_dir) if run_dir else default_run_dir(config)
        if (directory / "config.json").exists():
            raise UserError(f"{directory} already holds a run: use --resume {directory} to finish it, or another "
                            "--run-dir")
        if config.max_cost_usd is not None:
            Budget(config.max_cost_usd, config)  # a budget that cannot be kept is refused before anything runs
        tasks = select_tasks(config)
        if dry_run or not is_free(config.client):
            for line in estimate_lines(estimate_cost(config, [lt.task for lt in tasks]), config.max_cost_usd):
                out.print(_shown(line), markup=False)
        if dry_run:
            out.print("Dry run: no model called, nothing written.")
            return

    if "ray_address" in given(ctx) and config.executor != "ray":
        raise UserError("--ray-address goes with --executor ray")
    # Connection pools sized for every request that may be in flight: tasks x requests per task.
    config.client.concurrency = config.max_workers * config.parallel_requests
    chat = make_model(config.client)  # resolves the key itself; one line naming the variable when there is none
    if config.leaky:
        out.print("[bold red]--stop-when test-correct reads test outputs to decide when to stop: this run is "
                  "LEAKY and its score is not an honest measurement.[/bold red]")
    out.print(f"Run directory: {_shown(directory)}", markup=False)
    if config.executor == "ray":
        out.print(f"Programs run on the Ray cluster at {_shown(config.ray_address)}" if config.ray_address else
                  "Programs run on a local Ray instance", markup=False)
    try:
        result = asyncio.run(run(config, chat, directory, tasks, observer=RunDisplay(out, quiet=config.quiet,
                                                                             samples=config.mode != "feedback")))
    except KeyboardInterrupt:
        out.print(f"[yellow]Interrupted.[/yellow] Finish it with: arcbench run --resume "
                  f"{_shown(directory, markup=True)}")
        raise typer.Exit(1) from None
    for i, s in enumerate(result.summaries, 1):
        title = "SUMMARY" if len(result.summaries) == 1 else f"SUMMARY run {i}"
        out.print(summary_table(s, title))
    if result.aggregate is not None:
        out.print(aggregate_table(result.aggregate))
    failed = sum(s.api_failures + s.timeout_failures for s in result.summaries)
    if failed:
        out.print(f"[yellow]{failed} task(s) ended on a model call that kept failing (a server down or overloaded?): "
                  f"once it is back, `arcbench run --resume {_shown(directory, markup=True)}` tries them again, "
                  "reusing their calls that succeeded (add --base-url URL if the server moved).[/yellow]")
    out.print(f"Logs: {_shown(directory)}", markup=False)
    if result.budget is not None:
        unfinished = sum(s.budget_exhausted for s in result.summaries)
        for line in budget_lines(result.budget, unfinished, f"arcbench run --resume {_shown(directory)}"):
            out.print(line, markup=False)
        if unfinished:
            raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("run")(run_cmd)
