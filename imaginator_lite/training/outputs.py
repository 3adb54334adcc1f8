"""What a run writes besides its checkpoint: log.csv, TensorBoard scalars, history.json, the
loss-curve PNG and sample GIFs (real clips above, generated below). out_dir None: nothing."""
from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import torch

from ..atomic import write_text
from ..data.batching import fetch_batch
from ..generation.viz import plot_loss_curves, save_gif, video_grid

LOSS_KEYS = ("g_total", "l1", "g_video", "g_image", "d_video", "d_image")
CSV_COLUMNS = ("step", "epoch") + LOSS_KEYS


class RunOutputs:
    """Logs and pictures of one training run in `out_dir`."""

    def __init__(self, out_dir: str | os.PathLike | None) -> None:
        self.dir = Path(out_dir) if out_dir else None
        self._tb = None

    def open(self, history: list[Mapping[str, Any]]) -> None:
        """Start (or continue) logging: rewrite log.csv from `history`, open TensorBoard if installed."""
        if self.dir is None:
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        rows = [",".join(CSV_COLUMNS)] + [",".join(str(r.get(k, "")) for k in CSV_COLUMNS) for r in history]
        write_text(self.dir / "log.csv", "\n".join(rows) + "\n")
        if self._tb is None:
            try:
                from torch.utils.tensorboard import SummaryWriter  # deferred, optional: TensorBoard, when installed
                self._tb = SummaryWriter(str(self.dir / "tensorboard"))
            except ImportError:
                self._tb = None

    def close(self) -> None:
        if self._tb is not None:
            self._tb.close()
            self._tb = None

    def log(self, row: Mapping[str, Any]) -> None:
        """Append one row {step, epoch, losses...} to log.csv and TensorBoard."""
        if self.dir is None:
            return
        with open(self.dir / "log.csv", "a", newline="") as fh:
            csv.writer(fh).writerow([row.get(k, "") for k in CSV_COLUMNS])
        if self._tb is not None:
            for k in LOSS_KEYS:
                if k in row:
                    self._tb.add_scalar(f"loss/{k}", row[k], row["step"])

    def write_history(self, history: list[Mapping[str, Any]]) -> None:
        if self.dir is not None:
            write_text(self.dir / "history.json", json.dumps(history, indent=1))

    def write_loss_curve(self, history: list[Mapping[str, Any]]) -> Path | None:
        if self.dir is None or not history:
            return None
        return plot_loss_curves(history, self.dir / "loss_curve.png")

    def write_samples(self, real: torch.Tensor, fake: torch.Tensor, step: int) -> Path | None:
        """GIF grid: top row real clips, bottom row generated from their first frames + labels."""
        if self.dir is None:
            return None
        grid = video_grid(torch.cat([real, fake]), ncols=len(real))
        return save_gif(grid, self.dir / "samples" / f"step_{step:07d}.gif", scale=2)


@torch.no_grad()
def fixed_noise_samples(G: torch.nn.Module, dataset: Any, count: int, seed: int = 1234,
                        device: torch.device | str = "cpu") -> tuple[torch.Tensor, torch.Tensor]:
    """(real, fake) for the first `count` clips of `dataset` with fixed noise; touches no global RNG."""
    count = min(count, len(dataset))
    real, labels = fetch_batch(dataset, list(range(count)), np.random.default_rng(seed))
    z = torch.randn(count, G.cfg.dim_z, generator=torch.Generator().manual_seed(seed))
    was_training = G.training
    G.eval()
    fake = G(real[:, :, 0].to(device), z.to(device), labels.to(device)).float().cpu()
    G.train(was_training)
    return real, fake
