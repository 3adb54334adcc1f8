"""One training step as two small functions: the generator update, then the discriminator update.

generator_step: fake = G(first frame, z, label); loss = l1_weight * L1(fake, real)
    + adv(D_V(fake, label)) + adv(D_I(one fake frame)); one Adam step of G.
discriminator_step: D_V on real vs fake (detached), D_I on a random real frame vs the fake frame;
    one Adam step of each discriminator. Exactly the official order.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Callable, ContextManager, Iterator, Mapping

import torch

from ..models.losses import discriminator_loss, generator_loss

AUTOCAST_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


def autocast_context(device: torch.device, precision: str) -> ContextManager:
    """bf16 / fp16 autocast on CUDA or CPU when asked for, else a no-op context."""
    if precision in AUTOCAST_DTYPES:
        return torch.autocast(device_type=device.type, dtype=AUTOCAST_DTYPES[precision])
    return contextlib.nullcontext()


@dataclass
class Networks:
    """The callables a step runs (maybe torch.compile'd); VD / ID are None when ablated away."""

    G: Callable
    VD: Callable | None
    ID: Callable | None


@dataclass
class StepBatch:
    """One step's inputs: real videos (B,3,T,H,W), labels (B,), noise z (B,dim_z), and which frame
    of the fake (fake_t) and of the real video (real_t) the image discriminator sees."""

    videos: torch.Tensor
    labels: torch.Tensor
    z: torch.Tensor
    fake_t: int
    real_t: int


class Updater:
    """backward() and optimizer.step(), through one GradScaler under fp16 (it skips inf/NaN steps)."""

    def __init__(self, scaler: torch.amp.GradScaler | None = None) -> None:
        self.scaler = scaler

    def backward(self, loss: torch.Tensor) -> None:
        (self.scaler.scale(loss) if self.scaler is not None else loss).backward()

    def step(self, optimizer: torch.optim.Optimizer) -> None:
        if self.scaler is not None:
            self.scaler.step(optimizer)
        else:
            optimizer.step()

    def end_step(self) -> None:
        """After the G and D updates of a step: let the scaler adapt the loss scale."""
        if self.scaler is not None:
            self.scaler.update()


@dataclass
class StepContext:
    """What both updates share: the loss choices, autocast, the updater and the finite-loss guard
    (guard(losses) -> floats; raises before any update if a loss is NaN/inf)."""

    l1_weight: float
    adversarial: str
    autocast: Callable[[], ContextManager]
    updater: Updater
    guard: Callable[[Mapping[str, torch.Tensor]], dict[str, float]]


@contextlib.contextmanager
def frozen(*modules: Callable | None) -> Iterator[None]:
    """Within the block the modules' parameters need no gradient, so backward skips their weight
    gradients (G's gradients are unchanged: D's would be discarded before the D step anyway)."""
    params = [p for m in modules if m is not None for p in m.parameters() if p.requires_grad]
    for p in params:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p in params:
            p.requires_grad_(True)


def generator_step(nets: Networks, optimizer: torch.optim.Optimizer, batch: StepBatch,
                   ctx: StepContext) -> tuple[torch.Tensor, torch.Tensor, dict[str, float]]:
    """Update G; returns (fake videos, the fake frame D_I saw, both detached) and the loss values."""
    with frozen(nets.VD, nets.ID):
        return _generator_update(nets, optimizer, batch, ctx)


def _generator_update(nets: Networks, optimizer: torch.optim.Optimizer, batch: StepBatch,
                      ctx: StepContext) -> tuple[torch.Tensor, torch.Tensor, dict[str, float]]:
    with ctx.autocast():
        fake = nets.G(batch.videos[:, :, 0], batch.z, batch.labels)
        vd_fake = nets.VD(fake, batch.labels).float() if nets.VD is not None else None
        fake_frame = fake[:, :, batch.fake_t]
        id_fake = nets.ID(fake_frame).float() if nets.ID is not None else None
    g_total, parts = generator_loss(fake.float(), batch.videos, vd_fake, id_fake, ctx.l1_weight, ctx.adversarial)
    values = ctx.guard({"g_total": g_total, **parts})
    optimizer.zero_grad(set_to_none=True)
    ctx.updater.backward(g_total)
    ctx.updater.step(optimizer)
    return fake.detach(), fake_frame.detach(), values


def discriminator_step(nets: Networks, optimizers: Mapping[str, torch.optim.Optimizer], batch: StepBatch,
                       fake: torch.Tensor, fake_frame: torch.Tensor, ctx: StepContext) -> dict[str, float]:
    """Update D_V and D_I (those present) on real vs the detached fakes; returns their loss values."""
    losses: dict[str, torch.Tensor] = {}
    with ctx.autocast():
        if nets.VD is not None:
            losses["d_video"] = discriminator_loss(nets.VD(batch.videos, batch.labels).float(),
                                                   nets.VD(fake, batch.labels).float(), ctx.adversarial)
        if nets.ID is not None:
            losses["d_image"] = discriminator_loss(nets.ID(batch.videos[:, :, batch.real_t]).float(),
                                                   nets.ID(fake_frame).float(), ctx.adversarial)
    if not losses:
        return {}
    values = ctx.guard(losses)
    stepped = [optimizers[net] for key, net in (("d_video", "VD"), ("d_image", "ID")) if key in losses]
    for optimizer in stepped:
        optimizer.zero_grad(set_to_none=True)
    ctx.updater.backward(sum(losses.values()))
    for optimizer in stepped:
        ctx.updater.step(optimizer)
    return values
