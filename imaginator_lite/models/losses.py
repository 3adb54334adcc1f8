"""GAN objectives: adversarial (BCE-with-logits as in the paper, or hinge), L1 reconstruction, and (warp
generators, beyond the paper) a penalty on the painted share."""
from __future__ import annotations

import torch
import torch.nn.functional as F

ADVERSARIAL_KINDS = ("bce", "hinge")


def _check_kind(kind: str) -> None:
    if kind not in ADVERSARIAL_KINDS:
        raise ValueError(f"unknown adversarial loss {kind!r}; use one of {ADVERSARIAL_KINDS}")


def generator_adversarial_loss(fake_logits: torch.Tensor, kind: str = "bce") -> torch.Tensor:
    """G wants D(fake) judged real: BCE(D(fake), 1), or -mean(D(fake)) for hinge.  logits (B,)."""
    _check_kind(kind)
    if kind == "bce":
        return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))
    return -fake_logits.mean()


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor, kind: str = "bce") -> torch.Tensor:
    """BCE(D(real), 1) + BCE(D(fake), 0), or hinge mean(relu(1-real)) + mean(relu(1+fake))."""
    _check_kind(kind)
    if kind == "bce":
        return (F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
                + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))
    return F.relu(1.0 - real_logits).mean() + F.relu(1.0 + fake_logits).mean()


def reconstruction_loss(fake_video: torch.Tensor, real_video: torch.Tensor) -> torch.Tensor:
    """Mean absolute error between (B,3,T,H,W) videos."""
    return F.l1_loss(fake_video, real_video)


def painted_share(mask: torch.Tensor) -> torch.Tensor:
    """The share of a warp generator's frames that is painted rather than moved: mean(1 - mask), mask (B,1,T,H,W)."""
    return (1.0 - mask.float()).mean()


def generator_loss(fake_video: torch.Tensor, real_video: torch.Tensor, video_fake_logits: torch.Tensor | None,
                   image_fake_logits: torch.Tensor | None, l1_weight: float = 100.0,
                   kind: str = "bce", mask: torch.Tensor | None = None,
                   paint_penalty: float = 0.0) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Paper objective: l1_weight * L1 + adv(D_V(fake)) + adv(D_I(fake frame)),
    plus paint_penalty * painted_share(mask) when a warp generator's mask (B,1,T,H,W) is given.

    Either discriminator term may be None (the ablations switch them off). Returns (total, parts).
    """
    parts = {"l1": reconstruction_loss(fake_video, real_video)}
    total = l1_weight * parts["l1"]
    if mask is not None:
        parts["painted"] = painted_share(mask)
        total = total + paint_penalty * parts["painted"]
    if video_fake_logits is not None:
        parts["g_video"] = generator_adversarial_loss(video_fake_logits, kind)
        total = total + parts["g_video"]
    if image_fake_logits is not None:
        parts["g_image"] = generator_adversarial_loss(image_fake_logits, kind)
        total = total + parts["g_image"]
    return total, parts
