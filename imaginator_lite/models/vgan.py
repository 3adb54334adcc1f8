"""An image-conditioned VGAN: a 3D foreground stream with a mask over a still 2D background.

Vondrick, Pirsiavash, Torralba, "Generating Videos with Scene Dynamics", NeurIPS 2016; the authors' code (Lua
Torch): https://github.com/cvondrick/videogan (main_conditional.lua is their image-conditioned model). Written here
from the paper, with ImaGINator's interface:

    latent h = [p (image code, B x dim_a), one-hot label, z] as a 1x1(x1) volume
    foreground: transposed 3D convs h -> f (B,3,T,S,S) (tanh) and mask m (B,1,T,S,S) (sigmoid)
    background: transposed 2D convs h -> b (B,3,S,S) (tanh), one still image repeated over the T frames
    video = m * f + (1 - m) * b

Differences from the authors' conditional code, to share ImaGINator's call, trainer and discriminators: the image
code is ImaGINator's encoder's vector p (theirs: a 4x4 map), the label and z join it (theirs has neither), the
kernels and strides per level are ImaGINator's decoder schedule (the same as VGAN's at 64x64x32), the generator's
activations are ReLU (as theirs) and the loss is the trainer's (L1 on the whole video, D_V and D_I).
"""
from __future__ import annotations

from typing import NamedTuple

import torch
from einops import repeat
from torch import nn

from .baseline import BaselineGenerator, Inputs, dcgan_init, stream_widths
from .config import ModelConfig

#: Each stream's widths are the encoder's reversed times this: 84-88% of ImaGINator's parameters at presets tiny, small
#: and medium (at preset paper 43%: ImaGINator's official widths there are not parameter-matched). docs/model.md.
VGAN_WIDTH_SCALE = 1


class VGANStreams(NamedTuple):
    """The two streams before they are composed: foreground f (B,3,T,S,S) in [-1,1], mask m (B,1,T,S,S) in [0,1],
    background b (B,3,T,S,S) in [-1,1] (one still image, the same at every frame); the video is m*f + (1-m)*b."""

    foreground: torch.Tensor
    mask: torch.Tensor
    background: torch.Tensor


def compose(foreground: torch.Tensor, mask: torch.Tensor, background: torch.Tensor) -> torch.Tensor:
    """VGAN's composite m * f + (1 - m) * b: foreground (B,3,T,H,W), mask (B,1,T,H,W) in [0,1], background a still
    image (B,3,H,W) (or already repeated, (B,3,T,H,W)) -> video (B,3,T,H,W). Where m = 1 the foreground shows."""
    if background.dim() == 4:
        background = repeat(background, "b c h w -> b c t h w", t=foreground.shape[2])
    return mask * foreground + (1 - mask) * background


def _up3d(in_ch: int, out_ch: int, spec) -> nn.ConvTranspose3d:
    return nn.ConvTranspose3d(in_ch, out_ch, (spec.k_t, spec.k_s, spec.k_s), (spec.s_t, spec.s_s, spec.s_s),
                              (spec.p_t, spec.p_s, spec.p_s))


def _up2d(in_ch: int, out_ch: int, spec) -> nn.ConvTranspose2d:
    return nn.ConvTranspose2d(in_ch, out_ch, spec.k_s, spec.s_s, spec.p_s)


def _stream(cfg: ModelConfig, widths: tuple[int, ...], video: bool) -> nn.Sequential:
    """Transposed convs with BatchNorm and ReLU from the latent (1x1x1 or 1x1) to widths[-1] at S/2 (and T/2 or T)."""
    specs = cfg.up_blocks()[:-1]
    channels = (cfg.dim_a + cfg.n_classes + cfg.dim_z,) + widths
    layers: list[nn.Module] = []
    for spec, c_in, c_out in zip(specs, channels[:-1], channels[1:]):
        layers += [_up3d(c_in, c_out, spec) if video else _up2d(c_in, c_out, spec),
                   nn.BatchNorm3d(c_out) if video else nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]
    return nn.Sequential(*layers)


class VGANGenerator(BaselineGenerator):
    """G(image (B,3,S,S), z (B,dim_z), label) -> video (B,3,T,S,S) in [-1,1]: m*f + (1-m)*b (`streams` gives them)."""

    family = "vgan"

    def __init__(self, cfg: ModelConfig | None = None) -> None:
        super().__init__(cfg)
        cfg, last = self.cfg, self.cfg.up_blocks()[-1]
        widths = stream_widths(cfg, VGAN_WIDTH_SCALE)
        self.foreground = _stream(cfg, widths, video=True)
        self.to_video = nn.Sequential(_up3d(widths[-1], 3, last), nn.Tanh())
        self.to_mask = nn.Sequential(_up3d(widths[-1], 1, last), nn.Sigmoid())
        self.background = _stream(cfg, widths, video=False)
        self.to_still = nn.Sequential(_up2d(widths[-1], 3, last), nn.Tanh())
        dcgan_init(self)

    def stream_outputs(self, inputs: Inputs) -> VGANStreams:
        """The foreground, mask and background (`VGANStreams`) of checked inputs."""
        h = torch.cat([inputs.code, inputs.onehot, inputs.z], dim=1)
        features = self.foreground(h[:, :, None, None, None])
        still = self.to_still(self.background(h[:, :, None, None]))
        return VGANStreams(self.to_video(features), self.to_mask(features),
                           repeat(still, "b c h w -> b c t h w", t=self.cfg.frames))

    def streams(self, image: torch.Tensor, z: torch.Tensor, label: torch.Tensor) -> VGANStreams:
        """image (B,3,S,S), z (B,dim_z), label -> foreground (B,3,T,S,S), mask (B,1,T,S,S), background (B,3,T,S,S)."""
        return self.stream_outputs(self.inputs(image, z, label))

    def paint(self, inputs: Inputs) -> torch.Tensor:
        s = self.stream_outputs(inputs)
        return compose(s.foreground, s.mask, s.background)
