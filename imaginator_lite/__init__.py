"""imaginator-lite: ImaGINator (image + label + noise -> video) as a compact, tested teaching library.

Public API: ModelConfig, Generator, VideoDiscriminator, ImageDiscriminator, load_official.
"""
from .blocks import TransposedConv1Plus2d, TransposedConv3d, matched_width
from .config import ModelConfig
from .device import resolve_device
from .discriminators import ImageDiscriminator, VideoDiscriminator
from .generator import Decoder, Encoder, Generator
from .labels import ACTIONS, EXPRESSIONS
from .official import load_official, save_official

__version__ = "0.1.0"

__all__ = [
    "ModelConfig", "Generator", "Encoder", "Decoder", "VideoDiscriminator", "ImageDiscriminator",
    "TransposedConv1Plus2d", "TransposedConv3d", "matched_width", "load_official", "save_official",
    "resolve_device", "EXPRESSIONS", "ACTIONS", "__version__",
]
