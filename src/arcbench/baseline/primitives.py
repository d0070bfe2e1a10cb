"""Grid primitives of the baseline's search, written to be copied verbatim into the programs it emits.

Every function here takes a 2-D numpy int array first and returns a new one. Each uses only numpy and the other
functions of this module (named in `DEPENDS`), so `arcbench.baseline.emit` can paste the source of the ones a program
uses above its `transform(grid)` and the program runs on its own: what the search scored is exactly what runs.
Keep them free of arcbench imports, module-level state and annotations that need imports.
"""

import numpy as np


def background(g):
    """The most common colour of the grid (ties go to the smaller colour)."""
    values, counts = np.unique(g, return_counts=True)
    return int(values[np.argmax(counts)])


def dihedral(g, k):
    """One of the 8 symmetries of the square: k=0..3 rotate by 90*k degrees anticlockwise, 4 flips upside down,
    5 flips left-right, 6 transposes, 7 transposes along the other diagonal."""
    if k < 4:
        return np.rot90(g, k).copy()
    return [g[::-1, :], g[:, ::-1], g.T, g[::-1, ::-1].T][k - 4].copy()


def crop_to_content(g, bg):
    """The bounding box of the cells that are not background (bg=None: the most common colour)."""
    if bg is None:
        bg = background(g)
    rows, cols = np.nonzero(g != bg)
    if len(rows) == 0:
        return g.copy()
    return g[rows.min():rows.max() + 1, cols.min():cols.max() + 1].copy()


def find_objects(g, bg, diagonal, multicolor):
    """Connected groups of non-background cells, each a sorted list of (row, col), in reading order.

    diagonal: cells touching at a corner are connected; multicolor: neighbours of any colour join (else only the
    same colour)."""
    cells = g.tolist()
    h, w = g.shape
    seen = [[False] * w for _ in range(h)]
    steps = [(-1, 0), (1, 0), (0, -1), (0, 1)]
    if diagonal:
        steps += [(-1, -1), (-1, 1), (1, -1), (1, 1)]
    objects = []
    for r in range(h):
        for c in range(w):
            if seen[r][c] or cells[r][c] == bg:
                continue
            seen[r][c] = True
            stack = [(r, c)]
            found = []
            while stack:
                y, x = stack.pop()
                found.append((y, x))
                for dy, dx in steps:
                    ny, nx = y + dy, x + dx
                    if 0 <= ny < h and 0 <= nx < w and not seen[ny][nx] and cells[ny][nx] != bg and (
                            multicolor or cells[ny][nx] == cells[y][x]):
                        seen[ny][nx] = True
                        stack.append((ny, nx))
            objects.append(sorted(found))
    return objects


def _object_key(g, obj, which):
    """How `select_object` ranks an object (larger key wins)."""
    rows = [r for r, _ in obj]
    cols = [c for _, c in obj]
    colors = {int(g[r, c]) for r, c in obj}
    if which == "largest":
        return len(obj)
    if which == "smallest":
        return -len(obj)
    if which == "largest_box":
        return (max(rows) - min(rows) + 1) * (max(cols) - min(cols) + 1)
    if which == "most_colors":
        return len(colors)
    if which == "densest_box":
        return len(obj) / ((max(rows) - min(rows) + 1) * (max(cols) - min(cols) + 1))
    raise ValueError(which)


def select_object(g, which, diagonal, multicolor):
    """The cells of the object chosen by rule `which` (largest, smallest, largest_box, most_colors, densest_box,
    rarest_color, unique_shape); the first in reading order wins ties. None when there is no clear choice."""
    bg = background(g)
    objects = find_objects(g, bg, diagonal, multicolor)
    if not objects:
        return None
    if which == "rarest_color":
        counts = {}
        for obj in objects:
            color = int(g[obj[0]])
            counts[color] = counts.get(color, 0) + 1
        unique = [obj for obj in objects if counts[int(g[obj[0]])] == 1]
        return unique[0] if len(unique) == 1 else None
    if which == "unique_shape":
        shapes = {}
        for obj in objects:
            r0 = min(r for r, _ in obj)
            c0 = min(c for _, c in obj)
            key = tuple((r - r0, c - c0) for r, c in obj)
            shapes.setdefault(key, []).append(obj)
        unique = [objs[0] for objs in shapes.values() if len(objs) == 1]
        return unique[0] if len(unique) == 1 and len(shapes) > 1 else None
    keys = [_object_key(g, obj, which) for obj in objects]
    best = max(keys)
    return objects[keys.index(best)]


