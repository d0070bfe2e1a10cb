"""`arcbench sweep` end to end against the local server: the seed's example as one command, a small matrix with
repeats, the comparison and sweep.png, resuming as a whole, and one-line errors for bad files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from arcbench.cli import main
from arcbench.commands.sweep_cmd import load_sweep
from arcbench.testing.server import ScriptedServer
from tests.run.helpers import IDENTITY, ROT180, answer, marker

EXAMPLE = Path(__file__).parents[2] / "examples" / "sweeps" / "o4-mini-effort.toml"


@pytest.fixture
def server():
    with ScriptedServer([{"content": answer(IDENTITY)}]) as s:
        yield s


@pytest.fixture(autouse=True)
def key(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")


def test_the_seed_example_is_one_command(server, tmp_path):
    plan = load_sweep(EXAMPLE)
    assert plan.repeats == 3 and [(e.name, e.config.client.model, e.config.client.reasoning_effort,
                                   e.config.max_turns) for e in plan.entries] == [("low-x8", "o4-mini", "low", 8),
                                                                                  ("high-x4", "o4-mini", "high", 4)]
    out = tmp_path / "out"
    assert main(["sweep", str(EXAMPLE), "--base-url", server.base_url, "--limit", "1", "--output-dir", str(out)]) == 0
    efforts = [r.body.get("reasoning_effort") for r in server.chat_requests]
    assert efforts.count("low") == 3 * 8 and efforts.count("high") == 3 * 4  # the identity never solves: all turns
    folder = out / "o4-mini-effort"
    for name in ("low-x8", "high-x4"):
        assert (folder / name / "aggregate.json").is_file() and len(list((folder / name).glob("run_*"))) == 3
    comparison = json.loads((folder / "comparison.json").read_text())
    assert [c["name"] for c in comparison["configs"]] == ["low-x8", "high-x4"]
    assert [c["runs"] for c in comparison["configs"]] == [3, 3] and len(comparison["pairs"]) == 1
    assert (folder / "sweep.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


MATRIX = """
name = "small"
repeats = 2

[base]
subset = "6150a2bd,67a3c6ac"
price-in = 1.0
price-out = 4.0

[matrix]
mode = ["feedback", "independent"]
max-turns = [1, 2]
"""


def test_a_matrix_with_repeats_runs_every_combination_and_compares_them(server, tmp_path):
    server.set_script([{"match": marker("6150a2bd"), "turn": 2, "content": answer(ROT180)},
                       {"content": answer(IDENTITY)}])
    sweep = tmp_path / "small.toml"
    sweep.write_text(MATRIX)
    out = tmp_path / "out"
    assert main(["sweep", str(sweep), "--base-url", server.base_url, "--output-dir", str(out)]) == 0
    comparison = json.loads((out / "small" / "comparison.json").read_text())
    by_name = {c["name"]: c for c in comparison["configs"]}
    assert sorted(by_name) == ["mode=feedback,max-turns=1", "mode=feedback,max-turns=2",
                               "mode=independent,max-turns=1", "mode=independent,max-turns=2"]
    # Only a feedback conversation reaches turn 2, where the scripted model gets the half turn right.
    assert by_name["mode=feedback,max-turns=2"]["score"]["mean"] == 0.5
    assert all(by_name[n]["score"]["mean"] == 0.0 for n in by_name if n != "mode=feedback,max-turns=2")
    assert all(c["cost_usd"]["mean"] > 0 and c["runs"] == 2 for c in comparison["configs"])
    assert len(comparison["pairs"]) == 6


def test_a_sweep_run_again_resumes_and_pays_only_for_what_is_missing(server, tmp_path):
    sweep = tmp_path / "small.toml"
    sweep.write_text(MATRIX.replace('["feedback", "independent"]', '["feedback"]'))
    out = tmp_path / "out"
    args = ["sweep", str(sweep), "--base-url", server.base_url, "--output-dir", str(out)]
    assert main(args) == 0
    sent = len(server.chat_requests)
    assert main(args) == 0 and len(server.chat_requests) == sent  # finished: nothing is called again
    # As if interrupted before the last repeat of the last configuration finished.
    last = out / "small" / "mode=feedback,max-turns=2"
    shutil.rmtree(last / "run_2")
    (last / "aggregate.json").unlink()
    assert main(args) == 0
    assert len(server.chat_requests) - sent == 2 * 2  # two tasks x two turns, once
    assert (last / "aggregate.json").is_file()


def test_a_sweep_folder_refuses_a_file_that_measures_something_else(server, tmp_path, capsys):
    sweep = tmp_path / "s.toml"
    sweep.write_text('[base]\nsubset = "6150a2bd"\n[[config]]\nname = "a"\nmax-turns = 1\n')
    out = tmp_path / "out"
    assert main(["sweep", str(sweep), "--base-url", server.base_url, "--output-dir", str(out)]) == 0
    sweep.write_text('[base]\nsubset = "6150a2bd"\n[[config]]\nname = "a"\nmax-turns = 2\n')
    assert main(["sweep", str(sweep), "--base-url", server.base_url, "--output-dir", str(out)]) == 2
    err = capsys.readouterr().err
    assert "configuration 'a' was run with max_turns = 1; the file now says 2" in err and len(err.splitlines()) == 1


@pytest.mark.parametrize("text,message", [
    ('[base]\nmax-turn = 3\n', "'max-turn' is not a flag of `arcbench run`"),
    ('[[config]]\nsubset = "a"\n[[config]]\nsubset = "b"\n', "a sweep runs every configuration on one task set"),
    ('[base]\nmax-turns = 0\n', "--max-turns: input should be greater than or equal to 1"),
    ('[base]\noutput-dir = "x"\n', "does not go in a sweep file"),
    ('repeats = 11\n', "repeats must be a whole number from 1 to 10"),
    ('[matrix]\nmode = "tools"\n', "[matrix] mode must be a non-empty list"),
    ('[[config]]\nname = "a"\n[[config]]\nname = "a"\n', "distinct names"),
    ("[base\n", "is not valid TOML"),
])
def test_a_bad_sweep_file_is_one_line_naming_the_problem(tmp_path, capsys, text, message):
    sweep = tmp_path / "bad.toml"
    sweep.write_text(text)
    assert main(["sweep", str(sweep), "--output-dir", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_a_missing_sweep_file_is_one_line(tmp_path, capsys):
    assert main(["sweep", str(tmp_path / "nope.toml")]) == 2
    assert "sweep file not found" in capsys.readouterr().err
