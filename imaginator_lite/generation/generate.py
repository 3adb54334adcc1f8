"""Generation helpers: one image + a label (name or index) + a seed -> videos, and one-per-class grids.

Works with any Generator, including an official checkpoint loaded by `imaginator_lite.load_generator`
(expression names then map to the official one-hot order in `labels.EXPRESSIONS`).
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from ..data.batching import fetch_batch
from ..data.store import to_model_video
from ..data.synthetic_sets import render_clips
from ..labels import ACTIONS, resolve_label
from ..models.generator import Generator
from .photos import load_image, prepare_photo
from .viz import save_video, video_grid


def prepare_image(image: torch.Tensor | str | os.PathLike, size: int, crop_face: bool = False) -> torch.Tensor:
    """An image path or a (3,S,S) / (1,3,S,S) tensor in [-1,1] -> (3,S,S) float. crop_face: cut the largest
    face out of a photo first (photos.prepare_photo, which also returns the box and says what it did)."""
    if isinstance(image, (str, os.PathLike)):
        if crop_face:
            return prepare_photo(image, size).image
        return load_image(Path(image), size)
    image = torch.as_tensor(image).float()
    if image.dim() == 4 and image.shape[0] == 1:
        image = image[0]
    if image.dim() != 3 or image.shape[0] != 3:
        raise ValueError(f"image must be (3, H, W) in [-1, 1] or a file path, got shape {tuple(image.shape)}")
    if image.shape[1:] != (size, size):
        raise ValueError(f"image is {image.shape[1]}x{image.shape[2]} but the model expects {size}x{size}; "
                         f"pass a file path (it is resized) or resize the tensor")
    return image


def synthetic_first_frames(cfg, identities, seed: int) -> torch.Tensor:
    """First frames (N,3,S,S) in [-1,1] of synthetic identities of the model's domain (its class names
    say actions or faces), at its image size: inputs no shipped model saw when `seed` != 0."""

    kind = "actions" if tuple(cfg.class_names) == ACTIONS else "faces"
    ids = [int(i) for i in identities]
    clips = render_clips(kind, ids, [0] * len(ids), image_size=cfg.image_size, frames=2, seed=seed)
    return to_model_video(clips)[:, :, 0]


def noise_and_labels(G: Generator, label: str | int, seed: int, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The noise z (n, dim_z) that `seed` fixes and the label's index (n,), on G's device; a ValueError for an
    unknown label or n < 1. generate and generate_at_resolution share it, so one seed gives one z in both."""
    index = resolve_label(label, G.cfg.class_names)
    if n < 1:
        raise ValueError(f"n must be >= 1 (got {n})")
    device = next(G.parameters()).device
    z = torch.randn(n, G.cfg.dim_z, generator=torch.Generator().manual_seed(int(seed))).to(device)
    return z, torch.full((n,), index, dtype=torch.long, device=device)


@torch.no_grad()
def generate(G: Generator, image: torch.Tensor | str | os.PathLike, label: str | int, seed: int = 0,
             n: int = 1) -> torch.Tensor:
    """`n` videos (n,3,T,S,S) in [-1,1] of `image` performing `label`; seed fixes the noise z."""
    z, labels = noise_and_labels(G, label, seed, n)
    img = prepare_image(image, G.cfg.image_size).to(z.device)
    G.eval()
    return G(img[None].expand(n, -1, -1, -1), z, labels).float().cpu()


@torch.no_grad()
def generate_at_resolution(G: Generator, image: torch.Tensor | str | os.PathLike, label: str | int, seed: int = 0,
                           n: int = 1, size: int = 256, crop_face: bool = False) -> torch.Tensor:
    """A warp generator's `n` videos (n,3,T,H,W) in [-1,1] at the image's own resolution (G.animate): the encoder
    sees the image resized to the model's size, and the flow, mask and residual computed there are upsampled and
    applied to the full image. image: a (3,H,W) tensor in [-1,1] (H, W at least the model's size), or a file path
    read at size x size (crop_face: the largest face's square, as photos.prepare_photo). Same z as `generate`
    for the same seed, so at the model's size it returns what `generate` does."""
    cfg = G.cfg
    if not G.output.moves_pixels:
        raise ValueError(f"generate_at_resolution needs a warp generator, but this one is '{cfg.output}': a paint "
                         f"generator repaints every pixel at its {cfg.image_size}x{cfg.image_size}; use generate()")
    z, labels = noise_and_labels(G, label, seed, n)
    if isinstance(image, (str, os.PathLike)):
        image = (prepare_photo(image, size, least=cfg.image_size).image if crop_face
                 else load_image(Path(image), size))
    image = torch.as_tensor(image).float()
    if image.dim() == 4 and image.shape[0] == 1:
        image = image[0]
    if image.dim() != 3 or image.shape[0] != 3:
        raise ValueError(f"image must be (3, H, W) in [-1, 1] or a file path, got shape {tuple(image.shape)}")
    G.eval()
    photo = image.to(z.device)[None].expand(n, -1, -1, -1)
    return G.animate(photo, z, labels).float().cpu()


@torch.no_grad()
def label_grid(G: Generator, image: torch.Tensor | str | os.PathLike, seed: int = 0) -> torch.Tensor:
    """One video per class for the same image and noise: (n_classes,3,T,S,S), in class-index order."""
    cfg = G.cfg
    device = next(G.parameters()).device
    img = prepare_image(image, cfg.image_size).to(device)
    k = cfg.n_classes
    z = torch.randn(1, cfg.dim_z, generator=torch.Generator().manual_seed(int(seed))).to(device).expand(k, -1)
    G.eval()
    return G(img[None].expand(k, -1, -1, -1), z, torch.arange(k, device=device)).float().cpu()


@torch.no_grad()
def identity_expression_grid(G, test_dataset, n_identities: int, seed: int = 0) -> tuple[torch.Tensor, list[int]]:
    """Rows alternate ground truth / generated for the first test identities that have every class; columns =
    classes. Returns (videos (2*n*n_classes, 3, T, H, W) in row-major order, the n identities shown)."""
    classes = G.cfg.n_classes
    rows, shown = [], []
    for identity in dict.fromkeys(test_dataset.identities.tolist()):
        if len(shown) == n_identities:
            break
        clip_of_class = {}
        for i, (ident, lab) in enumerate(zip(test_dataset.identities.tolist(), test_dataset.labels.tolist())):
            if ident == identity and lab not in clip_of_class:
                clip_of_class[lab] = i
        if len(clip_of_class) < classes:
            continue
        real, _ = fetch_batch(test_dataset, [clip_of_class[c] for c in range(classes)], np.random.default_rng(0))
        rows.append(real)
        rows.append(label_grid(G, real[0, :, 0], seed=seed))
        shown.append(int(identity))
    return (torch.cat(rows) if rows else torch.empty(0)), shown


def save_generated(videos: torch.Tensor, path: str | os.PathLike, ncols: int | None = None, fps: int = 8,
                   scale: int | None = None) -> Path:
    """Save one video (3,T,H,W) or a batch (B,3,T,H,W) as a grid; .gif or .mp4 by suffix (atomic); `scale`:
    as viz.save_video (1 for a video already at a photo's resolution)."""

    if videos.dim() == 4:
        videos = videos[None]
    frames = video_grid(videos, ncols=ncols or len(videos)) if len(videos) > 1 else videos[0]
    return save_video(frames, path, fps=fps, scale=scale)
