"""Predictors: the model and the three baselines it must beat, all with one signature.

predict(first_frames (B,3,H,W), labels (B,), z (B,dim_z) or None) -> videos (B,3,T,H,W) in [-1,1].
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
import torch

from ..data.batching import ordered_batches

Predictor = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]

#: What each baseline does, as metrics.json and the notebooks describe it.
BASELINES = {
    "copy_first_frame": "the input image repeated as every frame",
    "class_mean_video": "the mean training video of the requested class (ignores the input image)",
    "class_mean_motion": "input image + mean (video - first frame) of the requested class over training clips",
}


def copy_frame_predictor(frames: int) -> Predictor:
    """Baseline: repeat the input image as every frame (no motion at all)."""
    def predict(image, labels, z=None):
        return image[:, :, None].expand(-1, -1, frames, -1, -1).contiguous()
    return predict


@torch.no_grad()
def class_mean_residuals(dataset: Any, n_classes: int, batch_size: int = 64,
                         relative: bool = True) -> torch.Tensor:
    """Mean of (video - its first frame) per class over `dataset` (training clips): (n_classes,3,T,H,W).

    relative=False: the plain mean video of each class instead.
    """
    total = count = None
    for videos, labels in ordered_batches(dataset, batch_size, np.random.default_rng(0)):
        residual = videos - videos[:, :, :1] if relative else videos
        if total is None:
            total = torch.zeros((n_classes,) + residual.shape[1:], dtype=torch.float64)
            count = torch.zeros(n_classes, dtype=torch.float64)
        total.index_add_(0, labels, residual.double())
        count += torch.bincount(labels, minlength=n_classes).double()
    if total is None:
        raise ValueError("cannot compute class means of an empty dataset")
    return (total / count.clamp_min(1)[:, None, None, None, None]).float()


def class_mean_predictor(residuals: torch.Tensor) -> Predictor:
    """Baseline: input image + the training set's mean motion residual of the requested class."""
    def predict(image, labels, z=None):
        return (image[:, :, None] + residuals[labels.cpu()].to(image.device)).clamp(-1, 1)
    return predict


def class_mean_video_predictor(mean_videos: torch.Tensor) -> Predictor:
    """Baseline: the training set's mean video of the requested class, ignoring the input image."""
    def predict(image, labels, z=None):
        return mean_videos[labels.cpu()].to(image.device)
    return predict


def generator_predictor(G: torch.nn.Module) -> Predictor:
    """The model: G(image, z, label) in eval mode."""
    def predict(image, labels, z):
        G.eval()
        return G(image, z, labels).float()
    return predict


def baseline_predictors(train_dataset: Any, n_classes: int, frames: int) -> dict[str, Predictor]:
    """The three baselines of BASELINES, their class means taken over `train_dataset`."""
    return {
        "copy_first_frame": copy_frame_predictor(frames),
        "class_mean_video": class_mean_video_predictor(class_mean_residuals(train_dataset, n_classes, relative=False)),
        "class_mean_motion": class_mean_predictor(class_mean_residuals(train_dataset, n_classes)),
    }
