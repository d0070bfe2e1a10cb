"""What the sandbox returns: per input grid, the output grid or the kind of failure."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from arcbench.data.types import Grid

ErrorKind = Literal["syntax", "no_transform", "exception", "timeout", "memory", "bad_output", "crashed"]


class GridResult(BaseModel):
    """One run of `transform` on one input grid."""

    output: Grid | None = None
    error: ErrorKind | None = None
    message: str = ""
    """Why it failed: the exception and the last lines of its traceback, or what was wrong with the output."""
    duration_s: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None and self.output is not None


class ProgramResult(BaseModel):
    """One program run on a list of input grids."""

    results: list[GridResult]
    stdout: str = ""
    """The program's captured stdout and stderr, truncated."""
    duration_s: float = 0.0
