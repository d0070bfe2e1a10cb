"""The sandbox, harness side: a pool of warm worker processes (see `worker.py` for what happens inside one).

Each worker runs one program at a time; the pool runs as many programs in parallel as it has workers. `run` hands
the blocking exchange to a thread per worker, so the event loop never waits on a program.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import math
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
from arcbench.errors import UserError
from arcbench.sandbox.cgroups import Cgroups
from arcbench.sandbox.types import GridResult, ProgramResult, SandboxLimits

WORKER_PATH = Path(__file__).with_name("worker.py")
_UID_BASE = 0x70000000  # unprivileged uids for programs when arcbench runs as root: far above any real account
_START_TIMEOUT_S = 60.0  # importing numpy and checking the private root on a cold, busy machine
_SLACK_S = 10.0  # on top of a program's worst case before the harness gives up on a worker
_ERROR_KINDS = {"syntax", "no_transform", "exception", "timeout", "memory", "bad_output", "crashed"}
_SCRATCH_MB = 64  # each program's scratch tmpfs (worker.py)
MAX_SOURCE_CHARS = 1_000_000  # a longer program is refused without running (no model writes one)
_MAX_REQUEST_BYTES = 60 << 20  # what the worker's shared request region holds
_MAX_REPLY_BYTES = 64 << 20  # a longer reply line is a broken worker
_MAX_MESSAGE_CHARS = 4000  # per grid, as the worker caps it
_MAX_DURATION_S = 1e6


class SandboxRefusedError(UserError):
    """The sandbox cannot promise that programs see nothing of the benchmark here, so it runs none."""


class _Worker:
    """One fork server process, the pipe pair to it and its cgroups."""

    def __init__(self, uid: int, name: str) -> None:
        self.uid, self.name = uid, name
        self.isolation: dict[str, Any] | None = None
        self._start()

    def _start(self) -> None:
        self.cgroups = Cgroups.create(self.name)
        args = ["--uid", str(self.uid)]
        for d in self.cgroups.dirs if self.cgroups is not None else []:
            args += ["--cgroup", d]
        if self.cgroups is not None:
            args.append("--memory-cgroup")
        # -I: ignore PYTHON* variables, user site-packages and the current directory; env={}: no secrets to inherit.
        self.home, self._home_lock = _claim_home()  # the worker's mount point or scratch space
        self.proc = subprocess.Popen(
            [sys.executable, "-I", str(WORKER_PATH), *args, "--home", self.home],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env={}, cwd="/", start_new_session=True, close_fds=True,
            bufsize=0,
        )
        self.isolation = None
        self._buf = b""
        self.ooms = 0
        """OOM kills in its (new) cgroups so far, as last read."""

    def ready(self) -> dict[str, Any]:
        """The worker's isolation report, waiting for it to start if needed; raises if it refuses to run programs."""
        if self.isolation is None:
            line = self._read_line(time.monotonic() + _START_TIMEOUT_S)
            hello = _loads(line) if line else None
            if not isinstance(hello, dict) or not isinstance(hello.get("hello"), dict):
                raise RuntimeError(f"sandbox worker failed to start (exit code {self.proc.poll()})")
            self.isolation = hello["hello"]
            if self.cgroups is not None:
                self.cgroups.measure_baseline()
        refusal = self.isolation.get("refuse")
        if refusal:
            raise SandboxRefusedError(f"the sandbox refuses to run programs: {refusal}")
        return self.isolation

    def exchange(self, payload: bytes, limits: SandboxLimits, budget_s: float) -> dict[str, Any] | None:
        """Send one request and wait for its reply; None when the worker died or overran (the caller restarts it)."""
        if self.proc.poll() is not None:  # died after its last reply: not this program's doing
            self.restart()
        self.ready()
        if self.cgroups is not None:
            self.cgroups.set_limits(limits.memory_mb, _SCRATCH_MB, limits.max_processes)
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.write(payload)
        except (BrokenPipeError, OSError):
            return None
        line = self._read_line(time.monotonic() + budget_s)
        reply = _loads(line) if line is not None else None
        return reply if isinstance(reply, dict) else None

    def oom_kills(self) -> int:
        return self.cgroups.oom_kills() if self.cgroups is not None else 0

    def _read_line(self, deadline: float) -> bytes | None:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buf:
            wait = deadline - time.monotonic()
            if wait <= 0 or len(self._buf) > _MAX_REPLY_BYTES or not select.select([fd], [], [], wait)[0]:
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
        with contextlib.suppress(OSError):
            os.close(self._home_lock)
        if self.cgroups is not None:
            self.cgroups.remove()


def _loads(line: bytes) -> Any:
    """JSON from a worker, or None: a worker relays what programs produced, so nothing about it is assumed."""
    try:
        return json.loads(line)
    except Exception:  # ValueError, RecursionError, MemoryError
        return None


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


_STALE_AFTER_S = 60.0
"""A worker directory younger than this is never swept: it may have been made a moment ago, before its lock."""
_LOCK = ".lock"


