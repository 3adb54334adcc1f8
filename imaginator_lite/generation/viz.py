"""Turn video tensors into things people look at: uint8 frames, frame strips, grids, GIF and MP4 files."""
from __future__ import annotations

import io
import math
import os
import textwrap
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import torch
from einops import rearrange
from PIL import Image, ImageDraw, ImageFont

from ..atomic import atomic_path
from ..defaults import STUDY_REFERENCE
from ..evaluation.baselines import BASELINES
from ..evaluation.metric_registry import COMPARISON_PANELS, METRICS, STUDY_PANELS


def to_uint8_frames(video: torch.Tensor | np.ndarray) -> np.ndarray:
    """(3, T, H, W) float in [-1, 1] -> (T, H, W, 3) uint8.  A uint8 (T, H, W, 3) array passes through."""
    if isinstance(video, np.ndarray) and video.dtype == np.uint8 and video.ndim == 4 and video.shape[-1] == 3:
        return video
    v = torch.as_tensor(video).detach().float().cpu()
    if v.dim() != 4 or v.shape[0] != 3:
        raise ValueError(f"expected a (3, T, H, W) video, got shape {tuple(v.shape)}")
    v = ((v.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    return rearrange(v, "c t h w -> t h w c").numpy()


def video_grid(videos: torch.Tensor | Sequence[torch.Tensor], ncols: int | None = None, pad: int = 1) -> np.ndarray:
    """Tile B videos (B, 3, T, H, W) into one video (T, rows*H', cols*W', 3) uint8, white padding."""
    frames = [to_uint8_frames(v) for v in videos]
    if not frames:
        raise ValueError("video_grid needs at least one video")
    n = len(frames)
    ncols = ncols or int(np.ceil(np.sqrt(n)))
    nrows = int(np.ceil(n / ncols))
    t, h, w, _ = frames[0].shape
    grid = np.full((t, nrows * (h + pad) + pad, ncols * (w + pad) + pad, 3), 255, np.uint8)
    for i, f in enumerate(frames):
        r, c = divmod(i, ncols)
        y, x = pad + r * (h + pad), pad + c * (w + pad)
        grid[:, y:y + h, x:x + w] = f
    return grid


def frame_strip(video: torch.Tensor | np.ndarray, every: int = 1, max_frames: int = 16) -> np.ndarray:
    """One video as a horizontal strip of frames (H, n*W, 3) uint8."""
    f = to_uint8_frames(video)[::every][:max_frames]
    return np.concatenate(list(f), axis=1)


def save_gif(frames: np.ndarray | torch.Tensor, path: str | os.PathLike, fps: int = 8, scale: int = 1) -> Path:
    """Write (T, H, W, 3) uint8 frames (or a (3, T, H, W) tensor) as a looping GIF, atomically."""
    path = Path(path)
    data = gif_bytes(frames, fps, scale)
    with atomic_path(path) as tmp:
        Path(tmp).write_bytes(data)
    return path


def save_mp4(frames: np.ndarray | torch.Tensor, path: str | os.PathLike, fps: int = 8, scale: int = 4) -> Path:
    """Write frames as an H.264 (or MPEG-4) MP4 with PyAV, upscaled by `scale` (codecs want >= 16 px), atomically."""
    import av  # deferred, import cost: PyAV, only for reading or writing video files

    frames = to_uint8_frames(frames)
    if scale > 1:
        frames = frames.repeat(scale, axis=1).repeat(scale, axis=2)
    t, h, w, _ = frames.shape
    h2, w2 = h - h % 2, w - w % 2
    path = Path(path)
    with atomic_path(path) as tmp, av.open(tmp, mode="w", format="mp4") as container:
        try:
            stream = container.add_stream("libx264", rate=fps)
        except Exception:  # PyAV built without x264
            stream = container.add_stream("mpeg4", rate=fps)
        stream.width, stream.height, stream.pix_fmt = w2, h2, "yuv420p"
        for f in frames:
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(f[:h2, :w2]), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def save_video(frames: np.ndarray | torch.Tensor, path: str | os.PathLike, fps: int = 8,
               scale: int | None = None) -> Path:
    """Save as GIF or MP4 depending on the file suffix, upscaled `scale` times (default: 2 for a GIF, 4 for an
    MP4, which suit a model's 32-64 px; 1 keeps a video made at a photo's resolution at that resolution)."""
    suffix = Path(path).suffix.lower()
    if suffix == ".gif":
        return save_gif(frames, path, fps=fps, scale=2 if scale is None else scale)
    if suffix == ".mp4":
        return save_mp4(frames, path, fps=fps, scale=4 if scale is None else scale)
    raise ValueError(f"unsupported video file type {suffix!r} for {path}; use .gif or .mp4")


def gif_bytes(frames: np.ndarray | torch.Tensor, fps: int = 8, scale: int = 2) -> bytes:
    """(T, H, W, 3) uint8 frames (or a (3, T, H, W) video) as looping GIF bytes, upscaled `scale` times."""


    frames = to_uint8_frames(frames)
    if scale > 1:
        frames = frames.repeat(scale, axis=1).repeat(scale, axis=2)
    images = [Image.fromarray(f) for f in frames]
    buf = io.BytesIO()
    images[0].save(buf, format="GIF", save_all=True, append_images=images[1:], duration=int(1000 / fps), loop=0)
    return buf.getvalue()


def show_video(frames: np.ndarray | torch.Tensor, fps: int = 8, scale: int = 2):
    """An embedded GIF for notebooks: shows in JupyterLab, in untrusted notebooks, on GitHub and in the
    course website (no JavaScript). frames: (T, H, W, 3) uint8, e.g. from `video_grid`, or (3, T, H, W)."""
    from IPython.display import Image as IPyImage  # deferred, import cost: IPython's display, only inside a notebook

    return IPyImage(data=gif_bytes(frames, fps, scale), format="gif")


def new_figure(figsize: tuple[float, float]):
    """A matplotlib Figure on the Agg canvas, outside pyplot (no global state, safe in scripts and threads)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # deferred, import cost: matplotlib, only for figures
    from matplotlib.figure import Figure  # deferred, import cost: matplotlib, only for figures

    fig = Figure(figsize=figsize)
    FigureCanvasAgg(fig)
    return fig


def save_figure(fig, path: str | os.PathLike, dpi: int = 90) -> Path:
    """Write `fig` atomically in the format of the suffix (.png, .svg, .pdf); returns the path."""
    path = Path(path)
    with atomic_path(path) as tmp:  # the temp name keeps the suffix, so savefig infers the format
        fig.savefig(tmp, dpi=dpi)
    return path


def finish_figure(fig, path: str | os.PathLike | None = None):
    """The last steps of every plot: tight layout, written atomically to `path` when one is given; the Figure."""
    fig.tight_layout()
    if path is not None:
        save_figure(fig, path)
    return fig


def plot_comparison(results: dict[str, dict], path: str | os.PathLike | None = None):
    """Model vs baselines on held-out clips: SSIM per frame, L1 where the face moves, Frechet distance.

    results: {'model': {...}, baseline: {...}} as from evaluation.evaluate.evaluate_with_baselines. Returns the
    matplotlib Figure (shown inline in notebooks); with `path`, also writes it as a PNG atomically.
    """
    from matplotlib.ticker import MaxNLocator  # deferred, import cost: matplotlib, only for figures

    if not results:
        raise ValueError("plot_comparison needs at least one method's results")
    names = list(results)
    panels = [(METRICS[key].title, key) for key in COMPARISON_PANELS]
    panels = [(title, key) for title, key in panels if all(key in results[n] for n in names)]
    fig = new_figure((4.2 * (1 + len(panels)), 3.2))
    axes = fig.subplots(1, 1 + len(panels), squeeze=False)[0]
    colors = [f"C{i}" for i in range(len(names))]
    styles = ["-", "--", ":", "-.", (0, (5, 1)), (0, (1, 3))]
    for i, (name, color) in enumerate(zip(names, colors)):  # distinct dashes and markers: no line hides another
        is_baseline = name in BASELINES
        axes[0].plot(results[name]["ssim_per_frame"], label=name, color=color, lw=1.3 if is_baseline else 2.4,
                     ls=styles[i % len(styles)] if is_baseline else "-", marker="os^vDx"[i % 6], markevery=(i, 4),
                     ms=3.5)
    axes[0].set(title="SSIM per frame (higher is better)", xlabel="frame", ylabel="SSIM")
    axes[0].xaxis.set_major_locator(MaxNLocator(integer=True))
    axes[0].legend(fontsize=7)
    for ax, (title, key) in zip(axes[1:], panels):
        values = [results[n][key] for n in names]
        ax.bar(range(len(names)), values, color=colors)
        ax.set_xticks(range(len(names)), [textwrap.fill(n.replace("_", " "), 12) for n in names], fontsize=7)
        ax.set_title(title, fontsize=9)
        ax.set_ylabel(key, fontsize=8)
        for i, v in enumerate(values):
            ax.annotate(f"{v:.3g}", (i, v), ha="center", va="bottom", fontsize=7)
        ax.margins(y=0.12)
    return finish_figure(fig, path)


#: One panel each: (title, logged losses drawn in it, the value a loss has at chance or None).
LOSS_PANELS = (("L1 between generated and true clip", ("l1",), None),
               ("G's adversarial terms", ("g_video", "g_image"), math.log(2)),
               ("D losses (real + fake)", ("d_video", "d_image"), 2 * math.log(2)))


def loss_curve_figure(history: Sequence[Mapping[str, Any]]):
    """Loss curves of a run's history (a list of logged steps): the L1 term, G's adversarial terms and the D
    losses against step; a dotted line marks each adversarial loss at chance (a D that cannot tell)."""
    fig = new_figure((10.5, 3.2))
    steps = [h["step"] for h in history]
    for ax, (title, keys, chance) in zip(fig.subplots(1, len(LOSS_PANELS)), LOSS_PANELS):
        for key in keys:
            values = [h.get(key) for h in history]
            if any(v is not None for v in values):
                ax.plot(steps, [math.nan if v is None else v for v in values], label=key, lw=1.2)
        if chance is not None:
            ax.axhline(chance, color="0.5", ls=":", label=f"chance ({chance:.2f})")
        ax.set(title=title, xlabel="step", ylabel="L1 ([-1, 1] units)" if keys == ("l1",) else "BCE loss")
        if ax.lines:
            ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def plot_loss_curves(history: Sequence[Mapping[str, Any]], path: str | os.PathLike) -> Path:
    """`loss_curve_figure` written to a PNG atomically (without pyplot)."""
    return save_figure(loss_curve_figure(history), path)


def _labelled_canvas(grid: np.ndarray, rows: Sequence[str], cols: Sequence[str], cell: int, pad: int) -> np.ndarray:
    """Frames (T, H, W, 3) of a grid with a header of column labels and a margin of row labels."""

    font = ImageFont.load_default()
    left = max(font.getbbox(r)[2] for r in rows) + 6 if rows else 0
    top = 14 if cols else 0
    out = []
    for frame in grid:
        canvas = Image.new("RGB", (frame.shape[1] + left, frame.shape[0] + top), "white")
        canvas.paste(Image.fromarray(frame), (left, top))
        draw = ImageDraw.Draw(canvas)
        for j, name in enumerate(cols):
            draw.text((left + pad + j * (cell + pad) + 2, 1), name, fill="black", font=font)
        for i, name in enumerate(rows):
            draw.text((2, top + pad + i * (cell + pad) + cell // 2 - 6), name, fill="black", font=font)
        out.append(np.asarray(canvas))
    return np.stack(out)


def labelled_video_grid(videos: torch.Tensor, ncols: int, row_labels: Sequence[str] = (),
                        col_labels: Sequence[str] = (), scale: int = 3) -> np.ndarray:
    """Videos (R*C, 3, T, H, W) as one animated grid with row and column labels: (T, H', W', 3) uint8,
    ready for `show_video` / `save_gif` (labels drawn into the frames, so they show everywhere)."""
    grid = video_grid(videos, ncols=ncols)
    if scale > 1:
        grid = grid.repeat(scale, axis=1).repeat(scale, axis=2)
    return _labelled_canvas(grid, list(row_labels), list(col_labels), videos.shape[-1] * scale, scale)


def plot_frame_grid(videos: torch.Tensor, ncols: int, row_labels: Sequence[str], col_labels: Sequence[str],
                    frame: int = -1, title: str | None = None, cell: float = 1.15):
    """One frame (default: the last) of each video (R*C, 3, T, H, W) in a labelled matplotlib grid; `cell`: the
    side of each picture in inches (larger for photo-resolution videos, whose detail is the point)."""
    frames = to_uint8_frames(rearrange(videos[:, :, frame], "b c h w -> c b h w"))  # one frame per video
    nrows = len(videos) // ncols
    fig = new_figure((cell * ncols + 0.8, cell * nrows + (0.4 if title else 0.1)))
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.imshow(frames[k])
        ax.set_xticks([]), ax.set_yticks([])
        if k < ncols:
            ax.set_title(col_labels[k], fontsize=8)
        if k % ncols == 0:
            ax.set_ylabel(row_labels[k // ncols], fontsize=8, rotation=0, ha="right", va="center")
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig


def plot_study(stats: Mapping[str, Mapping[str, Mapping[str, float]]], path: str | os.PathLike | None = None,
               panels: Sequence[str] = STUDY_PANELS, reference: str = STUDY_REFERENCE):
    """Bars of the mean per variant with the seed std as error bars and the value on each bar; the
    `reference` variant (the one the study compares every other with) in colour.

    stats: {variant: {metric: {mean, std, n, ...}}} as in the study's summary["stats"]; panels: metric keys
    of the registry (titled by it).
    """
    names = list(stats)
    panels = [(k, METRICS[k].title) for k in panels if any(k in stats[n] for n in names)]
    fig = new_figure((4.3 * len(panels), 3.6))
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, (key, title) in zip(axes, panels):
        present = [n for n in names if key in stats[n]]
        means = [stats[n][key]["mean"] for n in present]
        stds = [stats[n][key]["std"] for n in present]
        ax.bar(range(len(present)), means, yerr=stds, capsize=3,
               color=["C0" if n == reference else "0.6" for n in present])
        ax.set_xticks(range(len(present)), [f"{n}\n(n={stats[n][key]['n']})" for n in present], fontsize=7,
                      rotation=45, ha="right", rotation_mode="anchor")
        ax.set_title(title, fontsize=9)
        ax.set_ylabel(key, fontsize=8)
        for i, (m, s) in enumerate(zip(means, stds)):
            ax.annotate(f"{m:.3g}", (i, m + s), ha="center", va="bottom", fontsize=7)
        ax.margins(y=0.15)
    return finish_figure(fig, path)
