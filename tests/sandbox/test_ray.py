"""The sandbox on a Ray cluster: a local Ray instance started here (2 CPUs, no dashboard), the real sandbox in its
actors, and `arcbench run --executor ray` end to end through the local server, with a sandbox actor killed mid-run."""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from arcbench.cli import main
from arcbench.sandbox import Sandbox, SandboxLimits
from arcbench.testing.server import ScriptedServer
from tests.optional import require_ray_extra
from tests.run.helpers import answer, marker, summary, task_log
from tests.run.helpers import events as call_events

SLOW_ROT180 = "import time\n\ndef transform(grid):\n    time.sleep(0.3)\n    return [row[::-1] for row in grid[::-1]]\n"
PROGRAMS = [
    "def transform(grid):\n    return [row[::-1] for row in grid]\n",
    "def transform(grid):\n    return 1 / 0\n",
    "import time\n\ndef transform(grid):\n    time.sleep(5)\n",
    "def transform(grid):\n    return [[99]]\n",
    "this is not python",
]
GRIDS = [[[1, 2], [3, 4]], [[5, 6, 7]]]


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[object]:
    """A local Ray instance for the module: 2 CPUs, no dashboard, a 100 MB object store (programs and results are
    small), stopped at the end."""
    require_ray_extra()
    from arcbench.sandbox.ray_pool import require_ray

    ray = require_ray()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, object_store_memory=100 << 20)
    try:
        yield ray
    finally:
        ray.shutdown()


def sandbox_actors(ray) -> list[str]:
    from ray.util import list_named_actors

    return sorted(a["name"] for a in list_named_actors(all_namespaces=True) if a["name"].startswith("arcbench-"))


def test_programs_give_the_same_results_on_the_cluster_as_in_the_local_sandbox(ray_cluster):
    from arcbench.sandbox.ray_pool import RaySandbox

    limits = SandboxLimits(timeout_s=0.5)

    async def both() -> tuple[list, list]:
        with RaySandbox(limits=limits) as cluster, Sandbox(workers=1, limits=limits) as local:
            assert cluster.isolation["ray_nodes"] == 1 and cluster.workers == 2
            remote = await asyncio.gather(*(cluster.run(p, GRIDS) for p in PROGRAMS))
            here = [await local.run(p, GRIDS) for p in PROGRAMS]
            return remote, here

    remote, here = asyncio.run(both())
    strip = [[(r.output, r.error) for r in res.results] for res in remote]
    assert strip == [[(r.output, r.error) for r in res.results] for res in here]
    assert strip[0][0] == ([[2, 1], [4, 3]], None) and strip[2][0][1] == "timeout"


def test_a_killed_actor_costs_only_its_programs_in_flight_which_run_again_on_a_fresh_actor(ray_cluster):
    from arcbench.sandbox.ray_pool import RaySandbox

    async def scenario() -> tuple[list, int, list[str], list[str]]:
        with RaySandbox() as cluster:
            _ = cluster.isolation
            before = cluster.actor_names
            running = [asyncio.create_task(cluster.run(SLOW_ROT180, GRIDS)) for _ in range(5)]
            await asyncio.sleep(0.3)  # two programs are in flight (two workers), the others wait for a free one
            ray_cluster.kill(ray_cluster.get_actor(before[0], namespace="arcbench"))
            results = await asyncio.gather(*running)
            return results, cluster.lost_executions, before, cluster.actor_names

    results, lost, before, after = asyncio.run(scenario())
    assert lost >= 1
    assert after and after != before  # the node is alive: it got a new actor
    for res in results:
        assert [r.output for r in res.results] == [[[4, 3], [2, 1]], [[7, 6, 5]]]
    assert sandbox_actors(ray_cluster) == []  # closed with the executor


def test_when_every_attempt_loses_its_actor_the_program_is_charged_as_crashed(ray_cluster):
    from arcbench.sandbox.ray_pool import RaySandbox

    async def scenario() -> list:
        with RaySandbox(max_tries=1) as cluster:
            _ = cluster.isolation
            task = asyncio.create_task(cluster.run(SLOW_ROT180, GRIDS))
            await asyncio.sleep(0.3)
            ray_cluster.kill(ray_cluster.get_actor(cluster.actor_names[0], namespace="arcbench"))
            return (await task).results

    results = asyncio.run(scenario())
    assert [r.error for r in results] == ["crashed", "crashed"]
    assert "lost 1 times" in results[0].message


