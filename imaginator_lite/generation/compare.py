"""Paint against warp on one photo: every label's video from one noise, at the photo's resolution for a warp
model and at the model's size for a paint model, with the measures of evaluation.photo_motion.

    report = photo_report(G, photo_crop)   # photo_crop (3, H, W) in [-1, 1], e.g. PreparedPhoto.at(256)
"""
from __future__ import annotations

from typing import Any

import torch

from ..data.synthetic import render_faces
from ..evaluation.metrics import motion_energy
from ..evaluation.photo_motion import (
    background_change,
    expression_reading,
    flow_pixels,
    label_effect,
    motion_by_region,
    motion_concentration,
    painted_change,
    painted_share,
    resize_video,
    sharpness,
    tearing,
)
from ..models.warp import apply_fields, resize_image, upsample_fields
from .generate import synthetic_first_frames


@torch.no_grad()
def label_videos(G, photo: torch.Tensor, seed: int = 0) -> tuple[torch.Tensor, Any]:
    """One video per class of one photo (3, H, W) in [-1, 1] and one noise (seed): (n_classes, 3, T, H', W') and,
    for a warp model, its fields at the model's size (None for paint). A warp model's videos are at the photo's
    resolution (G.animate); a paint model's at its own size (it repaints every pixel there)."""
    cfg = G.cfg
    if photo.dim() != 3 or photo.shape[0] != 3:
        raise ValueError(f"photo must be (3, H, W) in [-1, 1], got {tuple(photo.shape)}")
    device = next(G.parameters()).device
    G.eval()
    n = cfg.n_classes
    z = torch.randn(1, cfg.dim_z, generator=torch.Generator().manual_seed(int(seed))).expand(n, -1).to(device)
    labels = torch.arange(n, device=device)
    photo = photo.float().to(device)[None].expand(n, -1, -1, -1)
    small = resize_image(photo, cfg.image_size)
    if G.output.moves_pixels:
        fields = G.fields(small, z, labels)  # what G.animate computes, kept: the decoder runs once
        return apply_fields(photo, fields).float().cpu(), fields
    return G(small, z, labels).float().cpu(), None


@torch.no_grad()
def noise_effect(G, photo: torch.Tensor, seeds: int = 6) -> float:
    """How much the noise changes a clip: per label, the standard deviation over `seeds` noises (seeds 0..) of its
    video of one photo (3, H, W), averaged over labels, channels, pixels and the frames after the first; the same
    units as photo_motion.label_effect (which takes one noise and every label)."""
    per_seed = torch.stack([label_videos(G, photo, seed)[0] for seed in range(seeds)])   # (seeds, L, 3, T, H, W)
    return float(per_seed[:, :, :, 1:].float().std(dim=0).mean())


def photo_report(G, photo: torch.Tensor, seed: int = 0, read: bool = False) -> dict[str, Any]:
    """The measures of one model on one photo (3, H, W), all six labels from one noise:
    sharpness (at the photo's size; the photo's own too), kept detail = sharpness / the photo's, motion amount,
    the share of motion in the eyes and brows, the mouth and elsewhere (and over their areas), the label effect, the
    background's change against the face's, and for a warp model the painted share and painted change and the flow's
    tearing (fold and squash shares) and length inside and outside the face, at the photo's size (per label, and
    their mean). With read=True (face models) also what a real-face reader reads on the first and last frames."""
    videos, fields = label_videos(G, photo, seed)
    size = photo.shape[-1]
    shown = videos if videos.shape[-1] == size else resize_video(videos, size)
    photo_sharpness = float(sharpness(photo[None, :, None].float())[0])
    regions = motion_by_region(videos)
    report: dict[str, Any] = {
        "output": G.cfg.output, "size": int(size), "model_size": G.cfg.image_size, "labels": list(G.cfg.class_names),
        "photo_sharpness": photo_sharpness,
        "sharpness": float(sharpness(shown).mean()),
        "motion": float(motion_energy(videos).mean()),
        "motion_share": {name: float(v.mean()) for name, v in regions.items()},
        "motion_concentration": {name: float(v.mean()) for name, v in motion_concentration(videos).items()},
        "label_effect": label_effect(videos),
    }
    report["kept_detail"] = report["sharpness"] / photo_sharpness
    background = background_change(shown)
    report["background_change"] = {k: float(v.mean()) for k, v in background.items()}
    if read:
        report["reading"] = expression_reading(shown, G.cfg.class_names)
    if fields is not None:
        flow = upsample_fields(fields, size).flow
        torn = tearing(flow)
        length = flow_pixels(flow)
        report.update({name: float(v.mean()) for name, v in torn.items()})
        report.update({f"{name}_by_label": dict(zip(G.cfg.class_names, map(float, v))) for name, v in torn.items()})
        report["flow_px"] = {k: float(v.mean()) for k, v in length.items()}
        per_label_share = painted_share(fields)
        per_label_change = painted_change(photo[None].expand(len(videos), -1, -1, -1).float(), fields)
        report.update(painted_share=float(per_label_share.mean()), painted_change=float(per_label_change.mean()),
                      painted_share_by_label=dict(zip(G.cfg.class_names, map(float, per_label_share))),
                      painted_change_by_label=dict(zip(G.cfg.class_names, map(float, per_label_change))))
    return report


