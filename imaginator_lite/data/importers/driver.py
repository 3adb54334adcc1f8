"""The conversion loop shared by every dataset: split by identity, stream, skip, resume, summarise."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
from tqdm.auto import tqdm

from ...defaults import SPLIT_FRACTIONS
from ..splits import split_identities
from ..store_writer import StoreWriter
from .face_track import detect_boxes, track_face
from .video_io import center_box, face_detector_problem

__all__ = ["ConvertOptions", "SourceItem", "SkipSource", "ConversionSummary", "FaceCropCounter", "run_conversion"]


@dataclass(frozen=True)
class ConvertOptions:
    """What every converter shares: frame size, clip length, subsampling, face crop, split and progress.

    Each `convert_X(src, out, options, ...)` also takes these as keywords (`image_size=32`), which override
    `options`. face_crop None: the dataset's default (on for MUG and UvA-NEMO, off for class folders).
    """

    image_size: int = 64
    min_frames: int = 32
    stride: int = 1
    fps: float | None = None
    face_crop: bool | None = None
    face_enlarge: float = 1.4
    face_cascade: str | None = None
    fractions: tuple[float, float, float] = SPLIT_FRACTIONS
    seed: int = 0
    progress: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "fractions", tuple(float(f) for f in self.fractions))
        for name in ("image_size", "min_frames", "stride"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be >= 1 (got {getattr(self, name)})")
        if self.fps is not None and not self.fps > 0:
            raise ValueError(f"fps must be > 0 or None (got {self.fps})")

    @classmethod
    def build(cls, options: "ConvertOptions | None" = None, **overrides) -> "ConvertOptions":
        """`options` (default: the defaults) with keyword overrides; TypeError naming the valid keywords."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise TypeError(f"unknown converter option(s) {', '.join(unknown)}; valid: {', '.join(sorted(known))}")
        return replace(options or cls(), **overrides)

    def refuse(self, dataset: str, *names: str) -> None:
        """ValueError if one of `names` (options this dataset cannot use) differs from its default."""
        defaults = type(self)()
        used = [n for n in names if getattr(self, n) != getattr(defaults, n)]
        if used:
            raise ValueError(f"{dataset} does not use {', '.join(used)}: remove it")


class SkipSource(Exception):
    """Raised by a reader to skip one source with a reason (grouped in the summary)."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason, self.detail = reason, detail


@dataclass
class SourceItem:
    """One source file or frame folder: key (path relative to the source root), identity, label.

    `read()` returns a list of (clip name, uint8 (T, S, S, 3)) pairs; `skip` pre-marks a
    source that must be skipped (e.g. an unknown class) with its reason.
    """

    key: str
    identity: str
    label: str | None
    read: Callable[[], list[tuple[str, np.ndarray]]]
    skip: tuple[str, str] | None = None


@dataclass
class ConversionSummary:
    """What a conversion did: counts, skipped sources grouped by reason, and notes."""

    out: Path
    converted_sources: int = 0
    converted_clips: int = 0
    already_done: int = 0
    skipped: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    notes: list[str] = field(default_factory=list)
    store_clips: dict[str, int] = field(default_factory=dict)

    @property
    def n_skipped(self) -> int:
        return sum(len(v) for v in self.skipped.values())

    def format(self) -> str:
        """Human-readable multi-line summary."""
        lines = [f"converted {self.converted_sources} source(s) -> {self.converted_clips} clip(s); "
                 f"already done {self.already_done}; skipped {self.n_skipped}"]
        for reason, names in sorted(self.skipped.items()):
            shown = ", ".join(names[:8]) + (f", ... (+{len(names) - 8})" if len(names) > 8 else "")
            lines.append(f"  skipped {len(names)} x {reason}: {shown}")
        lines.extend(f"  note: {note}" for note in self.notes)
        counts = ", ".join(f"{k} {v}" for k, v in self.store_clips.items())
        lines.append(f"store {self.out}: {counts} clips")
        return "\n".join(lines)


class FaceCropCounter:
    """Per-clip crop boxes: a tracked face (see face_track), or a fixed centre box, counting both.

    Called with a clip's RGB frames (H, W, 3) it returns one box per frame (or a single box for
    all of them). When Haar detection is unavailable (e.g. OpenCV 5 wheels), every source uses
    the centre box and the note says why.
    """

    def __init__(self, enabled: bool = True, enlarge: float = 1.4, fallback_fraction: float = 0.8,
                 cascade_path: str | None = None):

        self.enabled, self.enlarge, self.fallback_fraction = enabled, enlarge, fallback_fraction
        self.cascade_path = cascade_path
        self.problem = face_detector_problem(cascade_path) if enabled else None
        self.detected, self.fallback = 0, 0  # sources with / without any face
        self.frames, self.found, self.carried, self.jump = 0, 0, 0, 0.0  # frames of face-cropped sources

    def __call__(self, frames) -> list:
        """Crop boxes for a clip's RGB frames (H, W, 3): the face track (T boxes), else [centre box]."""

        if not self.enabled or self.problem is not None:
            self.fallback += 1  # one box for every frame, from the first frame's size
            return [center_box(*next(iter(frames)).shape[:2], self.fallback_fraction)]
        raw, shape = detect_boxes(frames, self.enlarge, self.cascade_path)
        track = track_face(raw, *shape)
        self.frames += len(raw)
        if track is None:
            self.fallback += 1
            return [center_box(*shape, self.fallback_fraction)]
        self.detected += 1
        self.found, self.carried = self.found + track.found, self.carried + track.carried
        self.jump = max(self.jump, track.jump)
        return track.boxes

    def notes(self) -> list[str]:
        """Summary lines: sources with / without a face, and per frame: found, carried, largest box jump."""
        if not self.enabled:
            return []
        if self.problem:
            return [f"face detection unavailable ({self.problem}): {self.fallback} source(s) "
                    "used the fixed centre box"]
        lines = [f"face detected in {self.detected} source(s); no face found in {self.fallback}, "
                 "which used the fixed centre box"]
        if self.frames:
            share = 100 * self.found / self.frames
            lines.append(f"face found in {self.found}/{self.frames} frames ({share:.0f}%); "
                         f"{self.carried} frames used the last box; "
                         f"largest box jump {100 * self.jump:.1f}% of its size")
        return lines


