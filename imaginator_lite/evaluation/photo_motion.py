"""What a model does to a photo: how much detail it keeps, how much it paints, where the motion is, and how
much the label changes it. Videos are (B, 3, T, H, W) in [-1, 1]; results are per clip (B,) unless said, and
differences are in [-1, 1] units like metrics.motion_energy (how much a clip moves).

Notebook 07 and `docs/measure.py photos` use these to compare a paint and a warp generator on real photos
and on drawn faces, measured the same way for both.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from einops import rearrange

from ..models.warp import WarpFields, upsample_fields, warp_image

#: Rec. 601 luma weights: a frame's brightness, on which sharpness is measured.
LUMA = (0.299, 0.587, 0.114)
#: The regions a drawn face redraws (data.synthetic.face_layout's bands); everything else is static there.
REGIONS = ("eyes and brows", "mouth")


def _check_video(video: torch.Tensor, name: str = "video") -> None:
    if not torch.is_tensor(video) or video.dim() != 5 or video.shape[1] != 3:
        shape = tuple(video.shape) if torch.is_tensor(video) else type(video).__name__
        raise ValueError(f"{name} must be a (B, 3, T, H, W) tensor in [-1, 1], got {shape}")


def luminance(video: torch.Tensor) -> torch.Tensor:
    """(B, 3, T, H, W) in [-1, 1] -> brightness (B, T, H, W) in [0, 1]."""
    _check_video(video)
    weights = torch.tensor(LUMA, dtype=torch.float32, device=video.device).view(1, 3, 1, 1, 1)
    return ((video.float() + 1) / 2 * weights).sum(1)


def sharpness(video: torch.Tensor) -> torch.Tensor:
    """The variance of the Laplacian of each frame's brightness, averaged over frames: (B,). A blurred frame has
    little high-frequency content, so a low value; compare videos at the same size (resize the smaller first)."""
    luma = rearrange(luminance(video), "b t h w -> (b t) 1 h w")
    kernel = torch.tensor([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]], device=video.device).view(1, 1, 3, 3)
    laplacian = F.conv2d(luma, kernel)  # valid: no border artefacts
    return rearrange(laplacian.var(dim=(1, 2, 3)), "(b t) -> b t", b=video.shape[0]).mean(1)


def resize_video(video: torch.Tensor, size: int) -> torch.Tensor:
    """(B, 3, T, h, w) -> (B, 3, T, size, size), bilinear per frame: how a small video is shown large."""
    _check_video(video)
    b = video.shape[0]
    frames = F.interpolate(rearrange(video.float(), "b c t h w -> (b t) c h w"), size=(size, size), mode="bilinear",
                           align_corners=False)
    return rearrange(frames, "(b t) c h w -> b c t h w", b=b)


def painted_share(fields: WarpFields) -> torch.Tensor:
    """The share of each clip that the residual paints rather than the warp moves: mean(1 - mask), (B,)."""
    return (1 - fields.mask.float()).mean(dim=(1, 2, 3, 4))


def painted_change(image: torch.Tensor, fields: WarpFields) -> torch.Tensor:
    """How much the painting changes the frames: mean |frame - warped image| = mean (1 - mask) |residual - warped|
    over pixels, channels and frames, per clip (B,). image (B, 3, H, W), fields at any size (upsampled to it).

    A mask below 1 where residual and warp agree changes nothing; this is what a viewer sees painted.
    """
    fields = upsample_fields(fields, tuple(image.shape[-2:]))
    warped = warp_image(image.float(), fields.flow)
    return ((1 - fields.mask) * (fields.residual - warped).abs()).mean(dim=(1, 2, 3, 4))


def face_regions(size: int, seed: int = 0) -> dict[str, torch.Tensor]:
    """Boolean (size, size) masks of where the drawn faces move (the mean bands of data.synthetic.face_layout):
    "eyes and brows", "mouth"; a photo cropped like the drawn faces (prepare_photo) has its features there too."""
    from ..data.synthetic import face_layout

    layout = {k: v["mean"] for k, v in face_layout(seed).items()}
    centres = (2 * torch.arange(size, dtype=torch.float32) + 1) / size - 1
    y, x = centres[:, None], centres[None, :]

    def band(part: str) -> torch.Tensor:
        inside_y = (y >= layout[f"{part}_top"]) & (y <= layout[f"{part}_bottom"])
        return inside_y & ((x - layout["eye_x"]).abs() <= layout[f"{part}_half_width"])

    return {"eyes and brows": band("eyes"), "mouth": band("mouth")}


def motion_by_region(video: torch.Tensor, seed: int = 0) -> dict[str, torch.Tensor]:
    """Where each clip moves: the share of its motion energy sum |frame_t - frame_0| that falls in each face
    region and elsewhere, (B,) each, summing to 1 (a clip that does not move gives 0 everywhere)."""
    _check_video(video)
    energy = (video.float() - video[:, :, :1].float()).abs().sum(dim=(1, 2))  # (B, H, W)
    total = energy.sum(dim=(1, 2)).clamp_min(1e-12)
    regions = face_regions(video.shape[-1], seed)
    shares = {name: (energy * m.to(energy.device)).sum(dim=(1, 2)) / total for name, m in regions.items()}
    shares["elsewhere"] = 1 - sum(shares.values())
    moving = energy.sum(dim=(1, 2)) > 1e-12
    return {name: torch.where(moving, share, torch.zeros_like(share)) for name, share in shares.items()}


def motion_concentration(video: torch.Tensor, seed: int = 0) -> dict[str, torch.Tensor]:
    """How concentrated each clip's motion is in each region: its share of the motion energy over its share of
    the frame's area, (B,) each. 1 is spread evenly; above 1 the region moves more than the average pixel."""
    regions = face_regions(video.shape[-1], seed)
    area = {name: float(m.float().mean()) for name, m in regions.items()}
    area["elsewhere"] = 1 - sum(area.values())
    return {name: share / area[name] for name, share in motion_by_region(video, seed).items()}


def label_effect(videos: torch.Tensor) -> float:
    """How much the label changes a clip: videos (L, 3, T, H, W) of one image and one noise under L labels -> the
    standard deviation over the labels, averaged over channels, pixels and the frames after the first (0: the
    label changes nothing). Compare it with metrics.motion_energy: the label can only change what moves."""
    _check_video(videos, "videos")
    if videos.shape[0] < 2:
        raise ValueError(f"label_effect needs the videos of at least 2 labels, got {videos.shape[0]}")
    return float(videos[:, :, 1:].float().std(dim=0).mean())
