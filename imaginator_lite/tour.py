"""The tour: render synthetic faces, train the `small` preset on CPU, evaluate on held-out identities.

Writes to out_dir: data/ (the clip store), checkpoint.pt, log.csv, history.json, loss_curve.png,
samples/, grid_identities_x_expressions.gif, metrics.json (model vs the baselines), comparison.png
(SSIM per frame, L1 where the face moves, Frechet distance), the cached feature classifier.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import torch

from .atomic import write_json
from .config import ModelConfig


@dataclass(frozen=True)
class TourSettings:
    """Sizes of the tour; `quick()` is a seconds-long smoke version for tests."""

    preset: str = "small"
    n_identities: int = 80
    steps: int = 1200
    batch_size: int = 16
    lr: float = 5e-4  # the paper's 2e-4 converges too slowly for a 10-minute CPU budget
    l1_weight: float = 100.0
    classifier_epochs: int = 12
    classifier_width: int = 16
    grid_identities: int = 4
    seed: int = 0
    train_budget_s: float | None = 420.0  # stop training early (and say so) if a busy machine is slow


    @classmethod
    def quick(cls) -> "TourSettings":
        return cls(preset="tiny", n_identities=8, steps=3, batch_size=8, classifier_epochs=1, grid_identities=1,
                   classifier_width=4)


# The tour's pass mark. Only ~3% of the pixels move in the synthetic expressions, so full-frame
# L1/SSIM/PSNR reward copying the input frame; the judged metrics measure the generated motion.
JUDGED_AGAINST_BASELINES = ("fd", "moving_l1")
LOWER_IS_BETTER = ("l1", "moving_l1", "motion_l1", "fd")
REPORTED = ("l1", "ssim", "psnr", "psnr_official", "moving_l1", "fd", "conditional_accuracy")
ACCURACY_OVER_CHANCE = 3.0


def tour_verdict(results: dict[str, dict[str, Any]], chance: float,
                 accuracy_over_chance: float = ACCURACY_OVER_CHANCE) -> dict[str, Any]:
    """Judge `results` ({'model': {...}, baseline: {...}, ...}) by the tour's stated criterion.

    Passed when the model beats every baseline on each metric in JUDGED_AGAINST_BASELINES and its
    conditional accuracy is at least `accuracy_over_chance` x chance. Also lists, for every reported
    metric, whether the model beats all baselines (informative only).
    """
    if "model" not in results or len(results) < 2:
        raise ValueError(f"tour_verdict needs 'model' and at least one baseline (got {sorted(results)})")
    model = results["model"]
    baselines = {name: r for name, r in results.items() if name != "model"}
    missing = [k for k in JUDGED_AGAINST_BASELINES + ("conditional_accuracy",) if k not in model]
    if missing:
        raise ValueError(f"the model's results lack {missing}; evaluate with a feature network")

    def beats(key: str) -> bool:
        others = [b[key] for b in baselines.values() if key in b]
        if key in LOWER_IS_BETTER:
            return all(model[key] < o for o in others)
        return all(model[key] > o for o in others)

    needed_accuracy = min(1.0, accuracy_over_chance * chance)
    checks = {f"{key}_beats_all_baselines": beats(key) for key in JUDGED_AGAINST_BASELINES}
    checks["conditional_accuracy_over_chance"] = model["conditional_accuracy"] >= needed_accuracy
    return {
        "text": (f"the model beats every baseline ({', '.join(baselines)}) on "
                 f"{' and '.join(JUDGED_AGAINST_BASELINES)}, and its conditional accuracy is at least "
                 f"{accuracy_over_chance:g}x chance ({needed_accuracy:.3f})"),
        "checks": checks,
        "passed": all(checks.values()),
        "model_beats_all_baselines": {key: beats(key) for key in REPORTED if key in model},
    }


def verdict_text(verdict: dict[str, Any]) -> str:
    """One line: PASS/FAIL with each check, for the end of the tour."""
    checks = ", ".join(f"{k} {'yes' if v else 'NO'}" for k, v in verdict["checks"].items())
    return f"{'PASS' if verdict['passed'] else 'FAIL'}: {checks}"


@torch.no_grad()
def identity_expression_grid(G, test_dataset, n_identities: int, seed: int = 0) -> torch.Tensor:
    """Rows alternate ground truth / generated for the first test identities; columns = classes.

    Returns videos (2*n_identities*n_classes, 3, T, H, W) in row-major order.
    """
    from .generate import label_grid
    from .training import fetch_batch

    import numpy as np

    classes = G.cfg.n_classes
    rows = []
    identities = list(dict.fromkeys(test_dataset.identities.tolist()))[:n_identities]
    for identity in identities:
        clip_of_class = {}
        for i, (ident, lab) in enumerate(zip(test_dataset.identities.tolist(), test_dataset.labels.tolist())):
            if ident == identity and lab not in clip_of_class:
                clip_of_class[lab] = i
        if len(clip_of_class) < classes:
            continue
        real, _ = fetch_batch(test_dataset, [clip_of_class[c] for c in range(classes)], np.random.default_rng(0))
        rows.append(real)
        rows.append(label_grid(G, real[0, :, 0], seed=seed))
    return torch.cat(rows) if rows else torch.empty(0)


def run_tour(out_dir: str | os.PathLike = "runs/tour", settings: TourSettings | None = None, progress: bool = True,
             device: str = "cpu", log: Callable[[str], None] = print) -> dict[str, Any]:
    """Run the whole tour and return the metrics dict (also written to out_dir/metrics.json)."""
    from .classifier import get_classifier
    from .metrics import evaluate_with_baselines, summary_table
    from .store import ClipDataset
    from .synthetic import make_synthetic_store
    from .training import Trainer, TrainConfig
    from .viz import plot_comparison, save_gif, video_grid

    settings = settings or TourSettings()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cfg = ModelConfig.preset(settings.preset)
    times: dict[str, float] = {}
    t0 = time.perf_counter()

    log(f"[1/4] rendering {settings.n_identities} synthetic face identities x {cfg.n_classes} expressions "
        f"({cfg.frames} frames, {cfg.image_size}x{cfg.image_size})")
    store = make_synthetic_store(out / "data", "faces", n_identities=settings.n_identities,
                                 image_size=cfg.image_size, frames=cfg.frames, seed=settings.seed, progress=progress)
    train = ClipDataset(store, "train", cfg.frames, random_window=False)
    test = ClipDataset(store, "test", cfg.frames, random_window=False)
    times["render_s"] = time.perf_counter() - t0

    log(f"[2/4] training preset '{cfg.name}' for {settings.steps} steps, batch {settings.batch_size} "
        f"({len(train)} training clips, {len(set(train.identities.tolist()))} identities)")
    t1 = time.perf_counter()
    train_cfg = TrainConfig(steps=settings.steps, batch_size=settings.batch_size, lr=settings.lr,
                            l1_weight=settings.l1_weight, device=device, out_dir=str(out), seed=settings.seed,
                            log_every=max(1, settings.steps // 100), sample_every=max(1, settings.steps // 4),
                            checkpoint_every=max(1, settings.steps // 4), progress=progress)
    trainer = Trainer(cfg, train_cfg, train)
    trainer.train(time_budget_s=settings.train_budget_s)
    if trainer.stopped_early:
        log(f"      time budget of {settings.train_budget_s:.0f} s used up after {trainer.step} of "
            f"{settings.steps} steps (is the machine busy?); evaluating this checkpoint")
    times["train_s"] = time.perf_counter() - t1

    log(f"[3/4] evaluating on {len(test)} held-out clips ({len(set(test.identities.tolist()))} unseen identities)")
    t2 = time.perf_counter()
    classifier = get_classifier(store, cfg.frames, cache_dir=out, epochs=settings.classifier_epochs,
                                width=settings.classifier_width, seed=settings.seed, progress=progress)
    results = evaluate_with_baselines(trainer.G.eval(), test, train, feature_net=classifier)
    plot_comparison(results, out / "comparison.png")
    times["evaluate_s"] = time.perf_counter() - t2

    log("[4/4] writing the identity x expression grid")
    grid = identity_expression_grid(trainer.G, test, settings.grid_identities, seed=settings.seed)
    if len(grid):
        save_gif(video_grid(grid, ncols=cfg.n_classes), out / "grid_identities_x_expressions.gif", scale=2)
    times["total_s"] = time.perf_counter() - t0

    verdict = tour_verdict(results, chance=1.0 / cfg.n_classes)
    metrics = {
        "split": "test (identities never seen in training)",
        "chance_accuracy": 1.0 / cfg.n_classes,
        "classifier": dict(getattr(classifier, "info", {})),
        "criterion": verdict,
        "passed": verdict["passed"],
        "model_beats_all_baselines": verdict["model_beats_all_baselines"],
        "results": {name: {k: v for k, v in r.items()} for name, r in results.items()},
        "note": ("Full-frame L1/SSIM/PSNR are dominated by static pixels (about 3% of pixels move in these "
                 "expressions), so copying the input frame nearly wins them by doing nothing; they are reported, "
                 "not judged. moving_l1 (error where the true clip moves) and fd measure the generated motion."),
        "baselines": {
            "copy_first_frame": "the input image repeated as every frame",
            "class_mean_video": "the mean training video of the requested class (ignores the input image)",
            "class_mean_motion": "input image + mean (video - first frame) of the requested class over training clips",
        },
        "settings": settings.__dict__,
        "model_config": cfg.to_dict(),
        "steps": trainer.step,
        "stopped_early_by_time_budget": trainer.stopped_early,
        "times": times,
        "torch_threads": torch.get_num_threads(),
    }
    write_json(out / "metrics.json", metrics)
    log("")
    log(summary_table(results))
    log(f"chance accuracy {1 / cfg.n_classes:.3f}; classifier on real test clips "
        f"{results['model'].get('real_accuracy', float('nan')):.3f}")
    log(f"criterion: {verdict['text']}")
    log(verdict_text(verdict))
    log(f"wall time {times['total_s']:.0f} s (render {times['render_s']:.0f}, train {times['train_s']:.0f}, "
        f"evaluate {times['evaluate_s']:.0f}); outputs in {out}/")
    return metrics
