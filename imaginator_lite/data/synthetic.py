"""Procedurally rendered, class-conditioned videos: MUG-like faces and Weizmann-like actions.

Every clip is a pure function of (seed, identity, label, clip_index), so the ground-truth video
for a first frame + label is known exactly. Shapes are signed-distance fields with a one-pixel
anti-aliased edge. Conventions:

* faces: frame 0 is the identity's neutral face; the expression rises smoothly to its apex
  with a per-clip onset, speed and apex strength.
* actions: frame 0 is the first frame of the action at a random phase of its cycle, like a
  window cut from a real recording (the figure is never shown in a separate rest pose).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ..labels import ACTIONS, EXPRESSIONS, resolve_label

__all__ = ["render_faces", "render_actions", "face_layout"]

_KIND_CODE = {"faces": 1, "actions": 2}  # textured faces draw their faces from the faces' streams (same identities)


# ----------------------------------------------------------------------------- primitives

def _coverage(distance: np.ndarray, pixel: float) -> np.ndarray:
    """Anti-aliased coverage in [0, 1] of a signed distance (negative inside), 1-pixel ramp."""
    return np.clip(0.5 - distance * (1.0 / pixel), 0.0, 1.0)


def _blend(image: np.ndarray, alpha: np.ndarray, color) -> None:
    """In place: image (..., 3) <- image + alpha (...) * (color - image)."""
    image += alpha[..., None] * (np.asarray(color, np.float32) - image)


def _ellipse_distance(x, y, cx, cy, rx, ry):
    """Approximate signed distance to an axis-aligned ellipse (exact for circles)."""
    q = np.sqrt(((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2)
    return (q - 1.0) * np.minimum(rx, ry)


def _capsule_distance(x, y, ax, ay, bx, by, radius):
    """Signed distance to the capsule (thick segment) from a to b; endpoints broadcast over x, y."""
    pax, pay = x - ax, y - ay
    bax, bay = bx - ax, by - ay
    h = np.clip((pax * bax + pay * bay) / (bax * bax + bay * bay + 1e-12), 0.0, 1.0)
    return np.hypot(pax - bax * h, pay - bay * h) - radius


def _pixel_grid(size: int) -> tuple[np.ndarray, float]:
    """Pixel-centre coordinates in [-1, 1] (size,) and the pixel width in those units."""
    coords = ((np.arange(size, dtype=np.float32) * 2 + 1) / size - 1).astype(np.float32)
    return coords, 2.0 / size


def _band(lo: float, hi: float, coords: np.ndarray) -> slice:
    """Slice of pixel indices whose centres lie in [lo, hi] (at least one pixel)."""
    start = int(np.searchsorted(coords, lo))
    stop = int(np.searchsorted(coords, hi, side="right"))
    start = min(max(start, 0), len(coords) - 1)
    return slice(start, max(stop, start + 1))


def _to_uint8(video: np.ndarray) -> np.ndarray:
    """Float video in [0, 1] -> uint8 with rounding."""
    return (np.clip(video, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def _as_label_indices(labels, classes: Sequence[str]) -> list[int]:
    """Names or integers -> integer class indices, validated against `classes`."""
    return [resolve_label(label if isinstance(label, str) else int(label), classes) for label in labels]


def _check_request(identities, labels, clip_indices, image_size, frames, classes):
    """Validate and broadcast the per-clip request lists."""
    labels = _as_label_indices(list(labels), classes)
    identities = [int(i) for i in np.broadcast_to(np.asarray(identities), (len(labels),))]
    if clip_indices is None:
        clip_indices = [0] * len(labels)
    clip_indices = [int(c) for c in np.broadcast_to(np.asarray(clip_indices), (len(labels),))]
    if min(identities, default=0) < 0 or min(clip_indices, default=0) < 0:
        raise ValueError("identities and clip_indices must be non-negative integers")
    if image_size < 8 or frames < 1:
        raise ValueError(f"need image_size >= 8 and frames >= 1, got {image_size}, {frames}")
    return identities, labels, clip_indices


def _rng(seed: int, kind: str, *keys: int) -> np.random.Generator:
    """Independent generator for (seed, kind, keys...)."""
    return np.random.default_rng([int(seed), _KIND_CODE[kind], *[int(k) for k in keys]])


def _render_many(kind: str, classes: Sequence[str], identities, labels, clip_indices, image_size: int,
                 frames: int, seed: int, appearance, clip) -> np.ndarray:
    """The render loop both datasets share: uint8 (N, T, H, W, 3), one clip per request.

    appearance(identity, coords, pixel) -> (params, static layer) is computed once per identity;
    clip(params, static, class_name, rng, coords, pixel) -> float (T, H, W, 3) video in [0, 1].
    """
    identities, labels, clip_indices = _check_request(
        identities, labels, clip_indices, image_size, frames, classes)
    coords, pixel = _pixel_grid(image_size)
    out = np.empty((len(labels), frames, image_size, image_size, 3), np.uint8)
    cache: dict[int, tuple[dict, np.ndarray]] = {}
    for n, (identity, label, take) in enumerate(zip(identities, labels, clip_indices)):
        if identity not in cache:
            cache[identity] = appearance(identity, coords, pixel)
        params, static = cache[identity]
        rng = _rng(seed, kind, identity, label, take, 1)
        out[n] = _to_uint8(clip(params, static, classes[label], rng, coords, pixel))
    return out


# ----------------------------------------------------------------------------- faces

#: Apex parameters per expression: eye opening factor, inner / outer brow raise, brow shift
#: toward the nose, mouth width factor, corner lift (smile > 0), opening, one-sided lift.
_EXPRESSION_APEX: dict[str, dict[str, float]] = {
    "sadness":   dict(eye=0.80, brow_in=0.10, brow_out=-0.03, brow_dx=0.01, width=0.90, curve=-0.11, open=0.00, asym=0.00),
    "anger":     dict(eye=0.60, brow_in=-0.10, brow_out=0.03, brow_dx=0.04, width=0.72, curve=-0.03, open=0.00, asym=0.00),
    "surprise":  dict(eye=1.60, brow_in=0.14, brow_out=0.14, brow_dx=0.00, width=0.50, curve=0.00, open=0.18, asym=0.00),
    "disgust":   dict(eye=0.45, brow_in=-0.05, brow_out=-0.01, brow_dx=0.02, width=0.85, curve=-0.02, open=0.04, asym=0.10),
    "happiness": dict(eye=0.70, brow_in=0.02, brow_out=0.02, brow_dx=0.00, width=1.30, curve=0.14, open=0.05, asym=0.00),
    "fear":      dict(eye=1.50, brow_in=0.13, brow_out=0.06, brow_dx=0.02, width=1.25, curve=-0.05, open=0.08, asym=0.00),
}
_NEUTRAL_APEX = dict(eye=1.0, brow_in=0.0, brow_out=0.0, brow_dx=0.0, width=1.0, curve=0.0, open=0.0, asym=0.0)

_SKIN_LIGHT, _SKIN_DARK = np.array([0.98, 0.85, 0.74]), np.array([0.40, 0.27, 0.18])
_HAIR_COLORS = np.array([[0.10, 0.07, 0.05], [0.35, 0.22, 0.10], [0.85, 0.70, 0.40],
                         [0.60, 0.25, 0.10], [0.70, 0.70, 0.72], [0.05, 0.05, 0.08]])
_IRIS_COLORS = np.array([[0.20, 0.40, 0.75], [0.25, 0.55, 0.30], [0.40, 0.25, 0.12],
                         [0.45, 0.50, 0.55], [0.15, 0.10, 0.05]])


def _face_identity(seed: int, identity: int) -> dict:
    """Appearance of one synthetic face identity (shape, colours, feature placement)."""
    r = _rng(seed, "faces", identity)
    u = r.uniform
    skin = np.clip(_SKIN_LIGHT + (_SKIN_DARK - _SKIN_LIGHT) * u() + r.normal(0, 0.03, 3), 0, 1)
    face = dict(
        background=u(0.1, 0.95, 3), skin=skin,
        hair=np.clip(_HAIR_COLORS[r.integers(len(_HAIR_COLORS))] + r.normal(0, 0.04, 3), 0, 1),
        iris=np.clip(_IRIS_COLORS[r.integers(len(_IRIS_COLORS))] + r.normal(0, 0.04, 3), 0, 1),
        cx=u(-0.06, 0.06), cy=u(0.0, 0.1), ax=u(0.50, 0.64), ay=u(0.66, 0.80),
    )
    ax, ay, cy = face["ax"], face["ay"], face["cy"]
    face.update(
        hair_rx=ax + u(0.04, 0.14), hair_ry=ay + u(0.03, 0.10), hair_dy=u(0.04, 0.12),
        hair_bottom=cy + ay * u(-0.2, 0.7), hairline=cy - ay * u(0.45, 0.68),
        eye_dx=ax * u(0.36, 0.44), eye_y=cy - ay * u(0.12, 0.22), eye_rx=u(0.09, 0.12),
    )
    face.update(eye_ry=face["eye_rx"] * u(0.45, 0.6), iris_r=face["eye_rx"] * u(0.45, 0.6),
                brow_gap=u(0.06, 0.10), brow_len=face["eye_rx"] * u(1.0, 1.3),
                brow_th=u(0.022, 0.036), mouth_y=cy + ay * u(0.45, 0.56),
                mouth_w=ax * u(0.30, 0.40), mouth_curve=u(-0.005, 0.02), lip_th=u(0.02, 0.03),
                nose_y=cy + ay * u(0.12, 0.22), nose_r=u(0.04, 0.07))
    face["lip"] = np.clip(skin * np.array([0.85, 0.45, 0.45]), 0, 1)
    face["scale"] = ay / 0.73
    return face


def _face_static(face: dict, coords: np.ndarray, pixel: float) -> np.ndarray:
    """Parts of the face that never move: background, hair, face, fringe, nose. (H, W, 3)."""
    x, y = coords[None, :], coords[:, None]
    size = len(coords)
    image = np.empty((size, size, 3), np.float32)
    image[:] = face["background"]
    hair_d = _ellipse_distance(x, y, face["cx"], face["cy"] - face["hair_dy"], face["hair_rx"], face["hair_ry"])
    _blend(image, _coverage(np.maximum(hair_d, y - face["hair_bottom"]), pixel), face["hair"])
    face_d = _ellipse_distance(x, y, face["cx"], face["cy"], face["ax"], face["ay"])
    _blend(image, _coverage(face_d, pixel), face["skin"])
    fringe_d = np.maximum(np.maximum(hair_d, face_d), y - face["hairline"])
    _blend(image, _coverage(fringe_d, pixel), face["hair"])
    nose_d = _ellipse_distance(x, y, face["cx"], face["nose_y"], face["nose_r"] * 0.6, face["nose_r"])
    _blend(image, 0.35 * _coverage(nose_d, pixel), face["skin"] * 0.7)
    return image


def _expression_intensity(rng: np.random.Generator, frames: int) -> np.ndarray:
    """Per-frame intensity of the expression (T,), 0 = neutral, 1 = the apex: rising smoothly from 0 at frame 0 to a jittered apex."""
    onset = rng.uniform(0.05, 0.30)
    duration = rng.uniform(0.35, 0.60)
    apex = rng.uniform(0.85, 1.0)
    t = np.arange(frames, dtype=np.float64) / max(frames - 1, 1)
    s = np.clip((t - onset) / duration, 0.0, 1.0)
    return (apex * s * s * (3 - 2 * s)).astype(np.float32)


def _render_face_clip(face: dict, expression: str, intensity: np.ndarray,
                      coords: np.ndarray, pixel: float, static: np.ndarray) -> np.ndarray:
    """One face clip as float32 (T, H, W, 3) in [0, 1]; `intensity` (T,) moves each feature from neutral to
    the expression's apex."""
    frames = len(intensity)
    video = np.repeat(static[None], frames, axis=0)
    apex = _EXPRESSION_APEX[expression]
    k = face["scale"]
    s = intensity[:, None, None]

    def param(name):  # a feature (e.g. "curve", the mouth's curvature) at this clip's intensity, per frame
        return _NEUTRAL_APEX[name] + s * (apex[name] - _NEUTRAL_APEX[name])

    line_min = 0.6 * pixel
    cx, ex_off, ey = face["cx"], face["eye_dx"], face["eye_y"]
    eye_rx, eye_ry = face["eye_rx"], face["eye_ry"] * np.maximum(param("eye"), 0.15)
    brow_y = ey - face["eye_ry"] - face["brow_gap"]
    rows = _band(brow_y - 0.2 * k - 0.05, ey + face["eye_ry"] * 1.7 + 0.02, coords)
    cols = _band(cx - ex_off - face["brow_len"] - 0.1, cx + ex_off + face["brow_len"] + 0.1, coords)
    x, y = coords[cols][None, None, :], coords[rows][None, :, None]
    band = video[:, rows, cols]
    brow_th = max(face["brow_th"], line_min)
    for side in (-1.0, 1.0):
        ex = cx + side * ex_off
        sclera = _ellipse_distance(x, y, ex, ey, eye_rx, eye_ry)
        sclera_a = _coverage(sclera, pixel)
        _blend(band, sclera_a, (0.96, 0.96, 0.96))
        iris_a = _coverage(np.hypot(x - ex, y - ey) - face["iris_r"], pixel) * sclera_a
        _blend(band, iris_a, face["iris"])
        pupil_a = _coverage(np.hypot(x - ex, y - ey) - face["iris_r"] * 0.45, pixel) * sclera_a
        _blend(band, pupil_a, (0.02, 0.02, 0.02))
        inner_x = ex - side * (face["brow_len"] * 0.9 + param("brow_dx") * k)
        outer_x = ex + side * face["brow_len"]
        inner_y = brow_y - param("brow_in") * k
        outer_y = brow_y - param("brow_out") * k
        brow = _capsule_distance(x, y, inner_x, inner_y, outer_x, outer_y, brow_th)
        _blend(band, _coverage(brow, pixel), face["hair"] * 0.8)
    video[:, rows, cols] = band

    my, mw = face["mouth_y"], face["mouth_w"] * param("width")
    mouth_curvature = (face["mouth_curve"] + param("curve")) * k
    opening = param("open") * k
    asym = param("asym") * k
    rows = _band(my - 0.28 * k, my + 0.25 * k, coords)
    cols = _band(cx - face["mouth_w"] * 1.4 - 0.08, cx + face["mouth_w"] * 1.4 + 0.08, coords)
    x, y = coords[cols][None, None, :], coords[rows][None, :, None]
    band = video[:, rows, cols]
    u = (x - cx) / mw
    profile = np.sqrt(np.maximum(1.0 - u * u, 0.0))
    side_lift = 0.5 * (u + 1.0)
    base = my - mouth_curvature * u * u - asym * side_lift
    upper = base - (0.5 * opening + 0.6 * asym * side_lift) * profile
    lower = base + 0.5 * opening * profile
    dy = np.maximum(upper - y, y - lower)
    dx = np.abs(x - cx) - mw
    mouth = np.hypot(np.maximum(dx, 0), np.maximum(dy, 0)) + np.minimum(np.maximum(dx, dy), 0)
    _blend(band, _coverage(mouth - max(face["lip_th"], line_min), pixel), face["lip"])
    _blend(band, _coverage(mouth, pixel), (0.18, 0.04, 0.05))
    video[:, rows, cols] = band
    return video


