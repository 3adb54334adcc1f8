"""One ImaGINator training step, top to bottom: the generator update, then the discriminator update.

With x_0 the first frame of a real clip x (B,3,T,H,W), y its label, z ~ N(0, I) and adv the BCE (or hinge)
loss against a target ('real' = 1, 'fake' = 0):

    fake     = G(x_0, z, y)
    L_G      = lambda * |fake - x|_1 + adv(D_V(fake, y), real) + adv(D_I(fake[:, :, t]), real)
    L_{D_V}  = adv(D_V(x, y), real) + adv(D_V(fake, y), fake)           (fake detached)
    L_{D_I}  = adv(D_I(x[:, :, t']), real) + adv(D_I(fake[:, :, t]), fake)

one Adam step of G on L_G (D_V and D_I frozen), then one of each discriminator on its loss: the
official order. t and t' are random frames; the ablations drop D_V or D_I. Beyond the paper, a warp
generator trained with paint_penalty > 0 adds paint_penalty * mean(1 - mask) to L_G (models/warp.py).
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Callable, ContextManager, Iterator, Mapping, Sequence

import torch

from ..models.losses import discriminator_loss, generator_loss

AUTOCAST_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


def autocast_context(device: torch.device, precision: str) -> ContextManager:
    """bf16 / fp16 autocast on CUDA or CPU when asked for, else a no-op context."""
    if precision in AUTOCAST_DTYPES:
        return torch.autocast(device_type=device.type, dtype=AUTOCAST_DTYPES[precision])
    return contextlib.nullcontext()


@dataclass
class StepBatch:
    """One step's inputs: real videos x (B,3,T,H,W), labels y (B,), noise z (B,dim_z), and the frame of the
    fake (fake_t) and of the real clip (real_t) that the image discriminator sees."""

    videos: torch.Tensor
    labels: torch.Tensor
    z: torch.Tensor
    fake_t: int
    real_t: int


@contextlib.contextmanager
def frozen(*modules: Callable | None) -> Iterator[None]:
    """Within the block the modules' parameters need no gradient, so backward skips their weight
    gradients (G's gradients are unchanged: D's would be discarded before the D step anyway), and a
    DistributedDataParallel wrapper expects none (`no_sync`)."""
    params = [p for m in modules if m is not None for p in m.parameters() if p.requires_grad]
    for p in params:
        p.requires_grad_(False)
    try:
        with contextlib.ExitStack() as stack:
            for m in modules:
                if hasattr(m, "no_sync"):
                    stack.enter_context(m.no_sync())
            yield
    finally:
        for p in params:
            p.requires_grad_(True)


def update(optimizers: Sequence[torch.optim.Optimizer], loss: torch.Tensor,
           scaler: torch.amp.GradScaler | None = None) -> None:
    """zero_grad, backward, step, through the fp16 GradScaler when there is one (it skips inf/NaN steps)."""
    for optimizer in optimizers:
        optimizer.zero_grad(set_to_none=True)
    (scaler.scale(loss) if scaler is not None else loss).backward()
    for optimizer in optimizers:
        scaler.step(optimizer) if scaler is not None else optimizer.step()


def gan_step(G: Callable, D_V: Callable | None, D_I: Callable | None, optimizers: Mapping[str, torch.optim.Optimizer],
             batch: StepBatch, *, l1_weight: float, adversarial: str, autocast: Callable[[], ContextManager],
             check: Callable[[Mapping[str, torch.Tensor]], dict[str, float]],
             scaler: torch.amp.GradScaler | None = None, paint_penalty: float = 0.0) -> dict[str, float]:
    """The G update then the D update (the module docstring has the maths); returns the loss values.

    check(losses) -> floats, raising before any update when a loss is NaN/inf. paint_penalty > 0 needs a warp G.
    """
    x, y = batch.videos, batch.labels
    mask = None
    with frozen(D_V, D_I), autocast():                       # generator update: D_V and D_I frozen
        if paint_penalty > 0:
            fake, mask = G(x[:, :, 0], batch.z, y, return_mask=True)
        else:
            fake = G(x[:, :, 0], batch.z, y)
        vd_fake = D_V(fake, y).float() if D_V is not None else None
        fake_t = fake[:, :, batch.fake_t]                  # taken after D_V: autograd sums fake's gradients in this order
        id_fake = D_I(fake_t).float() if D_I is not None else None
    loss_g, parts = generator_loss(fake.float(), x, vd_fake, id_fake, l1_weight, adversarial, mask, paint_penalty)
    values = check({"g_total": loss_g, **parts})
    update([optimizers["G"]], loss_g, scaler)

    fake, fake_t = fake.detach(), fake_t.detach()          # discriminator update on real vs detached fakes
    losses: dict[str, torch.Tensor] = {}
    with autocast():
        if D_V is not None:
            losses["d_video"] = discriminator_loss(D_V(x, y).float(), D_V(fake, y).float(), adversarial)
        if D_I is not None:
            losses["d_image"] = discriminator_loss(D_I(x[:, :, batch.real_t]).float(), D_I(fake_t).float(), adversarial)
    if losses:
        values.update(check(losses))
        update([optimizers[net] for net, key in (("D_V", "d_video"), ("D_I", "d_image")) if key in losses],
               sum(losses.values()), scaler)
    if scaler is not None:
        scaler.update()                                    # one loss-scale update per step
    return values
