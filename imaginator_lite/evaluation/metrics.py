"""Video metrics against ground truth (SSIM, PSNR, L1, error where the face moves), Frechet distance,
conditional accuracy and appearance retention: pure functions of tensors.

Frames are compared in [0, 1] (videos in [-1, 1] are mapped by (v + 1) / 2), data range 1.

PSNR here is PER FRAME: one MSE per (video, frame), PSNR = 10 log10(1 / MSE), then averaged over
frames and videos. The official ImaGINator code computes ONE MSE over the whole batch and converts
that to a single PSNR; because log is concave, that value is <= the mean of per-frame PSNRs and it
depends on the batch composition. `official_psnr` reproduces it for comparison.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch
from einops import rearrange
from pytorch_msssim import ssim as _ms_ssim

#: PSNR reported for a frame identical to its reference (MSE 0 would be +inf).
PSNR_CAP_DB = 100.0


def to_unit(video: torch.Tensor) -> torch.Tensor:
    """[-1, 1] -> [0, 1] (clamped)."""
    return ((video.float() + 1.0) / 2.0).clamp(0.0, 1.0)


def _frames(video: torch.Tensor) -> torch.Tensor:
    """(B,3,T,H,W) -> (B*T,3,H,W)."""
    if video.dim() != 5:
        raise ValueError(f"expected videos (B, 3, T, H, W), got shape {tuple(video.shape)}")
    return rearrange(video, "b c t h w -> (b t) c h w")


def _check_pair(fake: torch.Tensor, real: torch.Tensor) -> None:
    if fake.shape != real.shape:
        raise ValueError(f"videos differ in shape: {tuple(fake.shape)} vs {tuple(real.shape)}")


def ssim_per_frame(fake: torch.Tensor, real: torch.Tensor, win_size: int = 11) -> torch.Tensor:
    """SSIM of every frame (Gaussian window 11, sigma 1.5, data range 1): videos (B,3,T,H,W) in [-1,1] -> (B,T)."""
    _check_pair(fake, real)
    b, t = fake.shape[0], fake.shape[2]
    win = min(win_size, fake.shape[-1] - (1 - fake.shape[-1] % 2))  # odd and <= frame size
    values = _ms_ssim(_frames(to_unit(fake)), _frames(to_unit(real)), data_range=1.0,
                      size_average=False, win_size=win)
    return values.reshape(b, t)


def psnr_per_frame(fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """PSNR in dB of every frame, one MSE per frame: (B,3,T,H,W) in [-1,1] -> (B,T); capped at 100 dB."""
    _check_pair(fake, real)
    mse = (to_unit(fake) - to_unit(real)).pow(2).mean(dim=(1, 3, 4))
    psnr = 10.0 * torch.log10(1.0 / mse.clamp_min(1e-30))
    return psnr.clamp(max=PSNR_CAP_DB)


def official_psnr(fake: torch.Tensor, real: torch.Tensor) -> float:
    """The official code's PSNR: ONE MSE over the whole batch (all videos, frames, pixels), then 10 log10(1/MSE)."""
    _check_pair(fake, real)
    return psnr_from_mse(float((to_unit(fake) - to_unit(real)).pow(2).mean()))


def psnr_from_mse(mse: float) -> float:
    """10 log10(1 / mse) in dB for frames in [0, 1], capped at PSNR_CAP_DB (identical frames)."""
    return PSNR_CAP_DB if mse == 0 else min(PSNR_CAP_DB, 10.0 * np.log10(1.0 / mse))


