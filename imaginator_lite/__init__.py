"""imaginator-lite: ImaGINator (image + label + noise -> video) as a compact, tested teaching library.

Core API: ModelConfig, Generator, VideoDiscriminator, ImageDiscriminator, load_official.
Around it: synthetic data and the clip store, the Trainer, checkpoints, generation.
"""
from .blocks import TransposedConv1Plus2d, TransposedConv3d, matched_width
from .checkpoint import load_generator
from .config import ModelConfig
from .device import resolve_device
from .discriminators import ImageDiscriminator, VideoDiscriminator
from .generate import generate, label_grid
from .generator import Decoder, Encoder, Generator
from .labels import ACTIONS, EXPRESSIONS
from .official import load_official, save_official
from .store import ClipDataset
from .synthetic import make_synthetic_store
from .training import Trainer, TrainConfig

__version__ = "0.1.0"

__all__ = [
    "ModelConfig", "Generator", "Encoder", "Decoder", "VideoDiscriminator", "ImageDiscriminator",
    "TransposedConv1Plus2d", "TransposedConv3d", "matched_width", "load_official", "save_official",
    "load_generator", "generate", "label_grid", "ClipDataset", "make_synthetic_store", "Trainer",
    "TrainConfig", "resolve_device", "EXPRESSIONS", "ACTIONS", "__version__",
]
