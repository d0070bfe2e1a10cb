"""Writing to disk: atomic JSON files and append-only JSONL that reaches the disk as it happens."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)


def write_json_atomic(path: Path, data: BaseModel | dict | list) -> None:
    """Write JSON so that a reader (or a crash) sees either the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = data.model_dump_json(indent=1) if isinstance(data, BaseModel) else json.dumps(data, indent=1)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_model(path: Path, model: type[M]) -> M:
    return model.model_validate_json(path.read_text())


class JsonlWriter:
    """Append-only JSONL; every record is flushed and fsynced before `append` returns (a kill -9 loses nothing
    already appended)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._f = path.open("a", encoding="utf-8")

    def append(self, record: BaseModel | dict) -> None:
        line = record.model_dump_json() if isinstance(record, BaseModel) else json.dumps(record)
        self._f.write(line + "\n")
        self._f.flush()
        os.fsync(self._f.fileno())

    def close(self) -> None:
        self._f.close()


def read_jsonl(path: Path) -> list[dict]:
    """Records of a JSONL file; a torn last line (a kill mid-write) is ignored."""
    out = []
    if not path.exists():
        return out
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return out
