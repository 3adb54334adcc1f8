"""Generators trained by the package itself and shipped with it (safetensors + a JSON model card).

The judges that score synthetic data (the feature classifiers behind the Frechet distance and the
conditional accuracy) ship here too: `judges.load_judge("faces")`.

`load_pretrained("faces")` (synthetic facial expressions) or `load_pretrained("actions")`
(synthetic Weizmann-like actions): the `small` preset, 16 frames of 32x32. Each card records the
exact command that trained it, the code commit, the data seed, the losses of its first logged
steps (for provenance) and its held-out metrics next to the baselines. Nothing is downloaded.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from ..atomic import sha256_of

PRETRAINED = ("faces", "actions")
HERE = Path(__file__).resolve().parent


def _check_name(name: str) -> None:
    if name not in PRETRAINED:
        raise ValueError(f"no pretrained model {name!r}; the package ships {', '.join(PRETRAINED)}")


def weights_path(name: str) -> Path:
    """The safetensors file of a shipped model."""
    _check_name(name)
    return HERE / f"{name}.safetensors"


def model_card(name: str) -> dict[str, Any]:
    """The JSON model card of a shipped model."""
    _check_name(name)
    path = HERE / f"{name}.json"
    if not path.is_file():
        raise FileNotFoundError(f"the model card {path} is missing; reinstall imaginator-lite")
    return json.loads(path.read_text(encoding="utf-8"))


def load_pretrained(name: str, device: str | torch.device = "cpu", verify: bool = True) -> torch.nn.Module:
    """The shipped Generator `name` ('faces' or 'actions') in eval mode; verify: check the card's sha256."""
    from safetensors.torch import load_file

    from ..device import resolve_device
    from ..models.config import ModelConfig
    from ..models.generator import Generator

    card, path = model_card(name), weights_path(name)
    if not path.is_file():
        raise FileNotFoundError(f"the weights {path} are missing; reinstall imaginator-lite")
    if verify and sha256_of(path) != card["sha256"]:
        raise ValueError(f"{path} does not match the sha256 on its model card; the file is damaged: reinstall")
    G = Generator(ModelConfig.from_dict(card["model_config"]))
    G.load_state_dict(load_file(str(path)))
    return G.to(resolve_device(device)).eval()
