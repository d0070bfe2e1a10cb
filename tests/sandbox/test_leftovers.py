"""What a killed harness leaves in the temp directory is removed by the next sandbox, and nothing of a live one."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from arcbench.sandbox import Sandbox
from arcbench.sandbox.pool import sweep_stale_homes
from tests.sandbox.conftest import FLIP, FLIPPED, GRID

_HARNESS = """
import sys
from arcbench.sandbox import Sandbox
sb = Sandbox(workers=1)
sb.isolation  # started
print(sb._workers[0].home, flush=True)
sys.stdin.read()
"""


def _age(home: str | Path) -> None:
    """As if made long ago: a young directory is never swept (it may be about to be locked)."""
    old = time.time() - 3600
    os.utime(Path(home) / ".lock", (old, old))


def test_a_killed_harnesses_worker_directory_is_removed_by_the_next_sandbox_and_a_live_ones_is_kept():
    killed = subprocess.Popen([sys.executable, "-c", _HARNESS], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    assert killed.stdout is not None
    left = killed.stdout.readline().strip()
    killed.send_signal(signal.SIGKILL)
    killed.wait(timeout=30)
    assert Path(left).is_dir()  # a SIGKILL leaves it
    _age(left)
    with Sandbox(workers=1) as live:
        live_home = live._workers[0].home
        assert not Path(left).exists()
        _age(live_home)
        sweep_stale_homes()
        assert Path(live_home).is_dir()  # locked by this process: kept
        assert live.run_sync(FLIP, [GRID]).results[0].output == FLIPPED
    assert not Path(live_home).exists()  # closed: removed as before


def test_a_young_unlocked_directory_is_kept_and_one_without_a_lock_file_is_never_touched():
    young = tempfile.mkdtemp(prefix="arcbench-worker-")
    unmarked = tempfile.mkdtemp(prefix="arcbench-worker-")
    try:
        (Path(young) / ".lock").touch()
        old = time.time() - 3600
        os.utime(unmarked, (old, old))
        sweep_stale_homes()
        assert Path(young).is_dir()
        _age(young)
        sweep_stale_homes()
        assert not Path(young).exists()
        assert Path(unmarked).is_dir()  # an earlier version's, perhaps still in use
    finally:
        for d in (young, unmarked):
            if Path(d).exists():
                shutil.rmtree(d)
