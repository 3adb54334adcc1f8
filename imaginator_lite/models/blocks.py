"""Decoder building blocks: the transposed (1+2)D convolution and the full transposed 3D block.

Both map (B, C_in, T, H, W) -> (B, C_out, T', H', W'), where T' and H' follow the usual
transposed-convolution rule  out = (in - 1) * stride - 2 * padding + kernel.
"""
from __future__ import annotations

from torch import nn

LEAKY_SLOPE = 0.2


def matched_width(n_in: int, n_out: int, t: int, d: int) -> int:
    """Intermediate width M making a temporal-first (1+2)D block match a full t x d x d kernel.

    Weights: full 3D = t*d^2*N_in*N_out; (1+2)D = t*N_in*M + d^2*M*N_out, so
    M = floor(t*d^2*N_in*N_out / (t*N_in + d^2*N_out)).  (R(2+1)D goes spatial first and
    divides by d^2*N_in + t*N_out instead.)  Example: N_in=262, N_out=64, t=d=4 -> 517.
    """
    if min(n_in, n_out, t, d) < 1:
        raise ValueError(f"matched_width needs positive sizes (got n_in={n_in}, n_out={n_out}, t={t}, d={d})")
    return max(1, (t * d * d * n_in * n_out) // (t * n_in + d * d * n_out))


def _with_output_layers(layers: list[nn.Module], out_channels: int, last: bool) -> nn.Sequential:
    """layers + BatchNorm3d + LeakyReLU, or + Tanh alone for the last (to-RGB) block."""
    if not last:
        layers.append(nn.BatchNorm3d(out_channels))
    layers.append(nn.Tanh() if last else nn.LeakyReLU(LEAKY_SLOPE, inplace=True))
    return nn.Sequential(*layers)


class _UpBlock(nn.Module):
    """A decoder block: `self.conv` maps (B, C_in, T, H, W) -> (B, C_out, T', H', W')."""

    conv: nn.Sequential

    def forward(self, x):
        return self.conv(x)


class TransposedConv1Plus2d(_UpBlock):
    """Transposed (1+2)D block: temporal (k_t,1,1) -> BN -> LReLU -> spatial (1,k_s,k_s) -> BN -> LReLU.

    With last=True the spatial conv is followed by Tanh and no BatchNorm (the official to_rgb).
    Sub-module indices in `.conv` follow the official checkpoint layout (0 temporal, 1 BN, 3 spatial, 4 BN).
    """

    def __init__(self, in_channels: int, mid_channels: int, out_channels: int, *, k_t: int, s_t: int,
                 p_t: int, k_s: int, s_s: int, p_s: int, last: bool = False) -> None:
        super().__init__()
        self.conv = _with_output_layers([
            nn.ConvTranspose3d(in_channels, mid_channels, (k_t, 1, 1), (s_t, 1, 1), (p_t, 0, 0)),
            nn.BatchNorm3d(mid_channels),
            nn.LeakyReLU(LEAKY_SLOPE, inplace=True),
            nn.ConvTranspose3d(mid_channels, out_channels, (1, k_s, k_s), (1, s_s, s_s), (0, p_s, p_s)),
        ], out_channels, last)


class TransposedConv3d(_UpBlock):
    """Full transposed 3D block: ConvTranspose3d (k_t,k_s,k_s) -> BN -> LReLU (Tanh, no BN, if last)."""

    def __init__(self, in_channels: int, out_channels: int, *, k_t: int, s_t: int, p_t: int,
                 k_s: int, s_s: int, p_s: int, last: bool = False) -> None:
        super().__init__()
        self.conv = _with_output_layers([
            nn.ConvTranspose3d(in_channels, out_channels, (k_t, k_s, k_s), (s_t, s_s, s_s), (p_t, p_s, p_s))
        ], out_channels, last)


def make_up_block(spec, block: str = "1+2d") -> nn.Module:
    """Build the decoder block described by an `UpBlockSpec` as (1+2)D or full 3D."""
    kw = dict(k_t=spec.k_t, s_t=spec.s_t, p_t=spec.p_t, k_s=spec.k_s, s_s=spec.s_s, p_s=spec.p_s,
              last=spec.last)
    if block == "1+2d":
        return TransposedConv1Plus2d(spec.in_channels, spec.mid_channels, spec.out_channels, **kw)
    if block == "3d":
        return TransposedConv3d(spec.in_channels, spec.out_channels, **kw)
    raise ValueError(f"unknown block type {block!r}; use '1+2d' or '3d'")
