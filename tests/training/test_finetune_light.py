"""The parts of local fine-tuning and serving that need no model: reading training files, and the one-line error
when the finetune extra is not installed."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest

from arcbench.cli import main
from arcbench.errors import UserError
from arcbench.training.finetune_local import read_examples


@pytest.fixture(scope="module")
def parquet_and_jsonl(runs, tmp_path_factory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("sets")
    for fmt, name in (("parquet", "set.parquet"), ("openai", "set.jsonl")):
        assert main(["training-data", *map(str, runs), "--output", str(base / name), "--quiet", "--format", fmt,
                     "--validation", "0.3"]) == 0
    return base / "set.parquet", base / "set.jsonl"


def test_chat_jsonl_becomes_prompt_and_completion(parquet_and_jsonl):
    _, jsonl = parquet_and_jsonl
    rows = read_examples(jsonl)
    lines = [json.loads(line)["messages"] for line in jsonl.read_text().splitlines()]
    assert len(rows) == len(lines) > 0
    for row, messages in zip(rows, lines, strict=True):
        assert row["prompt"] == messages[:2] and row["completion"] == messages[2:]
        assert [m["role"] for m in row["completion"]] == ["assistant"]


def test_parquet_rows_of_each_split_match_the_jsonl_export(parquet_and_jsonl):
    parquet, jsonl = parquet_and_jsonl
    train, val = read_examples(parquet, "train"), read_examples(parquet, "validation")
    key = lambda r: json.dumps(r, sort_keys=True)  # noqa: E731
    assert sorted(map(key, train)) == sorted(map(key, read_examples(jsonl)))
    assert sorted(map(key, val)) == sorted(map(key, read_examples(jsonl.with_name("set_val.jsonl"))))


def test_the_completion_is_the_last_assistant_message(tmp_path):
    data = tmp_path / "multi.jsonl"
    msgs = [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"},
            {"role": "user", "content": "c"}, {"role": "assistant", "content": "d"}]
    data.write_text(json.dumps({"messages": msgs}) + "\n")
    (row,) = read_examples(data)
    assert row["prompt"] == msgs[:3] and row["completion"] == msgs[3:]


def test_an_example_without_an_assistant_message_is_a_user_error(tmp_path):
    data = tmp_path / "bad.jsonl"
    data.write_text(json.dumps({"messages": [{"role": "user", "content": "a"}]}) + "\n")
    with pytest.raises(UserError, match="line 1: no assistant message"):
        read_examples(data)


@pytest.fixture
def without_trl(monkeypatch):
    """As if the finetune extra were not installed (trl missing)."""
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "trl" else real(name, *a))


def test_finetune_local_without_the_extra_says_how_to_install_it(without_trl, tmp_path, capsys):
    data = tmp_path / "d.jsonl"
    data.write_text(json.dumps({"messages": [{"role": "assistant", "content": "b"}]}) + "\n")
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF")
    assert main(["finetune", "local", str(data), "--base", str(model), "--output", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert re.fullmatch(r"error: arcbench finetune local needs [a-z, ]*trl[a-z, ]*: install the finetune extra: "
                        r"uv sync --extra finetune \(or pip install 'arcbench\[finetune\]'\)\n", err), err


def test_serve_hf_without_the_extra_says_how_to_install_it(monkeypatch, tmp_path, capsys):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a))
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF")
    assert main(["serve", "hf", "--model", str(model)]) == 2
    err = capsys.readouterr().err
    assert re.fullmatch(r"error: arcbench serve hf needs torch[a-z, ]*: install the finetune extra: uv sync "
                        r"--extra finetune .*\n", err), err


def test_serve_hf_with_a_missing_model_is_one_line(tmp_path, capsys):
    assert main(["serve", "hf", "--model", str(tmp_path / "nope.gguf")]) == 2
    assert "no such model folder or GGUF file" in capsys.readouterr().err
