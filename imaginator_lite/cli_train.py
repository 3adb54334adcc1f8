"""`imaginator-lite train | evaluate | generate | tour`: training, metrics and generation from the shell."""
from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path


def _dataset_root(args: argparse.Namespace, cfg, out: Path) -> Path:
    """The clip store to use: --data, or a synthetic one rendered into <out>/data."""
    if getattr(args, "data", None):
        return Path(args.data)
    from .synthetic import make_synthetic_store
    root = out / f"synthetic-{args.synthetic}-{cfg.image_size}px-{cfg.frames}f"
    if not (root / "meta.json").is_file():
        make_synthetic_store(root, args.synthetic, n_identities=args.identities, image_size=cfg.image_size,
                             frames=cfg.frames, seed=args.seed)
    return root


def cmd_train(args: argparse.Namespace) -> int:
    from .config import ModelConfig
    from .store import ClipDataset
    from .training import NonFiniteLossError, Trainer, TrainConfig

    out = Path(args.out)
    if args.resume:
        from .checkpoint import load_checkpoint, model_config_of
        cfg = model_config_of(load_checkpoint(args.resume))
    else:
        cfg = ModelConfig.preset(args.preset)
    root = _dataset_root(args, cfg, out)
    dataset = ClipDataset(root, "train", cfg.frames, random_window=True)
    if not args.resume and dataset.classes != list(cfg.class_names):
        cfg = ModelConfig.preset(args.preset, class_names=tuple(dataset.classes))
    overrides = dict(steps=args.steps, batch_size=args.batch_size, device=args.device, precision=args.precision,
                     compile=args.compile, channels_last=args.channels_last, out_dir=str(out),
                     log_every=args.log_every, sample_every=args.sample_every,
                     checkpoint_every=args.checkpoint_every)
    try:
        if args.resume:
            trainer = Trainer.resume(args.resume, dataset, **{k: v for k, v in overrides.items() if v is not None})
        else:
            train_cfg = TrainConfig(**{k: v for k, v in overrides.items() if v is not None}, lr=args.lr,
                                    l1_weight=args.l1_weight, adversarial=args.adversarial, seed=args.seed,
                                    use_video_disc=not args.no_video_disc, use_image_disc=not args.no_image_disc)
            trainer = Trainer(cfg, train_cfg, dataset)
        trainer.train()
    except NonFiniteLossError as exc:
        print(f"imaginator-lite train: error: {exc}", file=sys.stderr)
        return 3
    print(f"trained to step {trainer.step}; checkpoint {trainer.checkpoint_path}")
    return 0


def _feature_net(args: argparse.Namespace, root: Path, frames: int, out_dir: Path):
    if args.feature_weights:
        from .classifier import load_feature_net
        return load_feature_net(args.feature_weights)
    if args.no_features:
        return None
    from .classifier import get_classifier
    return get_classifier(root, frames, cache_dir=args.cache_dir, log=print)


def cmd_evaluate(args: argparse.Namespace) -> int:
    from .checkpoint import load_generator
    from .metrics import evaluate_with_baselines, summary_table
    from .store import ClipDataset

    G = load_generator(args.checkpoint, args.device)
    root = Path(args.data)
    test = ClipDataset(root, args.split, G.cfg.frames, random_window=False)
    train = ClipDataset(root, "train", G.cfg.frames, random_window=False)
    net = _feature_net(args, root, G.cfg.frames, Path(args.checkpoint).parent)
    results = evaluate_with_baselines(G, test, train, feature_net=net, batch_size=args.batch_size, seed=args.seed)
    print(summary_table(results))
    if args.out:
        from .atomic import write_json
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        write_json(out, {"checkpoint": str(args.checkpoint), "data": str(root), "split": args.split,
                          "results": results})
        print(f"wrote {out}")
    return 0


def _default_image(G, seed: int):
    """A test-set first frame of synthetic faces at the model's size (for `generate` without --image)."""
    from .synthetic import render_faces
    from .store import to_model_video

    clip = render_faces([10_000 + seed], [0], image_size=G.cfg.image_size, frames=2, seed=seed)
    return to_model_video(clip)[0, :, 0]


def cmd_generate(args: argparse.Namespace) -> int:
    from .checkpoint import load_generator
    from .generate import generate, label_grid, save_generated

    G = load_generator(args.checkpoint, args.device)
    image = args.image if args.image else _default_image(G, args.seed)
    if args.grid:
        videos = label_grid(G, image, seed=args.seed)
        path = save_generated(videos, args.out, ncols=len(videos))
        print(f"wrote {path}: one video per label ({', '.join(G.cfg.class_names)})")
    else:
        if args.label is None:
            raise ValueError(f"give --label (one of {', '.join(G.cfg.class_names)}) or --grid")
        videos = generate(G, image, args.label, seed=args.seed, n=args.n)
        path = save_generated(videos, args.out)
        print(f"wrote {path}: {args.n} video(s) of label {args.label!r}, seed {args.seed}")
    return 0


