"""The package root's API drives a whole run from Python."""

from __future__ import annotations

import asyncio

import arcbench
from arcbench.testing import ScriptedModel


def test_a_run_from_the_package_root(tmp_path):
    config = arcbench.RunConfig(subset="6150a2bd", max_turns=2)
    model = ScriptedModel([{"content": "```python\ndef transform(g):\n    return [r[::-1] for r in g[::-1]]\n```"}])
    result = asyncio.run(arcbench.evaluate(config, model, str(tmp_path / "run")))
    assert isinstance(result, arcbench.RunResult) and result.summaries[0].score == 1.0


def test_every_exported_name_resolves():
    for name in arcbench.__all__:
        assert getattr(arcbench, name) is not None, name
