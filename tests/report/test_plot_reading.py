"""Charts and the evolution table as people read them: a title that fits the chart however long the run's name,
notes shortened between words, file names whole on a line of their own."""

from __future__ import annotations

import re
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg

from arcbench.cli import main
from arcbench.report.plots import turn_chart
from arcbench.report.rundir import load_run
from tests.report.make_run import FLIP_TASK, TaskSpec, TurnSpec, base_config, flip, make_task_log, write_run

LONG_RUN = "20261129T013022Z_arc-agi-1_shortest_training_10_SmolLM2-135M-Instruct-Q4_K_M-gguf"
OVERFLOW = ("HTTP 400: This model's maximum context length is 2048 tokens. However, you requested 2989 tokens (2689 "
            "in the messages, 300 in the completion). Please reduce the length of the messages or completion.")


def _long_run(tmp_path: Path) -> Path:
    spec = TaskSpec("6150a2bd", FLIP_TASK.train, FLIP_TASK.test_inputs, FLIP_TASK.test_outputs)
    failed = TurnSpec(None, api_error=True)
    log = make_task_log(spec, [TurnSpec(flip), failed], status="api_failure")
    log.turns[1].error_message = OVERFLOW
    return write_run(tmp_path / LONG_RUN, [log], base_config(None))


def test_the_chart_title_fits_in_the_chart_however_long_the_run_name(tmp_path: Path):
    run = load_run(_long_run(tmp_path))
    log = run.tasks["6150a2bd"]
    chart = turn_chart(log, log.turns[0], None, run.name)
    renderer = FigureCanvasAgg(chart.figure).get_renderer()
    width = chart.figure.bbox.width
    for text in chart.figure.texts:
        box = text.get_window_extent(renderer)
        assert box.x0 >= 0 and box.x1 <= width, (text.get_text(), box.x0, box.x1, width)
    assert "6150a2bd" in chart.title and "turn 1" in chart.title


def _printed_words(out: str) -> list[str]:
    return re.findall(r"[A-Za-z0-9']+", out)


def test_the_evolution_table_shortens_notes_between_words_and_prints_file_names_whole(tmp_path: Path, capsys):
    run_dir = _long_run(tmp_path)
    assert main(["plot", str(run_dir)]) == 0
    out = capsys.readouterr().out
    note_words = set(_printed_words(f"model call failed (api_error): {OVERFLOW}"))
    for word in _printed_words(out):
        cut = [w for w in note_words if w.startswith(word) and w != word]
        assert not cut or word in note_words or not word[:1].isalpha() or len(word) < 3, (word, cut)
    lines = out.splitlines()
    for n in (1, 2):
        name = f"turn_{n}_6150a2bd_{LONG_RUN}.png"
        assert any(name in line for line in lines), name
    assert {"maximum", "context", "length", "2048", "2989", "2689"} <= set(_printed_words(out))  # what happened
