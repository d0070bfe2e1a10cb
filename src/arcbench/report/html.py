"""The HTML run report: one self-contained file (inline CSS and JS, no network), built by pure functions.

Everything a model wrote is untrusted text and is escaped on the way in (`_e`); the only markup is ours. Grids are
emitted as `data-grid` strings and drawn into cells by the inline script when a task is opened, which keeps the
file small for runs of hundreds of tasks.
"""

from __future__ import annotations

import base64
import json
import re
from html import escape
from importlib.resources import files
from string import Template
from typing import Any

from arcbench.data.types import Grid, grid_shape
from arcbench.prompts.grids import shape_text
from arcbench.report.curve_charts import caption, svg
from arcbench.report.curves import AnytimeCurve, curve_of_logs, table_points
from arcbench.report.highlight import highlight_python
from arcbench.report.palette import ARC_COLORS
from arcbench.report.rundir import LoadedRun
from arcbench.report.terminal import money, token_total
from arcbench.run.config import SavedConfig
from arcbench.run.records import Aggregate, RunSummary, Stat, TaskLog
from arcbench.run.summary import summarize
from arcbench.scoring import AttemptScore
from arcbench.solve import ToolCallRecord, Turn

STATUSES = ("solved", "partly", "unsolved", "api-failure", "unscored", "in-progress", "budget-exhausted")
"""Task statuses in the task table: every test input right, some right, none right, ended on a failed model call,
no test outputs to score against, not finished."""
_STATUS_LABEL = {"solved": "solved", "partly": "partly", "unsolved": "unsolved", "api-failure": "API failure",
                 "unscored": "unscored", "in-progress": "in progress", "budget-exhausted": "budget exhausted"}
_FENCE = re.compile(r"```[^\n]*\n[\s\S]*?(?:```|\Z)")

Expected = dict[str, list[Grid] | None]
_NA = "expected output not available"


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _asset(name: str) -> str:
    return (files("arcbench.report") / "assets" / name).read_text(encoding="utf-8")


def task_status(log: TaskLog) -> str:
    """One of STATUSES."""
    if log.status == "api_failure":
        return "api-failure"
    if log.status == "budget_exhausted":
        return "budget-exhausted"
    if log.score is None:
        return "in-progress" if log.status == "in_progress" else "unscored"
    if log.score.fully_solved:
        return "solved"
    return "partly" if log.score.score > 0 else "unsolved"


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def _usd(x: float | None) -> str:
    return money(x)


def _num(x: float | int | None) -> str:
    return "" if x is None else repr(x)


def _badge(status: str) -> str:
    return f'<span class="badge st-{status}">{_e(_STATUS_LABEL[status])}</span>'


# ---------------------------------------------------------------- grids


def _grid(grid: Grid | None, caption: str = "", mark: str = "", missing: str = "not available") -> str:
    """A grid as a figure; `mark` is "right", "wrong" or "" (frame colour)."""
    cap = f"<figcaption>{_e(caption)}</figcaption>" if caption else ""
    if grid is None:
        return f'<figure><div class="na">{_e(missing)}</div>{cap}</figure>'
    data = "|".join("".join(str(v) if isinstance(v, int) and 0 <= v <= 9 else "x" for v in row) for row in grid)
    r, c = grid_shape(grid)
    cls = f"grid {mark}".strip()
    return f'<figure><div class="{cls}" data-grid="{_e(data)}" title="{r}x{c}"></div>{cap}</figure>'


def _failure(text: str, caption: str = "") -> str:
    cap = f"<figcaption>{_e(caption)}</figcaption>" if caption else ""
    short = text if len(text) <= 2000 else text[:2000] + "…"
    return f'<figure><div class="failbox">{_e(short)}</div>{cap}</figure>'


def _palette_css() -> str:
    cells = "".join(f".c{i}{{background:{c}}}" for i, c in enumerate(ARC_COLORS))
    return cells + ".cx{background:repeating-linear-gradient(45deg,#fff 0 2px,#f0f 2px 4px)}"


