"""sweep.png: every configuration of a comparison as a point, score against cost per task, with 95% CI bars.

Cost per task is the run's total cost over its tasks (the mean over repeat runs, with the CI of that mean); when no
configuration has a known cost (a local model, no prices given) tokens per task stand in, and the axis says so. A
matplotlib `Figure` on the Agg canvas, no pyplot state; names are drawn as plain text (no mathtext), in a legend.
"""

from __future__ import annotations

from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from arcbench.inert import inert
from arcbench.report.compare import Comparison, Value

_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "h")
"""Hollow markers of different shapes: configurations with the same figures stay visible on top of each other."""
_COLORS = ("#0074D9", "#FF4136", "#2ECC40", "#FF851B", "#B10DC9", "#39CCCC", "#85144b", "#3D9970", "#AAAAAA",
           "#111111")


def _scaled(v: Value, per: int) -> tuple[float | None, float, float]:
    """(mean, lower error, upper error) of a value divided by `per`."""
    if v.mean is None or per <= 0:
        return None, 0.0, 0.0
    mean = v.mean / per
    low = (v.mean - v.ci95_low) / per if v.ci95_low is not None else 0.0
    high = (v.ci95_high - v.mean) / per if v.ci95_high is not None else 0.0
    return mean, max(low, 0.0), max(high, 0.0)


def sweep_chart(comparison: Comparison, path: Path, title: str = "") -> str:
    """Draw the chart to `path` (PNG); returns what the x axis shows ("cost" or "tokens")."""
    use_cost = any(c.cost_usd.mean is not None for c in comparison.configs)
    rows = (len(comparison.configs) + 1) // 2
    fig = Figure(figsize=(8, 5.5 + 0.25 * rows), dpi=100, facecolor="white")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    right = 0.0
    for i, c in enumerate(comparison.configs):
        x, xl, xh = _scaled(c.cost_usd if use_cost else c.tokens, c.tasks)
        y, yl, yh = _scaled(c.score, 1)
        if x is None or y is None:
            continue
        right = max(right, x + xh)
        colour = _COLORS[i % len(_COLORS)]
        runs = f" ({c.runs} runs)" if c.runs > 1 else ""
        # The name goes in the legend (escaped: a legend label has no parse_math switch), not beside the point,
        # where the names of nearby configurations would overlap.
        label = inert(c.name + runs, single_line=True).replace("$", r"\$")
        ax.errorbar([x], [100 * y], xerr=[[xl], [xh]], yerr=[[100 * yl], [100 * yh]], fmt=_MARKERS[i % len(_MARKERS)],
                    color=colour, ecolor=colour, elinewidth=1.5, capsize=5, markersize=11 - (i % 3) * 2,
                    markerfacecolor="none", markeredgewidth=2, label=label)
    ax.set_xlabel("cost per task (USD)" if use_cost else "tokens per task (no known prices)")
    ax.set_ylabel("score, pass@2 (%)")
    ax.set_ylim(-5, 105)
    ax.set_xlim(0, right * 1.1 if right > 0 else 1)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2, fontsize=9, frameon=False)
    ax.grid(True, alpha=0.3)
    tasks = comparison.configs[0].tasks if comparison.configs else 0
    heading = title or "sweep"
    ax.set_title(inert(f"{heading}: score against {'cost' if use_cost else 'tokens'} per task ({tasks} tasks; bars: "
                       "95% CI over repeat runs)", single_line=True), fontsize=10, parse_math=False)  # type: ignore[call-arg]
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png")
    return "cost" if use_cost else "tokens"
