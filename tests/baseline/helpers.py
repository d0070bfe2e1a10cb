"""Helpers shared by the baseline tests."""

from __future__ import annotations

import re

_CODE_RE = re.compile(r"```python\n(.*?)```", re.S)


def code_of(reply: str) -> str:
    """The one python block of a baseline reply (fails the test when there is not exactly one)."""
    blocks = _CODE_RE.findall(reply)
    assert len(blocks) == 1, reply
    return blocks[0]


def run_in_process(code: str, grids: list) -> list:
    namespace: dict = {}
    exec(compile(code, "<baseline program>", "exec"), namespace)
    return [namespace["transform"](g) for g in grids]
