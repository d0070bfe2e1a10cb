"""Per-turn PNG charts: files, colours at known cells, green/red frames, errors in place of grids."""

from __future__ import annotations

from pathlib import Path

import matplotlib.image as mpimg
import numpy as np

from arcbench.cli import main
from arcbench.report.palette import ARC_COLORS
from arcbench.report.plots import FRAME_RIGHT, FRAME_UNKNOWN, FRAME_WRONG, save_chart, turn_chart
from arcbench.report.rundir import expected_outputs, load_run
from tests.report.make_run import FLIP_TASK, TaskSpec, TurnSpec, base_config, make_task_log, write_run


def _rgb(hex_color: str) -> np.ndarray:
    return np.array([int(hex_color[i:i + 2], 16) for i in (1, 3, 5)], dtype=float)


def _at(png: np.ndarray, xy: tuple[int, int]) -> np.ndarray:
    """The 0-255 RGB colour of pixel (x, y), origin top-left."""
    x, y = xy
    return png[y, x, :3] * 255


def _close(pixel: np.ndarray, hex_color: str) -> bool:
    return bool(np.allclose(pixel, _rgb(hex_color), atol=2))


def _chart(run_dir: Path, task_id: str, turn: int, tmp_path: Path, expected=True):
    run = load_run(run_dir)
    log = run.tasks[task_id]
    exp = expected_outputs(run.config, {task_id: log})[task_id] if expected else None
    chart = turn_chart(log, log.turns[turn], exp, run.name)
    path = tmp_path / "chart.png"
    save_chart(chart, path)
    return chart, mpimg.imread(path)


def test_plot_writes_one_png_per_turn_named_by_turn_task_and_run(run_dir: Path, capsys):
    assert main(["plot", str(run_dir), "--task", "flip0001"]) == 0
    files = sorted(p.name for p in (run_dir / "plots").iterdir())
    assert files == [f"turn_{n}_flip0001_run_a.png" for n in (1, 2, 3)]
    printed = capsys.readouterr().out
    assert "turn_3_flip0001_run_a.png" in printed and "1/1 (100%)" in printed and "2/2" in printed


def test_plot_of_a_whole_run_draws_every_turn_of_every_task(run_dir: Path, tmp_path: Path, capsys):
    out = tmp_path / "charts"
    assert main(["plot", str(run_dir), "--out", str(out)]) == 0
    turns = sum(len(log.turns) for log in load_run(run_dir).tasks.values())
    assert len(list(out.glob("turn_*.png"))) == turns == 7


def test_plot_accepts_a_task_log_file(run_dir: Path, tmp_path: Path, capsys):
    assert main(["plot", str(run_dir / "tasks" / "second02.json"), "--out", str(tmp_path / "o")]) == 0
    assert [p.name for p in (tmp_path / "o").iterdir()] == ["turn_1_second02_run_a.png"]


def test_cells_have_the_arc_colours(run_dir: Path, tmp_path: Path):
    chart, png = _chart(run_dir, "flip0001", 0, tmp_path)
    blue, red, grey = _rgb(ARC_COLORS[1]), _rgb(ARC_COLORS[2]), _rgb(ARC_COLORS[5])
    assert FLIP_TASK.train[0][0][0][0] == 1 and FLIP_TASK.train[0][0][1][1] == 2
    train_in, test_exp = chart.panels[("train 1", "input")], chart.panels[("test 1", "expected")]
    np.testing.assert_allclose(_at(png, train_in.cell_center(0, 0)), blue, atol=2)
    np.testing.assert_allclose(_at(png, train_in.cell_center(1, 1)), red, atol=2)
    # The expected test output comes from the dataset: grey (5) moved to the right end of the first row.
    np.testing.assert_allclose(_at(png, test_exp.cell_center(0, 2)), grey, atol=2)
    np.testing.assert_allclose(_at(png, test_exp.cell_center(0, 0)), _rgb(ARC_COLORS[0]), atol=2)
    # Cells are separated by grid lines.
    _, y = train_in.cell_center(0, 0)
    assert _close(_at(png, (train_in.x + 1 + train_in.cell, y)), "#555555")


