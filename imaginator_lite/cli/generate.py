"""`imaginator-lite generate`: one image + a label + a seed -> a video file."""
from __future__ import annotations

import argparse

from .common import add_generator_flags, load_generator_from_args


def _default_image(G, seed: int):
    """A synthetic first frame at the model's size, of an identity no shipped model was trained on."""
    from ..data.store import to_model_video
    from ..data.synthetic import render_clips
    from ..labels import ACTIONS

    kind = "actions" if tuple(G.cfg.class_names) == ACTIONS else "faces"
    clip = render_clips(kind, [10_000 + seed], [0], image_size=G.cfg.image_size, frames=2, seed=seed)
    return to_model_video(clip)[0, :, 0]


def run_generate(args: argparse.Namespace) -> int:
    from ..generation.generate import generate, label_grid, save_generated

    G = load_generator_from_args(args)[0]
    image = args.image if args.image else _default_image(G, args.seed)
    if args.grid:
        path = save_generated(label_grid(G, image, seed=args.seed), args.out, ncols=G.cfg.n_classes)
        print(f"wrote {path}: one video per label ({', '.join(G.cfg.class_names)})")
        return 0
    if args.label is None:
        raise ValueError(f"give --label (one of {', '.join(G.cfg.class_names)}) or --grid")
    path = save_generated(generate(G, image, args.label, seed=args.seed, n=args.n), args.out)
    print(f"wrote {path}: {args.n} video(s) of label {args.label!r}, seed {args.seed}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add `generate` to the `imaginator-lite` parser."""
    p = sub.add_parser("generate", help="one image + label + seed -> a video (GIF or MP4)")
    add_generator_flags(p)
    p.add_argument("--image", default=None, help="input image (default: a synthetic face or figure)")
    p.add_argument("--label", default=None, help="class name or index, e.g. happiness")
    p.add_argument("--grid", action="store_true", help="one video per label for the same image")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--n", type=int, default=1, help="videos (different noise) for --label")
    p.add_argument("--out", default="clip.gif", help=".gif or .mp4")
    p.set_defaults(func=run_generate)
