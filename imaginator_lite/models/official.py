"""Load checkpoints saved by the official ImaGINator code into the `paper` preset (and write them back).

Official files are nn.DataParallel state dicts (keys start with 'module.') and use the old
`torch.nn.utils.spectral_norm` names (weight_orig / weight_u / weight_v), which map onto
`parametrizations.weight.original / .0._u / .0._v` here. Expression one-hot indices follow
`labels.EXPRESSIONS` (sadness 0, anger 1, surprise 2, disgust 3, happiness 4, fear 5).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping

import torch
from torch import nn

from ..atomic import torch_save
from .config import ModelConfig, check_family, check_output
from .discriminators import ImageDiscriminator, VideoDiscriminator
from .generator import Generator

COMPONENTS = {
    "generator": Generator,
    "video_discriminator": VideoDiscriminator,
    "image_discriminator": ImageDiscriminator,
}

_OLD_TO_NEW_SN = {
    "weight_orig": "parametrizations.weight.original",
    "weight_u": "parametrizations.weight.0._u",
    "weight_v": "parametrizations.weight.0._v",
}


def official_to_library(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Strip 'module.' prefixes and rename old-style spectral-norm keys."""
    out = {}
    for key, value in state.items():
        if key.startswith("module."):
            key = key[len("module."):]
        head, _, leaf = key.rpartition(".")
        if leaf in _OLD_TO_NEW_SN:
            key = f"{head}.{_OLD_TO_NEW_SN[leaf]}"
        out[key] = value
    return out


def library_to_official(state: Mapping[str, torch.Tensor], data_parallel: bool = True) -> dict[str, torch.Tensor]:
    """The inverse of `official_to_library`: official key names, with 'module.' when data_parallel."""
    new_to_old = {v: k for k, v in _OLD_TO_NEW_SN.items()}
    out = {}
    for key, value in state.items():
        for new, old in new_to_old.items():
            if key.endswith("." + new):
                key = key[: -len(new)] + old
                break
        out[("module." if data_parallel else "") + key] = value
    return out


def _read_state_dict(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint not found: {path}; pass the path of an official .pth file")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # corrupt or not a torch file
        raise ValueError(f"could not read {path} as a PyTorch checkpoint ({exc}); is the file complete?") from exc
    return as_state_dict(obj, path)


def as_state_dict(obj, path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """A loaded file's tensors: the object itself or its 'state_dict' entry; ValueError otherwise."""
    if isinstance(obj, Mapping) and isinstance(obj.get("state_dict"), Mapping):
        obj = obj["state_dict"]
    if not isinstance(obj, Mapping) or not all(torch.is_tensor(v) for v in obj.values()):
        raise ValueError(f"{path} holds a {type(obj).__name__}, not a state dict of tensors "
                         "(neither an imaginator-lite checkpoint nor an official .pth)")
    return dict(obj)


def load_official_state(model: nn.Module, state: Mapping[str, torch.Tensor], source: str = "checkpoint") -> nn.Module:
    """Load an official-format state dict into `model`; ValueError lists missing/unexpected/mis-shaped keys."""
    converted = official_to_library(state)
    expected = model.state_dict()
    missing = sorted(set(expected) - set(converted))
    unexpected = sorted(set(converted) - set(expected))
    mis_shaped = sorted(
        f"{k}: file {tuple(converted[k].shape)} vs model {tuple(expected[k].shape)}"
        for k in set(expected) & set(converted) if converted[k].shape != expected[k].shape
    )
    if missing or unexpected or mis_shaped:
        def show(items):
            return ", ".join(items[:8]) + (f" ... (+{len(items) - 8} more)" if len(items) > 8 else "")
        lines = [f"{source} does not match {type(model).__name__} of preset {getattr(model, 'cfg', None) and model.cfg.name!r}:"]
        if missing:
            lines.append(f"  missing keys ({len(missing)}): {show(missing)}")
        if unexpected:
            lines.append(f"  unexpected keys ({len(unexpected)}): {show(unexpected)}")
        if mis_shaped:
            lines.append(f"  wrong shapes ({len(mis_shaped)}): {show(mis_shaped)}")
        lines.append("  Is it the right component (generator / video_discriminator / image_discriminator) and config?")
        raise ValueError("\n".join(lines))
    model.load_state_dict(converted, strict=True)
    return model


def load_official(path: str | os.PathLike, component: str = "generator", cfg: ModelConfig | None = None,
                  map_location: str | torch.device = "cpu") -> nn.Module:
    """Build `component` for `cfg` (default: the 'paper' preset) and load the official file's weights.

    Returns the model in eval mode on `map_location`.
    """
    if component not in COMPONENTS:
        raise ValueError(f"unknown component {component!r}; use one of {', '.join(COMPONENTS)}")
    cfg = cfg or ModelConfig.preset("paper")
    if component == "generator":
        check_output(cfg.output, "paint", f"{path} (an official ImaGINator generator)")
        check_family(cfg.family, "imaginator", f"{path} (an official ImaGINator generator)")
    model = COMPONENTS[component](cfg)
    load_official_state(model, _read_state_dict(path), source=str(path))
    return model.to(map_location).eval()


def save_official(model: nn.Module, path: str | os.PathLike, data_parallel: bool = True) -> None:
    """Write `model`'s weights in the official layout (atomically), e.g. to share with the official code."""
    torch_save(library_to_official(model.state_dict(), data_parallel), path)
