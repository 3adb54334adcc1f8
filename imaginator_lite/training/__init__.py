"""Training: the recipe (TrainConfig), one GAN step (gan_step), the loop (Trainer), run outputs, checkpoints."""
from .checkpoint import generator_from_file, load_checkpoint, save_checkpoint
from .config import TrainConfig
from .steps import gan_step
from .trainer import NonFiniteLossError, Trainer

__all__ = ["TrainConfig", "Trainer", "NonFiniteLossError", "gan_step",
           "load_checkpoint", "generator_from_file", "save_checkpoint"]
