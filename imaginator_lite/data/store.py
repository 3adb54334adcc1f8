"""The clip store: one on-disk format for synthetic and real video data.

Layout::

    <root>/meta.json            format version, classes, image_size, kind, source, per-split counts
    <root>/sources.json         source files already converted (lets converters resume / add)
    <root>/<split>/frames.npy   uint8 (total_frames, H, W, 3): all clips of the split, concatenated
    <root>/<split>/index.json   per clip: offset, n_frames, label, label_name, identity, source

Writes go to a work folder `<root>.work/` (resumable journal) and are published by building
`.<name>.tmp-*` beside the target and renaming it into place, so `<root>` is always complete.
"""
from __future__ import annotations

import json
import os
import shutil
import uuid
import warnings
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from ..atomic import write_json
from ..defaults import SPLIT_FRACTIONS
from ..labels import resolve_label
__all__ = [
    "FORMAT_VERSION", "SPLITS", "StoreWriter", "ClipDataset", "first_frame",
    "load_meta", "store_info", "split_identities", "to_model_video",
]

FORMAT_VERSION = 1
SPLITS: tuple[str, ...] = ("train", "val", "test")
_MISSING_HINT = ("run `imaginator-lite data synth --kind faces --out {root}` (synthetic) or "
                 "`imaginator-lite data convert <dataset> SRC --out {root}` first")


# ----------------------------------------------------------------------------- splits

def split_identities(identities, fractions: Sequence[float] = SPLIT_FRACTIONS,
                     seed: int = 0) -> dict[str, list]:
    """Disjoint train/val/test identity lists; `identities` is a count n (-> 0..n-1) or a sequence.

    Largest-remainder rounding; every split with a non-zero fraction gets at least one
    identity when there are enough identities.
    """
    if isinstance(identities, (int, np.integer)):
        pool = list(range(int(identities)))
    else:
        pool = sorted(set(identities), key=lambda v: (str(type(v)), v))
    fractions = [float(f) for f in fractions]
    if len(fractions) != len(SPLITS) or min(fractions) < 0 or sum(fractions) <= 0:
        raise ValueError(f"fractions must be three non-negative numbers (train, val, test), got {fractions}")
    total = sum(fractions)
    fractions = [f / total for f in fractions]
    n = len(pool)
    raw = [f * n for f in fractions]
    counts = [int(np.floor(r)) for r in raw]
    for i in sorted(range(3), key=lambda i: raw[i] - counts[i], reverse=True)[: n - sum(counts)]:
        counts[i] += 1
    for i in range(3):  # give empty non-zero splits one identity, taken from the largest split
        if fractions[i] > 0 and counts[i] == 0 and n >= sum(f > 0 for f in fractions):
            donor = int(np.argmax(counts))
            counts[donor] -= 1
            counts[i] += 1
    order = np.random.default_rng(seed).permutation(n)
    shuffled = [pool[j] for j in order]
    out, start = {}, 0
    for name, count in zip(SPLITS, counts):
        out[name] = sorted(shuffled[start:start + count], key=lambda v: (str(type(v)), v))
        start += count
    return out


# ----------------------------------------------------------------------------- file helpers

def _fsync_dir(path: Path) -> None:
    """fsync a directory entry (no-op where the platform does not allow it)."""
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


