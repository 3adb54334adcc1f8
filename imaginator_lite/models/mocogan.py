"""An image-conditioned MoCoGAN: a content code from the image, a GRU of motion codes, a 2D frame generator.

Tulyakov, Liu, Yang, Kautz, "MoCoGAN: Decomposing Motion and Content for Video Generation", CVPR 2018; the authors'
code (PyTorch): https://github.com/sergeytulyakov/mocogan. Written here from the paper, with ImaGINator's interface:

    content  c = p (B, dim_a): ImaGINator's encoder's code of the input image, the same for every frame
    noise    eps_0 .. eps_T (B, T+1, dim_m): read from z through a fixed random projection (see below)
    motion   h_0 = eps_0;  h_t = GRUCell([eps_t, one-hot], h_{t-1});  m_t = [h_t, one-hot]   (B, T, dim_m+n_classes)
    frames   x_t = G_I([c, m_t]): transposed 2D convs, each frame rendered on its own (time folded into the batch)

The paper draws the GRU's initial state and each frame's input as fresh N(0, I) noise and adds the one-hot category
to every frame's code. ImaGINator's call passes one z (B, dim_z) per video, so here the T+1 noise vectors are
z @ P with P (dim_z, T+1, dim_m) a fixed N(0, 1/dim_z) matrix drawn at construction and saved with the weights (a
buffer, never trained): each has unit variance like the paper's, a new z gives new ones and the same z always the
same video. The label also enters the GRU, so the motion itself is conditioned on it. BatchNorm in the frame
generator sees all frames of the batch in training; in eval mode every frame depends on its own code alone.
"""
from __future__ import annotations

import math

import torch
from einops import rearrange, repeat
from torch import nn

from .baseline import BaselineGenerator, Inputs, dcgan_init, stream_widths
from .config import ModelConfig
from .validation import check_noise, label_to_onehot

#: The frame generator's widths are the encoder's reversed times this: 103-105% of ImaGINator's parameters at presets
#: tiny, small and medium (at preset paper 45%: ImaGINator's official widths there are not parameter-matched).
MOCOGAN_WIDTH_SCALE = 3


def motion_dim(cfg: ModelConfig) -> int:
    """The GRU's state size dim_m: dim_z / 4, at least 8 (the paper uses 10 beside a content code of 50)."""
    return max(8, cfg.dim_z // 4)


def _frame_generator(cfg: ModelConfig, in_channels: int) -> nn.Sequential:
    """(N, in_channels, 1, 1) -> (N, 3, S, S) in [-1,1]: ImaGINator's spatial kernels per level, BatchNorm + ReLU."""
    widths = stream_widths(cfg, MOCOGAN_WIDTH_SCALE) + (3,)
    channels = (in_channels,) + widths
    layers: list[nn.Module] = []
    for spec, c_in, c_out in zip(cfg.up_blocks(), channels[:-1], channels[1:]):
        layers.append(nn.ConvTranspose2d(c_in, c_out, spec.k_s, spec.s_s, spec.p_s))
        layers += [nn.Tanh()] if spec.last else [nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]
    return nn.Sequential(*layers)


def unroll_motion(gru: nn.GRUCell, noise: torch.Tensor, onehot: torch.Tensor) -> torch.Tensor:
    """MoCoGAN's motion codes: noise (B,T+1,dim_m) with eps_0 = noise[:, 0] as the GRU's first state, one-hot
    (B,n_classes) -> (B,T,dim_m+n_classes), where h_t = gru([eps_t, one-hot], h_{t-1}) and code_t = [h_t, one-hot]."""
    h, codes = noise[:, 0], []
    for t in range(1, noise.shape[1]):
        h = gru(torch.cat([noise[:, t], onehot], dim=1), h)
        codes.append(torch.cat([h, onehot], dim=1))
    return torch.stack(codes, dim=1)


class MoCoGANGenerator(BaselineGenerator):
    """G(image (B,3,S,S), z (B,dim_z), label) -> video (B,3,T,S,S) in [-1,1]: `render(content, motion_codes(z, label))`."""

    family = "mocogan"

    def __init__(self, cfg: ModelConfig | None = None) -> None:
        super().__init__(cfg)
        cfg = self.cfg
        self.dim_m = motion_dim(cfg)
        self.register_buffer("noise_basis", torch.randn(cfg.dim_z, cfg.frames + 1, self.dim_m) / math.sqrt(cfg.dim_z))
        self.gru = nn.GRUCell(self.dim_m + cfg.n_classes, self.dim_m)
        self.frame_generator = _frame_generator(cfg, cfg.dim_a + self.dim_m + cfg.n_classes)
        dcgan_init(self)

    def motion_from_onehot(self, z: torch.Tensor, onehot: torch.Tensor) -> torch.Tensor:
        """z (B,dim_z), one-hot (B,n_classes) -> motion codes (B,T,dim_m+n_classes), one per frame."""
        return unroll_motion(self.gru, self.motion_noise(z), onehot)

    def motion_noise(self, z: torch.Tensor) -> torch.Tensor:
        """z (B,dim_z) -> the GRU's noise eps_0 .. eps_T (B,T+1,dim_m), z through the fixed projection."""
        return torch.einsum("bz,ztm->btm", z, self.noise_basis.to(z.dtype))

    def motion_codes(self, z: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        """z (B,dim_z), label (B,) or (B,n_classes) -> motion codes (B,T,dim_m+n_classes)."""
        check_noise(z, z.shape[0] if torch.is_tensor(z) else 0, self.cfg.dim_z)
        return self.motion_from_onehot(z, label_to_onehot(label, z.shape[0], self.cfg.n_classes, z.dtype, z.device))

    def render(self, content: torch.Tensor, motion: torch.Tensor) -> torch.Tensor:
        """content (B,dim_a), motion (B,T,dim_m+n_classes) -> video (B,3,T,S,S): frame t from [content, motion_t] only."""
        codes = torch.cat([repeat(content, "b c -> b t c", t=motion.shape[1]), motion], dim=2)
        frames = self.frame_generator(rearrange(codes, "b t c -> (b t) c 1 1"))
        return rearrange(frames, "(b t) c h w -> b c t h w", t=motion.shape[1])

    def paint(self, inputs: Inputs) -> torch.Tensor:
        return self.render(inputs.code, self.motion_from_onehot(inputs.z, inputs.onehot))
