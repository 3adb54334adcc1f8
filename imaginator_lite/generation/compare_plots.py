"""Figures of paint against warp: grouped bars of a measure with their spread, and the anatomy of a warp frame
(the warped photo, the painted share, the residual and the frame they make). Each returns a matplotlib Figure
(written to `path` when given), outside pyplot.
"""
from __future__ import annotations

import os
from typing import Mapping, Sequence

import torch

from ..models.warp import WarpFields, upsample_fields, warp_image
from .viz import finish_figure, new_figure, save_figure, to_uint8_frames


def plot_grouped_bars(values: Mapping[str, Mapping[str, float | Sequence[float]]], ylabel: str, title: str,
                      path: str | os.PathLike | None = None, ax=None, fmt: str = "{:.3g}", log: bool = False,
                      xlabel: str = ""):
    """Bars per group (x axis) and series (colours): values {group: {series: value or per-seed values}}; a list
    is drawn as its mean with the min..max range as the error bar, and each bar carries its value."""
    fig = None
    if ax is None:
        fig = new_figure((1.2 + 1.3 * len(values), 3.4))
        ax = fig.subplots()
    groups = list(values)
    series = list(dict.fromkeys(s for g in groups for s in values[g]))
    width = 0.8 / len(series)
    for k, name in enumerate(series):
        xs, means, lows, highs = [], [], [], []
        for i, g in enumerate(groups):
            if name not in values[g]:
                continue
            v = values[g][name]
            seq = [float(x) for x in v] if isinstance(v, (list, tuple)) else [float(v)]
            mean = sum(seq) / len(seq)
            xs.append(i + (k - (len(series) - 1) / 2) * width)
            means.append(mean)
            lows.append(mean - min(seq))
            highs.append(max(seq) - mean)
        ax.bar(xs, means, width * 0.95, yerr=[lows, highs] if any(lows + highs) else None, capsize=3,
               label=name, color=f"C{k}")
        for x, m, h in zip(xs, means, highs):
            ax.annotate(fmt.format(m), (x, m + h), ha="center", va="bottom", fontsize=7)
    ax.set_xticks(range(len(groups)), groups, fontsize=8)
    ax.set_xlabel(xlabel, fontsize=8)
    ax.set_ylabel(ylabel, fontsize=8)
    ax.set_title(title, fontsize=9)
    if log:
        ax.set_yscale("log")
    ax.margins(y=0.18)
    ax.legend(fontsize=7, frameon=False)
    return finish_figure(fig, path) if fig is not None else ax


def _image(ax, array, title: str, cmap=None, vmax=None):
    shown = ax.imshow(array, cmap=cmap, vmin=0 if cmap else None, vmax=vmax)
    ax.set_title(title, fontsize=8)
    ax.set_xticks([]), ax.set_yticks([])
    return shown


@torch.no_grad()
def plot_warp_anatomy(photo: torch.Tensor, fields: WarpFields, label: str, frame: int = -1,
                      path: str | os.PathLike | None = None):
    """One frame of a warp model taken apart: photo (3, H, W) in [-1, 1] and its fields for one clip (batch 1,
    any size): the photo, the warped photo, the painted share 1 - mask, the residual, the frame, and what the
    painting changed |frame - warped| (brightness of the difference, mean over channels)."""
    image = photo.float()[None]
    t = frame % fields.flow.shape[2]
    one = WarpFields(flow=fields.flow[:1, :, t:t + 1], mask=fields.mask[:1, :, t:t + 1],
                     residual=fields.residual[:1, :, t:t + 1], sampling=fields.sampling)
    fields = upsample_fields(one, tuple(photo.shape[-2:]))
    warped = warp_image(image, fields.flow, fields.sampling)[0, :, 0]
    painted = (1 - fields.mask)[0, 0, 0]
    residual = fields.residual[0, :, 0]
    final = torch.lerp(residual, warped, fields.mask[0, :, 0])
    change = (final - warped).abs().mean(0)
    fig = new_figure((15.0, 3.3))
    axes = fig.subplots(1, 6)
    rgb = lambda x: to_uint8_frames(x[:, None])[0]  # noqa: E731 - (3, H, W) in [-1, 1] -> (H, W, 3) uint8
    _image(axes[0], rgb(photo.float()), "the photo")
    _image(axes[1], rgb(warped), "warped (pixels moved)")
    bar = _image(axes[2], painted.numpy(), f"painted share 1 - mask\n(mean {float(painted.mean()):.4f})",
                 cmap="magma", vmax=1)
    fig.colorbar(bar, ax=axes[2], fraction=0.046, pad=0.02)
    _image(axes[3], rgb(residual), "residual (what it paints)")
    _image(axes[4], rgb(final), f"the frame: '{label}'")
    diff = _image(axes[5], change.numpy(), f"|frame - warped|\n(mean {float(change.mean()):.4f})", cmap="magma",
                  vmax=max(float(change.max()), 1e-3))
    fig.colorbar(diff, ax=axes[5], fraction=0.046, pad=0.02)
    return finish_figure(fig, path)


@torch.no_grad()
def plot_painted_maps(photo: torch.Tensor, fields_by_model: Mapping[str, WarpFields], labels: Sequence[str],
                      frame: int = -1, path: str | os.PathLike | None = None):
    """What the painting changes, per model (rows) and label (columns): for each model the frame, and under it
    |frame - warped| (mean over channels, one colour scale for all). photo (3, H, W); fields (L, ...) per model."""
    size = tuple(photo.shape[-2:])
    rows = []
    for name, fields in fields_by_model.items():
        t = frame % fields.flow.shape[2]
        f = upsample_fields(WarpFields(flow=fields.flow[:, :, t:t + 1], mask=fields.mask[:, :, t:t + 1],
                                       residual=fields.residual[:, :, t:t + 1], sampling=fields.sampling), size)
        warped = warp_image(photo.float()[None].expand(len(labels), -1, -1, -1), f.flow, f.sampling)
        final = torch.lerp(f.residual, warped, f.mask)
        rows.append((name, final[:, :, 0], (final - warped)[:, :, 0].abs().mean(1)))
    vmax = max(float(change.max()) for _, _, change in rows)
    fig = new_figure((1.7 * len(labels) + 1.2, 3.4 * len(rows)))
    axes = fig.subplots(2 * len(rows), len(labels), squeeze=False)
    for r, (name, frames, change) in enumerate(rows):
        for c, label in enumerate(labels):
            _image(axes[2 * r, c], to_uint8_frames(frames[c][:, None])[0], label if r == 0 else "")
            shown = _image(axes[2 * r + 1, c], change[c].numpy(), f"mean {float(change[c].mean()):.4f}", cmap="magma",
                           vmax=vmax)
        axes[2 * r, 0].set_ylabel(f"{name}\nlast frame", fontsize=8)
        axes[2 * r + 1, 0].set_ylabel(f"{name}\n|frame - warped|", fontsize=8)
    fig.colorbar(shown, ax=axes.ravel().tolist(), fraction=0.02, pad=0.01, label="painted change ([-1, 1] units)")
    if path is not None:  # no finish_figure: tight_layout cannot place the shared colour bar
        save_figure(fig, path)
    return fig
