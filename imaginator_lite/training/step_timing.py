"""Training steps of several models timed back to back: the steps alternate (a, b, c, a, b, c, ...) on one random
batch, so a busy machine slows every model alike and their ratio is fair. The study's per-run times come from
several machines and loads; these are the evidence about speed (issue 32's families, issue 24's outputs)."""
from __future__ import annotations

import statistics
import time
from typing import Any

import torch

from ..models.config import ModelConfig
from .config import TrainConfig
from .trainer import Trainer


class RandomClips:
    """In-memory dataset of random videos (N,3,T,S,S) in [-1,1] and labels (N,), for throughput measurements."""

    def __init__(self, cfg: ModelConfig, n: int) -> None:
        g = torch.Generator().manual_seed(0)
        self.videos = torch.rand(n, 3, cfg.frames, cfg.image_size, cfg.image_size, generator=g) * 2 - 1
        self.labels = torch.randint(cfg.n_classes, (n,), generator=g)

    def __len__(self) -> int:
        return len(self.videos)

    def get_batch(self, indices):
        return self.videos[indices], self.labels[indices]


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def interleaved_step_times(configs: dict[str, ModelConfig], device: str | torch.device = "cpu", rounds: int = 10,
                           batch: int = 8, precision: str = "fp32") -> dict[str, dict[str, list[float]]]:
    """{name: {"wall": [s, ...], "cpu": [s, ...]}}: `rounds` training steps (G then D) of each config on the same
    random batch, after one warm-up step each, the configs' steps alternating. CPU seconds are the process's."""
    device = torch.device(device)
    data = RandomClips(next(iter(configs.values())), batch)
    videos, labels = data.get_batch(list(range(batch)))
    steps = {}
    for name, cfg in configs.items():
        trainer = Trainer(cfg, TrainConfig(steps=1, batch_size=batch, device=str(device), precision=precision,
                                           out_dir=None, progress=False), data)
        steps[name] = (trainer, trainer.train_step)
        trainer.train_step(videos, labels)  # warm-up
    times: dict[str, dict[str, list[float]]] = {name: {"wall": [], "cpu": []} for name in configs}
    for _ in range(rounds):
        for name, (_, step) in steps.items():
            _sync(device)
            wall, cpu = time.perf_counter(), time.process_time()
            step(videos, labels)
            _sync(device)
            times[name]["wall"].append(time.perf_counter() - wall)
            times[name]["cpu"].append(time.process_time() - cpu)
    return times


def summarise_step_times(times: dict[str, dict[str, list[float]]], reference: str) -> dict[str, Any]:
    """Per name: median and least wall seconds, median CPU seconds, and each one's ratio to `reference`."""
    out = {}
    for name, t in times.items():
        out[name] = {"median_s": statistics.median(t["wall"]), "min_s": min(t["wall"]),
                     "median_cpu_s": statistics.median(t["cpu"]), "rounds": len(t["wall"])}
    for name, row in out.items():
        ref = out[reference]
        row["ratio_median"] = row["median_s"] / ref["median_s"]
        row["ratio_min"] = row["min_s"] / ref["min_s"]
        row["ratio_cpu"] = row["median_cpu_s"] / ref["median_cpu_s"]
    return out
