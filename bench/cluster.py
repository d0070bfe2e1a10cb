"""What running programs through Ray costs, against the local sandbox, on one machine (a local Ray instance).

    uv run --extra ray python bench/cluster.py [--programs N] [--cpus N]

Starts a local Ray instance (no dashboard) with `--cpus` CPUs and measures:
  - Ray's start (ray.init) and the sandbox actor's start (its warm pool ready), against the local pool's start;
  - latency: one program at a time (flip, on the inputs of real ARC-AGI-1 training tasks), local vs Ray, and the
    difference per program (what Ray's actor call adds);
  - throughput: as many programs in flight as there are workers times four, programs/s local vs Ray (median of
    rounds).
  - the driver's CPU time per program in those rounds (what bounds how many programs one driver can send out).
Rounds of the two alternate, so that both run under the same load from the machine's other work.
The local pool and the actor's pool have the same number of workers (`--cpus`). Both are driven from asyncio, as the
run engine drives them. Last line: ray_start_s=<s> overhead_ms=<ms> latency_ratio=<ray/local> throughput_ratio=<...>
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from arcbench.data import load_tasks
from arcbench.sandbox import Sandbox
from arcbench.sandbox.ray_pool import RaySandbox, require_ray

PROGRAM = """
import numpy as np

def transform(grid):
    return np.fliplr(np.array(grid)).tolist()
"""


def task_inputs(n: int) -> list[list]:
    tasks = load_tasks("arc-agi-1", f"shortest_training_{n}")
    return [[ex.input for ex in lt.task.train] + list(lt.task.test_inputs) for lt in tasks]


async def latency(executor, inputs: list[list], programs: int) -> list[float]:
    times = []
    for i in range(programs):
        t0 = time.perf_counter()
        result = await executor.run(PROGRAM, inputs[i % len(inputs)])
        times.append(time.perf_counter() - t0)
        assert all(r.error is None for r in result.results)
    return times


async def throughput(executor, inputs: list[list], programs: int, in_flight: int) -> tuple[float, float]:
    """Programs per second, and the driver's CPU seconds per program (what bounds one driver's dispatch rate)."""
    gate = asyncio.Semaphore(in_flight)

    async def one(i: int) -> None:
        async with gate:
            await executor.run(PROGRAM, inputs[i % len(inputs)])

    t0, c0 = time.perf_counter(), time.process_time()
    await asyncio.gather(*(one(i) for i in range(programs)))
    return programs / (time.perf_counter() - t0), (time.process_time() - c0) / programs


async def interleaved(local, cluster, inputs: list[list], programs: int, in_flight: int,
                      rounds: int = 10) -> dict[str, tuple[list[float], list[tuple[float, float]]]]:
    """Latencies and throughputs of both, measured in alternating rounds (the machine's load changes by the
    second; alternating puts both under the same load)."""
    for ex in (local, cluster):
        await latency(ex, inputs, 20)  # warm up
    out: dict[str, tuple[list[float], list[tuple[float, float]]]] = {"local": ([], []), "ray": ([], [])}
    per_round = max(1, programs // rounds)
    for _ in range(rounds):
        for name, ex in (("local", local), ("ray", cluster)):
            out[name][0].extend(await latency(ex, inputs, per_round))
            out[name][1].append(await throughput(ex, inputs, per_round * 2, in_flight))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--programs", type=int, default=300)
    parser.add_argument("--cpus", type=int, default=2)
    args = parser.parse_args()
    inputs = task_inputs(20)
    grids = sum(len(g) for g in inputs) / len(inputs)
    print(f"{args.programs} programs, {grids:.1f} grids each on average, {args.cpus} workers")

    t0 = time.perf_counter()
    local = Sandbox(workers=args.cpus)
    _ = local.isolation
    local_start = time.perf_counter() - t0

    ray = require_ray()
    t0 = time.perf_counter()
    ray.init(num_cpus=args.cpus, include_dashboard=False, log_to_driver=False, object_store_memory=100 << 20)
    ray_start = time.perf_counter() - t0
    try:
        t0 = time.perf_counter()
        cluster = RaySandbox(workers_per_node=args.cpus)
        _ = cluster.isolation
        actor_start = time.perf_counter() - t0
        with local, cluster:
            found = asyncio.run(interleaved(local, cluster, inputs, args.programs, 4 * args.cpus))
    finally:
        ray.shutdown()
    (local_lat, local_tps), (ray_lat, ray_tps) = found["local"], found["ray"]
    local_tp, ray_tp = (statistics.median(t for t, _ in tps) for tps in (local_tps, ray_tps))
    local_cpu, ray_cpu = (statistics.median(c for _, c in tps) for tps in (local_tps, ray_tps))

    def ms(xs: list[float]) -> str:
        return f"median {1000 * statistics.median(xs):.2f} ms, mean {1000 * statistics.mean(xs):.2f} ms"

    overhead = statistics.median(ray_lat) - statistics.median(local_lat)
    print(f"start: ray.init {ray_start:.1f} s, sandbox actor ready {actor_start:.1f} s; local pool {local_start:.1f} s")
    print(f"latency, one program at a time: local {ms(local_lat)}; ray {ms(ray_lat)}; "
          f"Ray adds {1000 * overhead:.2f} ms per program")
    print(f"throughput, {4 * args.cpus} in flight: local {local_tp:.0f} programs/s; ray {ray_tp:.0f} programs/s")
    print(f"driver CPU per program: local {1000 * local_cpu:.2f} ms; ray {1000 * ray_cpu:.2f} ms "
          f"(one driver core dispatches at most {1 / ray_cpu:.0f} programs/s through Ray)")
    print(f"ray_start_s={ray_start + actor_start:.1f} overhead_ms={1000 * overhead:.2f} "
          f"latency_ratio={statistics.median(ray_lat) / statistics.median(local_lat):.2f} "
          f"throughput_ratio={ray_tp / local_tp:.2f}")


if __name__ == "__main__":
    main()
