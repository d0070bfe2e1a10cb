"""Run-engine throughput against the local server (200 ms per request), in two parts.

calls: 400 ARC-AGI-1 training tasks x 3 feedback turns, 64 tasks in flight. The wall time against the ideal
  (calls x latency / workers: a harness that costs nothing), and against a minimal AsyncOpenAI client making the same
  calls (the requests the run logged, each task's in order, 64 tasks in flight, nothing else done): target <= 1.3x.
  Also the sandbox alone running the run's 1,200 programs: the harness runs each, the client none, and on a small
  machine that alone can take longer than the client's calls.
sampling: 400 tasks x 200 independent samples, n = 8 answers per request, 16 tasks x 4 requests in flight (64
  requests), against the same with n = 1 on 50 tasks (as many requests, 64 in flight). Harness CPU per sample with
  n = 8 over harness CPU per single-sample call: target <= 0.25. Peak RSS of the n = 8 run: target < 500 MB. Disk per
  sample, and what a 400-task x 1,000-sample run would take.

Each measured run is a process of its own (its CPU time and peak RSS are its own); the server is another. The
sampling replies are realistic programs (a sentence and 12 lines): each task's samples draw from programs that differ
by a constant (exponential, mean --mean-program), written in three spellings, so that some are duplicates as samples
at a temperature are; the share run once is printed. Nothing is asserted: the machine is shared and noisy.

    uv run python bench/run.py [--part calls|sampling|all] [--tasks 400] [--latency 0.2]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import random
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

# calls: a different program each turn, as a model revising its answer would send. None solves a task, so every task
# takes every turn.
PROGRAMS = [
    "def transform(grid):\n    return [row[:] for row in grid]\n",
    "import numpy as np\n\ndef transform(grid):\n    return np.fliplr(np.array(grid)).tolist()\n",
    "def transform(grid):\n    return [list(r) for r in zip(*grid)][::-1]\n",
]

SAMPLE = """The output keeps the grid's shape; every coloured cell is shifted along the colour wheel.

```python
import numpy as np

def transform(grid):
    g = np.array(grid)
    out = g.copy()
    h, w = g.shape
    for r in range(h):
        for c in range(w):
            if g[r, c] != 0:
                out[r, c] = (g[r, c] + {k}) % 10
    return out.tolist()
```
"""


def _reply(code: str) -> str:
    return f"Trying a rule.\n\n```python\n{code}```\n"


def _sample_text(rng: random.Random, mean: float, task: int) -> str:
    """One sample for a task: program k (k exponential with this mean; each task its own programs, as a model writes
    for each task its own), in one of three spellings of the same program."""
    text = SAMPLE.format(k=10_000 * task + min(int(rng.expovariate(1 / mean)), 9_999))
    style = rng.randrange(3)
    if style == 1:
        text = text.replace("    out = g.copy()\n", "    out = g.copy()  # the answer\n")
    elif style == 2:
        text = text.replace("    h, w = g.shape\n", "\n    h, w = g.shape\n\n")
    return text


class _Sampler:
    """The server's responder for the sampling part: each answer a fresh draw (a request for n gets n draws)."""

    def __init__(self, latency: float, mean: float) -> None:
        self.latency, self.mean = latency, mean
        self.rng = random.Random(14)
        self.tasks: dict[str, int] = {}

    def __call__(self, body: dict[str, Any]):
        from arcbench.testing import Reply
        from arcbench.testing.script import first_user_text

        task = self.tasks.setdefault(first_user_text(body), len(self.tasks))
        return Reply(content=_sample_text(self.rng, self.mean, task), delay_s=self.latency)


def _serve(kind: str, latency: float, mean: float, conn) -> None:
    from arcbench.testing.server import ChatServer, ScriptedServer

    if kind == "calls":
        rules = [{"turn": i + 1, "content": _reply(code), "delay_s": latency} for i, code in enumerate(PROGRAMS)]
        server = ScriptedServer({"rules": rules, "default": {"content": _reply(PROGRAMS[0]), "delay_s": latency}})
    else:
        server = ChatServer(_Sampler(latency, mean))
    server.start()
    conn.send(server.base_url)
    server.wait()


