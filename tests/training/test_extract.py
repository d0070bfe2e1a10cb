"""Reading programs out of run directories: every turn and repeat, deduplicated per task, with provenance."""

from __future__ import annotations

from pathlib import Path

import pytest

from arcbench.errors import UserError
from arcbench.training.extract import read_runs
from tests.run.helpers import FLIPLR, IDENTITY
from tests.training.helpers import TASKS, TURNS, task


def test_every_turn_of_every_repeat_and_run_is_read_and_deduplicated(runs):
    ex = read_runs(runs)
    assert ex.found == len(TASKS) * TURNS * 2 + 1  # run A: two repeats; run B: one turn of one task
    assert len(ex.programs) == len(TASKS) * (TURNS - 1)  # IDENTITY_REFORMATTED is IDENTITY
    assert set(ex.tasks) == set(TASKS) and ex.tasks["6150a2bd"] == task("6150a2bd")
    a, b = runs
    assert ex.run_dirs == [str(a / "run_1"), str(a / "run_2"), str(b)]


def test_a_deduplicated_program_keeps_every_place_it_was_written(runs):
    ex = read_runs(runs)
    (identity,) = [p for p in ex.programs if p.task_id == "6150a2bd" and p.code == IDENTITY]
    a, b = runs
    where = sorted((s.run_dir, s.turn) for s in identity.sources)
    assert where == sorted([(str(a / "run_1"), 0), (str(a / "run_1"), 3), (str(a / "run_2"), 0),
                            (str(a / "run_2"), 3), (str(b), 0)])


def test_the_same_program_on_two_tasks_is_two_programs(runs):
    ex = read_runs(runs)
    assert {p.task_id for p in ex.programs if p.code == FLIPLR} == set(TASKS)


def test_tasks_come_from_the_dataset_when_a_log_has_no_grids(runs, tmp_path):
    import shutil

    from arcbench.run.records import TaskLog
    from arcbench.run.store import read_model, write_json_atomic

    copy = tmp_path / "copy"
    shutil.copytree(runs[1], copy)
    path = copy / "tasks" / "6150a2bd.json"
    log = read_model(path, TaskLog)
    write_json_atomic(path, log.model_copy(update={"train": [], "test_inputs": []}))
    ex = read_runs([copy])
    assert ex.tasks["6150a2bd"] == task("6150a2bd")


def test_a_file_is_not_a_run_directory(tmp_path):
    f = tmp_path / "x.json"
    f.write_text("{}")
    with pytest.raises(UserError, match="not a directory"):
        read_runs([f])


def test_a_broken_config_is_one_clear_error(tmp_path):
    (tmp_path / "config.json").write_text('{"nope": 1}')
    with pytest.raises(UserError, match=r"config\.json: not a run config"):
        read_runs([Path(tmp_path)])
