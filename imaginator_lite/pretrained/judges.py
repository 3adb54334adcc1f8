"""The shipped judges: one feature classifier per synthetic domain, trained once and shipped, so that
the Frechet distance and the conditional accuracy of synthetic data are the same numbers on every machine.

`load_judge("faces")` returns the VideoClassifier (video (B,3,16,32,32) -> logits (B,6)) whose
card (`judge_faces.json`) records the command, the data seed, the sha256 and its accuracy on
held-out real clips. `shipped_judge_for(store, frames)` picks it for a synthetic store it fits.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import torch

from . import read_card, shipped_stem, verified_weights

JUDGES = ("faces", "actions", "textured-faces", "mixed-faces")  # one judge per synthetic domain


def _judge_stem(kind: str) -> str:
    return shipped_stem(kind, JUDGES, "shipped judge", prefix="judge_")


def judge_weights_path(kind: str) -> Path:
    """The safetensors file of a shipped judge."""
    from . import HERE  # looked up on each call, like read_card's

    return HERE / f"{_judge_stem(kind)}.safetensors"


def judge_card(kind: str) -> dict[str, Any]:
    """The JSON card of a shipped judge."""
    return read_card(_judge_stem(kind))


def judge_info(card: dict[str, Any]) -> dict[str, Any]:
    """What a metrics.json records about the judge that produced it."""
    keys = ("kind", "sha256", "width", "image_size", "frames", "data", "held_out_accuracy", "train_accuracy")
    return {"source": f"shipped judge '{card['kind']}'", **{k: card[k] for k in keys if k in card}}


def load_judge(kind: str, device: str | torch.device = "cpu", verify: bool = True) -> torch.nn.Module:
    """The shipped judge for `kind` ('faces' or 'actions') in eval mode; verify: check the card's sha256."""
    from ..evaluation.classifier import VideoClassifier

    card = judge_card(kind)
    model = VideoClassifier(len(card["classes"]), card["width"])
    model.load_state_dict(verified_weights(f"judge_{kind}", card, verify))
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