def test_run_with_executor_ray_survives_a_sandbox_actor_killed_mid_run(ray_cluster, tmp_path):
    """Each program takes about 1.2 s; the actor is killed while the first ones run. The run completes with every
    program's results, every call made once, and the run directory on the driver."""
    seen: list[str] = []
    stop = threading.Event()
    with ScriptedServer() as server:
        server.set_script([{"match": marker("6150a2bd"), "content": answer(SLOW_ROT180)},
                           {"match": marker("67a3c6ac"), "content": answer(SLOW_ROT180)}])

        def killer() -> None:
            killed = False
            while not stop.is_set():
                names = sandbox_actors(ray_cluster)
                seen.extend(n for n in names if n not in seen)
                if not killed and names and server.chat_requests:
                    time.sleep(0.5)  # into the first programs' run
                    ray_cluster.kill(ray_cluster.get_actor(names[0], namespace="arcbench"))
                    killed = True
                time.sleep(0.05)

        thread = threading.Thread(target=killer)
        thread.start()
        try:
            run_dir = tmp_path / "run"
            code = main(["run", "--base-url", server.base_url, "--model", "scripted", "--run-dir", str(run_dir),
                         "--quiet", "--subset", "6150a2bd,67a3c6ac", "--mode", "independent", "--max-turns", "3",
                         "--stop-when", "never", "--max-workers", "2", "--executor", "ray"])
        finally:
            stop.set()
            thread.join()
    assert code == 0
    assert len(seen) >= 2  # the killed actor and its replacement
    s = summary(run_dir)
    assert s.score == 0.5 and s.total_turns == 6  # 6150a2bd is a half turn; 67a3c6ac is not
    for tid in ("6150a2bd", "67a3c6ac"):
        for turn in task_log(run_dir, tid).turns:
            assert turn.train and all(e.error is None for e in turn.train), (tid, turn.index)
    assert len(call_events(run_dir)) == 6 and len(server.chat_requests) == 6  # nothing asked twice
    assert sandbox_actors(ray_cluster) == []


def test_run_config_records_the_executor_and_resume_may_move_it(ray_cluster, tmp_path):
    with ScriptedServer() as server:
        run_dir = tmp_path / "run"
        args = ["--base-url", server.base_url, "--model", "scripted", "--quiet", "--subset", "6150a2bd"]
        assert main(["run", *args, "--run-dir", str(run_dir), "--executor", "local"]) == 0
        (run_dir / "summary.json").unlink()
        (run_dir / "tasks" / "6150a2bd.json").unlink()
        assert main(["run", "--resume", str(run_dir), "--executor", "ray", "--quiet"]) == 0
    assert summary(run_dir).total_tasks == 1
    saved = (run_dir / "config.json").read_text()
    assert '"executor": "local"' in saved  # config.json keeps what the run was started with


def test_ray_address_without_executor_ray_is_refused_in_one_line(capsys):
    assert main(["run", "--ray-address", "auto", "--model", "baseline", "--run-dir", "/nonexistent/x"]) == 2
    assert capsys.readouterr().err == "error: --ray-address goes with --executor ray\n"


@pytest.mark.parametrize(("address", "says"), [
    ("127.0.0.1:1", "error: --ray-address 127.0.0.1:1: nothing answers there (Connection refused): start the cluster "
                    "with `ray start --head` on its head node, or fix the address\n"),
    ("headnode", "error: --ray-address headnode: expected HOST:PORT (the head node's port, 6379 unless `ray start "
                 "--head --port` said otherwise) or auto\n"),
])
def test_a_ray_address_where_no_cluster_answers_is_one_line_before_anything_is_written(address, says, tmp_path,
                                                                                       capsys):
    require_ray_extra()
    run_dir = tmp_path / "run"
    assert main(["run", "--model", "baseline", "--subset", "6150a2bd", "--executor", "ray", "--ray-address", address,
                 "--run-dir", str(run_dir)]) == 2
    assert capsys.readouterr().err == says
    assert not run_dir.exists()


def test_executor_ray_without_the_extra_says_how_to_install_it(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` fails as if it were not installed
    run_dir = tmp_path / "run"
    assert main(["run", "--model", "baseline", "--subset", "6150a2bd", "--executor", "ray", "--run-dir",
                 str(run_dir)]) == 2
    err = capsys.readouterr().err
    assert err == "error: --executor ray needs the ray extra: uv sync --extra ray (or pip install 'arcbench[ray]')\n"
    assert not Path(run_dir).exists()  # nothing was written