def _claim_home() -> tuple[str, int]:
    """A new worker directory and a descriptor holding an exclusive lock on its `.lock` file. The lock lives as long
    as this process (the descriptor is not inherited by the worker, which sees none of this directory once it has its
    own root), so a harness that was killed leaves a directory nobody locks, which `sweep_stale_homes` removes."""
    home = tempfile.mkdtemp(prefix="arcbench-worker-")
    fd = os.open(os.path.join(home, _LOCK), os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with contextlib.suppress(OSError):  # a file system without locks: the sweep cannot lock it either, and leaves it
        fcntl.flock(fd, fcntl.LOCK_EX)
    return home, fd


def sweep_stale_homes() -> None:
    """Remove the worker directories of harnesses that were killed before they could (SIGKILL, a lost node): those
    whose lock no live process holds. A directory without a lock file (made by an earlier version, which may still be
    running) is left alone."""
    for p in Path(tempfile.gettempdir()).glob("arcbench-worker-*"):
        try:
            fd = os.open(p / _LOCK, os.O_RDWR | os.O_NOFOLLOW)
        except OSError:  # no lock file, a link, gone, or not ours to open
            continue
        try:
            if time.time() - os.fstat(fd).st_mtime < _STALE_AFTER_S:
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:  # a live worker's
                continue
            _remove_own_temp(str(p))
        finally:
            os.close(fd)


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

    _made = 0  # sandboxes made by this process: names their workers' cgroups

    def __init__(self, workers: int | None = None, limits: SandboxLimits | None = None) -> None:
        self.limits = limits or SandboxLimits()
        n = max(1, workers or os.cpu_count() or 1)
        base = _UID_BASE + (os.getpid() % (1 << 20)) * 64  # distinct per harness, so process limits stay per worker
        Sandbox._made += 1
        sweep_stale_homes()
        self._workers = [_Worker(base + i % 64, f"{os.getpid()}-{Sandbox._made}-{i}") for i in range(n)]
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
        if len(source) > MAX_SOURCE_CHARS:
            return _all(len(grids), "syntax", f"the program is {len(source):,} characters long; the sandbox runs "
                                              f"programs of at most {MAX_SOURCE_CHARS:,}")
        payload = (json.dumps({"source": source, "grids": grids, "limits": lim.model_dump()}) + "\n").encode()
        if len(payload) > _MAX_REQUEST_BYTES:
            return _all(len(grids), "crashed", "the program and its grids are too large for the sandbox")
        budget = 2 * lim.timeout_s * (len(grids) + 1) + _SLACK_S  # each grid may cost a restart: load + run
        worker = self._idle.get()
        t0 = time.perf_counter()
        try:
            reply = worker.exchange(payload, lim, budget)
            if reply is None:
                worker.restart()
                return _all(len(grids), "crashed", "the sandbox worker stopped responding and was restarted",
                            time.perf_counter() - t0)
            result = _parse_reply(reply, len(grids), lim, time.perf_counter() - t0)
            # The kernel's count moves only when it kills a program, which the program's results then show as a
            # crash: read it only then (two file reads per program cost more than the rest of the exchange).
            if any(r.error == "crashed" for r in result.results):
                ooms = worker.oom_kills()
                if ooms > worker.ooms:
                    _charge_memory(result, lim)
                worker.ooms = ooms
            return result
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


def _all(n: int, kind: str, message: str, duration_s: float = 0.0) -> ProgramResult:
    failed = GridResult(error=kind, message=message)  # type: ignore[arg-type]
    return ProgramResult(results=[failed.model_copy() for _ in range(n)], duration_s=duration_s)


def _charge_memory(result: ProgramResult, limits: SandboxLimits) -> None:
    """The kernel's OOM killer ended this program: say so where the grid only saw its process die."""
    for r in result.results:
        if r.error == "crashed" and "SIGKILL" in r.message:
            r.error = "memory"
            r.message = (f"the program went over its memory limit ({limits.memory_mb} MB for the program, counting "
                         "shared memory and files it made) and was killed")


def _parse_reply(reply: dict[str, Any], n: int, limits: SandboxLimits, duration_s: float) -> ProgramResult:
    """Turn a worker's reply into results, re-checking everything (the worker relays what a program produced).

    Total: whatever the reply holds, every grid gets a result and nothing raises.
    """
    raw = reply.get("results")
    if not isinstance(raw, list) or len(raw) != n:
        return _all(n, "crashed", "the sandbox worker sent a malformed reply", duration_s)
    results = [_parse_grid_result(r) for r in raw]
    stdout = reply.get("stdout")
    stdout = stdout[:limits.max_output_chars] if isinstance(stdout, str) else ""
    dropped = reply.get("dropped")
    return ProgramResult(results=results, stdout=stdout, duration_s=duration_s,
                         stdout_truncated=type(dropped) is int and dropped > 0)


def _parse_grid_result(r: Any) -> GridResult:
    if not isinstance(r, dict):
        return GridResult(error="crashed", message="the sandbox worker sent a malformed result")
    duration = _duration(r.get("t"))
    if "output" in r:
        if is_grid(r["output"]):
            return GridResult(output=r["output"], duration_s=duration)
        return GridResult(error="crashed", message="the sandbox worker relayed an invalid grid", duration_s=duration)
    kind = r.get("error")
    message = r.get("message")
    message = message[:_MAX_MESSAGE_CHARS + 1] if isinstance(message, str) else ""
    return GridResult(error=kind if kind in _ERROR_KINDS else "crashed", message=message, duration_s=duration)


def _duration(t: Any) -> float:
    """A reported duration in seconds; 0 for anything that is not a plausible one (a 400-digit int, inf, NaN)."""
    if type(t) not in (int, float) or not 0 <= t <= _MAX_DURATION_S:  # compared before any conversion
        return 0.0
    value = float(t)
    return value if math.isfinite(value) else 0.0
