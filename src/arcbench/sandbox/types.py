"""What the sandbox returns: per input grid, the output grid or the kind of failure."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

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
    stdout_truncated: bool = False
    """True when the program printed more than `SandboxLimits.max_output_chars` and the rest was dropped."""


class SandboxLimits(BaseModel):
    """Bounds on one program run. Every limit holds per program; `timeout_s` per input grid."""

    timeout_s: float = Field(1.0, gt=0)
    """Wall-clock seconds per grid (module-level code gets its own allowance of the same length)."""
    memory_mb: int = Field(512, gt=0)
    """Address space the program may add on top of the warm interpreter with numpy loaded."""
    max_output_chars: int = Field(10_000, ge=0, le=1_000_000)
    """Captured stdout+stderr kept; the rest is counted and dropped."""
    max_processes: int = Field(4, ge=0)
    """Processes or threads the program may start besides its own."""
    max_file_mb: int = Field(16, ge=0)
    """Largest file the program may write in its scratch directory."""
    max_open_files: int = Field(64, ge=8)