def crop_object(g, which, diagonal, multicolor, isolate):
    """The bounding box of the object chosen by `select_object`; isolate: blank the other objects' cells in it."""
    obj = select_object(g, which, diagonal, multicolor)
    if obj is None:
        raise ValueError("no object to crop")
    rows = [r for r, _ in obj]
    cols = [c for _, c in obj]
    r0, c0 = min(rows), min(cols)
    out = g[r0:max(rows) + 1, c0:max(cols) + 1].copy()
    if isolate:
        keep = np.zeros(out.shape, dtype=bool)
        for r, c in obj:
            keep[r - r0, c - c0] = True
        out[~keep] = background(g)
    return out


def keep_object(g, which, diagonal, multicolor):
    """The grid with only the object chosen by `select_object` left on the background."""
    obj = select_object(g, which, diagonal, multicolor)
    if obj is None:
        raise ValueError("no object to keep")
    out = np.full(g.shape, background(g))
    for r, c in obj:
        out[r, c] = g[r, c]
    return out


def remove_small_objects(g, max_size, diagonal):
    """Erase (to background) every single-colour object of at most `max_size` cells: removes noise."""
    bg = background(g)
    out = g.copy()
    for obj in find_objects(g, bg, diagonal, False):
        if len(obj) <= max_size:
            for r, c in obj:
                out[r, c] = bg
    return out


def scale_up(g, a, b):
    """Every cell becomes an a x b block."""
    return np.kron(g, np.ones((a, b), dtype=g.dtype))


