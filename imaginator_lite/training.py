"""The ImaGINator training loop: one G step then one D step per batch, exactly as the official trainer.

G loss = l1_weight * L1(G(first frame, z, label), real) + adv(VD(fake, label)) + adv(ID(random fake frame));
D step: VD on real vs fake.detach(), ID on a random real frame vs the fake frame detached; three Adams.
Every random draw (z, frame index, batch order) comes from a seeded generator stored in the
checkpoint, so N steps + resume + M steps equals N+M uninterrupted steps bit for bit on CPU.
"""
from __future__ import annotations

import contextlib
import csv
import inspect
import json
import math
import os
import signal
import threading
import time
import warnings
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Iterator, Mapping

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from .atomic import write_text
from .checkpoint import load_checkpoint, model_config_of, restore_rng_states, save_checkpoint
from .config import ModelConfig
from .device import resolve_device
from .discriminators import ImageDiscriminator, VideoDiscriminator
from .generator import Generator
from .losses import ADVERSARIAL_KINDS, discriminator_loss, generator_loss

PRECISIONS = ("fp32", "bf16", "fp16")
LOSS_KEYS = ("g_total", "l1", "g_video", "g_image", "d_video", "d_image")


class NonFiniteLossError(FloatingPointError):
    """A loss became NaN/inf; raised before any weight is updated with it."""


@dataclass
class TrainConfig:
    """Training hyper-parameters and run options (the paper's values are the defaults)."""

    steps: int | None = 1000            # total optimisation steps (wins over epochs when both given)
    epochs: float | None = None         # alternatively: passes over the training split
    batch_size: int = 64
    lr: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.999)
    l1_weight: float = 100.0
    adversarial: str = "bce"            # "bce" (paper) or "hinge"
    use_video_disc: bool = True         # ablation switches
    use_image_disc: bool = True
    device: str = "auto"
    precision: str = "fp32"             # "fp32", "bf16" (autocast on CUDA; on CPU where supported) or
                                        # "fp16" (autocast + GradScaler: GPUs without bf16, e.g. V100/T4)
    channels_last: bool = False
    compile: bool = False               # torch.compile the three networks
    log_every: int = 10
    sample_every: int = 0               # 0: only at the end
    checkpoint_every: int = 0           # 0: only at the end (and on Ctrl-C)
    out_dir: str | None = "runs/train"  # None: write nothing
    seed: int = 0
    progress: bool = True
    sample_count: int = 8               # clips in the sample GIF grid

    def __post_init__(self) -> None:
        self.betas = tuple(float(b) for b in self.betas)  # type: ignore[assignment]
        if self.adversarial not in ADVERSARIAL_KINDS:
            raise ValueError(f"adversarial must be one of {ADVERSARIAL_KINDS} (got {self.adversarial!r})")
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS} (got {self.precision!r})")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1 (got {self.batch_size})")
        if self.steps is None and self.epochs is None:
            raise ValueError("give steps or epochs")
        if self.steps is not None and self.steps < 0:
            raise ValueError(f"steps must be >= 0 (got {self.steps})")
        for name in ("log_every", "sample_every", "checkpoint_every"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0 (got {getattr(self, name)})")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["betas"] = list(self.betas)
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "TrainConfig":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})

    def replace(self, **changes: Any) -> "TrainConfig":
        return TrainConfig.from_dict({**self.to_dict(), **changes})


class EpochSampler:
    """Shuffled batches of indices, a new permutation each epoch (drop_last); state is checkpointable."""

    def __init__(self, n_items: int, batch_size: int, seed: int) -> None:
        if n_items < 1:
            raise ValueError("the training dataset is empty; render or convert some clips first")
        if batch_size > n_items:
            warnings.warn(f"batch_size {batch_size} > {n_items} training clips; using batches of {n_items}")
            batch_size = n_items
        self.n_items, self.batch_size = n_items, batch_size
        self.generator = torch.Generator().manual_seed(seed)
        self.order = torch.randperm(n_items, generator=self.generator)
        self.position, self.epoch = 0, 0

    @property
    def batches_per_epoch(self) -> int:
        return self.n_items // self.batch_size

    def next_indices(self) -> list[int]:
        if self.position + self.batch_size > self.n_items:
            self.order = torch.randperm(self.n_items, generator=self.generator)
            self.position, self.epoch = 0, self.epoch + 1
        batch = self.order[self.position:self.position + self.batch_size]
        self.position += self.batch_size
        return batch.tolist()

    def state_dict(self) -> dict[str, Any]:
        return {"generator": self.generator.get_state(), "order": self.order.clone(),
                "position": self.position, "epoch": self.epoch, "n_items": self.n_items}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        if state["n_items"] != self.n_items:
            raise ValueError(f"checkpoint was trained on {state['n_items']} clips but this dataset has "
                             f"{self.n_items}; resume with the same data")
        self.generator.set_state(state["generator"])
        self.order, self.position, self.epoch = state["order"].clone(), state["position"], state["epoch"]


