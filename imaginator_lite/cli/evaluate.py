"""`imaginator-lite evaluate`: a checkpoint or a shipped model against the three baselines, judged."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..atomic import write_json
from ..data.synthetic_sets import KIND_CLASSES
from ..defaults import DATA_ROOT, SYNTHETIC_IDENTITIES
from ..evaluation.classifier import load_feature_net
from ..evaluation.evaluate import summary_table
from ..evaluation.fvd import load_fvd_detector
from ..evaluation.verdict import verdict_text
from ..pipeline import Judge, SyntheticData, check_store_fits, evaluate_run
from .common import add_generator_flags, load_generator_from_args


def _store(args: argparse.Namespace, G, card) -> Path:
    """--data, or held-out synthetic identities rendered from --seed (never the training seed)."""

    if args.data:
        check_store_fits(args.data, G.cfg, args.split)
        return Path(args.data)
    if args.synthetic is None:
        raise ValueError(f"give --data STORE or --synthetic {'|'.join(KIND_CLASSES)} with a --seed")
    classes = tuple(G.cfg.class_names)
    if KIND_CLASSES[args.synthetic] != classes:
        fitting = [kind for kind, names in KIND_CLASSES.items() if names == classes]
        raise ValueError(f"--synthetic {args.synthetic} renders clips of {', '.join(KIND_CLASSES[args.synthetic])}, "
                         f"but this model generates {', '.join(classes)}: score it on its own domain"
                         + (f" (--synthetic {' or '.join(fitting)})" if fitting else " (--data STORE)"))
    if card is not None and args.seed == card["data"]["seed"]:
        raise ValueError(f"seed {args.seed} rendered the identities this model was trained on; "
                         f"pick another --seed so that every identity is unseen")
    spec = SyntheticData.for_model(G.cfg, args.synthetic, args.identities, args.seed)
    return spec.store(args.data_root, progress=not args.no_progress)


def fvd_line(fvd: dict) -> str:
    """'FVD 123.4 +- 5.6 over 3 sampling seeds (per-class 150.2 +- 3.1); 72 real and 72 generated clips ...'."""
    return (f"FVD {fvd['fvd']['mean']:.2f} +- {fvd['fvd']['std']:.2f} over {fvd['repeats']} sampling seeds "
            f"(per-class {fvd['per_class_fvd']['mean']:.2f} +- {fvd['per_class_fvd']['std']:.2f}); "
            f"{fvd['real_clips']} real and {fvd['generated_clips_per_repeat']} generated clips of {fvd['frames']} "
            f"frames at {fvd['resolution']}; detector sha256 {fvd['detector'].get('sha256', '?')[:16]}...")


def run_evaluate(args: argparse.Namespace) -> int:


    G, source, card = load_generator_from_args(args)
    detector = load_fvd_detector(args.fvd_detector, next(G.parameters()).device) if args.fvd_detector else None
    if detector is not None:
        print(f"FVD detector {args.fvd_detector}: sha256 {detector.info['sha256']}")
    store = _store(args, G, card)
    net = load_feature_net(args.feature_weights) if args.feature_weights else None
    metrics = evaluate_run(G, store, split=args.split, judge=Judge(seed=args.seed, cache_dir=args.cache_dir), feature_net=net,
                           use_features=not args.no_features, batch_size=args.batch_size, seed=args.seed,
                           progress=not args.no_progress, log=print, fvd_detector=detector,
                           fvd_repeats=args.fvd_repeats)
    print(summary_table(metrics["results"]))
    if "fvd" in metrics:
        print(fvd_line(metrics["fvd"]))
    if metrics["criterion"] is not None:
        print(f"criterion: {metrics['criterion']['text']}\n{verdict_text(metrics['criterion'])}")
    if args.out:
        path = write_json(Path(args.out) / "metrics.json", {"generator": source, **metrics})
        print(f"wrote {path}")
    if metrics["passed"] is False:
        print("the pass mark was not met", file=sys.stderr)
        return 1
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add `evaluate` to the `imaginator-lite` parser."""
    p = sub.add_parser("evaluate", help="SSIM/PSNR/L1/FD/conditional accuracy vs three baselines, judged by the pass mark")
    add_generator_flags(p)
    data = p.add_mutually_exclusive_group()
    data.add_argument("--data", help="clip store folder")
    data.add_argument("--synthetic", choices=tuple(KIND_CLASSES),
                      help="render held-out synthetic identities from --seed (into --data-root)")
    p.add_argument("--identities", type=int, default=SYNTHETIC_IDENTITIES,
                   help=f"identities of the --synthetic store (default {SYNTHETIC_IDENTITIES})")
    p.add_argument("--data-root", default=DATA_ROOT, help=f"where synthetic stores live (default {DATA_ROOT})")
    p.add_argument("--split", default="test", choices=("train", "val", "test"))
    p.add_argument("--feature-weights", default=None, help="user feature network (classifier file or TorchScript)")
    p.add_argument("--no-features", action="store_true", help="skip FD and conditional accuracy (and the verdict)")
    p.add_argument("--cache-dir", default=None, help="where the default classifier is cached")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--seed", type=int, default=0, help="seed of the noise, the judge and the --synthetic identities")
    p.add_argument("--fvd-detector", default=None, metavar="PATH",
                   help="also report FVD with this TorchScript I3D detector (StyleGAN-V's i3d_torchscript.pt; "
                        "never downloaded: fetch it yourself)")
    p.add_argument("--fvd-repeats", type=int, default=3, help="sampling seeds for FVD's mean and std (default 3)")
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("--out", default=None, help="write OUT/metrics.json (with the criterion and `passed`)")
    p.set_defaults(func=run_evaluate)
