"""The options strategies share (`--images`, `--describe-grids`, `--feedback`, `--max-repeats`,
`--generalise-check`) and the settings of two strategies (`--experts` for refine, the tool budget for tools).
Validated here, where they are defined, whether they come from a flag, a sweep file or Python."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from arcbench.prompts.style import PromptStyle


class SolveOptions(BaseModel):
    model_config = ConfigDict(validate_assignment=True)

    images: bool = False
    """Every grid also as a PNG image (task prompt, and feedback: expected and produced side by side)."""
    images_only: bool = False
    """Grids as images only, no digit text (implies images)."""
    describe_grids: bool = False
    """Ask for describe_input/describe_output too; run them on every training input and output and show the results
    in the feedback."""
    feedback: Literal["text", "diff"] = "text"
    """"diff": a wrong output of the right shape is shown cell by cell (wrong cells as expected/produced)."""
    max_repeats: int | None = Field(None, ge=1, le=100)
    """In a feedback conversation, after this many turns whose training outputs equal an earlier turn's, restart
    from a fresh sample with the remaining budget. None: never."""
    generalise_check: bool = False
    """When a program solves every training example, one more turn shows the model its test outputs and asks whether
    it is general or fitted; the model confirms or revises, and both programs stay candidates."""
    experts: int = Field(3, ge=1, le=64)
    """refine: independent experts working in parallel."""
    refine_programs: int = Field(5, ge=1, le=20)
    """refine: the best programs so far shown to an expert in each iteration."""
    max_tool_calls: int = Field(30, ge=1, le=1000)
    """tools: run_python and submit calls per task."""
    tool_timeout_s: float = Field(10.0, ge=0.1, le=600)
    """tools: wall-clock seconds for one run_python call's own code (rebuilding the session is allowed as much
    again per earlier call)."""
    tool_memory_mb: int = Field(512, ge=64, le=1_000_000)
    """tools: memory for one run_python call, as --exec-memory is for a program."""

    @model_validator(mode="after")
    def _images_only_shows_images(self) -> SolveOptions:
        if self.images_only and not self.images:
            object.__setattr__(self, "images", True)
        return self

    def style(self, *, tools: bool = False) -> PromptStyle:
        """How prompts look under these options."""
        return PromptStyle(images=self.images, images_only=self.images_only, feedback=self.feedback,
                           describe_grids=self.describe_grids, tools=tools)