def _read_json(path: Path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def load_meta(root) -> dict:
    """meta.json of the store at `root`; FileNotFoundError with the fix when it is missing."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"no clip store at {root} (folder missing); " + _MISSING_HINT.format(root=root))
    meta_path = root / "meta.json"
    if not meta_path.is_file():
        raise FileNotFoundError(f"{meta_path} is missing, so {root} is not a complete clip store; "
                                + _MISSING_HINT.format(root=root))
    meta = _read_json(meta_path)
    if meta.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"{meta_path} has format_version {meta.get('format_version')!r}, this "
                         f"imaginator-lite reads {FORMAT_VERSION}; re-create the store")
    return meta


def _load_index(root: Path, split: str) -> list[dict]:
    path = root / split / "index.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing; the store at {root} is incomplete, re-create it")
    return _read_json(path)


def _load_frames(root: Path, split: str, image_size: int) -> np.ndarray:
    """Memory-mapped (total_frames, H, W, 3) uint8 frames of one split (copy-on-write, read-only file)."""
    path = root / split / "frames.npy"
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing; the store at {root} is incomplete, re-create it")
    try:
        return np.load(path, mmap_mode="c")
    except ValueError:  # zero frames cannot be memory-mapped
        return np.zeros((0, image_size, image_size, 3), np.uint8)


def store_info(root) -> dict:
    """Summary of a store: meta plus per-split clip/frame counts and clip-length range."""
    root = Path(root)
    meta = load_meta(root)
    info = dict(root=str(root), classes=meta["classes"], image_size=meta["image_size"],
                kind=meta.get("kind"), source=meta.get("source"), splits={})
    for split in meta.get("split_names", SPLITS):
        index = _load_index(root, split)
        lengths = [c["n_frames"] for c in index]
        per_class = {name: 0 for name in meta["classes"]}
        for c in index:
            per_class[c["label_name"]] = per_class.get(c["label_name"], 0) + 1
        info["splits"][split] = dict(
            clips=len(index), frames=int(sum(lengths)),
            min_frames=min(lengths, default=0), max_frames=max(lengths, default=0),
            identities=len({str(c["identity"]) for c in index}), per_class=per_class)
    return info


# ----------------------------------------------------------------------------- writer

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
            if self.resume and self._try_seed_from_store():
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
            journal = _read_json(journal_path)
        except (OSError, ValueError):
            return False
        if journal.get("config") != self._config:
            return False
        self.clips = {s: journal["clips"].get(s, []) for s in SPLITS}
        self.frame_counts = {s: int(journal["frames"].get(s, 0)) for s in SPLITS}
        self.done = dict(journal.get("done", {}))
        return all((self.work / f"{s}.bin").is_file() or self.frame_counts[s] == 0 for s in SPLITS)

    def _try_seed_from_store(self) -> bool:
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
            self.clips[split] = _load_index(self.root, split)
            frames = _load_frames(self.root, split, self.image_size)
            self.frame_counts[split] = int(frames.shape[0])
            with open(self.work / f"{split}.bin", "wb") as f:
                for start in range(0, frames.shape[0], 1024):
                    f.write(np.ascontiguousarray(frames[start:start + 1024]).tobytes())
        self.done = dict(_read_json(sources_path).get("done", {}))
        return True

    def _checkpoint(self) -> None:
        """Flush frame files and write the journal atomically (the resume point)."""
        for f in self._files.values():
            f.flush()
            os.fsync(f.fileno())
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
            self._publish(tmp)
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
                out.flush()
                os.fsync(out.fileno())
            write_json(tmp / split / "index.json", self.clips[split], indent=1)
            _fsync_dir(tmp / split)
        meta = dict(format_version=FORMAT_VERSION, classes=self.classes, image_size=self.image_size,
                    kind=self.extra_meta.get("kind", "clips"), source=self.source,
                    split_names=list(SPLITS),
                    splits={s: dict(clips=len(self.clips[s]), frames=self.frame_counts[s]) for s in SPLITS},
                    **{k: v for k, v in self.extra_meta.items() if k != "kind"})
        write_json(tmp / "sources.json", dict(done=self.done), indent=1)
        write_json(tmp / "meta.json", meta, indent=1)  # written last: its presence marks a complete store
        _fsync_dir(tmp)

    def _publish(self, tmp: Path) -> None:
        old = None
        if self.root.exists():
            old = self.root.with_name(f".{self.root.name}.old-{uuid.uuid4().hex[:8]}")
            os.rename(self.root, old)
        os.rename(tmp, self.root)
        _fsync_dir(self.root.parent)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)

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


# ----------------------------------------------------------------------------- reading

def to_model_video(frames_uint8, out: torch.Tensor | None = None) -> torch.Tensor:
    """uint8 (..., T, H, W, 3) -> float32 (..., 3, T, H, W) in [-1, 1]; fills `out` when given.

    Reusing `out` across batches avoids the page faults of a fresh 100 MB allocation, which
    otherwise cost more than the conversion itself.
    """
    u8 = torch.as_tensor(frames_uint8)
    nd = u8.dim()
    perm = (*range(nd - 4), nd - 1, nd - 4, nd - 3, nd - 2)
    shape = tuple(u8.shape[i] for i in perm)
    if out is None:
        out = torch.empty(shape, dtype=torch.float32)
    elif tuple(out.shape) != shape or out.dtype != torch.float32 or not out.is_contiguous():
        raise ValueError(f"out must be a contiguous float32 tensor of shape {shape}, got "
                         f"{out.dtype} {tuple(out.shape)}")
    # copy_ (convert + transpose) then two in-place passes: ~3x faster on CPU than torch.add(..., out=)
    return out.copy_(u8.permute(perm)).mul_(2.0 / 255.0).sub_(1.0)


def first_frame(video: torch.Tensor) -> torch.Tensor:
    """The conditioning image of a video: (3, T, H, W) -> (3, H, W), or (B, 3, T, H, W) -> (B, 3, H, W)."""
    if video.dim() not in (4, 5):
        raise ValueError(f"expected (3, T, H, W) or (B, 3, T, H, W), got shape {tuple(video.shape)}")
    return video[:, 0] if video.dim() == 4 else video[:, :, 0]


class ClipDataset(torch.utils.data.Dataset):
    """Random `frames`-long windows of the clips of one split: (video (3, T, H, W) in [-1, 1], label).

    Clips shorter than `frames` are excluded with a warning. `random_window=False` always
    takes the first window. Attributes: classes, labels (N,), identities (N,), lengths (N,).
    """

    def __init__(self, root, split: str = "train", frames: int = 32, random_window: bool = True,
                 seed: int | None = None):
        self.root = Path(root)
        self.meta = load_meta(self.root)
        split_names = self.meta.get("split_names", list(SPLITS))
        if split not in split_names:
            raise ValueError(f"unknown split {split!r} for store {self.root}; available: {', '.join(split_names)}")
        if int(frames) < 1:
            raise ValueError(f"frames must be >= 1, got {frames}")
        self.split = split
        self.frames = int(frames)
        self.random_window = random_window
        self.classes = list(self.meta["classes"])
        self.image_size = int(self.meta["image_size"])
        self.rng = np.random.default_rng(seed)
        index = _load_index(self.root, split)
        short = [c for c in index if c["n_frames"] < self.frames]
        if short:
            names = ", ".join(f"{c['source'] or c['offset']} ({c['n_frames']})" for c in short[:10])
            more = f" and {len(short) - 10} more" if len(short) > 10 else ""
            warnings.warn(f"{len(short)} clip(s) of {self.root}/{split} are shorter than {self.frames} "
                          f"frames and are excluded: {names}{more}", stacklevel=2)
        self.clips = [c for c in index if c["n_frames"] >= self.frames]
        self.offsets = np.array([c["offset"] for c in self.clips], dtype=np.int64)
        self.lengths = np.array([c["n_frames"] for c in self.clips], dtype=np.int64)
        self.labels = np.array([c["label"] for c in self.clips], dtype=np.int64)
        self.identities = np.array([c["identity"] for c in self.clips])
        self.sources = [c["source"] for c in self.clips]
        self.data = _load_frames(self.root, split, self.image_size)
        self._staging = None  # uint8 gather buffer of get_batch (not shared across threads)

    def __len__(self) -> int:
        return len(self.clips)

    def __repr__(self) -> str:
        return (f"ClipDataset({str(self.root)!r}, split={self.split!r}, clips={len(self)}, "
                f"frames={self.frames}, classes={len(self.classes)})")

    def _start(self, i: int, rng: np.random.Generator) -> int:
        """Start frame (absolute, in frames.npy) of the window for clip i."""
        slack = int(self.lengths[i]) - self.frames
        offset = int(self.offsets[i])
        if not self.random_window or slack == 0:
            return offset
        return offset + int(rng.integers(0, slack + 1))

    def clip(self, i: int) -> np.ndarray:
        """Whole clip i as uint8 (n_frames, H, W, 3)."""
        return np.asarray(self.data[self.offsets[i]:self.offsets[i] + self.lengths[i]])

    def window(self, i: int, rng: np.random.Generator | None = None) -> np.ndarray:
        """One window of clip i as uint8 (T, H, W, 3)."""
        start = self._start(i, self.rng if rng is None else rng)
        return self.data[start:start + self.frames]

    def __getitem__(self, i: int):
        if not -len(self) <= i < len(self):
            raise IndexError(f"clip index {i} out of range for {len(self)} clips")
        i = i % len(self)
        return to_model_video(self.window(i)), torch.tensor(self.labels[i], dtype=torch.int64)

    def get_batch(self, indices, generator=None, out: torch.Tensor | None = None):
        """Videos (B, 3, T, H, W) float32 in [-1, 1] and labels (B,) int64 for clip `indices`.

        `generator`: np.random.Generator or int seed for the windows (default: the dataset's).
        `out`: optional (B, 3, T, H, W) float32 buffer to fill (faster; it is overwritten).
        """
        rng = self.rng if generator is None else (
            generator if isinstance(generator, np.random.Generator) else np.random.default_rng(generator))
        indices = np.asarray(indices, dtype=np.int64).reshape(-1)
        shape = (len(indices), self.frames, self.image_size, self.image_size, 3)
        if self._staging is None or self._staging.shape != shape:
            self._staging = np.empty(shape, np.uint8)  # reused: a fresh 25 MB buffer costs page faults
        batch = self._staging
        for b, i in enumerate(indices):
            start = self._start(int(i), rng)
            batch[b] = self.data[start:start + self.frames]
        return to_model_video(batch, out), torch.from_numpy(self.labels[indices])
