"""Textured faces: the drawn faces with procedural texture on skin, hair and a still background, each expression
made by *moving* the textured face with a known smooth deformation, so texture moves with the face.

Why: on the flat-coloured drawn faces every flow inside a flat region gives the same frame, so the losses put no
gradient on the flow there and a warp model's flow is left unconstrained; on a real photo that unconstrained flow
tears the face and waves the background. Here every pixel has texture: the background's texture must stay still and
the face's must move as the deformation says (`expression_flow` returns that deformation, the true flow).

Clips are uint8 (N, T, H, W, 3), a pure function of (seed, identity, label, clip index), like synthetic.render_faces.
Rendering is at twice the size and area-downsampled (anti-aliased), with OpenCV's remap for the warp.
"""
from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np

from ..labels import EXPRESSIONS
from . import synthetic as drawn

__all__ = ["render_textured_faces", "expression_flow", "textured_neutral", "FACE_WINDOW"]

#: The face window in which expressions move pixels: an ellipse centred on the drawn face with half-axes this many
#: times the face's (its deformation falls smoothly to 0 at the window's edge; hair and background never move).
FACE_WINDOW = 0.92
#: Render at this many times the requested size, then area-downsample (anti-aliasing).
SUPERSAMPLE = 2

#: Each expression's apex as local motions, in units of the face's scale (face["scale"]) unless said:
#: eye = eye opening factor, brow_in / brow_out = brow raise (up > 0), width = mouth width factor,
#: lift = mouth-corner lift (smile > 0), open = jaw drop (lower lip down), upper = upper lip up,
#: squint = cheek raise under the eyes. Magnitudes keep the deformation's Jacobian determinant within about
#: [0.55, 1.8] (tests/test_textured_faces.py measures it): a real face stretches, it does not fold.
_APEX_MOTION: dict[str, dict[str, float]] = {
    "sadness":   dict(eye=0.8, brow_in=0.08, brow_out=-0.03, width=0.92, lift=-0.07, open=0.0, upper=0.0, squint=0.0),
    "anger":     dict(eye=0.7, brow_in=-0.08, brow_out=0.02, width=0.85, lift=-0.025, open=0.0, upper=0.0, squint=0.015),
    "surprise":  dict(eye=1.45, brow_in=0.08, brow_out=0.08, width=0.8, lift=0.0, open=0.09, upper=0.015, squint=0.0),
    "disgust":   dict(eye=0.6, brow_in=-0.045, brow_out=-0.015, width=0.9, lift=-0.015, open=0.015, upper=0.05, squint=0.03),
    "happiness": dict(eye=0.75, brow_in=0.015, brow_out=0.015, width=1.28, lift=0.08, open=0.03, upper=0.0, squint=0.04),
    "fear":      dict(eye=1.4, brow_in=0.08, brow_out=0.04, width=1.22, lift=-0.03, open=0.06, upper=0.0, squint=0.0),
}


def _gauss(x, y, cx, cy, sx, sy):
    return np.exp(-0.5 * (((x - cx) / sx) ** 2 + ((y - cy) / sy) ** 2))


def _smoothstep(v):
    v = np.clip(v, 0.0, 1.0)
    return v * v * (3 - 2 * v)


def _face_window(face: dict, x, y):
    """1 in the face's middle, falling smoothly to 0 at FACE_WINDOW times its ellipse: where expressions move."""
    r = np.sqrt(((x - face["cx"]) / (FACE_WINDOW * face["ax"])) ** 2
                + ((y - face["cy"]) / (FACE_WINDOW * face["ay"])) ** 2)
    return _smoothstep((1.0 - r) / 0.35)


