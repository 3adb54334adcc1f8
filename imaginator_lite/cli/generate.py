"""`imaginator-lite generate`: one image + a label + a seed -> a video file."""
from __future__ import annotations

import argparse

from .common import add_generator_flags, load_generator_from_args


def _default_image(G, seed: int):
    """A synthetic first frame at the model's size, of an identity no shipped model was trained on."""
    from ..generation.generate import synthetic_first_frames

    return synthetic_first_frames(G.cfg, [10_000 + seed], seed)[0]


def _photo_input(G, args: argparse.Namespace):
    """--image as the model's input: for a face model the square around the face (unless --no-crop-face)."""
    from ..generation.photos import is_face_model, prepare_photo

    crop = is_face_model(G.cfg.class_names) if args.crop_face is None else args.crop_face
    prepared = prepare_photo(args.image, G.cfg.image_size, crop_face=crop)
    print(f"{args.image}: {prepared.message}; box (x0, y0, x1, y1) = {prepared.box}")
    return prepared.image


def run_generate(args: argparse.Namespace) -> int:
    from ..generation.generate import generate, label_grid, save_generated

    G = load_generator_from_args(args)[0]
    image = _photo_input(G, args) if args.image else _default_image(G, args.seed)
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
    crop = p.add_mutually_exclusive_group()
    crop.add_argument("--crop-face", dest="crop_face", action="store_true", default=None,
                      help="cut the largest face out of --image (default for expression models)")
    crop.add_argument("--no-crop-face", dest="crop_face", action="store_false",
                      help="use the centre square of --image as it is")
    p.add_argument("--label", default=None, help="class name or index, e.g. happiness")
    p.add_argument("--grid", action="store_true", help="one video per label for the same image")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--n", type=int, default=1, help="videos (different noise) for --label")
    p.add_argument("--out", default="clip.gif", help=".gif or .mp4")
    p.set_defaults(func=run_generate)
