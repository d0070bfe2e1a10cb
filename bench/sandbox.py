"""How fast the sandbox runs realistic ARC programs, against a fresh interpreter per grid and unsafe in-process exec.

    uv run python bench/sandbox.py [--tasks N] [--subprocess-runs N]

A corpus of typical model-written programs (flips, rotations, colour maps, tiling, cropping, flood fill, object
extraction...) runs on the train and test inputs of real ARC-AGI-1 training tasks; every program meets every task,
as candidate programs do in a run (many fail on most tasks, as they would). One "program run" = one program on one
task's inputs. Prints programs/s and grid-runs/s for:
  (a) the arcbench sandbox (warm fork servers, all CPUs, driven from asyncio as the run engine drives it),
  (b) a fresh `python` subprocess per grid (a sample),
  (c) unsafe in-process exec (compile + exec + transform + output check; the limit).
Last line: sandbox_vs_subprocess=<ratio> sandbox_vs_inprocess=<ratio> programs_per_s=<n>
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from arcbench.data import load_tasks
from arcbench.sandbox import Sandbox, SandboxLimits
from arcbench.sandbox.worker import to_grid

CORPUS: dict[str, str] = {
    "flip_lr": """
import numpy as np

def transform(grid):
    return np.fliplr(np.array(grid)).tolist()
""",
    "rotate_180": """
def transform(grid):
    return [row[::-1] for row in grid[::-1]]
""",
    "transpose": """
import numpy as np

def transform(grid):
    return np.array(grid).T.tolist()
""",
    "colour_map": """
def transform(grid):
    mapping = {1: 5, 2: 6, 3: 4, 4: 3, 5: 1, 6: 2, 8: 9, 9: 8}
    return [[mapping.get(c, c) for c in row] for row in grid]
""",
    "tile_2x": """
import numpy as np

def transform(grid):
    a = np.array(grid)
    return np.tile(a, (2, 2))[:30, :30]
""",
    "scale_up": """
import numpy as np