def fetch_batch(dataset: Any, indices: list[int], window_rng: np.random.Generator | None = None,
                out: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """(videos (B,3,T,H,W) float, labels (B,) int64) via dataset.get_batch or by stacking items.

    window_rng: numpy Generator for random windows, passed to get_batch(indices, generator=) when
    the dataset accepts it (ClipDataset does), so the trainer owns that randomness too.
    out: a (B,3,T,H,W) float32 buffer that get_batch may fill instead of allocating (ClipDataset:
    about 3x faster on CPU); only for loops that use each batch before fetching the next.
    """
    if hasattr(dataset, "get_batch"):
        accepted = inspect.signature(dataset.get_batch).parameters
        kwargs: dict[str, Any] = {}
        if window_rng is not None and "generator" in accepted:
            kwargs["generator"] = window_rng
        if out is not None and "out" in accepted and out.shape[0] == len(indices):
            kwargs["out"] = out
        videos, labels = dataset.get_batch(indices, **kwargs)
    else:
        items = [dataset[i] for i in indices]
        videos = torch.stack([torch.as_tensor(v) for v, _ in items])
        labels = torch.as_tensor([int(l) for _, l in items])
    return torch.as_tensor(videos).float(), torch.as_tensor(labels).long()


def ordered_batches(dataset: Any, batch_size: int,
                    window_rng: np.random.Generator | None = None) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Every clip of `dataset` once, in order: (videos (B,3,T,H,W), labels (B,)); the last batch may be short."""
    for start in range(0, len(dataset), batch_size):
        yield fetch_batch(dataset, list(range(start, min(start + batch_size, len(dataset)))), window_rng)


def to_channels_last(module: nn.Module) -> nn.Module:
    """4D weights -> channels_last, 5D weights -> channels_last_3d (in place)."""
    for p in module.parameters():
        if p.dim() == 4:
            p.data = p.data.contiguous(memory_format=torch.channels_last)
        elif p.dim() == 5:
            p.data = p.data.contiguous(memory_format=torch.channels_last_3d)
    return module


AUTOCAST_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


def autocast_context(device: torch.device, precision: str):
    """bf16 / fp16 autocast on CUDA or CPU when asked for, else a no-op context."""
    if precision in AUTOCAST_DTYPES:
        return torch.autocast(device_type=device.type, dtype=AUTOCAST_DTYPES[precision])
    return contextlib.nullcontext()


class _DeferredInterrupt:
    """While active (main thread only), the first Ctrl-C sets a flag instead of raising mid-step."""

    def __init__(self) -> None:
        self.requested = False
        self._previous = None

    def __enter__(self) -> "_DeferredInterrupt":
        if threading.current_thread() is threading.main_thread():
            def handler(signum, frame):
                if self.requested:  # second Ctrl-C: stop now
                    raise KeyboardInterrupt
                self.requested = True
            with contextlib.suppress(ValueError):
                self._previous = signal.signal(signal.SIGINT, handler)
        return self

    def __exit__(self, *exc) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


def plot_loss_curves(history: list[Mapping[str, Any]], path: str | os.PathLike) -> Path:
    """Loss-curve PNG (G total, L1, D losses against step), written atomically without pyplot."""
    from .viz import new_figure, save_figure

    fig = new_figure((9, 3.2))
    axes = fig.subplots(1, 3)
    steps = [h["step"] for h in history]
    panels = ((axes[0], ("l1",), "L1 reconstruction"), (axes[1], ("g_video", "g_image"), "G adversarial"),
              (axes[2], ("d_video", "d_image"), "D losses"))
    for ax, keys, title in panels:
        for key in keys:
            values = [h.get(key) for h in history]
            if any(v is not None for v in values):
                ax.plot(steps, [math.nan if v is None else v for v in values], label=key)
        ax.set_title(title)
        ax.set_xlabel("step")
        if ax.lines:
            ax.legend(fontsize=8)
    fig.tight_layout()
    return save_figure(fig, path)


class Trainer:
    """Trains Generator + VideoDiscriminator + ImageDiscriminator on a clip dataset.

    dataset: anything with len() and get_batch(indices) -> (videos (B,3,T,H,W) in [-1,1], labels (B,)),
    or __getitem__ -> (video (3,T,H,W), label). Writes logs/samples/checkpoints to train_cfg.out_dir.
    """

    def __init__(self, model_cfg: ModelConfig, train_cfg: TrainConfig | None = None, dataset: Any = None) -> None:
        self.model_cfg = model_cfg
        self.cfg = train_cfg or TrainConfig()
        self.dataset = dataset
        self.device = resolve_device(self.cfg.device)
        cfg = self.cfg
        if cfg.precision == "bf16" and self.device.type == "cpu" and not _cpu_bf16_ok():
            warnings.warn("bf16 autocast is not supported on this CPU; training in fp32")
            cfg.precision = "fp32"
        torch.manual_seed(cfg.seed)  # network initialisation
        self.G = Generator(model_cfg).to(self.device)
        self.VD = VideoDiscriminator(model_cfg).to(self.device) if cfg.use_video_disc else None
        self.ID = ImageDiscriminator(model_cfg).to(self.device) if cfg.use_image_disc else None
        if cfg.channels_last:
            for m in self.networks().values():
                to_channels_last(m)
        fused = self.device.type == "cuda"
        adam = dict(lr=cfg.lr, betas=tuple(cfg.betas))
        self.optimizers: dict[str, torch.optim.Optimizer] = {
            name: torch.optim.Adam(m.parameters(), fused=fused, **adam) for name, m in self.networks().items()
        }
        # fp16 gradients underflow without loss scaling; one scaler for the G and D updates of a step
        self.scaler = torch.amp.GradScaler(self.device.type) if cfg.precision == "fp16" else None
        self._G, self._VD, self._ID = self.G, self.VD, self.ID  # what the step calls (maybe compiled)
        if cfg.compile:
            self._G = torch.compile(self.G)
            self._VD = torch.compile(self.VD) if self.VD is not None else None
            self._ID = torch.compile(self.ID) if self.ID is not None else None
        self.noise_generator = torch.Generator(device=self.device).manual_seed(cfg.seed + 1)
        self.frame_generator = torch.Generator().manual_seed(cfg.seed + 2)
        self.sampler = EpochSampler(len(dataset), cfg.batch_size, cfg.seed + 3) if dataset is not None else None
        self.window_rng = np.random.default_rng(cfg.seed + 4)
        self.step = 0
        self.history: list[dict[str, Any]] = []
        self.stopped_early = False
        self._tb = None

    # ------------------------------------------------------------------ helpers
    def networks(self) -> dict[str, nn.Module]:
        """{'G': ..., 'VD': ..., 'ID': ...} (discriminators only when enabled)."""
        nets = {"G": self.G}
        if self.VD is not None:
            nets["VD"] = self.VD
        if self.ID is not None:
            nets["ID"] = self.ID
        return nets

    @property
    def out_dir(self) -> Path | None:
        return Path(self.cfg.out_dir) if self.cfg.out_dir else None

    @property
    def checkpoint_path(self) -> Path | None:
        return self.out_dir / "checkpoint.pt" if self.out_dir else None

    @property
    def total_steps(self) -> int:
        if self.cfg.steps is not None:
            return int(self.cfg.steps)
        if self.sampler is None:
            raise ValueError("epochs need a dataset to count batches")
        return int(math.ceil(self.cfg.epochs * self.sampler.batches_per_epoch))

    def _buffers(self) -> list[torch.Tensor]:
        """BatchNorm running stats and spectral-norm vectors: forward passes update them in place."""
        return [b for m in self.networks().values() for b in m.buffers()]

    def _check_finite(self, losses: Mapping[str, torch.Tensor]) -> dict[str, float]:
        values = {k: float(v.detach().float().cpu()) for k, v in losses.items()}
        bad = {k: v for k, v in values.items() if not math.isfinite(v)}
        if bad:
            with torch.no_grad():  # undo this step's in-place buffer updates (NaN running stats)
                for buf, saved in zip(self._buffers(), self._buffer_snapshot):
                    buf.copy_(saved)
            names = ", ".join(f"{k}={v}" for k, v in bad.items())
            where = f" (last good checkpoint: {self.checkpoint_path})" if self.checkpoint_path else ""
            raise NonFiniteLossError(
                f"non-finite loss at step {self.step + 1}: {names}; training stopped before updating the "
                f"weights{where}. Lower the learning rate, check the data for NaNs, or use precision='fp32'.")
        return values

    # ------------------------------------------------------------------ the step
    def train_step(self, videos: torch.Tensor, labels: torch.Tensor) -> dict[str, float]:
        """One G update then one D update on real videos (B,3,T,H,W) in [-1,1] and labels (B,)."""
        cfg, dev = self.cfg, self.device
        videos = videos.to(dev, non_blocking=True).float()
        labels = labels.to(dev, non_blocking=True).long()
        if cfg.channels_last:
            videos = videos.contiguous(memory_format=torch.channels_last_3d)
        batch, frames = videos.shape[0], videos.shape[2]
        z = torch.randn(batch, self.model_cfg.dim_z, generator=self.noise_generator, device=dev)
        fake_t, real_t = torch.randint(frames, (2,), generator=self.frame_generator).tolist()
        first_frame = videos[:, :, 0]
        for m in self.networks().values():
            m.train()
        self._buffer_snapshot = [b.detach().clone() for b in self._buffers()]

        # --- generator step
        with autocast_context(dev, cfg.precision):
            fake = self._G(first_frame, z, labels)
            vd_fake = self._VD(fake, labels).float() if self._VD is not None else None
            fake_frame = fake[:, :, fake_t]
            id_fake = self._ID(fake_frame).float() if self._ID is not None else None
        g_total, parts = generator_loss(fake.float(), videos, vd_fake, id_fake, cfg.l1_weight, cfg.adversarial)
        losses = {"g_total": g_total, **parts}
        values = self._check_finite(losses)
        opt = self.optimizers["G"]
        opt.zero_grad(set_to_none=True)
        self._backward(g_total)
        self._step(opt)

        # --- discriminator step
        d_losses: dict[str, torch.Tensor] = {}
        fake_d = fake.detach()
        with autocast_context(dev, cfg.precision):
            if self._VD is not None:
                d_losses["d_video"] = discriminator_loss(self._VD(videos, labels).float(),
                                                         self._VD(fake_d, labels).float(), cfg.adversarial)
            if self._ID is not None:
                d_losses["d_image"] = discriminator_loss(self._ID(videos[:, :, real_t]).float(),
                                                         self._ID(fake_frame.detach()).float(), cfg.adversarial)
        if d_losses:
            values.update(self._check_finite(d_losses))
            for key, net in (("d_video", "VD"), ("d_image", "ID")):
                if key in d_losses:
                    self.optimizers[net].zero_grad(set_to_none=True)
            self._backward(sum(d_losses.values()))
            for key, net in (("d_video", "VD"), ("d_image", "ID")):
                if key in d_losses:
                    self._step(self.optimizers[net])
        if self.scaler is not None:
            self.scaler.update()
        self.step += 1
        return values

    def _backward(self, loss: torch.Tensor) -> None:
        (self.scaler.scale(loss) if self.scaler is not None else loss).backward()

    def _step(self, optimizer: torch.optim.Optimizer) -> None:
        """optimizer.step(), through the GradScaler under fp16 (it skips steps with inf/NaN gradients)."""
        if self.scaler is not None:
            self.scaler.step(optimizer)
        else:
            optimizer.step()

    # ------------------------------------------------------------------ the loop
    def train(self, steps: int | None = None, time_budget_s: float | None = None) -> list[dict[str, Any]]:
        """Run `steps` more steps (default: up to cfg.steps / epochs); returns the history.

        time_budget_s: also stop after the step during which this many seconds have passed
        (sets `self.stopped_early`); the checkpoint, curves and samples are written as usual.
        """
        if self.dataset is None:
            raise ValueError("Trainer has no dataset; pass one to Trainer(model_cfg, train_cfg, dataset)")
        cfg = self.cfg
        target = self.step + int(steps) if steps is not None else self.total_steps
        self._open_logs()
        bar = tqdm(total=target, initial=self.step, desc="train", unit="step", disable=not cfg.progress,
                   dynamic_ncols=True)
        self.stopped_early = False
        started = time.perf_counter()
        batch_buffer = None
        try:
            with _DeferredInterrupt() as interrupt:
                while self.step < target:
                    indices = self.sampler.next_indices()
                    # the loop uses each batch before drawing the next, so one buffer serves all
                    videos, labels = fetch_batch(self.dataset, indices, self.window_rng, out=batch_buffer)
                    batch_buffer = videos
                    values = self.train_step(videos, labels)
                    bar.update(1)
                    if cfg.log_every and (self.step % cfg.log_every == 0 or self.step == target):
                        self._log(values)
                        bar.set_postfix(l1=f"{values['l1']:.4f}", g=f"{values['g_total']:.3f}")
                    if cfg.sample_every and self.step % cfg.sample_every == 0:
                        self.write_samples()
                        self.write_loss_curve()
                    if cfg.checkpoint_every and self.step % cfg.checkpoint_every == 0:
                        self.save()
                    if interrupt.requested:
                        raise KeyboardInterrupt
                    if time_budget_s is not None and time.perf_counter() - started > time_budget_s \
                            and self.step < target:
                        self.stopped_early = True
                        break
        except KeyboardInterrupt:
            path = self.save()
            bar.write(f"interrupted at step {self.step}; saved {path}")
            raise
        finally:
            bar.close()
            self._close_logs()
        if self.out_dir is not None:
            self.save()
            self.write_loss_curve()
            self.write_samples()
        return self.history

    # ------------------------------------------------------------------ outputs
    def _open_logs(self) -> None:
        if self.out_dir is None:
            return
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self._rewrite_csv()
        if self._tb is None:
            try:
                from torch.utils.tensorboard import SummaryWriter
                self._tb = SummaryWriter(str(self.out_dir / "tensorboard"))
            except ImportError:
                self._tb = None

    def _close_logs(self) -> None:
        if self._tb is not None:
            self._tb.close()
            self._tb = None

    def _rewrite_csv(self) -> None:
        lines = [",".join(("step", "epoch") + LOSS_KEYS)]
        for row in self.history:
            lines.append(",".join(str(row.get(k, "")) for k in ("step", "epoch") + LOSS_KEYS))
        write_text(self.out_dir / "log.csv", "\n".join(lines) + "\n")

    def _log(self, values: Mapping[str, float]) -> None:
        row = {"step": self.step, "epoch": self.sampler.epoch if self.sampler else 0, **values}
        self.history.append(row)
        if self.out_dir is None:
            return
        with open(self.out_dir / "log.csv", "a", newline="") as fh:
            csv.writer(fh).writerow([row.get(k, "") for k in ("step", "epoch") + LOSS_KEYS])
        if self._tb is not None:
            for k, v in values.items():
                self._tb.add_scalar(f"loss/{k}", v, self.step)

    def write_loss_curve(self) -> Path | None:
        if self.out_dir is None or not self.history:
            return None
        return plot_loss_curves(self.history, self.out_dir / "loss_curve.png")

    @torch.no_grad()
    def sample_videos(self, count: int | None = None, seed: int = 1234) -> tuple[torch.Tensor, torch.Tensor]:
        """(real, fake) for the first `count` dataset clips with fixed noise; leaves all RNGs untouched."""
        count = min(count or self.cfg.sample_count, len(self.dataset))
        real, labels = fetch_batch(self.dataset, list(range(count)), np.random.default_rng(seed))
        z = torch.randn(count, self.model_cfg.dim_z, generator=torch.Generator().manual_seed(seed))
        was_training = self.G.training
        self.G.eval()
        fake = self.G(real[:, :, 0].to(self.device), z.to(self.device), labels.to(self.device)).float().cpu()
        self.G.train(was_training)
        return real, fake

    def write_samples(self) -> Path | None:
        """GIF grid: top row real clips, bottom row generated from their first frames + labels."""
        if self.out_dir is None or self.dataset is None:
            return None
        from .viz import save_gif, video_grid

        real, fake = self.sample_videos()
        grid = video_grid(torch.cat([real, fake]), ncols=len(real))
        return save_gif(grid, self.out_dir / "samples" / f"step_{self.step:07d}.gif", scale=2)

    # ------------------------------------------------------------------ checkpoints
    def save(self, path: str | os.PathLike | None = None) -> Path:
        """Full checkpoint (weights, optimisers, RNGs, sampler, history) to `path` or out_dir/checkpoint.pt."""
        path = Path(path) if path is not None else self.checkpoint_path
        if path is None:
            raise ValueError("no checkpoint path: set TrainConfig.out_dir or pass save(path)")
        sampler = {
            "noise_generator": self.noise_generator.get_state(),
            "frame_generator": self.frame_generator.get_state(),
            "epoch_sampler": self.sampler.state_dict() if self.sampler else None,
            "window_rng": self.window_rng.bit_generator.state,
        }
        if self.out_dir is not None:  # the whole history as JSON, next to each checkpoint (log.csv grows per log)
            write_text(self.out_dir / "history.json", json.dumps(self.history, indent=1))
        return save_checkpoint(path, model_cfg=self.model_cfg, generator=self.G, video_disc=self.VD,
                               image_disc=self.ID, optimizers=self.optimizers, scaler=self.scaler,
                               train_cfg=self.cfg.to_dict(), step=self.step,
                               epoch=self.sampler.epoch if self.sampler else 0,
                               sampler_state=sampler, history=self.history)

    def load_state(self, ckpt: Mapping[str, Any]) -> None:
        """Restore weights, optimisers, RNG streams, sampler and history from a loaded checkpoint."""
        for name, key in (("G", "generator"), ("VD", "video_discriminator"), ("ID", "image_discriminator")):
            net = self.networks().get(name)
            if net is None:
                continue
            if ckpt.get(key) is None:
                raise ValueError(f"checkpoint has no {key} weights but this run uses it; "
                                 "resume with the same use_video_disc/use_image_disc switches")
            net.load_state_dict(ckpt[key])
        for name, opt in self.optimizers.items():
            if name in ckpt.get("optimizers", {}):
                opt.load_state_dict(ckpt["optimizers"][name])
        if self.scaler is not None and ckpt.get("scaler"):
            self.scaler.load_state_dict(ckpt["scaler"])
        self.step = int(ckpt.get("step", 0))
        self.history = list(ckpt.get("history", []))
        restore_rng_states(ckpt.get("rng", {}))
        sampler = ckpt.get("sampler") or {}
        if "noise_generator" in sampler:
            self.noise_generator.set_state(sampler["noise_generator"])
            self.frame_generator.set_state(sampler["frame_generator"])
        if sampler.get("epoch_sampler") is not None and self.sampler is not None:
            self.sampler.load_state_dict(sampler["epoch_sampler"])
        if sampler.get("window_rng") is not None:
            self.window_rng.bit_generator.state = sampler["window_rng"]

    @classmethod
    def resume(cls, path: str | os.PathLike, dataset: Any, **overrides: Any) -> "Trainer":
        """Rebuild a Trainer from a checkpoint (its configs, optionally overridden) and restore its state."""
        ckpt = load_checkpoint(path)
        train_cfg = TrainConfig.from_dict({**ckpt.get("train_config", {}), **overrides})
        trainer = cls(model_config_of(ckpt), train_cfg, dataset)
        trainer.load_state(ckpt)
        return trainer

    from_checkpoint = resume


def _cpu_bf16_ok() -> bool:
    """Whether a bf16 autocast conv runs on this CPU build."""
    try:
        with torch.autocast("cpu", dtype=torch.bfloat16):
            torch.nn.functional.conv2d(torch.zeros(1, 1, 4, 4), torch.zeros(1, 1, 3, 3))
        return True
    except Exception:
        return False


def iterate_forever(dataset: Any, batch_size: int, seed: int = 0) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Endless shuffled (videos, labels) batches from `dataset` (a convenience for notebooks)."""
    sampler = EpochSampler(len(dataset), batch_size, seed)
    window_rng = np.random.default_rng(seed + 1)
    while True:
        yield fetch_batch(dataset, sampler.next_indices(), window_rng)
