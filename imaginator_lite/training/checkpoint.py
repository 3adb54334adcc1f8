"""One training-checkpoint format, written atomically, and `generator_from_file` for ours or official files.

A checkpoint is a dict: format tag, model config, train config, G/D_V/D_I weights, optimiser and
GradScaler states, step/epoch, the global RNG states (torch CPU/CUDA, numpy, random), the run's own
random streams (noise, frame picks, epoch order, windows: "random_streams", read under its old name
"sampler" too) and the metrics history. `generator_from_file` also accepts an official generator .pth (paper preset).
"""
from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import torch

from ..atomic import torch_save
from ..device import resolve_device
from ..models.build import build_generator
from ..models.config import ModelConfig, check_family, check_output
from ..models.official import as_state_dict, load_official_state

FORMAT_TAG = "imaginator-lite-checkpoint/1"
#: The key of the run's random streams, and the names it had in earlier checkpoints.
RANDOM_STREAMS_KEY, LEGACY_RANDOM_STREAMS_KEYS = "random_streams", ("sampler",)


def capture_rng_states() -> dict[str, Any]:
    """Global RNG states: torch CPU, CUDA (if initialised), numpy, python random."""
    states: dict[str, Any] = {
        "torch_cpu": torch.get_rng_state(),
        "numpy": np.random.get_state(),
        "python": random.getstate(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        states["torch_cuda"] = torch.cuda.get_rng_state_all()
    return states


def restore_rng_states(states: Mapping[str, Any]) -> None:
    """Inverse of `capture_rng_states` (silently skips CUDA when unavailable)."""
    if "torch_cpu" in states:
        torch.set_rng_state(states["torch_cpu"])
    if "numpy" in states:
        np.random.set_state(states["numpy"])
    if "python" in states:
        random.setstate(states["python"])
    if "torch_cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["torch_cuda"])


def save_checkpoint(path: str | os.PathLike, *, model_cfg: ModelConfig, generator: torch.nn.Module,
                    video_disc: torch.nn.Module | None = None, image_disc: torch.nn.Module | None = None,
                    optimizers: Mapping[str, torch.optim.Optimizer] | None = None,
                    scaler: Any = None, train_cfg: Mapping[str, Any] | None = None, step: int = 0,
                    epoch: int = 0, random_streams: Mapping[str, Any] | None = None,
                    history: list[dict[str, Any]] | None = None,
                    extra: Mapping[str, Any] | None = None) -> Path:
    """Write a full training checkpoint atomically; returns the path."""
    def state(module):
        if module is None:
            return None
        module = getattr(module, "_orig_mod", module)  # unwrap torch.compile
        return {k: v.detach().cpu() for k, v in module.state_dict().items()}

    ckpt = {
        "format": FORMAT_TAG,
        "model_config": model_cfg.to_dict(),
        "train_config": dict(train_cfg or {}),
        "generator": state(generator),
        "video_discriminator": state(video_disc),
        "image_discriminator": state(image_disc),
        "optimizers": {k: o.state_dict() for k, o in (optimizers or {}).items()},
        "scaler": scaler.state_dict() if scaler is not None else None,
        "step": int(step),
        "epoch": int(epoch),
        "rng": capture_rng_states(),
        RANDOM_STREAMS_KEY: dict(random_streams or {}),
        "history": list(history or []),
        "extra": dict(extra or {}),
    }
    return torch_save(ckpt, path)


def _torch_load(path: Path) -> Any:
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint not found: {path}; check the path (e.g. runs/tour/checkpoint.pt)")
    try:
        # weights_only=False: our checkpoints hold numpy/python RNG states (trusted, self-written files).
        return torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:
        raise ValueError(f"could not read {path} as a PyTorch checkpoint ({type(exc).__name__}: {exc}); "
                         "the file may be truncated or corrupt: re-download it or use an earlier checkpoint") from exc


def is_our_checkpoint(obj: Any) -> bool:
    return isinstance(obj, Mapping) and obj.get("format") == FORMAT_TAG


def load_checkpoint(path: str | os.PathLike) -> dict[str, Any]:
    """Read a checkpoint written by `save_checkpoint` (on CPU); ValueError if it is another format."""
    path = Path(path)
    obj = _torch_load(path)
    if not is_our_checkpoint(obj):
        raise ValueError(f"{path} is not an imaginator-lite training checkpoint (no format tag {FORMAT_TAG!r}); "
                         "for an official generator file use imaginator_lite.load_generator() or official.load_official()")
    for key in ("model_config", "generator"):
        if obj.get(key) is None:
            raise ValueError(f"checkpoint {path} has no {key!r} entry; it is incomplete")
    return obj


def random_streams_of(ckpt: Mapping[str, Any]) -> dict[str, Any]:
    """The run's random streams saved in a loaded checkpoint (under their old key in older ones); {} if none."""
    for key in (RANDOM_STREAMS_KEY, *LEGACY_RANDOM_STREAMS_KEYS):
        if ckpt.get(key):
            return dict(ckpt[key])
    return {}


def model_config_of(ckpt: Mapping[str, Any]) -> ModelConfig:
    """The ModelConfig stored in a loaded checkpoint."""
    return ModelConfig.from_dict(ckpt["model_config"])


def generator_from_file(path: str | os.PathLike, device: str | torch.device = "cpu",
                        cfg: ModelConfig | None = None, output: str | None = None,
                        family: str | None = None) -> torch.nn.Module:
    """The generator in eval mode from OUR checkpoint (of any family) or an OFFICIAL generator .pth (paper preset by
    default); imaginator_lite.load_generator, the one loader, also takes a shipped name.

    output ('paint', 'warp' or 'tps'; None: whatever the file holds) and cfg.output must match the file's kind, and
    family (None: whatever the file holds) and cfg.family its family: a ValueError naming both otherwise, before any
    weights are loaded. Official files are paint generators of the 'imaginator' family.
    """

    path = Path(path)
    device = resolve_device(device)
    obj = _torch_load(path)
    if is_our_checkpoint(obj):
        stored = model_config_of(obj)  # a checkpoint written before `output` existed is a paint model
        check_output(output, stored.output, f"{path}")
        check_family(family, stored.family, f"{path}")  # one written before `family` existed is an ImaGINator
        if cfg is not None:
            check_output(cfg.output, stored.output, f"{path}")
            check_family(cfg.family, stored.family, f"{path}")
        G = build_generator(cfg or stored)
        G.load_state_dict(obj["generator"])
        return G.to(device).eval()

    check_output(output, "paint", f"{path} (an official ImaGINator generator)")
    check_family(family, "imaginator", f"{path} (an official ImaGINator generator)")
    if cfg is not None:
        check_output(cfg.output, "paint", f"{path} (an official ImaGINator generator)")
        check_family(cfg.family, "imaginator", f"{path} (an official ImaGINator generator)")
    G = build_generator(cfg or ModelConfig.preset("paper"))
    load_official_state(G, as_state_dict(obj, path), source=str(path))
    return G.to(device).eval()