def transform(grid):
    a = np.array(grid)
    k = max(1, min(3, 30 // max(a.shape)))
    return np.kron(a, np.ones((k, k), dtype=int))
""",
    "crop_bbox": """
import numpy as np

def transform(grid):
    a = np.array(grid)
    bg = np.bincount(a.ravel()).argmax()
    rows, cols = np.where(a != bg)
    if len(rows) == 0:
        return grid
    return a[rows.min():rows.max() + 1, cols.min():cols.max() + 1].tolist()
""",
    "fill_enclosed": """
from collections import deque

def transform(grid):
    h, w = len(grid), len(grid[0])
    out = [row[:] for row in grid]
    seen = [[False] * w for _ in range(h)]
    q = deque((r, c) for r in range(h) for c in range(w)
              if (r in (0, h - 1) or c in (0, w - 1)) and grid[r][c] == 0)
    for r, c in q:
        seen[r][c] = True
    while q:
        r, c = q.popleft()
        for dr, dc in ((1, 0), (-1, 0), (0, 1), (0, -1)):
            nr, nc = r + dr, c + dc
            if 0 <= nr < h and 0 <= nc < w and not seen[nr][nc] and grid[nr][nc] == 0:
                seen[nr][nc] = True
                q.append((nr, nc))
    for r in range(h):
        for c in range(w):
            if grid[r][c] == 0 and not seen[r][c]:
                out[r][c] = 4
    return out
""",
    "largest_object": """
import numpy as np

def objects(a, bg):
    h, w = a.shape
    seen = np.zeros_like(a, dtype=bool)
    found = []
    for r in range(h):
        for c in range(w):
            if a[r, c] != bg and not seen[r, c]:
                stack, cells = [(r, c)], []
                seen[r, c] = True
                while stack:
                    y, x = stack.pop()
                    cells.append((y, x))
                    for dy, dx in ((1, 0), (-1, 0), (0, 1), (0, -1)):
                        ny, nx = y + dy, x + dx
                        if 0 <= ny < h and 0 <= nx < w and not seen[ny, nx] and a[ny, nx] != bg:
                            seen[ny, nx] = True
                            stack.append((ny, nx))
                found.append(cells)
    return found

def transform(grid):
    a = np.array(grid)
    bg = np.bincount(a.ravel()).argmax()
    objs = objects(a, bg)
    if not objs:
        return grid
    cells = max(objs, key=len)
    ys, xs = zip(*cells)
    return a[min(ys):max(ys) + 1, min(xs):max(xs) + 1]
""",
    "gravity_down": """
import numpy as np

def transform(grid):
    a = np.array(grid)
    out = np.zeros_like(a)
    for c in range(a.shape[1]):
        col = a[:, c][a[:, c] != 0]
        if len(col):
            out[-len(col):, c] = col
    return out.tolist()
""",
    "majority_colour": """
from collections import Counter

def transform(grid):
    counts = Counter(c for row in grid for c in row if c != 0)
    colour = counts.most_common(1)[0][0] if counts else 0
    return [[colour if c != 0 else 0 for c in row] for row in grid]
""",
    "mirror_complete": """
import numpy as np

def transform(grid):
    a = np.array(grid)
    b = np.fliplr(a)
    return np.where(a == 0, b, a)
""",
    "draw_lines": """
def transform(grid):
    out = [row[:] for row in grid]
    for r, row in enumerate(grid):
        colours = [c for c in row if c != 0]
        if len(colours) >= 2 and colours[0] == colours[-1]:
            first = next(i for i, c in enumerate(row) if c != 0)
            last = len(row) - 1 - next(i for i, c in enumerate(reversed(row)) if c != 0)
            for i in range(first, last + 1):
                if out[r][i] == 0:
                    out[r][i] = colours[0]
    return out
""",
    "remove_noise": """
import numpy as np

def transform(grid):
    a = np.array(grid)
    p = np.pad(a, 1)
    neighbours = sum((np.roll(np.roll(p, dy, 0), dx, 1) != 0).astype(int)
                     for dy in (-1, 0, 1) for dx in (-1, 0, 1) if dy or dx)[1:-1, 1:-1]
    return np.where((a != 0) & (neighbours == 0), 0, a).tolist()
""",
    "colour_histogram": """
from collections import Counter

def transform(grid):
    counts = Counter(c for row in grid for c in row if c != 0)
    ranked = [c for c, _ in counts.most_common()][:9] or [0]
    height = min(30, max(counts.values(), default=1))
    return [[c if counts[c] > height - 1 - r else 0 for c in ranked] for r in range(height)]
""",
    "upscale_by_colours": """
import numpy as np

def transform(grid):
    a = np.array(grid)
    k = len(set(a.ravel().tolist()) - {0}) or 1
    k = min(k, 30 // max(a.shape)) or 1
    return np.repeat(np.repeat(a, k, axis=0), k, axis=1).tolist()
""",
}


def _workload(n_tasks: int) -> list[tuple[str, list[list[list[int]]]]]:
    tasks = load_tasks("arc-agi-1", "all_training")[:n_tasks]
    inputs = [[e.input for e in lt.task.train] + list(lt.task.test_inputs) for lt in tasks]
    return [(src, grids) for src in CORPUS.values() for grids in inputs]


def _bench_sandbox(work: list[tuple[str, list]]) -> tuple[float, int, int]:
    """Seconds for the whole workload, successful grid runs, failed grid runs."""
    with Sandbox(limits=SandboxLimits(timeout_s=1.0)) as sandbox:
        sandbox.isolation  # noqa: B018  (start the workers before timing)
        for w in sandbox._workers:
            w.ready()

        async def go() -> list:
            return await asyncio.gather(*(sandbox.run(src, grids) for src, grids in work))

        asyncio.run(go())  # warm-up: every worker, page cache, import caches
        t0 = time.perf_counter()
        results = asyncio.run(go())
        elapsed = time.perf_counter() - t0
    ok = sum(r.ok for p in results for r in p.results)
    return elapsed, ok, sum(len(p.results) for p in results) - ok


def _run_in_process(src: str, grids: list) -> int:
    ok = 0
    try:
        ns: dict = {"__name__": "__program__"}
        exec(compile(src, "<program>", "exec"), ns)
        transform = ns["transform"]
    except Exception:
        return 0
    for g in grids:
        try:
            out, _ = to_grid(transform([list(row) for row in g]))
            ok += out is not None
        except Exception:
            pass
    return ok


def _bench_in_process(work: list[tuple[str, list]]) -> tuple[float, int]:
    for src, grids in work[:50]:
        _run_in_process(src, grids)
    t0 = time.perf_counter()
    ok = sum(_run_in_process(src, grids) for src, grids in work)
    return time.perf_counter() - t0, ok


_RUNNER = """
import json, sys
src, grid = json.loads(sys.stdin.read())
ns = {"__name__": "__program__"}
exec(compile(src, "<program>", "exec"), ns)
out = ns["transform"](grid)
print(json.dumps(out.tolist() if hasattr(out, "tolist") else out))
"""


def _bench_subprocess(work: list[tuple[str, list]], runs: int) -> tuple[float, int]:
    """The seed's method: a fresh interpreter per grid (timeout via subprocess), sampled."""
    sample = [(src, g) for src, grids in work for g in grids][:: max(1, sum(len(g) for _, g in work) // runs)][:runs]
    with tempfile.TemporaryDirectory() as tmp:
        runner = Path(tmp) / "runner.py"
        runner.write_text(_RUNNER)
        t0 = time.perf_counter()
        for src, g in sample:
            subprocess.run([sys.executable, str(runner)], input=json.dumps([src, g]), capture_output=True,
                           text=True, timeout=10, cwd=tmp, env={"PATH": os.environ.get("PATH", "")})
        return time.perf_counter() - t0, len(sample)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=40, help="ARC-AGI-1 training tasks (default 40)")
    parser.add_argument("--subprocess-runs", type=int, default=40, help="grid runs sampled for (b) (default 40)")
    args = parser.parse_args()

    work = _workload(args.tasks)
    programs = len(work)
    grid_runs = sum(len(g) for _, g in work)
    print(f"workload: {len(CORPUS)} programs x {args.tasks} tasks = {programs} program runs, {grid_runs} grid runs; "
          f"{os.cpu_count()} CPUs")

    t_sb, ok_sb, failed_sb = _bench_sandbox(work)
    t_in, ok_in = _bench_in_process(work)
    t_sub, n_sub = _bench_subprocess(work, args.subprocess_runs)

    sb_pps, sb_gps = programs / t_sb, grid_runs / t_sb
    in_pps, in_gps = programs / t_in, grid_runs / t_in
    sub_gps = n_sub / t_sub
    sub_pps = sub_gps * programs / grid_runs
    print(f"(a) arcbench sandbox : {sb_pps:9.1f} programs/s {sb_gps:9.1f} grid-runs/s  "
          f"({ok_sb} grids ok, {failed_sb} failed)")
    print(f"(b) fresh subprocess : {sub_pps:9.1f} programs/s {sub_gps:9.1f} grid-runs/s  ({n_sub} grid runs sampled)")
    print(f"(c) in-process exec  : {in_pps:9.1f} programs/s {in_gps:9.1f} grid-runs/s  ({ok_in} grids ok)")
    if ok_sb != ok_in:
        print(f"warning: the sandbox and in-process exec disagree on successful grids ({ok_sb} vs {ok_in})")
    print(f"sandbox_vs_subprocess={sb_gps / sub_gps:.1f} sandbox_vs_inprocess={sb_pps / in_pps:.2f} "
          f"programs_per_s={sb_pps:.0f}")


if __name__ == "__main__":
    main()
