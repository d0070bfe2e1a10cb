"""`arcbench submission` and `arcbench score`: run directories written by `arcbench run` against the local scripted
server, on ARC-AGI-1 tasks with several test inputs, turned into submissions in both formats and scored back; and
each kind of malformed submission refused in one line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from arcbench.cli import main
from arcbench.data import load_tasks
from arcbench.data.types import Grid
from arcbench.report.submission import SubmissionScores
from arcbench.run.records import TaskLog
from arcbench.testing.server import ScriptedServer
from tests.run.helpers import answer, marker, summary

THREE = "27a28665"  # three test inputs, 1x1 outputs
BOTH = "44f52bb0"  # two test inputs
WRONG = "25ff71a9"  # two test inputs
CRASH = "d4469b4b"  # two test inputs
FAIL = "dae9d2b5"  # two test inputs; every call fails
TASKS = [THREE, BOTH, WRONG, CRASH, FAIL]


def _labelled(task_id: str):
    (lt,) = load_tasks("arc-agi-1", task_id)
    return lt


def _off_by_one(grid: Grid) -> Grid:
    """The grid with its first cell changed: wrong, with every other cell right."""
    out = [list(row) for row in grid]
    out[0][0] = (out[0][0] + 1) % 10
    return out


def lookup_program(task_id: str, tests: list[str]) -> str:
    """A program that knows the task's training outputs and, per test input, answers right, wrong (first cell off)
    or raises: `tests[i]` is "right", "wrong" or "crash"."""
    lt = _labelled(task_id)
    table: dict[str, Any] = {json.dumps(e.input): e.output for e in lt.task.train}
    for grid, expected, how in zip(lt.task.test_inputs, lt.test_outputs or [], tests, strict=True):
        table[json.dumps(grid)] = {"right": expected, "wrong": _off_by_one(expected), "crash": None}[how]
    return ("import json\n\nTABLE = " + repr(table) + "\n\n\ndef transform(grid):\n"
            "    out = TABLE[json.dumps(grid)]\n    if out is None:\n        raise ValueError('no idea')\n"
            "    return out\n")


def _script() -> list[dict[str, Any]]:
    """Two independent samples per task. THREE: the first sample is right on test input 0 only, the second on test
    input 1 only (so its right answer is attempt_2), both raise on test input 2 (no attempt)."""
    return [
        {"match": marker(THREE), "times": 1, "content": answer(lookup_program(THREE, ["right", "wrong", "crash"]))},
        {"match": marker(THREE), "content": answer(lookup_program(THREE, ["wrong", "right", "crash"]))},
        {"match": marker(BOTH), "content": answer(lookup_program(BOTH, ["right", "right"]))},
        {"match": marker(WRONG), "content": answer(lookup_program(WRONG, ["wrong", "wrong"]))},
        {"match": marker(CRASH), "content": answer(lookup_program(CRASH, ["crash", "crash"]))},
        {"match": marker(FAIL), "status": 500},
    ]


def _run(server: ScriptedServer, run_dir: Path, *extra: str) -> Path:
    code = main(["run", "--base-url", server.base_url, "--model", "scripted", "--subset", ",".join(TASKS),
                 "--mode", "independent", "--max-turns", "2", "--stop-when", "never", "--max-attempts", "1",
                 "--run-dir", str(run_dir), "--quiet", *extra])
    assert code == 0
    return run_dir


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    """A single run and a repeat run (2 repeats) of the script."""
    root = tmp_path_factory.mktemp("runs")
    with ScriptedServer() as server:
        server.set_script(_script())
        single = _run(server, root / "single")
        server.set_script(_script())
        repeat = _run(server, root / "repeat", "--repeat-runs", "2")
    return {"single": single, "repeat": repeat}


@pytest.fixture
def run_dir(runs, tmp_path) -> Path:
    """A private copy of the single run, so a test may write submissions into it."""
    return Path(shutil.copytree(runs["single"], tmp_path / "run"))


def _log(run_dir: Path, task_id: str) -> TaskLog:
    return TaskLog.model_validate_json((run_dir / "tasks" / f"{task_id}.json").read_text())


def _submit(run_dir: Path, *flags: str) -> int:
    return main(["submission", str(run_dir), *flags])


def _score(path: Path, *flags: str) -> tuple[int, SubmissionScores | None]:
    out = path.with_name(path.name + ".test-scores.json")
    code = main(["score", str(path), "--output", str(out), *flags])
    return code, SubmissionScores.model_validate_json(out.read_text()) if code == 0 else None


def _error(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: "), err
    return err[0]


# --- The run the round trips start from -----------------------------------------------------------------------------


def test_the_run_has_a_partly_solved_task_whose_right_answer_is_the_second_attempt(runs):
    log = _log(runs["single"], THREE)
    assert log.score is not None and log.score.score == pytest.approx(2 / 3)
    assert [len(a) for a in log.attempts] == [2, 2, 0]
    assert [s.correct for s in log.score.tests[1].attempts] == [False, True]
    assert _log(runs["single"], BOTH).score.fully_solved
    assert _log(runs["single"], FAIL).status == "api_failure"


# --- Round trips ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["kaggle", "arcprize"])
def test_round_trip_scores_every_task_as_the_run_did(run_dir, fmt):
    assert _submit(run_dir, "--format", fmt) == 0
    path = run_dir / ("submission.json" if fmt == "kaggle" else "submission_arcprize")
    code, scores = _score(path, "--subset", ",".join(TASKS))
    assert code == 0 and scores is not None and scores.format == fmt
    by_task = {s.task_id: s for s in scores.tasks}
    for tid in TASKS:
        run_score = _log(run_dir, tid).score
        assert run_score is not None
        got = by_task[tid]
        assert (got.score, got.fully_solved, got.matched_cells, got.expected_cells) == (
            run_score.score, run_score.fully_solved, run_score.matched_cells, run_score.expected_cells), tid
        assert [t.solved for t in got.tests] == [t.solved for t in run_score.tests], tid
    s = summary(run_dir)
    assert scores.overall.score == pytest.approx(s.score)
    assert scores.overall.pixel_accuracy == pytest.approx(s.pixel_accuracy)
    assert scores.total_tasks == len(TASKS) and not scores.missing_tasks


def test_round_trip_prints_the_run_summarys_score_rows(run_dir, capsys):
    assert _submit(run_dir) == 0
    capsys.readouterr()
    code, _ = _score(run_dir / "submission.json", "--subset", ",".join(TASKS))
    assert code == 0
    printed = capsys.readouterr().out
    s = summary(run_dir)
    assert f"{s.score:.1%}" in printed and f"{s.tasks_fully_solved}/{len(TASKS)}" in printed
    assert f"{s.pixel_accuracy:.1%}" in printed
    assert "Tokens" not in printed and "Cost" not in printed  # not known for a submission


def test_kaggle_entries_follow_the_attempt_order_and_fill_missing_attempts(run_dir):
    assert _submit(run_dir) == 0
    data = json.loads((run_dir / "submission.json").read_text())
    assert list(data) == TASKS
    three = data[THREE]
    log = _log(run_dir, THREE)
    assert len(three) == 3
    assert [three[1]["attempt_1"], three[1]["attempt_2"]] == [a.output for a in log.attempts[1]]
    assert three[2] == {"attempt_1": [[0]], "attempt_2": [[0]]}  # no attempt: the placeholder
    both = data[BOTH]  # one attempt (both samples agree): the second repeats it, it adds no chance
    assert all(e["attempt_1"] == e["attempt_2"] for e in both)


def test_arcprize_files_set_pair_index_on_every_attempt_and_null_where_none(run_dir):
    assert _submit(run_dir, "--format", "arcprize") == 0
    folder = run_dir / "submission_arcprize"
    assert sorted(f.stem for f in folder.glob("*.json")) == sorted(TASKS)
    three = json.loads((folder / f"{THREE}.json").read_text())
    assert len(three) == 3
    for i, pair in enumerate(three[:2]):
        assert set(pair) == {"attempt_1", "attempt_2"}
        assert all(pair[k]["metadata"]["pair_index"] == i and pair[k]["metadata"]["task_id"] == THREE
                   for k in pair)
    assert three[1]["attempt_2"]["correct"] is True and three[1]["attempt_1"]["correct"] is False
    assert three[2] == {"attempt_1": None, "attempt_2": None}
    assert json.loads((folder / f"{FAIL}.json").read_text()) == [{"attempt_1": None, "attempt_2": None}] * 2


def test_arcprize_files_carry_each_tasks_tokens_once(run_dir):
    assert _submit(run_dir, "--format", "arcprize") == 0
    pairs = json.loads((run_dir / "submission_arcprize" / f"{THREE}.json").read_text())
    attempts = [a for pair in pairs for a in pair.values() if a is not None]
    total = sum(a["metadata"]["usage"]["total_tokens"] for a in attempts)
    assert total == _log(run_dir, THREE).usage.total_tokens > 0
    assert attempts[0]["metadata"]["usage"]["total_tokens"] == total


def test_submission_names_the_tasks_without_any_attempt(run_dir, capsys):
    assert _submit(run_dir) == 0
    out = capsys.readouterr().out
    assert "(kaggle, 5 tasks, 6 of 11 test inputs answered)" in out
    assert f"2 task(s) ended without any attempt, written with the placeholder [[0]]: {CRASH} {FAIL}" in out


def test_repeat_run_needs_one_of_its_runs(runs, tmp_path, capsys):
    repeat = Path(shutil.copytree(runs["repeat"], tmp_path / "repeat"))
    assert _submit(repeat) == 2
    line = _error(capsys)
    assert "holds 2 repeat runs" in line and str(repeat / "run_1") in line
    assert _submit(repeat / "run_2") == 0
    assert (repeat / "run_2" / "submission.json").is_file()


def test_unfinished_run_is_refused(run_dir, capsys):
    log = _log(run_dir, WRONG)
    log.status = "in_progress"
    (run_dir / "tasks" / f"{WRONG}.json").write_text(log.model_dump_json())
    assert _submit(run_dir) == 2
    line = _error(capsys)
    assert "1 of 5 tasks are not finished" in line and f"arcbench run --resume {run_dir}" in line


def test_a_folder_that_is_not_a_run_is_refused(tmp_path, capsys):
    assert _submit(tmp_path) == 2
    assert "not a run directory" in _error(capsys)


def test_arcprize_output_folder_with_other_files_is_refused(run_dir, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "00576224.json").write_text("[]")
    assert _submit(run_dir, "--format", "arcprize", "--output", str(out)) == 2
    assert "already holds 00576224.json" in _error(capsys)
    assert not (out / f"{THREE}.json").exists()


def test_unknown_format_is_one_line(run_dir, capsys):
    assert _submit(run_dir, "--format", "csv") == 2
    assert "--format must be kaggle or arcprize" in _error(capsys)


# --- Scoring submissions from other tools ---------------------------------------------------------------------------


def _expected(task_id: str) -> list[Grid]:
    return list(_labelled(task_id).test_outputs or [])


def _write(tmp_path: Path, data: Any, name: str = "submission.json") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def _harness_attempt(task_id: str, grid: Any, pair_index: int | None) -> dict[str, Any]:
    meta: dict[str, Any] = {"model": "m", "provider": "p", "task_id": task_id}
    if pair_index is not None:
        meta["pair_index"] = pair_index
    return {"answer": grid, "metadata": meta}


def _harness_dir(tmp_path: Path, files: dict[str, Any]) -> Path:
    folder = tmp_path / "harness"
    folder.mkdir()
    for tid, content in files.items():
        (folder / f"{tid}.json").write_text(content if isinstance(content, str) else json.dumps(content))
    return folder


def test_tasks_missing_from_the_submission_score_zero_in_the_denominator(tmp_path):
    e = _expected(BOTH)
    path = _write(tmp_path, {BOTH: [{"attempt_1": e[0], "attempt_2": [[0]]}, {"attempt_1": e[1], "attempt_2": [[0]]}]})
    code, scores = _score(path, "--subset", f"{BOTH},{THREE},{WRONG},{CRASH}")
    assert code == 0 and scores is not None
    assert scores.overall.score == 0.25 and scores.total_tasks == 4 and scores.submitted_tasks == 1
    assert scores.missing_tasks == [THREE, WRONG, CRASH]


def test_without_subset_the_task_set_is_the_split_the_tasks_come_from(tmp_path, capsys):
    e = _expected(BOTH)
    path = _write(tmp_path, {BOTH: [{"attempt_1": e[0], "attempt_2": e[0]}, {"attempt_1": e[1], "attempt_2": e[1]}]})
    code, scores = _score(path)
    assert code == 0 and scores is not None
    assert scores.task_set == "arc-agi-1 training (400 tasks)" and scores.total_tasks == 400
    assert scores.overall.score == pytest.approx(1 / 400)
    assert "399 of 400 tasks are missing from the submission and score 0" in capsys.readouterr().out


def test_tasks_outside_the_subset_are_reported_and_not_scored(tmp_path, capsys):
    e = _expected(BOTH)
    path = _write(tmp_path, {BOTH: [{"attempt_1": e[0], "attempt_2": e[0]}, {"attempt_1": e[1], "attempt_2": e[1]}],
                             WRONG: [{"attempt_1": [[1]], "attempt_2": [[1]]}] * 2})
    code, scores = _score(path, "--subset", BOTH)
    assert code == 0 and scores is not None
    assert scores.overall.score == 1.0 and scores.ignored_tasks == [WRONG]
    assert f"outside the task set and were not scored: {WRONG}" in capsys.readouterr().out


def test_harness_pair_index_decides_which_test_output_an_entry_answers(tmp_path):
    e = _expected(BOTH)
    # Entries listed in reverse order: only pair_index says which test input each answers.
    folder = _harness_dir(tmp_path, {BOTH: [{"attempt_1": _harness_attempt(BOTH, e[1], 1)},
                                            {"attempt_1": _harness_attempt(BOTH, e[0], 0), "attempt_2": None}]})
    code, scores = _score(folder, "--subset", BOTH)
    assert code == 0 and scores is not None and scores.format == "arcprize"
    assert scores.overall.score == 1.0


def test_harness_entries_without_pair_index_answer_in_list_order(tmp_path):
    e = _expected(BOTH)
    folder = _harness_dir(tmp_path, {BOTH: [{"attempt_1": _harness_attempt(BOTH, e[0], None)},
                                            {"attempt_1": _harness_attempt(BOTH, e[0], None)}]})
    code, scores = _score(folder, "--subset", BOTH)
    assert code == 0 and scores is not None
    assert [t.solved for t in scores.tasks[0].tests] == [True, False]


def test_harness_unparsed_text_answer_is_a_wrong_attempt(tmp_path):
    e = _expected(BOTH)
    folder = _harness_dir(tmp_path, {BOTH: [
        {"attempt_1": _harness_attempt(BOTH, "I could not find the rule", 0),
         "attempt_2": _harness_attempt(BOTH, json.dumps(e[0]), 0)},
        {"attempt_1": _harness_attempt(BOTH, "[[", 1), "attempt_2": _harness_attempt(BOTH, [], 1)}]})
    (folder / "results.json").write_text("{}")  # the harness scorer's own output file is not a task
    code, scores = _score(folder, "--subset", BOTH)
    assert code == 0 and scores is not None
    assert [len(t.attempts) for t in scores.tasks[0].tests] == [2, 1]  # [] is no attempt
    assert [t.solved for t in scores.tasks[0].tests] == [True, False]


def test_per_task_scores_file_sits_beside_the_submission_by_default(run_dir):
    assert _submit(run_dir) == 0
    assert main(["score", str(run_dir / "submission.json"), "--subset", ",".join(TASKS)]) == 0
    scores = SubmissionScores.model_validate_json((run_dir / "submission.scores.json").read_text())
    assert [t.task_id for t in scores.tasks] == TASKS


# --- Malformed submissions: one line naming the task, the entry and the problem ------------------------------------


def _kaggle_ok() -> dict[str, Any]:
    e = _expected(BOTH)
    return {BOTH: [{"attempt_1": e[0], "attempt_2": e[0]}, {"attempt_1": e[1], "attempt_2": e[1]}]}


KAGGLE_CASES: dict[str, tuple[Any, list[str]]] = {
    "not_an_object": ('"hello"', ["expected a JSON object mapping task ids"]),
    "not_json": ('{"44f52bb0": [', ["not valid JSON"]),
    "task_not_a_list": ({BOTH: {"attempt_1": [[1]]}}, [f"task {BOTH}", "expected a non-empty list"]),
    "entry_not_an_object": ({BOTH: [[[1]], [[7]]]}, [f"task {BOTH}, test input 0", "expected an object"]),
    "three_attempts": ({BOTH: [{"attempt_1": [[1]], "attempt_2": [[1]], "attempt_3": [[7]]},
                               {"attempt_1": [[7]], "attempt_2": [[7]]}]},
                       [f"task {BOTH}, test input 0", "3 attempts", "at most 2"]),
    "third_attempt_alone": ({BOTH: [{"attempt_1": [[1]], "attempt_3": [[7]]}, {"attempt_1": [[7]]}]},
                            [f"task {BOTH}, test input 0", "attempt_3", "at most 2"]),
    "unexpected_key": ({BOTH: [{"attempt_1": [[1]], "answer": [[1]]}, {"attempt_1": [[7]]}]},
                       [f"task {BOTH}, test input 0", "unexpected key 'answer'"]),
    "answer_not_a_grid": ({BOTH: [{"attempt_1": [[1]], "attempt_2": "[[1]]"}, {"attempt_1": [[7]]}]},
                          [f"task {BOTH}, test input 0: attempt_2", "a string, not a grid"]),
    "cells_not_integers": ({BOTH: [{"attempt_1": [[1.5]]}, {"attempt_1": [[7]]}]},
                           [f"task {BOTH}, test input 0: attempt_1", "not a grid"]),
    "duplicate_task": ('{"44f52bb0": [{"attempt_1": [[1]]}, {"attempt_1": [[7]]}], '
                       '"44f52bb0": [{"attempt_1": [[1]]}, {"attempt_1": [[7]]}]}', ["'44f52bb0' appears twice"]),
    "duplicate_attempt": ('{"44f52bb0": [{"attempt_1": [[1]], "attempt_1": [[7]]}, {"attempt_1": [[7]]}]}',
                          ["'attempt_1' appears twice"]),
    "too_few_entries": ({BOTH: [{"attempt_1": [[1]], "attempt_2": [[1]]}]},
                        [f"task {BOTH}", "1 entries for 2 test input(s)"]),
    "too_many_entries": ({BOTH: [{"attempt_1": [[1]]}] * 3}, [f"task {BOTH}", "3 entries for 2 test input(s)"]),
    "unknown_task": ({"0000beef": [{"attempt_1": [[1]]}]}, ["task 0000beef: not a task of arc-agi-1"]),
    "harness_file_given_alone": ([{"attempt_1": None}], ["pass the folder that holds them"]),
    "empty": ("{}", ["has no tasks"]),
}


@pytest.mark.parametrize("case", list(KAGGLE_CASES))
def test_malformed_kaggle_submission_is_one_line(case, tmp_path, capsys):
    data, expected = KAGGLE_CASES[case]
    path = _write(tmp_path, data)
    assert main(["score", str(path), "--subset", BOTH]) == 2
    line = _error(capsys)
    assert str(path) in line
    for part in expected:
        assert part in line, line
    assert not path.with_name("submission.scores.json").exists()


def _pair(grid: Any, index: int | None, **meta: Any) -> dict[str, Any]:
    attempt = _harness_attempt(BOTH, grid, index)
    attempt["metadata"].update(meta)
    return attempt


HARNESS_CASES: dict[str, tuple[Any, list[str]]] = {
    "not_a_list": ({"attempt_1": None}, ["expected a list with one entry per test input"]),
    "same_pair_index_twice": ([{"attempt_1": _pair([[1]], 0)}, {"attempt_1": _pair([[7]], 0)}],
                              ["entry 1", "answers test input 0, which entry 0 already answers"]),
    "three_attempts": ([{"attempt_1": _pair([[1]], 0), "attempt_2": _pair([[2]], 0), "attempt_3": _pair([[3]], 0)}],
                       ["entry 0", "3 attempts", "at most 2"]),
    "pair_index_out_of_range": ([{"attempt_1": _pair([[1]], 5)}], ["answers test input 5", "has 2 test input(s)"]),
    "pair_index_not_an_index": ([{"attempt_1": _pair([[1]], "first")}], ["entry 0, attempt_1",
                                                                          "pair_index is 'first'"]),
    "pair_index_disagrees": ([{"attempt_1": _pair([[1]], 0), "attempt_2": _pair([[7]], 1)}],
                             ["entry 0, attempt_2", "pair_index is 1", "other attempt says 0"]),
    "no_answer": ([{"attempt_1": {"metadata": {"pair_index": 0}}}], ["entry 0, attempt_1", "no 'answer'"]),
    "other_task": ([{"attempt_1": _pair([[1]], 0, task_id="27a28665")}],
                   ["entry 0, attempt_1", "task_id is '27a28665'", f"the file is task {BOTH}"]),
    "too_many_entries_by_position": ([{"attempt_1": _pair([[1]], None)}] * 3,
                                     ["answers test input 2", "has 2 test input(s)"]),
    "answer_not_a_grid": ([{"attempt_1": _pair({"grid": [[1]]}, 0)}], ["entry 0, attempt_1: answer",
                                                                       "an object, not a grid"]),
    "duplicate_key": ('[{"attempt_1": null, "attempt_1": null}]', ["'attempt_1' appears twice"]),
}


@pytest.mark.parametrize("case", list(HARNESS_CASES))
def test_malformed_harness_submission_is_one_line(case, tmp_path, capsys):
    data, expected = HARNESS_CASES[case]
    folder = _harness_dir(tmp_path, {BOTH: data})
    assert main(["score", str(folder), "--subset", BOTH]) == 2
    line = _error(capsys)
    assert str(folder / f"{BOTH}.json") in line
    for part in expected:
        assert part in line, line


def test_empty_harness_folder_is_one_line(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["score", str(tmp_path / "empty")]) == 2
    assert "no task files" in _error(capsys)


def test_tasks_from_two_splits_need_a_subset(tmp_path, capsys):
    train_task, eval_task = BOTH, "6ea4a07e"
    path = _write(tmp_path, {train_task: [{"attempt_1": [[1]]}] * 2, eval_task: [{"attempt_1": [[1]]}] * 2})
    assert main(["score", str(path)]) == 2
    line = _error(capsys)
    assert "more than one split: training (1), evaluation (1)" in line and "--subset" in line


def test_missing_submission_is_one_line(tmp_path, capsys):
    assert main(["score", str(tmp_path / "nope.json")]) == 2
    assert "no such file or folder" in _error(capsys)