def face_layout(seed: int = 0, identities: int = 200) -> dict[str, dict[str, float]]:
    """Where the drawn faces have their features, over `identities` identities: mean and sd of each, in the
    frame's coordinates [-1, 1] (x right, y down). Keys: eye_x (the eyes' midpoint), eye_y, eye_dx (half the
    distance between the eyes), mouth_y, and the bands a clip redraws (everything else is static):
    eyes_top, eyes_bottom, eyes_half_width, mouth_top, mouth_bottom, mouth_half_width (about eye_x)."""
    rows = []
    for identity in range(identities):
        f = _face_identity(seed, identity)
        k = f["scale"]
        brow_y = f["eye_y"] - f["eye_ry"] - f["brow_gap"]
        rows.append(dict(eye_x=f["cx"], eye_y=f["eye_y"], eye_dx=f["eye_dx"], mouth_y=f["mouth_y"],
                         eyes_top=brow_y - 0.2 * k - 0.05, eyes_bottom=f["eye_y"] + f["eye_ry"] * 1.7 + 0.02,
                         eyes_half_width=f["eye_dx"] + f["brow_len"] + 0.1,
                         mouth_top=f["mouth_y"] - 0.28 * k, mouth_bottom=f["mouth_y"] + 0.25 * k,
                         mouth_half_width=f["mouth_w"] * 1.4 + 0.08))
    return {key: {"mean": float(np.mean([r[key] for r in rows])), "sd": float(np.std([r[key] for r in rows]))}
            for key in rows[0]}