def _start_server(kind: str, latency: float, mean: float = 0.0):
    ctx = mp.get_context("spawn")  # the server gets its own interpreter: it must not share the harness's GIL
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_serve, args=(kind, latency, mean, child), daemon=True)
    proc.start()
    return proc, parent.recv()


def _harness(fields: dict[str, Any], run_dir: str, conn) -> None:
    """One run of the engine, measured from inside its own process."""
    from arcbench.llm import ClientConfig
    from arcbench.providers import make_model
    from arcbench.run.config import RunConfig
    from arcbench.run.engine import run, select_tasks

    client = ClientConfig(**fields.pop("client"))
    config = RunConfig(**fields, client=client)
    tasks = select_tasks(config)
    model = make_model(config.client, "local")
    cpu0, t0 = time.process_time(), time.perf_counter()
    result = asyncio.run(run(config, model, Path(run_dir), tasks))
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    s = result.summaries[0]
    disk = sum(p.stat().st_size for p in Path(run_dir).rglob("*") if p.is_file())
    conn.send({"wall": wall, "cpu": cpu, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
               "tasks": s.total_tasks, "calls": s.calls,
               "samples": s.total_turns, "failed": s.failed_calls, "executions": s.executions,
               "executions_saved": s.executions_saved, "disk": disk})


def _minimal(base_url: str, run_dir: str, workers: int, conn) -> None:
    """A minimal AsyncOpenAI client making the calls the run made: each task's requests in order, `workers` tasks
    at once, replies read and nothing else done."""
    import openai

    from arcbench.run.eventlog import read_call_events

    by_task: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for event in read_call_events(Path(run_dir) / "events.jsonl"):
        by_task.setdefault(event.task_id, []).append((event.turn, event.request))
    queue = iter([[body for _, body in sorted(calls, key=lambda c: c[0])] for calls in by_task.values()])

    async def go() -> float:
        client = openai.AsyncOpenAI(api_key="local", base_url=base_url, max_retries=0)

        async def worker() -> None:
            for bodies in queue:
                for body in bodies:
                    reply = await client.chat.completions.create(**body)
                    _ = reply.choices[0].message.content

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(workers)))
        wall = time.perf_counter() - t0
        await client.close()
        return wall

    cpu0 = time.process_time()
    wall = asyncio.run(go())
    conn.send({"wall": wall, "cpu": time.process_time() - cpu0,
               "calls": sum(len(c) for c in by_task.values())})


def _sandbox_alone(tasks: int, workers: int, conn) -> None:
    """The sandbox running the programs the calls part runs (each of its programs on each task's inputs), `workers`
    at once, nothing else done: the floor the harness's wall time cannot go under on this machine."""
    from arcbench.data import load_tasks
    from arcbench.sandbox import Sandbox

    jobs = [(p, [e.input for e in lt.task.train] + list(lt.task.test_inputs))
            for lt in load_tasks("arc-agi-1", "all_training")[:tasks] for p in PROGRAMS]

    async def go(sandbox: Sandbox) -> float:
        queue = iter(jobs)

        async def worker() -> None:
            for source, grids in queue:
                await sandbox.run(source, grids)

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(workers)))
        return time.perf_counter() - t0

    with Sandbox() as sandbox:
        _ = sandbox.isolation
        wall = asyncio.run(go(sandbox))
    conn.send({"wall": wall, "programs": len(jobs)})


def _in_process(target, *args) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=target, args=(*args, child))
    proc.start()
    result = parent.recv()
    proc.join()
    return result


def _client(base_url: str, concurrency: int) -> dict[str, Any]:
    return {"model": "scripted", "base_url": base_url, "max_attempts": 1, "concurrency": concurrency}


