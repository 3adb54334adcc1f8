"""`imaginator-lite info` and `imaginator-lite sample`: inspect presets, write an (untrained) sample video."""
from __future__ import annotations

import argparse
from pathlib import Path

import torch

from ..generation.viz import save_video, video_grid
from ..labels import resolve_label
from ..models.config import ModelConfig
from ..models.discriminators import ImageDiscriminator, VideoDiscriminator
from ..models.generator import Generator


def _count(module) -> int:
    return sum(p.numel() for p in module.parameters())


def run_info(args: argparse.Namespace) -> int:
    names = [args.preset] if args.preset else ModelConfig.preset_names()
    print(f"{'preset':8s} {'video':>12s} {'G params':>12s} {'D_V params':>11s} {'D_I params':>10s}  mid widths")
    for name in names:
        cfg = ModelConfig.preset(name)
        mids = [s.mid_channels for s in cfg.up_blocks()]
        print(f"{name:8s} {f'{cfg.frames}x{cfg.image_size}x{cfg.image_size}':>12s} {_count(Generator(cfg)):>12,d} "
              f"{_count(VideoDiscriminator(cfg)):>11,d} {_count(ImageDiscriminator(cfg)):>10,d}  {mids}")
    return 0


def run_sample(args: argparse.Namespace) -> int:


    cfg = ModelConfig.preset(args.preset)
    torch.manual_seed(args.seed)
    G = Generator(cfg).eval()
    labels = [resolve_label(args.label, cfg.class_names)] if args.label else list(range(cfg.n_classes))
    image = torch.rand(1, 3, cfg.image_size, cfg.image_size) * 2 - 1
    with torch.no_grad():
        videos = G(image.expand(len(labels), -1, -1, -1), G.sample_noise(len(labels)), torch.tensor(labels))
    out = save_video(video_grid(videos, ncols=len(labels)), Path(args.out))
    print(f"wrote {out} ({len(labels)} untrained '{cfg.name}' samples, {cfg.frames} frames each)")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("info", help="list presets with their parameter counts")
    p.add_argument("--preset", default=None, help="only this preset")
    p.set_defaults(func=run_info)

    p = sub.add_parser("sample", help="build a model and write a sample video grid (untrained weights)")
    p.add_argument("--preset", default="tiny")
    p.add_argument("--label", default=None, help="one class name (default: one video per class)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="runs/sample.gif", help=".gif or .mp4")
    p.set_defaults(func=run_sample)
