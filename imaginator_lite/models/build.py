"""One factory for every generator family: `build_generator(cfg)` reads cfg.family.

    imaginator  models/generator.py  the paper's (1+2)D decoder with fusion (and the warp / tps outputs)
    vgan        models/vgan.py       Vondrick et al. 2016: 3D foreground + mask over a still 2D background
    mocogan     models/mocogan.py    Tulyakov et al. 2018: content code + GRU motion codes, frames rendered in 2D

Each is called G(image (B,3,S,S), z (B,dim_z), label) -> video (B,3,T,S,S) in [-1,1].
"""
from __future__ import annotations

from torch import nn

from .config import ModelConfig
from .generator import Generator
from .mocogan import MoCoGANGenerator
from .vgan import VGANGenerator

#: The class of each family in config.FAMILIES, in that order.
GENERATORS: dict[str, type[nn.Module]] = {"imaginator": Generator, "vgan": VGANGenerator,
                                          "mocogan": MoCoGANGenerator}


def build_generator(cfg: ModelConfig | None = None) -> nn.Module:
    """The generator of cfg.family for `cfg` (default: the 'paper' preset's ImaGINator)."""
    cfg = cfg or ModelConfig.preset("paper")
    return GENERATORS[cfg.family](cfg)
