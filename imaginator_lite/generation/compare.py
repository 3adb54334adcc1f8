"""Paint against warp on one photo: every label's video from one noise, at the photo's resolution for a warp
model and at the model's size for a paint model, with the measures of evaluation.photo_motion.

    report = photo_report(G, photo_crop)   # photo_crop (3, H, W) in [-1, 1], e.g. PreparedPhoto.at(256)
"""
from __future__ import annotations

from typing import Any

import torch

from ..evaluation.metrics import motion_energy
from ..evaluation.photo_motion import (background_change, expression_reading, flow_pixels, label_effect,
                                       motion_by_region, motion_concentration, painted_change, painted_share,
                                       resize_video, sharpness, tearing)
from ..models.warp import apply_fields, resize_image, upsample_fields


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
    from ..data.synthetic import render_faces
    from .generate import synthetic_first_frames

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
