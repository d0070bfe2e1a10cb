"""The sandbox on a Ray cluster: one warm `Sandbox` per node, held by an actor, and programs sent where there is room.

Each alive node with CPUs gets one actor (pinned to it) that keeps a `Sandbox` of one worker per CPU; the actor runs
up to that many programs at once, so nodes never oversubscribe. The driver (the process running `arcbench run`, which
keeps the run directory and talks to the model servers) counts each actor's programs in flight and sends the next one
to the actor with the most free workers, waiting when all are busy. An actor or node lost mid-run costs only the
programs it was running: they are sent again elsewhere (or to the replacement actor started on a node that is still
alive), up to `MAX_TRIES` times per program. New nodes are picked up while the run goes on.

Ray is an optional extra (`uv sync --extra ray`); it is imported only when this executor is made. The actors run
`arcbench.sandbox.Sandbox` itself, so a node refuses programs exactly where a local run would (its sandbox must be able
to hide the benchmark), and a program's result is the same whichever node ran it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass
from typing import Any

from arcbench.data.types import Grid
from arcbench.errors import UserError
from arcbench.sandbox.pool import Sandbox, SandboxRefusedError
from arcbench.sandbox.types import GridResult, ProgramResult, SandboxLimits

RAY_HINT = "--executor ray needs the ray extra: uv sync --extra ray (or pip install 'arcbench[ray]')"
MAX_TRIES = 3
"""Times a program is sent out before its loss is charged to it (a crashed result), when actors keep dying under it."""
NAMESPACE = "arcbench"
"""Ray namespace of the sandbox actors (named arcbench-sandbox-<run>-<node>), so that they can be listed."""
_RESCAN_S = 30.0  # how often idle capacity checks for nodes that joined
_START_TIMEOUT_S = 180.0  # a new actor: a worker process start, numpy import and the sandbox's checks, on a busy node
_NO_NODE_WAIT_S = 60.0  # how long programs wait for a node to come back before the run stops


def require_ray() -> Any:
    """The `ray` module, or one line saying how to install it.

    Ray's own `uv run` integration would re-create the environment on every worker from the current directory (which
    holds the run directories): arcbench turns it off unless RAY_ENABLE_UV_RUN_RUNTIME_ENV is set, and the workers
    use the driver's Python, as on a cluster whose nodes have arcbench installed."""
    os.environ.setdefault("RAY_ENABLE_UV_RUN_RUNTIME_ENV", "0")
    try:
        import ray
    except ImportError:
        raise UserError(RAY_HINT) from None
    return ray


def check_address(address: str | None) -> None:
    """One line for a cluster address that is malformed or where nothing answers: Ray itself would retry for
    minutes. `auto` and `ray://` addresses are left to Ray, which fails fast on them."""
    if address is None or address == "auto" or address.startswith("ray://"):
        return
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise UserError(f"--ray-address {address}: expected HOST:PORT (the head node's port, 6379 unless `ray start "
                        "--head --port` said otherwise) or auto")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=5).close()
    except OSError as e:
        raise UserError(f"--ray-address {address}: nothing answers there ({e.strerror or e}): start the cluster "
                        "with `ray start --head` on its head node, or fix the address") from None


class NodeSandbox:
    """The actor's body: a warm sandbox pool on one node. Trusted code; each program runs in the pool's isolation."""

    def __init__(self, workers: int, limits: dict[str, Any]) -> None:
        self.sandbox = Sandbox(workers=workers, limits=SandboxLimits(**limits))

    def isolation(self) -> dict[str, Any]:
        """The sandbox's isolation report (its workers started), or {"refuse": why} where it runs no program."""
        try:
            return self.sandbox.isolation
        except SandboxRefusedError as e:
            return {"refuse": str(e)}

    def run(self, source: str, grids: list[Grid], limits: dict[str, Any] | None) -> dict[str, Any]:
        result = self.sandbox.run_sync(source, grids, SandboxLimits(**limits) if limits else None)
        return result.model_dump()

    def close(self) -> None:
        """Stop the pool's workers (and their cgroups and scratch) before the actor is killed."""
        self.sandbox.close()


@dataclass
class _Actor:
    node: str
    name: str
    handle: Any
    capacity: int
    busy: int = 0


