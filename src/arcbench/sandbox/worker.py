"""The sandbox worker: a warm fork server that runs untrusted `transform(grid)` programs.

Run as a script by path (`python -I worker.py --uid N`) with an empty environment, never imported by the harness:
it must not load arcbench (or pydantic) so that each fork copies as little as possible. Tests import it only for
`to_grid`.

Layout of one worker (Linux, when permitted):

    harness ──pipe── outer server (network, mount, IPC and UTS namespaces; new root with the filesystem read-only)
                        └─ init of a new PID namespace (this loop: reads requests, forks, enforces deadlines)
                              └─ one child per program: rlimits, unprivileged uid, scratch dir, runs all its grids

Per-grid timeouts: the child appends a report to a shared-memory log as each grid finishes (stamped with the
system-wide monotonic clock) and writes one byte to a pipe when all are done. The init sleeps until the current
grid's deadline or that byte, whichever comes first, so a program costs it one wake-up however many grids it has.
When a grid runs past its deadline (or the child dies) the init kills every process of the program and forks a
fresh child that resumes at the next grid.

Protocol: newline-delimited JSON. Harness -> init: {"source", "grids", "limits"}; init -> harness: one hello line
({"hello": {...isolation report...}}) then one reply line per request. Child -> init (the log): {"load": ...} once,
then {"i": grid index, ...} per grid, each stamped "at" (clock). Captured output goes to a second shared region as
it is printed, so a program killed mid-grid still shows what it printed.
Nothing from the child is unpickled or trusted: the init parses it as bounded JSON, accepts entries only in order
(so a forged clock can extend a program's time by at most one allowance per grid) and the harness re-validates.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"  # one thread per process: forking a process with BLAS threads running is unsafe

import contextlib  # noqa: E402
import ctypes  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import mmap  # noqa: E402
import platform  # noqa: E402
import select  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import struct  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

MAX_SIDE = 30
MAX_OUTPUT_CHARS = 1_000_000  # the most captured output a program can be allowed to keep
_PROGRAM_FILE = "<program>"
_MAX_MESSAGE_CHARS = 4000  # exception text and traceback kept per grid
_LOG_BYTES = 1 << 24  # the shared report log; a child that fills it is broken or hostile: killed
_SCRATCH_MB = 64  # size of the per-worker scratch tmpfs (all programs' files together, one program at a time)
_PRELOAD = (  # imported once in the server so that a program's imports are dictionary look-ups
    "collections", "itertools", "functools", "math", "copy", "heapq", "re", "typing", "dataclasses", "statistics",
    "operator", "string", "random", "bisect", "fractions", "enum", "abc", "numbers", "json", "resource",
    "linecache",
)

# Linux constants (uapi headers); unused elsewhere.
_CLONE_NEWNS, _CLONE_NEWUTS, _CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
_CLONE_NEWUSER, _CLONE_NEWPID, _CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC = 1, 2, 4, 8
_MS_REMOUNT, _MS_NOATIME, _MS_NODIRATIME, _MS_BIND, _MS_REC = 32, 1024, 2048, 4096, 16384
_MS_PRIVATE, _MS_RELATIME = 1 << 18, 1 << 21
_MNT_DETACH = 2
_PR_SET_PDEATHSIG, _PR_SET_NO_NEW_PRIVS = 1, 38
_SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}


# ---------------------------------------------------------------------------------------------------------------
# Output conversion (runs in the child, under the grid's deadline)


def to_grid(value: Any) -> tuple[list[list[int]] | None, str]:
    """Convert a returned value to a grid, or say why it is not one.

    Accepted: a list, tuple or 2-d numpy array of rows; rows are lists, tuples or 1-d arrays; cells are ints or
    numpy integers (or floats with an integral value, as `np.zeros` makes) in 0-9; 1-30 rows and columns, all rows
    the same length. Sizes are checked before anything is copied, so a huge return value costs nothing.
    """
    if isinstance(value, np.ndarray):
        return _array_to_grid(value)
    if not isinstance(value, list | tuple):
        return None, f"transform returned {_type_name(value)}, not a list of rows"
    if not 1 <= len(value) <= MAX_SIDE:
        return None, f"the grid has {len(value)} rows; 1-{MAX_SIDE} are allowed"
    grid: list[list[int]] = []
    width = -1
    for r, row in enumerate(value):
        if isinstance(row, np.ndarray):
            if row.ndim != 1:
                return None, f"row {r} is a {row.ndim}-d array, not a row of cells"
            if row.size > MAX_SIDE:
                return None, f"row {r} has {row.size} cells; 1-{MAX_SIDE} are allowed"
            row = row.tolist()
        elif not isinstance(row, list | tuple):
            return None, f"row {r} is {_type_name(row)}, not a list of cells"
        if not 1 <= len(row) <= MAX_SIDE:
            return None, f"row {r} has {len(row)} cells; 1-{MAX_SIDE} are allowed"
        if width < 0:
            width = len(row)
        elif len(row) != width:
            return None, f"the grid is not rectangular: row 0 has {width} cells, row {r} has {len(row)}"
        cells = []
        for c, x in enumerate(row):
            cell = _cell(x)
            if cell is None:
                return None, f"cell ({r}, {c}) is {_describe(x)}, not an integer 0-9"
            cells.append(cell)
        grid.append(cells)
    return grid, ""


def _array_to_grid(a: np.ndarray) -> tuple[list[list[int]] | None, str]:
    if a.ndim != 2:
        return None, f"transform returned a {a.ndim}-d array with shape {a.shape}; a grid is 2-d"
    rows, cols = a.shape
    if not (1 <= rows <= MAX_SIDE and 1 <= cols <= MAX_SIDE):
        return None, f"the grid is {rows}x{cols}; 1-{MAX_SIDE} rows and columns are allowed"
    if a.dtype.kind == "O":
        return to_grid(a.tolist())
    if a.dtype.kind not in "iuf":
        return None, f"the array has dtype {a.dtype}, not integers"
    if a.dtype.kind == "f" and not (np.isfinite(a).all() and (a == np.round(a)).all()):
        return None, "the array holds non-integral numbers"
    lo, hi = a.min(), a.max()
    if lo < 0 or hi > 9:
        return None, f"the array holds {lo if lo < 0 else hi}, outside 0-9"
    return a.astype(np.int64).tolist(), ""


def _cell(x: Any) -> int | None:
    if isinstance(x, bool | np.bool_):
        return None
    integral_float = isinstance(x, float | np.floating) and math.isfinite(x) and float(x).is_integer()
    if not (isinstance(x, int | np.integer) or integral_float):
        return None
    v = int(x)
    return v if 0 <= v <= 9 else None


def _type_name(x: Any) -> str:
    return "None" if x is None else f"a {type(x).__name__}"


def _describe(x: Any) -> str:
    if isinstance(x, bool | np.bool_ | int | float | np.integer | np.floating):
        return f"{x!r} ({type(x).__name__})"
    return _type_name(x)


# ---------------------------------------------------------------------------------------------------------------
# The child: one per program (or per restart after a grid timed out or killed its process)


class _Capture:
    """stdout/stderr replacement writing into the shared output region: [u64 bytes][u64 chars dropped][utf-8]."""

    def __init__(self, mm: mmap.mmap, cap: int) -> None:
        self.mm, self.room, self.used, self.dropped, self.pack = mm, cap, 0, 0, struct.pack_into

    def write(self, s: Any) -> int:
        s = s if isinstance(s, str) else str(s)
        part = s[:self.room] if self.room > 0 else ""
        if part:
            data = part.encode("utf-8", "replace")
            end = 16 + self.used + len(data)
            if end <= len(self.mm):
                self.mm[16 + self.used:end] = data
                self.used += len(data)
                self.room -= len(part)
            else:
                part = ""
        self.dropped += len(s) - len(part)
        self.pack("<QQ", self.mm, 0, self.used, self.dropped)
        return len(s)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


class _Log:
    """The child's end of the shared report log: [u64 committed length][entries...]."""

    def __init__(self, mm: mmap.mmap) -> None:
        self.mm, self.pos, self.pack = mm, 8, struct.pack_into

    def append(self, data: bytes) -> bool:
        end = self.pos + len(data)
        if end > len(self.mm):
            return False
        self.mm[self.pos:end] = data
        self.pos = end
        self.pack("<Q", self.mm, 0, end)  # publish after the bytes are in place
        return True


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _format_exception(e: BaseException) -> str:
    """The exception and the program's own frames (the worker's frames are noise to the reader)."""
    frames = [f for f in traceback.extract_tb(e.__traceback__) if f.filename == _PROGRAM_FILE]
    lines = ["Traceback (most recent call last):\n", *traceback.format_list(frames)] if frames else []
    lines += traceback.format_exception_only(type(e), e)
    text = "".join(lines).rstrip()
    if len(text) > _MAX_MESSAGE_CHARS:  # keep the end: the exception line is what matters
        text = "…" + text[-_MAX_MESSAGE_CHARS:]
    return text