def render_faces(identities, labels, image_size: int = 64, frames: int = 32, seed: int = 0,
                 clip_indices=None) -> np.ndarray:
    """Face-expression clips, uint8 (N, T, H, W, 3); labels are EXPRESSIONS names or indices.

    `identities` (N,) or a scalar picks the appearance; `clip_indices` (N,) tells repeated takes
    of the same identity and label apart (different onset/speed). Frame 0 is the neutral face.
    """
    def appearance(identity, coords, pixel):
        face = _face_identity(seed, identity)
        return face, _face_static(face, coords, pixel)

    def clip(face, static, expression, rng, coords, pixel):
        intensity = _expression_intensity(rng, frames)
        return _render_face_clip(face, expression, intensity, coords, pixel, static)

    return _render_many("faces", EXPRESSIONS, identities, labels, clip_indices, image_size, frames, seed,
                        appearance, clip)


# ----------------------------------------------------------------------------- actions

def _actor_identity(seed: int, identity: int) -> dict:
    """Appearance of one synthetic actor: proportions, clothes, skin and scene colours."""
    r = _rng(seed, "actions", identity)
    u = r.uniform
    height = u(0.95, 1.2)
    return dict(
        sky=u(0.55, 0.95, 3), ground=u(0.2, 0.6, 3), horizon=u(-0.1, 0.25),
        floor=u(0.78, 0.88), x0=u(-0.08, 0.08),
        skin=np.clip(_SKIN_LIGHT + (_SKIN_DARK - _SKIN_LIGHT) * u() + r.normal(0, 0.03, 3), 0, 1),
        shirt=u(0.0, 1.0, 3), trousers=u(0.0, 0.7, 3),
        torso=height * u(0.27, 0.33), upper_arm=height * u(0.15, 0.19), forearm=height * u(0.14, 0.18),
        thigh=height * u(0.22, 0.26), shin=height * u(0.21, 0.25), head=height * u(0.065, 0.085),
        limb_r=height * u(0.028, 0.04), torso_r=height * u(0.045, 0.06), height=height,
    )


