"""`arcbench finetune openai|status|cancel|list` through the openai SDK against the local server's files and
fine-tuning endpoints, on a training set made by `arcbench training-data` from real run directories."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from arcbench.cli import main
from arcbench.testing.finetune_api import APIRefusal, FineTuneAPI, JobScript
from arcbench.testing.server import ScriptedServer
from arcbench.training.finetunes import FineTuneManifest, read_manifest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def dataset(runs, tmp_path_factory) -> Path:
    """A training set with a validation file and a manifest, as `arcbench training-data` writes them."""
    out = tmp_path_factory.mktemp("ftdata") / "arc.jsonl"
    assert main(["training-data", *map(str, runs), "--output", str(out), "--quiet", "--validation", "0.3"]) == 0
    return out


@pytest.fixture
def api() -> FineTuneAPI:
    return FineTuneAPI()


@pytest.fixture
def server(api) -> Iterator[ScriptedServer]:
    with ScriptedServer(routes=[api]) as s:
        yield s


def _finetune(server: ScriptedServer, registry: Path, data: Path, *flags: str) -> int:
    return main(["finetune", "openai", str(data), "--model", "gpt-4.1-nano", "--base-url", server.base_url,
                 "--registry", str(registry), "--poll-interval", "0", *flags])


def _only_manifest(registry: Path) -> FineTuneManifest:
    (path,) = registry.glob("*.json")
    return read_manifest(path)


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    return err


def test_a_job_that_succeeds_prints_the_model_and_the_run_command(server, api, dataset, tmp_path, capsys):
    assert _finetune(server, tmp_path / "reg", dataset, "--suffix", "arc", "--epochs", "2") == 0
    out = capsys.readouterr().out
    manifest = _only_manifest(tmp_path / "reg")
    assert manifest.status == "succeeded"
    assert manifest.fine_tuned_model and manifest.fine_tuned_model.startswith("ft:gpt-4.1-nano-2025-04-14:")
    assert f"Fine-tuned model: {manifest.fine_tuned_model}" in out
    assert f"arcbench run --base-url {server.base_url} --model {manifest.fine_tuned_model}" in out
    assert "train loss 0.2000" in out and "valid loss 0.4000" in out and "trained tokens 3,000" in out
    assert api.jobs[manifest.job_id].data["hyperparameters"]["n_epochs"] == 2


def test_the_manifest_links_data_manifest_files_job_and_model(server, api, dataset, tmp_path):
    assert _finetune(server, tmp_path / "reg", dataset) == 0
    m = _only_manifest(tmp_path / "reg")
    val = dataset.with_name("arc_val.jsonl")
    assert m.training.path == str(dataset.resolve()) and m.validation and m.validation.path == str(val.resolve())
    assert m.training.data_manifest == m.validation.data_manifest == str(dataset.with_name("arc.manifest.json"))
    assert api.contents[m.training.file_id] == dataset.read_bytes()
    assert api.contents[m.validation.file_id] == val.read_bytes()
    assert m.training.examples == len(dataset.read_text().splitlines())
    job = api.jobs[m.job_id].data
    assert (job["training_file"], job["validation_file"]) == (m.training.file_id, m.validation.file_id)
    assert [p.step for p in m.metrics] == [1, 2, 3] and m.last_valid_loss == 0.4


def test_a_job_that_fails_on_a_bad_file_ends_in_one_line(server, tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"messages": [{"role": "user", "content": "hi"}]}) + "\n")
    assert _finetune(server, tmp_path / "reg", bad) == 2
    err = _one_error_line(capsys)
    assert "failed: The job failed due to an invalid training file" in err and "no assistant message" in err
    assert _only_manifest(tmp_path / "reg").status == "failed"


def test_a_job_that_fails_while_training_reports_the_apis_reason(server, api, dataset, tmp_path, capsys):
    api.script = JobScript(outcome="failed", fail_at_step=2, error_code="server_error",
                           error_message="Fine-tuning failed: internal error.", error_param=None)
    assert _finetune(server, tmp_path / "reg", dataset) == 2
    assert "Fine-tuning failed: internal error. (server_error)" in _one_error_line(capsys)
    m = _only_manifest(tmp_path / "reg")
    assert m.status == "failed" and [p.step for p in m.metrics] == [1, 2]


def test_an_unsupported_base_model_is_one_line(server, dataset, tmp_path, capsys):
    code = main(["finetune", "openai", str(dataset), "--model", "gpt-9", "--base-url", server.base_url,
                 "--registry", str(tmp_path / "reg")])
    assert code == 2
    assert "gpt-9 is not available for fine-tuning" in _one_error_line(capsys)


def test_a_quota_refusal_is_one_line(server, api, dataset, tmp_path, capsys):
    api.refuse_create = APIRefusal()
    assert _finetune(server, tmp_path / "reg", dataset) == 2
    assert "exceeded your current quota" in _one_error_line(capsys)


def test_a_missing_key_for_openai_names_the_variable(dataset, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(["finetune", "openai", str(dataset), "--model", "gpt-4.1-nano"]) == 2
    assert "set OPENAI_API_KEY" in _one_error_line(capsys)


def test_interrupted_following_leaves_the_job_and_status_follows_it_again(server, api, dataset, tmp_path, capsys):
    api.script = JobScript(polls_per_stage=50)  # long enough to interrupt while it is validating
    registry = tmp_path / "reg"
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "arcbench", "finetune", "openai", str(dataset), "--model", "gpt-4.1-nano",
         "--base-url", server.base_url, "--registry", str(registry), "--poll-interval", "0.05"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env)
    assert proc.stdout is not None
    for line in proc.stdout:
        if " validating_files" in line:  # the first progress line: the command is following the job
            break
    proc.send_signal(signal.SIGINT)
    rest, err = proc.communicate(timeout=60)
    assert proc.returncode == 1, err
    job_id = _only_manifest(registry).job_id
    assert f"Follow it again with: arcbench finetune status {job_id} --registry {registry}" in rest
    assert api.jobs[job_id].data["status"] == "validating_files"  # nothing cancelled it

    assert main(["finetune", "status", job_id, "--registry", str(registry), "--poll-interval", "0"]) == 0
    out = capsys.readouterr().out
    m = _only_manifest(registry)
    assert m.status == "succeeded" and f"Fine-tuned model: {m.fine_tuned_model}" in out


def test_cancel_stops_a_job_and_status_says_so(server, dataset, tmp_path, capsys):
    registry = tmp_path / "reg"
    assert _finetune(server, registry, dataset, "--no-follow") == 0
    job_id = _only_manifest(registry).job_id
    assert main(["finetune", "cancel", job_id, "--registry", str(registry)]) == 0
    assert main(["finetune", "status", job_id, "--registry", str(registry), "--poll-interval", "0"]) == 1
    assert f"Job {job_id} was cancelled." in capsys.readouterr().out
    assert _only_manifest(registry).status == "cancelled"


def test_list_shows_the_registry(server, dataset, tmp_path, capsys):
    registry = tmp_path / "reg"
    assert _finetune(server, registry, dataset) == 0
    capsys.readouterr()
    assert main(["finetune", "list", "--registry", str(registry)]) == 0
    out = capsys.readouterr().out
    m = _only_manifest(registry)
    assert m.job_id in out and "arc.jsonl" in out and "succeeded" in out


def test_compare_names_the_data_and_job_of_the_fine_tuned_model(server, dataset, tmp_path, capsys):
    registry = tmp_path / "reg"
    assert _finetune(server, registry, dataset) == 0
    m = _only_manifest(registry)
    assert m.fine_tuned_model is not None
    run_dirs = []
    for name, model in (("base", "gpt-4.1-nano"), ("tuned", m.fine_tuned_model)):
        run_dirs.append(tmp_path / name)
        assert main(["run", "--base-url", server.base_url, "--model", model, "--run-dir", str(run_dirs[-1]),
                     "--subset", "6150a2bd", "--max-turns", "1", "--quiet"]) == 0
    capsys.readouterr()
    assert main(["compare", *map(str, run_dirs), "--registry", str(registry)]) == 0
    out = capsys.readouterr().out
    assert f"tuned: {m.fine_tuned_model} was fine-tuned from {m.base_model} by job {m.job_id} (openai) on " \
           f"{dataset.resolve()}" in out
    assert f"data manifest {dataset.with_name('arc.manifest.json')}" in out
    assert "base:" not in out  # the base model was not fine-tuned here


def test_compare_json_carries_the_fine_tune_origin(server, dataset, tmp_path, capsys):
    registry = tmp_path / "reg"
    assert _finetune(server, registry, dataset) == 0
    m = _only_manifest(registry)
    run_dir = tmp_path / "tuned"
    assert main(["run", "--base-url", server.base_url, "--model", str(m.fine_tuned_model), "--run-dir",
                 str(run_dir), "--subset", "6150a2bd", "--max-turns", "1", "--quiet"]) == 0
    capsys.readouterr()
    assert main(["compare", str(run_dir), str(run_dir), "--json", "--registry", str(registry)]) == 0
    configs = json.loads(capsys.readouterr().out)["configs"]
    assert configs[0]["finetune"]["job_id"] == m.job_id
    assert configs[0]["finetune"]["training_data"] == str(dataset.resolve())
