"""Video metrics against ground truth (SSIM, PSNR, L1), Frechet distance, conditional accuracy,
appearance retention, and `evaluate` over held-out identities (with two simple baselines).

Frames are compared in [0, 1] (videos in [-1, 1] are mapped by (v + 1) / 2), data range 1.

PSNR here is PER FRAME: one MSE per (video, frame), PSNR = 10 log10(1 / MSE), then averaged over
frames and videos. The official ImaGINator code computes ONE MSE over the whole batch and converts
that to a single PSNR; because log is concave, that value is <= the mean of per-frame PSNRs and it
depends on the batch composition. `official_psnr` reproduces it for comparison.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

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
    mse = float((to_unit(fake) - to_unit(real)).pow(2).mean())
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
    logits = classifier(videos)
    return float((logits.argmax(dim=1).cpu() == torch.as_tensor(labels).cpu()).float().mean())


# ----------------------------------------------------------------------------- predictors and evaluation

Predictor = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]
"""predict(first_frames (B,3,H,W), labels (B,), z (B,dim_z) or None) -> videos (B,3,T,H,W)."""


def copy_frame_predictor(frames: int) -> Predictor:
    """Baseline (a): repeat the input image as every frame (no motion at all)."""
    def predict(image, labels, z=None):
        return image[:, :, None].expand(-1, -1, frames, -1, -1).contiguous()
    return predict


@torch.no_grad()
def class_mean_residuals(dataset: Any, n_classes: int, batch_size: int = 64,
                         relative: bool = True) -> torch.Tensor:
    """Mean of (video - its first frame) per class over `dataset` (training clips): (n_classes,3,T,H,W).

    relative=False: the plain mean video of each class instead.
    """
    from .training import ordered_batches

    total = count = None
    rng = np.random.default_rng(0)
    for videos, labels in ordered_batches(dataset, batch_size, rng):
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
    """Baseline (b): input image + the training set's mean motion residual of the requested class."""
    def predict(image, labels, z=None):
        return (image[:, :, None] + residuals[labels.cpu()].to(image.device)).clamp(-1, 1)
    return predict


def class_mean_video_predictor(mean_videos: torch.Tensor) -> Predictor:
    """Baseline (c): the training set's mean video of the requested class, ignoring the input image."""
    def predict(image, labels, z=None):
        return mean_videos[labels.cpu()].to(image.device)
    return predict


def generator_predictor(G: torch.nn.Module) -> Predictor:
    """The model: G(image, z, label) in eval mode."""
    def predict(image, labels, z):
        G.eval()
        return G(image, z, labels).float()
    return predict


@torch.no_grad()
def evaluate_predictor(predict: Predictor, dataset: Any, *, dim_z: int = 1, feature_net: torch.nn.Module | None = None,
                       batch_size: int = 32, seed: int = 0, device: str | torch.device = "cpu",
                       keep_features: bool = False) -> dict[str, Any]:
    """Metrics of `predict` on every clip of `dataset` (first frame + true label -> compare to the clip).

    Returns ssim, psnr (per-frame means), psnr_official (one batch MSE over all clips), l1, motion_l1,
    moving_l1 (L1 over pixels that move in the true clip) and moving_fraction,
    appearance_ssim (and appearance_ssim_real for ground truth), and with a feature_net:
    fd (real vs generated features), conditional_accuracy, real_accuracy.
    """
    from .classifier import extract_features
    from .training import ordered_batches

    device = torch.device(device)
    window_rng = np.random.default_rng(seed)
    noise_gen = torch.Generator().manual_seed(seed)
    sums: dict[str, float] = {k: 0.0 for k in ("ssim", "psnr", "l1", "motion_l1", "appearance_ssim",
                                               "appearance_ssim_real",
                                               "sq_err", "pixels", "cond_correct", "real_correct",
                                               "moving_err", "moving_n")}
    per_frame_ssim = None
    feats_real, feats_fake = [], []
    n = 0
    for real, labels in ordered_batches(dataset, batch_size, window_rng):
        z = torch.randn(len(labels), dim_z, generator=noise_gen)
        image = real[:, :, 0]
        fake = predict(image.to(device), labels.to(device), z.to(device)).float().cpu()
        ssim = ssim_per_frame(fake, real)
        sums["ssim"] += float(ssim.mean(1).sum())
        per_frame_ssim = ssim.sum(0) if per_frame_ssim is None else per_frame_ssim + ssim.sum(0)
        sums["psnr"] += float(psnr_per_frame(fake, real).mean(1).sum())
        sums["l1"] += float(l1_per_video(fake, real).sum())
        sums["motion_l1"] += float(motion_l1_per_video(fake, real).sum())
        err, count = moving_region_error(fake, real)
        sums["moving_err"] += err
        sums["moving_n"] += count
        sums["appearance_ssim"] += float(appearance_retention(image, fake).sum())
        sums["appearance_ssim_real"] += float(appearance_retention(image, real).sum())
        sums["sq_err"] += float((to_unit(fake) - to_unit(real)).double().pow(2).sum())
        sums["pixels"] += fake.numel()
        if feature_net is not None:
            f_real, l_real = extract_features(feature_net, real.to(device))
            f_fake, l_fake = extract_features(feature_net, fake.to(device))
            feats_real.append(f_real.cpu())
            feats_fake.append(f_fake.cpu())
            sums["cond_correct"] += float((l_fake.argmax(1).cpu() == labels).sum())
            sums["real_correct"] += float((l_real.argmax(1).cpu() == labels).sum())
        n += len(labels)
    if n == 0:
        raise ValueError("the evaluation dataset is empty")
    mse = sums["sq_err"] / sums["pixels"]
    out: dict[str, Any] = {
        "clips": n,
        "ssim": sums["ssim"] / n,
        "psnr": sums["psnr"] / n,
        "psnr_official": PSNR_CAP_DB if mse == 0 else min(PSNR_CAP_DB, 10 * np.log10(1 / mse)),
        "l1": sums["l1"] / n,
        "motion_l1": sums["motion_l1"] / n,
        "moving_l1": sums["moving_err"] / max(sums["moving_n"], 1),
        "moving_fraction": sums["moving_n"] / sums["pixels"],
        "appearance_ssim": sums["appearance_ssim"] / n,
        "appearance_ssim_real": sums["appearance_ssim_real"] / n,
        "ssim_per_frame": (per_frame_ssim / n).tolist(),
    }
    if feature_net is not None:
        real_f, fake_f = torch.cat(feats_real), torch.cat(feats_fake)
        out["fd"] = frechet_distance(real_f, fake_f)
        out["conditional_accuracy"] = sums["cond_correct"] / n
        out["real_accuracy"] = sums["real_correct"] / n
        if keep_features:
            out["features_real"], out["features_fake"] = real_f, fake_f
    return out