def _error_kind(e: BaseException) -> str:
    return "memory" if isinstance(e, MemoryError) else "exception"


def _child_setup(scratch: str, limits: dict[str, Any], wfd: int, uid: int | None, pid_ns: bool, base_vm: int
                 ) -> None:
    """Confine this process before any program code runs."""
    libc = _libc()
    os.setsid()  # own session and process group: the server kills the whole group
    if libc is not None and not pid_ns:
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)  # no init to clean up after us: die with the server
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.closerange(3, wfd)
    os.closerange(wfd + 1, 1 << 16)
    os.chdir(scratch)
    os.umask(0o077)
    if uid is not None:  # started as root: become an unprivileged user of our own (drops every capability)
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    elif libc is not None:
        _drop_capabilities(libc)
    if libc is not None:
        libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    cpu = max(1, math.ceil(limits["timeout_s"] * (limits["grids"] + 1))) + 1
    caps = [
        ("RLIMIT_CPU", cpu),  # backstop: the wall-clock deadline normally fires first
        ("RLIMIT_AS", base_vm + limits["memory_mb"] * 2**20),  # the program's allowance on top of the interpreter
        ("RLIMIT_NPROC", 1 + limits["max_processes"]),
        ("RLIMIT_FSIZE", limits["max_file_mb"] * 2**20),
        ("RLIMIT_NOFILE", limits["max_open_files"]),
        ("RLIMIT_CORE", 0),
    ]
    import resource

    for name, value in caps:
        if hasattr(resource, name):
            which = getattr(resource, name)
            hard = resource.getrlimit(which)[1]
            value = value if hard == resource.RLIM_INFINITY else min(value, hard)
            with contextlib.suppress(ValueError, OSError):  # e.g. RLIMIT_AS on macOS; see the README
                resource.setrlimit(which, (value, value))
    os.environ.clear()