# ---------------------------------------------------------------- config, summary, aggregate


def _settings(data: dict[str, Any]) -> list[tuple[str, Any]]:
    """A run config's settings by their own names (`model`, not `client.model`: no name is used twice), leaving
    out those not set."""
    out: list[tuple[str, Any]] = []
    for k, v in data.items():
        if isinstance(v, dict) and k == "client":
            out.extend(_settings(v))
        elif v is not None and v != {} and v != []:
            out.append((k, v))
    return out


def _config_html(config: SavedConfig | None) -> str:
    """The configuration, folded: one line of what matters most, the settings on opening it."""
    if config is None:
        return '<p class="muted">config.json is missing.</p>'
    c = config.config
    cap = c.client.max_tokens or c.client.default_max_tokens
    gist = " · ".join(x for x in (
        f"{c.client.model}" + (f" at {c.client.base_url}" if c.client.base_url else ""),
        f"{c.dataset} / {c.subset}",
        f"{c.mode}, {c.max_turns} turn{'s' if c.max_turns != 1 else ''}, stop {c.stop_when}",
        f"effort {c.client.reasoning_effort}" if c.client.reasoning_effort else "",
        f"max {cap:,} tokens" if cap else "") if x)
    rows = [(k, v) for k, v in _settings(c.model_dump(mode="json"))]
    rows += [("tasks", len(config.task_ids)), ("arcbench_version", config.arcbench_version),
             ("template_hash", config.template_hash), ("created_at", config.created_at)]
    body = "".join(f"<tr><td>{_e(k)}</td><td>{_e(v if isinstance(v, str) else json.dumps(v))}</td></tr>"
                   for k, v in rows)
    return (f'<details class="fold config"><summary>Configuration: {_e(gist)}</summary>'
            f'<table class="kv">{body}</table></details>')


def _card(key: str, value: str, title: str = "") -> str:
    t = f' title="{_e(title)}"' if title else ""
    return f'<div class="card"{t}><div class="v">{_e(value)}</div><div class="k">{_e(key)}</div></div>'


def _summary_html(s: RunSummary, computed: bool) -> str:
    note = ('<p class="muted">summary.json is missing (the run has not finished?): these figures are computed from '
            "the task logs written so far.</p>") if computed else ""
    cost = _usd(s.total_cost) + ("" if s.cost_known else " (partial)")
    cards = [
        _card("score (pass@2)", _pct(s.score), "mean over scored tasks of solved test inputs / test inputs"),
        _card("tasks fully solved", f"{s.tasks_fully_solved} / {s.scored_tasks}"),
        _card("pixel accuracy", _pct(s.pixel_accuracy)),
        _card("solved on turn 1", str(s.turn1_solved)),
        _card("API failures", str(s.api_failures), "tasks that ended on a failed model call"),
        _card("timeout failures", str(s.timeout_failures)),
        _card("turns", str(s.total_turns),
              f"answers from {s.calls:,} model calls" if s.calls not in (0, s.total_turns) else ""),
        _card("total tokens", token_total(s.total_tokens, s.calls_without_usage, s.calls - s.failed_calls),
              "" if s.tokens_known else "some calls reported no token counts: they are not in the total"),
        _card("cost", cost, "" if s.cost_known else "some calls had no known price; the total covers priced calls"),
        _card("wall time", f"{s.wall_time_s:.0f} s"),
    ]
    if s.executions or s.executions_saved:
        cards.append(_card("programs run", f"{s.executions:,} ({s.executions_saved:,} reused)",
                           "duplicates (the same program after normalisation) reused a run's results and still voted"))
    if s.tokens_unknown:
        counts = "tokens unknown: the server reported no token counts"
    else:
        counts = (f"tokens: prompt {s.prompt_tokens:,} · completion {s.completion_tokens:,} (reasoning "
                  f"{s.reasoning_tokens:,}) · total {s.total_tokens:,}"
                  + ("" if s.tokens_known else f" · {s.calls_without_usage} call(s) reported no token counts and "
                     "are not counted"))
    tokens = f'<p class="muted">{counts} · tasks {s.total_tasks} (scored {s.scored_tasks})</p>'
    if s.endpoints:
        tokens += '<p class="muted">endpoints: ' + " · ".join(
            f"{_e(e.url)}: {e.calls:,} calls answered, {e.failed_attempts:,} failed attempts, taken out {e.taken_out}x"
            for e in s.endpoints) + "</p>"
    failed = s.api_failures + s.timeout_failures
    rules = (f'<p class="muted">Score: pass@2, the mean task score over the {s.scored_tasks} scored tasks. Tasks that '
             f"ended on an API failure count as 0 in the score ({failed} here; `arcbench run --resume` tries them "
             "again); repeat-run aggregates leave them out instead.</p>")
    return note + f'<div class="cards">{"".join(cards)}</div>' + tokens + rules


