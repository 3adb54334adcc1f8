"""The tour: render synthetic faces, train the `small` preset on CPU, evaluate on held-out identities.

Writes to out_dir: data/ (the clip store), checkpoint.pt, log.csv, history.json, loss_curve.png,
samples/, grid_identities_x_expressions.gif, metrics.json (model vs the baselines, judged by the
pass mark of `evaluation.verdict`), comparison.png, the cached feature classifier.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import torch

from .atomic import write_json
from .defaults import JUDGE_EPOCHS, JUDGE_WIDTH, SYNTHETIC_IDENTITIES, TOUR_DIR
from .evaluation.evaluate import summary_table
from .evaluation.verdict import verdict_text
from .generation.generate import identity_expression_grid
from .generation.viz import plot_comparison, save_gif, video_grid
from .models.config import ModelConfig
from .pipeline import Judge, SyntheticData, evaluate_run, load_or_train, open_split
from .training.config import TrainConfig

#: The tour's training recipe: the paper's losses and optimiser with a shorter schedule for a CPU run of a few
#: minutes (docs/tour.md has its measured times). fp32 everywhere, so that every CPU trains in the same precision
#: (precision 'auto' would pick bf16 on CPUs with native bf16). On one seed and three instruction-set paths the
#: verdict held and the trained model's numbers moved (benchmarks/results/cross_isa_tour.json); that is all that
#: is measured.
TOUR_RECIPE = TrainConfig(steps=800, batch_size=8, lr=1e-3, device="cpu", precision="fp32", seed=0)


@dataclass(frozen=True)
class TourSettings:
    """The tour = a TrainConfig plus what only the tour has; `quick()` is a seconds-long smoke version."""

    train: TrainConfig = TOUR_RECIPE
    preset: str = "small"
    n_identities: int = SYNTHETIC_IDENTITIES
    classifier_epochs: int = JUDGE_EPOCHS
    classifier_width: int = JUDGE_WIDTH
    grid_identities: int = 4
    train_budget_s: float | None = None  # opt-in: stop training after this many seconds (and say so)
    output: str = "paint"                # ModelConfig.output: "paint" (the paper) or "warp" (models/warp.py)

    @classmethod
    def quick(cls) -> "TourSettings":
        return cls(train=TOUR_RECIPE.replace(steps=3, batch_size=8), preset="tiny", n_identities=8,
                   classifier_epochs=1, grid_identities=1, classifier_width=4)

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "train": self.train.to_dict()}


NOTE = ("Full-frame L1/SSIM/PSNR are dominated by static pixels (about 3% of pixels move in these "
        "expressions), so copying the input frame nearly wins them by doing nothing; they are reported, "
        "not judged. moving_l1 (error where the true clip moves) and fd measure the generated motion.")


def run_tour(out_dir: str | os.PathLike = TOUR_DIR, settings: TourSettings | None = None, progress: bool = True,
             device: str = "cpu", log: Callable[[str], None] = print) -> dict[str, Any]:
    """Run the whole tour and return the metrics dict (also written to out_dir/metrics.json)."""

    settings = settings or TourSettings()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cfg, seed = ModelConfig.preset(settings.preset, output=settings.output), settings.train.seed
    steps = settings.train.steps
    train_cfg = settings.train.replace(device=device, out_dir=str(out), progress=progress,
                                       log_every=max(1, steps // 100), sample_every=max(1, steps // 4),
                                       checkpoint_every=max(1, steps // 4))
    times: dict[str, float] = {}
    t0 = time.perf_counter()

    log(f"[1/4] rendering {settings.n_identities} synthetic face identities x {cfg.n_classes} expressions "
        f"({cfg.frames} frames, {cfg.image_size}x{cfg.image_size})")
    store = SyntheticData.for_model(cfg, "faces", settings.n_identities, seed).store(out / "data", progress)
    train, test = open_split(store, cfg, "train"), open_split(store, cfg, "test")
    times["render_s"] = time.perf_counter() - t0

    log(f"[2/4] training preset '{cfg.name}' ({cfg.output}) for {steps} steps, batch {train_cfg.batch_size} "
        f"({len(train)} training clips, {len(set(train.identities.tolist()))} identities)")
    t1 = time.perf_counter()
    run = load_or_train(cfg, train_cfg, train, train=True, time_budget_s=settings.train_budget_s,
                        log=lambda text: log(f"      {text}"))
    if run.stopped_early:
        log(f"      the time budget of {settings.train_budget_s:.0f} s (--time-budget) was used up after {run.steps} of "
            f"{steps} steps; evaluating this checkpoint, so the verdict is about a partly trained model")
    times["train_s"] = time.perf_counter() - t1

    log(f"[3/4] evaluating on {len(test)} held-out clips ({len(set(test.identities.tolist()))} unseen identities)")
    t2 = time.perf_counter()
    fallback_judge = Judge(settings.classifier_epochs, settings.classifier_width, seed, str(out))  # if none ships
    evaluation = evaluate_run(run.G, store, judge=fallback_judge, progress=progress)
    results = evaluation["results"]
    plot_comparison(results, out / "comparison.png")
    times["evaluate_s"] = time.perf_counter() - t2

    log("[4/4] writing the identity x expression grid")
    grid, _ = identity_expression_grid(run.G, test, settings.grid_identities, seed=seed)
    if len(grid):
        save_gif(video_grid(grid, ncols=cfg.n_classes), out / "grid_identities_x_expressions.gif", scale=2)
    times["total_s"] = time.perf_counter() - t0

    metrics = {**evaluation, "note": NOTE, "settings": settings.to_dict(), "model_config": cfg.to_dict(),
               "steps": run.steps, "stopped_early_by_time_budget": run.stopped_early, "times": times,
               "torch_threads": torch.get_num_threads(), "cpu_capability": torch.backends.cpu.get_cpu_capability()}
    write_json(out / "metrics.json", metrics)
    _log_report(evaluation, times, out, log)
    return metrics


def _log_report(evaluation: dict[str, Any], times: dict[str, float], out: Path, log: Callable[[str], None]) -> None:
    """The tour's closing lines: the results table, the judge, the criterion and its verdict, the wall time."""

    results, judge = evaluation["results"], evaluation["judge"]
    log("")
    log(summary_table(results))
    log(f"judge: {judge['source']} (sha256 {str(judge['sha256'])[:12]}); it recognises "
        f"{results['model'].get('real_accuracy', float('nan')):.3f} of the real test clips; chance accuracy "
        f"{evaluation['chance_accuracy']:.3f}")
    log(f"criterion: {evaluation['criterion']['text']}")
    log(verdict_text(evaluation["criterion"]))
    log(f"wall time {times['total_s']:.0f} s (render {times['render_s']:.0f}, train {times['train_s']:.0f}, "
        f"evaluate {times['evaluate_s']:.0f}); outputs in {out}/")