def _action_pose(action: str, actor: dict, rng: np.random.Generator, frames: int) -> dict:
    """Per-frame joint angles and hip position (arrays of shape (T,)) for one clip."""
    t = np.arange(frames, dtype=np.float64)
    zero = np.zeros(frames)
    facing = 1.0 if rng.random() < 0.5 else -1.0
    phase0 = rng.uniform(0, 2 * np.pi)
    S = actor["height"]
    pose = dict(torso=zero.copy(), arm_l=zero + 0.05, arm_r=zero + 0.05, elbow_l=zero + 0.2,
                elbow_r=zero + 0.2, thigh_l=zero.copy(), thigh_r=zero.copy(), knee_l=zero.copy(),
                knee_r=zero.copy(), hop=zero.copy(), travel=zero.copy(), facing=facing,
                side_l=facing, side_r=facing)
    if action in ("walk", "run"):
        fast = action == "run"
        period = rng.uniform(9, 12) if fast else rng.uniform(14, 20)
        phi = 2 * np.pi * t / period + phase0
        swing, flex, arm = (0.85, 1.3, 0.75) if fast else (0.45, 0.45, 0.4)
        pose.update(thigh_l=swing * np.sin(phi), thigh_r=-swing * np.sin(phi),
                    knee_l=flex * np.clip(np.sin(phi + 2.2), 0, None) + 0.05,
                    knee_r=flex * np.clip(np.sin(phi + 2.2 + np.pi), 0, None) + 0.05,
                    arm_l=-arm * np.sin(phi), arm_r=arm * np.sin(phi),
                    elbow_l=zero + (1.4 if fast else 0.3), elbow_r=zero + (1.4 if fast else 0.3),
                    torso=zero + (0.22 if fast else 0.04),
                    hop=(0.04 * S * np.abs(np.sin(phi))) if fast else zero)
        speed = min((0.034 if fast else 0.017) * S, (1.0 if fast else 0.6) / frames)
        pose["travel"] = speed * t
    elif action == "jump":
        period = rng.uniform(10, 14)
        p = (t / period + phase0 / (2 * np.pi)) % 1.0
        flight = np.sin(np.pi * p)
        crouch = 1.1 * (1.0 - flight) ** 2
        pose.update(thigh_l=0.55 * crouch, thigh_r=0.55 * crouch, knee_l=crouch, knee_r=crouch,
                    arm_l=-0.7 + 1.6 * flight, arm_r=-0.7 + 1.6 * flight, torso=0.3 * crouch,
                    hop=0.2 * S * flight)
        pose["travel"] = min(0.02 * S, 0.7 / frames) * t
    elif action in ("wave1", "wave2"):
        period = rng.uniform(8, 12)
        wave = 0.55 * np.sin(2 * np.pi * t / period + phase0)
        pose.update(side_l=-1.0, side_r=1.0, thigh_l=zero + 0.12, thigh_r=zero + 0.12,
                    arm_r=zero + 2.3, elbow_r=0.5 + wave)
        if action == "wave2":
            pose.update(arm_l=zero + 2.3, elbow_l=0.5 + wave)
    elif action == "bend":
        period = rng.uniform(1.0, 1.5) * max(frames, 24)
        p = (t / period + phase0 / (2 * np.pi)) % 1.0
        bend = np.sin(np.pi * p) ** 2
        # arms hang straight down (angles are absolute), hips push back as the torso folds
        pose.update(torso=1.75 * bend, arm_l=zero + 0.05, arm_r=zero - 0.05,
                    elbow_l=zero + 0.1, elbow_r=zero + 0.1, thigh_l=0.2 * bend, thigh_r=0.2 * bend)
    else:
        raise ValueError(f"unknown action {action!r}; expected one of {', '.join(ACTIONS)}")
    return pose


