"""What a program can see and touch. On Linux as root (or with unprivileged user namespaces) every layer holds; the
tests assert the layer the worker reports, and where a platform cannot provide one, the documented fallback."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from arcbench.sandbox import Sandbox
from tests.sandbox.conftest import GRID, assert_healthy

LINUX_NAMESPACES = sys.platform == "linux" and os.geteuid() == 0  # this machine; a user namespace gives the same


def test_isolation_report_matches_the_platform(sandbox: Sandbox) -> None:
    iso = sandbox.isolation
    if LINUX_NAMESPACES:
        assert iso["network"] and iso["pid_namespace"]
        assert iso["filesystem"].startswith("private root")
        assert iso["uid"] != 0
    else:  # the documented fallback: rlimits, clean environment, scratch directory, no namespaces
        assert iso["notes"]


def test_environment_secrets_are_invisible(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-secret-value")
    source = (
        "import os\n"
        "def transform(g):\n"
        "    leaks = int('OPENAI_API_KEY' in os.environ or any('sk-test-secret' in v for v in os.environ.values()))\n"
        "    for pid in os.listdir('/proc'):\n"
        "        try:\n"
        "            leaks += b'sk-test-secret' in open(f'/proc/{pid}/environ', 'rb').read()\n"
        "        except OSError:\n"
        "            pass\n"
        "    return [[min(leaks, 9), min(len(os.environ), 9)]]\n"
    )
    with Sandbox(workers=1) as sb:  # started after the key was set: the worker inherits nothing anyway
        result = sb.run_sync(source, [GRID])
    assert result.results[0].output == [[0, 0]]


def test_project_files_and_dotenv_are_invisible(tmp_path: Path, sandbox: Sandbox) -> None:
    secret = tmp_path / ".env"
    secret.write_text("OPENAI_API_KEY=sk-on-disk\n")
    source = f"def transform(g):\n    return [[len(open({str(secret)!r}).read())]]\n"
    result = sandbox.run_sync(source, [GRID])
    if LINUX_NAMESPACES:
        assert result.results[0].error == "exception"
        assert "FileNotFoundError" in result.results[0].message
    else:  # documented: without a private root, files the user can read are readable
        assert result.results[0].ok


def test_scratch_dir_is_empty_private_and_removed(sandbox: Sandbox) -> None:
    first = sandbox.run_sync(
        "import os\ndef transform(g):\n    n = len(os.listdir('.'))\n    open('out.txt', 'w').write('x' * 100)\n"
        "    print(os.getcwd())\n    return [[n, len(os.listdir('.'))]]\n", [GRID])
    assert first.results[0].output == [[0, 1]]
    left = os.path.join(first.stdout.strip(), "out.txt")
    second = sandbox.run_sync(
        f"import os\ndef transform(g):\n    return [[int(os.path.exists({left!r})), len(os.listdir('.'))]]\n", [GRID])
    assert second.results[0].output == [[0, 0]]


def test_writing_outside_the_scratch_dir_fails(sandbox: Sandbox) -> None:
    targets = ["/x", "/usr/x", "/tmp/x", "/tmp/../x", "/dev/x", "/proc/x",
               os.path.join(os.path.dirname(os.__file__), "x.py"), str(Path.home() / "x"), "/etc/x"]
    source = (
        "def transform(g):\n"
        "    written = 0\n"
        f"    for path in {targets!r}:\n"
        "        try:\n"
        "            open(path, 'w').write('x')\n"
        "            written += 1\n"
        "        except OSError:\n"
        "            pass\n"
        "    return [[written]]\n"
    )
    result = sandbox.run_sync(source, [GRID])
    if LINUX_NAMESPACES:
        assert result.results[0].output == [[0]]
    else:
        assert result.results[0].ok
    for path in targets:
        assert not os.path.exists(path) or path in ("/proc/x",), path


def test_file_size_is_capped(sandbox: Sandbox) -> None:
    source = "def transform(g):\n    open('big', 'wb').write(b'0' * (64 << 20))\n    return g\n"
    result = sandbox.run_sync(source, [GRID])
    assert result.results[0].error in ("exception", "memory")
    assert "File too large" in result.results[0].message or result.results[0].error == "memory"
    assert_healthy(sandbox)


def test_network_is_blocked(sandbox: Sandbox) -> None:
    source = (
        "import socket\n"
        "def transform(g):\n"
        "    interfaces = [name for _, name in socket.if_nameindex()]\n"
        "    try:\n"
        "        socket.create_connection(('1.1.1.1', 53), timeout=0.2).close()\n"
        "        connected = 1\n"
        "    except OSError:\n"
        "        connected = 0\n"
        "    return [[connected, int(interfaces == ['lo'])]]\n"
    )
    result = sandbox.run_sync(source, [GRID])
    if sandbox.isolation["network"]:
        assert result.results[0].output == [[0, 1]]
    else:  # documented fallback: the network is reachable; the README says so
        assert not LINUX_NAMESPACES
        assert result.results[0].ok


def test_harness_processes_are_out_of_reach(sandbox: Sandbox) -> None:
    source = (
        "import os, signal\n"
        "def transform(g):\n"
        "    try:\n"
        f"        os.kill({os.getpid()}, 0)\n"
        "        return [[1]]\n"
        "    except ProcessLookupError:\n"
        "        return [[0]]\n"
        "    except PermissionError:\n"
        "        return [[2]]\n"
    )
    result = sandbox.run_sync(source, [GRID])
    expected = [[0]] if LINUX_NAMESPACES else [[1]]
    assert result.results[0].output == expected


def test_program_runs_unprivileged(sandbox: Sandbox) -> None:
    result = sandbox.run_sync("import os\ndef transform(g):\n    return [[int(os.getuid() == 0)]]\n", [GRID])
    assert result.results[0].output == [[0]] if os.geteuid() == 0 else result.results[0].ok