def drawn_faces_report(G, identities, seed: int) -> dict[str, Any]:
    """The same measures on drawn faces (held-out identities of synthetic seed `seed`, at the model's size), as
    means over the faces: the model's motion, label effect and motion concentration, beside those of the true
    clips of the same faces (every expression)."""

    cfg = G.cfg
    faces = synthetic_first_frames(cfg, identities, seed)
    reports = [photo_report(G, face) for face in faces]
    labels = [k for k in range(cfg.n_classes) for _ in identities]
    clips = render_faces([i for _ in range(cfg.n_classes) for i in identities], labels, cfg.image_size, cfg.frames, seed)
    true = torch.from_numpy(clips).permute(0, 4, 1, 2, 3).float() / 127.5 - 1        # (N, 3, T, S, S)

    def mean(values):
        return round(float(sum(values) / len(values)), 6)

    regions = reports[0]["motion_concentration"]
    return {"faces": len(reports),
            "model": {"motion": mean([r["motion"] for r in reports]),
                      "label_effect": mean([r["label_effect"] for r in reports]),
                      "motion_concentration": {k: mean([r["motion_concentration"][k] for r in reports]) for k in regions}},
            "true_clips": {"motion": round(float(motion_energy(true).mean()), 6),
                           "motion_concentration": {k: round(float(v.mean()), 6)
                                                    for k, v in motion_concentration(true).items()}}}


#: The measures of issue 29's goals per photo, with their goal: background change outside the face ellipse over
#: inside (at most 0.25), fold share (0), squash share (at most 0.01), kept detail (at least 0.9), the share of
#: labels that a real-face reader puts first on the last frame (at least 0.5) and whose probability rises.
PHOTO_GOALS = {"background_ratio": ("<=", 0.25), "fold_share": ("<=", 0.0), "squash_share": ("<=", 0.01),
               "kept_detail": (">=", 0.9), "reads_first": (">=", 0.5), "rises": (">=", 1.0),
               "label_over_noise": (">", 1.0)}


def photo_goals(G, photos: dict[str, torch.Tensor], seed: int = 0) -> dict[str, Any]:
    """Issue 29's goal measures of one model on named photo crops (3, H, W): per photo and their mean, each beside
    PHOTO_GOALS. reads_first: share of labels the reader puts first among the six on the last frame; rises: share
    of labels whose probability rises from the first frame to the last; label_over_noise: label effect / noise
    effect. A paint model has no flow: its fold and squash shares are None."""
    per_photo = {}
    for name, crop in photos.items():
        r = photo_report(G, crop, seed, read=True)
        reading = r["reading"]
        labels = list(reading["p_first"])
        per_photo[name] = {
            "size": r["size"], "background_ratio": r["background_change"]["ratio"],
            "fold_share": r.get("fold_share"), "squash_share": r.get("squash_share"),
            "squash_share_by_label": r.get("squash_share_by_label"),
            "flow_outside_px": r.get("flow_px", {}).get("outside"), "flow_inside_px": r.get("flow_px", {}).get("inside"),
            "kept_detail": r["kept_detail"], "label_effect": r["label_effect"],
            "label_over_noise": r["label_effect"] / max(noise_effect(G, crop), 1e-12),
            "reads_first": sum(reading["first_on_last"].values()) / len(labels),
            "rises": sum(reading["p_last"][k] > reading["p_first"][k] for k in labels) / len(labels),
            "reading": reading}
    keys = [k for k in PHOTO_GOALS if all(per_photo[p][k] is not None for p in per_photo)]
    mean = {k: sum(per_photo[p][k] for p in per_photo) / len(per_photo) for k in keys}
    return {"photos": per_photo, "mean": mean, "goals": {k: list(v) for k, v in PHOTO_GOALS.items()}}
