"""ARC's ten colours for the report's renderers: the one palette of `arcbench.data.palette`, which the images sent to
models use too."""

from arcbench.data.palette import ARC_COLORS

__all__ = ["ARC_COLORS"]
