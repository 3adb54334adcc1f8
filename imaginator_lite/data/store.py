"""The clip store: one on-disk format for synthetic and real video data, and its reader.

Layout::

    <root>/meta.json            format version, classes, image_size, kind, source, per-split counts
    <root>/sources.json         source files already converted (lets converters resume / add)
    <root>/<split>/frames.npy   uint8 (total_frames, H, W, 3): all clips of the split, concatenated
    <root>/<split>/index.json   per clip: offset, n_frames, label, label_name, identity, source

Written by `store_writer.StoreWriter` (crash-safe: `<root>` is always complete); the identity split that
decides each clip's split is `splits.split_identities`.
"""
from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import torch

from .splits import SPLITS, split_identities  # noqa: F401 - split_identities: also importable from here

__all__ = [
    "FORMAT_VERSION", "SPLITS", "ClipDataset", "first_frame",
    "load_meta", "store_info", "split_identities", "to_model_video",
]

FORMAT_VERSION = 1
_MISSING_HINT = ("run `imaginator-lite data synth --kind faces --out {root}` (synthetic) or "
                 "`imaginator-lite data convert <dataset> SRC --out {root}` first")


# ----------------------------------------------------------------------------- reading the files

def read_json(path: Path):
    """A JSON file of the store (or of a writer's journal)."""
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
    meta = read_json(meta_path)
    if meta.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"{meta_path} has format_version {meta.get('format_version')!r}, this "
                         f"imaginator-lite reads {FORMAT_VERSION}; re-create the store")
    return meta


def load_index(root: Path, split: str) -> list[dict]:
    """index.json of one split: a dict per clip (offset, n_frames, label, label_name, identity, source)."""
    path = root / split / "index.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing; the store at {root} is incomplete, re-create it")
    return read_json(path)


def load_frames(root: Path, split: str, image_size: int) -> np.ndarray:
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
        index = load_index(root, split)
        lengths = [c["n_frames"] for c in index]
        per_class = {name: 0 for name in meta["classes"]}
        for c in index:
            per_class[c["label_name"]] = per_class.get(c["label_name"], 0) + 1
        info["splits"][split] = dict(
            clips=len(index), frames=int(sum(lengths)),
            min_frames=min(lengths, default=0), max_frames=max(lengths, default=0),
            identities=len({str(c["identity"]) for c in index}), per_class=per_class)
    return info


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
        index = load_index(self.root, split)
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
        self.data = load_frames(self.root, split, self.image_size)
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

    def get_batch(self, indices, window_rng: np.random.Generator | int | None = None,
                  out: torch.Tensor | None = None):
        """Videos (B, 3, T, H, W) float32 in [-1, 1] and labels (B,) int64 for clip `indices`.

        `window_rng`: a numpy Generator, or an int seed of one, that picks the windows (default: the dataset's).
        `out`: optional (B, 3, T, H, W) float32 buffer to fill (faster; it is overwritten).
        """
        rng = self.rng if window_rng is None else (
            window_rng if isinstance(window_rng, np.random.Generator) else np.random.default_rng(window_rng))
        indices = np.asarray(indices, dtype=np.int64).reshape(-1)
        shape = (len(indices), self.frames, self.image_size, self.image_size, 3)
        if self._staging is None or self._staging.shape != shape:
            self._staging = np.empty(shape, np.uint8)  # reused: a fresh 25 MB buffer costs page faults
        batch = self._staging
        for b, i in enumerate(indices):
            start = self._start(int(i), rng)
            batch[b] = self.data[start:start + self.frames]
        return to_model_video(batch, out), torch.from_numpy(self.labels[indices])