def _child_main(req: dict[str, Any], first: int, wfd: int, scratch: str, uid: int | None, pid_ns: bool,
                base_vm: int, log: mmap.mmap, out: mmap.mmap) -> None:
    """Run the program on grids[first:], reporting after each. Never returns."""
    try:
        _child_setup(scratch, req["limits"], wfd, uid, pid_ns, base_vm)
    except BaseException:
        os._exit(70)
    with contextlib.suppress(BaseException):
        _child_run(req, first, wfd, _Log(log), out)
    os._exit(0)


def _child_run(req: dict[str, Any], first: int, wfd: int, log: _Log, out: mmap.mmap) -> None:
    import builtins
    import linecache

    capture = _Capture(out, req["output_room"])
    sys.stdout = sys.stderr = capture  # type: ignore[assignment]
    sys.stdin = None  # type: ignore[assignment]
    dumps, clock, write = json.dumps, time.monotonic, _write_all  # bound now: the program may replace builtins

    def send(msg: dict[str, Any]) -> None:
        msg["at"] = clock()
        if not log.append((dumps(msg) + "\n").encode()):
            write(wfd, b"!")  # log full
            os._exit(0)

    source, grids = req["source"], req["grids"]
    try:
        code = compile(source, _PROGRAM_FILE, "exec")
    except (SyntaxError, ValueError) as e:  # ValueError: source with NUL bytes
        send({"load": "syntax", "message": "".join(traceback.format_exception_only(type(e), e)).strip()})
        return
    except BaseException as e:
        send({"load": _error_kind(e), "message": _format_exception(e)})
        return
    linecache.cache[_PROGRAM_FILE] = (len(source), None, source.splitlines(True), _PROGRAM_FILE)
    namespace: dict[str, Any] = {"__name__": "__program__", "__builtins__": builtins}
    try:
        exec(code, namespace)
    except BaseException as e:
        send({"load": _error_kind(e), "message": _format_exception(e)})
        return
    transform = namespace.get("transform")
    if not callable(transform):
        send({"load": "no_transform", "message": "the program defines no function transform(grid)"})
        return
    send({"load": "ok"})
    perf = time.perf_counter
    for i in range(first, len(grids)):
        grid = [list(row) for row in grids[i]]  # a fresh copy: mutating it cannot reach another grid
        t0 = perf()
        try:
            output, why = to_grid(transform(grid))
            msg: dict[str, Any] = {"i": i, "output": output} if output is not None else \
                {"i": i, "error": "bad_output", "message": why}
        except BaseException as e:
            msg = {"i": i, "error": _error_kind(e), "message": _format_exception(e)}
        msg["t"] = perf() - t0
        send(msg)
    write(wfd, b"d")


