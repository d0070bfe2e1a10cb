"""Grids as PNG images for models that read images (`--images`, `--images-only`), in OpenAI's content-part format.

A grid is drawn as one square per cell in ARC's colours, with a grey line between cells and around the grid, and its
shape ("3x7") written under it, so that a model can count cells and read the size without the text. Drawing and PNG
encoding are done here with numpy and zlib (no imaging library, no fonts: the digits and the "x" are a 3x5 bitmap),
which keeps images byte-for-byte reproducible: the same grid always gives the same image, so a resumed run sends the
same request. Pure functions.
"""

from __future__ import annotations

import base64
import struct
import zlib
from typing import Any

import numpy as np

from arcbench.data.palette import ARC_COLORS
from arcbench.data.types import Grid, grid_shape

_BACKGROUND = (255, 255, 255)
_LINE = (85, 85, 85)
_TEXT = (40, 40, 40)
_MARGIN = 6
_GAP = 18  # between two grids shown side by side
_TARGET = 360  # px: the longer side of a grid's cells aims at this
_MIN_CELL, _MAX_CELL = 6, 28
_FONT_SCALE = 2
_GLYPHS = {
    "0": ("111", "101", "101", "101", "111"), "1": ("010", "110", "010", "010", "111"),
    "2": ("111", "001", "111", "100", "111"), "3": ("111", "001", "111", "001", "111"),
    "4": ("101", "101", "111", "001", "001"), "5": ("111", "100", "111", "001", "111"),
    "6": ("111", "100", "111", "101", "111"), "7": ("111", "001", "001", "001", "001"),
    "8": ("111", "101", "111", "101", "111"), "9": ("111", "101", "111", "001", "111"),
    "x": ("000", "101", "010", "101", "000"),
}
_PALETTE = np.array([[int(c[i:i + 2], 16) for i in (1, 3, 5)] for c in ARC_COLORS], dtype=np.uint8)


def cell_size(grid: Grid) -> int:
    """Pixels per cell: large for small grids, at least 6 for a 30x30 one."""
    rows, cols = grid_shape(grid)
    return max(_MIN_CELL, min(_MAX_CELL, _TARGET // max(rows, cols)))


def _grid_pixels(grid: Grid, cell: int) -> np.ndarray:
    rows, cols = grid_shape(grid)
    step = cell + 1
    img = np.empty((rows * step + 1, cols * step + 1, 3), dtype=np.uint8)
    img[:] = _LINE
    values = np.array(grid, dtype=np.intp).clip(0, 9)
    block = np.repeat(np.repeat(_PALETTE[values], cell, axis=0), cell, axis=1)
    mask = np.ones(rows * step + 1, dtype=bool)
    mask[0::step] = False
    cmask = np.ones(cols * step + 1, dtype=bool)
    cmask[0::step] = False
    img[np.ix_(mask, cmask)] = block
    return img


def _text_pixels(text: str) -> np.ndarray:
    s = _FONT_SCALE
    width = len(text) * 4 * s - s
    img = np.empty((5 * s, max(width, 1), 3), dtype=np.uint8)
    img[:] = _BACKGROUND
    for k, ch in enumerate(text):
        for r, row in enumerate(_GLYPHS[ch]):
            for c, bit in enumerate(row):
                if bit == "1":
                    x = k * 4 * s + c * s
                    img[r * s:(r + 1) * s, x:x + s] = _TEXT
    return img


def _labelled(grid: Grid, cell: int) -> np.ndarray:
    """The grid with its shape centred under it."""
    rows, cols = grid_shape(grid)
    g = _grid_pixels(grid, cell)
    t = _text_pixels(f"{rows}x{cols}")
    width = max(g.shape[1], t.shape[1])
    img = np.empty((g.shape[0] + 6 + t.shape[0], width, 3), dtype=np.uint8)
    img[:] = _BACKGROUND
    x = (width - g.shape[1]) // 2
    img[:g.shape[0], x:x + g.shape[1]] = g
    x = (width - t.shape[1]) // 2
    img[g.shape[0] + 6:, x:x + t.shape[1]] = t
    return img


def _compose(panels: list[np.ndarray]) -> np.ndarray:
    height = max(p.shape[0] for p in panels) + 2 * _MARGIN
    width = sum(p.shape[1] for p in panels) + _GAP * (len(panels) - 1) + 2 * _MARGIN
    img = np.empty((height, width, 3), dtype=np.uint8)
    img[:] = _BACKGROUND
    x = _MARGIN
    for p in panels:
        img[_MARGIN:_MARGIN + p.shape[0], x:x + p.shape[1]] = p
        x += p.shape[1] + _GAP
    return img


def encode_png(rgb: np.ndarray) -> bytes:
    """An RGB uint8 array (height, width, 3) as PNG bytes (8-bit truecolour, no filter, zlib level 9)."""
    height, width, _ = rgb.shape
    raw = np.zeros((height, width * 3 + 1), dtype=np.uint8)  # filter byte 0 at the start of every row
    raw[:, 1:] = rgb.reshape(height, width * 3)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw.tobytes(), 9))
            + chunk(b"IEND", b""))


def grid_png(grid: Grid) -> bytes:
    """One grid, its shape under it."""
    return encode_png(_compose([_labelled(grid, cell_size(grid))]))


def pair_png(left: Grid, right: Grid) -> bytes:
    """Two grids side by side at one cell size (the expected output on the left, the produced one on the right)."""
    cell = min(cell_size(left), cell_size(right))
    return encode_png(_compose([_labelled(left, cell), _labelled(right, cell)]))


def image_part(png: bytes) -> dict[str, Any]:
    """An OpenAI Chat Completions image content part holding the PNG as a data URL."""
    return {"type": "image_url", "image_url": {"url": "data:image/png;base64," + base64.b64encode(png).decode()}}


def png_of_part(part: Any) -> bytes | None:
    """The PNG bytes of an image content part made by `image_part` (None for anything else)."""
    if not isinstance(part, dict) or part.get("type") != "image_url":
        return None
    url = (part.get("image_url") or {}).get("url") if isinstance(part.get("image_url"), dict) else None
    prefix = "data:image/png;base64,"
    if not isinstance(url, str) or not url.startswith(prefix):
        return None
    try:
        return base64.b64decode(url[len(prefix):], validate=True)
    except ValueError:
        return None
