"""`imaginator-lite generate`: one image + a label + a seed -> a video file."""
from __future__ import annotations

import argparse

import torch

from ..generation.generate import generate, generate_at_resolution, label_grid, save_generated, synthetic_first_frames
from ..generation.photos import is_face_model, prepare_photo
from ..labels import resolve_label
from .common import add_generator_flags, load_generator_from_args


def _default_image(G, seed: int):
    """A synthetic first frame at the model's size, of an identity no shipped model was trained on."""

    return synthetic_first_frames(G.cfg, [10_000 + seed], seed)[0]


#: The largest side a warp model's video from a photo gets by default (the face crop's own side, capped here).
MAX_PHOTO_SIZE = 256


def _prepare(G, args: argparse.Namespace):
    """--image as a PreparedPhoto: for a face model the square around the face (unless --no-crop-face). A square
    smaller than the model's size is refused here, before any generation."""

    crop = is_face_model(G.cfg.class_names) if args.crop_face is None else args.crop_face
    prepared = prepare_photo(args.image, G.cfg.image_size, crop_face=crop)
    print(f"{args.image}: {prepared.message}; box (x0, y0, x1, y1) = {prepared.box}")
    return prepared


def _output_size(G, args: argparse.Namespace, prepared) -> int:
    """A warp model's video size from a photo: --size, else the crop's own side capped at MAX_PHOTO_SIZE."""
    least = G.cfg.image_size
    if args.size is not None and args.size < least:
        raise ValueError(f"--size {args.size} is below the model's {least}x{least}; give --size {least} or more")
    return args.size if args.size is not None else max(least, min(prepared.side, MAX_PHOTO_SIZE))


def run_generate(args: argparse.Namespace) -> int:


    G = load_generator_from_args(args)[0]
    cfg = G.cfg
    warp = G.output.moves_pixels
    if args.size is not None and not (warp and args.image):
        raise ValueError(f"--size is for a warp model with --image (this is a {cfg.output} model"
                         f"{'' if args.image else ' and no --image was given'}): a paint model repaints every "
                         f"pixel at its {cfg.image_size}x{cfg.image_size}")
    if not args.grid:
        if args.label is None:
            raise ValueError(f"give --label (one of {', '.join(cfg.class_names)}) or --grid")
        resolve_label(args.label, cfg.class_names)  # a wrong label fails before the photo is read
    if args.image and warp:
        prepared = _prepare(G, args)
        size = _output_size(G, args, prepared)
        image = prepared.at(size)
        labels = range(cfg.n_classes) if args.grid else [args.label]
        videos = [generate_at_resolution(G, image, k, seed=args.seed, n=1 if args.grid else args.n) for k in labels]
        videos = torch.cat(videos)
        path = save_generated(videos, args.out, ncols=cfg.n_classes if args.grid else None, scale=1)
        what = (f"one video per label ({', '.join(cfg.class_names)})" if args.grid else
                f"{args.n} video(s) of label {args.label!r}, seed {args.seed}")
        print(f"wrote {path}: {what}, warped at the photo's {size}x{size} (the model works at "
              f"{cfg.image_size}x{cfg.image_size})")
        return 0
    image = _prepare(G, args).image if args.image else _default_image(G, args.seed)
    if args.grid:
        path = save_generated(label_grid(G, image, seed=args.seed), args.out, ncols=cfg.n_classes)
        print(f"wrote {path}: one video per label ({', '.join(cfg.class_names)})")
        return 0
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
    p.add_argument("--size", type=int, default=None,
                   help="a warp model's video size from --image, in pixels (default: the face crop's own side, "
                        f"at most {MAX_PHOTO_SIZE}); a paint model always gives its own size")
    p.add_argument("--out", default="clip.gif", help=".gif or .mp4")
    p.set_defaults(func=run_generate)
