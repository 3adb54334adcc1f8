"""The networks: (1+2)D blocks, the generator and the VGAN / MoCoGAN baselines, both discriminators, losses,
official checkpoints."""
from .blocks import TransposedConv1Plus2d, TransposedConv3d, matched_width
from .build import GENERATORS, build_generator
from .config import FAMILIES, ModelConfig
from .discriminators import ImageDiscriminator, VideoDiscriminator
from .generator import Decoder, Encoder, Generator
from .losses import discriminator_loss, generator_loss
from .mocogan import MoCoGANGenerator
from .official import load_official, save_official
from .vgan import VGANGenerator, VGANStreams

__all__ = ["TransposedConv1Plus2d", "TransposedConv3d", "matched_width", "ModelConfig", "ImageDiscriminator",
           "VideoDiscriminator", "Decoder", "Encoder", "Generator", "discriminator_loss", "generator_loss",
           "load_official", "save_official", "FAMILIES", "GENERATORS", "build_generator", "VGANGenerator",
           "VGANStreams", "MoCoGANGenerator"]
