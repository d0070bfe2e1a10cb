"""The baseline through the whole `arcbench run` path: as the no-key default, and served over HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from arcbench.baseline.model import BaselineModel
from arcbench.cli import main
from arcbench.llm import ClientConfig
from arcbench.prompts.grids import grid_to_text
from arcbench.run.records import RunSummary
from arcbench.testing.server import ChatServer, ModelResponder

EASY = ["6150a2bd", "67a3c6ac", "68b16354"]  # rotate 180°, mirror, flip


def test_fresh_environment_without_a_key_runs_the_baseline_with_real_scores(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env["HOME"] = str(tmp_path)  # no stray configuration either
    r = subprocess.run(
        [sys.executable, "-m", "arcbench", "run", "--subset", ",".join(EASY), "--output-dir", str(tmp_path / "runs")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )
    assert r.returncode == 0, r.stderr
    assert "offline `baseline` model" in r.stdout
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert run_dir.name.endswith("_baseline")
    s = RunSummary.model_validate_json((run_dir / "summary.json").read_text())
    assert s.total_tasks == 3 and s.tasks_fully_solved == 3 and s.score == 1.0
    assert s.total_cost == 0.0 and s.total_tokens > 0


def test_served_baseline_solves_easy_tasks_and_is_never_given_a_test_output(arc1, tmp_path):
    model = BaselineModel(ClientConfig(model="baseline", baseline_time_s=1.0))
    with ChatServer(ModelResponder(model), model_ids=("baseline",)) as server:
        code = main(["run", "--base-url", server.base_url, "--model", "baseline", "--subset", ",".join(EASY),
                     "--run-dir", str(tmp_path / "run"), "--quiet"])
        sent = [json.dumps(r.body) for r in server.chat_requests]
    assert code == 0
    s = RunSummary.model_validate_json((tmp_path / "run" / "summary.json").read_text())
    assert s.tasks_fully_solved == 3
    assert len(sent) == 3
    for tid in EASY:
        for out in arc1[tid].test_outputs:
            assert all(json.dumps(grid_to_text(out))[1:-1] not in body for body in sent)