# ---------------------------------------------------------------------------------------------------------------
# The server loop (PID 1 of its namespace when permitted)


class _Server:
    def __init__(self, uid: int | None, pid_ns: bool, scratch_root: str, isolation: dict[str, Any]) -> None:
        self.uid, self.pid_ns, self.scratch_root, self.isolation = uid, pid_ns, scratch_root, isolation
        self.counter = 0
        self.log = mmap.mmap(-1, _LOG_BYTES)  # shared with every child; reset before each
        self.out = mmap.mmap(-1, 16 + 4 * MAX_OUTPUT_CHARS)
        self.base_vm = _vm_size_bytes() + (64 << 20)  # the warm interpreter plus slack for what it maps later

    def serve(self) -> None:
        out = sys.stdout.buffer
        out.write((json.dumps({"hello": self.isolation}) + "\n").encode())
        out.flush()
        for line in sys.stdin.buffer:
            _reap(block=True)  # the last program's processes, killed after the previous reply, are gone for good
            req = json.loads(line)
            reply, last = self.run_program(req)
            out.write((json.dumps(reply) + "\n").encode())
            out.flush()
            if last is not None:  # after replying: the harness need not wait for the last child's teardown
                self._cleanup(last, reap=False)

    def run_program(self, req: dict[str, Any]) -> tuple[dict[str, Any], tuple[int, int, str] | None]:
        """Run one program on its grids; returns the reply and the last child, still to clean up."""
        grids, limits = req["grids"], req["limits"]
        limits["grids"] = len(grids)
        n, timeout = len(grids), float(limits["timeout_s"])
        results: list[dict[str, Any] | None] = [None] * n
        out: list[str] = []
        dropped = 0
        room = min(int(limits["max_output_chars"]), MAX_OUTPUT_CHARS)
        first = 0
        run = None
        while first < n:
            if run is not None:
                self._cleanup(run)
            req["output_room"] = room
            run = self._fork(req, first)
            stopped_at = self._collect(run, results, first, timeout)
            text, dropped_now = self._output(room)
            out.append(text)
            room -= len(text)
            dropped += dropped_now
            if stopped_at is None:
                break
            first = stopped_at + 1
        return {"results": results, "stdout": "".join(out), "dropped": dropped}, run

    def _output(self, room: int) -> tuple[str, int]:
        """What the last child printed (at most `room` characters) and how many characters it dropped."""
        used, dropped = struct.unpack_from("<QQ", self.out, 0)
        used = min(used, len(self.out) - 16)
        text = self.out[16:16 + used].decode("utf-8", "replace")[:room]
        return text, dropped if dropped < 1 << 62 else 0

    def _fork(self, req: dict[str, Any], first: int) -> tuple[int, int, str]:
        self.counter += 1
        scratch = os.path.join(self.scratch_root, f"p{self.counter}")
        os.mkdir(scratch, 0o700)
        if self.uid is not None:
            os.chown(scratch, self.uid, self.uid)
        r, w = os.pipe()
        struct.pack_into("<Q", self.log, 0, 8)  # empty the log and output region before the child can write to them
        struct.pack_into("<QQ", self.out, 0, 0, 0)
        pid = os.fork()
        if pid == 0:
            try:
                os.close(r)
                _child_main(req, first, w, scratch, self.uid, self.pid_ns, self.base_vm, self.log, self.out)
            finally:
                os._exit(70)
        os.close(w)
        return pid, r, scratch

    def _collect(self, run: tuple[int, int, str], results: list[dict[str, Any] | None], first: int,
                 timeout: float) -> int | None:
        """Wait for the child to finish, die or overrun; returns the grid to restart after (None: finished)."""
        pid, fd, _ = run
        n = len(results)
        state = _LogReader(self.log, first)
        deadline = time.monotonic() + timeout
        while True:
            signal_byte = _wait_byte(fd, deadline)
            progressed = state.read(results)
            if state.corrupt:
                return self._fail(pid, results, state, "crashed", "the program corrupted the sandbox's report log")
            if state.load_error is not None:  # the module itself failed: every remaining grid shares its fate
                _kill_program(pid, self.pid_ns)
                kind, message = state.load_error
                for i in range(first, n):
                    results[i] = {"error": kind, "message": message, "t": 0.0}
                return None
            if signal_byte == b"d" or state.current >= n:
                return None
            if signal_byte == b"!":
                return self._fail(pid, results, state, "crashed", "the program filled the sandbox's report log")
            if signal_byte == b"":  # EOF: the child died (or closed the pipe and carries on)
                kind, why = self._death(pid, deadline)
                return self._fail(pid, results, state, kind, why, time.monotonic() - state.last_at)
            if signal_byte is not None:
                return self._fail(pid, results, state, "crashed", "the program wrote to the sandbox's report pipe")
            now = time.monotonic()
            if progressed:  # the deadline follows the last finished grid (never a clock from the future)
                deadline = min(state.last_at, now) + timeout
            if now >= deadline:
                where = f"grid {state.current}" if state.loaded else "module-level code"
                return self._fail(pid, results, state, "timeout", f"{where} ran past the time limit of {timeout:g} s",
                                  timeout)

    def _fail(self, pid: int, results: list[dict[str, Any] | None], state: _LogReader, kind: str, why: str,
              elapsed: float = 0.0) -> int | None:
        """Record a failure of the running child; returns the grid to resume after (None: give up on the rest)."""
        _kill_program(pid, self.pid_ns)
        current, n, loaded = state.current, len(results), state.loaded
        if current >= n:
            return None
        if not loaded:  # the module itself failed: every remaining grid shares its fate
            for i in range(current, n):
                results[i] = {"error": kind, "message": why, "t": 0.0}
            return None
        results[current] = {"error": kind, "message": why, "t": elapsed}
        return current

    def _death(self, pid: int, deadline: float) -> tuple[str, str]:
        """Why the child's report channel closed early (it may also have closed it and kept running)."""
        while True:
            try:
                done, status = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                return "crashed", "the program's process ended"
            if done:
                break
            if time.monotonic() >= deadline:
                return "timeout", "the program closed its report channel and ran past the time limit"
            time.sleep(0.001)
        if os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            if sig == signal.SIGXCPU:
                return "timeout", "the program used up its CPU time limit"
            return "crashed", f"the program's process was killed by {_signal_name(sig)}"
        code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else -1
        if code == 70:
            return "crashed", "the sandbox could not set up the program's process"
        return "crashed", f"the program's process exited with code {code} (os._exit or similar)"

    def _cleanup(self, run: tuple[int, int, str], reap: bool = True) -> None:
        pid, fd, scratch = run
        os.close(fd)
        _kill_program(pid, self.pid_ns, reap)
        try:
            os.rmdir(scratch)  # the usual case: the program wrote nothing
        except OSError:
            shutil.rmtree(scratch, ignore_errors=True)