def _limb(joint_x, joint_y, angle, length, side):
    """End point of a limb hanging at `angle` radians from straight down, forward along `side`."""
    return joint_x + side * length * np.sin(angle), joint_y + length * np.cos(angle)


def _skeleton(actor: dict, pose: dict) -> dict:
    """Joint positions (T,) from a pose: hip, shoulder, head, knees, feet, elbows, hands."""
    facing = pose["facing"]
    leg_extent = [actor["thigh"] * np.cos(pose[f"thigh_{s}"])
                  + actor["shin"] * np.cos(pose[f"thigh_{s}"] - pose[f"knee_{s}"]) for s in "lr"]
    hip_y = actor["floor"] - np.maximum(*leg_extent) - pose["hop"]
    travel_total = pose["travel"][-1]
    hip_x = actor["x0"] - facing * travel_total / 2 + facing * pose["travel"]
    joints = dict(hip=(hip_x, hip_y))
    torso = pose["torso"]
    shoulder = (hip_x + facing * actor["torso"] * np.sin(torso), hip_y - actor["torso"] * np.cos(torso))
    neck = actor["head"] + actor["torso_r"] * 0.6
    joints["shoulder"] = shoulder
    joints["head"] = (shoulder[0] + facing * neck * np.sin(torso), shoulder[1] - neck * np.cos(torso))
    for s in "lr":
        side = pose[f"side_{s}"]
        knee = _limb(hip_x, hip_y, pose[f"thigh_{s}"], actor["thigh"], side)
        joints[f"knee_{s}"] = knee
        joints[f"foot_{s}"] = _limb(*knee, pose[f"thigh_{s}"] - pose[f"knee_{s}"], actor["shin"], side)
        elbow = _limb(*shoulder, pose[f"arm_{s}"], actor["upper_arm"], side)
        joints[f"elbow_{s}"] = elbow
        joints[f"hand_{s}"] = _limb(*elbow, pose[f"arm_{s}"] + pose[f"elbow_{s}"], actor["forearm"], side)
    return joints


