from __future__ import annotations

import copy
import json

import pytest

from arcbench.data import load_pool, load_tasks
from arcbench.data.loading import load_challenges
from arcbench.data.types import LabelledTask, Task
from arcbench.errors import UserError
from tests.conftest import SIMPLE_TASK


@pytest.mark.parametrize(
    ("dataset", "split", "count"),
    [("arc-agi-1", "training", 400), ("arc-agi-1", "evaluation", 400),
     ("arc-agi-2", "training", 1000), ("arc-agi-2", "evaluation", 120)],
)
def test_packaged_datasets_have_the_official_task_counts(dataset, split, count):
    pool = load_pool(dataset)
    assert len(pool[split]) == count
    assert all(lt.scored for lt in pool[split].values())


def test_task_given_to_solvers_has_no_test_outputs():
    (lt,) = load_tasks("arc-agi-1", "6150a2bd")
    assert "output" not in json.dumps(lt.task.model_dump()["test_inputs"])
    assert not hasattr(lt.task, "test_outputs")
    assert set(Task.model_fields) == {"id", "train", "test_inputs"}
    assert lt.test_outputs == [[[0, 0, 4], [0, 8, 6], [5, 3, 6]]]


def test_folder_of_task_files_loads_with_ids_from_file_stems(tmp_path, write_task):
    write_task("aaaa0001", SIMPLE_TASK)
    unlabelled = copy.deepcopy(SIMPLE_TASK)
    del unlabelled["test"][0]["output"]
    write_task("aaaa0002", unlabelled)
    tasks = load_tasks("custom", "all", str(tmp_path))
    assert [t.id for t in tasks] == ["aaaa0001", "aaaa0002"]
    assert tasks[0].scored and not tasks[1].scored


def test_kaggle_challenges_with_sibling_solutions(tmp_path):
    ch = {"t1": {"train": SIMPLE_TASK["train"], "test": [{"input": [[1]]}, {"input": [[2]]}]}}
    (tmp_path / "x_challenges.json").write_text(json.dumps(ch))
    (tmp_path / "x_solutions.json").write_text(json.dumps({"t1": [[[3]], [[4]]]}))
    tasks = load_challenges(tmp_path / "x_challenges.json")
    assert tasks["t1"].test_outputs == [[[3]], [[4]]]


def test_kaggle_challenges_without_solutions_are_unscored(tmp_path):
    ch = {"t1": {"train": SIMPLE_TASK["train"], "test": [{"input": [[1]]}]}}
    (tmp_path / "c.json").write_text(json.dumps(ch))
    (lt,) = load_tasks("custom", "all", str(tmp_path / "c.json"))
    assert lt.test_outputs is None and not lt.scored


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda t: t["train"][0].__setitem__("input", [[1, 2], [3]]), "train example 0 input is not rectangular"),
        (lambda t: t["train"][0].__setitem__("output", [[10]]), "train example 0 output cell (0, 0) is 10"),
        (lambda t: t["test"][0].__setitem__("input", [[0] * 31]), "test example 0 input has 31 columns"),
        (lambda t: t.__setitem__("train", []), "needs at least one train pair"),
        (lambda t: t.__setitem__("test", []), "needs at least one test input"),
        (lambda t: t["train"][0].__setitem__("input", []), "train example 0 input is not a non-empty list"),
        (lambda t: t["train"][0].__setitem__("input", [[True]]), "cell (0, 0) is True"),
        (lambda t: t["train"][0].pop("output"), "train example 0 needs 'input' and 'output'"),
    ],
)
def test_malformed_task_names_file_task_example_and_problem(tmp_path, write_task, mutate, expected):
    bad = copy.deepcopy(SIMPLE_TASK)
    mutate(bad)
    path = write_task("bad00001", bad)
    with pytest.raises(UserError) as e:
        load_tasks("custom", "all", str(tmp_path))
    msg = str(e.value)
    assert str(path) in msg and "task bad00001" in msg and expected in msg
    assert "\n" not in msg


def test_invalid_json_and_missing_folder_are_user_errors(tmp_path):
    (tmp_path / "broken.json").write_text("{not json")
    with pytest.raises(UserError, match="not valid JSON"):
        load_tasks("custom", "all", str(tmp_path))
    with pytest.raises(UserError, match="no such file or folder"):
        load_tasks("custom", "all", str(tmp_path / "nope"))


def test_unknown_dataset_lists_the_known_ones():
    with pytest.raises(UserError, match="arc-agi-1, arc-agi-2"):
        load_pool("arc-agi-3")


def test_size_counts_every_grid_including_test_outputs():
    (lt,) = load_tasks("arc-agi-1", "6150a2bd")
    assert isinstance(lt, LabelledTask)
    assert lt.size == 54
