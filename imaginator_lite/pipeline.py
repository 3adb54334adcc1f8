"""The course's pipeline steps, shared by the tour, the CLI, the ablation study and the notebooks.

1. a store for a config: `SyntheticData` names and renders (or reuses) a synthetic clip store,
   and `check_store_fits` rejects a store that does not fit a model before any work;
2. load or train: `load_or_train` loads a finished run's checkpoint, or trains one (the UvA
   tutorials' "train if asked, else load");
3. evaluate a run: `evaluate_run` scores a generator and the three baselines on held-out
   identities and judges the result by the pass mark.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import torch

from .data.store import ClipDataset, load_meta, store_info
from .data.synthetic_sets import KIND_CLASSES, make_synthetic_store
from .defaults import DATA_ROOT, JUDGE_EPOCHS, JUDGE_MIN_STEPS, JUDGE_WIDTH, SYNTHETIC_IDENTITIES
from .evaluation.baselines import BASELINES
from .evaluation.classifier import get_classifier
from .evaluation.evaluate import evaluate_with_baselines
from .evaluation.fvd import fvd_of_generator, load_fvd_detector
from .evaluation.judges import shipped_judge_for
from .evaluation.verdict import tour_verdict
from .loading import load_generator
from .models.config import ModelConfig
from .training.checkpoint import load_checkpoint
from .training.config import TrainConfig
from .training.trainer import Trainer

SYNTHETIC_KINDS = tuple(KIND_CLASSES)


# ----------------------------------------------------------------------------- 1. a store for a config

@dataclass(frozen=True)
class SyntheticData:
    """A synthetic clip store: which set, how many identities, frame size, clip length, seed.

    `name` is the one naming scheme for synthetic stores, e.g. faces-32px-16f-80id-seed0.
    """

    kind: str = "faces"
    identities: int = SYNTHETIC_IDENTITIES
    image_size: int = 32
    frames: int = 16
    seed: int = 0

    def __post_init__(self) -> None:
        if self.kind not in SYNTHETIC_KINDS:
            raise ValueError(f"unknown synthetic set {self.kind!r}; use one of {', '.join(SYNTHETIC_KINDS)}")
        if self.identities < 3:
            raise ValueError(f"identities must be >= 3 so that train, val and test each get one "
                             f"(got {self.identities})")

    @classmethod
    def for_model(cls, model_cfg: ModelConfig, kind: str = "faces", identities: int = SYNTHETIC_IDENTITIES,
                  seed: int = 0) -> "SyntheticData":
        """The synthetic store whose frames and clip length fit `model_cfg`."""
        return cls(kind, identities, model_cfg.image_size, model_cfg.frames, seed)

    @property
    def name(self) -> str:
        return f"{self.kind}-{self.image_size}px-{self.frames}f-{self.identities}id-seed{self.seed}"

    def store(self, root: str | os.PathLike = DATA_ROOT, progress: bool = True) -> Path:
        """The store at root/name: rendered on first use, reused afterwards."""

        path = Path(root) / self.name
        if not (path / "meta.json").is_file():
            make_synthetic_store(path, self.kind, n_identities=self.identities, image_size=self.image_size,
                                 frames=self.frames, seed=self.seed, progress=progress)
        return path


def check_store_fits(store: str | os.PathLike, model_cfg: ModelConfig, split: str = "train") -> None:
    """ValueError naming the store's and the model's frame size or clip length, and the fix, when
    the store cannot feed `model_cfg` (checked from meta.json and the index, before any work)."""
    info = store_info(store)
    size, want = int(info["image_size"]), model_cfg.image_size
    fitting = [p for p in ModelConfig.preset_names() if ModelConfig.preset(p).image_size == size]
    if size != want:
        raise ValueError(
            f"the store {store} holds {size}x{size} frames but preset '{model_cfg.name}' expects {want}x{want}: "
            f"use a preset for {size}x{size} ({', '.join(fitting) or 'none'}), or convert/render the store again "
            f"with --size {want}")
    longest = info["splits"].get(split, {}).get("max_frames", 0)
    if longest < model_cfg.frames:
        raise ValueError(
            f"the clips of {store}/{split} have at most {longest} frames but preset '{model_cfg.name}' generates "
            f"{model_cfg.frames}: use a preset with fewer frames, or convert again keeping longer clips "
            f"(--min-frames {model_cfg.frames}, a smaller --stride)")


def model_for_store(store: str | os.PathLike, preset: str, **overrides: Any) -> ModelConfig:
    """The preset with the store's class names (checked to fit the store)."""
    cfg = ModelConfig.preset(preset, **overrides)
    classes = tuple(load_meta(store)["classes"])
    if classes != tuple(cfg.class_names):
        cfg = ModelConfig.preset(preset, class_names=classes, **overrides)
    check_store_fits(store, cfg)
    return cfg


def open_split(store: str | os.PathLike, model_cfg: ModelConfig, split: str, seed: int | None = None) -> ClipDataset:
    """A split of a store as `model_cfg.frames`-long windows (random windows for training)."""
    return ClipDataset(store, split, model_cfg.frames, random_window=split == "train", seed=seed)