def _action_static(actor: dict, coords: np.ndarray, pixel: float) -> np.ndarray:
    """Scene background: sky above a horizon, ground below. (H, W, 3)."""
    size = len(coords)
    image = np.empty((size, size, 3), np.float32)
    image[:] = actor["sky"]
    ground = _coverage(np.broadcast_to(actor["horizon"] - coords[:, None], (size, size)), pixel)
    _blend(image, ground, actor["ground"])
    return image


def _render_action_clip(actor: dict, pose: dict, coords: np.ndarray, pixel: float,
                        static: np.ndarray) -> np.ndarray:
    """One action clip as float32 (T, H, W, 3) in [0, 1]."""
    frames = len(pose["torso"])
    video = np.repeat(static[None], frames, axis=0)
    joints = _skeleton(actor, pose)
    margin = actor["torso_r"] + actor["head"] + 2 * pixel
    xs = np.concatenate([j[0] for j in joints.values()])
    ys = np.concatenate([j[1] for j in joints.values()])
    rows = _band(ys.min() - margin, ys.max() + margin, coords)
    cols = _band(xs.min() - margin, xs.max() + margin, coords)
    x, y = coords[cols][None, None, :], coords[rows][None, :, None]
    band = video[:, rows, cols]
    col = {name: (j[0][:, None, None], j[1][:, None, None]) for name, j in joints.items()}
    limb_r = max(actor["limb_r"], 0.6 * pixel)

    def capsules(pairs, radius):
        d = None
        for a, b in pairs:
            dist = _capsule_distance(x, y, *col[a], *col[b], radius)
            d = dist if d is None else np.minimum(d, dist)
        return d

    legs = capsules([("hip", "knee_l"), ("knee_l", "foot_l"), ("hip", "knee_r"), ("knee_r", "foot_r")], limb_r)
    _blend(band, _coverage(legs, pixel), actor["trousers"])
    body = np.minimum(
        capsules([("hip", "shoulder")], max(actor["torso_r"], 0.6 * pixel)),
        capsules([("shoulder", "elbow_l"), ("elbow_l", "hand_l"),
                  ("shoulder", "elbow_r"), ("elbow_r", "hand_r")], limb_r))
    _blend(band, _coverage(body, pixel), actor["shirt"])
    head = np.hypot(x - col["head"][0], y - col["head"][1]) - actor["head"]
    _blend(band, _coverage(head, pixel), actor["skin"])
    video[:, rows, cols] = band
    return video


def render_actions(identities, labels, image_size: int = 64, frames: int = 32, seed: int = 0,
                   clip_indices=None) -> np.ndarray:
    """Articulated-figure action clips, uint8 (N, T, H, W, 3); labels are ACTIONS names or indices.

    Frame 0 is a random phase of the action (a window of a longer performance); walk, run and
    jump travel across the scene, facing left or right at random per clip.
    """
    def appearance(identity, coords, pixel):
        actor = _actor_identity(seed, identity)
        return actor, _action_static(actor, coords, pixel)

    def clip(actor, static, action, rng, coords, pixel):
        pose = _action_pose(action, actor, rng, frames)
        return _render_action_clip(actor, pose, coords, pixel, static)

    return _render_many("actions", ACTIONS, identities, labels, clip_indices, image_size, frames, seed,
                        appearance, clip)
