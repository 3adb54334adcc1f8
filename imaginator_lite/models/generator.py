"""The ImaGINator generator: a 2D encoder for the input image and a (1+2)D decoder with fusion.

Generator(image (B,3,H,W), z (B,dim_z), label (B,) or (B,n_classes)) -> video (B,3,T,H,W) in [-1,1].
"""
from __future__ import annotations

import torch
from einops import repeat
from torch import nn

from .blocks import LEAKY_SLOPE, make_up_block
from .config import ModelConfig
from .validation import check_image, check_noise, label_to_onehot


def _conv_bn_lrelu(in_ch: int, out_ch: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(in_ch, out_ch, 4, 2, 1), nn.BatchNorm2d(out_ch),
                         nn.LeakyReLU(LEAKY_SLOPE, inplace=True))


class Encoder(nn.Module):
    """Image (B,3,S,S) -> [p (B,dim_a,1,1), then maps coarse to fine: (B,8ch,4,4) ... (B,ch,S/2,S/2)].

    Unlike the official code (BatchNorm2d(64)/(128) hard-coded), widths follow cfg.channels.
    """

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        widths = (3,) + cfg.encoder_channels
        for i in range(cfg.n_levels):
            self.add_module(f"b{i + 1}", _conv_bn_lrelu(widths[i], widths[i + 1]))
        self.add_module(f"b{cfg.n_levels + 1}", nn.Sequential(nn.Conv2d(widths[-1], cfg.dim_a, 4, 1, 0)))
        self.n_blocks = cfg.n_levels + 1

    def forward(self, image: torch.Tensor) -> list[torch.Tensor]:
        feats = []
        h = image
        for i in range(self.n_blocks):
            h = getattr(self, f"b{i + 1}")(h)
            feats.append(h)
        return feats[::-1]


class Decoder(nn.Module):
    """[z, one-hot, p] as a (B, dim_z+n_classes+dim_a, 1,1,1) volume -> video (B,3,T,S,S).

    After every block but the last, spatio-temporal fusion concatenates the encoder map of the
    same size repeated over time and the one-hot label broadcast over (T,H,W) (if cfg.fusion).
    """

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.fusion = cfg.fusion
        specs = cfg.up_blocks()
        self.block_names = [f"block{i + 1}" for i in range(len(specs) - 1)] + ["to_rgb"]
        for name, spec in zip(self.block_names, specs):
            self.add_module(name, make_up_block(spec, cfg.block))

    def forward(self, z: torch.Tensor, onehot: torch.Tensor, feats: list[torch.Tensor]) -> torch.Tensor:
        h = torch.cat([z, onehot, feats[0].flatten(1)], dim=1)[:, :, None, None, None]
        for i, name in enumerate(self.block_names):
            h = getattr(self, name)(h)
            if self.fusion and name != "to_rgb":
                t, hh, ww = h.shape[2:]
                appearance = repeat(feats[i + 1], "b c h w -> b c t h w", t=t)
                motion = repeat(onehot, "b k -> b k t h w", t=t, h=hh, w=ww)
                h = torch.cat([h, appearance, motion], dim=1)
        return h


def init_weights(module: nn.Module, decoder_init: str = "normal") -> None:
    """DCGAN init: conv weights N(0, 0.02), BN weight N(1, 0.02), BN bias 0.

    decoder_init="official" leaves ConvTranspose3d at PyTorch's default, as the official code
    does by accident (its init tests for nn.Conv3d only).
    """
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.Conv3d)):
            nn.init.normal_(m.weight, 0.0, 0.02)
        elif isinstance(m, nn.ConvTranspose3d) and decoder_init == "normal":
            nn.init.normal_(m.weight, 0.0, 0.02)
        elif isinstance(m, (nn.BatchNorm2d, nn.BatchNorm3d)):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


class Generator(nn.Module):
    """G(image (B,3,S,S), z (B,dim_z), label) -> video (B,3,T,S,S) in [-1,1]."""

    def __init__(self, cfg: ModelConfig | None = None) -> None:
        super().__init__()
        self.cfg = cfg or ModelConfig.preset("paper")
        self.enc = Encoder(self.cfg)
        self.dec = Decoder(self.cfg)
        init_weights(self, self.cfg.decoder_init)

    def forward(self, image: torch.Tensor, z: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        cfg = self.cfg
        check_image(image, cfg.image_size)
        batch = image.shape[0]
        check_noise(z, batch, cfg.dim_z)
        onehot = label_to_onehot(label, batch, cfg.n_classes, image.dtype, image.device)
        feats = self.enc(image)
        return self.dec(z.to(image.dtype), onehot, feats)

    def sample_noise(self, batch: int, generator: torch.Generator | None = None,
                     device: torch.device | str | None = None) -> torch.Tensor:
        """Standard normal z of shape (batch, dim_z)."""
        device = device if device is not None else next(self.parameters()).device
        return torch.randn(batch, self.cfg.dim_z, generator=generator, device=device)
