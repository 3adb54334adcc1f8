"""Measurements behind the record's numbers that no other script writes; each lands in docs/results/*.json.

    python docs/measure.py baselines   the three baselines on the tour's held-out clips of seeds 0, 1, 2
                                       (and 7, the shipped models' clips): docs/results/baselines.json
    python docs/measure.py tour        the whole tour on this CPU (its wall time, its model's held-out
                                       numbers, and the same model on the seed-7 clips of the shipped-model
                                       table): one entry per CPU class in docs/results/tour_runs.json

Each entry says the machine, torch and date; an entry is replaced only by a new run on the same CPU class.
`python docs/tables.py` then renders the tables from these files.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import torch

RESULTS = Path(__file__).resolve().parent / "results"
METRICS = ("fd", "moving_l1", "conditional_accuracy", "motion_l1", "l1", "ssim", "psnr", "psnr_official")


def machine() -> dict:
    """The CPU class and software that produced a measurement."""
    return {"cpu_capability": torch.backends.cpu.get_cpu_capability(), "processor": platform.processor() or "x86_64",
            "cores": torch.get_num_threads(), "torch": torch.__version__, "python": platform.python_version(),
            "date": time.strftime("%Y-%m-%d")}


def update(name: str, key: str, entry: dict) -> None:
    """Set results/name.json[key] = entry, keeping the other keys (written atomically)."""
    from imaginator_lite.atomic import write_json

    path = RESULTS / f"{name}.json"
    data = json.loads(path.read_text()) if path.is_file() else {}
    data[key] = entry
    write_json(path, dict(sorted(data.items())))
    print(f"wrote {path} [{key}]")


def rounded(metrics: dict) -> dict:
    return {k: round(float(metrics[k]), 6) for k in METRICS if k in metrics}


def moving_share(store, cfg) -> float:
    """The share of the test clips' pixel values that move (the mask of `moving_l1`)."""
    from imaginator_lite.evaluation.baselines import copy_frame_predictor
    from imaginator_lite.evaluation.metrics import moving_region_error
    from imaginator_lite.pipeline import open_split

    test = open_split(store, cfg, "test")
    clips, _ = test.get_batch(list(range(len(test))))
    _, moving_values = moving_region_error(copy_frame_predictor(cfg.frames)(clips[:, :, 0], None), clips)
    return float(moving_values) / clips.numel()


def baselines(seeds=(0, 1, 2, 7)) -> None:
    """The baselines need no training: score them beside an untrained `small` generator and keep theirs."""
    from imaginator_lite import Generator, ModelConfig, defaults
    from imaginator_lite.pipeline import SyntheticData, evaluate_run

    cfg = ModelConfig.preset("small")
    torch.manual_seed(0)
    G = Generator(cfg).eval()
    for seed in seeds:
        store = SyntheticData.for_model(cfg, "faces", defaults.SYNTHETIC_IDENTITIES, seed).store(defaults.DATA_ROOT,
                                                                                                progress=False)
        ev = evaluate_run(G, store, progress=False)
        update("baselines", f"seed{seed}", {
            "store": Path(store).name, "clips": ev["clips"], "judge": ev["judge"],
            "moving_share": round(moving_share(store, cfg), 6),
            "real_accuracy": round(float(ev["results"]["model"]["real_accuracy"]), 6),
            "baselines": {name: rounded(r) for name, r in ev["results"].items() if name != "model"},
            "machine": machine(), "command": "python docs/measure.py baselines"})


def tour() -> None:
    """The tour exactly as `imaginator-lite tour` runs it, then its model on the shipped models' seed-7 clips."""
    from imaginator_lite import defaults
    from imaginator_lite.models.config import ModelConfig
    from imaginator_lite.pipeline import SyntheticData, evaluate_run
    from imaginator_lite.tour import run_tour
    from imaginator_lite.training.checkpoint import load_generator

    out = Path("runs/measure/tour")
    load_before = os.getloadavg()[0]
    t0 = time.perf_counter()
    metrics = run_tour(out, progress=False)
    wall = time.perf_counter() - t0
    load = {"1-min load average before": round(load_before, 2), "after": round(os.getloadavg()[0], 2)}
    G = load_generator(out / "checkpoint.pt").eval()
    cfg = ModelConfig.preset("small")
    store7 = SyntheticData.for_model(cfg, "faces", defaults.SYNTHETIC_IDENTITIES, defaults.HELD_OUT_SEED).store(
        defaults.DATA_ROOT, progress=False)
    seven = evaluate_run(G, store7, seed=defaults.HELD_OUT_SEED, progress=False)
    steps = metrics["steps"]
    update("tour_runs", machine()["cpu_capability"], {
        "passed": metrics["passed"], "steps": steps, "batch_size": metrics["settings"]["train"]["batch_size"],
        "wall_s": round(wall, 1), "train_s": round(metrics["times"]["train_s"], 1),
        "s_per_step": round(metrics["times"]["train_s"] / steps, 3),
        "held_out": {"clips": metrics["clips"], "model": rounded(metrics["results"]["model"])},
        "seed7": {"clips": seven["clips"], "model": rounded(seven["results"]["model"]), "passed": seven["passed"]},
        "load": load, "judge": metrics["judge"], "machine": machine(), "command": "python docs/measure.py tour"})


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["baselines", "tour"])
    args = parser.parse_args()
    sys.exit({"baselines": baselines, "tour": tour}[args.what]())
