"""Flags and loaders shared by the commands that use a trained generator (`evaluate`, `generate`)."""
from __future__ import annotations

import argparse

from ..loading import describe_source, load_generator
from ..pretrained import PRETRAINED, model_card


def add_generator_flags(parser: argparse.ArgumentParser) -> None:
    """--checkpoint CKPT | --pretrained faces|actions|faces-warp|faces-free-warp, and --device."""
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--checkpoint", help="our checkpoint or an official generator .pth")
    which.add_argument("--pretrained", choices=PRETRAINED, help="a model shipped with the package (faces-warp: "
                       "textured faces and a thin-plate-spline warp, which animates a photo at its own resolution; "
                       "faces-free-warp: the earlier free-flow warp on drawn faces)")
    parser.add_argument("--device", default="auto", help="auto | cpu | cuda (default auto)")


def load_generator_from_args(args: argparse.Namespace):
    """(G in eval mode, where it came from, its model card or None) for --checkpoint / --pretrained."""
    source = args.pretrained or args.checkpoint
    if not source:
        raise ValueError(f"give --checkpoint CKPT or --pretrained {'|'.join(PRETRAINED)}")
    card = model_card(args.pretrained) if args.pretrained else None
    return load_generator(source, args.device), describe_source(source), card
