"""A small 3D-conv video classifier: the default feature network for FD and conditional accuracy.

Pretrained I3D/Inception weights cannot be downloaded here, so the package trains this network on
the training split of a clip store (seconds to a minute on CPU) and caches it on disk, keyed by
the store's meta.json, the clip length and the classifier settings.
"""
from __future__ import annotations

import hashlib
import json
import os
import warnings
import zipfile
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from ..atomic import sha256_of, torch_save
from ..data.batching import BatchReader, EpochSampler, ordered_batches
from ..data.store import ClipDataset
from ..defaults import JUDGE_EPOCHS, JUDGE_MIN_STEPS, JUDGE_WIDTH

CLASSIFIER_FORMAT = "imaginator-lite-classifier/1"


class VideoClassifier(nn.Module):
    """video (B,3,T,H,W) in [-1,1] -> logits (B,n_classes); `features(video)` -> (B, 4*width)."""

    def __init__(self, n_classes: int, width: int = JUDGE_WIDTH) -> None:
        super().__init__()
        self.n_classes, self.width = n_classes, width

        def block(i, o, stride):
            return [nn.Conv3d(i, o, 3, stride, 1, bias=False), nn.BatchNorm3d(o), nn.ReLU(inplace=True)]

        self.body = nn.Sequential(*block(3, width, (1, 2, 2)), *block(width, 2 * width, 2),
                                  *block(2 * width, 4 * width, 2), *block(4 * width, 4 * width, 2),
                                  nn.AdaptiveAvgPool3d(1), nn.Flatten())
        self.head = nn.Linear(4 * width, n_classes)

    def features(self, video: torch.Tensor) -> torch.Tensor:
        """Pooled features (B, 4*width) that FD is computed on."""
        return self.body(video)

    def forward(self, video: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(video))


def save_classifier(model: VideoClassifier, path: str | os.PathLike, info: dict | None = None) -> Path:
    """Write a classifier file (format tag, sizes, weights, info) atomically."""
    path = Path(path)
    torch_save({"format": CLASSIFIER_FORMAT, "n_classes": model.n_classes, "width": model.width,
                  "state_dict": model.state_dict(), "info": dict(info or {})}, path)
    return path


def load_feature_net(path: str | os.PathLike, device: str | torch.device = "cpu") -> nn.Module:
    """A user-supplied feature network: our classifier file, or a TorchScript module.

    A TorchScript module must map video (B,3,T,H,W) in [-1,1] to logits (B,n_classes); if it has a
    `features` method that is used for FD, otherwise its outputs are.
    """

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"feature-network weights not found: {path}")
    if path.suffix == ".pt2":  # torch.export program
        return torch.export.load(str(path)).module().to(device)
    is_script = zipfile.is_zipfile(path) and any(n.endswith("constants.pkl") for n in zipfile.ZipFile(path).namelist())
    try:
        if is_script:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                net = torch.jit.load(str(path), map_location=device).eval()
            net.info = {"source": str(path), "sha256": sha256_of(path)}
            return net
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ValueError(f"{path} is neither an imaginator-lite classifier file nor a TorchScript module "
                         f"({type(exc).__name__}: {exc}); save yours with classifier.save_classifier, "
                         "torch.jit.script(model).save(path) or torch.export (.pt2)") from exc
    if not isinstance(obj, dict) or obj.get("format") != CLASSIFIER_FORMAT:
        raise ValueError(f"{path} is not an imaginator-lite classifier file (format {CLASSIFIER_FORMAT!r}); "
                         "save yours with classifier.save_classifier or as TorchScript")
    model = VideoClassifier(obj["n_classes"], obj["width"])
    model.load_state_dict(obj["state_dict"])
    model.info = {**obj.get("info", {}), "source": str(path), "sha256": sha256_of(path)}
    return model.to(device).eval()