def cmd_tour(args: argparse.Namespace) -> int:
    from .tour import TourSettings, run_tour

    settings = TourSettings.quick() if args.quick else TourSettings()
    changes = {}
    if args.steps is not None:
        changes["steps"] = args.steps
    if args.time_budget is not None:
        changes["train_budget_s"] = args.time_budget if args.time_budget > 0 else None
    settings = dataclasses.replace(settings, **changes)
    metrics = run_tour(args.out, settings, progress=not args.no_progress)
    if args.quick:
        print("(--quick is a smoke test of the pipeline: its verdict is not meaningful)")
        return 0
    if not metrics["passed"]:
        print(f"the tour's criterion was not met: {metrics['criterion']['text']}", file=sys.stderr)
        return 1
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add train / evaluate / generate / tour to the `imaginator-lite` parser."""
    p = sub.add_parser("train", help="train ImaGINator on a clip store or on synthetic data")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--data", help="clip store folder (from `imaginator-lite data ...`)")
    src.add_argument("--synthetic", choices=("faces", "actions"), default="faces",
                     help="render a synthetic store into OUT (default: faces)")
    p.add_argument("--identities", type=int, default=80, help="identities of the synthetic store")
    p.add_argument("--preset", default="small", help="paper | medium | small | tiny")
    p.add_argument("--steps", type=int, default=None, help="total steps (default 1000)")
    p.add_argument("--batch-size", type=int, default=None, help="default 64 (the paper's)")
    p.add_argument("--lr", type=float, default=2e-4)
    p.add_argument("--l1-weight", type=float, default=100.0)
    p.add_argument("--adversarial", choices=("bce", "hinge"), default="bce")
    p.add_argument("--no-video-disc", action="store_true", help="ablation: drop the video discriminator")
    p.add_argument("--no-image-disc", action="store_true", help="ablation: drop the image discriminator")
    p.add_argument("--device", default=None, help="auto | cpu | cuda (default auto)")
    p.add_argument("--precision", choices=("fp32", "bf16", "fp16"), default=None,
                   help="bf16 autocast (CUDA; CPUs that support it), or fp16 autocast + GradScaler for older GPUs")
    p.add_argument("--compile", action="store_true", default=None, help="torch.compile the networks")
    p.add_argument("--channels-last", action="store_true", default=None)
    p.add_argument("--log-every", type=int, default=None)
    p.add_argument("--sample-every", type=int, default=None)
    p.add_argument("--checkpoint-every", type=int, default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="runs/train", help="output folder (checkpoint, logs, samples)")
    p.add_argument("--resume", default=None, help="checkpoint to continue from (its configs are reused)")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("evaluate", help="SSIM/PSNR/L1/FD/conditional accuracy vs two baselines on held-out clips")
    p.add_argument("--checkpoint", required=True, help="our checkpoint or an official generator .pth")
    p.add_argument("--data", required=True, help="clip store folder")
    p.add_argument("--split", default="test", choices=("train", "val", "test"))
    p.add_argument("--feature-weights", default=None, help="user feature network (classifier file or TorchScript)")
    p.add_argument("--no-features", action="store_true", help="skip FD and conditional accuracy")
    p.add_argument("--cache-dir", default=None, help="where the default classifier is cached")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--device", default="auto")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None, help="write the results as JSON here")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("generate", help="one image + label + seed -> a video (GIF or MP4)")
    p.add_argument("--checkpoint", required=True, help="our checkpoint or an official generator .pth")
    p.add_argument("--image", default=None, help="input image (default: a synthetic test face)")
    p.add_argument("--label", default=None, help="class name or index, e.g. happiness")
    p.add_argument("--grid", action="store_true", help="one video per label for the same image")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--n", type=int, default=1, help="videos (different noise) for --label")
    p.add_argument("--device", default="auto")
    p.add_argument("--out", default="clip.gif", help=".gif or .mp4")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("tour", help="render faces, train the small preset on CPU (<10 min), evaluate, write runs/tour")
    p.add_argument("--out", default="runs/tour")
    p.add_argument("--quick", action="store_true", help="a few steps of the tiny preset (smoke test)")
    p.add_argument("--steps", type=int, default=None, help="override the number of training steps")
    p.add_argument("--time-budget", type=float, default=None, metavar="SECONDS",
                   help="stop training after this many seconds (default 420; 0 = no limit, fully deterministic)")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=cmd_tour)
