"""Training: the recipe (TrainConfig), the two update steps, the loop (Trainer), run outputs, checkpoints."""
from .checkpoint import load_checkpoint, load_generator, save_checkpoint
from .config import TrainConfig
from .steps import discriminator_step, generator_step
from .trainer import NonFiniteLossError, Trainer

__all__ = ["TrainConfig", "Trainer", "NonFiniteLossError", "generator_step", "discriminator_step",
           "load_checkpoint", "load_generator", "save_checkpoint"]
