"""Cached input through a whole run: priced at the cached rate, and the summary's cache hit rate."""

from __future__ import annotations

import pytest

from arcbench.cli import main
from arcbench.testing.server import ScriptedServer
from tests.run.helpers import IDENTITY, answer, events, summary


def test_cached_tokens_are_priced_at_the_cached_rate_and_the_summary_shows_the_hit_rate(tmp_path, capsys):
    run_dir = tmp_path / "run"
    script = [{"turn": 1, "content": "no code yet", "prompt_tokens": 1000, "completion_tokens": 100},
              {"turn": 2, "content": answer(IDENTITY), "prompt_tokens": 2000, "completion_tokens": 100,
               "cached_tokens": 1500}]
    with ScriptedServer(script) as server:
        code = main(["run", "--base-url", server.base_url, "--model", "scripted", "--subset", "6150a2bd",
                     "--max-turns", "2", "--stop-when", "never", "--price-in", "2", "--price-out", "8",
                     "--price-cached", "0.5", "--run-dir", str(run_dir), "--quiet"])
    assert code == 0
    costs = [e["cost_usd"] for e in events(run_dir)]
    assert costs == pytest.approx([(1000 * 2 + 100 * 8) / 1e6, (500 * 2 + 1500 * 0.5 + 100 * 8) / 1e6])
    s = summary(run_dir)
    assert (s.prompt_tokens, s.cached_tokens) == (3000, 1500)
    assert s.cache_hit_rate == pytest.approx(0.5)
    assert s.total_cost == pytest.approx(sum(costs))
    assert "1,500 tokens (50.0% of input)" in capsys.readouterr().out
