"""Command-line options of the converters, shared by `imaginator-lite data convert` and data_scripts/."""
from __future__ import annotations

import argparse

from ..data.importers import datasets
from ..defaults import SPLIT_FRACTIONS
from .errors import run

__all__ = ["CONVERTERS", "add_split_arguments", "add_convert_arguments", "run_convert", "build_parser", "script_main"]

#: dataset name on the command line -> (converter, one-line description)
CONVERTERS = {
    "mug": (datasets.convert_mug, "MUG expressions: SRC/<subject>/[session0|1/]<expression>/<takeNNN>/img_NNNN.jpg"),
    "uva-nemo": (datasets.convert_uva_nemo, "UvA-NEMO smiles: SRC/**/001_deliberate_smile_1.mp4, ..._spontaneous_..."),
    "natops": (datasets.convert_natops, "NATOPS gestures: SRC/gXXsYY.avi + segmentation file"),
    "weizmann": (datasets.convert_weizmann, "Weizmann actions: SRC/<actor>_<action>.avi"),
    "folder": (datasets.convert_folder, "generic: SRC/<class>/<video file or folder of frames>"),
}

#: converters with a face crop: on by default for mug / uva-nemo, opt-in (--face-crop) for folder
FACE_DATASETS = ("mug", "uva-nemo", "folder")


def add_split_arguments(parser: argparse.ArgumentParser, seed_help: str) -> None:
    """--fractions, --seed and --no-progress, shared by every command that writes a store."""
    parser.add_argument("--fractions", type=float, nargs=3, default=SPLIT_FRACTIONS,
                        metavar=("TRAIN", "VAL", "TEST"), help="split fractions by identity")
    parser.add_argument("--seed", type=int, default=0, help=seed_help)
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")


def add_convert_arguments(parser: argparse.ArgumentParser, dataset: str) -> None:
    """Add SRC, --out and the common / dataset-specific options for `dataset`."""
    parser.add_argument("src", help="folder of the raw download (opened read-only, never modified)")
    parser.add_argument("--out", required=True, help="clip store folder to write (outside SRC)")
    parser.add_argument("--size", type=int, default=64, help="square frame size in pixels (default 64)")
    parser.add_argument("--min-frames", type=int, default=32,
                        help="skip clips shorter than this after subsampling (default 32 = the window)")
    parser.add_argument("--stride", type=int, default=1, help="keep every N-th frame (default 1)")
    if dataset != "mug":
        parser.add_argument("--fps", type=float, default=None,
                            help="target frame rate; overrides --stride using the video's rate")
    add_split_arguments(parser, seed_help="seed of the identity split")
    if dataset == "mug":
        parser.add_argument("--include-neutral", action="store_true",
                            help="keep 'neutral' takes as a seventh label (default: skipped)")
    if dataset in ("mug", "uva-nemo"):
        parser.add_argument("--no-face-crop", action="store_true",
                            help="centre crop instead of the Haar-cascade face box")
    if dataset == "folder":
        parser.add_argument("--face-crop", action="store_true",
                            help="crop a tracked Haar-cascade face box, as for MUG / UvA-NEMO "
                                 "(default: the full centre square)")
    if dataset in FACE_DATASETS:
        parser.add_argument("--face-enlarge", type=float, default=1.4, help="face box scale (default 1.4)")
        parser.add_argument("--face-cascade", default=None,
                            help="Haar cascade XML (default: OpenCV's bundled frontal-face cascade)")
    if dataset == "natops":
        parser.add_argument("--segments", default=None,
                            help="segmentation file (default SRC/segmentation.txt); "
                                 + datasets.NATOPS_SEGMENTS_FORMAT)
    if dataset == "folder":
        parser.add_argument("--classes", default=None,
                            help="comma-separated class names in label order (default: sorted subfolders)")
        parser.add_argument("--identity-pattern", default=None,
                            help="regex; its first group of an entry's name is the identity for splitting")


def convert_options(dataset: str, args) -> datasets.ConvertOptions:
    """The parsed command line's ConvertOptions (the options every converter shares)."""
    face = {}
    if dataset in FACE_DATASETS:
        face = dict(face_crop=args.face_crop if dataset == "folder" else not args.no_face_crop,
                    face_enlarge=args.face_enlarge, face_cascade=args.face_cascade)
    return datasets.ConvertOptions(image_size=args.size, min_frames=args.min_frames, stride=args.stride,
                                   fps=getattr(args, "fps", None), fractions=tuple(args.fractions), seed=args.seed,
                                   progress=not args.no_progress, **face)


def dataset_arguments(dataset: str, args) -> dict:
    """The options only one dataset has (MUG's neutral takes, NATOPS's segments, a folder's classes)."""
    if dataset == "mug":
        return {"include_neutral": args.include_neutral}
    if dataset == "natops":
        return {"segments": args.segments}
    if dataset == "folder":
        return {"classes": [c.strip() for c in args.classes.split(",")] if args.classes else None,
                "identity_pattern": args.identity_pattern}
    return {}


def run_convert(dataset: str, args) -> int:
    """Run the converter for parsed `args`; prints the summary. Exit code 0, or 1 if the store is empty."""
    converter = CONVERTERS[dataset][0]
    summary = converter(args.src, args.out, convert_options(dataset, args), **dataset_arguments(dataset, args))
    print(summary.format())
    return 0 if sum(summary.store_clips.values()) > 0 else 1


def build_parser(dataset: str, prog: str | None = None) -> argparse.ArgumentParser:
    """Stand-alone parser for one dataset (used by data_scripts/convert_*.py)."""
    parser = argparse.ArgumentParser(prog=prog, description=f"Convert {CONVERTERS[dataset][1]} into a clip store.")
    add_convert_arguments(parser, dataset)
    return parser


def script_main(dataset: str, argv=None, prog: str | None = None) -> int:
    """Entry point of data_scripts/convert_<dataset>.py; errors leave through the CLI's one error path."""
    args = build_parser(dataset, prog).parse_args(argv)
    return run(prog or f"convert {dataset}", lambda a: run_convert(dataset, a), args)
