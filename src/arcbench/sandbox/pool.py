"""The sandbox, harness side: a pool of warm worker processes (see `worker.py` for what happens inside one).

Each worker runs one program at a time; the pool runs as many programs in parallel as it has workers. `run` hands
the blocking exchange to a thread per worker, so the event loop never waits on a program.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import queue
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import weakref
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from arcbench.data.types import Grid
from arcbench.data.validate import is_grid
from arcbench.sandbox.types import GridResult, ProgramResult, SandboxLimits

WORKER_PATH = Path(__file__).with_name("worker.py")
_UID_BASE = 0x70000000  # unprivileged uids for programs when arcbench runs as root: far above any real account
_START_TIMEOUT_S = 60.0  # importing numpy on a cold, busy machine
_SLACK_S = 10.0  # on top of a program's worst case before the harness gives up on a worker
_ERROR_KINDS = {"syntax", "no_transform", "exception", "timeout", "memory", "bad_output", "crashed"}


class _Worker:
    """One fork server process and the pipe pair to it."""

    def __init__(self, uid: int) -> None:
        self.uid = uid
        self.isolation: dict[str, Any] | None = None
        self._start()

    def _start(self) -> None:
        # -I: ignore PYTHON* variables, user site-packages and the current directory; env={}: no secrets to inherit.
        self.home = tempfile.mkdtemp(prefix="arcbench-worker-")  # the worker's mount point or scratch space
        self.proc = subprocess.Popen(
            [sys.executable, "-I", str(WORKER_PATH), "--uid", str(self.uid), "--home", self.home],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env={}, cwd="/", start_new_session=True, close_fds=True,
            bufsize=0,
        )
        self.isolation = None
        self._buf = b""

    def ready(self) -> dict[str, Any]:
        """The worker's isolation report, waiting for it to start if needed."""
        if self.isolation is None:
            line = self._read_line(time.monotonic() + _START_TIMEOUT_S)
            hello = json.loads(line) if line else None
            if not isinstance(hello, dict) or "hello" not in hello:
                raise RuntimeError(f"sandbox worker failed to start (exit code {self.proc.poll()})")
            self.isolation = hello["hello"]
        return self.isolation

    def exchange(self, payload: bytes, budget_s: float) -> dict[str, Any] | None:
        """Send one request and wait for its reply; None when the worker died or overran (the caller restarts it)."""
        self.ready()
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.write(payload)
        except (BrokenPipeError, OSError):
            return None
        line = self._read_line(time.monotonic() + budget_s)
        if line is None:
            return None
        try:
            reply = json.loads(line)
        except ValueError:
            return None
        return reply if isinstance(reply, dict) else None

    def _read_line(self, deadline: float) -> bytes | None:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buf:
            wait = deadline - time.monotonic()
            if wait <= 0 or not select.select([fd], [], [], wait)[0]:
                return None
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return None
            self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        return line

    def restart(self) -> None:
        self.stop()
        self._start()

    def stop(self) -> None:
        _stop_process(self.proc, self.home)


def _stop_process(proc: subprocess.Popen[bytes], home: str) -> None:
    """Kill a worker and everything in its namespace (the init's death takes every program process with it)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    for stream in (proc.stdin, proc.stdout):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)
    _remove_own_temp(home)


def _remove_own_temp(path: str) -> None:
    """Remove a worker's directory once the worker is dead; refuses anything but an arcbench temp directory."""
    p = Path(path)
    if p.parent == Path(tempfile.gettempdir()) and p.name.startswith("arcbench-worker-") and p.is_dir():
        shutil.rmtree(p, ignore_errors=True)


def _close_all(workers: list[_Worker], executor: ThreadPoolExecutor) -> None:
    executor.shutdown(wait=False, cancel_futures=True)
    for w in workers:
        w.stop()


