"""Anytime curves drawn: score against samples and against cost, as inline SVG (the HTML report) and as a PNG
(`arcbench plot RUN --curves`). Both are drawn from the same axes and ticks, computed here by pure functions.

A chart shows pass@2 after k samples (the mean over orders, with its band) and the unbiased pass@k. The x axis is
the number of samples per task (logarithmic from 8 samples on) or the expected spend: dollars when every call had a
price, else tokens.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Literal

from arcbench.inert import inert
from arcbench.report.curves import AnytimeCurve

Axis = Literal["samples", "cost"]

PASS2_COLOR = "#1f5fbf"
BAND_COLOR = "#9fbde8"
PASS_K_COLOR = "#d9730d"
_W, _H = 460, 280
_LEFT, _RIGHT, _TOP, _BOTTOM = 52, 14, 30, 44


@dataclass(frozen=True)
class Scale:
    """A linear or logarithmic axis from `low` to `high`, with labelled ticks."""

    low: float
    high: float
    log: bool
    ticks: list[tuple[float, str]]

    def fraction(self, x: float) -> float:
        """Where x falls between low (0) and high (1)."""
        if self.log:
            lo, hi = math.log(self.low), math.log(self.high)
            return (math.log(max(x, self.low)) - lo) / (hi - lo) if hi > lo else 0.0
        return (x - self.low) / (self.high - self.low) if self.high > self.low else 0.0


def _nice_step(span: float, target: int = 5) -> float:
    raw = span / target
    mag = 10 ** math.floor(math.log10(raw))
    return next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)


def _money(x: float) -> str:
    return f"${x:,.0f}" if x >= 100 else f"${x:.2f}" if x >= 1 else f"${x:.3g}"


def _count(x: float) -> str:
    if x >= 1e6:
        return f"{x / 1e6:g}M"
    return f"{x / 1e3:g}k" if x >= 1e3 else f"{x:g}"


def x_values(curve: AnytimeCurve, axis: Axis) -> list[float]:
    """The x of each point: k, or its cost in dollars (tokens when some call had no price)."""
    if axis == "samples":
        return [float(p.k) for p in curve.points]
    if curve.cost_known and all(p.cost_usd is not None for p in curve.points):
        return [float(p.cost_usd or 0.0) for p in curve.points]
    return [p.tokens for p in curve.points]


def x_label(curve: AnytimeCurve, axis: Axis) -> str:
    if axis == "samples":
        return "samples per task (k)"
    return "cost (USD, expected)" if curve.cost_known else "tokens (expected; some calls had no price)"


def x_scale(curve: AnytimeCurve, axis: Axis) -> Scale:
    xs = x_values(curve, axis)
    high = max(xs) if xs else 1.0
    if axis == "samples" and curve.samples_max >= 8:
        ticks = [m * 10 ** e for e in range(0, 7) for m in (1, 2, 5) if m * 10 ** e <= high]
        return Scale(1.0, high, True, [(t, _count(t)) for t in ticks])
    low = 1.0 if axis == "samples" else 0.0
    if high <= low:
        high = low + 1.0
    step = max(1.0, _nice_step(high - low)) if axis == "samples" else _nice_step(high - low)
    fmt = _money if axis == "cost" and curve.cost_known else _count
    ticks, t = [], math.ceil(low / step) * step
    while t <= high * (1 + 1e-9):
        ticks.append((t, fmt(t)))
        t += step
    return Scale(low, high, False, ticks)


def y_scale(curve: AnytimeCurve) -> Scale:
    """Score from 0 to the first of 10, 20, 25, 50, 75 or 100% above every value drawn."""
    top = max([p.pass2_high for p in curve.points] + [p.pass_at_k for p in curve.points] + [0.0])
    high = next(h for h in (0.1, 0.2, 0.25, 0.5, 0.75, 1.0) if top <= h + 1e-12)
    step = {0.1: 0.02, 0.2: 0.05, 0.25: 0.05, 0.5: 0.1, 0.75: 0.25, 1.0: 0.25}[high]
    ticks = [(i * step, f"{100 * i * step:.0f}%") for i in range(round(high / step) + 1)]
    return Scale(0.0, high, False, ticks)


def title(axis: Axis) -> str:
    return "score against samples per task" if axis == "samples" else "score against cost"


def caption(curve: AnytimeCurve) -> str:
    """What the curves are averaged over, in one line."""
    order = (f"pass@2 is the mean over {curve.orders} random orders of each task's samples (band: the middle 95% of "
             "orders)" if curve.random_orders else "samples taken in the order they were drawn (feedback turns, or a "
             "stop rule that decided how many, make any other order meaningless)")
    few = f"; {curve.samples_min} to {curve.samples_max} samples per task" if curve.samples_min != curve.samples_max \
        else f"; {curve.samples_max} samples per task"
    return f"{curve.tasks} scored tasks{few}; {order}"


# ---------------------------------------------------------------- SVG


def svg(curve: AnytimeCurve, axis: Axis) -> str:
    """One chart as an <svg> element to place inline in HTML: our own markup, every label escaped."""
    xs = x_values(curve, axis)
    sx, sy = x_scale(curve, axis), y_scale(curve)
    pw, ph = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM

    def px(x: float) -> float:
        return _LEFT + sx.fraction(x) * pw

    def py(y: float) -> float:
        return _TOP + (1 - sy.fraction(y)) * ph

    def pts(ys: list[float], xs_: list[float] = xs) -> str:
        return " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in zip(xs_, ys, strict=True))

    parts = [f'<svg class="curve" data-axis="{axis}" viewBox="0 0 {_W} {_H}" '
             f'width="{_W}" height="{_H}" role="img" aria-label="{escape(title(axis))}">',
             f'<rect x="{_LEFT}" y="{_TOP}" width="{pw}" height="{ph}" fill="#fff" stroke="#999"/>']
    for y, label in sy.ticks:
        parts.append(f'<line x1="{_LEFT}" x2="{_LEFT + pw}" y1="{py(y):.1f}" y2="{py(y):.1f}" stroke="#eee"/>'
                     f'<text x="{_LEFT - 5}" y="{py(y) + 4:.1f}" text-anchor="end" font-size="11">'
                     f"{escape(label)}</text>")
    for x, label in sx.ticks:
        parts.append(f'<line x1="{px(x):.1f}" x2="{px(x):.1f}" y1="{_TOP + ph}" y2="{_TOP + ph + 4}" stroke="#999"/>'
                     f'<text x="{px(x):.1f}" y="{_TOP + ph + 16}" text-anchor="middle" font-size="11">'
                     f"{escape(label)}</text>")
    if curve.random_orders:
        ring = pts([p.pass2_high for p in curve.points]) + " " + pts(
            [p.pass2_low for p in reversed(curve.points)], list(reversed(xs)))
        parts.append(f'<polygon class="band" points="{ring}" fill="{BAND_COLOR}" fill-opacity="0.6" stroke="none"/>')
    parts.append(f'<polyline class="pass2" points="{pts([p.pass2 for p in curve.points])}" fill="none" '
                 f'stroke="{PASS2_COLOR}" stroke-width="2"/>')
    parts.append(f'<polyline class="pass-k" points="{pts([p.pass_at_k for p in curve.points])}" fill="none" '
                 f'stroke="{PASS_K_COLOR}" stroke-width="2" stroke-dasharray="5 3"/>')
    parts.append(f'<text x="{_LEFT + pw / 2}" y="{_H - 8}" text-anchor="middle" font-size="12">'
                 f"{escape(x_label(curve, axis))}</text>")
    lx = _LEFT + 8
    rows = 3 if curve.random_orders else 2
    parts.append(f'<rect x="{lx - 4}" y="{_TOP + 3}" width="250" height="{16 * rows + 4}" fill="#fff" '
                 'fill-opacity="0.85"/>')
    if curve.random_orders:
        parts.append(f'<rect x="{lx}" y="{_TOP + 38}" width="18" height="8" fill="{BAND_COLOR}"/>'
                     f'<text x="{lx + 22}" y="{_TOP + 47}" font-size="11">middle 95% of orders</text>')
    parts.append(f'<line x1="{lx}" x2="{lx + 18}" y1="{_TOP + 12}" y2="{_TOP + 12}" stroke="{PASS2_COLOR}" '
                 f'stroke-width="2"/><text x="{lx + 22}" y="{_TOP + 16}" font-size="11">pass@2 after k samples'
                 f"</text>"
                 f'<line x1="{lx}" x2="{lx + 18}" y1="{_TOP + 28}" y2="{_TOP + 28}" stroke="{PASS_K_COLOR}" '
                 f'stroke-width="2" stroke-dasharray="5 3"/><text x="{lx + 22}" y="{_TOP + 32}" font-size="11">'
                 "pass@k (any of k samples solves the task)</text>")
    parts.append(f'<text x="{_W / 2}" y="16" text-anchor="middle" font-size="12">{escape(title(axis))}</text>')
    parts.append("</svg>")
    return "".join(parts)


# ---------------------------------------------------------------- PNG


def save_png(curve: AnytimeCurve, path: Path, run_name: str) -> None:
    """Both charts side by side in one PNG. Labels are drawn literally (no mathtext, whatever matplotlibrc says)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FixedLocator, NullLocator

    fig = Figure(figsize=(12, 4.6), dpi=100, facecolor="white")
    FigureCanvasAgg(fig)
    plain = {"parse_math": False, "usetex": False}
    for i, axis in enumerate(("samples", "cost")):
        ax = fig.add_subplot(1, 2, i + 1)
        xs = x_values(curve, axis)  # type: ignore[arg-type]
        sx, sy = x_scale(curve, axis), y_scale(curve)  # type: ignore[arg-type]
        if curve.random_orders:
            ax.fill_between(xs, [p.pass2_low for p in curve.points], [p.pass2_high for p in curve.points],
                            color=BAND_COLOR, alpha=0.6, linewidth=0, label="middle 95% of orders")
        ax.plot(xs, [p.pass2 for p in curve.points], color=PASS2_COLOR, linewidth=2, label="pass@2 after k samples")
        ax.plot(xs, [p.pass_at_k for p in curve.points], color=PASS_K_COLOR, linewidth=2, linestyle="--",
                label="pass@k (any of k samples solves the task)")
        if sx.log:
            ax.set_xscale("log")
        ax.set_xlim(sx.low, sx.high)
        ax.set_ylim(sy.low, sy.high)
        for scale, set_ticks in ((sx, ax.xaxis), (sy, ax.yaxis)):
            set_ticks.set_major_locator(FixedLocator([t for t, _ in scale.ticks]))
            set_ticks.set_minor_locator(NullLocator())
        ax.set_xticklabels([label for _, label in sx.ticks], **plain)
        ax.set_yticklabels([label for _, label in sy.ticks], **plain)
        ax.set_xlabel(x_label(curve, axis), **plain)  # type: ignore[arg-type]
        ax.set_ylabel("score", **plain)
        ax.set_title(title(axis), fontsize=10, **plain)  # type: ignore[arg-type]
        ax.grid(True, color="#eeeeee")
        legend = ax.legend(loc="lower right", fontsize=8)
        for text in legend.get_texts():
            text.set_parse_math(False)
    fig.suptitle(inert(run_name, single_line=True) + "\n" + caption(curve), fontsize=9, parse_math=False,
                 usetex=False)
    fig.tight_layout()
    fig.savefig(path, format="png")


def png_name(run_name: str) -> str:
    """curves_<run>.png, with characters unsafe in file names replaced."""
    return "curves_" + (re.sub(r"[^A-Za-z0-9._-]+", "-", run_name).strip("-") or "run") + ".png"
