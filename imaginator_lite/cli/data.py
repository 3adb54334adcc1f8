"""`imaginator-lite data ...`: write synthetic stores, convert real datasets, inspect stores."""
from __future__ import annotations

import argparse

from ..data.store import store_info
from ..data.synthetic_sets import KIND_CLASSES, make_synthetic_store
from ..defaults import SYNTHETIC_IDENTITIES
from .convert_args import CONVERTERS, add_convert_arguments, add_split_arguments, run_convert

__all__ = ["register", "add_synth_arguments", "run_data_synth", "run_data_info", "run_data_convert"]


def add_synth_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `data synth` (also used by data_scripts/make_synthetic.py)."""

    parser.add_argument("--kind", choices=tuple(KIND_CLASSES), default="faces", help="which synthetic set")
    parser.add_argument("--out", required=True, help="clip store folder to write")
    parser.add_argument("--size", type=int, default=64, help="square frame size (default 64)")
    parser.add_argument("--frames", type=int, default=32, help="frames per clip (default 32)")
    parser.add_argument("--identities", type=int, default=SYNTHETIC_IDENTITIES,
                        help=f"number of identities (default {SYNTHETIC_IDENTITIES})")
    parser.add_argument("--clips-per-identity", type=int, default=None,
                        help="clips per identity, cycling over the classes (default: one per class)")
    add_split_arguments(parser, seed_help="seed (same seed -> identical store)")


def run_data_synth(args) -> int:
    """Handler of `data synth`."""

    root = make_synthetic_store(args.out, kind=args.kind, n_identities=args.identities, image_size=args.size,
                                frames=args.frames, seed=args.seed, clips_per_identity=args.clips_per_identity,
                                fractions=tuple(args.fractions), progress=not args.no_progress)
    _print_info(store_info(root))
    return 0


def _print_info(info: dict) -> None:
    print(f"store {info['root']} ({info['kind']}): {info['image_size']}x{info['image_size']}, "
          f"{len(info['classes'])} classes: {', '.join(info['classes'])}")
    if info.get("source"):
        print(f"  source: {info['source']}")
    for split, s in info["splits"].items():
        print(f"  {split:5s}: {s['clips']:6d} clips, {s['frames']:8d} frames "
              f"(clip length {s['min_frames']}..{s['max_frames']}), {s['identities']} identities")
        if s["clips"]:
            print("         " + ", ".join(f"{k} {v}" for k, v in s["per_class"].items()))


def run_data_info(args) -> int:
    """Handler of `data info`."""

    _print_info(store_info(args.dir))
    return 0


def run_data_convert(args) -> int:
    """Handler of `data convert <dataset>`."""

    return run_convert(args.dataset, args)


def register(subparsers) -> None:
    """Add the `data` command group (synth, convert <dataset>, info) to a CLI's subparsers."""

    data = subparsers.add_parser("data", help="make, convert and inspect clip stores")
    data_sub = data.add_subparsers(dest="data_command", metavar="{synth,convert,info}")
    data_sub.required = True

    synth = data_sub.add_parser("synth", help="render a synthetic faces/actions clip store")
    add_synth_arguments(synth)
    synth.set_defaults(func=run_data_synth)

    convert = data_sub.add_parser("convert", help="convert a real dataset download into a clip store")
    convert_sub = convert.add_subparsers(dest="dataset", metavar="{" + ",".join(CONVERTERS) + "}")
    convert_sub.required = True
    for name, (_, description) in CONVERTERS.items():
        sub = convert_sub.add_parser(name, help=description, description=description)
        add_convert_arguments(sub, name)
        sub.set_defaults(func=run_data_convert)

    info = data_sub.add_parser("info", help="print classes, clips and frames per split of a store")
    info.add_argument("dir", help="clip store folder")
    info.set_defaults(func=run_data_info)