class _LogReader:
    """The init's end of the shared report log for one child: accepts only well-formed entries, in order."""

    def __init__(self, mm: mmap.mmap, first: int) -> None:
        self.mm, self.offset, self.current = mm, 8, first
        self.loaded, self.load_error, self.corrupt = False, None, False
        self.last_at = time.monotonic()

    def read(self, results: list[dict[str, Any] | None]) -> bool:
        """Take in the complete entries written since the last call; True when there were any."""
        committed = struct.unpack_from("<Q", self.mm, 0)[0]
        if not self.offset <= committed <= len(self.mm):
            self.corrupt = True
            return False
        if committed == self.offset:
            return False
        data = self.mm[self.offset:committed]
        self.offset = committed
        for line in data.split(b"\n")[:-1] if data.endswith(b"\n") else [b"!"]:
            try:
                msg = json.loads(line)
                at = float(msg["at"])
                if not isinstance(msg, dict) or not math.isfinite(at):
                    raise ValueError
            except (ValueError, KeyError, TypeError):
                self.corrupt = True
                return True
            if not self.loaded:
                kind = msg.get("load")
                if kind != "ok":
                    self.load_error = (kind if kind in ("syntax", "no_transform", "exception", "memory") else "crashed",
                                       str(msg.get("message", ""))[:_MAX_MESSAGE_CHARS])
                    return True
                self.loaded = True
            elif msg.get("i") == self.current and self.current < len(results):
                results[self.current] = msg
                self.current += 1
            else:
                self.corrupt = True
                return True
            self.last_at = at
        return True


