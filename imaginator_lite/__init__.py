"""imaginator-lite: ImaGINator (image + label + noise -> video) as a compact, tested teaching library.

The layout follows the model: data/ (notebook 01), models/ (02, 03), training/ (04), evaluation/ (04, 05),
generation/ (06, 07), with loading.py (one way to load a generator), pipeline.py (store, load or train, evaluate),
the tour, the ablation study and the shipped files in pretrained/. Around them: course/ (exercises, grading, the
editions), shipping/ (the maintainer's build scripts) and cli/, the top floor.
"""
from importlib.metadata import PackageNotFoundError, version

from .data.store import ClipDataset
from .data.synthetic_sets import make_synthetic_store
from .device import resolve_device
from .generation.generate import generate, label_grid
from .labels import ACTIONS, EXPRESSIONS, resolve_label
from .loading import load_generator
from .models.blocks import TransposedConv1Plus2d, TransposedConv3d, matched_width
from .models.build import build_generator
from .models.config import ModelConfig
from .models.discriminators import ImageDiscriminator, VideoDiscriminator
from .models.generator import Decoder, Encoder, Generator
from .models.official import load_official, save_official
from .pipeline import SyntheticData, evaluate_run, load_or_train
from .training.config import TrainConfig
from .training.trainer import Trainer


def _version() -> str:
    """The installed distribution's version (pyproject.toml is its one home)."""

    try:
        return version("imaginator-lite")
    except PackageNotFoundError:  # imported from a source tree that was never installed
        return "0+unknown"


__version__ = _version()

__all__ = [
    "ModelConfig", "Generator", "build_generator", "Encoder", "Decoder", "VideoDiscriminator", "ImageDiscriminator",
    "TransposedConv1Plus2d", "TransposedConv3d", "matched_width", "load_official", "save_official",
    "load_generator", "generate", "label_grid", "ClipDataset", "make_synthetic_store",
    "SyntheticData", "load_or_train", "evaluate_run", "Trainer", "TrainConfig", "resolve_device",
    "resolve_label", "EXPRESSIONS", "ACTIONS", "__version__",
]
