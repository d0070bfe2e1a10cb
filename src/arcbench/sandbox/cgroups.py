"""Kernel-enforced bounds for sandbox workers: one memory and one pids cgroup per worker.

A worker joins its cgroups before it starts anything, so every process of every program it runs is counted: heap,
System V shared memory, tmpfs pages and memfds alike (the kernel charges pages to the cgroup of the process that
touched them). cgroup v2 (a unified hierarchy at /sys/fs/cgroup with the memory and pids controllers) and v1 (one
hierarchy per controller, as Debian's older images and many containers mount them) are both handled. Where neither is
writable (no root, no delegation) `Cgroups.create` returns None and the sandbox says so in its isolation report.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

_ROOT = Path("/sys/fs/cgroup")
_GROUP = "arcbench"


class Cgroups:
    """The cgroups of one worker: `dirs` to join, limits to set per program, the OOM-kill count to read."""

    def __init__(self, version: int, memory: Path, pids: Path | None) -> None:
        self.version, self.memory, self.pids = version, memory, pids
        self.baseline = 0
        self._limit = -1

    @property
    def dirs(self) -> list[str]:
        return [str(self.memory)] + ([str(self.pids)] if self.pids is not None and self.pids != self.memory else [])

    @classmethod
    def create(cls, name: str) -> Cgroups | None:
        """Make this worker's cgroups, or None where the platform does not let us."""
        _remove_stale()
        try:
            if (_ROOT / "cgroup.controllers").exists():  # v2 mounted at the top
                controllers = (_ROOT / "cgroup.controllers").read_text().split()
                if "memory" not in controllers:
                    return None
                parent = _ROOT / _GROUP
                parent.mkdir(exist_ok=True)
                wanted = " ".join(f"+{c}" for c in ("memory", "pids") if c in controllers)
                for d in (_ROOT, parent):
                    (d / "cgroup.subtree_control").write_text(wanted)
                leaf = parent / name
                leaf.mkdir()
                with contextlib.suppress(OSError):
                    (leaf / "memory.swap.max").write_text("0")
                return cls(2, leaf, leaf if "pids" in controllers else None)
            memory = _ROOT / "memory"
            if not (memory / "memory.limit_in_bytes").exists():
                return None
            mem = memory / _GROUP / name
            mem.mkdir(parents=True)
            pids = None
            if (_ROOT / "pids" / "pids.max").exists() or (_ROOT / "pids" / "cgroup.procs").exists():
                pids = _ROOT / "pids" / _GROUP / name
                try:
                    pids.mkdir(parents=True)
                except OSError:
                    pids = None
            return cls(1, mem, pids)
        except OSError:
            return None

    def measure_baseline(self) -> None:
        """The worker's own resident memory once it is warm (interpreter, numpy): programs get theirs on top."""
        stat = self._stat()
        if self.version == 1:
            self.baseline = stat.get("total_rss", stat.get("rss", 0)) + stat.get("total_shmem", stat.get("shmem", 0))
        else:
            self.baseline = stat.get("anon", 0) + stat.get("shmem", 0)

    def set_limits(self, memory_mb: int, scratch_mb: int, max_processes: int) -> None:
        """Memory for one program (its allowance, its scratch tmpfs, slack for code pages) on top of the baseline;
        processes: the worker's own four (server, template, helper, program init), the program and its allowance."""
        limit = self.baseline + (memory_mb + scratch_mb + 48) * 2**20
        if limit == self._limit:
            return
        if self.version == 1:
            # memsw (memory + swap) must stay >= the memory limit: raise in the order the kernel accepts
            files = ["memory.limit_in_bytes", "memory.memsw.limit_in_bytes"]
            if limit < self._limit:
                files.reverse()
            for f in files:
                with contextlib.suppress(OSError):
                    (self.memory / f).write_text(str(limit))
            if self.pids is not None:
                (self.pids / "pids.max").write_text(str(5 + max_processes + 1))
        else:
            (self.memory / "memory.max").write_text(str(limit))
            if self.pids is not None:
                (self.pids / "pids.max").write_text(str(5 + max_processes + 1))
        self._limit = limit

    def oom_kills(self) -> int:
        """How many processes the kernel's OOM killer has killed in this cgroup so far."""
        name = "memory.oom_control" if self.version == 1 else "memory.events"
        try:
            for line in (self.memory / name).read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    return int(value)
        except (OSError, ValueError):
            pass
        return 0

    def remove(self) -> None:
        """Remove the cgroups once the worker is dead (the kernel refuses while a process is still in them)."""
        for d in {self.memory, self.pids} - {None}:
            for _ in range(50):
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.01)

    def _stat(self) -> dict[str, int]:
        out = {}
        with contextlib.suppress(OSError):
            for line in (self.memory / "memory.stat").read_text().splitlines():
                key, _, value = line.partition(" ")
                with contextlib.suppress(ValueError):
                    out[key] = int(value)
        return out


def _remove_stale() -> None:
    """Remove the cgroups of harnesses that died without cleaning up (their name starts with the harness's pid)."""
    for parent in (_ROOT / _GROUP, _ROOT / "memory" / _GROUP, _ROOT / "pids" / _GROUP):
        with contextlib.suppress(OSError):
            for d in parent.iterdir():
                owner = d.name.split("-", 1)[0]
                if owner.isdigit() and not _alive(int(owner)):
                    with contextlib.suppress(OSError):
                        d.rmdir()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
