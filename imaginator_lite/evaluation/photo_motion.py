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

from ..data.synthetic import face_layout
from ..models.smooth_warp import FACE_ELLIPSE
from ..models.warp import WarpFields, upsample_fields, warp_image
from .expression_reader import FER_INDEX, read_expressions

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
    warped = warp_image(image.float(), fields.flow, fields.sampling)
    return ((1 - fields.mask) * (fields.residual - warped).abs()).mean(dim=(1, 2, 3, 4))


def face_regions(size: int, seed: int = 0) -> dict[str, torch.Tensor]:
    """Boolean (size, size) masks of where the drawn faces move (the mean bands of data.synthetic.face_layout):
    "eyes and brows", "mouth"; a photo cropped like the drawn faces (prepare_photo) has its features there too."""
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


# ----------------------------------------------------------------------------- tearing, a still background, reading

#: A warp squashes or stretches a pixel too much where its Jacobian determinant leaves [SQUASH_LOW, SQUASH_HIGH];
#: it folds the picture over itself where the determinant is <= 0.
SQUASH_LOW, SQUASH_HIGH = 0.5, 2.0
#: The square a face reader sees inside an aligned crop (x0, y0, side as fractions of the crop's side): the face box
#: that photos.aligned_face_box scaled about 1.9x, plus a margin, as fer frames a face.
READER_CROP = (0.2, 0.24, 0.6)


def face_ellipse(size: int) -> torch.Tensor:
    """Boolean (size, size): the central face ellipse, half-axes FACE_ELLIPSE (0.36, 0.45) of the side, centred in
    the square (where the aligned crop puts a face)."""
    centres = (torch.arange(size, dtype=torch.float32) + 0.5) / size - 0.5
    y, x = centres[:, None], centres[None, :]
    return (x / FACE_ELLIPSE[0]) ** 2 + (y / FACE_ELLIPSE[1]) ** 2 <= 1


def jacobian_determinant(flow: torch.Tensor) -> torch.Tensor:
    """det of the warp p -> p + flow(p) per pixel: flow (B, 2, T, H, W) in normalised units -> (B, T, H, W).
    1 keeps areas; below 1 the frame magnifies the image there (stretch), above 1 it shrinks it (squash); <= 0 folds."""
    if flow.dim() != 5 or flow.shape[1] != 2:
        raise ValueError(f"flow must be (B, 2, T, H, W), got {tuple(flow.shape)}")
    f = flow.double()
    h, w = f.shape[-2:]
    dx_dx, dx_dy = torch.gradient(f[:, 0], spacing=(2.0 / h, 2.0 / w), dim=(-2, -1))[::-1]
    dy_dx, dy_dy = torch.gradient(f[:, 1], spacing=(2.0 / h, 2.0 / w), dim=(-2, -1))[::-1]
    return ((1 + dx_dx) * (1 + dy_dy) - dx_dy * dy_dx).float()


def tearing(flow: torch.Tensor) -> dict[str, torch.Tensor]:
    """Per clip (B,), over the frames and the face ellipse: fold_share (determinant <= 0) and squash_share
    (determinant < SQUASH_LOW or > SQUASH_HIGH) of a flow (B, 2, T, H, W) at the size it is shown."""
    det = jacobian_determinant(flow)
    face = face_ellipse(flow.shape[-1]).to(det.device)
    inside = det[..., face]                                                   # (B, T, pixels)
    return {"fold_share": (inside <= 0).float().mean(dim=(1, 2)),
            "squash_share": ((inside < SQUASH_LOW) | (inside > SQUASH_HIGH)).float().mean(dim=(1, 2))}


def flow_pixels(flow: torch.Tensor) -> dict[str, torch.Tensor]:
    """Mean flow length in pixels of the frame it is shown at, inside and outside the face ellipse, per clip (B,)."""
    h, w = flow.shape[-2:]
    length = torch.hypot(flow[:, 0].float() * w / 2, flow[:, 1].float() * h / 2)  # (B, T, H, W)
    face = face_ellipse(w).to(flow.device)
    return {"inside": length[..., face].mean(dim=(1, 2)), "outside": length[..., ~face].mean(dim=(1, 2))}


def background_change(video: torch.Tensor) -> dict[str, torch.Tensor]:
    """mean |last frame - first frame| inside and outside the face ellipse and their ratio outside / inside, per
    clip (B,): a still background gives a ratio near 0, a background that waves as much as the face near 1."""
    _check_video(video)
    change = (video[:, :, -1].float() - video[:, :, 0].float()).abs().mean(1)   # (B, H, W)
    face = face_ellipse(video.shape[-1]).to(change.device)
    inside, outside = change[:, face].mean(1), change[:, ~face].mean(1)
    return {"inside": inside, "outside": outside, "ratio": outside / inside.clamp_min(1e-8)}


def reader_view(frames: torch.Tensor) -> torch.Tensor:
    """The face square a reader sees (READER_CROP) of frames (N, 3, S, S) cropped as photos.prepare_photo crops."""
    size = frames.shape[-1]
    x0, y0, side = (int(round(v * size)) for v in READER_CROP)
    return frames[..., y0:y0 + side, x0:x0 + side]


def expression_reading(videos: torch.Tensor, class_names) -> dict[str, object]:
    """What a real-face reader (evaluation.expression_reader) reads in one video per label, videos (L, 3, T, H, W)
    with class_names[i] asked of videos[i]: per label the probability of that label on the first and the last
    frame, and whether it comes first among the six expressions on the last frame (neutral left out)."""
    _check_video(videos, "videos")
    names = list(class_names)
    columns = [FER_INDEX[name] for name in names]
    first = read_expressions(reader_view(videos[:, :, 0]))[:, columns]            # (L, 6)
    last = read_expressions(reader_view(videos[:, :, -1]))[:, columns]
    own = torch.arange(len(names))
    return {"p_first": dict(zip(names, map(float, first[own, own]))),
            "p_last": dict(zip(names, map(float, last[own, own]))),
            "first_on_last": dict(zip(names, map(bool, last.argmax(1) == own)))}