def l1_per_video(fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """Mean absolute error in [-1,1] units per video: (B,3,T,H,W) -> (B,)."""
    _check_pair(fake, real)
    return (fake.float() - real.float()).abs().mean(dim=(1, 2, 3, 4))


def motion_l1_per_video(fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """L1 between predicted and true motion, (video - its own first frame), per video: (B,3,T,H,W) -> (B,).

    It ignores a constant appearance error (a slightly blurred but correctly moving face scores
    well); copying the input frame scores the mean true motion magnitude.
    """
    _check_pair(fake, real)
    fake_motion = fake.float() - fake[:, :, :1].float()
    real_motion = real.float() - real[:, :, :1].float()
    return (fake_motion - real_motion).abs().mean(dim=(1, 2, 3, 4))


def motion_energy(videos: torch.Tensor) -> torch.Tensor:
    """How much each video moves: the mean |x_t - x_0| over channels, frames 1..T-1 and pixels, in [-1,1]
    units; (B,3,T,H,W) -> (B,). A still video scores 0 (a copy of its input frame)."""
    if videos.dim() != 5 or videos.shape[1] != 3 or videos.shape[2] < 2:
        raise ValueError(f"videos must be (B, 3, T>=2, H, W), got shape {tuple(videos.shape)}")
    return (videos[:, :, 1:].float() - videos[:, :, :1].float()).abs().mean(dim=(1, 2, 3, 4))


#: A pixel "moves" when some channel differs from the clip's first frame by more than this ([-1,1] units).
MOVING_THRESHOLD = 0.1


def moving_region_error(fake: torch.Tensor, real: torch.Tensor,
                        threshold: float = MOVING_THRESHOLD) -> tuple[float, int]:
    """(sum of |fake - real| over moving pixels and channels, number of such pixel-channels).

    Moving pixels are where the TRUE video differs from its first frame (any channel > threshold):
    the expression itself, where copying the input frame is wrong by construction.
    """
    _check_pair(fake, real)
    mask = ((real.float() - real[:, :, :1].float()).abs().amax(dim=1, keepdim=True) > threshold)
    mask = mask.expand_as(real)
    return float((fake.float() - real.float()).abs()[mask].sum()), int(mask.sum())


def appearance_retention(image: torch.Tensor, video: torch.Tensor) -> torch.Tensor:
    """Mean SSIM between the input image (B,3,H,W) and each frame of the video (B,3,T,H,W) -> (B,).

    High means the identity/appearance of the input survives; compare with the same number for the
    ground-truth video (motion itself lowers it, so ground truth is the reference, not 1).
    """
    t = video.shape[2]
    repeated = image[:, :, None].expand(-1, -1, t, -1, -1)
    return ssim_per_frame(video, repeated).mean(dim=1)


# ----------------------------------------------------------------------------- Frechet distance

def _sqrtm_psd(matrix: np.ndarray) -> np.ndarray:
    """Symmetric PSD square root by eigen-decomposition (negative round-off eigenvalues clipped to 0)."""
    sym = (matrix + matrix.T) / 2.0
    w, v = np.linalg.eigh(sym)
    return (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T


def frechet_distance_from_stats(mu1: np.ndarray, cov1: np.ndarray, mu2: np.ndarray, cov2: np.ndarray) -> float:
    """|mu1-mu2|^2 + tr(C1) + tr(C2) - 2 tr((C1^1/2 C2 C1^1/2)^1/2), computed stably in float64."""
    mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
    cov1, cov2 = np.atleast_2d(np.asarray(cov1, np.float64)), np.atleast_2d(np.asarray(cov2, np.float64))
    root1 = _sqrtm_psd(cov1)
    cross = _sqrtm_psd(root1 @ cov2 @ root1)
    value = float(np.sum((mu1 - mu2) ** 2) + np.trace(cov1) + np.trace(cov2) - 2.0 * np.trace(cross))
    return max(value, 0.0)


def feature_stats(features: np.ndarray | torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """Mean (F,) and covariance (F,F) of features (N,F) (unbiased; zero covariance if N == 1)."""
    f = torch.as_tensor(features).detach().double().cpu().numpy() if torch.is_tensor(features) else np.asarray(features, np.float64)
    if f.ndim != 2 or f.shape[0] < 1:
        raise ValueError(f"features must be (N, F) with N >= 1, got shape {f.shape}")
    cov = np.cov(f, rowvar=False) if f.shape[0] > 1 else np.zeros((f.shape[1], f.shape[1]))
    return f.mean(axis=0), np.atleast_2d(cov)


def frechet_distance(features1: np.ndarray | torch.Tensor, features2: np.ndarray | torch.Tensor) -> float:
    """Frechet distance between Gaussians fitted to two feature sets (N1,F) and (N2,F)."""
    return frechet_distance_from_stats(*feature_stats(features1), *feature_stats(features2))


# ----------------------------------------------------------------------------- classifier metrics

@torch.no_grad()
def conditional_accuracy(classifier: Callable[[torch.Tensor], torch.Tensor], videos: torch.Tensor,
                         labels: torch.Tensor) -> float:
    """Fraction of generated videos (B,3,T,H,W) that `classifier` assigns to the requested labels (B,)."""
    return correct_count(classifier(videos), labels) / len(labels)


def correct_count(logits: torch.Tensor, labels: torch.Tensor) -> int:
    """How many rows of logits (B,n) have their argmax at the requested label (B,)."""
    return int((logits.argmax(dim=1).cpu() == torch.as_tensor(labels).cpu()).sum())
