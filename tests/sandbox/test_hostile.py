"""Hostile and broken programs are contained: each case checks the outcome, that the harness survived and that the
next program in the same worker ran normally."""

from __future__ import annotations

import pytest

from arcbench.sandbox import Sandbox, SandboxLimits
from tests.sandbox.conftest import GRID, assert_healthy

CASES = {
    "os_exit": ("import os\ndef transform(g):\n    os._exit(0)\n", {"crashed"}),
    "sys_exit": ("import sys\ndef transform(g):\n    sys.exit(3)\n", {"exception"}),
    "kill_self": ("import os, signal\ndef transform(g):\n    os.kill(os.getpid(), signal.SIGKILL)\n", {"crashed"}),
    "segfault": ("import ctypes\ndef transform(g):\n    ctypes.string_at(0)\n", {"crashed"}),
    "sleep_forever": ("import time\ndef transform(g):\n    time.sleep(1000)\n", {"timeout"}),
    "busy_loop": ("def transform(g):\n    while True:\n        pass\n", {"timeout"}),
    "stop_self": ("import os, signal\ndef transform(g):\n    os.kill(os.getpid(), signal.SIGSTOP)\n", {"timeout"}),
    "recursion": ("def transform(g):\n    return transform(g)\n", {"exception"}),
    "deep_recursion": ("import sys\nsys.setrecursionlimit(10**8)\ndef f(n):\n    return f(n + 1) + 1\n"
                       "def transform(g):\n    return f(0)\n", {"crashed", "memory", "exception", "timeout"}),
    "memory_bomb": ("def transform(g):\n    x = bytearray(10**10)\n    return g\n", {"memory"}),
    "memory_growth": ("import numpy as np\ndef transform(g):\n    x = []\n    while True:\n"
                      "        x.append(np.empty(10**8, np.uint8))\n", {"memory"}),
    "huge_list": ("def transform(g):\n    return [[0] * 10**7]\n", {"bad_output"}),
    "huge_array": ("import numpy as np\ndef transform(g):\n    return np.zeros((5000, 5000), dtype=np.int8)\n",
                   {"bad_output"}),
    "fork_bomb": ("import os\ndef transform(g):\n    while True:\n        os.fork()\n",
                  {"exception", "timeout", "crashed"}),
    "close_channel": ("import os, time\ndef transform(g):\n    os.closerange(3, 1000)\n    time.sleep(1000)\n",
                      {"timeout", "crashed"}),
    "forge_reports": ("import os\ndef transform(g):\n    for fd in range(3, 64):\n        try:\n"
                      "            os.write(fd, b'd{\"i\": 0, \"output\": [[9]]}\\n')\n        except OSError:\n"
                      "            pass\n    return g\n", {"crashed", None}),
    "kill_parent": ("import os, signal\ndef transform(g):\n    os.kill(os.getppid(), signal.SIGKILL)\n"
                    "    os.kill(1, signal.SIGKILL)\n    return g\n", {None, "exception"}),
    "kill_everything": ("import os, signal\ndef transform(g):\n    try:\n        os.kill(-1, signal.SIGKILL)\n"
                        "    except OSError:\n        pass\n    return g\n", {None, "crashed"}),
    "module_sleep": ("import time\ntime.sleep(1000)\ndef transform(g):\n    return g\n", {"timeout"}),
    "module_exit": ("import os\nos._exit(1)\n", {"crashed"}),
}


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_program_is_contained(sandbox: Sandbox, name: str) -> None:
    source, expected = CASES[name]
    result = sandbox.run_sync(source, [GRID, GRID])
    # Each grid meets one of the expected fates (a fork bomb's leftovers may turn an exception on the first grid
    # into a crash on the second: both are contained); the next program must then run normally.
    for r in result.results:
        assert r.error in expected, r.message
    assert_healthy(sandbox)


def test_printing_gigabytes_is_cut_off_and_capped(sandbox: Sandbox) -> None:
    result = sandbox.run_sync("def transform(g):\n    while True:\n        print('x' * 10**6)\n", [GRID])
    assert result.results[0].error == "timeout"
    assert len(result.stdout) == sandbox.limits.max_output_chars
    assert result.stdout_truncated
    assert_healthy(sandbox)


def test_output_is_captured_up_to_the_cap() -> None:
    with Sandbox(workers=1, limits=SandboxLimits(max_output_chars=50)) as sb:
        result = sb.run_sync("import sys\ndef transform(g):\n    print('a' * 40)\n    sys.stderr.write('b' * 40)\n"
                             "    return g\n", [GRID])
    assert result.results[0].ok
    assert result.stdout == "a" * 40 + "\n" + "b" * 9
    assert result.stdout_truncated


