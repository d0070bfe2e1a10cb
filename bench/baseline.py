"""The offline baseline's pass@2 score on ARC-AGI-1 training and evaluation and ARC-AGI-2 evaluation.

    uv run python bench/baseline.py [--path direct|run] [--subset S] [--budget 2.0] [--workers 2]
                                    [--datasets arc-agi-1/training,...]

--subset applies to every dataset chosen (default: each dataset's whole split).

--path run goes through the product: `arcbench run --model baseline --mode feedback --max-turns 2 --stop-when never`
per dataset (the run engine picks the two attempts from the two turns by training results), and reads the run's
summary.json and events.jsonl; s/task is then the model time of both turns.

--path direct (the default, twice as fast): per task, the baseline gets the task's opening chat messages (no test
outputs) and its two attempts are the programs its first two replies of a feedback conversation would hold: its best
and second-best candidates (one search gives both; the second reply of a real conversation repeats the search and
skips the first program). Each attempt runs in the sandbox on the test inputs and `arcbench.scoring.score_task` scores
it. Searches run in a process pool.

Prints per dataset: tasks fully solved (the issue's target is >= 10% on ARC-AGI-1 training), the ARC Prize score,
seconds of search per task (target <= 2 s) and, as the same-run reference, the share of tasks whose best program fits
every training pair (how often the search believes it solved the task).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from arcbench.data import LabelledTask, load_tasks
from arcbench.scoring import score_task

DATASETS = {
    "arc-agi-1/training": ("arc-agi-1", "all_training"),
    "arc-agi-1/evaluation": ("arc-agi-1", "all_evaluation"),
    "arc-agi-2/evaluation": ("arc-agi-2", "all_evaluation"),
}


def _attempt_sources(args: tuple[list[dict], float]) -> tuple[list[str], bool, float]:
    """The programs of the baseline's first two replies, whether the first fits every training pair, and the
    search time. Runs in a pool worker: it sees only the messages."""
    from arcbench.baseline.chat import candidates_for
    from arcbench.baseline.program import program_source

    messages, budget = args
    t0 = time.perf_counter()
    candidates, _ = candidates_for(messages, budget * 0.85)
    elapsed = time.perf_counter() - t0
    sources = [program_source(c.steps) for c in candidates[:2]] or [program_source(())]
    return sources, bool(candidates and candidates[0].consistent), elapsed


def _score(lt: LabelledTask, sources: list[str], sandbox) -> float:
    attempts: list[list] = [[] for _ in lt.task.test_inputs]
    for source in sources:
        result = sandbox.run_sync(source, lt.task.test_inputs)
        for i, r in enumerate(result.results):
            attempts[i].append(r.output)
    return score_task(lt.id, attempts, lt.test_outputs)


def bench(name: str, subset: str | None, budget: float, pool: ProcessPoolExecutor, sandbox) -> str:
    from arcbench.prompts.render import task_messages

    dataset, default_subset = DATASETS[name]
    tasks = [lt for lt in load_tasks(dataset, subset or default_subset) if lt.scored]
    t0 = time.perf_counter()
    found = list(pool.map(_attempt_sources, [(task_messages(lt.task), budget) for lt in tasks], chunksize=2))
    wall = time.perf_counter() - t0
    scores = [_score(lt, sources, sandbox) for lt, (sources, _, _) in zip(tasks, found, strict=True)]
    n = len(tasks)
    solved = sum(s.fully_solved for s in scores)
    score = sum(s.score for s in scores) / n
    fits = sum(f for _, f, _ in found)
    times = sorted(t for _, _, t in found)
    per_task = sum(times) / n
    return (f"{name} tasks={n} fully_solved={solved / n:.1%} ({solved}) score={score:.3f} s_per_task={per_task:.2f} "
            f"max_s={times[-1]:.2f} fits_train={fits / n:.1%} ({fits}) wall_s={wall:.0f}")


def bench_run(name: str, subset: str | None, workers: int, out_dir: Path) -> str:
    """The same measurement through `arcbench run` (a subprocess, as a user runs it)."""
    dataset, default_subset = DATASETS[name]
    run_dir = out_dir / name.replace("/", "_")
    cmd = [sys.executable, "-m", "arcbench", "run", "--model", "baseline", "--dataset", dataset,
           "--subset", subset or default_subset, "--mode", "feedback", "--max-turns", "2", "--stop-when", "never",
           "--max-workers", str(workers), "--run-dir", str(run_dir), "--quiet"]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    summary = json.loads((run_dir / "summary.json").read_text())
    latency: dict[str, float] = {}
    with (run_dir / "events.jsonl").open() as f:
        for line in f:
            event = json.loads(line)
            if event.get("type") == "call":
                latency[event["task_id"]] = latency.get(event["task_id"], 0.0) + event["latency_s"]
    n = summary["scored_tasks"]
    solved = summary["tasks_fully_solved"]
    per_task = sum(latency.values()) / max(1, len(latency))
    return (f"{name} tasks={n} fully_solved={solved / n:.1%} ({solved}) score={summary['score']:.3f} "
            f"s_per_task={per_task:.2f} max_s={max(latency.values()):.2f} wall_s={wall:.0f} path=run")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", default=",".join(DATASETS), help="comma-separated: " + ", ".join(DATASETS))
    parser.add_argument("--subset", default=None, help="a subset name or ids instead of each split's whole list")
    parser.add_argument("--budget", type=float, default=2.0,
                        help="the baseline's time budget per reply (s); --path run uses the default, 2 s")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--path", choices=("direct", "run"), default="direct",
                        help="direct: search + sandbox + scorer here; run: through `arcbench run`")
    args = parser.parse_args()
    names = [n.strip() for n in args.datasets.split(",") if n.strip()]
    unknown = [n for n in names if n not in DATASETS]
    if unknown:
        print(f"error: unknown dataset {unknown[0]!r}: choose from {', '.join(DATASETS)}", file=sys.stderr)
        return 2
    if args.path == "run":
        with tempfile.TemporaryDirectory(prefix="arcbench-bench-") as tmp:
            for name in names:
                print(bench_run(name, args.subset, args.workers, Path(tmp)), flush=True)
        return 0
    from arcbench.sandbox import Sandbox

    with ProcessPoolExecutor(args.workers) as pool, Sandbox(workers=args.workers) as sandbox:
        for name in names:
            print(bench(name, args.subset, args.budget, pool, sandbox), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
