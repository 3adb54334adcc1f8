"""Writing a clip store (the format is in store.py): stream clips in, checkpoint a resumable journal, publish.

Writes go to a work folder `<root>.work/` (resumable journal) and are published by building
`.<name>.tmp-*` beside the target and swapping it into place (atomic.replace_dir), so `<root>` is always complete.
"""
from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path
from typing import Sequence

import numpy as np

from ..atomic import flush_to_disk, fsync_dir, replace_dir, write_json
from ..labels import resolve_label
from .splits import SPLITS
from .store import FORMAT_VERSION, load_frames, load_index, load_meta, read_json

__all__ = ["StoreWriter"]


class StoreWriter:
    """Stream clips into a new store at `root`; `commit()` publishes it atomically.

    `add(clip (T, H, W, 3) uint8, label, identity, source, split)` appends a clip;
    `mark_done(source_key)` checkpoints so a re-run with `resume=True` skips that source.
    As a context manager it commits on success; on an exception the target is untouched
    (the work folder is kept for resuming when `resume=True`, removed otherwise).
    """

    def __init__(self, root, classes: Sequence[str], image_size: int, source: str = "",
                 resume: bool = True, extra_meta: dict | None = None):
        self.root = Path(root)
        self.work = self.root.with_name(self.root.name + ".work")
        self.classes = list(classes)
        self.image_size = int(image_size)
        self.source = source
        self.resume = resume
        self.extra_meta = dict(extra_meta or {})
        self._config = dict(format_version=FORMAT_VERSION, classes=self.classes, image_size=self.image_size)
        self._frame_bytes = self.image_size * self.image_size * 3
        self.clips: dict[str, list[dict]] = {s: [] for s in SPLITS}
        self.frame_counts = {s: 0 for s in SPLITS}
        self.done: dict[str, int] = {}
        self.changed = False
        self.resumed_from = None  # "work" | "store" | None
        self._files = {}
        self._closed = False
        self._open()

    # -- setup
    def _open(self) -> None:
        self.root.parent.mkdir(parents=True, exist_ok=True)
        journal_path = self.work / "journal.json"
        if self.resume and journal_path.is_file() and self._try_resume_work(journal_path):
            self.resumed_from, self.changed = "work", True
        else:
            if self.work.exists():
                shutil.rmtree(self.work)
            self.work.mkdir(parents=True)
            if self.resume and self._try_start_from_store():
                self.resumed_from = "store"
        for split in SPLITS:
            path = self.work / f"{split}.bin"
            f = open(path, "r+b" if path.exists() else "w+b")
            f.truncate(self.frame_counts[split] * self._frame_bytes)  # drop bytes past the checkpoint
            f.seek(0, os.SEEK_END)
            self._files[split] = f
        self._checkpoint()

    def _try_resume_work(self, journal_path: Path) -> bool:
        try:
            journal = read_json(journal_path)
        except (OSError, ValueError):
            return False
        if journal.get("config") != self._config:
            return False
        self.clips = {s: journal["clips"].get(s, []) for s in SPLITS}
        self.frame_counts = {s: int(journal["frames"].get(s, 0)) for s in SPLITS}
        self.done = dict(journal.get("done", {}))
        return all((self.work / f"{s}.bin").is_file() or self.frame_counts[s] == 0 for s in SPLITS)

    def _try_start_from_store(self) -> bool:
        """Start from an existing complete store with the same classes/size (to add new sources)."""
        try:
            meta = load_meta(self.root)
        except (FileNotFoundError, ValueError):
            return False
        if meta["classes"] != self.classes or meta["image_size"] != self.image_size:
            return False
        sources_path = self.root / "sources.json"
        if not sources_path.is_file():
            return False
        for split in SPLITS:
            self.clips[split] = load_index(self.root, split)
            frames = load_frames(self.root, split, self.image_size)
            self.frame_counts[split] = int(frames.shape[0])
            with open(self.work / f"{split}.bin", "wb") as f:
                for start in range(0, frames.shape[0], 1024):
                    f.write(np.ascontiguousarray(frames[start:start + 1024]).tobytes())
        self.done = dict(read_json(sources_path).get("done", {}))
        return True

    def _checkpoint(self) -> None:
        """Flush frame files and write the journal atomically (the resume point)."""
        for f in self._files.values():
            flush_to_disk(f)
        write_json(self.work / "journal.json", dict(config=self._config, clips=self.clips,
                                                      frames=self.frame_counts, done=self.done))

    # -- streaming API
    def is_done(self, source_key: str) -> bool:
        """True when `source_key` was marked done in this or an earlier (interrupted) run."""
        return str(source_key) in self.done

    def add(self, clip: np.ndarray, label, identity, source: str = "", split: str = "train") -> None:
        """Append one clip, uint8 (T, H, W, 3); `label` is a class name or index."""
        if self._closed:
            raise ValueError("StoreWriter is closed; create a new one")
        if split not in SPLITS:
            raise ValueError(f"unknown split {split!r}; use one of {', '.join(SPLITS)}")
        clip = np.asarray(clip)
        expected = (self.image_size, self.image_size, 3)
        if clip.dtype != np.uint8 or clip.ndim != 4 or clip.shape[1:] != expected or clip.shape[0] < 1:
            raise ValueError(f"clip must be uint8 (T, {self.image_size}, {self.image_size}, 3) with T >= 1, "
                             f"got {clip.dtype} {clip.shape}; resize frames to the store's image_size")
        label = resolve_label(label if isinstance(label, str) else int(label), self.classes)
        if isinstance(identity, np.integer):
            identity = int(identity)
        self._files[split].write(np.ascontiguousarray(clip).tobytes())
        self.clips[split].append(dict(offset=self.frame_counts[split], n_frames=int(clip.shape[0]),
                                      label=label, label_name=self.classes[label],
                                      identity=identity, source=str(source)))
        self.frame_counts[split] += int(clip.shape[0])
        self.changed = True

    def mark_done(self, source_key: str, n_clips: int = 1) -> None:
        """Record that `source_key` is fully converted and checkpoint (flush + journal)."""
        self.done[str(source_key)] = int(n_clips)
        self.changed = True
        self._checkpoint()

    @property
    def n_clips(self) -> int:
        return sum(len(v) for v in self.clips.values())

    # -- finishing
    def _close_files(self) -> None:
        for f in self._files.values():
            f.close()
        self._files = {}
        self._closed = True

    def abort(self) -> None:
        """Drop everything written by this writer; the target store is untouched."""
        if not self._closed:
            self._close_files()
        shutil.rmtree(self.work, ignore_errors=True)

    def commit(self) -> Path:
        """Publish the store atomically at `root` (replacing an old one) and remove the work folder."""
        if self._closed:
            raise ValueError("StoreWriter is already closed")
        self._checkpoint()
        self._close_files()
        if not self.changed and (self.root / "meta.json").is_file():
            shutil.rmtree(self.work, ignore_errors=True)  # nothing new: keep the store byte for byte
            return self.root
        tmp = self.root.with_name(f".{self.root.name}.tmp-{uuid.uuid4().hex[:8]}")
        try:
            self._build(tmp)
            replace_dir(tmp, self.root)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(self.work, ignore_errors=True)
        return self.root

    def _build(self, tmp: Path) -> None:
        tmp.mkdir()
        shape_tail = (self.image_size, self.image_size, 3)
        for split in SPLITS:
            (tmp / split).mkdir()
            shape = (self.frame_counts[split], *shape_tail)
            with open(tmp / split / "frames.npy", "wb") as out, open(self.work / f"{split}.bin", "rb") as src:
                np.lib.format.write_array_header_1_0(
                    out, dict(descr=np.dtype(np.uint8).str, fortran_order=False, shape=shape))
                shutil.copyfileobj(src, out, length=16 << 20)
                flush_to_disk(out)
            write_json(tmp / split / "index.json", self.clips[split], indent=1)
            fsync_dir(tmp / split)
        meta = dict(format_version=FORMAT_VERSION, classes=self.classes, image_size=self.image_size,
                    kind=self.extra_meta.get("kind", "clips"), source=self.source,
                    split_names=list(SPLITS),
                    splits={s: dict(clips=len(self.clips[s]), frames=self.frame_counts[s]) for s in SPLITS},
                    **{k: v for k, v in self.extra_meta.items() if k != "kind"})
        write_json(tmp / "sources.json", dict(done=self.done), indent=1)
        write_json(tmp / "meta.json", meta, indent=1)  # written last: its presence marks a complete store
        fsync_dir(tmp)

    def __enter__(self) -> "StoreWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is None:
            self.commit()
        elif self.resume:
            if not self._closed:
                self._close_files()  # keep the work folder: the journal is the resume point
        else:
            self.abort()
        return False