def _stat_row(name: str, s: Stat) -> str:
    return (f"<tr><td>{_e(name)}</td><td class='num'>{_pct(s.mean)}</td><td class='num'>{_pct(s.std)}</td>"
            f"<td class='num'>{_pct(s.ci95_low)} – {_pct(s.ci95_high)}</td><td class='num'>{s.n}</td></tr>")


def _aggregate_html(agg: Aggregate) -> str:
    stats = (f"<table><thead><tr><th>metric</th><th class='num'>mean</th><th class='num'>std</th>"
             f"<th class='num'>95% CI</th><th class='num'>runs</th></tr></thead><tbody>"
             f"{_stat_row('turn-1 success', agg.turn1_success)}{_stat_row('all-turns success', agg.all_turns_success)}"
             f"{_stat_row('score', agg.score)}</tbody></table>")
    keys: list[str] = []
    for row in agg.per_run:
        keys.extend(k for k in row if k not in keys)
    head = "".join(f"<th>{_e(k)}</th>" for k in keys)
    body = "".join(
        "<tr>" + "".join(f"<td class='num'>{_e(_fmt_cell(k, row.get(k)))}</td>" for k in keys) + "</tr>"
        for row in agg.per_run
    )
    per_run = f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    return (f"<p>{agg.runs} runs; tasks that ended on an API failure are left out of numerator and denominator here "
            f"(each run's own score counts them as 0).</p>{stats}"
            f"<h3>Per run</h3>{per_run}")


def _fmt_cell(key: str, v: object) -> str:
    if isinstance(v, float) and ("success" in key or key == "score"):
        return _pct(v)
    return "" if v is None else str(v)


# ---------------------------------------------------------------- anytime curves


