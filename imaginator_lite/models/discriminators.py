"""Spectral-normalised discriminators: a conditional 3D video critic and a 2D single-frame critic.

Both return one logit per sample, shape (B,).
"""
from __future__ import annotations

import torch
from einops import repeat
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from .blocks import LEAKY_SLOPE
from .config import ModelConfig
from .validation import check_image, check_video, label_to_onehot


def _lrelu() -> nn.Module:
    return nn.LeakyReLU(LEAKY_SLOPE, inplace=True)


def _init_conv_weights(module: nn.Module) -> None:
    """N(0, 0.02) on every conv's (un-normalised) weight, as the official code does."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.Conv3d)):
            weight = m.parametrizations.weight.original if hasattr(m, "parametrizations") else m.weight
            nn.init.normal_(weight, 0.0, 0.02)


def _video_down_layers(cfg: ModelConfig) -> list[tuple[int, int, tuple[int, int, int], tuple[int, int, int], tuple[int, int, int]]]:
    """(in, out, kernel, stride, padding) for each 3D conv: k4 s2 p1 per level, then (T_left,4,4) to one logit."""
    widths = [3] + [cfg.disc_channels * 2 ** i for i in range(cfg.n_levels)]
    layers = []
    t = cfg.frames
    for i in range(cfg.n_levels):
        in_ch = widths[i] + (cfg.n_classes if i == 1 else 0)
        if t >= 2:
            kt, st, pt, t = 4, 2, 1, t // 2
        else:
            kt, st, pt = 3, 1, 1
        layers.append((in_ch, widths[i + 1], (kt, 4, 4), (st, 2, 2), (pt, 1, 1)))
    layers.append((widths[-1], 1, (t, 4, 4), (1, 1, 1), (0, 0, 0)))
    return layers


class VideoDiscriminator(nn.Module):
    """D_V(video (B,3,T,S,S), label (B,) or (B,n_classes)) -> logit (B,).

    The one-hot label is broadcast over (T,H,W) and concatenated after the first layer.
    """

    def __init__(self, cfg: ModelConfig | None = None) -> None:
        super().__init__()
        self.cfg = cfg or ModelConfig.preset("paper")
        specs = _video_down_layers(self.cfg)
        convs = [spectral_norm(nn.Conv3d(i, o, k, s, p)) for i, o, k, s, p in specs]
        self.net1 = nn.Sequential(convs[0], _lrelu())
        rest: list[nn.Module] = []
        for conv in convs[1:-1]:
            rest += [conv, _lrelu()]
        rest.append(convs[-1])
        self.net2 = nn.Sequential(*rest)
        _init_conv_weights(self)

    def forward(self, video: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        cfg = self.cfg
        check_video(video, cfg.frames, cfg.image_size)
        onehot = label_to_onehot(label, video.shape[0], cfg.n_classes, video.dtype, video.device)
        h = self.net1(video)
        t, hh, ww = h.shape[2:]
        h = torch.cat([h, repeat(onehot, "b k -> b k t h w", t=t, h=hh, w=ww)], dim=1)
        return self.net2(h).flatten()


class ImageDiscriminator(nn.Module):
    """D_I(frame (B,3,S,S)) -> logit (B,): a DCGAN-style 2D stack on one frame."""

    def __init__(self, cfg: ModelConfig | None = None) -> None:
        super().__init__()
        self.cfg = cfg or ModelConfig.preset("paper")
        widths = [3] + [self.cfg.disc_channels * 2 ** i for i in range(self.cfg.n_levels)]
        layers: list[nn.Module] = []
        for i in range(self.cfg.n_levels):
            layers += [spectral_norm(nn.Conv2d(widths[i], widths[i + 1], 4, 2, 1)), _lrelu()]
        layers.append(spectral_norm(nn.Conv2d(widths[-1], 1, 4, 1, 0)))
        self.net = nn.Sequential(*layers)
        _init_conv_weights(self)

    def forward(self, frame: torch.Tensor) -> torch.Tensor:
        check_image(frame, self.cfg.image_size, what="frame")
        return self.net(frame).flatten()
