"""arcbench: measure how well language models solve ARC-AGI puzzles by writing programs."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("arcbench")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

__all__ = ["__version__"]