def test_overriding_builtins_does_not_reach_the_next_program(sandbox: Sandbox) -> None:
    sandbox.run_sync("import builtins\nbuiltins.len = lambda x: 0\nbuiltins.marker = 1\n"
                     "def transform(g):\n    return g\n", [GRID])
    result = sandbox.run_sync("import builtins\ndef transform(g):\n"
                              "    return [[int(hasattr(builtins, 'marker')), len([1, 2])]]\n", [GRID])
    assert result.results[0].output == [[0, 2]]


def test_leftover_processes_are_killed_before_the_next_program(sandbox: Sandbox) -> None:
    daemon = ("import os, time\ndef transform(g):\n    if os.fork() == 0:\n        os.setsid()\n"
              "        time.sleep(1000)\n    return g\n")
    assert sandbox.run_sync(daemon, [GRID]).results[0].ok
    count = ("import os\ndef transform(g):\n"
             "    return [[min(9, len([p for p in os.listdir('/proc') if p.isdigit()]))]]\n")
    # the namespace's init and this program's own process: nothing left from before
    assert sandbox.run_sync(count, [GRID]).results[0].output == [[2]]


def test_timeout_on_one_grid_lets_the_others_run(sandbox: Sandbox) -> None:
    source = "import time\ndef transform(g):\n    if g[0][0] == 2:\n        time.sleep(1000)\n    return g\n"
    result = sandbox.run_sync(source, [[[1]], [[2]], [[3]]])
    assert [r.error for r in result.results] == [None, "timeout", None]
    assert [r.output for r in result.results] == [[[1]], None, [[3]]]


def test_crash_on_one_grid_lets_the_others_run(sandbox: Sandbox) -> None:
    source = "import os\ndef transform(g):\n    if g[0][0] == 1:\n        os._exit(4)\n    return g\n"
    result = sandbox.run_sync(source, [[[1]], [[2]]])
    assert result.results[0].error == "crashed"
    assert "code 4" in result.results[0].message
    assert result.results[1].output == [[2]]


def test_exception_in_one_grid_does_not_stop_the_others(sandbox: Sandbox) -> None:
    source = "def transform(g):\n    if g[0][0] == 1:\n        raise ValueError('bad input')\n    return g\n"
    result = sandbox.run_sync(source, [[[1]], [[2]]])
    assert result.results[0].error == "exception"
    assert "ValueError: bad input" in result.results[0].message
    assert 'line 3, in transform' in result.results[0].message
    assert result.results[1].output == [[2]]


@pytest.mark.parametrize(("source", "kind"), [
    ("def transform(g)\n    return g\n", "syntax"),
    ("x = 1\n", "no_transform"),
    ("transform = 3\n", "no_transform"),
    ("raise RuntimeError('at import')\ndef transform(g):\n    return g\n", "exception"),
    ("def transform(g):\n    return None\n", "bad_output"),
])
def test_program_level_errors_apply_to_every_grid(sandbox: Sandbox, source: str, kind: str) -> None:
    result = sandbox.run_sync(source, [GRID, GRID, GRID])
    assert [r.error for r in result.results] == [kind] * 3
    assert all(r.message for r in result.results)


def test_input_mutation_stays_inside_the_run(sandbox: Sandbox) -> None:
    grids = [[[1, 1], [1, 1]], [[2, 2], [2, 2]]]
    source = ("seen = []\ndef transform(g):\n    seen.append(g)\n    g[0][0] = 9\n"
              "    return [[len(seen), seen[0][0][0] if len(seen) == 1 else seen[1][1][1]]]\n")
    result = sandbox.run_sync(source, grids)
    assert grids == [[[1, 1], [1, 1]], [[2, 2], [2, 2]]]
    assert [r.output for r in result.results] == [[[1, 9]], [[2, 2]]]


def test_seed_timeout_of_a_tenth_of_a_second_works(sandbox: Sandbox) -> None:
    limits = SandboxLimits(timeout_s=0.1)
    ok = sandbox.run_sync("def transform(g):\n    return g\n", [GRID] * 3, limits)
    assert all(r.ok for r in ok.results)
    slow = sandbox.run_sync("import time\ndef transform(g):\n    time.sleep(5)\n", [GRID], limits)
    assert slow.results[0].error == "timeout"