# ----------------------------------------------------------------------------- 2. load or train

@dataclass
class Run:
    """A trained generator and where it came from (`trained` False: loaded from `checkpoint`)."""

    G: torch.nn.Module
    checkpoint: Path | None
    trained: bool
    steps: int
    history: list[dict[str, Any]] = field(default_factory=list)
    stopped_early: bool = False


def load_or_train(model_cfg: ModelConfig, train_cfg: TrainConfig, dataset: Any = None, *, train: bool = False,
                  checkpoint: str | os.PathLike | None = None, time_budget_s: float | None = None,
                  log: Callable[[str], None] | None = None) -> Run:
    """Load `checkpoint` (default out_dir/checkpoint.pt) unless `train` is asked or it is missing;
    then train `model_cfg` with `train_cfg` on `dataset` (`log` hears the ETA). Returns the
    generator in eval mode."""

    path = Path(checkpoint) if checkpoint else (Path(train_cfg.out_dir) / "checkpoint.pt" if train_cfg.out_dir else None)
    if not train and path is not None and path.is_file():
        ckpt = load_checkpoint(path)
        return Run(load_generator(path), path, False, int(ckpt.get("step", 0)), list(ckpt.get("history", [])))
    if dataset is None:
        raise ValueError(f"no checkpoint at {path} and no dataset to train on; pass dataset=")
    trainer = Trainer(model_cfg, train_cfg, dataset)
    trainer.train(time_budget_s=time_budget_s, log=log)
    return Run(trainer.G.eval(), trainer.checkpoint_path, True, trainer.step, trainer.history, trainer.stopped_early)


# ----------------------------------------------------------------------------- 3. evaluate a run

@dataclass(frozen=True)
class Judge:
    """How to train the feature network for a store that no shipped judge fits (real data, other
    sizes): a small video classifier trained on the store's training split and cached."""

    epochs: int = JUDGE_EPOCHS
    width: int = JUDGE_WIDTH
    seed: int = 0
    cache_dir: str | None = None
    min_steps: int = JUDGE_MIN_STEPS


def evaluate_run(G: torch.nn.Module, store: str | os.PathLike, *, split: str = "test", judge: Judge = Judge(),
                 feature_net: torch.nn.Module | None = None, use_features: bool = True, batch_size: int = 32,
                 seed: int = 0, progress: bool = True, log: Callable[[str], None] | None = None,
                 fvd_detector: str | os.PathLike | torch.nn.Module | None = None, fvd_repeats: int = 3) -> dict[str, Any]:
    """Score G and the baselines on `split` of `store`, judged by the pass mark.

    Returns {split, clips, chance_accuracy, classifier, judge, criterion, passed, model_beats_all_baselines,
    results, baselines}; `judge` names the feature network and its sha256; `criterion` is None without one.
    fvd_detector (a path or a loaded detector, see evaluation/fvd.py) adds `fvd`: FVD and per-class FVD,
    mean and std over `fvd_repeats` sampling seeds, the detector's sha256 and the clip counts.
    """


    check_store_fits(store, G.cfg, split)
    if isinstance(fvd_detector, (str, os.PathLike)):  # a bad file fails here, before any work
        fvd_detector = load_fvd_detector(fvd_detector, next(G.parameters()).device)
    test, train = open_split(store, G.cfg, split), ClipDataset(store, "train", G.cfg.frames, random_window=False)
    if feature_net is None and use_features:  # the shipped judge for synthetic data, else one trained and cached
        feature_net = shipped_judge_for(store, G.cfg.frames) or get_classifier(store, G.cfg.frames, cache_dir=judge.cache_dir, epochs=judge.epochs,
                                     width=judge.width, seed=judge.seed, progress=progress, log=log,
                                     min_steps=judge.min_steps)
    results = evaluate_with_baselines(G, test, train, feature_net=feature_net, batch_size=batch_size, seed=seed)
    chance = 1.0 / G.cfg.n_classes
    verdict = tour_verdict(results, chance) if feature_net is not None else None
    fvd = fvd_of_generator(G, test, fvd_detector, fvd_repeats, progress=progress) if fvd_detector is not None else None
    return {
        "split": f"{split} (identities never seen in training)" if split == "test" else split,
        "store": str(store),
        "clips": len(test),
        "chance_accuracy": chance,
        "classifier": dict(getattr(feature_net, "info", {})),
        "judge": judge_identity(feature_net),
        "criterion": verdict,
        "passed": verdict["passed"] if verdict else None,
        "model_beats_all_baselines": verdict["model_beats_all_baselines"] if verdict else None,
        "results": results,
        "baselines": dict(BASELINES),
        **({"fvd": fvd} if fvd is not None else {}),
    }


def judge_identity(feature_net: torch.nn.Module | None) -> dict[str, Any] | None:
    """{'source', 'sha256'} of the feature network that scored a run (None without one): two
    metrics.json files are comparable only when these agree."""
    if feature_net is None:
        return None
    info = getattr(feature_net, "info", {})
    return {"source": info.get("source", type(feature_net).__name__), "sha256": info.get("sha256")}