def _curves_html(curve: AnytimeCurve) -> str:
    """Score against samples and against cost, as inline SVG, and the same at k = 1, 2, 4, ... in a table."""
    spend = "cost" if curve.cost_known else "tokens"
    head = "".join(f"<th class='num'>{h}</th>" for h in ("k", "pass@2", "95% of orders", "pass@k", spend)
                   if curve.random_orders or h != "95% of orders")
    rows = "".join(
        f"<tr><td class='num'>{p.k}</td><td class='num'>{_pct(p.pass2)}</td>"
        + (f"<td class='num'>{_pct(p.pass2_low)} – {_pct(p.pass2_high)}</td>" if curve.random_orders else "")
        + f"<td class='num'>{_pct(p.pass_at_k)}</td><td class='num'>"
        + (_usd(p.cost_usd) if curve.cost_known else f"{p.tokens:,.0f}") + "</td></tr>"
        for p in table_points(curve))
    return (f'<div class="curves"><p class="muted">{_e(caption(curve))}. pass@2 after k samples: the attempts the run '
            "would have chosen from each task's first k samples, scored; pass@k: the unbiased estimate that some one "
            "of k samples solves the task (every test input right). Cost: the expected spend of those samples.</p>"
            f'<div class="charts">{svg(curve, "samples")}{svg(curve, "cost")}</div>'
            f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div>")


# ---------------------------------------------------------------- task table


def _task_row(log: TaskLog, target: str) -> str:
    st = task_status(log)
    score = log.score.score if log.score else None
    px = log.score.pixel_accuracy if log.score else None
    cells = [
        f'<td data-v="{_e(log.task_id)}"><a href="#{target}">{_e(log.task_id)}</a></td>',
        f'<td data-v="{STATUSES.index(st)}">{_badge(st)}</td>',
        f'<td class="num" data-v="{_num(score)}">{_pct(score)}</td>',
        f'<td class="num" data-v="{_num(px)}">{_pct(px)}</td>',
        f'<td class="num" data-v="{len(log.turns)}">{len(log.turns)}</td>',
        f'<td class="num" data-v="{log.usage.total_tokens}">{_task_tokens(log)}</td>',
        f'<td class="num" data-v="{_num(log.cost_usd)}">{_usd(log.cost_usd)}</td>',
        f"<td>{_e(log.stop_reason)}</td>",
    ]
    return f'<tr data-status="{st}" data-id="{_e(log.task_id)}" data-target="{target}">{"".join(cells)}</tr>'


def _task_tokens(log: TaskLog) -> str:
    calls = sum(t.error_kind is None for t in log.turns)
    return token_total(log.usage.total_tokens, log.usage.unreported, calls)


def _task_table(logs: list[TaskLog], targets: list[str], prefix: str) -> str:
    counts = {s: 0 for s in STATUSES}
    for log in logs:
        counts[task_status(log)] += 1
    checks = "".join(
        f'<label><input type="checkbox" class="status" value="{s}" checked> {_badge(s)} {counts[s]}</label>'
        for s in STATUSES if counts[s]
    )
    heads = [("task", "id", "str"), ("status", "status", "num"), ("score", "score", "num"),
             ("pixel acc", "px", "num"), ("turns", "turns", "num"), ("tokens", "tokens", "num"),
             ("cost", "cost", "num"), ("stop reason", "stop", "str")]
    th = "".join(
        f'<th data-key="{k}" data-type="{t}"{" class=num" if t == "num" and k != "status" else ""}>{_e(n)}</th>'
        for n, k, t in heads
    )
    rows = "".join(_task_row(log, t) for log, t in zip(logs, targets, strict=True))
    return (f'<div class="tasktable" id="{prefix}table"><div class="controls">'
            f'<input type="search" class="search" placeholder="filter by task id" aria-label="filter by task id">'
            f'{checks}<span class="count muted"></span></div>'
            f'<table class="tasks"><thead><tr>{th}</tr></thead><tbody>{rows}</tbody></table></div>')


# ---------------------------------------------------------------- one task


def _mark(score: AttemptScore | None) -> str:
    if score is None:
        return ""
    return "right" if score.correct else "wrong"


def _verdict(score: AttemptScore | None) -> str:
    if score is None:
        return ""
    return ("right" if score.correct else "wrong") + f" · px {_pct(score.pixel_accuracy)}"


def _task_grids(log: TaskLog, expected: list[Grid] | None) -> str:
    pairs = []
    for i, p in enumerate(log.train):
        gin, gout = p.get("input"), p.get("output")
        pairs.append(f'<div class="pair">{_grid(gin, f"train {i + 1} in {shape_text(gin)}")}'
                     f'<span class="arrow">→</span>{_grid(gout, f"out {shape_text(gout)}")}</div>')
    tests = []
    for i, g in enumerate(log.test_inputs):
        exp = _at(expected, i)
        tests.append(f'<div class="pair">{_grid(g, f"test {i + 1} in {shape_text(g)}")}<span class="arrow">→</span>'
                     f'{_grid(exp, f"expected {shape_text(exp)}", missing="expected output not available")}</div>')
    return (f'<h4>Training pairs</h4><div class="pairs">{"".join(pairs)}</div>'
            f'<h4>Test inputs</h4><div class="pairs">{"".join(tests)}</div>')


def _at(items: list[Any] | None, i: int) -> Any:
    return items[i] if items is not None and 0 <= i < len(items) else None


def _attempts(log: TaskLog, expected: list[Grid] | None, mode: str = "") -> str:
    if not log.test_inputs:
        return ""
    blocks = []
    for i in range(len(log.test_inputs)):
        chosen = _at(log.attempts, i) or []
        test_score = _at(log.score.tests, i) if log.score else None
        figs = [_grid(_at(expected, i), f"expected {shape_text(_at(expected, i))}",
                      missing="expected output not available")]
        for j in range(2):
            src = _at(chosen, j)
            sc = _at(test_score.attempts, j) if test_score else None
            if src is None:
                figs.append(f'<figure><div class="na">no attempt {j + 1}</div></figure>')
                continue
            turns = ", ".join(str(t + 1) for t in src.turns)
            voters = "expert(s)" if mode == "refine" else "vote(s)"
            cap = (f"attempt {j + 1} {shape_text(src.output)} · {_verdict(sc) or 'not scored'} · turns {turns} · "
                   f"train {src.train_solved} solved · {src.votes} {voters}" + (" · hard-coded" if src.hardcoded
                                                                                 else ""))
            figs.append(_grid(src.output, cap, _mark(sc)))
        verdict = ""
        if test_score is not None:
            verdict = '<span class="ok-mark">solved</span>' if test_score.solved else '<span class="bad-mark">not ' \
                                                                                     'solved</span>'
        blocks.append(f'<div class="example"><div class="label">test {i + 1} {verdict}</div>'
                      f'<div class="pairs">{"".join(figs)}</div></div>')
    return f'<h4>Attempts</h4><div class="examples">{"".join(blocks)}</div>'


def _rationale(turn: Turn) -> str:
    """The answer with its code blocks taken out (the code is shown highlighted below)."""
    text = _FENCE.sub("[code below]", turn.response) if turn.code else turn.response
    return text.strip()


_PHASE_LABEL = {"sample": "sample", "feedback": "feedback", "restart": "restart after repeats",
                "generalise": "generalisation check", "refine": "refinement", "tools": "tool use"}


def _where(turn: Turn, mode: str) -> str:
    if mode == "refine":
        return f"expert {turn.sample + 1}, iteration {turn.turn_in_sample}"
    if mode == "tools":
        return f"step {turn.turn_in_sample}"
    return f"sample {turn.sample + 1}, turn {turn.turn_in_sample}"


def _flags(turn: Turn) -> str:
    flags = []
    if turn.hardcoded:
        flags.append(f'<span class="flag warn" title="{_e(turn.hardcoded_reason)}">hard-coded: '
                     f"{_e(turn.hardcoded_reason)}</span>")
    if turn.repeat_of is not None:
        flags.append(f'<span class="flag">training outputs repeat turn {turn.repeat_of + 1}</span>')
    return "".join(flags)


def _image(png: bytes, alt: str) -> str:
    url = "data:image/png;base64," + base64.b64encode(png).decode()
    return f'<img class="sent" src="{_e(url)}" alt="{_e(alt)}">'


def _tool_call(call: ToolCallRecord) -> str:
    try:
        args = json.loads(call.arguments) if call.arguments.strip() else {}
    except ValueError:
        args = None
    code = args.get("code") if isinstance(args, dict) else None
    state = ('<span class="ok-mark">ran</span>' if call.ok else '<span class="bad-mark">error</span>') \
        if call.name == "run_python" else ('<span class="ok-mark">run</span>' if call.ok else
                                           '<span class="bad-mark">not run</span>')
    replayed = ' · <span class="muted">result replayed from the log on resume</span>' if call.replayed else ""
    body = (f'<pre class="code">{highlight_python(code)}</pre>' if isinstance(code, str)
            else f"<pre>{_e(call.arguments)}</pre>")
    return (f'<div class="tool"><div class="label"><b>{_e(call.name)}</b> {state} '
            f'<span class="muted">· {call.duration_s:.2f} s</span>{replayed}</div>{body}'
            f'<details class="fold" open><summary>result ({len(call.result):,} chars)</summary>'
            f"<pre>{_e(call.result)}</pre></details></div>")


def _descriptions(turn: Turn) -> str:
    if not turn.descriptions:
        return ""
    rows = "".join(f"<tr><td>train {d.index + 1}</td><td>{_e(d.input or '–')}</td><td>{_e(d.expected or '–')}</td>"
                   f"<td>{_e(d.produced or '–')}</td></tr>" for d in turn.descriptions)
    return ("<h4>Grid descriptions</h4><table class='desc'><thead><tr><th></th><th>describe_input(input)</th>"
            "<th>describe_output(expected)</th><th>describe_output(produced)</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>")


def _turn_html(log: TaskLog, turn: Turn, expected: list[Grid] | None, images: list[bytes] | None = None,
               mode: str = "") -> str:
    confirmed = turn.phase == "generalise" and turn.code is None and bool(turn.code_note)
    failed = turn.error_kind is not None or (turn.code is None and not turn.tool_calls and not confirmed)
    u = turn.usage
    head = (f'<div class="head">Turn {turn.index + 1} <span class="muted">· {_e(_where(turn, mode))} · '
            f"{_e(_PHASE_LABEL.get(turn.phase, turn.phase))}</span> {_flags(turn)}</div>")
    counts = ("tokens: unknown (no usage reported)" if not u.known else
              f"tokens: prompt {u.prompt_tokens:,} · completion {u.completion_tokens:,} (reasoning "
              f"{u.reasoning_tokens:,})")
    meta = (f'<div class="meta">{counts} · cost {_usd(turn.cost_usd)} · latency {turn.latency_s:.1f} s'
            + (f" · train solved {turn.train_solved}/{turn.train_total} · train px {_pct(turn.train_pixel_accuracy)}"
               if turn.train_total else "") + "</div>")
    parts = [head, meta]
    if turn.truncated:
        parts.append(f'<div class="warnbox">reply cut off at the token limit ({u.completion_tokens:,} tokens): what '
                     "follows is all the model wrote before the cut</div>")
    gallery = ""
    if images:
        gallery = (f'<div class="gallery"><div class="muted">{len(images)} image(s) sent with this message, in '
                   f'order (each [image] above):</div>{"".join(_image(p, "grid image") for p in images)}</div>')
    parts.append(f'<details class="fold"><summary>message sent ({len(turn.user_message):,} chars'
                 f'{f", {len(images)} image(s)" if images else ""})</summary>'
                 f"<pre>{_e(turn.user_message)}</pre>{gallery}</details>")
    if turn.error_kind is not None:
        parts.append(f'<div class="failbox">model call failed ({_e(turn.error_kind)}): {_e(turn.error_message)}</div>')
    rationale = _rationale(turn)
    if rationale:
        parts.append(f"<h4>Rationale</h4><pre>{_e(rationale)}</pre>")
    if turn.reasoning:
        parts.append(f'<details class="fold"><summary>reasoning ({len(turn.reasoning):,} chars)</summary>'
                     f"<pre>{_e(turn.reasoning)}</pre></details>")
    if turn.tool_calls:
        parts.append(f"<h4>Tool calls ({len(turn.tool_calls)})</h4>"
                     + "".join(_tool_call(c) for c in turn.tool_calls))
    if turn.code is not None:
        note = f" · {turn.code_note}" if turn.code_note else ""
        # The note names functions (`transform_grid`): kept out of the heading, shown as written.
        parts.append(f'<h4>Code</h4><p class="muted note">from the {_e(turn.code_source or "answer")}{_e(note)}</p>'
                     f'<pre class="code">{highlight_python(turn.code)}</pre>')
    elif turn.error_kind is None and confirmed:
        parts.append(f'<div class="note">{_e(turn.code_note)}</div>')
    elif turn.error_kind is None and not turn.tool_calls:
        parts.append(f'<div class="failbox">no program: {_e(turn.code_note or "no code in the answer")}</div>')
    if turn.code is not None and turn.error_kind is None:
        parts.append(_execution(log, turn, expected))
        parts.append(_descriptions(turn))
    if turn.feedback:
        parts.append(f'<details class="fold"><summary>feedback sent ({len(turn.feedback):,} chars)</summary>'
                     f"<pre>{_e(turn.feedback)}</pre></details>")
    cls = "turn err" if failed else ("turn ok" if turn.all_train_correct else "turn")
    return f'<div class="{cls}">{"".join(parts)}</div>'


def _execution(log: TaskLog, turn: Turn, expected: list[Grid] | None) -> str:
    from arcbench.report.plots import turn_test_scores

    blocks = []
    for r in turn.train:
        exp = _at(log.train, r.index)
        exp_grid = exp.get("output") if exp else None
        if r.output is not None:
            got = _grid(r.output, f"produced {shape_text(r.output)} · px {_pct(r.pixel_accuracy)}",
                        "right" if r.correct else "wrong")
        else:
            got = _failure(f"{r.error or 'no output'}: {r.message}", "failed")
        mark = '<span class="ok-mark">✓</span>' if r.correct else '<span class="bad-mark">✗</span>'
        blocks.append(f'<div class="example"><div class="label">train {r.index + 1} {mark} '
                      f'<span class="muted">{r.duration_s * 1000:.0f} ms</span></div><div class="pairs">'
                      f'{_grid(exp_grid, f"expected {shape_text(exp_grid)}")}{got}</div></div>')
    scores = turn_test_scores(turn, expected)
    for r in turn.test:
        sc = _at(scores, r.index)
        exp_grid = _at(expected, r.index)
        if r.output is not None:
            got = _grid(r.output, f"produced {shape_text(r.output)}" + (f" · {_verdict(sc)}" if sc else ""), _mark(sc))
        else:
            got = _failure(f"{r.error or 'no output'}: {r.message}", "failed")
        blocks.append(f'<div class="example"><div class="label">test {r.index + 1} '
                      f'<span class="muted">{r.duration_s * 1000:.0f} ms · scored after the task ended</span></div>'
                      f'<div class="pairs">{_grid(exp_grid, f"expected {shape_text(exp_grid)}", missing=_NA)}'
                      f"{got}</div></div>")
    return f'<h4>Execution</h4><div class="examples">{"".join(blocks)}</div>'


def _experts(log: TaskLog) -> str:
    """refine: one row per expert: its iterations, its best program's training results, and what became of it."""
    experts: dict[int, list[Turn]] = {}
    for t in log.turns:
        experts.setdefault(t.sample, []).append(t)
    chosen = {i for at in log.attempts for a in at for i in a.turns}
    rows = []
    for k in sorted(experts):
        turns = experts[k]
        best = max((t for t in turns if t.train_total), key=lambda t: (t.train_solved, t.train_pixel_accuracy),
                   default=None)
        best_text = (f"{best.train_solved}/{best.train_total} (turn {best.index + 1})" if best else "–")
        picked = ", ".join(str(t.index + 1) for t in turns if t.index in chosen) or "–"
        rows.append(f"<tr><td>expert {k + 1}</td><td class='num'>{len(turns)}</td><td>{_e(best_text)}</td>"
                    f"<td class='num'>{sum(t.hardcoded for t in turns)}</td><td>{_e(picked)}</td></tr>")
    return ("<h4>Experts</h4><table><thead><tr><th></th><th class='num'>calls</th><th>best training result</th>"
            "<th class='num'>hard-coded programs</th><th>turns behind the attempts</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


def _task_html(log: TaskLog, expected: list[Grid] | None, target: str, images: dict[str, list[bytes]] | None = None,
               mode: str = "") -> str:
    st = task_status(log)
    score = f" · score {_pct(log.score.score)}" if log.score else ""
    summary = (f"<summary><b>{_e(log.task_id)}</b> {_badge(st)}{score} · {len(log.turns)} turn(s) · "
               f"{_task_tokens(log)} tokens · {_usd(log.cost_usd)}</summary>")
    meta = (f'<p class="muted">stop reason: {_e(log.stop_reason or "–")} · API failures {log.api_failures} · '
            f"timeouts {log.timeout_failures} · started {_e(log.started_at or '–')} · "
            f"finished {_e(log.finished_at or '–')}</p>")
    sent = images or {}
    turns = "".join(_turn_html(log, t, expected, sent.get(t.call_id), mode) for t in log.turns) or \
        '<p class="muted">no turns</p>'
    experts = _experts(log) if mode == "refine" and log.turns else ""
    body = meta + _task_grids(log, expected) + _attempts(log, expected, mode) + experts + f"<h4>Turns</h4>{turns}"
    return (f'<details class="task" id="{target}" data-status="{st}">{summary}'
            f'<div class="body">{body}</div></details>')


# ---------------------------------------------------------------- page


def _run_section(run: LoadedRun, expected: Expected, prefix: str, title: str | None, after_summary: str = "") -> str:
    logs = list(run.tasks.values())
    targets = [f"{prefix}t{i}" for i in range(len(logs))]
    summary = run.summary
    computed = summary is None
    if summary is None:
        summary = summarize(logs, leaky=run.leaky, wall_time_s=0.0)
    heading = f"<h2>{_e(title)}</h2>" if title else ""
    leaky = ('<div class="banner">This run used the leaky stop rule test-correct: it read test labels, so its score '
             "is not an honest measurement.</div>") if summary.leaky else ""
    mode = run.config.config.mode if run.config else ""
    details = "".join(_task_html(log, expected.get(log.task_id), t, run.images, mode)
                      for log, t in zip(logs, targets, strict=True))
    curve = curve_of_logs(logs, run.config.config if run.config else None, expected)
    curves = (f"<h3>Score after k samples per task</h3>{_curves_html(curve)}"
              if curve is not None and curve.samples_max > 1 else "")
    return (f'<section class="run" id="{prefix}run">{heading}{leaky}<h3>Summary</h3>'
            f"{_summary_html(summary, computed)}{after_summary}{curves}<h3>Tasks ({len(logs)})</h3>"
            f"{_task_table(logs, targets, prefix)}"
            f'<div class="buttons"><button class="expand" type="button">open all shown</button>'
            f'<button class="collapse" type="button">close all</button></div>{details}</section>')


def render_report(run: LoadedRun, expected: Expected) -> str:
    """The whole report page for a run directory (single or repeat). `expected` maps task ids to test outputs
    (None where not available); it is only drawn, never used to pick anything."""
    title = f"arcbench report · {run.name}"
    c = run.config.config if run.config else None
    sub = " · ".join(_e(x) for x in ((c.client.model, c.dataset, c.subset) if c else ()) if x)
    parts = [f"<header><h1>{_e(title)}</h1><p class='muted'>{sub}</p></header>"]
    if run.leaky:
        parts.append('<div class="banner">leaky run: the stop rule read test labels.</div>')
    # The numbers first; the configuration, folded, right after them (its one-line gist is under the title).
    if run.is_repeat:
        parts.append("<h2>Repeat runs</h2>")
        parts.append(_aggregate_html(run.aggregate) if run.aggregate else
                     '<p class="muted">aggregate.json is missing (the runs have not all finished?).</p>')
        parts.append(_config_html(run.config))
        parts.extend(_run_section(r, expected, f"r{k}", r.path.name) for k, r in enumerate(run.repeats, 1))
    else:
        parts.append(_run_section(run, expected, "r0", None, after_summary=_config_html(run.config)))
    return Template(_asset("report.html")).substitute(
        title=_e(title), css=_asset("report.css") + _palette_css(), js=_asset("report.js"), body="\n".join(parts))
