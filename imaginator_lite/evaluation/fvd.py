"""FVD with the field's protocol: the Frechet distance between I3D features of real and generated clips.

The detector is the TorchScript I3D of StyleGAN-V (`i3d_torchscript.pt`, also used by Latte, LFDM and
others), called as `detector(videos_uint8 (B,3,T,H,W), rescale=True, resize=True, return_features=True)`
-> (B, 400) features. Nothing is downloaded: pass the file you fetched yourself. Two FVDs are comparable
only with the same detector (its sha256 is recorded), clip count, clip length and resolution.

FVD here: all test clips against one generated clip per test clip (same first frame and label, noise from
a sampling seed), repeated over `repeats` seeds -> mean and std; per-class FVD is the mean over classes
of the FVD between the clips of that class.
"""
from __future__ import annotations

import os
import warnings
import zipfile
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
from tqdm.auto import tqdm

from ..atomic import sha256_of
from .metrics import frechet_distance

__all__ = ["load_fvd_detector", "detector_features", "fvd_between", "fvd_of_generator"]

DETECTOR_CALL = "detector(videos_uint8 (B,3,T,H,W), rescale=True, resize=True, return_features=True)"
WHERE_TO_GET_IT = ("the I3D detector of StyleGAN-V (i3d_torchscript.pt, linked from "
                   "github.com/universome/stylegan-v, src/scripts/calc_metrics_for_dataset.py)")


def load_fvd_detector(path: str | os.PathLike, device: str | torch.device = "cpu") -> torch.jit.ScriptModule:
    """The TorchScript detector at `path` in eval mode, with `.info` = {source, sha256}; a clear error for
    a missing file, a file that is not TorchScript, or a module without the detector's call signature."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"FVD detector {path} not found; download {WHERE_TO_GET_IT} and pass its path")
    if not (zipfile.is_zipfile(path) and any(n.endswith("constants.pkl") for n in zipfile.ZipFile(path).namelist())):
        raise ValueError(f"{path} is not a TorchScript file; --fvd-detector needs {WHERE_TO_GET_IT}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        detector = torch.jit.load(str(path), map_location=device).eval()
    probe = torch.zeros(2, 3, 16, 32, 32, dtype=torch.uint8, device=device)
    try:
        with torch.no_grad():
            out = detector(probe, rescale=True, resize=True, return_features=True)
    except Exception as exc:  # noqa: BLE001 - any failure means the wrong kind of module
        raise ValueError(f"{path} is TorchScript but cannot be called as {DETECTOR_CALL} "
                         f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}); "
                         f"FVD needs {WHERE_TO_GET_IT}") from exc
    if not (torch.is_tensor(out) and out.dim() == 2 and out.shape[0] == 2):
        shape = tuple(out.shape) if torch.is_tensor(out) else type(out).__name__
        raise ValueError(f"{path} returned {shape} for 2 clips; an FVD detector returns features (B, D)")
    detector.info = {"source": str(path), "sha256": sha256_of(path), "feature_dim": int(out.shape[1])}
    return detector


def to_uint8_videos(videos: torch.Tensor) -> torch.Tensor:
    """Videos (B,3,T,H,W) in [-1,1] -> uint8 in [0,255], the detector's input."""
    return ((videos.float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)


@torch.no_grad()
def detector_features(detector: Callable, videos: torch.Tensor, batch_size: int = 16) -> np.ndarray:
    """Features (N, D) float64 of videos (N,3,T,H,W) in [-1,1], in batches."""
    device = next(iter(detector.parameters()), torch.empty(0)).device if hasattr(detector, "parameters") else "cpu"
    out = []
    for start in range(0, len(videos), batch_size):
        clip = to_uint8_videos(videos[start:start + batch_size]).to(device)
        out.append(detector(clip, rescale=True, resize=True, return_features=True).double().cpu())
    return torch.cat(out).numpy()


def fvd_from_features(real: np.ndarray, fake: np.ndarray, labels: np.ndarray, classes: int) -> tuple[float, float]:
    """(FVD, per-class FVD) from detector features (N, D) of real and generated clips with labels (N,): the
    per-class value is the mean over classes with at least two clips."""
    per_class = [frechet_distance(real[labels == c], fake[labels == c]) for c in range(classes)
                 if (labels == c).sum() > 1]
    return frechet_distance(real, fake), float(np.mean(per_class)) if per_class else float("nan")


def fvd_between(detector: Callable, real: torch.Tensor, fake: torch.Tensor, labels: torch.Tensor,
                classes: int) -> tuple[float, float]:
    """(FVD, per-class FVD) of two sets of videos (N,3,T,H,W) in [-1,1] with labels (N,)."""
    return fvd_from_features(detector_features(detector, real), detector_features(detector, fake),
                             torch.as_tensor(labels).numpy(), classes)


@torch.no_grad()
def fvd_of_generator(G: torch.nn.Module, dataset: Any, detector: Callable, repeats: int = 3, batch_size: int = 16,
                     progress: bool = True) -> dict[str, Any]:
    """FVD and per-class FVD of G on every clip of `dataset` (its first frame and label), mean and std over
    `repeats` sampling seeds (0..repeats-1), with the clip and frame counts beside them."""

    if repeats < 1:
        raise ValueError(f"fvd repeats must be >= 1 (got {repeats})")
    if len(dataset) < 2:
        raise ValueError(f"FVD needs at least 2 clips, the split has {len(dataset)}")
    device = next(G.parameters()).device
    G.eval()
    chunks = [list(range(s, min(s + batch_size, len(dataset)))) for s in range(0, len(dataset), batch_size)]
    batches = [dataset.get_batch(chunk) for chunk in chunks]
    labels = torch.cat([y for _, y in batches]).numpy()
    real = np.concatenate([detector_features(detector, x, batch_size) for x, _ in batches])
    values, per_class = [], []
    for seed in tqdm(range(repeats), desc="FVD", unit="seed", disable=not progress):
        noise = torch.Generator().manual_seed(seed)
        fake = []
        for x, y in batches:
            z = torch.randn(len(y), G.cfg.dim_z, generator=noise)
            video = G(x[:, :, 0].to(device), z.to(device), y.to(device)).float().cpu()
            fake.append(detector_features(detector, video, batch_size))
        overall, by_class = fvd_from_features(real, np.concatenate(fake), labels, G.cfg.n_classes)
        values.append(overall)
        per_class.append(by_class)
    x0 = batches[0][0]
    return {
        "detector": dict(getattr(detector, "info", {})),
        "fvd": {"mean": float(np.mean(values)), "std": float(np.std(values)), "values": values},
        "per_class_fvd": {"mean": float(np.mean(per_class)), "std": float(np.std(per_class)), "values": per_class},
        "repeats": repeats, "seeds": list(range(repeats)),
        "real_clips": len(real), "generated_clips_per_repeat": len(real),
        "frames": int(x0.shape[2]), "resolution": f"{x0.shape[3]}x{x0.shape[4]}",
        "note": "comparable only with the same detector (sha256), clip count, clip length and resolution",
    }
