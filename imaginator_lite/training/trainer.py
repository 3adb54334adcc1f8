"""The ImaGINator training loop: one G step then one D step per batch, exactly as the official trainer.

The two updates live in `steps.py`, the run's logs and pictures in `outputs.py`, the checkpoint
state in `checkpoint.py`. Every random draw (z, frame index, batch order, window) comes from a
seeded generator stored in the checkpoint, so N steps + resume + M steps equals N+M uninterrupted
steps bit for bit on CPU.
"""
from __future__ import annotations

import contextlib
import math
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np
import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from tqdm.auto import tqdm

from ..data.batching import BatchReader, EpochSampler
from ..device import resolve_device, resolve_precision
from ..models.build import build_generator
from ..models.config import ModelConfig
from ..models.discriminators import ImageDiscriminator, VideoDiscriminator
from ..models.outputs import output_kind
from .checkpoint import load_checkpoint, model_config_of, random_streams_of, restore_rng_states, save_checkpoint
from .config import TrainConfig
from .distributed import (
    check_global_batch,
    check_same_device_type,
    init_distributed,
    mean_over_ranks,
    share_of,
    synchronise_batchnorm,
)
from .outputs import RunOutputs, fixed_noise_samples
from .steps import StepBatch, autocast_context, gan_step

#: TrainConfig fields a resumed run may change; the others define the recipe it continues.
RESUMABLE_FIELDS = ("steps", "epochs", "device", "precision", "channels_last", "sync_batchnorm", "compile", "log_every",
                    "sample_every", "checkpoint_every", "out_dir", "progress", "sample_count")


#: Optimiser keys of checkpoints written before the discriminators were named D_V and D_I.
LEGACY_OPTIMIZER_KEYS = {"D_V": "VD", "D_I": "ID"}

#: Steps measured before the trainer states its s/step and the time to go.
ETA_AFTER_STEPS = 20


def eta_text(seconds: float, steps_done: int, steps_left: int) -> str:
    """'0.31 s/step over the first 20 steps: about 4.2 min to go (780 steps)'."""
    per_step = seconds / max(steps_done, 1)
    left = per_step * steps_left
    when = f"{left / 60:.1f} min" if left >= 90 else f"{left:.0f} s"
    return f"{per_step:.2f} s/step over the first {steps_done} steps: about {when} to go ({steps_left} steps)"


class NonFiniteLossError(FloatingPointError):
    """A loss became NaN/inf; raised before any weight is updated with it."""


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


def to_channels_last(module: nn.Module) -> nn.Module:
    """4D weights -> channels_last, 5D weights -> channels_last_3d (in place)."""
    for p in module.parameters():
        if p.dim() == 4:
            p.data = p.data.contiguous(memory_format=torch.channels_last)
        elif p.dim() == 5:
            p.data = p.data.contiguous(memory_format=torch.channels_last_3d)
    return module