def expression_flow(face: dict, expression: str, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The apex deformation of one face as a backward flow (2, H, W) in the frame's coordinates [-1, 1]: frame
    pixel p shows the neutral face at p + flow(p). x (1, W) and y (H, 1) are pixel centres. A clip scales it by the
    expression's intensity per frame."""
    m = _APEX_MOTION[expression]
    k = face["scale"]
    cx, ey, ex = face["cx"], face["eye_y"], face["eye_dx"]
    dx = np.zeros(np.broadcast(x, y).shape, np.float64)
    dy = np.zeros_like(dx)
    eye_sx, eye_sy = face["eye_rx"] * 1.4, face["eye_ry"] * 2.8
    brow_y = ey - face["eye_ry"] - face["brow_gap"]
    for side in (-1.0, 1.0):
        exc = cx + side * ex
        # eye opening e: the neutral content at ey + (y - ey) / e shows at y (e > 1 opens)
        dy += (y - ey) * (1.0 / m["eye"] - 1.0) * _gauss(x, y, exc, ey, eye_sx, eye_sy)
        # brows: content moves up by `raise` (sample below it), inner and outer halves apart
        inner = _gauss(x, y, exc - side * 0.5 * face["brow_len"], brow_y, 0.65 * face["brow_len"], 0.2 * k)
        outer = _gauss(x, y, exc + side * 0.6 * face["brow_len"], brow_y, 0.65 * face["brow_len"], 0.2 * k)
        dy += k * (m["brow_in"] * inner + m["brow_out"] * outer)
        # cheeks rise under the eyes (a squint)
        dy += k * m["squint"] * _gauss(x, y, exc, ey + 0.17 * k, 0.14 * k, 0.09 * k)
    my, mw = face["mouth_y"], face["mouth_w"]
    mouth = _gauss(x, y, cx, my, 1.3 * mw, 0.2 * k)
    # mouth width w about its centre; corners lift by `lift` along u^2 (u = -1 .. 1 across the mouth)
    dx += (x - cx) * (1.0 / m["width"] - 1.0) * mouth
    u = np.clip((x - cx) / mw, -1.6, 1.6)
    dy += k * m["lift"] * u * u * mouth
    # the jaw drops by `open` below the mouth line and the upper lip rises by `upper`: a smooth step across the
    # line stretches the lips apart (the dark line widens) instead of tearing them
    across = np.tanh((y - my) / (0.12 * k))
    jaw = _gauss(x, y, cx, my + 0.12 * k, 1.3 * mw, 0.25 * k)
    dy += -k * m["open"] * 0.5 * (1 + across) * jaw
    dy += k * m["upper"] * 0.5 * (1 - across) * _gauss(x, y, cx, my - 0.07 * k, 1.1 * mw, 0.15 * k)
    window = _face_window(face, x, y)
    return np.stack([dx * window, dy * window]).astype(np.float32)


def _value_noise(rng: np.random.Generator, size: int, cells: int, stretch: tuple[float, float] = (1.0, 1.0)):
    """Smooth random field (size, size) in about [-1, 1]: a random grid of `cells` cells, cubic-upsampled."""
    gy, gx = max(2, int(cells * stretch[1])), max(2, int(cells * stretch[0]))
    grid = rng.uniform(-1, 1, (gy + 3, gx + 3)).astype(np.float32)
    big = cv2.resize(grid, (size * (gx + 3) // gx, size * (gy + 3) // gy), interpolation=cv2.INTER_CUBIC)
    oy, ox = (big.shape[0] - size) // 2, (big.shape[1] - size) // 2
    return big[oy:oy + size, ox:ox + size]


def _texture(rng: np.random.Generator, x, y, size: int, strength: float, strands: bool = False) -> np.ndarray:
    """A procedural texture (size, size) around 0: noise at several scales, a grating and a few patches."""
    tex = np.zeros((size, size), np.float32)
    stretch = (3.0, 0.4) if strands else (1.0, 1.0)
    for cells, weight in ((3, 0.5), (7, 0.35), (16, 0.3), (size // 3, 0.2)):
        tex += weight * rng.uniform(0.5, 1.0) * _value_noise(rng, size, cells, stretch)
    angle, period = rng.uniform(0, np.pi), rng.uniform(0.08, 0.25)
    tex += rng.uniform(0.1, 0.35) * np.sin(2 * np.pi * (np.cos(angle) * x + np.sin(angle) * y) / period
                                          + rng.uniform(0, 2 * np.pi))
    for _ in range(int(rng.integers(3, 9))):
        cx, cy, r = rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(0.03, 0.15)
        tex += rng.uniform(-0.8, 0.8) * _gauss(x, y, cx, cy, r, r * rng.uniform(0.5, 1.5))
    return strength * tex / max(float(np.abs(tex).max()), 1e-6)


@lru_cache(maxsize=256)
def _neutral_layers(seed: int, identity: int, size: int):
    """(face dict, background (S,S,3), head RGB (S,S,3), head alpha (S,S)) at render size S, textured."""
    face = drawn._face_identity(seed, identity)
    rng = drawn._rng(seed, "faces", identity, 7)  # its own stream: the drawn face's parameters stay the same
    coords, pixel = drawn._pixel_grid(size)
    x, y = coords[None, :], coords[:, None]
    flat = drawn._render_face_clip(face, "happiness", np.zeros(1, np.float32), coords, pixel,
                                   drawn._face_static(face, coords, pixel))[0]
    hair_d = drawn._ellipse_distance(x, y, face["cx"], face["cy"] - face["hair_dy"], face["hair_rx"], face["hair_ry"])
    hair_a = drawn._coverage(np.maximum(hair_d, y - face["hair_bottom"]), pixel)
    face_a = drawn._coverage(drawn._ellipse_distance(x, y, face["cx"], face["cy"], face["ax"], face["ay"]), pixel)
    alpha = np.maximum(hair_a, face_a).astype(np.float32)
    skin_tex = _texture(rng, x, y, size, rng.uniform(0.12, 0.22))
    hair_tex = _texture(rng, x, y, size, rng.uniform(0.25, 0.4), strands=True)
    on_hair = np.clip(hair_a - face_a, 0, 1) + face_a * (1 - drawn._coverage(
        np.maximum(np.maximum(hair_d, drawn._ellipse_distance(x, y, face["cx"], face["cy"], face["ax"], face["ay"])),
                   y - face["hairline"]), pixel))
    tex = skin_tex * (1 - on_hair) + hair_tex * on_hair
    head = np.clip(flat * (1 + tex[..., None]), 0, 1).astype(np.float32)
    # the background: a base colour, its own texture per channel, and a few coloured patches (it never moves)
    background = np.empty((size, size, 3), np.float32)
    background[:] = face["background"]
    for c in range(3):
        background[..., c] += _texture(rng, x, y, size, rng.uniform(0.15, 0.3))
    for _ in range(int(rng.integers(2, 6))):
        px, py, rx, ry = rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(0.1, 0.5), rng.uniform(0.1, 0.5)
        patch = drawn._coverage(np.maximum(np.abs(x - px) - rx, np.abs(y - py) - ry), pixel)
        drawn._blend(background, patch * rng.uniform(0.3, 0.8), rng.uniform(0, 1, 3))
    return face, np.clip(background, 0, 1), head, alpha


def textured_neutral(seed: int, identity: int, image_size: int) -> np.ndarray:
    """One identity's neutral textured face, float32 (H, W, 3) in [0, 1] at image_size."""
    size = image_size * SUPERSAMPLE
    _, background, head, alpha = _neutral_layers(seed, identity, size)
    frame = background * (1 - alpha[..., None]) + head * alpha[..., None]
    return cv2.resize(frame, (image_size, image_size), interpolation=cv2.INTER_AREA)


def _render_clip(seed: int, identity: int, expression: str, intensity: np.ndarray, image_size: int) -> np.ndarray:
    """float32 (T, H, W, 3) in [0, 1]: the textured face moved by intensity[t] x the expression's flow."""
    size = image_size * SUPERSAMPLE
    face, background, head, alpha = _neutral_layers(seed, identity, size)
    coords, _ = drawn._pixel_grid(size)
    flow = expression_flow(face, expression, coords[None, :], coords[:, None])      # (2, S, S), [-1, 1] units
    pixels = (np.arange(size, dtype=np.float32) + 0.5)
    layer = np.dstack([head * alpha[..., None], alpha])                                 # premultiplied RGBA
    out = np.empty((len(intensity), image_size, image_size, 3), np.float32)
    for t, s in enumerate(intensity):
        # normalised flow -> pixels: 1 unit = size / 2 px; remap takes pixel-centre coordinates minus 0.5
        map_x = (pixels[None, :] + s * flow[0] * size / 2 - 0.5).astype(np.float32)
        map_y = (pixels[:, None] + s * flow[1] * size / 2 - 0.5).astype(np.float32)
        moved = cv2.remap(layer, np.broadcast_to(map_x, (size, size)).copy(),
                          np.broadcast_to(map_y, (size, size)).copy(), cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)
        frame = background * (1 - moved[..., 3:]) + moved[..., :3]
        out[t] = cv2.resize(frame, (image_size, image_size), interpolation=cv2.INTER_AREA)
    return out


def render_textured_faces(identities, labels, image_size: int = 64, frames: int = 32, seed: int = 0,
                          clip_indices=None) -> np.ndarray:
    """Textured face-expression clips, uint8 (N, T, H, W, 3); labels are EXPRESSIONS names or indices. Frame 0
    is the identity's neutral textured face; the same per-clip onset, speed and apex as the drawn faces."""
    identities, labels, clip_indices = drawn._check_request(identities, labels, clip_indices, image_size, frames,
                                                            EXPRESSIONS)
    out = np.empty((len(labels), frames, image_size, image_size, 3), np.uint8)
    for n, (identity, label, take) in enumerate(zip(identities, labels, clip_indices)):
        rng = drawn._rng(seed, "faces", identity, label, take, 1)
        intensity = drawn._expression_intensity(rng, frames)
        out[n] = drawn._to_uint8(_render_clip(seed, identity, EXPRESSIONS[label], intensity, image_size))
    return out