class Sandbox:
    """Runs untrusted `transform(grid)` programs in warm, isolated worker processes.

    `workers` defaults to the number of CPUs. Safe to call from many asyncio tasks (and threads) at once: calls
    queue for a free worker.
    """

    def __init__(self, workers: int | None = None, limits: SandboxLimits | None = None) -> None:
        self.limits = limits or SandboxLimits()
        n = max(1, workers or os.cpu_count() or 1)
        base = _UID_BASE + (os.getpid() % (1 << 20)) * 64  # distinct per harness, so process limits stay per worker
        self._workers = [_Worker(base + i % 64) for i in range(n)]
        self._idle: queue.SimpleQueue[_Worker] = queue.SimpleQueue()
        for w in self._workers:
            self._idle.put(w)
        self._executor = ThreadPoolExecutor(n, thread_name_prefix="arcbench-sandbox")
        self._finalizer = weakref.finalize(self, _close_all, self._workers, self._executor)

    @property
    def workers(self) -> int:
        return len(self._workers)

    @property
    def isolation(self) -> dict[str, Any]:
        """What the platform let the workers enforce (network, filesystem, PID namespace, uid), from worker 0."""
        return self._workers[0].ready()

    async def run(self, source: str, grids: list[Grid], limits: SandboxLimits | None = None) -> ProgramResult:
        """Run `source`'s transform on each grid, off the event loop."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self.run_sync, source, grids, limits)

    def run_sync(self, source: str, grids: list[Grid], limits: SandboxLimits | None = None) -> ProgramResult:
        """Run `source`'s transform on each grid; one `GridResult` per grid, in order."""
        if self._finalizer.alive is False:
            raise RuntimeError("the sandbox is closed")
        lim = limits or self.limits
        if not grids:
            return ProgramResult(results=[])
        payload = (json.dumps({"source": source, "grids": grids, "limits": lim.model_dump()}) + "\n").encode()
        budget = 2 * lim.timeout_s * (len(grids) + 1) + _SLACK_S  # each grid may cost a restart: load + run
        worker = self._idle.get()
        t0 = time.perf_counter()
        try:
            reply = worker.exchange(payload, budget)
            if reply is None:
                worker.restart()
                crashed = GridResult(error="crashed", message="the sandbox worker stopped responding and was restarted")
                return ProgramResult(results=[crashed.model_copy() for _ in grids], duration_s=time.perf_counter() - t0)
            return _parse_reply(reply, len(grids), time.perf_counter() - t0)
        finally:
            self._idle.put(worker)

    def close(self) -> None:
        """Stop every worker (and every program still running in one)."""
        self._finalizer()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> Sandbox:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()


def _parse_reply(reply: dict[str, Any], n: int, duration_s: float) -> ProgramResult:
    """Turn a worker's reply into results, re-checking everything (the worker relays what a program produced)."""
    raw = reply.get("results")
    if not isinstance(raw, list) or len(raw) != n:
        bad = GridResult(error="crashed", message="the sandbox worker sent a malformed reply")
        return ProgramResult(results=[bad.model_copy() for _ in range(n)], duration_s=duration_s)
    results = [_parse_grid_result(r) for r in raw]
    stdout = reply.get("stdout")
    dropped = reply.get("dropped")
    return ProgramResult(results=results, stdout=stdout if isinstance(stdout, str) else "", duration_s=duration_s,
                         stdout_truncated=isinstance(dropped, int) and dropped > 0)


def _parse_grid_result(r: Any) -> GridResult:
    if not isinstance(r, dict):
        return GridResult(error="crashed", message="the sandbox worker sent a malformed result")
    t = r.get("t")
    duration = float(t) if isinstance(t, int | float) and t >= 0 else 0.0
    if "output" in r:
        if is_grid(r["output"]):
            return GridResult(output=r["output"], duration_s=duration)
        return GridResult(error="crashed", message="the sandbox worker relayed an invalid grid", duration_s=duration)
    kind = r.get("error")
    message = r.get("message")
    return GridResult(error=kind if kind in _ERROR_KINDS else "crashed",
                      message=message if isinstance(message, str) else "", duration_s=duration)