class Trainer:
    """Trains the generator of model_cfg.family (models/build.py) + VideoDiscriminator + ImageDiscriminator on a clip
    dataset.

    dataset: a ClipDataset, anything with get_batch(indices) -> (videos (B,3,T,H,W) in [-1,1],
    labels (B,)), or __getitem__ -> (video (3,T,H,W), label). Writes logs, samples and
    checkpoints to train_cfg.out_dir (nothing when it is None). Under torchrun it trains data-parallel
    (training/distributed.py): batch_size is the global batch and only rank 0 writes.
    """

    def __init__(self, model_cfg: ModelConfig, train_cfg: TrainConfig | None = None, dataset: Any = None) -> None:
        self.model_cfg, self.train_cfg = model_cfg, train_cfg or TrainConfig()
        cfg = self.train_cfg
        self.device = resolve_device(cfg.device)
        self.ranks = init_distributed(self.device)  # one process unless torchrun started several
        check_global_batch(cfg.batch_size, self.ranks)
        check_same_device_type(self.device, self.ranks)
        self.precision = resolve_precision(cfg.precision, self.device)  # 'auto': bf16 only where it is native
        if cfg.paint_penalty > 0 and not output_kind(model_cfg.output).moves_pixels:
            raise ValueError(f"paint_penalty={cfg.paint_penalty} needs a warp generator (ModelConfig(output='warp'), "
                             f"--output warp), but this model is '{model_cfg.output}': a paint generator has no mask "
                             "to penalise; drop --paint-penalty or train with --output warp")
        torch.manual_seed(cfg.seed)  # network initialisation (the same on every rank)
        self.G = build_generator(model_cfg).to(self.device)  # model_cfg.family: ImaGINator, VGAN or MoCoGAN
        self.D_V = VideoDiscriminator(model_cfg).to(self.device) if cfg.use_video_disc else None
        self.D_I = ImageDiscriminator(model_cfg).to(self.device) if cfg.use_image_disc else None
        for m in self.networks().values():
            if cfg.channels_last:
                to_channels_last(m)
            if self.ranks.distributed and cfg.sync_batchnorm:
                synchronise_batchnorm(m, self.device)
        adam = dict(lr=cfg.lr, betas=tuple(cfg.betas), fused=self.device.type == "cuda")
        self.optimizers = {name: torch.optim.Adam(m.parameters(), **adam) for name, m in self.networks().items()}
        # fp16 gradients underflow without loss scaling; one scaler for the G and D updates of a step
        self.scaler = torch.amp.GradScaler(self.device.type) if self.precision == "fp16" else None
        maybe_compile = torch.compile if cfg.compile else (lambda m: m)
        self.compiled = {name: maybe_compile(self._data_parallel(m)) for name, m in self.networks().items()}
        self.noise_generator = torch.Generator(device=self.device).manual_seed(cfg.seed + 1)
        self.frame_generator = torch.Generator().manual_seed(cfg.seed + 2)
        self.window_rng = np.random.default_rng(cfg.seed + 4)
        self.dataset = dataset
        self._read = BatchReader(dataset) if dataset is not None else None
        self.sampler = EpochSampler(len(dataset), cfg.batch_size, cfg.seed + 3) if dataset is not None else None
        self.step, self.history, self.stopped_early = 0, [], False
        #: The networks' buffers as they were before this step's in-place updates (set by train_step; put back
        #: by _finite_or_raise when a loss is not finite).
        self._buffer_snapshot: list[torch.Tensor] = []
        self.outputs = RunOutputs(cfg.out_dir if self.ranks.is_main else None)

    def _data_parallel(self, module: nn.Module) -> nn.Module:
        """What a step calls: the module itself, or under torchrun its DistributedDataParallel wrapper
        (gradients averaged over ranks; the module itself is what checkpoints save)."""
        if not self.ranks.distributed:
            return module

        ids = [self.device.index if self.device.index is not None else torch.cuda.current_device()] \
            if self.device.type == "cuda" else None
        return DistributedDataParallel(module, device_ids=ids)

    def networks(self) -> dict[str, nn.Module]:
        """{'G': ..., 'D_V': ..., 'D_I': ...}: the generator, the video and the image discriminator (the
        discriminators only when enabled); also the keys of the optimisers."""
        return {name: m for name, m in (("G", self.G), ("D_V", self.D_V), ("D_I", self.D_I)) if m is not None}

    @property
    def checkpoint_path(self) -> Path | None:
        return Path(self.train_cfg.out_dir) / "checkpoint.pt" if self.train_cfg.out_dir else None

    @property
    def total_steps(self) -> int:
        if self.train_cfg.steps is not None:
            return int(self.train_cfg.steps)
        if self.sampler is None:
            raise ValueError("epochs need a dataset to count batches")
        return int(math.ceil(self.train_cfg.epochs * self.sampler.batches_per_epoch))

    # ------------------------------------------------------------------ one step
    def _finite_or_raise(self, losses: Mapping[str, torch.Tensor]) -> dict[str, float]:
        """Loss floats; on NaN/inf undo this step's in-place buffer updates and raise before any update."""
        stacked = torch.stack([v.detach().float().reshape(()) for v in losses.values()])
        stacked = mean_over_ranks(stacked, self.ranks).cpu()  # the global batch's losses; one device sync
        values = dict(zip(losses, stacked.tolist()))
        bad = {k: v for k, v in values.items() if not math.isfinite(v)}
        if bad:
            with torch.no_grad():  # BatchNorm running stats and spectral-norm vectors
                for buf, saved in zip(self._buffers(), self._buffer_snapshot):
                    buf.copy_(saved)
            names = ", ".join(f"{k}={v}" for k, v in bad.items())
            where = f" (last good checkpoint: {self.checkpoint_path})" if self.checkpoint_path else ""
            raise NonFiniteLossError(
                f"non-finite loss at step {self.step + 1}: {names}; training stopped before updating the "
                f"weights{where}. Lower the learning rate, check the data for NaNs, or use precision='fp32'.")
        return values

    def _buffers(self) -> list[torch.Tensor]:
        return [b for m in self.networks().values() for b in m.buffers()]

    def _step_batch(self, videos: torch.Tensor, labels: torch.Tensor) -> StepBatch:
        """This rank's share of the global batch, with its noise drawn from the run's one stream."""
        z = torch.randn(videos.shape[0], self.model_cfg.dim_z, generator=self.noise_generator, device=self.device)
        fake_t, real_t = torch.randint(videos.shape[2], (2,), generator=self.frame_generator).tolist()
        videos, labels, z = (share_of(t, self.ranks) for t in (videos, labels, z))
        videos = videos.to(self.device, non_blocking=True).float()
        labels = labels.to(self.device, non_blocking=True).long()
        if self.train_cfg.channels_last:
            videos = videos.contiguous(memory_format=torch.channels_last_3d)
        return StepBatch(videos, labels, z, fake_t, real_t)

    def train_step(self, videos: torch.Tensor, labels: torch.Tensor) -> dict[str, float]:
        """One G update then one D update on real videos (B,3,T,H,W) in [-1,1] and labels (B,)."""
        batch = self._step_batch(videos, labels)
        for m in self.networks().values():
            m.train()
        self._buffer_snapshot = [b.detach().clone() for b in self._buffers()]
        nets = self.compiled
        values = gan_step(nets["G"], nets.get("D_V"), nets.get("D_I"), self.optimizers, batch,
                          l1_weight=self.train_cfg.l1_weight, adversarial=self.train_cfg.adversarial,
                          autocast=lambda: autocast_context(self.device, self.precision),
                          check=self._finite_or_raise, scaler=self.scaler, paint_penalty=self.train_cfg.paint_penalty)
        self.step += 1
        return values

    # ------------------------------------------------------------------ the loop
    def train(self, steps: int | None = None, time_budget_s: float | None = None,
              log: Callable[[str], None] | None = None) -> list[dict[str, Any]]:
        """Run `steps` more steps (default: up to cfg.steps / epochs); returns the history.

        time_budget_s: an opt-in limit: also stop after the step during which this many seconds have
        passed (sets `self.stopped_early`); the checkpoint, curves and samples are written as usual.
        log: told the measured s/step and the time to go once the first ETA_AFTER_STEPS steps ran.
        """
        if self.dataset is None:
            raise ValueError("Trainer has no dataset; pass one to Trainer(model_cfg, train_cfg, dataset)")
        target = self.step + int(steps) if steps is not None else self.total_steps
        self.outputs.open(self.history)
        bar = tqdm(total=target, initial=self.step, desc="train", unit="step", dynamic_ncols=True,
                   disable=not (self.train_cfg.progress and self.ranks.is_main))
        log = log if self.ranks.is_main else None
        self.stopped_early = False
        try:
            self._loop(target, bar, time_budget_s, log)
        except KeyboardInterrupt:
            bar.write(f"interrupted at step {self.step}; saved {self.save()}")
            raise
        finally:
            bar.close()
            self.outputs.close()
        if self.checkpoint_path is not None:
            self.save()
            self.write_pictures()
        return self.history

    def _loop(self, target: int, bar: tqdm, time_budget_s: float | None, log: Callable[[str], None] | None) -> None:
        cfg, started, first, buffer = self.train_cfg, time.perf_counter(), self.step, None
        with _DeferredInterrupt() as interrupt:
            while self.step < target:
                # the loop uses each batch before reading the next, so one buffer serves all
                videos, labels = self._read(self.sampler.next_indices(), self.window_rng, out=buffer)
                buffer = videos
                values = self.train_step(videos, labels)
                bar.update(1)
                if log is not None and self.step - first == ETA_AFTER_STEPS and self.step < target:
                    log(eta_text(time.perf_counter() - started, ETA_AFTER_STEPS, target - self.step))
                if cfg.log_every and (self.step % cfg.log_every == 0 or self.step == target):
                    self._log(values)
                    bar.set_postfix(l1=f"{values['l1']:.4f}", g=f"{values['g_total']:.3f}")
                if cfg.sample_every and self.step % cfg.sample_every == 0:
                    self.write_pictures()
                if cfg.checkpoint_every and self.step % cfg.checkpoint_every == 0:
                    self.save()
                if interrupt.requested:
                    raise KeyboardInterrupt
                if time_budget_s is not None and time.perf_counter() - started > time_budget_s \
                        and self.step < target:
                    self.stopped_early = True
                    return

    def _log(self, values: Mapping[str, float]) -> None:
        row = {"step": self.step, "epoch": self.sampler.epoch if self.sampler else 0, **values}
        self.history.append(row)
        self.outputs.log(row)

    # ------------------------------------------------------------------ outputs and checkpoints
    def fixed_noise_samples(self, count: int | None = None, seed: int = 1234) -> tuple[torch.Tensor, torch.Tensor]:
        """(real, fake) for the first dataset clips with fixed noise; leaves all RNGs untouched."""
        return fixed_noise_samples(self.G, self.dataset, count or self.train_cfg.sample_count, seed, self.device)

    def write_pictures(self) -> None:
        """The loss curve and a sample GIF of the current step (rank 0 only)."""
        if not self.ranks.is_main:
            return
        self.outputs.write_loss_curve(self.history)
        if self.dataset is not None:
            self.outputs.write_samples(*self.fixed_noise_samples(), step=self.step)

    def save(self, path: str | os.PathLike | None = None) -> Path:
        """Full checkpoint to `path` or out_dir/checkpoint.pt (history.json beside it); under torchrun rank 0
        writes it (every rank holds the same weights, optimiser states and random streams)."""
        path = Path(path) if path is not None else self.checkpoint_path
        if path is None:
            raise ValueError("no checkpoint path: set TrainConfig.out_dir or pass save(path)")
        if not self.ranks.is_main:
            return path
        self.outputs.write_history(self.history)
        streams = {  # the run's own random streams (seeded in __init__), beside the global RNG states
            "noise_generator": self.noise_generator.get_state(),
            "frame_generator": self.frame_generator.get_state(),
            "epoch_sampler": self.sampler.state_dict() if self.sampler else None,
            "window_rng": self.window_rng.bit_generator.state,
        }
        return save_checkpoint(path, model_cfg=self.model_cfg, generator=self.G, video_disc=self.D_V,
                               image_disc=self.D_I, optimizers=self.optimizers, scaler=self.scaler,
                               train_cfg=self.train_cfg.to_dict(), step=self.step,
                               epoch=self.sampler.epoch if self.sampler else 0, random_streams=streams,
                               history=self.history)

    def restore(self, ckpt: Mapping[str, Any]) -> None:
        """Inverse of `save` on a loaded checkpoint: weights, optimisers, loss scaler, step, history and
        every random stream, so that the run continues bit for bit."""
        for name, key in (("G", "generator"), ("D_V", "video_discriminator"), ("D_I", "image_discriminator")):
            net = self.networks().get(name)
            if net is None:
                continue
            if ckpt.get(key) is None:
                raise ValueError(f"checkpoint has no {key} weights but this run uses it; "
                                 "resume with the same use_video_disc/use_image_disc switches")
            net.load_state_dict(ckpt[key])
        saved = ckpt.get("optimizers", {})
        for name, opt in self.optimizers.items():
            key = name if name in saved else LEGACY_OPTIMIZER_KEYS.get(name)  # checkpoints before the rename
            if key in saved:
                opt.load_state_dict(saved[key])
        if self.scaler is not None and ckpt.get("scaler"):
            self.scaler.load_state_dict(ckpt["scaler"])
        self.step, self.history = int(ckpt.get("step", 0)), list(ckpt.get("history", []))
        restore_rng_states(ckpt.get("rng", {}))
        streams = random_streams_of(ckpt)
        if "noise_generator" in streams:
            self.noise_generator.set_state(streams["noise_generator"])
            self.frame_generator.set_state(streams["frame_generator"])
        if streams.get("epoch_sampler") is not None and self.sampler is not None:
            self.sampler.load_state_dict(streams["epoch_sampler"])
        if streams.get("window_rng") is not None:
            self.window_rng.bit_generator.state = streams["window_rng"]

    @classmethod
    def resume(cls, path: str | os.PathLike, dataset: Any, **overrides: Any) -> "Trainer":
        """Rebuild a Trainer from a checkpoint (its configs, with RESUMABLE_FIELDS overridden) and restore it.

        ValueError if an override changes the recipe (lr, batch size, ...) or asks for fewer total
        steps than the checkpoint has done.
        """
        ckpt = load_checkpoint(path)
        saved = check_resume(path, ckpt, overrides)
        trainer = cls(model_config_of(ckpt), saved.replace(**overrides), dataset)
        trainer.restore(ckpt)
        return trainer


def check_resume(path: str | os.PathLike, ckpt: Mapping[str, Any], overrides: Mapping[str, Any]) -> TrainConfig:
    """The checkpoint's TrainConfig, after checking that `overrides` only change RESUMABLE_FIELDS and do
    not ask for fewer total steps than it has done (ValueError naming both otherwise)."""
    saved = TrainConfig.from_dict(ckpt.get("train_config", {}))
    conflicts = [f"{k}={getattr(saved, k)!r} (asked: {v!r})" for k, v in overrides.items()
                 if k not in RESUMABLE_FIELDS and v != getattr(saved, k)]
    if conflicts:
        raise ValueError(f"{path} was trained with {', '.join(conflicts)}; a resumed run continues the same "
                         "recipe: drop those settings, or start a new run in another output folder")
    step = int(ckpt.get("step", 0))
    if overrides.get("steps") is not None and overrides["steps"] < step:
        raise ValueError(f"{path} is already at step {step}; --steps {overrides['steps']} is the total to reach, "
                         f"so give more than {step}")
    return saved