def evaluate(G: torch.nn.Module, dataset: Any, *, feature_net: torch.nn.Module | None = None,
             batch_size: int = 32, seed: int = 0, device: str | torch.device | None = None) -> dict[str, Any]:
    """Evaluate a Generator on a held-out split: first frame + true label -> compare to the true clip."""
    device = device or next(G.parameters()).device
    if feature_net is not None:
        feature_net = feature_net.to(device).eval()
    return evaluate_predictor(generator_predictor(G), dataset, dim_z=G.cfg.dim_z, feature_net=feature_net,
                              batch_size=batch_size, seed=seed, device=device)


def evaluate_with_baselines(G: torch.nn.Module, dataset: Any, train_dataset: Any, *,
                            feature_net: torch.nn.Module | None = None, batch_size: int = 32,
                            seed: int = 0) -> dict[str, dict[str, Any]]:
    """{'model', 'copy_first_frame', 'class_mean_video', 'class_mean_motion'} -> metrics, on the same clips.

    class_mean_video = the mean training video of the requested class (ignores the input);
    class_mean_motion = input frame + mean (video - first frame) of the requested class (stronger).
    """
    device = next(G.parameters()).device
    residuals = class_mean_residuals(train_dataset, G.cfg.n_classes)
    mean_videos = class_mean_residuals(train_dataset, G.cfg.n_classes, relative=False)
    common = dict(feature_net=feature_net, batch_size=batch_size, seed=seed, device=device)
    return {
        "model": evaluate(G, dataset, **common),
        "copy_first_frame": evaluate_predictor(copy_frame_predictor(G.cfg.frames), dataset, **common),
        "class_mean_video": evaluate_predictor(class_mean_video_predictor(mean_videos), dataset, **common),
        "class_mean_motion": evaluate_predictor(class_mean_predictor(residuals), dataset, **common),
    }


def summary_table(results: Mapping[str, Mapping[str, Any]],
                  keys: tuple[str, ...] = ("l1", "ssim", "psnr", "moving_l1", "motion_l1", "fd", "conditional_accuracy",
                                           "appearance_ssim")) -> str:
    """A plain-text table: one row per method, one column per metric."""
    keys = tuple(k for k in keys if any(k in r for r in results.values()))
    header = f"{'method':18s}" + "".join(f"{k:>{max(10, len(k) + 2)}s}" for k in keys)
    rows = [header, "-" * len(header)]
    for name, r in results.items():
        rows.append(f"{name:18s}" + "".join(f"{r[k]:>{max(10, len(k) + 2)}.4f}" if k in r
                                             else f"{'-':>{max(10, len(k) + 2)}s}" for k in keys))
    return "\n".join(rows)