def extract_features(net: nn.Module, videos: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(features (B,F), logits (B,n)) from any feature network (see load_feature_net)."""
    if not hasattr(net, "features"):
        logits = net(videos)
        return logits.float(), logits.float()
    feats = net.features(videos)
    # a VideoClassifier's logits are head(features): reuse them instead of running the body twice
    logits = net.head(feats) if isinstance(net, VideoClassifier) else net(videos)
    return feats.float(), logits.float()


def train_classifier(dataset: Any, epochs: int = JUDGE_EPOCHS, batch_size: int = 32, lr: float = 3e-3, width: int = JUDGE_WIDTH,
                     seed: int = 0, device: str | torch.device = "cpu", progress: bool = True,
                     val_dataset: Any = None, min_steps: int = JUDGE_MIN_STEPS) -> VideoClassifier:
    """Train a VideoClassifier on (video, label) clips for `epochs` passes but at least `min_steps` steps.

    Stores train/val accuracy and the step count in `model.info`.
    """
    torch.manual_seed(seed)
    n_classes = len(dataset.classes)
    model = VideoClassifier(n_classes, width).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    sampler = EpochSampler(len(dataset), batch_size, seed)
    steps = max(1, min_steps, int(epochs * sampler.batches_per_epoch))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps)
    read, window_rng = BatchReader(dataset), np.random.default_rng(seed)
    correct = seen = 0
    model.train()
    for step in tqdm(range(steps), desc="train classifier", disable=not progress, unit="step"):
        videos, labels = read(sampler.next_indices(), window_rng)
        if torch.rand(()) < 0.5:  # horizontal flip augmentation
            videos = videos.flip(-1)
        videos, labels = videos.to(device), labels.to(device)
        logits = model(videos)
        loss = F.cross_entropy(logits, labels)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        if step >= steps - sampler.batches_per_epoch:  # accuracy over the last epoch
            correct += int((logits.argmax(1) == labels).sum())
            seen += len(labels)
    model.eval()
    model.info = {"train_accuracy": correct / max(seen, 1), "epochs": epochs, "steps": steps, "width": width,
                  "seed": seed}
    if val_dataset is not None and len(val_dataset):
        model.info["val_accuracy"] = classifier_accuracy(model, val_dataset, device=device)
    return model


@torch.no_grad()
def classifier_accuracy(model: nn.Module, dataset: Any, batch_size: int = 64, device: str | torch.device = "cpu") -> float:
    """Fraction of clips of `dataset` whose argmax logit equals their label."""
    model.eval()
    rng = np.random.default_rng(0)
    correct = 0
    for videos, labels in ordered_batches(dataset, batch_size, rng):
        correct += int((model(videos.to(device)).argmax(1).cpu() == labels).sum())
    return correct / max(len(dataset), 1)


def default_cache_dir() -> Path:
    """$IMAGINATOR_LITE_CACHE or ~/.cache/imaginator-lite."""
    return Path(os.environ.get("IMAGINATOR_LITE_CACHE", Path.home() / ".cache" / "imaginator-lite"))


def classifier_cache_key(store_root: str | os.PathLike, frames: int, settings: dict) -> str:
    """Hash of the store's meta.json + index files, the clip length and the training settings."""
    root = Path(store_root)
    h = hashlib.sha256()
    for part in ("meta.json", "train/index.json"):
        p = root / part
        if p.is_file():
            h.update(p.read_bytes())
    h.update(json.dumps({"frames": frames, **settings}, sort_keys=True).encode())
    return h.hexdigest()[:16]


def get_classifier(store_root: str | os.PathLike, frames: int, cache_dir: str | os.PathLike | None = None,
                   epochs: int = JUDGE_EPOCHS, width: int = JUDGE_WIDTH, seed: int = 0, progress: bool = True,
                   device: str | torch.device = "cpu", log: Callable[[str], None] | None = None,
                   min_steps: int = JUDGE_MIN_STEPS) -> VideoClassifier:
    """The cached classifier for this store/clip length, training (and caching) it on first use."""

    settings = {"epochs": epochs, "min_steps": min_steps, "width": width, "seed": seed}
    key = classifier_cache_key(store_root, frames, settings)
    path = Path(cache_dir or default_cache_dir()) / f"classifier-{key}.pt"
    if path.is_file():
        try:
            return load_feature_net(path, device)
        except ValueError:
            pass  # corrupt cache entry: retrain below
    train = ClipDataset(store_root, "train", frames, random_window=True, seed=seed)
    val = ClipDataset(store_root, "val", frames, random_window=False)
    model = train_classifier(train, epochs=epochs, width=width, seed=seed, device=device, progress=progress,
                             min_steps=min_steps, val_dataset=val if len(val) else None)
    save_classifier(model, path, {**model.info, "store": str(store_root), "frames": frames})
    if log:
        log(f"trained feature classifier ({model.info}); cached at {path}")
    return load_feature_net(path, device)  # as a later run reads it: with its source and sha256
