"""Generators trained by the package itself and shipped with it (safetensors + a JSON model card).

The judges that score synthetic data (the feature classifiers behind the Frechet distance and the
conditional accuracy) ship here too: `evaluation.judges.load_judge("faces")`.

Load one with `imaginator_lite.load_generator(name)` (loading.py; `load_pretrained` below is its shipped-weights
step). "faces" (synthetic facial expressions) or "actions" (synthetic Weizmann-like actions): the `small` preset,
16 frames of 32x32. "faces-warp": trained on drawn and textured faces (data/synthetic_sets.py, mixed-faces) with the thin-plate-spline output (models/smooth_warp.py) and a
paint penalty; it animates a photo at the photo's resolution (G.animate) without tearing it or moving its
background. `"faces-free-warp"`: the earlier warp model (drawn faces, a free flow), kept for the comparison. Each card records the
exact command that trained it, the code commit, the data seed, the losses of its first logged
steps (for provenance) and its held-out metrics next to the baselines. Nothing is downloaded.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file

from ..atomic import sha256_of
from ..device import resolve_device
from ..models.build import build_generator
from ..models.config import ModelConfig

PRETRAINED = ("faces", "actions", "faces-warp", "faces-free-warp")
#: The synthetic domain each shipped model was trained on (its data, its judge, its labels).
SYNTHETIC_KIND = {"faces": "faces", "actions": "actions", "faces-warp": "mixed-faces", "faces-free-warp": "faces"}
HERE = Path(__file__).resolve().parent


def shipped_stem(name: str, known: tuple[str, ...] = PRETRAINED, what: str = "pretrained model",
                 prefix: str = "") -> str:
    """The file stem (HERE/<stem>.safetensors and .json) of a shipped generator or judge; ValueError naming
    what ships for an unknown name."""
    if name not in known:
        raise ValueError(f"no {what} {name!r}; the package ships {', '.join(known)}")
    return prefix + name


def weights_path(name: str) -> Path:
    """The safetensors file of a shipped model."""
    return HERE / f"{shipped_stem(name)}.safetensors"


def read_card(stem: str) -> dict[str, Any]:
    """The JSON card HERE/<stem>.json of a shipped file (a generator's or a judge's)."""
    path = HERE / f"{stem}.json"
    if not path.is_file():
        raise FileNotFoundError(f"the card {path} is missing; reinstall imaginator-lite")
    return json.loads(path.read_text(encoding="utf-8"))


def verified_weights(stem: str, card: dict[str, Any], verify: bool = True) -> dict[str, torch.Tensor]:
    """The tensors of HERE/<stem>.safetensors, after checking its sha256 against `card` (when `verify`)."""

    path = HERE / f"{stem}.safetensors"
    if not path.is_file():
        raise FileNotFoundError(f"the weights {path} are missing; reinstall imaginator-lite")
    if verify and sha256_of(path) != card["sha256"]:
        raise ValueError(f"{path} does not match the sha256 on its card; the file is damaged: reinstall")
    return load_file(str(path))


def model_card(name: str) -> dict[str, Any]:
    """The JSON model card of a shipped model."""
    return read_card(shipped_stem(name))


def load_pretrained(name: str, device: str | torch.device = "cpu", verify: bool = True) -> torch.nn.Module:
    """The shipped Generator `name` (one of PRETRAINED) in eval mode; verify: check the card's sha256. Users call
    imaginator_lite.load_generator(name), the one loader."""

    card = model_card(name)
    G = build_generator(ModelConfig.from_dict(card["model_config"]))
    G.load_state_dict(verified_weights(name, card, verify))
    return G.to(resolve_device(device)).eval()
