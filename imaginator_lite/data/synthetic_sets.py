"""The synthetic sets as clip stores: which kinds there are, one renderer per kind, and the store of a kind.

    faces           drawn MUG-like faces, flat colours (data/synthetic.py)
    textured-faces  the same faces textured, each expression a known deformation (data/textured_faces.py)
    mixed-faces     half the identities drawn (even numbers), half textured (odd): a model trained on it moves
                    real photos smoothly (texture) and still draws the flat faces' expressions (drawn)
    actions         drawn Weizmann-like figures (data/synthetic.py)
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from ..defaults import SPLIT_FRACTIONS, SYNTHETIC_IDENTITIES
from ..labels import ACTIONS, EXPRESSIONS
from .splits import split_identities
from .store_writer import StoreWriter
from .synthetic import _check_request, render_actions, render_faces
from .textured_faces import render_textured_faces

__all__ = ["KIND_CLASSES", "render_clips", "render_mixed_faces", "synthetic_requests", "make_synthetic_store"]

#: Class names per synthetic kind, in one-hot order.
KIND_CLASSES: dict[str, tuple[str, ...]] = {"faces": EXPRESSIONS, "actions": ACTIONS, "textured-faces": EXPRESSIONS,
                                             "mixed-faces": EXPRESSIONS}


def render_mixed_faces(identities, labels, image_size: int = 64, frames: int = 32, seed: int = 0,
                       clip_indices=None) -> np.ndarray:
    """Even identities as drawn faces, odd ones as textured faces, uint8 (N, T, H, W, 3), in the request's order."""
    identities, labels, clip_indices = _check_request(identities, labels, clip_indices, image_size, frames,
                                                      EXPRESSIONS)
    out = np.empty((len(identities), frames, image_size, image_size, 3), np.uint8)
    for textured, render in ((False, render_faces), (True, render_textured_faces)):
        rows = [n for n, identity in enumerate(identities) if bool(identity % 2) == textured]
        if rows:
            out[rows] = render([identities[n] for n in rows], [labels[n] for n in rows], image_size, frames,
                               seed, [clip_indices[n] for n in rows])
    return out


def render_clips(kind: str, identities, labels, image_size: int = 64, frames: int = 32,
                 seed: int = 0, clip_indices=None) -> np.ndarray:
    """Dispatch to the renderer of `kind` (a KIND_CLASSES key)."""
    renderers = {"faces": render_faces, "actions": render_actions, "textured-faces": render_textured_faces,
                 "mixed-faces": render_mixed_faces}
    if kind not in renderers:
        raise ValueError(f"unknown synthetic kind {kind!r}; use one of {', '.join(KIND_CLASSES)}")
    return renderers[kind](identities, labels, image_size, frames, seed, clip_indices)


def synthetic_requests(n_identities: int, n_classes: int, clips_per_identity: int | None = None):
    """(identity, label, clip_index) triples: `clips_per_identity` clips cycling over the classes."""
    per_identity = n_classes if clips_per_identity is None else int(clips_per_identity)
    return [(identity, j % n_classes, j // n_classes)
            for identity in range(n_identities) for j in range(per_identity)]


def make_synthetic_store(root, kind: str = "faces", n_identities: int = SYNTHETIC_IDENTITIES, image_size: int = 64,
                         frames: int = 32, seed: int = 0, clips_per_identity: int | None = None,
                         fractions=SPLIT_FRACTIONS, progress: bool = True, chunk: int = 64) -> Path:
    """Render a synthetic set and write it as a clip store at `root` (splits by identity).

    Default: one clip per class per identity. Returns the store path.
    """
    if kind not in KIND_CLASSES:
        raise ValueError(f"unknown synthetic kind {kind!r}; use one of {', '.join(KIND_CLASSES)}")
    classes = KIND_CLASSES[kind]
    splits = split_identities(n_identities, fractions, seed)
    split_of = {i: name for name, ids in splits.items() for i in ids}
    requests = synthetic_requests(n_identities, len(classes), clips_per_identity)
    description = (f"synthetic {kind}: {n_identities} identities, seed {seed}, "
                   f"{image_size}x{image_size}, {frames} frames")
    writer = StoreWriter(root, classes, image_size, source=description, resume=False,
                         extra_meta=dict(kind=f"synthetic-{kind}", seed=seed, frames=frames,
                                         n_identities=n_identities))
    with writer:
        for start in tqdm(range(0, len(requests), chunk), desc=f"render {kind}",
                          disable=not progress, unit="chunk"):
            part = requests[start:start + chunk]
            ids, labels, clips = zip(*part)
            videos = render_clips(kind, ids, labels, image_size, frames, seed, clips)
            for video, identity, label, clip in zip(videos, ids, labels, clips):
                writer.add(video, label, identity, source=f"{kind}/id{identity}/{classes[label]}/{clip}",
                           split=split_of[identity])
    return Path(root)
