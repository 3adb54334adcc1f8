"""One way to load a generator: a shipped model's name, this package's training checkpoint, or an official
ImaGINator generator .pth (loaded into the `paper` preset)."""
from __future__ import annotations

import os
from pathlib import Path

import torch

from .models.config import ModelConfig, check_family, check_output
from .pretrained import PRETRAINED, load_pretrained
from .training.checkpoint import generator_from_file

__all__ = ["load_generator", "describe_source"]


def _is_shipped_name(source: str | os.PathLike) -> bool:
    return isinstance(source, str) and source in PRETRAINED


def load_generator(source: str | os.PathLike, device: str | torch.device = "cpu", output: str | None = None,
                   cfg: ModelConfig | None = None, family: str | None = None) -> torch.nn.Module:
    """G in eval mode from `source`: a shipped name (PRETRAINED), our checkpoint or an official generator .pth.

    output ('paint', 'warp' or 'tps'; None: any) and family ('imaginator', 'vgan', 'mocogan'; None: any): what is
    asked for, a ValueError naming both otherwise, before any weights are loaded.
    cfg: the config to load a file into (an official .pth defaults to the paper preset); not for a shipped name.
    """
    if _is_shipped_name(source):
        if cfg is not None:
            raise ValueError(f"cfg is for files; the shipped model {source!r} brings its own config")
        G = load_pretrained(source, device=device)
        check_output(output, G.cfg.output, f"the shipped pretrained {source!r} model")
        check_family(family, G.cfg.family, f"the shipped pretrained {source!r} model")
        return G
    path = Path(source)
    if not path.exists() and path.suffix not in (".pt", ".pth") and len(path.parts) == 1:
        raise ValueError(f"unknown generator {str(source)!r}: not a shipped model ({', '.join(PRETRAINED)}) and not "
                         "a file; give one of those names or the path of a checkpoint")
    return generator_from_file(path, device, cfg=cfg, output=output, family=family)


def describe_source(source: str | os.PathLike) -> str:
    """Where a generator came from, for a message: the shipped model's name or the file's path."""
    return f"the shipped pretrained {source!r} model" if _is_shipped_name(source) else str(source)