def _check_paths(src: Path, out: Path) -> None:
    src, out = src.resolve(), out.resolve()
    if not src.is_dir():
        raise FileNotFoundError(f"source folder {src} does not exist; pass the folder of your download")
    if out == src or src in out.parents:
        raise ValueError(f"--out {out} is inside the source tree {src}; choose a folder outside it "
                         "(the source is never modified)")


def run_conversion(items: Sequence[SourceItem], src, out, classes: Sequence[str], options: ConvertOptions,
                   kind: str = "clips", description: str = "",
                   notes: Callable[[], list[str]] | None = None) -> ConversionSummary:
    """Convert `items` into the clip store `out`, resuming an interrupted run of the same store."""
    src, out = Path(src), Path(out)
    _check_paths(src, out)
    summary = ConversionSummary(out=out)
    identities = sorted({item.identity for item in items if item.skip is None})
    min_frames = options.min_frames
    split_of = {i: s for s, ids in split_identities(identities, options.fractions, options.seed).items() for i in ids}
    extra = dict(kind=kind, seed=options.seed, fractions=list(options.fractions), min_frames=min_frames)
    writer = StoreWriter(out, classes, options.image_size, source=description or f"converted from {src}",
                         resume=True, extra_meta=extra)
    if writer.resumed_from == "work":
        tqdm.write(f"resuming an interrupted conversion: {len(writer.done)} source(s) already done")
    with writer:
        for item in tqdm(items, desc=f"convert {kind}", unit="file", disable=not options.progress):
            if item.skip is not None:
                _skip(summary, item.key, *item.skip)
                continue
            if writer.is_done(item.key):
                summary.already_done += 1
                continue
            try:
                clips = item.read()
            except SkipSource as error:
                _skip(summary, item.key, error.reason, error.detail)
                continue
            except ValueError as error:  # VideoReadError and friends
                _skip(summary, item.key, "unreadable", str(error))
                continue
            added = 0
            for name, clip in clips:
                if len(clip) < min_frames:
                    _skip(summary, name, "too short", f"{len(clip)} < --min-frames {min_frames}")
                    continue
                writer.add(clip, item.label, item.identity, source=name, split=split_of[item.identity])
                added += 1
            if added:
                writer.mark_done(item.key, added)
                summary.converted_sources += 1
                summary.converted_clips += added
    summary.store_clips = {s: len(v) for s, v in writer.clips.items()}
    if notes is not None:
        summary.notes.extend(n for n in notes() if n)
    return summary


def _skip(summary: ConversionSummary, name: str, reason: str, detail: str = "") -> None:
    summary.skipped[reason].append(name)
    tqdm.write(f"skip {name}: {reason}" + (f" ({detail})" if detail else ""))
