"""A second opinion on a Haar face box: MTCNN's output network (ONet) says whether the box holds a face.

OpenCV's Haar cascade (video_io.detect_face_rect) now and then boxes a non-face (a shirt, a textured wall).
ONet, the last stage of MTCNN (K. Zhang, Z. Zhang, Z. Li, Y. Qiao, "Joint Face Detection and Alignment using
Multitask Cascaded Convolutional Networks", IEEE Signal Processing Letters 23(10), 2016), is a small CNN trained
to tell a 48x48 face crop from a non-face one. The weights are facenet-pytorch's (MIT licence, Copyright (c)
2019 Timothy Esler; pretrained/MTCNN_LICENSE.txt), converted once by shipping/build_face_check.py; the network
below is written for this package and matches facenet-pytorch 2.6.0's ONet to float rounding
(tests/test_face_check.py). Nothing is downloaded.

    confirm_face(frame_rgb, detect_face_rect(frame_rgb))   # True: ONet agrees the box is a face

The crop is MTCNN's refinement-stage crop: the box squared about its centre (side max(w, h)), zero outside
the image, resized to 48x48 with torch's 'area' interpolation (as facenet-pytorch's imresample), RGB, rows
as image rows, normalised (pixel - 127.5) * 0.0078125.
"""
from __future__ import annotations

import functools
from typing import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ...pretrained import read_card, verified_weights
from .video_io import detect_face_rect

__all__ = ["ONET_SIZE", "FACE_THRESHOLD", "ONet", "load_onet", "square_crop", "onet_input", "crop_probabilities",
           "face_probability", "confirm_face", "confirmed_face_rect", "face_check_report"]

ONET_SIZE = 48
#: MTCNN's own ONet threshold (facenet-pytorch's thresholds=[0.6, 0.7, 0.7]), kept after measuring: every real
#: face of the course with a Haar box (Grace Hopper, the astronaut, 70 of the 120 carphone frames) scores >= 0.994
#: (>= 0.95 with the box shifted 15% or scaled 0.8-1.25x); of 222 Haar boxes on 6,000 seeded blurred-noise images
#: (tests/test_face_check.py) 215 score < 0.7 (median 0.04), 7 pass, the highest 0.973. A higher threshold would
#: drop few more noise boxes (0.9: 1 passes) and was not measured on harder real faces, so 0.7 stays.
FACE_THRESHOLD = 0.7
WEIGHTS_STEM = "mtcnn_onet"

Rect = Sequence[int]


class ONet(nn.Module):
    """MTCNN's output network: (N, 3, 48, 48) normalised RGB -> (box (N, 4), landmarks (N, 10), probability (N,)).

    Four 3x3/3x3/3x3/2x2 convolutions, each with a per-channel PReLU, the first three followed by max pooling
    (3/2, 3/2, 2/2, ceil mode): 48 -> 23 -> 10 -> 4 -> 3; then a 1152 -> 256 dense layer (PReLU) and three heads.
    `box` is MTCNN's box regression (offsets as fractions of the side), `landmarks` the five points' x then y
    as fractions of the crop, `probability` the softmax face probability.
    """

    def __init__(self):
        super().__init__()
        self.conv1, self.prelu1 = nn.Conv2d(3, 32, kernel_size=3), nn.PReLU(32)
        self.conv2, self.prelu2 = nn.Conv2d(32, 64, kernel_size=3), nn.PReLU(64)
        self.conv3, self.prelu3 = nn.Conv2d(64, 64, kernel_size=3), nn.PReLU(64)
        self.conv4, self.prelu4 = nn.Conv2d(64, 128, kernel_size=2), nn.PReLU(128)
        self.pool3x3 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.pool2x2 = nn.MaxPool2d(2, 2, ceil_mode=True)
        self.dense5, self.prelu5 = nn.Linear(128 * 3 * 3, 256), nn.PReLU(256)
        self.face = nn.Linear(256, 2)  # not-face / face logits
        self.box = nn.Linear(256, 4)
        self.landmarks = nn.Linear(256, 10)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x = self.pool3x3(self.prelu1(self.conv1(x)))  # (N, 32, 23, 23)
        x = self.pool3x3(self.prelu2(self.conv2(x)))  # (N, 64, 10, 10)
        x = self.pool2x2(self.prelu3(self.conv3(x)))  # (N, 64, 4, 4)
        x = self.prelu4(self.conv4(x))  # (N, 128, 3, 3)
        x = self.prelu5(self.dense5(x.flatten(1)))  # (N, 1152) in C, H, W order -> (N, 256)
        return self.box(x), self.landmarks(x), self.face(x).softmax(dim=1)[:, 1]


@functools.lru_cache(maxsize=1)
def load_onet() -> ONet:
    """The shipped ONet (sha256 checked against pretrained/mtcnn_onet.json), in eval mode on the CPU; loaded once."""
    model = ONet()
    model.load_state_dict(verified_weights(WEIGHTS_STEM, read_card(WEIGHTS_STEM)))
    return model.eval().requires_grad_(False)


