"""sweep.png from a comparison: costs (or tokens when no price is known) on x, scores with CIs on y, any name."""

from __future__ import annotations

import io

import matplotlib.image as mpimg

from arcbench.report.compare import Comparison, ConfigStats, Value
from arcbench.report.sweep_chart import sweep_chart


def _config(name: str, score: float, cost: float | None, runs: int = 3) -> ConfigStats:
    v = Value(mean=1.0)
    ci = Value(mean=score, ci95_low=score - 0.1, ci95_high=score + 0.1, n=runs)
    money = Value(mean=cost, ci95_low=None if cost is None else cost * 0.8,
                  ci95_high=None if cost is None else cost * 1.2, n=runs if cost is not None else 0)
    return ConfigStats(name=name, path=name, model="m", mode="feedback", dataset="arc-agi-1", subset="s", runs=runs,
                       tasks=10, scored_tasks=v, score=ci, solved=v, pixel_accuracy=v, api_failures=v, turns=v,
                       turns_per_task=v, tokens=Value(mean=50_000.0), cost_usd=money, cost_known=cost is not None,
                       cost_per_solved=v, leaky=False)


def test_the_chart_plots_cost_per_task_and_draws_any_name_literally(tmp_path):
    comparison = Comparison(configs=[_config("low $\\frac{1", 0.4, 2.0), _config("high", 0.5, 4.0)], pairs=[])
    path = tmp_path / "sweep.png"
    assert sweep_chart(comparison, path, title="o4-mini $x") == "cost"
    img = mpimg.imread(io.BytesIO(path.read_bytes()), format="png")
    assert img.shape[0] > 400 and img.shape[1] > 600


def test_without_any_known_price_tokens_per_task_stand_in(tmp_path):
    comparison = Comparison(configs=[_config("a", 0.2, None, runs=1), _config("b", 0.3, None, runs=1)], pairs=[])
    assert sweep_chart(comparison, tmp_path / "sweep.png") == "tokens"
