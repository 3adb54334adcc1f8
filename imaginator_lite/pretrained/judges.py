"""The shipped judges' files: one feature classifier per synthetic domain, trained once and shipped, so that
the Frechet distance and the conditional accuracy of synthetic data are the same numbers on every machine.

Each card (`judge_faces.json`) records the command, the data seed, the sha256 and its accuracy on held-out clips;
evaluation/judges.py builds the network from these files (`load_judge`, `shipped_judge_for`).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

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


def judge_weights(kind: str, card: dict[str, Any], verify: bool = True) -> dict:
    """The judge's tensors, checked against its card's sha256 when `verify`."""
    return verified_weights(f"judge_{kind}", card, verify)


def judge_info(card: dict[str, Any]) -> dict[str, Any]:
    """What a metrics.json records about the judge that produced it."""
    keys = ("kind", "sha256", "width", "image_size", "frames", "data", "held_out_accuracy", "train_accuracy")
    return {"source": f"shipped judge '{card['kind']}'", **{k: card[k] for k in keys if k in card}}
