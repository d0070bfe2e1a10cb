"""Writing to disk: atomic JSON files and append-only JSONL that reaches the disk as it happens."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from arcbench.errors import UserError

M = TypeVar("M", bound=BaseModel)


_tmp_names = itertools.count()


def dump_json(data: BaseModel | dict | list, pretty: bool = True) -> str:
    """JSON text; `pretty=False` is compact (indented grids put every cell on a line of its own, many times the size
    and the time to write)."""
    indent = 1 if pretty else None
    return data.model_dump_json(indent=indent) if isinstance(data, BaseModel) else json.dumps(data, indent=indent)


def write_json_atomic(path: Path, data: BaseModel | dict | list, durable: bool = True, pretty: bool = True) -> None:
    """Write JSON so that a reader (or a crash) sees either the old file or the new one, never half of one."""
    write_text_atomic(path, dump_json(data, pretty), durable)


def write_text_atomic(path: Path, text: str, durable: bool = True) -> None:
    """Replace `path` with `text` atomically (temporary file + rename).

    `durable=False` skips the fsync: the rename is still atomic for a killed process, only a power cut may lose the
    file. For files rewritten often whose content is also recoverable elsewhere.
    """

    def write(tmp: Path) -> None:
        with tmp.open("w", encoding="utf-8") as f:
            f.write(text)

    write_file_atomic(path, write, durable)


def write_file_atomic(path: Path, write: Callable[[Path], None], durable: bool = True) -> None:
    """Replace `path` with the file `write(tmp)` writes at a temporary path beside it, so that a reader (or a crash)
    sees the old file or the new one, never half of one. The folder is created when missing."""
    # A name unique to this process and write: cheaper than mkstemp's random names, a run writes thousands of these.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{next(_tmp_names)}.tmp")
    try:
        try:
            write(tmp)
        except FileNotFoundError:  # checked only when it fails: one system call less per write
            if path.parent.is_dir():
                raise
            path.parent.mkdir(parents=True, exist_ok=True)
            write(tmp)
        if durable:
            fd = os.open(tmp, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def read_model(path: Path, model: type[M]) -> M:
    return model.model_validate_json(path.read_text())


def read_record(path: Path, model: type[M], what: str | None = None) -> M:
    """Like `read_model`, for files a user points arcbench at: a file that is not a valid record is a UserError
    naming the file, the field and the problem (`what` names the record for people, e.g. "run config")."""
    try:
        return read_model(path, model)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        kind = f"{what} arcbench can read" if what else f"valid {model.__name__}"
        raise UserError(f"{path}: not a {kind} ({where}: {first['msg']})") from None
    except (OSError, UnicodeDecodeError) as e:
        raise UserError(f"{path}: cannot read ({e})") from None


_RUN_K = re.compile(r"^run_(\d+)$")


def repeat_dirs(run_dir: Path) -> list[Path]:
    """The run_<k> folders of a repeated run, in order of k (none for a single run)."""
    found = [(int(m.group(1)), p) for p in run_dir.iterdir() if p.is_dir() and (m := _RUN_K.match(p.name))]
    return [p for _, p in sorted(found)]


class JsonlWriter:
    """Append-only JSONL.

    `append` writes and flushes the line to the operating system before it returns, which is what survives a
    `kill -9`. `append_durable` also waits for an fsync (power loss); the fsync runs in a thread so the event loop
    goes on serving other tasks, and callers that arrive while one is running share the next one.
    """

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        _drop_torn_tail(path)
        self._f = path.open("a", encoding="utf-8")
        self._written = 0
        self._synced = 0
        self._sync_lock: asyncio.Lock | None = None

    def append(self, record: BaseModel | dict) -> None:
        self.append_all([record])

    def append_all(self, records: list[BaseModel | dict]) -> None:
        """Several lines in one write: a kill leaves all of them, or a prefix whose last line may be torn."""
        text = "".join((r.model_dump_json() if isinstance(r, BaseModel) else json.dumps(r, separators=(",", ":")))
                       + "\n" for r in records)
        self._f.write(text)
        self._f.flush()
        self._written += 1

    async def append_durable(self, record: BaseModel | dict) -> None:
        await self.append_all_durable([record])

    async def append_all_durable(self, records: list[BaseModel | dict]) -> None:
        self.append_all(records)
        target = self._written
        if self._sync_lock is None:
            self._sync_lock = asyncio.Lock()
        async with self._sync_lock:
            if self._synced >= target:  # an fsync that started after our write already covered it
                return
            upto = self._written
            await asyncio.to_thread(os.fsync, self._f.fileno())
            self._synced = upto

    def close(self) -> None:
        self._f.close()


def _drop_torn_tail(path: Path) -> None:
    """A kill in the middle of a write leaves a last line without its newline; cut it off so that the next record
    starts on a line of its own."""
    if not path.exists() or path.stat().st_size == 0:
        return
    with path.open("rb+") as f:
        end = f.seek(0, os.SEEK_END)
        f.seek(end - 1)
        if f.read(1) == b"\n":
            return
        # Back from the end a block at a time: the log of a large run is hundreds of MB, its torn line short.
        at = end
        while at > 0:
            start = max(0, at - (1 << 16))
            f.seek(start)
            block = f.read(at - start)
            cut = block.rfind(b"\n")
            if cut >= 0:
                f.truncate(start + cut + 1)
                return
            at = start
        f.truncate(0)


def iter_jsonl(path: Path) -> Iterator[dict]:
    """Records of a JSONL file, read as a stream; a torn last line (a kill mid-write) is ignored."""
    if not path.exists():
        return
    with path.open(encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            try:
                yield json.loads(line)
            except json.JSONDecodeError:
                continue


def read_jsonl(path: Path) -> list[dict]:
    """Records of a JSONL file; a torn last line (a kill mid-write) is ignored."""
    return list(iter_jsonl(path))
