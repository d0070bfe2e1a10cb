"""`arcbench training-data` end to end on run directories written by `arcbench run` against the local scripted
server. Every written example is checked by re-running its answer program on its prompt."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from arcbench.cli import main
from arcbench.data.types import Example, Task, grid_shape
from arcbench.prompts.render import parse_task_prompt, task_messages
from arcbench.sandbox import Sandbox
from arcbench.solve.extract import extract_code
from arcbench.testing.server import ScriptedServer
from arcbench.training.augment import GEOMETRIC
from arcbench.training.export import PARQUET_COLUMNS
from arcbench.training.pipeline import Manifest
from tests.training.helpers import TASKS, programs_for, scripted_run, task

_HINT_RE = re.compile(r"The output for test input (\d+) should be (\d+)x(\d+)\.")


def _build(runs: list[Path], out: Path, *flags: str) -> Manifest:
    code = main(["training-data", *map(str, runs), "--output", str(out), "--quiet", *flags])
    assert code == 0
    return Manifest.model_validate_json(out.with_name(f"{out.stem}.manifest.json").read_text())


@pytest.fixture(scope="module")
def default_set(runs, tmp_path_factory) -> tuple[Path, Manifest]:
    out = tmp_path_factory.mktemp("default") / "set.jsonl"
    return out, _build(runs, out, "--augment", "2", "--validation", "0.4", "--seed", "3")


@pytest.fixture(scope="module")
def parquet_set(runs, tmp_path_factory) -> tuple[Path, Manifest]:
    out = tmp_path_factory.mktemp("parquet") / "set.parquet"
    return out, _build(runs, out, "--format", "parquet", "--include-correct", "--augment", "3", "--validation", "0.3")


def _lines(path: Path) -> list[list[dict[str, str]]]:
    return [json.loads(line)["messages"] for line in path.read_text().splitlines()]


def _check_consistent(messages: list[dict[str, str]], sandbox: Sandbox) -> tuple[Task, str]:
    """The prompt is what a run would send for the task it poses, and the answer program reproduces every output of
    that prompt exactly (and gives every test input a grid of the announced shape)."""
    assert [m["role"] for m in messages] == ["system", "user", "assistant"]
    train, tests = parse_task_prompt(messages[1]["content"])
    assert train and tests
    posed = Task(id="posed", train=train, test_inputs=tests)
    assert task_messages(posed) == messages[:2]
    extracted = extract_code(messages[2]["content"])
    assert extracted is not None and extracted.source == "answer" and not extracted.note
    assert messages[2]["content"].count("```python") == 1
    result = sandbox.run_sync(extracted.code, [e.input for e in train] + tests)
    outputs = [r.output for r in result.results]
    assert all(r.ok for r in result.results), [r.message for r in result.results]
    assert outputs[: len(train)] == [e.output for e in train]
    hints = {int(n) - 1: (int(r), int(c)) for n, r, c in _HINT_RE.findall(messages[1]["content"])}
    for i, out in enumerate(outputs[len(train):]):
        assert i not in hints or grid_shape(out) == hints[i]
    return posed, extracted.code


def test_every_written_example_is_reproduced_by_its_answer_program(default_set, sandbox):
    out, manifest = default_set
    written = _lines(out) + _lines(out.with_name("set_val.jsonl"))
    assert len(written) == len(manifest.examples) > 0
    logged = {code for t in TASKS for code in programs_for(t)}
    for messages in written:
        _, code = _check_consistent(messages, sandbox)
        assert code in logged  # the answer is a program the model really wrote


def test_relabelled_prompts_carry_the_programs_outputs_not_the_original_ones(default_set):
    out, manifest = default_set
    entries = [e for e in manifest.examples if e.file == str(out)]
    wrong_total = 0
    for entry, messages in zip(entries, _lines(out), strict=True):
        if entry.augmentation is None:
            train, _ = parse_task_prompt(messages[1]["content"])
            original = {json.dumps(o.input): o.output for o in task(entry.task_id).train}
            assert all(json.dumps(ex.input) in original for ex in train)
            wrong = sum(ex.output != original[json.dumps(ex.input)] for ex in train)
            assert wrong == len(train) - entry.originally_correct
            wrong_total += wrong
    assert wrong_total > 0


def test_split_never_puts_a_task_on_both_sides(default_set):
    _, manifest = default_set
    train = {e.task_id for e in manifest.examples if e.split == "train"}
    val = {e.task_id for e in manifest.examples if e.split == "validation"}
    assert train and val and not train & val
    assert manifest.report.tasks_train == len(train) and manifest.report.tasks_validation == len(val)
    files = {e.split: e.file for e in manifest.examples}
    assert files["validation"].endswith("set_val.jsonl") and files["train"].endswith("set.jsonl")


def test_balance_keeps_as_many_programs_with_an_originally_correct_output_as_without(default_set):
    _, manifest = default_set
    base = [e for e in manifest.examples if e.augmentation is None]
    with_correct = sum(e.originally_correct > 0 for e in base)
    assert with_correct == len(base) - with_correct > 0
    r = manifest.report
    assert r.kept == len(base) == 2 * min(r.with_correct, r.without_correct)


def test_programs_that_solve_every_training_example_are_left_out_by_default(default_set):
    _, manifest = default_set
    assert manifest.report.all_correct_left_out == manifest.report.all_correct > 0
    assert all(e.originally_correct < e.train_total for e in manifest.examples)


def test_include_correct_keeps_them(parquet_set):
    _, manifest = parquet_set
    assert manifest.report.all_correct_left_out == 0
    assert any(e.originally_correct == e.train_total for e in manifest.examples)


def test_augmented_variants_pose_transformed_inputs(default_set):
    out, manifest = default_set
    entries = [e for e in manifest.examples if e.split == "train"]
    messages = _lines(out)
    augmented = [(e, m) for e, m in zip(entries, messages, strict=True) if e.augmentation]
    assert augmented and manifest.report.examples_augmented == sum(e.augmentation is not None
                                                                   for e in manifest.examples)
    geometric = {t.name: t.apply for t in GEOMETRIC}
    base_inputs = {}
    for e, m in zip(entries, messages, strict=True):
        if e.augmentation is None:
            train, tests = parse_task_prompt(m[1]["content"])
            base_inputs.setdefault(e.task_id, []).append(([x.input for x in train], tests))
    checked = 0
    for e, m in augmented:
        train, tests = parse_task_prompt(m[1]["content"])
        if e.augmentation in geometric and e.task_id in base_inputs:
            f = geometric[e.augmentation]
            assert any([f(g) for g in ins] == [x.input for x in train] and [f(g) for g in ts] == tests
                       for ins, ts in base_inputs[e.task_id])
            checked += 1
    assert checked > 0


def test_parquet_has_one_readable_row_per_example_with_provenance(parquet_set, runs, sandbox):
    out, manifest = parquet_set
    table = pq.read_table(out)
    assert tuple(table.column_names) == PARQUET_COLUMNS
    rows = table.to_pylist()
    assert len(rows) == len(manifest.examples) == manifest.report.examples_train + manifest.report.examples_validation
    assert {r["split"] for r in rows} == {"train", "validation"}
    assert not ({r["task_id"] for r in rows if r["split"] == "train"}
                & {r["task_id"] for r in rows if r["split"] == "validation"})
    assert any(r["augmentation"] for r in rows) and any(not r["augmentation"] for r in rows)
    run_a = str(runs[0])
    for r in rows:
        assert r["source_runs"] and all(s.startswith(run_a) or s.startswith(str(runs[1])) for s in r["source_runs"])
        posed, code = _check_consistent(json.loads(r["messages"]), sandbox)
        assert code.strip() == r["program"].strip()
        assert [Example.model_validate(p) for p in json.loads(r["train"])] == posed.train
        assert json.loads(r["test_inputs"]) == posed.test_inputs
        assert sandbox.run_sync(code, posed.test_inputs).results[0].output == json.loads(r["test_outputs"])[0]
        assert r["some_correct"] == (r["originally_correct"] > 0)


def test_same_seed_gives_the_same_files(runs, default_set, tmp_path):
    out, first = default_set
    again = tmp_path / "again.jsonl"
    second = _build(runs, again, "--augment", "2", "--validation", "0.4", "--seed", "3")
    assert again.read_text() == out.read_text(), (first.report.input_failures, second.report.input_failures)
    assert again.with_name("again_val.jsonl").read_text() == out.with_name("set_val.jsonl").read_text(), (
        first.report.input_failures, second.report.input_failures)


def test_limit_caps_the_balanced_programs(runs, tmp_path):
    manifest = _build(runs, tmp_path / "small.jsonl", "--limit", "4")
    assert len(manifest.examples) == 4
    assert sum(e.originally_correct > 0 for e in manifest.examples) == 2
    assert not (tmp_path / "small_val.jsonl").exists()


def _error(capsys, *args: str) -> str:
    code = main(["training-data", *args])
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and err.startswith("error: ")
    return err


def test_missing_run_directory_is_one_line(tmp_path, capsys):
    assert "no such run directory" in _error(capsys, str(tmp_path / "nope"))


def test_folder_without_config_is_not_a_run_directory(tmp_path, capsys):
    assert "not a run directory" in _error(capsys, str(tmp_path))


def test_bad_validation_fraction_is_one_line(runs, tmp_path, capsys):
    assert "--validation" in _error(capsys, str(runs[0]), "--validation", "1.5", "-o", str(tmp_path / "x.jsonl"))


def test_bad_format_is_one_line(runs, tmp_path, capsys):
    assert "--format" in _error(capsys, str(runs[0]), "--format", "csv", "-o", str(tmp_path / "x.csv"))


def test_run_without_programs_is_one_line(tmp_path, capsys):
    with ScriptedServer() as server:
        run_dir = scripted_run(server, tmp_path / "prose", TASKS[:1], turns=1, prose=True)
    capsys.readouterr()
    assert "no programs found" in _error(capsys, str(run_dir), "-o", str(tmp_path / "x.jsonl"))


def test_training_data_prints_file_names_as_inert_text(runs, tmp_path: Path, capsys):
    out = tmp_path / "odd[/red]\x1b[2J" / "set.jsonl"
    assert main(["training-data", str(runs[0]), "--output", str(out), "--quiet"]) == 0  # a set with examples
    printed = capsys.readouterr().out
    assert "\x1b" not in printed and "odd[/red]" in printed and "TRAINING DATA" in printed


def test_training_report_table_shows_its_labels_as_inert_text():
    import io

    from rich.console import Console

    from arcbench.training.report import TrainingReport, report_table

    buf = io.StringIO()
    report = TrainingReport(rejected={"odd\x1b[2J[/red]": 1}, input_failures={"kind\x9b1m[/red]": 2})
    Console(file=buf, width=200, color_system=None).print(report_table(report))
    printed = buf.getvalue()
    assert "\x1b" not in printed and "\x9b" not in printed
    assert "rejected: odd[/red]" in printed and "kind[/red] 2" in printed
