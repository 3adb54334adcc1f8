"""What the decoder's last layer predicts per frame: one entry per output kind, chosen once from ModelConfig.output.

    paint  3 channels, RGB: ImaGINator repaints every pixel at the model's size (the paper)
    warp   6 channels: a free flow, a mask and a residual that move the input image's pixels (models/warp.py)
    tps    6 channels read through a thin-plate spline: a flow smooth by construction and a still background
           (models/smooth_warp.py)

Everything that depends on the kind (the last layer's width and init, how raw output becomes frames, whether a photo
is animated at its own resolution) asks this table, so a new kind is one entry here.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

from .smooth_warp import smooth_fields_from_output
from .warp import WarpFields, compose, fields_from_output


@dataclass(frozen=True)
class OutputKind:
    """name; channels of the last layer; moves_pixels: frames are the input warped (fields, photo resolution,
    a mask to penalise); fields: raw (B, channels, T, h, w) -> WarpFields (None for paint); summary: one line."""

    name: str
    channels: int
    moves_pixels: bool
    fields: Callable[[torch.Tensor], WarpFields] | None
    summary: str

    def frames(self, image: torch.Tensor, raw: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(video (B, 3, T, S, S), mask (B, 1, T, S, S) or None) from the input image and the decoder's output."""
        if self.fields is None:
            return raw, None
        f = self.fields(raw)
        return compose(image, f.flow, f.mask, f.residual, f.sampling), f.mask


OUTPUT_KINDS: dict[str, OutputKind] = {
    "paint": OutputKind("paint", 3, False, None, "the last layer paints 3 RGB channels"),
    "warp": OutputKind("warp", 6, True, fields_from_output,
                       "the last layer predicts 6 channels: a free flow 2, mask 1, residual 3"),
    "tps": OutputKind("tps", 6, True, smooth_fields_from_output,
                      "the last layer's 6 channels give a thin-plate-spline flow, smooth by construction and still "
                      "outside the face, with a mask and residual inside it"),
}
OUTPUTS = tuple(OUTPUT_KINDS)


def output_kind(name: str) -> OutputKind:
    """The entry for `name`; ValueError naming the kinds otherwise."""
    if name not in OUTPUT_KINDS:
        raise ValueError(f"output must be one of {OUTPUTS} (got {name!r}): 'paint' (the paper), 'warp' or 'tps'")
    return OUTPUT_KINDS[name]