def _wait_byte(fd: int, deadline: float) -> bytes | None:
    """One byte from the child's pipe (b"" at EOF), or None when the deadline passes first."""
    wait = deadline - time.monotonic()
    if wait <= 0 or not select.select([fd], [], [], wait)[0]:
        return None
    return os.read(fd, 1)


def _kill_program(pid: int, pid_ns: bool, reap: bool = True) -> None:
    """Kill the program's process and everything it started; reap them now or (reap=False) before the next fork.

    SIGKILL is final once sent, so a killed process cannot run another instruction while it waits to be reaped.
    """
    try:
        if pid_ns:
            os.kill(-1, signal.SIGKILL)  # as PID 1 of our namespace: every other process in it, even escaped sessions
        else:
            os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    if reap:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
        _reap()


def _reap(block: bool = False) -> None:
    """Collect exited children, including orphans re-parented to us as PID 1; `block` waits for all of them."""
    while True:
        try:
            if os.waitpid(-1, 0 if block else os.WNOHANG)[0] == 0:
                break
        except ChildProcessError:
            break


def _signal_name(sig: int) -> str:
    try:
        return signal.Signals(sig).name
    except ValueError:
        return f"signal {sig}"


def _vm_size_bytes() -> int:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


# ---------------------------------------------------------------------------------------------------------------
# Isolation set-up (once per worker, before any program)


def _libc() -> Any:
    if sys.platform != "linux":
        return None
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


def _check(ret: int, what: str) -> None:
    if ret != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _drop_capabilities(libc: Any) -> None:
    """Clear every capability (held inside our user namespace) before running a program."""

    class _Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class _Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                    ("inheritable", ctypes.c_uint32)]

    header = _Header(0x20080522, 0)
    data = (_Data * 2)()
    libc.capset(ctypes.byref(header), data)


