"""A face box per frame of a clip: detect, carry the last box over misses, smooth over time.

Boxes are square pixel boxes (x0, y0, x1, y1). `track_face` turns per-frame detections
(None = no face in that frame) into one crop box per frame:

1. carry: a frame without a detection uses the last detected box (frames before the first
   detection use the first one);
2. smooth: a median over `window` frames of the box centre and side drops short outliers
   (up to window // 2 frames), then a centred mean over `window` frames damps the jitter;
3. square: the smoothed boxes are rounded to integer squares inside the frame.

A clip with no detection at all has no track (None): the caller uses its centre box.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from .video_io import Box, detect_face_box

__all__ = ["FaceTrack", "detect_boxes", "carry_boxes", "smooth_boxes", "square_boxes", "largest_jump",
           "track_face"]


@dataclass
class FaceTrack:
    """Crop box per frame of one clip, with what the detector did: found / carried frame counts."""

    boxes: list[Box]
    found: int
    carried: int
    jump: float  # largest corner move between neighbouring boxes, as a fraction of the box side

    @property
    def frames(self) -> int:
        return len(self.boxes)


def detect_boxes(frames: Iterable[np.ndarray], enlarge: float = 1.4,
                 cascade_path: str | None = None) -> tuple[list[Box | None], tuple[int, int]]:
    """Haar face box (or None) of each RGB frame (H, W, 3), and the frame size (H, W)."""
    boxes, shape = [], (0, 0)
    for frame in frames:
        shape = frame.shape[:2]
        boxes.append(detect_face_box(frame, enlarge, cascade_path))
    return boxes, shape


def carry_boxes(raw: Sequence[Box | None]) -> tuple[np.ndarray, np.ndarray] | None:
    """Fill misses with the last box (leading ones with the first): float (T, 4) boxes and bool (T,) carried."""
    found = [i for i, box in enumerate(raw) if box is not None]
    if not found:
        return None
    filled, last = np.empty((len(raw), 4)), raw[found[0]]
    for i, box in enumerate(raw):
        last = box if box is not None else last
        filled[i] = last
    carried = np.array([box is None for box in raw])
    return filled, carried


def _running(values: np.ndarray, window: int, reduce) -> np.ndarray:
    """`reduce` over a centred window along axis 0 of (T, K) values, edges repeated -> (T, K)."""
    half = window // 2
    padded = np.concatenate([values[:1].repeat(half, 0), values, values[-1:].repeat(half, 0)])
    stacked = np.stack([padded[i:i + len(values)] for i in range(2 * half + 1)])
    return reduce(stacked, axis=0)


def smooth_boxes(boxes: np.ndarray, window: int = 5) -> np.ndarray:
    """Median then mean over `window` frames of the centre and side of (T, 4) boxes -> (T, 3) (cx, cy, side)."""
    centre_side = np.stack([(boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2,
                            np.maximum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])], axis=1)
    if window <= 1 or len(boxes) < 2:
        return centre_side
    return _running(_running(centre_side, window, np.median), window, np.mean)


def square_boxes(centre_side: np.ndarray, height: int, width: int) -> list[Box]:
    """(T, 3) centre x, centre y, side -> integer square boxes kept inside a (height, width) frame."""
    boxes = []
    for cx, cy, side in centre_side:
        side = int(min(max(1, round(side)), height, width))
        x0 = int(np.clip(round(cx - side / 2), 0, width - side))
        y0 = int(np.clip(round(cy - side / 2), 0, height - side))
        boxes.append((x0, y0, x0 + side, y0 + side))
    return boxes


def largest_jump(boxes: Sequence[Box]) -> float:
    """Largest corner move between neighbouring boxes, as a fraction of the earlier box's side (0 if < 2)."""
    if len(boxes) < 2:
        return 0.0
    array = np.asarray(boxes, dtype=float)
    sides = np.maximum(array[:-1, 2] - array[:-1, 0], 1.0)
    return float((np.abs(np.diff(array, axis=0)).max(axis=1) / sides).max())


def track_face(raw: Sequence[Box | None], height: int, width: int, window: int = 5) -> FaceTrack | None:
    """Per-frame detections (T boxes or None) -> a carried, smoothed FaceTrack; None if no face at all."""
    carried = carry_boxes(raw)
    if carried is None:
        return None
    filled, was_carried = carried
    boxes = square_boxes(smooth_boxes(filled, window), height, width)
    return FaceTrack(boxes=boxes, found=int((~was_carried).sum()), carried=int(was_carried.sum()),
                     jump=largest_jump(boxes))