def _check_frame(frame_rgb) -> np.ndarray:
    if not (isinstance(frame_rgb, np.ndarray) and frame_rgb.ndim == 3 and frame_rgb.shape[2] == 3
            and frame_rgb.dtype == np.uint8):
        shape, dtype = getattr(frame_rgb, "shape", None), getattr(frame_rgb, "dtype", type(frame_rgb).__name__)
        raise ValueError(f"expected an RGB frame of shape (H, W, 3) and dtype uint8, got shape {shape} "
                         f"and dtype {dtype}")
    return frame_rgb


def square_crop(frame_rgb: np.ndarray, rect: Rect) -> np.ndarray:
    """The (S, S, 3) uint8 square, S = max(w, h), centred on rect (x, y, w, h); zero where it leaves the frame."""
    frame = _check_frame(frame_rgb)
    x, y, w, h = (int(v) for v in rect)
    if w <= 0 or h <= 0:
        raise ValueError(f"expected a box (x, y, w, h) with w, h > 0, got {tuple(rect)}")
    side = max(w, h)
    x0, y0 = x + (w - side) // 2, y + (h - side) // 2
    out = np.zeros((side, side, 3), np.uint8)
    top, left = max(y0, 0), max(x0, 0)
    bottom, right = min(y0 + side, frame.shape[0]), min(x0 + side, frame.shape[1])
    if bottom > top and right > left:
        out[top - y0:bottom - y0, left - x0:right - x0] = frame[top:bottom, left:right]
    return out


def onet_input(crops: np.ndarray | torch.Tensor) -> torch.Tensor:
    """(N, S, S, 3) or (S, S, 3) pixel crops (0..255) -> ONet's (N, 3, 48, 48) float input, 'area'-resized and
    normalised."""
    x = torch.as_tensor(np.asarray(crops) if not isinstance(crops, torch.Tensor) else crops).float()
    if x.ndim == 3:
        x = x[None]
    if x.ndim != 4 or x.shape[-1] != 3:
        raise ValueError(f"expected crops of shape (N, S, S, 3) or (S, S, 3), got {tuple(x.shape)}")
    x = x.permute(0, 3, 1, 2)
    if x.shape[-2:] != (ONET_SIZE, ONET_SIZE):
        x = F.interpolate(x, size=(ONET_SIZE, ONET_SIZE), mode="area")
    return (x - 127.5) * 0.0078125


def crop_probabilities(crops: np.ndarray | torch.Tensor) -> np.ndarray:
    """ONet's face probability (N,) of (N, S, S, 3) pixel crops (e.g. 48x48 uint8 ones)."""
    with torch.inference_mode():
        return load_onet()(onet_input(crops))[2].double().numpy()


def face_probability(frame_rgb: np.ndarray, rect: Rect) -> float:
    """ONet's probability that the box rect = (x, y, w, h) of an (H, W, 3) uint8 RGB frame holds a face."""
    return float(crop_probabilities(square_crop(frame_rgb, rect))[0])


def confirm_face(frame_rgb: np.ndarray, rect: Rect | None, threshold: float = FACE_THRESHOLD) -> bool:
    """True when ONet's face probability for rect (x, y, w, h) reaches `threshold`; False for rect None."""
    return rect is not None and face_probability(frame_rgb, rect) >= threshold


def confirmed_face_rect(frame_rgb: np.ndarray, threshold: float = FACE_THRESHOLD) -> tuple[int, int, int, int] | None:
    """detect_face_rect's Haar box (x, y, w, h) of an (H, W, 3) uint8 RGB frame when ONet confirms it, else None."""
    rect = detect_face_rect(frame_rgb)
    return rect if confirm_face(frame_rgb, rect, threshold) else None


def face_check_report(frames: list[np.ndarray], detect: Callable[[np.ndarray], Rect | None] | None = None,
                      threshold: float = FACE_THRESHOLD) -> dict:
    """Run the Haar cascade (or `detect`) on every (H, W, 3) uint8 RGB frame and ONet on each box found.

    Returns the counts (frames, haar_found, confirmed, rejected), the min / median probability of the
    confirmed boxes and the max of the rejected ones, and per frame [x, y, w, h, probability] or None."""
    detect = detect or detect_face_rect
    per_frame, probabilities = [], []
    for frame in frames:
        rect = detect(frame)
        if rect is None:
            per_frame.append(None)
            continue
        p = face_probability(frame, rect)
        probabilities.append(p)
        per_frame.append([*(int(v) for v in rect), round(p, 6)])
    kept = [p for p in probabilities if p >= threshold]
    dropped = [p for p in probabilities if p < threshold]
    return {"frames": len(frames), "haar_found": len(probabilities), "confirmed": len(kept),
            "rejected": len(dropped), "threshold": threshold,
            "confirmed_min": round(min(kept), 6) if kept else None,
            "confirmed_median": round(float(np.median(kept)), 6) if kept else None,
            "rejected_max": round(max(dropped), 6) if dropped else None, "per_frame": per_frame}