def _mount(libc: Any, source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None
           ) -> None:
    def enc(s):
        return (s.encode() if s is not None else None)
    _check(libc.mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)),
           f"mount {target}")


def _locked_flags(path: str) -> int:
    """Mount flags a remount must keep (the kernel refuses to clear them inside a user namespace)."""
    f = os.statvfs(path).f_flag
    flags = 0
    for st, ms in ((os.ST_NOSUID, _MS_NOSUID), (os.ST_NODEV, _MS_NODEV), (os.ST_NOEXEC, _MS_NOEXEC),
                   (os.ST_NOATIME, _MS_NOATIME), (os.ST_NODIRATIME, _MS_NODIRATIME), (os.ST_RELATIME, _MS_RELATIME)):
        if f & st:
            flags |= ms
    return flags


def _visible_paths() -> list[str]:
    """What a program may read: system libraries, the interpreter's standard library and site-packages."""
    import sysconfig

    paths = ["/usr", "/lib", "/lib64", "/lib32", "/etc/alternatives", "/etc/ld.so.cache"]
    paths += [sysconfig.get_path(k) for k in ("stdlib", "platstdlib", "purelib", "platlib")]
    paths += [os.path.dirname(os.path.dirname(np.__file__))]  # not sys.path: a .pth file may name a project root
    real = []
    for p in paths:
        p = os.path.realpath(p)
        if os.path.exists(p) and p != "/" and p not in real:
            real.append(p)
    real.sort()
    kept: list[str] = []
    for p in real:  # drop paths inside an already-kept one
        if not any(p.startswith(k + "/") for k in kept):
            kept.append(p)
    return kept


def _new_root(libc: Any, isolation: dict[str, Any], home: str) -> str:
    """Build a root of read-only binds plus a writable scratch tmpfs and pivot into it; returns the scratch root.

    Everything else (home directories, the project and its .env, /etc, other users' files) becomes invisible.
    """
    _mount(libc, None, "/", None, _MS_REC | _MS_PRIVATE)  # nothing we mount leaks back to the host
    root = os.path.join(home, "root")  # on the host an empty directory; the harness removes `home`
    os.mkdir(root, 0o755)
    _mount(libc, "arcbench", root, "tmpfs", _MS_NOSUID, "size=1m,mode=755")
    # The scratch tmpfs comes first: a visible path may itself lie under /tmp (a project checked out there, with its
    # virtual environment), and its bind must then sit inside the scratch rather than be hidden by it.
    scratch = root + "/tmp"
    os.makedirs(scratch)
    _mount(libc, "scratch", scratch, "tmpfs", _MS_NOSUID | _MS_NODEV, f"size={_SCRATCH_MB}m,mode=711")
    for path in _visible_paths():
        target = root + path
        if os.path.isdir(path):
            os.makedirs(target, exist_ok=True)
        else:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            open(target, "w").close()
        _mount(libc, path, target, None, _MS_BIND | _MS_REC)
        _mount(libc, None, target, None, _MS_REMOUNT | _MS_BIND | _MS_RDONLY | _locked_flags(path))
    os.makedirs(root + "/dev")
    for dev in ("null", "zero", "urandom", "random"):
        if os.path.exists("/dev/" + dev):
            open(f"{root}/dev/{dev}", "w").close()
            _mount(libc, "/dev/" + dev, f"{root}/dev/{dev}", None, _MS_BIND)
    os.makedirs(root + "/proc")
    old = root + "/.old"
    os.makedirs(old)
    nr = _SYS_PIVOT_ROOT.get(platform.machine())
    if nr is not None and libc.syscall(nr, root.encode(), old.encode()) == 0:
        os.chdir("/")
        _check(libc.umount2(b"/.old", _MNT_DETACH), "umount old root")
        os.rmdir("/.old")
        isolation["filesystem"] = "private root (read-only system and Python paths, writable scratch only)"
    else:
        os.chroot(root)
        os.chdir("/")
        isolation["filesystem"] = "chroot (read-only system and Python paths, writable scratch only)"
    _mount(libc, None, "/", None, _MS_REMOUNT | _MS_RDONLY | _MS_NOSUID)
    return "/tmp"


