"""`arcbench runs list` and `arcbench runs clean` on run directories written by `arcbench run` against the local
scripted server, beside folders that are not run directories (which must never be touched)."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest

from arcbench.cli import main
from arcbench.llm.pricing import usd
from arcbench.run.records import TaskLog
from arcbench.testing.server import ScriptedServer
from tests.run.helpers import ROT180, answer, events, marker

TASKS = "6150a2bd,67a3c6ac"  # the first solved (rotate 180°), the second not (identity by default)
DAY = 86400.0


def _run(server: ScriptedServer, run_dir: Path, *extra: str) -> None:
    code = main(["run", "--base-url", server.base_url, "--model", "scripted", "--subset", TASKS, "--max-turns", "1",
                 "--run-dir", str(run_dir), "--quiet", "--price-in", "1", "--price-out", "2", *extra])
    assert code == 0


def _set_age(path: Path, seconds: float) -> None:
    """Make every file and folder under `path` look last written `seconds` ago."""
    then = time.time() - seconds
    for dirpath, dirs, files in os.walk(path):
        for name in [*dirs, *files]:
            os.utime(os.path.join(dirpath, name), (then, then), follow_symlinks=False)
    os.utime(path, (then, then))


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> Path:
    """A folder as a user's runs/ may look: a complete run, a repeat run, an interrupted run, a damaged run, and
    things that are not run directories."""
    root = tmp_path_factory.mktemp("made") / "runs"
    with ScriptedServer() as server:
        server.set_script([{"match": marker("6150a2bd"), "content": answer(ROT180)}])
        _run(server, root / "a_complete")
        _run(server, root / "b_repeat", "--repeat-runs", "2")
        _run(server, root / "c_interrupted")
        _run(server, root / "d_damaged")
    # Interrupted: no summary yet, the second task still in progress.
    (root / "c_interrupted" / "summary.json").unlink()
    log_path = root / "c_interrupted" / "tasks" / "67a3c6ac.json"
    log = TaskLog.model_validate_json(log_path.read_text())
    log.status = "in_progress"
    log_path.write_text(log.model_dump_json())
    # Damaged: a task log cut short, no summary.
    (root / "d_damaged" / "summary.json").unlink()
    (root / "d_damaged" / "tasks" / "6150a2bd.json").write_text('{"task_id": "6150a2bd", "tur')
    # Decoys: a folder of notes, a folder with somebody else's config.json, a file, a link to a run.
    (root / "notes_run").mkdir()
    (root / "notes_run" / "todo.txt").write_text("keep me")
    (root / "other_tool_run").mkdir()
    (root / "other_tool_run" / "config.json").write_text(json.dumps({"model": "x", "created_at": "2020-01-01"}))
    (root / "README.txt").write_text("my runs")
    (root / "link_run").symlink_to(root / "a_complete")
    return root


@pytest.fixture
def runs(made, tmp_path) -> Path:
    """A private copy of the folder (links copied as links), every run last written 40 days ago."""
    root = Path(shutil.copytree(made, tmp_path / "runs", symlinks=True))
    (root / "link_run").unlink()
    (root / "link_run").symlink_to(root / "a_complete")
    for p in root.iterdir():
        if p.is_dir() and not p.is_symlink():
            _set_age(p, 40 * DAY)
    return root


def _out(capsys) -> list[str]:
    return capsys.readouterr().out.splitlines()


def _line(lines: list[str], name: str) -> str:
    (found,) = [ln for ln in lines if f"  {name} " in ln or ln.startswith(f"skipped {name}:")]
    return found


def _error(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: "), err
    return err[0]


# --- list -----------------------------------------------------------------------------------------------------------


def test_list_has_a_header_and_one_line_per_run_directory(runs, capsys):
    assert main(["runs", "list", str(runs)]) == 0
    lines = _out(capsys)
    assert lines[0].split() == ["when", "(UTC)", "run", "dataset", "/", "subset", "model", "mode", "tasks", "score",
                                "cost", "state"]
    assert [ln.split()[2] for ln in lines[1:5]] == ["a_complete", "b_repeat", "c_interrupted", "d_damaged"]


def test_list_shows_a_complete_runs_setup_score_and_cost(runs, capsys):
    assert main(["runs", "list", str(runs)]) == 0
    line = _line(_out(capsys), "a_complete")
    cost = sum(e["cost_usd"] for e in events(runs / "a_complete"))
    assert f"arc-agi-1 / {TASKS}" in line and " scripted " in line and " feedback " in line
    assert " 2/2 " in line and " 50.0% " in line and f" {usd(cost)} " in line and line.endswith("complete")


def test_list_shows_a_repeat_run_as_one_line(runs, capsys):
    assert main(["runs", "list", str(runs)]) == 0
    line = _line(_out(capsys), "b_repeat")
    assert " 4/4 " in line and " 50.0% " in line and line.endswith("complete, 2 runs")


def test_list_shows_an_interrupted_run_with_its_finished_tasks_and_no_score(runs, capsys):
    assert main(["runs", "list", str(runs)]) == 0
    line = _line(_out(capsys), "c_interrupted")
    assert " 1/2 " in line and " – " in line and line.endswith("incomplete")


def test_list_shows_a_damaged_run_and_what_is_wrong(runs, capsys):
    assert main(["runs", "list", str(runs)]) == 0
    line = _line(_out(capsys), "d_damaged")
    assert "damaged: " in line and "6150a2bd.json: not a valid TaskLog" in line


def test_list_names_what_is_not_a_run_directory(runs, capsys):
    assert main(["runs", "list", str(runs)]) == 0
    lines = _out(capsys)
    assert _line(lines, "notes_run") == "skipped notes_run: not a run directory (no config.json)"
    assert _line(lines, "other_tool_run").startswith(
        "skipped other_tool_run: config.json: not a run config arcbench can read")
    assert _line(lines, "README.txt") == "skipped README.txt: a file"
    assert _line(lines, "link_run") == "skipped link_run: a symbolic link"


def test_list_defaults_to_runs_in_the_working_directory(runs, capsys, monkeypatch):
    monkeypatch.chdir(runs.parent)
    assert main(["runs", "list"]) == 0
    assert any("a_complete" in ln for ln in _out(capsys))


def test_list_of_a_missing_folder_is_one_line(tmp_path, capsys):
    assert main(["runs", "list", str(tmp_path / "nope")]) == 2
    assert "no such folder" in _error(capsys)


def test_list_of_a_run_directory_itself_points_to_its_parent(runs, capsys):
    assert main(["runs", "list", str(runs / "a_complete")]) == 2
    assert "is itself a run directory" in _error(capsys)


# --- clean ----------------------------------------------------------------------------------------------------------


def _names(root: Path) -> set[str]:
    return {p.name for p in root.iterdir()}


EVERYTHING = {"a_complete", "b_repeat", "c_interrupted", "d_damaged", "notes_run", "other_tool_run", "README.txt",
              "link_run"}


def test_clean_without_yes_shows_what_and_how_much_and_deletes_nothing(runs, capsys):
    assert main(["runs", "clean", str(runs), "--incomplete"]) == 0
    lines = _out(capsys)
    assert [ln.split()[:3] for ln in lines[:2]] == [["would", "delete", "c_interrupted"],
                                                    ["would", "delete", "d_damaged"]]
    assert lines[2].startswith("2 run directories, ") and lines[2].endswith("nothing deleted; add --yes to delete them")
    assert " kB" in lines[0]
    assert _names(runs) == EVERYTHING


def test_clean_incomplete_with_yes_deletes_only_unfinished_runs(runs, capsys):
    assert main(["runs", "clean", str(runs), "--incomplete", "--yes"]) == 0
    assert _out(capsys)[-1].startswith("deleted 2 run directories, ")
    assert _names(runs) == EVERYTHING - {"c_interrupted", "d_damaged"}


def test_clean_match_never_touches_folders_that_are_not_runs(runs, capsys):
    assert main(["runs", "clean", str(runs), "--match", "*_*", "--yes"]) == 0
    assert _names(runs) == {"notes_run", "other_tool_run", "README.txt", "link_run"}
    assert (runs / "notes_run" / "todo.txt").read_text() == "keep me"
    assert (runs / "other_tool_run" / "config.json").is_file()


def test_clean_match_without_wildcards_matches_part_of_the_name(runs, capsys):
    assert main(["runs", "clean", str(runs), "--match", "repeat", "--yes"]) == 0
    assert _names(runs) == EVERYTHING - {"b_repeat"}


def test_clean_older_than_keeps_recent_runs(runs, capsys):
    _set_age(runs / "a_complete", 0)
    assert main(["runs", "clean", str(runs), "--older-than", "30d", "--yes"]) == 0
    assert _names(runs) == {"a_complete", "notes_run", "other_tool_run", "README.txt", "link_run"}


def test_clean_criteria_must_all_hold(runs, capsys):
    assert main(["runs", "clean", str(runs), "--incomplete", "--match", "damaged", "--yes"]) == 0
    assert _names(runs) == EVERYTHING - {"d_damaged"}


def test_clean_keeps_an_unfinished_run_written_to_minutes_ago(runs, capsys):
    _set_age(runs / "c_interrupted", 60)
    assert main(["runs", "clean", str(runs), "--incomplete", "--yes"]) == 0
    assert "keeping c_interrupted: unfinished and written to 60 s ago, it may still be running" in _out(capsys)
    assert _names(runs) == EVERYTHING - {"d_damaged"}


def test_clean_needs_a_criterion(runs, capsys):
    assert main(["runs", "clean", str(runs), "--yes"]) == 2
    assert "say which runs to clean" in _error(capsys)
    assert _names(runs) == EVERYTHING


def test_clean_with_a_bad_age_is_one_line(runs, capsys):
    assert main(["runs", "clean", str(runs), "--older-than", "a month"]) == 2
    assert "--older-than takes a number and a unit" in _error(capsys)