class RaySandbox:
    """An executor (`arcbench.solve.Executor`) that runs programs on a Ray cluster.

    `address` is a running cluster's address (`host:6379`, or `auto` on a node of it); None starts a local Ray
    instance (stopped again on `close`) unless this process is already connected to one. `workers_per_node` defaults
    to each node's CPUs."""

    def __init__(self, address: str | None = None, limits: SandboxLimits | None = None, *,
                 workers_per_node: int | None = None, max_tries: int = MAX_TRIES) -> None:
        self._ray = ray = require_ray()
        self.limits = limits or SandboxLimits()
        self.address = address
        self.max_tries = max_tries
        self._per_node = workers_per_node
        self._run = uuid.uuid4().hex[:8]
        self._owns_ray = not ray.is_initialized()
        if self._owns_ray:
            check_address(address)
            try:
                # The actors' output stays in Ray's logs on each node (/tmp/ray/session_latest/logs): on the console
                # it would interleave with the run's progress (a sandbox worker orphaned by a lost actor complains).
                ray.init(address=address, include_dashboard=False, log_to_driver=False,
                         logging_level=logging.WARNING if address else logging.ERROR)
            except ConnectionError as e:
                raise UserError(f"--ray-address {address}: cannot connect to a Ray cluster there ({e})") from None
        self._actors: dict[str, _Actor] = {}
        self._starting: dict[str, asyncio.Task[None]] = {}
        self._lost = 0
        self._changed: asyncio.Condition | None = None
        self._scanned = 0.0
        self._closed = False
        self._actor_class = ray.remote(NodeSandbox)
        for node, cpus in self._nodes():
            self._actors[node] = self._start_actor(node, cpus)
        if not self._actors:
            self.close()
            raise UserError(f"the Ray cluster{' at ' + address if address else ''} has no alive node with CPUs")

    # ------------------------------------------------------------ cluster membership

    def _nodes(self) -> list[tuple[str, int]]:
        """Alive nodes with CPUs: (node id, CPUs)."""
        return [(n["NodeID"], int(n["Resources"].get("CPU", 0))) for n in self._ray.nodes()
                if n.get("Alive") and int(n.get("Resources", {}).get("CPU", 0)) > 0]

    def _start_actor(self, node: str, cpus: int) -> _Actor:
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        workers = self._per_node or cpus
        name = f"arcbench-sandbox-{self._run}-{node[:12]}-{uuid.uuid4().hex[:4]}"
        # No Ray CPUs reserved: the pool's workers are the node's CPUs, and model servers that share the cluster keep
        # theirs. Pinned (soft=False): a lost node's actor is not restarted elsewhere, doubling another node's pool.
        handle = self._actor_class.options(
            name=name, namespace=NAMESPACE, num_cpus=0, max_concurrency=workers + 2, max_restarts=0,
            scheduling_strategy=NodeAffinitySchedulingStrategy(node_id=node, soft=False),
        ).remote(workers, self.limits.model_dump())
        return _Actor(node=node, name=name, handle=handle, capacity=workers)

    @property
    def isolation(self) -> dict[str, Any]:
        """What every node's sandbox enforces (from the first node), once all have started; raises if one refuses."""
        from ray.exceptions import GetTimeoutError

        try:
            reports = self._ray.get([a.handle.isolation.remote() for a in self._actors.values()],
                                    timeout=_START_TIMEOUT_S)
        except GetTimeoutError:
            raise UserError(f"the sandbox actors did not start on the Ray cluster within {_START_TIMEOUT_S:.0f} s "
                            "(are arcbench and its ray extra installed on every node?)") from None
        for actor, report in zip(self._actors.values(), reports, strict=True):
            if report.get("refuse"):
                raise SandboxRefusedError(f"{report['refuse']} (Ray node {actor.node[:12]})")
        return {**reports[0], "ray_nodes": len(reports), "workers": self.workers}

    @property
    def workers(self) -> int:
        return sum(a.capacity for a in self._actors.values())

    @property
    def lost_executions(self) -> int:
        """Programs whose actor was lost while it ran them (each was sent again)."""
        return self._lost

    @property
    def actor_names(self) -> list[str]:
        return [a.name for a in self._actors.values()]

    def _cond(self) -> asyncio.Condition:
        if self._changed is None:
            self._changed = asyncio.Condition()
        return self._changed

    async def _rescan(self) -> None:
        """Start actors on alive nodes that have none (joined, or whose actor was lost); forget the others."""
        self._scanned = time.monotonic()
        nodes = dict(await asyncio.to_thread(self._nodes))
        for node in list(self._actors):
            if node not in nodes:
                del self._actors[node]
        for node, cpus in nodes.items():
            if node not in self._actors and node not in self._starting:
                self._starting[node] = asyncio.create_task(self._bring_up(node, cpus))

    async def _bring_up(self, node: str, cpus: int) -> None:
        actor = self._start_actor(node, cpus)
        try:
            report = await asyncio.wait_for(actor.handle.isolation.remote(), _START_TIMEOUT_S)
        except asyncio.CancelledError:  # the executor is closing
            self._kill(actor)
            raise
        except Exception:  # the node went away again, or never started the actor: the next rescan retries
            report = None
        finally:
            self._starting.pop(node, None)
        async with self._cond():
            if report is not None and not report.get("refuse") and not self._closed:
                self._actors[node] = actor
            else:
                self._kill(actor)
            self._cond().notify_all()

    async def _acquire(self) -> _Actor:
        """The actor with the most free workers, waiting while every worker is busy."""
        cond = self._cond()
        empty_since: float | None = None
        async with cond:
            while True:
                free = [a for a in self._actors.values() if a.busy < a.capacity]
                if free:
                    best = max(free, key=lambda a: a.capacity - a.busy)
                    best.busy += 1
                    return best
                if not self._actors and not self._starting:
                    empty_since = empty_since or time.monotonic()
                    if time.monotonic() - empty_since > _NO_NODE_WAIT_S:
                        raise UserError("the Ray cluster has no alive node to run programs on: finish the run with "
                                        "`arcbench run --resume` once it is back")
                    await self._rescan()
                elif time.monotonic() - self._scanned > _RESCAN_S:
                    await self._rescan()
                with contextlib.suppress(TimeoutError):  # woken by a release, or look again after a second
                    await asyncio.wait_for(cond.wait(), 1.0)

    async def _release(self, actor: _Actor, lost: bool) -> None:
        async with self._cond():
            actor.busy -= 1
            if lost and self._actors.get(actor.node) is actor:
                del self._actors[actor.node]
                self._kill(actor)
                await self._rescan()  # a node still alive gets a fresh actor
            self._cond().notify_all()

    async def run(self, source: str, grids: list[Grid], limits: SandboxLimits | None = None) -> ProgramResult:
        """Run `source`'s transform on each grid on some node of the cluster."""
        from ray.exceptions import (
            ActorUnschedulableError,
            NodeDiedError,
            ObjectLostError,
            OutOfMemoryError,
            RayActorError,
            WorkerCrashedError,
        )

        lost_kinds = (RayActorError, WorkerCrashedError, NodeDiedError, ObjectLostError, OutOfMemoryError,
                      ActorUnschedulableError)
        lim = (limits or self.limits).model_dump()
        for _ in range(self.max_tries):
            actor = await self._acquire()
            lost = False
            try:
                reply = await actor.handle.run.remote(source, grids, lim)
            except lost_kinds:
                lost = True
                self._lost += 1
                continue
            finally:
                await self._release(actor, lost)
            return ProgramResult.model_validate(reply)
        failed = GridResult(error="crashed", message=f"the Ray node running this program was lost {self.max_tries} "
                                                     "times in a row")
        return ProgramResult(results=[failed.model_copy() for _ in grids])

    def _kill(self, actor: _Actor) -> None:
        with contextlib.suppress(Exception):  # already gone with its node
            self._ray.kill(actor.handle, no_restart=True)

    def close(self) -> None:
        """Stop every actor (their sandboxes stop with them) and the local Ray instance if this started it."""
        if self._closed:
            return
        self._closed = True
        for task in self._starting.values():
            task.cancel()
        actors = list(self._actors.values())
        self._actors.clear()
        # Stop the pools first: a killed actor cannot remove its workers' cgroups and scratch (a lost one has
        # nothing left to stop).
        with contextlib.suppress(Exception):
            self._ray.get([a.handle.close.remote() for a in actors], timeout=30)
        for actor in actors:
            self._kill(actor)
        if self._owns_ray:
            self._ray.shutdown()

    def __enter__(self) -> RaySandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