def _isolate(isolation: dict[str, Any], home: str) -> tuple[str, bool]:
    """Enter what namespaces the platform permits; returns (scratch root, whether a PID namespace follows)."""
    libc = _libc()
    isolation.update(network=False, filesystem="none: the program can write wherever the user can",
                     pid_namespace=False)
    if libc is None:
        isolation["notes"].append("no Linux namespaces on this platform")
        return _host_scratch(home), False
    base = _CLONE_NEWNS | _CLONE_NEWNET | _CLONE_NEWIPC | _CLONE_NEWUTS | _CLONE_NEWPID
    uid, gid = os.getuid(), os.getgid()
    flags = base if uid == 0 else base | _CLONE_NEWUSER
    if libc.unshare(flags) != 0:
        isolation["notes"].append(f"unshare failed: {os.strerror(ctypes.get_errno())}")
        # Some kernels refuse a user namespace but still permit a network one (e.g. a capability was granted).
        if libc.unshare(_CLONE_NEWNET) == 0:
            isolation["network"] = True
        return _host_scratch(home), False
    if uid != 0:
        with open("/proc/self/setgroups", "w") as f:
            f.write("deny")
        with open("/proc/self/uid_map", "w") as f:
            f.write(f"0 {uid} 1")
        with open("/proc/self/gid_map", "w") as f:
            f.write(f"0 {gid} 1")
    isolation["network"] = True
    try:
        scratch = _new_root(libc, isolation, home)
    except OSError as e:
        isolation["notes"].append(f"private root failed: {e}")
        scratch = _host_scratch(home)
    isolation["pid_namespace"] = True
    return scratch, True


def _host_scratch(home: str) -> str:
    path = os.path.join(home, "scratch")
    os.makedirs(path, 0o711, exist_ok=True)
    return path


def _become_init(isolation: dict[str, Any]) -> None:
    """Fork into the new PID namespace; the original process waits and mirrors the init's exit."""
    pid = os.fork()
    if pid:
        signal.signal(signal.SIGTERM, lambda *_: os.kill(pid, signal.SIGKILL))
        _, status = os.waitpid(pid, 0)
        os._exit(os.waitstatus_to_exitcode(status) & 0xFF)
    libc = _libc()
    try:
        _mount(libc, "proc", "/proc", "proc", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC)
        isolation["proc"] = "private (shows only the namespace's processes)"
    except OSError as e:
        isolation["notes"].append(f"private /proc failed: {e}")


def main(argv: list[str]) -> None:
    uid = int(argv[argv.index("--uid") + 1]) if "--uid" in argv and os.getuid() == 0 else None
    isolate = "--no-isolation" not in argv
    # The harness's directory for this worker (removed by the harness), or our own when run by hand.
    home = argv[argv.index("--home") + 1] if "--home" in argv else tempfile.mkdtemp(prefix="arcbench-worker-")
    for name in _PRELOAD:
        __import__(name)
    isolation: dict[str, Any] = {"platform": sys.platform, "uid": uid if uid is not None else os.getuid(),
                                 "notes": []}
    if isolate:
        scratch_root, pid_ns = _isolate(isolation, home)
    else:
        isolation.update(network=False, filesystem="none", pid_namespace=False)
        isolation["notes"].append("isolation disabled")
        scratch_root, pid_ns = _host_scratch(home), False
    isolation["scratch_root"] = scratch_root
    if pid_ns:
        _become_init(isolation)
    import gc

    gc.collect()
    gc.freeze()  # children never touch these objects' pages for garbage collection: cheaper forks
    server = _Server(uid, pid_ns, scratch_root, isolation)
    try:
        server.serve()
    finally:
        if not pid_ns:
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
