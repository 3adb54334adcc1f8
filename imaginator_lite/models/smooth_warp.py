"""A warp whose flow is smooth by construction: a thin-plate spline (TPS) through a few control points in the face,
windowed so that everything outside the face stays exactly still, and sampled bicubic so a photo keeps its detail.

The warp head (models/warp.py) predicts a free flow per pixel. Trained on flat-coloured faces, that flow is left
unconstrained wherever the colour is flat, and on a textured photo it tears the face and waves the background.
Here the decoder's flow channels are read only through two fixed linear maps:

    control (B, 2, T, K) = bound * tanh(pool @ raw_flow)       K control points, each moving at most `bound`
    flow    (B, 2, T, h, w) = window * (spline @ control)       the TPS through them (Bookstein 1989), zero at
                                                                 anchors around the face, times a still window

so the flow lives in a K-dimensional family of smooth fields (TPSMM, Zhao & Zhang 2022, blends such splines; FOMM,
Siarohin et al. 2019, keeps a still background channel). The control points lie on a grid over the central face
ellipse where the aligned crop puts a face (half-axes FACE_ELLIPSE of the square's side); the mask and residual may
paint only inside the same window. Units as in models/warp.py: normalised coordinates, [-1, 1] across the frame.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch
from einops import einsum

from .warp import WarpFields, fields_from_output

#: The central face ellipse of a video's square: half-axes (x, y) as fractions of the side, centred (the aligned
#: crop puts the face there; evaluation.photo_motion measures background motion outside it).
FACE_ELLIPSE = (0.36, 0.45)
#: Control points: a GRID x GRID lattice over the ellipse's box, keeping those inside it.
GRID = 8
#: Each control point moves at most this fraction of the lattice spacing (x), so neighbours cannot cross.
BOUND_OF_SPACING = 0.5
#: The still window falls from 1 to 0 over this last fraction of the ellipse's radius.
WINDOW_EDGE = 0.25


def _ellipse_radius(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    ax, ay = 2 * FACE_ELLIPSE[0], 2 * FACE_ELLIPSE[1]  # in [-1, 1] units
    return np.sqrt((x / ax) ** 2 + (y / ay) ** 2)


def control_points() -> np.ndarray:
    """(K, 2) control points (x, y) in [-1, 1]: the lattice points inside the face ellipse (radius < 0.9)."""
    ax, ay = 2 * FACE_ELLIPSE[0], 2 * FACE_ELLIPSE[1]
    xs, ys = np.linspace(-0.8 * ax, 0.8 * ax, GRID), np.linspace(-0.8 * ay, 0.8 * ay, GRID)
    points = np.array([(x, y) for y in ys for x in xs])
    return points[_ellipse_radius(points[:, 0], points[:, 1]) < 0.9]


def _anchors(n: int = 16) -> np.ndarray:
    """(n, 2) points just outside the ellipse that never move (the spline is pinned to 0 there)."""
    angle = np.linspace(0, 2 * np.pi, n, endpoint=False)
    return np.stack([1.1 * 2 * FACE_ELLIPSE[0] * np.cos(angle), 1.1 * 2 * FACE_ELLIPSE[1] * np.sin(angle)], 1)


def spacing() -> float:
    """The lattice spacing in x, in [-1, 1] units."""
    return 2 * 0.8 * 2 * FACE_ELLIPSE[0] / (GRID - 1)


def max_control_shift() -> float:
    """The largest shift of one control point, in [-1, 1] units."""
    return BOUND_OF_SPACING * spacing()


def _tps_kernel(r2: np.ndarray) -> np.ndarray:
    """U(r) = r^2 log r^2 (0 at r = 0), the thin-plate spline's radial basis."""
    return np.where(r2 > 0, r2 * np.log(np.maximum(r2, 1e-30)), 0.0)


def _pixel_centres(n: int) -> np.ndarray:
    return (2 * np.arange(n) + 1) / n - 1


def still_window(height: int, width: int) -> np.ndarray:
    """(H, W) in [0, 1]: 1 inside the face ellipse's inner part, smoothly 0 at and outside the ellipse."""
    r = _ellipse_radius(_pixel_centres(width)[None, :], _pixel_centres(height)[:, None])
    v = np.clip((1 - r) / WINDOW_EDGE, 0, 1)
    return v * v * (3 - 2 * v)


@lru_cache(maxsize=16)
def _maps(height: int, width: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(pool (K, H*W), spline (H*W, K), window (H, W)) as float32 tensors for frames of H x W."""
    ctrl, anchors = control_points(), _anchors()
    points = np.concatenate([ctrl, anchors])
    n = len(points)
    d2 = ((points[:, None] - points[None]) ** 2).sum(-1)
    affine = np.concatenate([np.ones((n, 1)), points], 1)
    system = np.zeros((n + 3, n + 3))
    system[:n, :n], system[:n, n:], system[n:, :n] = _tps_kernel(d2), affine, affine.T
    solve = np.linalg.inv(system)[:, :len(ctrl)]            # (n+3, K): control shifts -> spline coefficients
    ys, xs = np.meshgrid(_pixel_centres(height), _pixel_centres(width), indexing="ij")
    pixels = np.stack([xs.ravel(), ys.ravel()], 1)           # (H*W, 2)
    basis = np.concatenate([_tps_kernel(((pixels[:, None] - points[None]) ** 2).sum(-1)),
                            np.ones((len(pixels), 1)), pixels], 1)
    spline = basis @ solve                                   # (H*W, K)
    sigma = spacing() / 2                                    # each control point reads the raw flow near it
    weights = np.exp(-((pixels[None] - ctrl[:, None]) ** 2).sum(-1) / (2 * sigma ** 2))
    pool = weights / weights.sum(1, keepdims=True)           # (K, H*W)
    window = still_window(height, width)
    return (torch.tensor(pool, dtype=torch.float32), torch.tensor(spline, dtype=torch.float32),
            torch.tensor(window, dtype=torch.float32))


def control_shifts(raw_flow: torch.Tensor) -> torch.Tensor:
    """The decoder's raw flow channels (B, 2, T, h, w) -> control-point shifts (B, 2, T, K), each in
    [-max_control_shift(), max_control_shift()]."""
    pool = _maps(*raw_flow.shape[-2:])[0].to(raw_flow.device)
    pooled = einsum(raw_flow.float().flatten(-2), pool, "b xy t p, k p -> b xy t k")
    return max_control_shift() * torch.tanh(pooled)


def spline_flow(shifts: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """Control shifts (B, 2, T, K) -> the windowed TPS flow (B, 2, T, H, W) at any size, exactly 0 outside the
    face ellipse."""
    _, spline, window = (m.to(shifts.device) for m in _maps(height, width))
    flow = einsum(spline, shifts.float(), "p k, b xy t k -> b xy t p")
    return flow.unflatten(-1, (height, width)) * window


def smooth_fields_from_output(raw: torch.Tensor) -> WarpFields:
    """The decoder's raw output (B, 6, T, h, w) as smooth WarpFields: the TPS flow, and the mask and residual of
    the warp head with the mask held at 1 outside the still window (nothing is painted on the background)."""
    free = fields_from_output(raw)
    h, w = raw.shape[-2:]
    window = _maps(h, w)[2].to(raw.device)
    mask = 1 - window * (1 - free.mask)
    return WarpFields(flow=spline_flow(control_shifts(raw[:, 0:2]), h, w), mask=mask, residual=free.residual,
                      sampling="bicubic")
