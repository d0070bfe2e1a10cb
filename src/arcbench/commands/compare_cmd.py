"""`arcbench compare`: run directories side by side, with paired tests on the tasks they share."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.text import Text

from arcbench.commands.shared import out
from arcbench.errors import UserError
from arcbench.inert import inert
from arcbench.llm.pricing import usd

if TYPE_CHECKING:
    from arcbench.report.compare import Comparison, ConfigStats, Value


def _cell(text: str) -> Text:
    """Run names, model names and task ids come from files: shown as one inert line."""
    return Text(inert(text, single_line=True))


def _fmt(v: Value, kind: str) -> str:
    if v.mean is None:
        return "unknown" if kind in ("usd", "tokens") else "–"
    if kind == "tokens":
        kind = "int"

    def one(x: float) -> str:
        if kind == "pct":
            return f"{100 * x:.1f}%"
        if kind == "usd":
            return usd(x)
        if kind == "int":
            return f"{x:,.0f}" if v.ci95_low is None else f"{x:,.1f}"
        return f"{x:.2f}"

    text = one(v.mean)
    if v.ci95_low is not None and v.ci95_high is not None and v.ci95_high > v.ci95_low:
        text += f" ± {one((v.ci95_high - v.ci95_low) / 2)}"
    return text


def _partial(text: str, known: bool) -> str:
    """A total that covers only some calls says so; an unknown one is just unknown."""
    return text if known or text == "unknown" else f"{text} (partial)"


def _tables(c: Comparison) -> list[Table]:
    side = Table(title="configurations (repeat runs: mean ± 95% CI half-width)")
    side.add_column("")
    for cfg in c.configs:
        side.add_column(_cell(cfg.label or cfg.name), justify="right")
    rows: list[tuple[str, list[str]]] = [
        ("model", [cfg.model or "?" for cfg in c.configs]),
        ("mode", [cfg.mode or "?" for cfg in c.configs]),
        ("dataset / subset", [f"{cfg.dataset or '?'} / {cfg.subset or '?'}" for cfg in c.configs]),
        ("runs", [str(cfg.runs) for cfg in c.configs]),
        ("tasks (scored)", [f"{cfg.tasks} ({_fmt(cfg.scored_tasks, 'int')})" for cfg in c.configs]),
        ("score (pass@2)", [_fmt(cfg.score, "pct") for cfg in c.configs]),
        ("tasks solved", [_fmt(cfg.solved, "int") for cfg in c.configs]),
        ("pixel accuracy", [_fmt(cfg.pixel_accuracy, "pct") for cfg in c.configs]),
        ("API/timeout failures", [_fmt(cfg.api_failures, "int") for cfg in c.configs]),
        ("turns", [_fmt(cfg.turns, "int") for cfg in c.configs]),
        ("turns per task", [_fmt(cfg.turns_per_task, "num") for cfg in c.configs]),
        ("tokens", [_partial(_fmt(cfg.tokens, "tokens"), cfg.tokens_known) for cfg in c.configs]),
        ("cost", [_partial(_fmt(cfg.cost_usd, "usd"), cfg.cost_known) for cfg in c.configs]),
        ("cost per solved task", [_fmt(cfg.cost_per_solved, "usd") for cfg in c.configs]),
    ]
    for label, cells in rows:
        side.add_row(label, *[_cell(x) for x in cells])
    if any(cfg.finetune for cfg in c.configs):
        side.add_row("fine-tune job", *[_cell(cfg.finetune.job_id if cfg.finetune else "–") for cfg in c.configs])
        side.add_row("fine-tune data", *[_cell(Path(cfg.finetune.training_data).name if cfg.finetune else "–")
                                         for cfg in c.configs])
    if any(cfg.leaky for cfg in c.configs):
        side.add_row(Text("leaky (read test labels)", style="red"),
                     *[Text("yes" if cfg.leaky else "no", style="red" if cfg.leaky else "") for cfg in c.configs])

    pairs = Table(title="paired comparison on tasks in common (McNemar exact test, two-sided)")
    for col in ("pair", "common", "both", "only 1st", "only 2nd", "neither", "p-value"):
        pairs.add_column(col, justify="left" if col == "pair" else "right")
    label = {cfg.name: cfg.label or cfg.name for cfg in c.configs}
    for p in c.pairs:
        pairs.add_row(_cell(label[p.a]) + Text("\nvs ") + _cell(label[p.b]), str(p.tasks_in_common),
                      str(p.both_solved), str(len(p.only_a)), str(len(p.only_b)), str(p.neither_solved),
                      f"{p.p_value:.4g}")
    curves = [cfg for cfg in c.configs if cfg.anytime is not None]
    if not any(cfg.anytime.samples_max > 1 for cfg in curves if cfg.anytime):
        return [side, pairs]
    return [side, pairs, _anytime_table(curves)]


def _anytime_table(configs: list[ConfigStats]) -> Table:
    """pass@2 after k samples per task (with the band over orders), pass@k and the spend, k = 1, 2, 4, ..."""
    from arcbench.report.curves import table_points

    table = Table(title=Text("score after k samples per task: pass@2 [middle 95% of orders] · pass@k (any of k "
                             "solves) · expected spend"))
    table.add_column("k", justify="right")
    for cfg in configs:
        table.add_column(_cell(cfg.label or cfg.name), justify="right")
    points = {cfg.name: {p.k: p for p in table_points(cfg.anytime)} for cfg in configs if cfg.anytime}
    for k in sorted({k for by_k in points.values() for k in by_k}):
        cells = []
        for cfg in configs:
            p = points[cfg.name].get(k)
            if p is None or cfg.anytime is None:
                cells.append("–")
                continue
            band = f" [{100 * p.pass2_low:.0f}–{100 * p.pass2_high:.0f}%]" if cfg.anytime.random_orders else ""
            spend = f"${p.cost_usd:.4f}" if cfg.anytime.cost_known and p.cost_usd is not None else \
                f"{p.tokens:,.0f} tok"
            cells.append(f"{100 * p.pass2:.1f}%{band} · {100 * p.pass_at_k:.1f}% · {spend}")
        table.add_row(str(k), *cells)
    return table


def compare_cmd(
    run_dirs: Annotated[list[Path], typer.Argument(help="Two or more run directories (single or repeat runs).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the comparison as JSON.")] = False,
    registry: Annotated[Path | None, typer.Option("--registry", help="Fine-tune registry where fine-tuned models "
                                                  "are looked up (default $ARCBENCH_FINETUNES, else ./finetunes)."
                                                  )] = None,
) -> None:
    """Compare configurations: score, solved, cost, tokens and turns side by side (means with 95% CIs for repeat
    runs), cost per solved task, and for each pair the tasks solved by one and not the other with McNemar's exact
    p-value."""
    from arcbench.report.compare import compare_runs
    from arcbench.report.rundir import load_run

    if len(run_dirs) < 2:
        raise UserError("compare needs at least two run directories")
    from arcbench.report.compare import FineTuneOrigin
    from arcbench.training.finetunes import origins, registry_dir

    runs = [load_run(p) for p in run_dirs]
    found = origins([r.config.config.client.model for r in runs if r.config], registry_dir(registry))
    # A label is a column header: as wide as 80 columns leave each configuration beside the row names.
    width = max(12, (out.width - 26) // len(runs) - 3)
    comparison = compare_runs(runs, {model: FineTuneOrigin(**fields) for model, fields in found.items()},
                              label_width=width)
    if as_json:
        # ASCII-only JSON: every control character, C1 ones included, is a \u escape and never reaches the terminal.
        out.print(json.dumps(comparison.model_dump(mode="json"), indent=1), markup=False, highlight=False)
        return
    for t in _tables(comparison):
        out.print(t)
    out.print("Score: pass@2, the mean task score over a run's tasks; tasks that ended on an API failure count as 0 "
              "there, and are left out of the paired comparison (and of repeat-run means of the aggregate).",
              markup=False)
    for cfg in comparison.configs:
        what = f" ({cfg.description})" if cfg.description and cfg.description != cfg.label else ""
        out.print(inert(f"{cfg.label} = {cfg.path}{what}", single_line=True), markup=False)
    label = {cfg.name: cfg.label for cfg in comparison.configs}
    for cfg in comparison.configs:
        if cfg.finetune is not None:
            f = cfg.finetune
            out.print(f"{cfg.name}: {cfg.model} was fine-tuned from {f.base_model} by job {f.job_id} ({f.kind}) on "
                      f"{f.training_data} ({f.training_examples} examples; data manifest {f.data_manifest or 'none'})"
                      f" — {f.manifest}", markup=False)
    for p in comparison.pairs:
        for who, ids in ((label[p.a], p.only_a), (label[p.b], p.only_b)):
            if ids:
                more = f" … (+{len(ids) - 20})" if len(ids) > 20 else ""
                out.print(inert(f"solved only by {who}: {' '.join(ids[:20])}{more}", single_line=True), markup=False)


def register(app: typer.Typer) -> None:
    app.command("compare")(compare_cmd)
