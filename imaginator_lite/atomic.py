"""Crash-safe writes, in one place: write beside the target, fsync, then rename into place, so a reader never
sees half a file or half a folder. Files: `atomic_path` (and write_text / write_json / torch_save on it);
folders: build one beside the target and `replace_dir` it in. Nothing else in the package fsyncs or renames."""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any, Iterator

import torch


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[str]:
    """Yield a hidden temp path in `path`'s folder; on success it replaces `path`, on error it is removed.

    The temp name keeps the target's extension, so writers that infer the format from it
    (PIL, PyAV, matplotlib) work unchanged.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix)
    os.close(fd)
    try:
        yield tmp
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def flush_to_disk(fh) -> None:
    """Flush an open file's buffer and fsync it, so what was written survives a crash."""
    fh.flush()
    os.fsync(fh.fileno())


def fsync_dir(path: str | os.PathLike) -> None:
    """fsync a folder's entries (so a rename in it survives a crash); a no-op where the platform does not allow it."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def replace_dir(ready: str | os.PathLike, target: str | os.PathLike) -> Path:
    """Swap the finished folder `ready` in at `target` (same file system): an earlier `target` is first renamed
    aside, so `target` is at every moment either the old folder or the new one, then removed."""
    ready, target = Path(ready), Path(target)
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{uuid.uuid4().hex[:8]}")
        os.rename(target, old)
    os.rename(ready, target)
    fsync_dir(target.parent)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return target


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write a text file atomically."""
    with atomic_path(path) as tmp:
        Path(tmp).write_text(text, encoding="utf-8")
    return Path(path)


def write_json(path: str | os.PathLike, data: Any, indent: int = 2) -> Path:
    """Write JSON atomically."""
    return write_text(path, json.dumps(data, indent=indent))


def sha256_of(path: str | os.PathLike) -> str:
    """The sha256 hex digest of a file (read in 1 MiB blocks)."""

    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def torch_save(obj: Any, path: str | os.PathLike) -> Path:
    """torch.save atomically."""

    with atomic_path(path) as tmp:
        torch.save(obj, tmp)
    return Path(path)
