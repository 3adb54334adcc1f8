"""The shipped judges as networks: `load_judge("faces")` is the VideoClassifier (video (B, 3, 16, 32, 32) -> logits
(B, 6)) read from its shipped files (pretrained/judges.py), and `shipped_judge_for(store, frames)` picks the one that
fits a synthetic store."""
from __future__ import annotations

import json
import os
from pathlib import Path

import torch

from ..pretrained.judges import JUDGES, judge_card, judge_info, judge_weights
from .classifier import VideoClassifier

__all__ = ["load_judge", "shipped_judge_for"]


def load_judge(kind: str, device: str | torch.device = "cpu", verify: bool = True) -> torch.nn.Module:
    """The shipped judge for `kind` (one of pretrained.judges.JUDGES) in eval mode; verify: check the card's sha256."""
    card = judge_card(kind)
    model = VideoClassifier(len(card["classes"]), card["width"])
    model.load_state_dict(judge_weights(kind, card, verify))
    model.info = judge_info(card)
    return model.to(device).eval()


def shipped_judge_for(store_root: str | os.PathLike, frames: int,
                      device: str | torch.device = "cpu") -> torch.nn.Module | None:
    """The shipped judge of a synthetic store whose kind, classes, frame size and clip length it was
    trained on; None for any other store (real data, other sizes: a judge is trained for those)."""
    meta_path = Path(store_root) / "meta.json"
    if not meta_path.is_file():
        return None
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    kind = str(meta.get("kind", "")).removeprefix("synthetic-")
    if not str(meta.get("kind", "")).startswith("synthetic-") or kind not in JUDGES:
        return None
    card = judge_card(kind)
    fits = (card["image_size"] == meta.get("image_size") and card["frames"] == frames
            and list(card["classes"]) == list(meta.get("classes", [])))
    return load_judge(kind, device) if fits else None
