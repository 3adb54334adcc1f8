"""Evaluate a predictor (the model or a baseline) on every clip of a held-out split.

Each clip's first frame and true label go in; the prediction is compared with the true clip.
`evaluate_with_baselines` runs the model and the three baselines on the same clips.
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import torch

from ..data.batching import ordered_batches
from .baselines import Predictor, baseline_predictors, generator_predictor
from .classifier import extract_features
from .metric_registry import TABLE
from .metrics import (
    appearance_retention,
    correct_count,
    frechet_distance,
    l1_per_video,
    motion_l1_per_video,
    moving_region_error,
    psnr_from_mse,
    psnr_per_frame,
    ssim_per_frame,
    to_unit,
)
from .photo_motion import sharpness


def temporal_jitter(video: torch.Tensor) -> torch.Tensor:
    """Mean |x[t+1] - 2 x[t] + x[t-1]| per clip (B,) of videos (B,3,T,H,W) in [-1,1]: the second temporal difference,
    small for a smooth motion (and for none), large when frames flicker, e.g. when each is rendered on its own."""
    return (video[:, :, 2:] - 2 * video[:, :, 1:-1] + video[:, :, :-2]).abs().mean(dim=(1, 2, 3, 4))


class _Sums:
    """Running sums of the per-clip metrics over batches of (fake, real) videos (B,3,T,H,W)."""

    def __init__(self, feature_net: torch.nn.Module | None, device: torch.device) -> None:
        self.feature_net, self.device = feature_net, device
        self.sums = dict.fromkeys(("ssim", "psnr", "l1", "motion_l1", "appearance_ssim", "appearance_ssim_real",
                                   "kept_detail", "kept_detail_real", "jitter", "jitter_real", "sq_err", "pixels", "cond_correct", "real_correct", "moving_err",
                                   "moving_n"), 0.0)
        self.per_frame_ssim = None
        self.feats_real: list[torch.Tensor] = []
        self.feats_fake: list[torch.Tensor] = []
        self.n = 0

    def add(self, fake: torch.Tensor, real: torch.Tensor, labels: torch.Tensor) -> None:
        s, image = self.sums, real[:, :, 0]
        ssim = ssim_per_frame(fake, real)
        s["ssim"] += float(ssim.mean(1).sum())
        self.per_frame_ssim = ssim.sum(0) if self.per_frame_ssim is None else self.per_frame_ssim + ssim.sum(0)
        s["psnr"] += float(psnr_per_frame(fake, real).mean(1).sum())
        s["l1"] += float(l1_per_video(fake, real).sum())
        s["motion_l1"] += float(motion_l1_per_video(fake, real).sum())
        err, count = moving_region_error(fake, real)
        s["moving_err"] += err
        s["moving_n"] += count
        s["appearance_ssim"] += float(appearance_retention(image, fake).sum())
        s["appearance_ssim_real"] += float(appearance_retention(image, real).sum())
        # blur: the frames' detail as a share of the input image's (notebook 07's kept detail), per clip
        image_detail = sharpness(image[:, :, None]).clamp_min(1e-12)
        s["kept_detail"] += float((sharpness(fake) / image_detail).sum())
        s["kept_detail_real"] += float((sharpness(real) / image_detail).sum())
        s["jitter"] += float(temporal_jitter(fake).sum())  # flicker: frames that do not follow from each other
        s["jitter_real"] += float(temporal_jitter(real).sum())
        s["sq_err"] += float((to_unit(fake) - to_unit(real)).double().pow(2).sum())
        s["pixels"] += fake.numel()
        if self.feature_net is not None:
            f_real, l_real = extract_features(self.feature_net, real.to(self.device))
            f_fake, l_fake = extract_features(self.feature_net, fake.to(self.device))
            self.feats_real.append(f_real.cpu())
            self.feats_fake.append(f_fake.cpu())
            s["cond_correct"] += correct_count(l_fake, labels)
            s["real_correct"] += correct_count(l_real, labels)
        self.n += len(labels)

    def result(self, keep_features: bool = False) -> dict[str, Any]:
        s, n = self.sums, self.n
        if n == 0:
            raise ValueError("the evaluation dataset is empty")
        out: dict[str, Any] = {
            "clips": n, "ssim": s["ssim"] / n, "psnr": s["psnr"] / n,
            "psnr_official": psnr_from_mse(s["sq_err"] / s["pixels"]),
            "l1": s["l1"] / n, "motion_l1": s["motion_l1"] / n,
            "moving_l1": s["moving_err"] / max(s["moving_n"], 1), "moving_fraction": s["moving_n"] / s["pixels"],
            "appearance_ssim": s["appearance_ssim"] / n, "appearance_ssim_real": s["appearance_ssim_real"] / n,
            "kept_detail": s["kept_detail"] / n, "kept_detail_real": s["kept_detail_real"] / n,
            "jitter": s["jitter"] / n, "jitter_real": s["jitter_real"] / n,
            "ssim_per_frame": (self.per_frame_ssim / n).tolist(),
        }
        if self.feature_net is not None:
            real_f, fake_f = torch.cat(self.feats_real), torch.cat(self.feats_fake)
            out["fd"] = frechet_distance(real_f, fake_f)
            out["fd_clips"], out["fd_dims"] = int(real_f.shape[0]), int(real_f.shape[1])
            out["conditional_accuracy"] = s["cond_correct"] / n
            out["real_accuracy"] = s["real_correct"] / n
            if keep_features:
                out["features_real"], out["features_fake"] = real_f, fake_f
        return out


@torch.no_grad()
def frame_measures(videos: torch.Tensor, images: torch.Tensor) -> dict[str, Any]:
    """The paper's three claims frame by frame (notebook 08), means over the clips: appearance_ssim[t] (SSIM of frame
    t to the input image), kept_detail[t] (its sharpness over the input's), change[t] (mean |frame t - frame t-1|, 0
    at t = 0), and jitter (mean |second temporal difference|: little for a smooth motion). videos (B,3,T,H,W),
    images (B,3,H,W), both in [-1, 1]."""
    t = videos.shape[2]
    appearance = ssim_per_frame(videos, images[:, :, None].expand(-1, -1, t, -1, -1)).mean(0)
    image_detail = sharpness(images[:, :, None]).clamp_min(1e-12)
    detail = torch.stack([(sharpness(videos[:, :, i:i + 1]) / image_detail).mean() for i in range(t)])
    change = torch.cat([torch.zeros(1), (videos[:, :, 1:] - videos[:, :, :-1]).abs().mean(dim=(0, 1, 3, 4))])
    jitter = temporal_jitter(videos).mean()
    return {"appearance_ssim": appearance.tolist(), "kept_detail": detail.tolist(), "change": change.tolist(),
            "jitter": float(jitter)}


@torch.no_grad()
def evaluate_predictor(predict: Predictor, dataset: Any, *, dim_z: int = 1, feature_net: torch.nn.Module | None = None,
                       batch_size: int = 32, seed: int = 0, device: str | torch.device = "cpu",
                       keep_features: bool = False) -> dict[str, Any]:
    """Metrics of `predict` on every clip of `dataset` (first frame + true label -> compare to the clip).

    Returns ssim, psnr (per-frame means, capped at 100 dB for identical frames), psnr_official (one
    MSE over all clips), l1, motion_l1, moving_l1 (L1 over pixels that move in the true clip) and
    moving_fraction, appearance_ssim, kept_detail (the frames' sharpness over the input image's) and jitter
    (temporal_jitter), each also for the ground truth as *_real, and with a
    feature_net: fd (with fd_clips and fd_dims), conditional_accuracy, real_accuracy.
    """
    device = torch.device(device)
    noise_gen = torch.Generator().manual_seed(seed)
    sums = _Sums(feature_net, device)
    for real, labels in ordered_batches(dataset, batch_size, np.random.default_rng(seed)):
        z = torch.randn(len(labels), dim_z, generator=noise_gen)
        fake = predict(real[:, :, 0].to(device), labels.to(device), z.to(device)).float().cpu()
        sums.add(fake, real, labels)
    return sums.result(keep_features)


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
    """{'model', 'copy_first_frame', 'class_mean_video', 'class_mean_motion'} -> metrics, on the same clips."""
    device = next(G.parameters()).device
    baselines = baseline_predictors(train_dataset, G.cfg.n_classes, G.cfg.frames)
    common = dict(feature_net=feature_net, batch_size=batch_size, seed=seed, device=device)
    results = {"model": evaluate(G, dataset, **common)}
    for name, predict in baselines.items():
        results[name] = evaluate_predictor(predict, dataset, **common)
    return results


def summary_table(results: Mapping[str, Mapping[str, Any]],
                  keys: tuple[str, ...] = TABLE) -> str:
    """A plain-text table: one row per method, one column per metric."""
    keys = tuple(k for k in keys if any(k in r for r in results.values()))
    width = max([18] + [len(name) + 1 for name in results])
    header = f"{'method':{width}s}" + "".join(f"{k:>{max(10, len(k) + 2)}s}" for k in keys)
    rows = [header, "-" * len(header)]
    for name, r in results.items():
        rows.append(f"{name:{width}s}" + "".join(f"{r[k]:>{max(10, len(k) + 2)}.4f}" if k in r
                                             else f"{'-':>{max(10, len(k) + 2)}s}" for k in keys))
    return "\n".join(rows)
