"""What the baseline generators (models/vgan.py, models/mocogan.py) share: ImaGINator's interface and image encoder.

A baseline is called like `Generator`: G(image (B,3,S,S), z (B,dim_z), label (B,) or (B,n_classes)) -> video
(B,3,T,S,S) in [-1,1], with `.cfg`, `.output` (always the paint kind) and `.sample_noise`, so the trainer, both
discriminators, the losses, evaluation and generation use it unchanged. Its image code is ImaGINator's `Encoder`'s
vector p (B,dim_a); it paints every pixel, so the warp-only calls (`fields`, `animate`, return_mask) raise.
"""
from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

from .config import ModelConfig
from .generator import Encoder
from .outputs import output_kind
from .validation import check_image, check_noise, label_to_onehot


class Inputs(NamedTuple):
    """A checked call: the image code p (B,dim_a), the noise z (B,dim_z) and the one-hot label (B,n_classes)."""

    code: torch.Tensor
    z: torch.Tensor
    onehot: torch.Tensor


def stream_widths(cfg: ModelConfig, scale: int) -> tuple[int, ...]:
    """A stream's widths coarse to fine (4x4 first, S/2 last): the encoder's widths reversed, times `scale`."""
    return tuple(scale * c for c in cfg.encoder_channels[::-1])


def dcgan_init(module: nn.Module) -> None:
    """Every (transposed) 2D/3D conv weight N(0, 0.02) with bias 0; BatchNorm weight N(1, 0.02), bias 0."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.Conv3d, nn.ConvTranspose2d, nn.ConvTranspose3d)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm2d, nn.BatchNorm3d)):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


class BaselineGenerator(nn.Module):
    """The base of the baseline families: `.cfg`, `.output`, `.enc`, input checks and ImaGINator's call signature.

    A subclass sets `family` and implements `paint(inputs) -> video (B,3,T,S,S)`.
    """

    family = ""

    def __init__(self, cfg: ModelConfig | None = None) -> None:
        super().__init__()
        self.cfg = cfg or ModelConfig.preset("paper", family=self.family)
        if self.cfg.family != self.family:
            raise ValueError(f"{type(self).__name__} builds family {self.family!r}, but the config's family is "
                             f"{self.cfg.family!r}: use models.build_generator(cfg)")
        self.output = output_kind("paint")
        self.enc = Encoder(self.cfg)

    def inputs(self, image: torch.Tensor, z: torch.Tensor, label: torch.Tensor) -> Inputs:
        """Check image (B,3,S,S), z (B,dim_z) and label, and encode the image into its code p (B,dim_a)."""
        cfg = self.cfg
        check_image(image, cfg.image_size)
        batch = image.shape[0]
        check_noise(z, batch, cfg.dim_z)
        onehot = label_to_onehot(label, batch, cfg.n_classes, image.dtype, image.device)
        return Inputs(self.enc(image)[0].flatten(1), z.to(image.dtype), onehot)

    def paint(self, inputs: Inputs) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, image: torch.Tensor, z: torch.Tensor, label: torch.Tensor,
                return_mask: bool = False) -> torch.Tensor:
        """image (B,3,S,S), z (B,dim_z), label (B,) -> video (B,3,T,S,S) in [-1,1] (return_mask: warp only)."""
        if return_mask:
            self._require_warp("return_mask")
        return self.paint(self.inputs(image, z, label))

    def _require_warp(self, what: str) -> None:
        raise ValueError(f"{what} needs a warp generator (family 'imaginator' with output 'warp' or 'tps'), but this "
                         f"is a {self.family!r} generator, which paints every pixel at its own "
                         f"{self.cfg.image_size}x{self.cfg.image_size}; call G(image, z, label) instead")

    def fields(self, image: torch.Tensor, z: torch.Tensor, label: torch.Tensor):
        """Warp generators only: a ValueError here."""
        self._require_warp("G.fields")

    def animate(self, photo: torch.Tensor, z: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        """Warp generators only: a ValueError here."""
        self._require_warp("G.animate")

    def sample_noise(self, batch: int, generator: torch.Generator | None = None,
                     device: torch.device | str | None = None) -> torch.Tensor:
        """Standard normal z of shape (batch, dim_z)."""
        device = device if device is not None else next(self.parameters()).device
        return torch.randn(batch, self.cfg.dim_z, generator=generator, device=device)