def calls_part(args: argparse.Namespace) -> None:
    server, base_url = _start_server("calls", args.latency)
    workers = 64
    try:
        with tempfile.TemporaryDirectory() as tmp:
            run_dir = str(Path(tmp) / "run")
            fields = {"dataset": "arc-agi-1", "subset": "all_training", "limit": args.tasks, "max_turns": 3,
                      "max_workers": workers, "quiet": True, "stop_when": "never", "client": _client(base_url, workers)}
            h = _in_process(_harness, fields, run_dir)
            m = _in_process(_minimal, base_url, run_dir, workers)
    finally:
        server.terminate()
        server.join()
    sb = _in_process(_sandbox_alone, args.tasks, workers)
    ideal = max(h["calls"] * args.latency / workers, 3 * args.latency)
    print(f"[calls] tasks={h['tasks']} calls={h['calls']} failed_calls={h['failed']} workers={workers} "
          f"latency={args.latency}s cores={os.cpu_count()}")
    print(f"[calls] harness: wall={h['wall']:.2f}s cpu_per_call={1000 * h['cpu'] / h['calls']:.2f}ms "
          f"peak_rss={h['rss_mb']:.0f}MB")
    print(f"[calls] minimal AsyncOpenAI client, same {m['calls']} calls: wall={m['wall']:.2f}s "
          f"cpu_per_call={1000 * m['cpu'] / m['calls']:.2f}ms")
    print(f"[calls] the sandbox alone, the same {sb['programs']} programs on the same inputs: wall={sb['wall']:.2f}s "
          f"({sb['programs'] / sb['wall']:.0f} programs/s)")
    print(f"[calls] ideal={ideal:.2f}s wall_vs_ideal={h['wall'] / ideal:.3f} "
          f"harness_vs_minimal_client={h['wall'] / m['wall']:.3f} target<=1.30 "
          f"sandbox_alone_vs_minimal_client={sb['wall'] / m['wall']:.3f}")


def sampling_part(args: argparse.Namespace) -> None:
    server, base_url = _start_server("sampling", args.latency, args.mean_program)
    samples, workers, parallel = args.samples, 16, 4
    runs = {}
    try:
        for n, tasks in ((8, args.tasks), (1, max(1, args.tasks // 8))):
            with tempfile.TemporaryDirectory() as tmp:
                fields = {"dataset": "arc-agi-1", "subset": "all_training", "limit": tasks, "mode": "independent",
                          "max_turns": samples, "n_per_request": n, "parallel_requests": parallel,
                          "max_workers": workers, "quiet": True, "stop_when": "never",
                          "client": _client(base_url, workers * parallel)}
                runs[n] = _in_process(_harness, fields, str(Path(tmp) / "run"))
    finally:
        server.terminate()
        server.join()
    for n, r in runs.items():
        ideal = r["calls"] * args.latency / (workers * parallel)
        print(f"[sampling n={n}] tasks={r['tasks']} samples={r['samples']} requests={r['calls']} "
              f"failed={r['failed']} wall={r['wall']:.1f}s (ideal {ideal:.1f}s) "
              f"harness_cpu={r['cpu']:.1f}s per_sample={1000 * r['cpu'] / r['samples']:.3f}ms "
              f"per_request={1000 * r['cpu'] / r['calls']:.2f}ms "
              f"programs_run={r['executions']} ({r['executions'] / max(1, r['samples']):.0%} of samples) "
              f"peak_rss={r['rss_mb']:.0f}MB disk={r['disk'] / 1e6:.1f}MB ({r['disk'] / r['samples']:.0f} B/sample)")
    eight, one = runs[8], runs[1]
    ratio = (eight["cpu"] / eight["samples"]) / (one["cpu"] / one["calls"])
    print(f"[sampling] harness_cpu_per_sample(n=8) / harness_cpu_per_call(n=1) = {ratio:.3f} target<=0.25")
    print(f"[sampling] peak_rss(n=8)={eight['rss_mb']:.0f}MB target<500MB")
    at_scale = 400_000 * eight["disk"] / eight["samples"]
    print(f"[sampling] disk for 400 tasks x 1,000 samples at this rate: {at_scale / 1e9:.2f} GB target well under "
          "1 GB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", choices=["calls", "sampling", "all"], default="all")
    ap.add_argument("--tasks", type=int, default=400)
    ap.add_argument("--samples", type=int, default=200, help="samples per task in the sampling part")
    ap.add_argument("--latency", type=float, default=0.2)
    ap.add_argument("--mean-program", type=float, default=8.0,
                    help="mean of the program number drawn per sample (smaller: more duplicates)")
    args = ap.parse_args()
    if args.part in ("calls", "all"):
        calls_part(args)
    if args.part in ("sampling", "all"):
        sampling_part(args)


if __name__ == "__main__":
    main()
