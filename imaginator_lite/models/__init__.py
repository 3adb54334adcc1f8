"""The networks: (1+2)D blocks, the generator, both discriminators, losses, official checkpoints."""
from .blocks import TransposedConv1Plus2d, TransposedConv3d, matched_width
from .config import ModelConfig
from .discriminators import ImageDiscriminator, VideoDiscriminator
from .generator import Decoder, Encoder, Generator
from .losses import discriminator_loss, generator_loss
from .official import load_official, save_official

__all__ = ["TransposedConv1Plus2d", "TransposedConv3d", "matched_width", "ModelConfig", "ImageDiscriminator",
           "VideoDiscriminator", "Decoder", "Encoder", "Generator", "discriminator_loss", "generator_loss",
           "load_official", "save_official"]
