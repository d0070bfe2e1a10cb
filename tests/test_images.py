"""Grid images for models: valid PNGs, cells in ARC's colours where they should be, deterministic bytes, and content
parts that carry them."""

from __future__ import annotations

import io

import matplotlib.image as mpimg
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from arcbench.data.palette import ARC_COLORS
from arcbench.prompts.images import cell_size, grid_png, image_part, pair_png, png_of_part
from arcbench.prompts.style import plain_text, with_images

grids = st.integers(1, 30).flatmap(
    lambda w: st.lists(st.lists(st.integers(0, 9), min_size=w, max_size=w), min_size=1, max_size=30))


def pixels(png: bytes) -> np.ndarray:
    return (mpimg.imread(io.BytesIO(png), format="png")[..., :3] * 255).round().astype(int)


def rgb(hex_colour: str) -> list[int]:
    return [int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)]


@settings(max_examples=25, deadline=None)
@given(grids)
def test_every_cell_is_drawn_in_its_arc_colour(grid):
    img = pixels(grid_png(grid))
    cell = cell_size(grid)
    margin = 6
    for r, row in enumerate(grid):
        for c, value in enumerate(row):
            y = margin + 1 + r * (cell + 1) + cell // 2
            x0 = (img.shape[1] - (len(row) * (cell + 1) + 1)) // 2  # the grid is centred over its shape label
            x = x0 + 1 + c * (cell + 1) + cell // 2
            assert img[y, x].tolist() == rgb(ARC_COLORS[value])


def test_the_same_grid_gives_the_same_bytes_and_a_bounded_size():
    big = [[(r * c) % 10 for c in range(30)] for r in range(30)]
    assert grid_png(big) == grid_png([row[:] for row in big])
    h, w, _ = pixels(grid_png(big)).shape
    assert max(h, w) < 420 and min(pixels(grid_png([[1]])).shape[:2]) >= 20


def test_two_grids_side_by_side_share_one_cell_size():
    img = pixels(pair_png([[1, 1], [1, 1]], [[2] * 6] * 3))
    row = img[6 + 1 + 5]
    assert rgb(ARC_COLORS[1]) in row.tolist() and rgb(ARC_COLORS[2]) in row.tolist()


def test_content_parts_carry_the_png_and_read_as_text_with_a_mark_per_image():
    png = grid_png([[3]])
    part = image_part(png)
    assert part["type"] == "image_url" and part["image_url"]["url"].startswith("data:image/png;base64,")
    assert png_of_part(part) == png
    content = with_images("before\n\x1e0\x1e\nafter", [png])
    assert [p["type"] for p in content] == ["text", "image_url", "text"]
    assert plain_text(content) == "before\n[image]\nafter"
    assert with_images("no images", []) == "no images"