def test_predicted_grids_are_framed_red_when_wrong_and_green_when_right(run_dir: Path, tmp_path: Path):
    wrong, png_wrong = _chart(run_dir, "flip0001", 0, tmp_path)  # identity: wrong everywhere
    for label in ("train 1", "train 2", "test 1"):
        assert _close(_at(png_wrong, wrong.panels[(label, "predicted")].frame_pixel()), FRAME_WRONG), label
    right, png_right = _chart(run_dir, "flip0001", 2, tmp_path)  # flip: right everywhere
    for label in ("train 1", "train 2", "test 1"):
        assert _close(_at(png_right, right.panels[(label, "predicted")].frame_pixel()), FRAME_RIGHT), label
    # Input and expected grids carry no frame.
    assert _close(_at(png_right, right.panels[("test 1", "input")].frame_pixel()), "#FFFFFF")
    assert "test acc 1/1" in right.title and "train solved 2/2" in right.title
    assert "test acc 0/1" in wrong.title and "train solved 0/2" in wrong.title


def test_a_failed_execution_shows_its_error_in_place_of_the_grid(run_dir: Path, tmp_path: Path):
    chart, png = _chart(run_dir, "flip0001", 1, tmp_path)  # the crashing program
    panel = chart.panels[("train 1", "predicted")]
    assert panel.grid is None and "ZeroDivisionError" in panel.text
    assert any("ZeroDivisionError" in t.get_text() for t in chart.figure.texts)
    assert _close(_at(png, panel.frame_pixel()), FRAME_WRONG)


def test_without_the_dataset_expected_outputs_are_marked_unavailable(run_dir: Path, tmp_path: Path):
    chart, png = _chart(run_dir, "flip0001", 2, tmp_path, expected=False)
    # The log still carries the scorer's per-turn test result, so the frame stays green ...
    assert _close(_at(png, chart.panels[("test 1", "predicted")].frame_pixel()), FRAME_RIGHT)
    # ... but the expected grid itself is not drawn.
    assert chart.panels[("test 1", "expected")].grid is None
    assert "not available" in chart.panels[("test 1", "expected")].text


def test_a_turn_with_no_scores_and_no_dataset_gets_a_neutral_frame(run_dir: Path, tmp_path: Path):
    run = load_run(run_dir)
    log = run.tasks["flip0001"]
    log.turns[2].test_scores = None
    chart = turn_chart(log, log.turns[2], None, "x")
    path = tmp_path / "n.png"
    save_chart(chart, path)
    assert _close(_at(mpimg.imread(path), chart.panels[("test 1", "predicted")].frame_pixel()), FRAME_UNKNOWN)
    assert "test acc n/a" in chart.title


def test_unknown_task_is_a_one_line_user_error(run_dir: Path, capsys):
    assert main(["plot", str(run_dir), "--task", "nope"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "nope" in err and len(err.strip().splitlines()) == 1


HOSTILE = "$\\frac{1$ \x1b]0;pwned\x07\x1b[2J\x00 [/red] $a^$ \\begin{x}"
"""Program and server text that mathtext cannot parse, with terminal escapes and rich markup."""


def _hostile_run(tmp_path: Path) -> Path:
    def fails(grid):
        raise ValueError(HOSTILE)

    spec = TaskSpec("t$\\frac{1$\x1b[2J\x07[bold]", FLIP_TASK.train, FLIP_TASK.test_inputs, FLIP_TASK.test_outputs)
    log = make_task_log(spec, [TurnSpec(fails), TurnSpec(None, api_error=True)])
    log.turns[1].error_message = HOSTILE
    return write_run(tmp_path / "run$x$", [log], base_config(None))


def test_plot_draws_mathtext_and_control_characters_literally(tmp_path: Path, capsys):
    run_dir = _hostile_run(tmp_path)
    assert main(["plot", str(run_dir), "--out", str(tmp_path / "o")]) == 0
    assert len(list((tmp_path / "o").glob("turn_*.png"))) == 2


def test_plot_prints_the_evolution_table_as_inert_text(tmp_path: Path, capsys):
    assert main(["plot", str(_hostile_run(tmp_path)), "--out", str(tmp_path / "o")]) == 0
    printed = capsys.readouterr().out
    assert "\x1b" not in printed and "\x00" not in printed and "\x07" not in printed
    assert "task t$\\frac{1$\ufffd[bold]" in printed and "[/red]" in printed
