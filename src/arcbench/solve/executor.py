"""The executor seam: what runs a program on grids (the sandbox's worker pool here, a cluster tomorrow)."""

from __future__ import annotations

from typing import Protocol

from arcbench.data.types import Grid
from arcbench.sandbox import ProgramResult, SandboxLimits


class Executor(Protocol):
    async def run(self, source: str, grids: list[Grid], limits: SandboxLimits | None = None) -> ProgramResult: ...