def scale_down(g, a, b):
    """Every a x b block becomes one cell: the block's most common colour."""
    h, w = g.shape
    if h % a or w % b:
        raise ValueError("the grid does not divide into blocks")
    out = np.zeros((h // a, w // b), dtype=g.dtype)
    for i in range(h // a):
        for j in range(w // b):
            out[i, j] = background(g[i * a:(i + 1) * a, j * b:(j + 1) * b])
    return out


def tile_blocks(g, layout):
    """A mosaic of copies of the grid: layout[i][j] is the symmetry (see `dihedral`) of the block at row i, col j."""
    return np.vstack([np.hstack([dihedral(g, k) for k in row]) for row in layout])


def self_kron(g, inverse):
    """A fractal: each cell becomes a copy of the whole grid where it is coloured (where it is background when
    inverse), else a background block."""
    bg = background(g) if (g == 0).sum() == 0 else 0
    mask = (g != bg) if not inverse else (g == bg)
    out = np.kron(mask.astype(g.dtype), g)
    blank = np.kron(mask.astype(g.dtype), np.ones_like(g)) == 0
    out[blank] = bg
    return out


def gravity(g, side):
    """Non-background cells slide toward one side (0 down, 1 right, 2 up, 3 left), keeping their order."""
    bg = background(g)
    turned = np.rot90(g, side).copy()
    for c in range(turned.shape[1]):
        column = turned[:, c]
        kept = column[column != bg]
        turned[:, c] = np.concatenate([np.full(len(column) - len(kept), bg), kept])
    return np.rot90(turned, -side).copy()


def draw_rays(g, directions):
    """From every non-background cell, draw its colour over the background in each (dy, dx) direction up to the
    edge."""
    bg = background(g)
    h, w = g.shape
    out = g.copy()
    for r, c in zip(*np.nonzero(g != bg), strict=True):
        color = g[r, c]
        for dy, dx in directions:
            y, x = r + dy, c + dx
            while 0 <= y < h and 0 <= x < w:
                if out[y, x] == bg:
                    out[y, x] = color
                y, x = y + dy, x + dx
    return out


def connect_pairs(g, diagonal):
    """Join every two cells of the same colour in the same row or column (or diagonal) with a line of that colour,
    over background cells."""
    bg = background(g)
    out = g.copy()
    points = {}
    for r, c in zip(*np.nonzero(g != bg), strict=True):
        points.setdefault(int(g[r, c]), []).append((int(r), int(c)))
    for color, cells in sorted(points.items()):
        for i, (r1, c1) in enumerate(cells):
            for r2, c2 in cells[i + 1:]:
                dr, dc = r2 - r1, c2 - c1
                if not (dr == 0 or dc == 0 or (diagonal and abs(dr) == abs(dc))):
                    continue
                n = max(abs(dr), abs(dc))
                sy, sx = (dr > 0) - (dr < 0), (dc > 0) - (dc < 0)
                for t in range(1, n):
                    y, x = r1 + sy * t, c1 + sx * t
                    if out[y, x] == bg:
                        out[y, x] = color
    return out


def fill_enclosed(g, color):
    """Paint `color` over the background cells that cannot reach the edge through background cells."""
    bg = background(g)
    h, w = g.shape
    free = g == bg
    outside = np.zeros((h, w), dtype=bool)
    stack = [(r, c) for r in range(h) for c in (0, w - 1) if free[r, c]]
    stack += [(r, c) for c in range(w) for r in (0, h - 1) if free[r, c]]
    while stack:
        r, c = stack.pop()
        if outside[r, c]:
            continue
        outside[r, c] = True
        for y, x in ((r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1)):
            if 0 <= y < h and 0 <= x < w and free[y, x] and not outside[y, x]:
                stack.append((y, x))
    out = g.copy()
    out[free & ~outside] = color
    return out


def complete_symmetry(g, hole, mode):
    """Fill the cells of colour `hole` from their mirror images: mode 'lr' (left-right), 'ud', 'both', 'rot'
    (quarter turns), 'diag' (transpose) or 'all'."""
    images = {"lr": [1], "ud": [2], "both": [1, 2, 3], "rot": [4, 5, 6], "diag": [7], "all": [1, 2, 3, 4, 5, 6, 7]}
    out = g.copy()
    for _ in range(2):
        for k in images[mode]:
            if k == 1:
                m = out[:, ::-1]
            elif k == 2:
                m = out[::-1, :]
            elif k == 3:
                m = out[::-1, ::-1]
            elif k == 7:
                if out.shape[0] != out.shape[1]:
                    raise ValueError("not square")
                m = out.T
            else:
                if out.shape[0] != out.shape[1]:
                    raise ValueError("not square")
                m = np.rot90(out, k - 3)
            take = (out == hole) & (m != hole)
            out = np.where(take, m, out)
    return out


def split_parts(g, axis, n):
    """Cut the grid into n equal parts along an axis (0: stacked rows, 1: side by side), dropping one-cell
    separator lines between them when the size leaves room for them."""
    size = g.shape[axis]
    if size % n == 0:
        step, part = size // n, size // n
    elif (size - (n - 1)) % n == 0:
        part = (size - (n - 1)) // n
        step = part + 1
    else:
        raise ValueError("the grid does not split into equal parts")
    return [np.take(g, range(i * step, i * step + part), axis=axis) for i in range(n)]


def combine_parts(g, axis, n, op, color):
    """Split the grid (see `split_parts`), compare which cells are coloured (not 0) in each part, and paint
    `color` where the comparison op holds: 'and', 'or', 'xor' (an odd number of parts), 'nor', 'first_only'."""
    masks = [p != 0 for p in split_parts(g, axis, n)]
    if op == "and":
        m = np.logical_and.reduce(masks)
    elif op == "or":
        m = np.logical_or.reduce(masks)
    elif op == "xor":
        m = np.sum(masks, axis=0) % 2 == 1
    elif op == "nor":
        m = ~np.logical_or.reduce(masks)
    else:
        m = masks[0] & ~np.logical_or.reduce(masks[1:])
    return np.where(m, color, 0)


def overlay_parts(g, axis, n, order):
    """Split the grid (see `split_parts`) and lay the parts over each other in `order`: later parts' coloured
    (non-0) cells cover earlier ones."""
    parts = split_parts(g, axis, n)
    out = parts[order[0]].copy()
    for i in order[1:]:
        out = np.where(parts[i] != 0, parts[i], out)
    return out


def recolor(g, mapping):
    """Replace colours by the mapping {old: new}; other colours stay."""
    out = g.copy()
    for old, new in mapping.items():
        out[g == old] = new
    return out


def neighbourhood(g, r, c, kind):
    """The colours around cell (r, c) that a local rule looks at (-1 outside the grid)."""
    h, w = g.shape
    if kind == "cross":
        offsets = [(0, 0), (-1, 0), (1, 0), (0, -1), (0, 1)]
    elif kind == "square":
        offsets = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)]
    else:  # "lines": the cell, and which colours its row and its column hold
        row = tuple(sorted({int(v) for v in g[r, :]}))
        col = tuple(sorted({int(v) for v in g[:, c]}))
        return (int(g[r, c]), row, col)
    return tuple(int(g[r + dy, c + dx]) if 0 <= r + dy < h and 0 <= c + dx < w else -1 for dy, dx in offsets)


def apply_local_rule(g, kind, rule):
    """Each cell becomes rule[its neighbourhood] (learned from the examples); unknown neighbourhoods keep their
    colour."""
    out = g.copy()
    h, w = g.shape
    for r in range(h):
        for c in range(w):
            key = neighbourhood(g, r, c, kind)
            if key in rule:
                out[r, c] = rule[key]
    return out


def object_property(g, obj, prop, objects):
    """A property of an object (a list of cells) that a recolouring rule keys on."""
    rows = [r for r, _ in obj]
    cols = [c for _, c in obj]
    if prop == "size":
        return len(obj)
    if prop == "size_rank":
        sizes = sorted({len(o) for o in objects}, reverse=True)
        return sizes.index(len(obj))
    if prop == "size_rank_asc":
        sizes = sorted({len(o) for o in objects})
        return sizes.index(len(obj))
    if prop == "height":
        return max(rows) - min(rows) + 1
    if prop == "width":
        return max(cols) - min(cols) + 1
    if prop == "shape":
        r0, c0 = min(rows), min(cols)
        return tuple((r - r0, c - c0) for r, c in obj)
    if prop == "touches_edge":
        h, w = g.shape
        return int(min(rows) == 0 or min(cols) == 0 or max(rows) == h - 1 or max(cols) == w - 1)
    if prop == "is_rectangle":
        return int(len(obj) == (max(rows) - min(rows) + 1) * (max(cols) - min(cols) + 1))
    raise ValueError(prop)


def recolor_objects(g, prop, diagonal, table):
    """Repaint each single-colour object by table[its property] (learned from the examples); others stay."""
    objects = find_objects(g, background(g), diagonal, False)
    out = g.copy()
    for obj in objects:
        key = object_property(g, obj, prop, objects)
        if key in table:
            for r, c in obj:
                out[r, c] = table[key]
    return out


def fill_constant(g, height, width, rule):
    """A height x width grid of one colour picked from the input: 'most' / 'least' common non-background colour."""
    bg = background(g)
    values, counts = np.unique(g[g != bg], return_counts=True)
    if len(values) == 0:
        raise ValueError("no colour besides the background")
    pick = np.argmax(counts) if rule == "most" else np.argmin(counts)
    return np.full((height, width), int(values[pick]))


DEPENDS = {
    "crop_to_content": ["background"],
    "select_object": ["background", "find_objects", "_object_key"],
    "crop_object": ["select_object", "background"],
    "keep_object": ["select_object", "background"],
    "remove_small_objects": ["background", "find_objects"],
    "scale_down": ["background"],
    "tile_blocks": ["dihedral"],
    "self_kron": ["background"],
    "gravity": ["background"],
    "draw_rays": ["background"],
    "connect_pairs": ["background"],
    "fill_enclosed": ["background"],
    "combine_parts": ["split_parts"],
    "overlay_parts": ["split_parts"],
    "apply_local_rule": ["neighbourhood"],
    "recolor_objects": ["find_objects", "background", "object_property"],
    "fill_constant": ["background"],
}
"""The other primitives each primitive calls (emitted with it)."""
