"""Per-turn PNG charts of a task: Input | Expected | Predicted, one row per training example and test input.

A chart is one image composed in numpy (cells, cell lines and frames as colour indices, turned into RGB by one
palette lookup) and pasted onto the Agg canvas of a matplotlib `Figure` (no pyplot global state) that carries only
the labels. No axes and no image resampling keeps hundreds of charts quick, and every cell's position in the PNG is
known exactly.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from rich.table import Table
from rich.text import Text

from arcbench.data.types import Grid
from arcbench.inert import inert
from arcbench.prompts.grids import shape_text
from arcbench.report.palette import ARC_COLORS
from arcbench.report.terminal import brief
from arcbench.run.records import TaskLog, Turn
from arcbench.scoring import AttemptScore, score_attempt

FRAME_RIGHT = "#1E9E3A"
"""Frame of a predicted grid that matches the expected one (distinct from ARC's own green, colour 3)."""
FRAME_WRONG = "#D11F1F"
FRAME_UNKNOWN = "#888888"
"""No expected output to compare with (dataset not available, or an unscored task)."""
CELL_LINE = "#555555"
BACKGROUND = "#FFFFFF"
COLUMNS = ("input", "expected", "predicted")

# Colour indices of the composed image: 0-9 ARC, then the chart's own colours.
_BG, _LINE, _RIGHT, _WRONG, _UNKNOWN = 10, 11, 12, 13, 14
_FRAME_INDEX = {FRAME_RIGHT: _RIGHT, FRAME_WRONG: _WRONG, FRAME_UNKNOWN: _UNKNOWN}
_PALETTE = (*ARC_COLORS, BACKGROUND, CELL_LINE, FRAME_RIGHT, FRAME_WRONG, FRAME_UNKNOWN)
_RGB = (np.array([to_rgb(c) for c in _PALETTE]) * 255).round().astype(np.uint8)
"""Colour index -> RGB: the whole chart is coloured by one table lookup."""
_DPI = 80
_PANEL = 168  # px: the square each grid is fitted into
_FRAME = 4  # px
_MAX_CELL = 36  # px: small grids do not balloon
_LEFT, _RIGHT_MARGIN, _GAP_X = 44, 14, 26
_HEADER, _CAPTION, _GAP_Y = 84, 20, 12
_TITLE_SIZE, _TITLE_MARGIN = 9, 6


@dataclass
class Panel:
    """One place of the chart: a grid (or the text shown instead), where it is, and its frame."""

    x: int
    y: int
    """Top-left pixel of the grid's outer line (of the text box when there is no grid), PNG coordinates."""
    cell: int
    """Cell size in pixels, lines excluded (0 when no grid is drawn)."""
    grid: Grid | None
    text: str
    """What is shown instead of the grid (an execution error, "not available"); empty when the grid is drawn."""
    caption: str
    frame: str | None

    def cell_center(self, row: int, col: int) -> tuple[int, int]:
        """(x, y) pixel of the centre of a cell, origin at the PNG's top-left corner."""
        step = self.cell + 1
        return self.x + 1 + col * step + self.cell // 2, self.y + 1 + row * step + self.cell // 2

    def frame_pixel(self) -> tuple[int, int]:
        """(x, y) of a pixel in the middle of the frame's left side."""
        rows = len(self.grid) if self.grid else 0
        height = rows * (self.cell + 1) + 1 if self.grid else _PANEL - 2 * _FRAME - 4
        return self.x - 1 - _FRAME // 2, self.y + height // 2


@dataclass
class TurnChart:
    """A drawn turn: the figure, its title, and its panels by (row label, column), e.g. ("train 1", "predicted")."""

    figure: Figure
    """The labels; the grids are in `image` (see `save_chart`)."""
    title: str
    panels: dict[tuple[str, str], Panel]
    image: np.ndarray
    """Colour indices of every pixel (palette `_PALETTE`), PNG-sized."""


@dataclass
class EvolutionRow:
    """One line of the evolution table: how a task's programs did turn after turn."""

    turn: int
    test_correct: int | None
    """Test inputs this turn's program got right; None when there is nothing to compare with."""
    test_total: int
    train_solved: int
    train_total: int
    train_pixel_accuracy: float
    error: str
    file: str


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "run"


def turn_file_name(turn: Turn, task_id: str, run_name: str) -> str:
    """turn_<N>_<task>_<run>.png, N counting the task's model calls from 1."""
    return f"turn_{turn.index + 1}_{_safe(task_id)}_{_safe(run_name)}.png"


def turn_test_scores(turn: Turn, expected: list[Grid] | None) -> list[AttemptScore] | None:
    """Per test input, how this turn's program did: the scorer's record when the log has it, else scored here from
    the expected outputs (reporting is post-hoc), else None."""
    if turn.test_scores is not None:
        return turn.test_scores
    if expected is None or turn.code is None or turn.error_kind is not None:
        return None
    outputs: list[Grid | None] = [None] * len(expected)
    for r in turn.test:
        if 0 <= r.index < len(outputs):
            outputs[r.index] = r.output
    return [score_attempt(o, e) for o, e in zip(outputs, expected, strict=True)]


def _turn_failure(turn: Turn) -> str:
    if turn.error_kind is not None:
        return f"model call failed ({turn.error_kind}): {turn.error_message}"
    if turn.code is None:
        return f"no program: {turn.code_note or 'no code in the answer'}"
    return ""


def evolution_row(turn: Turn, expected: list[Grid] | None, n_tests: int, file: str) -> EvolutionRow:
    scores = turn_test_scores(turn, expected)
    return EvolutionRow(
        turn=turn.index + 1,
        test_correct=None if scores is None else sum(s.correct for s in scores),
        test_total=n_tests, train_solved=turn.train_solved, train_total=turn.train_total,
        train_pixel_accuracy=turn.train_pixel_accuracy, error=_turn_failure(turn), file=file,
    )


def _place(img: np.ndarray, x0: int, y0: int, grid: Grid | None, frame: str | None) -> tuple[int, int, int]:
    """Compose a grid (with its cell lines and frame) into `img` centred in the panel at (x0, y0); return the grid's
    top-left pixel and cell size. With no grid, only the frame of an empty box is drawn."""
    inner = _PANEL - 2 * (_FRAME + 2)
    if grid is not None and grid and grid[0]:
        arr = np.clip(np.asarray(grid, dtype=np.int16), 0, 9)
        rows, cols = arr.shape
        cell = max(1, min(_MAX_CELL, (inner - 1) // max(rows, cols) - 1))
        step = cell + 1
        h, w = rows * step + 1, cols * step + 1
        ys, xs = np.arange(h), np.arange(w)
        block = arr[np.minimum(ys // step, rows - 1)[:, None], np.minimum(xs // step, cols - 1)[None, :]]
        block[ys % step == 0, :] = _LINE
        block[:, xs % step == 0] = _LINE
    else:
        cell, h, w, block = 0, inner, inner, None
    gx, gy = x0 + (_PANEL - w) // 2, y0 + (_PANEL - h) // 2
    if frame is not None:
        img[gy - 1 - _FRAME:gy + h + 1 + _FRAME, gx - 1 - _FRAME:gx + w + 1 + _FRAME] = _FRAME_INDEX[frame]
        img[gy - 1:gy + h + 1, gx - 1:gx + w + 1] = _BG
    if block is not None:
        img[gy:gy + h, gx:gx + w] = block
    return gx, gy, cell


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def _rows(log: TaskLog, turn: Turn, expected: list[Grid] | None) -> list[tuple[str, list[tuple[Grid | None, str,
                                                                                               str, str | None]]]]:
    """Per chart row: its label and three (grid, text instead of grid, caption, frame) cells."""
    failure = _turn_failure(turn)
    scores = turn_test_scores(turn, expected)
    out = []
    for i, pair in enumerate(log.train):
        gin, gout = pair.get("input"), pair.get("output")
        res = next((r for r in turn.train if r.index == i), None)
        if res is None or res.output is None:
            why = failure or (f"{res.error}: {res.message}" if res and res.error else "no output")
            pred = (None, why, "failed", FRAME_WRONG)
        else:
            pred = (res.output, "", f"{shape_text(res.output)} · px {_pct(res.pixel_accuracy)}",
                    FRAME_RIGHT if res.correct else FRAME_WRONG)
        out.append((f"train {i + 1}", [(gin, "", shape_text(gin), None), (gout, "", shape_text(gout), None), pred]))
    for i, grid in enumerate(log.test_inputs):
        exp = expected[i] if expected is not None and i < len(expected) else None
        run = next((r for r in turn.test if r.index == i), None)
        score = scores[i] if scores is not None and i < len(scores) else None
        if run is None or run.output is None:
            why = failure or (f"{run.error}: {run.message}" if run and run.error else "no output")
            pred = (None, why, "failed", FRAME_WRONG if score is not None else FRAME_UNKNOWN)
        else:
            frame = FRAME_UNKNOWN if score is None else (FRAME_RIGHT if score.correct else FRAME_WRONG)
            caption = shape_text(run.output) + ("" if score is None else f" · px {_pct(score.pixel_accuracy)}")
            pred = (run.output, "", caption, frame)
        out.append((f"test {i + 1}", [(grid, "", shape_text(grid), None),
                                      (exp, "" if exp is not None else "expected output not available", shape_text(exp),
                                       None), pred]))
    return out


def turn_chart(log: TaskLog, turn: Turn, expected: list[Grid] | None, run_name: str) -> TurnChart:
    """Draw one turn of a task. `expected` are the test outputs (None when not available)."""
    rows = _rows(log, turn, expected)
    row_h = _PANEL + _CAPTION + _GAP_Y
    width = _LEFT + 3 * _PANEL + 2 * _GAP_X + _RIGHT_MARGIN
    height = _HEADER + max(1, len(rows)) * row_h
    img = np.full((height, width), _BG, dtype=np.int16)
    fig = Figure(figsize=(width / _DPI, height / _DPI), dpi=_DPI, facecolor=BACKGROUND)  # whatever matplotlibrc says
    FigureCanvasAgg(fig)

    def text(x: float, y: float, s: str, **kw: object) -> None:
        # Model and program text is drawn literally: no mathtext (`$\frac{1$` would raise) and no LaTeX, whatever
        # matplotlibrc says; control characters are shown as U+FFFD.
        kw.setdefault("color", "black")
        fig.text(x / width, 1 - y / height, inert(s), parse_math=False, usetex=False, **kw)  # type: ignore[arg-type]

    panels: dict[tuple[str, str], Panel] = {}
    for r, (label, cells) in enumerate(rows):
        y0 = _HEADER + r * row_h
        text(_LEFT / 2, y0 + _PANEL / 2, label, rotation=90, ha="center", va="center", fontsize=9)
        for c, (grid, instead, caption, frame) in enumerate(cells):
            x0 = _LEFT + c * (_PANEL + _GAP_X)
            gx, gy, cell = _place(img, x0, y0, grid if not instead else None, frame)
            if instead:
                short = instead if len(instead) <= 400 else instead[:400] + "…"
                wrapped = "\n".join(textwrap.wrap(short, 30, max_lines=11, placeholder=" …")) or "(empty)"
                text(x0 + _PANEL / 2, y0 + _PANEL / 2, wrapped, ha="center", va="center", fontsize=6.5,
                     family="monospace", color="#B00000" if frame == FRAME_WRONG else "#555555")
            text(x0 + _PANEL / 2, y0 + _PANEL + 3, caption, ha="center", va="top", fontsize=8)
            panels[(label, COLUMNS[c])] = Panel(x=gx, y=gy, cell=cell, grid=None if instead else grid, text=instead,
                                                caption=caption, frame=frame)
    for c, name in enumerate(("Input", "Expected", "Predicted")):
        text(_LEFT + c * (_PANEL + _GAP_X) + _PANEL / 2, _HEADER - 6, name, ha="center", va="bottom", fontsize=10)

    scores = turn_test_scores(turn, expected)
    train = f"train solved {turn.train_solved}/{turn.train_total}" + (
        f" ({_pct(turn.train_solved / turn.train_total)})" if turn.train_total else "")
    right = sum(s.correct for s in scores) if scores is not None else 0
    test = "test acc n/a" if scores is None else (
        f"test acc {right}/{len(scores)}" + (f" ({_pct(right / len(scores))})" if scores else ""))
    cut = " · reply cut off at the token limit" if turn.truncated else ""
    lines = [f"{log.task_id} · turn {turn.index + 1} (sample {turn.sample + 1}, turn {turn.turn_in_sample}, "
             f"{turn.phase})", run_name, f"{train} · {test}{cut}"]
    # Run names run to 80 characters and more: each line is fitted to the chart's width (the middle of a line
    # that is too long gives way to "…"), rather than being clipped at both edges.
    measure = _measurer(fig, _TITLE_SIZE)
    title = "\n".join(_fit(inert(line), measure, width - 2 * _TITLE_MARGIN) for line in lines)
    text(width / 2, 6, title, ha="center", va="top", fontsize=_TITLE_SIZE, linespacing=1.15)

    return TurnChart(figure=fig, title=title, panels=panels, image=img)


def _measurer(fig: Figure, size: float) -> Callable[[str], float]:
    """The width in pixels a line of text takes on the figure's canvas at `size` points."""
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    prop = FontProperties(size=size)
    return lambda s: renderer.get_text_width_height_descent(s, prop, ismath=False)[0]


def _fit(line: str, measure: Callable[[str], float], width: float) -> str:
    """`line`, or its start and end around "…", as wide as fits in `width` pixels."""
    if measure(line) <= width:
        return line
    lo, hi = 0, len(line)  # the number of characters kept: lo fits, hi does not
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if measure(_elide(line, mid)) <= width:
            lo = mid
        else:
            hi = mid
    return _elide(line, lo)


def _elide(line: str, keep: int) -> str:
    head = keep - keep // 2
    return line[:head] + "…" + (line[len(line) - keep // 2:] if keep // 2 else "")


def save_chart(chart: TurnChart, path: Path) -> None:
    """Write the chart as a PNG: the figure's text drawn by Agg, then the composed grids pasted over the canvas
    pixel for pixel (the figure is exactly the image's size, so nothing is resampled; labels never overlap grids)."""
    canvas = chart.figure.canvas
    canvas.draw()
    text = np.asarray(canvas.buffer_rgba())[..., :3]
    if text.shape[:2] != chart.image.shape:
        raise RuntimeError(f"canvas {text.shape[:2]} does not match the chart image {chart.image.shape}")
    # Labels are dark on white and grids sit where there is no label: the darker of the two is the right pixel.
    mpimg.imsave(path, np.minimum(text, _RGB[chart.image]), format="png", pil_kwargs={"compress_level": 3})


def plot_task(log: TaskLog, expected: list[Grid] | None, run_name: str, out_dir: Path) -> list[EvolutionRow]:
    """Write one PNG per turn of a task into `out_dir`; return the evolution table's rows."""
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for turn in log.turns:
        name = turn_file_name(turn, log.task_id, run_name)
        save_chart(turn_chart(log, turn, expected, run_name), out_dir / name)
        rows.append(evolution_row(turn, expected, len(log.test_inputs), name))
    return rows


def evolution_table(task_id: str, rows: list[EvolutionRow]) -> Table:
    """The per-task table printed after plotting: turn, test acc, train solved, train avg acc, and a note for a turn
    without a program (shortened where a sentence ends, wrapped between words). The charts' file names are too long
    for a column: `plot` prints them under the table, one to a line."""
    table = Table(title=Text(f"task {inert(task_id, single_line=True)}"))
    for col in ("turn", "test acc", "train solved", "train avg acc"):
        table.add_column(col, justify="right", no_wrap=True)
    notes = any(r.error for r in rows)
    if notes:
        table.add_column("note", overflow="fold", ratio=1)
    for r in rows:
        test = "n/a" if r.test_correct is None else (
            f"{r.test_correct}/{r.test_total} ({_pct(r.test_correct / r.test_total)})" if r.test_total else "0/0")
        cells = [str(r.turn), test, f"{r.train_solved}/{r.train_total}" if not r.error else "–",
                 _pct(r.train_pixel_accuracy)]
        if notes:
            cells.append(Text(inert(brief(r.error, 240), single_line=True), style="red"))
        table.add_row(*cells)
    return table
