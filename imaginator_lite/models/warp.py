"""Warping instead of painting: move the input image's pixels with a flow, paint only what the flow cannot show.

ImaGINator's decoder paints every pixel of every frame. The methods that animate faces they never saw (FOMM,
Siarohin et al. 2019; LIA, Wang et al. 2022; LFDM, Ni et al. 2023) warp the source image instead. With
`ModelConfig(output="warp")` the decoder's last layer predicts 6 channels per frame, read here as

    flow     (B, 2, T, h, w)  where each output pixel looks in the image, as an offset (x, y)
    mask     (B, 1, T, h, w)  in (0, 1): 1 keeps the warped image, 0 shows the residual
    residual (B, 3, T, h, w)  in [-1, 1]: what warping cannot show (a mouth opening, a shadow)

    frame = mask * warp(image, flow) + (1 - mask) * residual                     (`compose`)

Flow units: offsets in grid_sample's normalised coordinates, where [-1, 1] spans the image's width (x, channel 0)
and height (y, channel 1), so one pixel is 2 / W in x and 2 / H in y. The same flow therefore means the same
motion at any resolution: a flow predicted at 32 px is upsampled to a 256 px photo without rescaling
(`upsample_fields`). The warp is backward: frame[y, x] = image at (x, y) + flow[y, x], so a flow of +1 pixel in x
shows, at each pixel, its right-hand neighbour: the picture moves one pixel to the left.

Sampling is bilinear with align_corners=False and border padding. The identity grid is built as pixel centres
(2i + 1) / W - 1, which grid_sample maps back to pixel i exactly when W is a power of two (every model size, and
128 or 256 px photo crops): zero flow returns the input bit for bit there (within 3e-5 at other sizes).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from einops import rearrange, repeat

#: The largest flow the head can predict, in normalised units: 0.25 = an eighth of the image (4 px at 32 px).
MAX_FLOW = 0.25
#: Initial bias of the mask's logit: sigmoid(4) = 0.982, so an untrained warp generator nearly copies the image.
MASK_BIAS = 4.0
#: The last layer's initial weights are the DCGAN init N(0, 0.02) times this: with training-mode BatchNorm the
#: features before it have unit variance, and the full init gives raw outputs of order 1 (flows of several pixels).
LAST_LAYER_INIT_SCALE = 0.1


@dataclass
class WarpFields:
    """A warp generator's per-frame fields: flow (B,2,T,h,w) normalised offsets (x, y), mask (B,1,T,h,w) in (0,1),
    residual (B,3,T,h,w) in [-1,1]; sampling: how the image is looked up ('bilinear', or 'bicubic', which keeps
    more of a photo's detail at fractional offsets)."""

    flow: torch.Tensor
    mask: torch.Tensor
    residual: torch.Tensor
    sampling: str = "bilinear"

    @property
    def size(self) -> tuple[int, int]:
        return tuple(self.flow.shape[-2:])


def identity_grid(height: int, width: int, device=None, dtype=torch.float32) -> torch.Tensor:
    """The sampling grid (H, W, 2) of pixel centres, (x, y) in [-1, 1] as grid_sample (align_corners=False) reads it."""
    ys = (2 * torch.arange(height, device=device, dtype=dtype) + 1) / height - 1
    xs = (2 * torch.arange(width, device=device, dtype=dtype) + 1) / width - 1
    return torch.stack(torch.meshgrid(xs, ys, indexing="xy"), dim=-1)


def pixels_to_flow(pixels_xy: tuple[float, float], height: int, width: int) -> tuple[float, float]:
    """A shift of (dx, dy) pixels in normalised flow units: (2 dx / W, 2 dy / H)."""
    return 2.0 * pixels_xy[0] / width, 2.0 * pixels_xy[1] / height


def warp_image(image: torch.Tensor, flow: torch.Tensor, sampling: str = "bilinear") -> torch.Tensor:
    """Warp one image per clip by a flow per frame.

    image (B, C, H, W), flow (B, 2, T, H, W) in normalised units (x, y) -> video (B, C, T, H, W), where
    frame t at pixel p is the image sampled (bilinear, or bicubic clamped to the image's range) at
    p + flow[:, :, t, p] (border padding).
    """
    if image.dim() != 4 or flow.dim() != 5 or flow.shape[1] != 2:
        raise ValueError(f"warp_image needs image (B, C, H, W) and flow (B, 2, T, H, W); got {tuple(image.shape)} "
                         f"and {tuple(flow.shape)}")
    if image.shape[0] != flow.shape[0] or image.shape[-2:] != flow.shape[-2:]:
        raise ValueError(f"image {tuple(image.shape)} and flow {tuple(flow.shape)} need the same batch and (H, W); "
                         "upsample the flow first (upsample_fields)")
    b, _, t, h, w = flow.shape
    grid = identity_grid(h, w, flow.device, flow.dtype) + rearrange(flow, "b xy t h w -> b t h w xy")
    frames = F.grid_sample(repeat(image.to(flow.dtype), "b c h w -> (b t) c h w", t=t),
                           rearrange(grid, "b t h w xy -> (b t) h w xy"),
                           mode=sampling, padding_mode="border", align_corners=False)
    if sampling == "bicubic":  # cubic weights overshoot at edges: keep the frames in the image's range
        frames = frames.clamp(float(image.min()), float(image.max()))
    return rearrange(frames, "(b t) c h w -> b c t h w", b=b)


def compose(image: torch.Tensor, flow: torch.Tensor, mask: torch.Tensor, residual: torch.Tensor,
            sampling: str = "bilinear") -> torch.Tensor:
    """frame = mask * warp(image, flow) + (1 - mask) * residual.

    image (B, 3, H, W) in [-1, 1]; flow (B, 2, T, H, W); mask (B, 1, T, H, W) in [0, 1]; residual (B, 3, T, H, W)
    in [-1, 1] -> video (B, 3, T, H, W) in [-1, 1] (a convex mix of two things in [-1, 1]). torch.lerp computes
    it as warped - (warped - residual) * (1 - mask) where mask >= 0.5, so mask 1 gives the warped image exactly.
    """
    return torch.lerp(residual, warp_image(image, flow, sampling), mask)


def fields_from_output(raw: torch.Tensor, max_flow: float = MAX_FLOW) -> WarpFields:
    """The decoder's last-layer output (B, 6, T, h, w), before any activation, as WarpFields:
    flow = max_flow * tanh(raw[:, 0:2]), mask = sigmoid(raw[:, 2:3]), residual = tanh(raw[:, 3:6]).

    tanh bounds the flow (no sampling far outside the image) and has slope 1 at 0, so small raw values give
    small flows; sigmoid keeps the mask a proportion; tanh keeps the residual in the frames' range. The mask
    channel's bias starts at MASK_BIAS (Generator init), so at init frame ~ 0.98 * image + 0.02 * residual.
    """
    raw = raw.float()  # the warp in float32 under autocast too: flows are sub-pixel quantities
    return WarpFields(flow=max_flow * torch.tanh(raw[:, 0:2]), mask=torch.sigmoid(raw[:, 2:3]),
                      residual=torch.tanh(raw[:, 3:6]))


def resize_image(image: torch.Tensor, size: int | tuple[int, int]) -> torch.Tensor:
    """(B, C, H, W) -> (B, C, size, size), bilinear (antialiased when shrinking); the input itself at its size."""
    size = (size, size) if isinstance(size, int) else tuple(size)
    if tuple(image.shape[-2:]) == size:
        return image
    return F.interpolate(image, size=size, mode="bilinear", align_corners=False, antialias=True)


def upsample_fields(fields: WarpFields, size: int | tuple[int, int]) -> WarpFields:
    """The fields at (H, W) = size, bilinear per frame (align_corners=False); unchanged at their own size.

    The flow is in normalised units, so it needs no rescaling (a flow in pixels would be multiplied by H / h).
    """
    size = (size, size) if isinstance(size, int) else tuple(size)
    if fields.size == size:
        return fields

    def up(x: torch.Tensor) -> torch.Tensor:
        b = x.shape[0]
        frames = F.interpolate(rearrange(x, "b c t h w -> (b t) c h w"), size=size, mode="bilinear",
                               align_corners=False)
        return rearrange(frames, "(b t) c h w -> b c t h w", b=b)

    return WarpFields(flow=up(fields.flow), mask=up(fields.mask), residual=up(fields.residual),  # convex: ranges kept
                      sampling=fields.sampling)


def apply_fields(image: torch.Tensor, fields: WarpFields) -> torch.Tensor:
    """Apply (possibly low-resolution) fields to an image of any size: image (B, 3, H, W) -> video (B, 3, T, H, W)."""
    fields = upsample_fields(fields, tuple(image.shape[-2:]))
    return compose(image, fields.flow, fields.mask, fields.residual, fields.sampling)
