"""`imaginator-lite train | tour`: train on a clip store or synthetic data; the 5-minute tour.

The train flags are generated from TrainConfig's fields, so every default is written once, and
every argument is checked (the recipe, the preset, the store, a resumed checkpoint) before any
store is rendered or any step is trained.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

from .. import study, tour  # modules, not names: tests replace tour.run_tour
from ..atomic import write_json
from ..data.synthetic_sets import KIND_CLASSES
from ..defaults import DATA_ROOT, STUDY_DIR, SYNTHETIC_IDENTITIES, TOUR_DIR, TRAIN_DIR
from ..device import resolve_device
from ..models.config import FAMILIES, OUTPUTS, ModelConfig, check_family, check_output
from ..pipeline import SyntheticData, check_store_fits, model_for_store, open_split
from ..training.checkpoint import load_checkpoint, model_config_of
from ..training.config import TrainConfig, cli_fields
from ..training.distributed import check_global_batch, finish_distributed, init_distributed, main_rank_first
from ..training.trainer import Trainer, check_resume

DEFAULT_PRESET = "small"
RUN_FILE = "run.json"  # beside the checkpoint: the store and preset a run trains on, for --resume


def add_train_config_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per TrainConfig field (default None, so that a given flag can be told from a default)."""
    for f in cli_fields():
        name = f.name.replace("_", "-")
        help_text = f"{f.metadata['help']} (default {f.default})"
        if isinstance(f.default, bool):
            help_text = f"{f.metadata['help']} (default {'on' if f.default else 'off'})"
            flag = f.metadata.get("flag", f"--no-{name}" if f.default else f"--{name}")
            parser.add_argument(flag, dest=f.name, action="store_false" if f.default else "store_true",
                                default=None, help=help_text)
        else:
            parser.add_argument(f"--{name}", dest=f.name, type=f.metadata.get("type", type(f.default)),
                                choices=f.metadata.get("choices"), default=None, help=help_text)


def add_output_flag(parser: argparse.ArgumentParser) -> None:
    """--output paint | warp | tps: ModelConfig.output over the preset's (paint)."""

    parser.add_argument("--output", choices=OUTPUTS, default=None,
                        help="paint: the decoder paints every pixel (the paper, default); warp: it predicts a flow, "
                             "a mask and a residual that move the input image's pixels; tps: the same with a thin-plate-spline flow, "
                             "smooth by construction, and a background that stays still")


def add_family_flag(parser: argparse.ArgumentParser) -> None:
    """--family imaginator | vgan | mocogan: ModelConfig.family over the preset's (imaginator)."""

    parser.add_argument("--family", choices=FAMILIES, default=None,
                        help="the generator: imaginator (the paper, default); vgan (Vondrick et al. 2016: a 3D "
                             "foreground and mask over a still background) or mocogan (Tulyakov et al. 2018: a GRU of "
                             "motion codes, frames rendered in 2D), baselines that paint (--output paint only)")


def given_train_flags(args: argparse.Namespace) -> dict:
    """The TrainConfig fields given on the command line."""
    return {f.name: getattr(args, f.name) for f in cli_fields() if getattr(args, f.name, None) is not None}


def _resume_plan(args: argparse.Namespace, overrides: dict):
    """(model config, store) of a resumed run, after checking the flags against the checkpoint."""

    ckpt = load_checkpoint(args.resume)
    cfg = model_config_of(ckpt)
    if args.preset is not None and args.preset != cfg.name:
        raise ValueError(f"{args.resume} holds a '{cfg.name}' model (step {ckpt.get('step', 0)}) but --preset "
                         f"{args.preset} was given: drop --preset to resume it, or train a new model with another --out")
    check_output(args.output, cfg.output, f"{args.resume} (step {ckpt.get('step', 0)})")
    check_family(args.family, cfg.family, f"{args.resume} (step {ckpt.get('step', 0)})")
    check_resume(args.resume, ckpt, overrides)
    recorded = Path(args.resume).parent / RUN_FILE
    store = args.data or (json.loads(recorded.read_text())["store"] if recorded.is_file() else None)
    if store is None:
        raise ValueError(f"no {RUN_FILE} beside {args.resume} says which store it trained on; pass --data STORE")
    return cfg, Path(store)


def _new_plan(args: argparse.Namespace):
    """(model config, store) of a new run: the preset checked against --data, or a synthetic store."""

    preset = args.preset or DEFAULT_PRESET
    model = {k: getattr(args, k) for k in ("output", "family") if getattr(args, k)}  # ModelConfig overrides given
    if args.data:
        return model_for_store(args.data, preset, **model), Path(args.data)
    cfg = ModelConfig.preset(preset, **model)
    spec = SyntheticData.for_model(cfg, args.synthetic, args.identities, args.seed if args.seed is not None else 0)
    return cfg, spec


def run_train(args: argparse.Namespace) -> int:
    overrides = {**given_train_flags(args), "out_dir": args.out}
    base = TrainConfig(**overrides)  # validates every training flag before any work
    ranks = init_distributed(resolve_device(base.device))  # under torchrun: join the group (gloo / nccl)
    cfg, store = _resume_plan(args, overrides) if args.resume else _new_plan(args)
    if not args.resume:
        check_global_batch(base.batch_size, ranks)  # before a store is rendered (a resumed run: in Trainer)
    if isinstance(store, SyntheticData):
        with main_rank_first(ranks):  # rank 0 renders the store, the others then read it
            store = store.store(args.data_root, progress=base.progress and ranks.is_main)
    check_store_fits(store, cfg)
    dataset = open_split(store, cfg, "train")
    if args.resume:
        trainer = Trainer.resume(args.resume, dataset, **overrides)
    else:
        trainer = Trainer(cfg, base, dataset)
        if ranks.is_main:
            write_json(Path(args.out) / RUN_FILE, {"store": str(store), "preset": cfg.name, "output": cfg.output,
                                                   "family": cfg.family,
                                                   "argv": sys.argv[1:],
                                                   "world_size": ranks.world_size})
    trainer.train()
    finish_distributed()
    if ranks.is_main:
        where = f" on {ranks.world_size} ranks" if ranks.distributed else ""
        print(f"trained to step {trainer.step}{where}; checkpoint {trainer.checkpoint_path}")
    return 0


def run_tour(args: argparse.Namespace) -> int:
    settings = tour.TourSettings.quick() if args.quick else tour.TourSettings()
    if args.steps is not None:
        settings = dataclasses.replace(settings, train=settings.train.replace(steps=args.steps))
    if args.seed is not None:
        settings = dataclasses.replace(settings, train=settings.train.replace(seed=args.seed))
    if args.time_budget is not None:
        settings = dataclasses.replace(settings, train_budget_s=args.time_budget if args.time_budget > 0 else None)
    if args.output is not None:
        settings = dataclasses.replace(settings, output=args.output)
    metrics = tour.run_tour(args.out, settings, progress=not args.no_progress)
    if args.quick:
        print("(--quick is a smoke test of the pipeline: its verdict is not meaningful)")
        return 0
    if not metrics["passed"]:
        print(f"the tour's criterion was not met: {metrics['criterion']['text']}", file=sys.stderr)
        return 1
    return 0


def run_study(args: argparse.Namespace) -> int:
    recipe = study.StudySettings().recipe.replace(device=args.device, **({"steps": args.steps} if args.steps else {}))
    settings = study.StudySettings(preset=args.preset, recipe=recipe, identities=args.identities,
                             seeds=tuple(args.seeds), variants=tuple(args.variants))
    if args.photos or args.measures:
        data = study.add_measures(args.results, settings, args.work, held_out=args.measures, photos=True,
                                  progress=not args.no_progress)
        runs = [r for name in settings.variants for r in data["variants"].get(name, {}).get("runs", [])]
        print(f"wrote {args.results}: {sum('photos' in r for r in runs)} runs of {', '.join(settings.variants)} have "
              f"photo measures, {sum(all(m in r for m in study.ADDABLE) for r in runs)} every held-out measure")
        return 0
    data = study.run_study(args.results, settings, args.work, command="imaginator-lite " + " ".join(sys.argv[1:]),
                 progress=not args.no_progress)
    print(f"wrote {args.results}: {sum(len(v['runs']) for v in data['variants'].values())} runs")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add `train`, `tour` and `study` to the `imaginator-lite` parser."""
    p = sub.add_parser("train", help="train ImaGINator on a clip store or on synthetic data")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--data", help="clip store folder (from `imaginator-lite data ...`)")
    src.add_argument("--synthetic", choices=tuple(KIND_CLASSES), default="faces",
                     help="or train on a synthetic store, rendered into --data-root once (default: faces)")
    p.add_argument("--identities", type=int, default=SYNTHETIC_IDENTITIES,
                   help=f"identities of the synthetic store (default {SYNTHETIC_IDENTITIES})")
    p.add_argument("--data-root", default=DATA_ROOT, help=f"where synthetic stores live (default {DATA_ROOT})")
    p.add_argument("--preset", default=None, help=f"paper | medium | small | tiny (default {DEFAULT_PRESET})")
    p.add_argument("--out", default=TRAIN_DIR, help=f"output folder: checkpoint, logs, samples (default {TRAIN_DIR})")
    p.add_argument("--resume", default=None, help="checkpoint to continue; its recipe and preset are reused")
    add_output_flag(p)
    add_family_flag(p)
    add_train_config_flags(p)
    p.set_defaults(func=run_train)

    p = sub.add_parser("tour", help="render faces, train the small preset on CPU (about 5 min), evaluate, write runs/tour")
    p.add_argument("--out", default=TOUR_DIR, help=f"output folder (default {TOUR_DIR})")
    p.add_argument("--quick", action="store_true", help="a few steps of the tiny preset (smoke test)")
    p.add_argument("--steps", type=int, default=None, help="override the number of training steps")
    p.add_argument("--seed", type=int, default=None,
                   help="seed of the identities, the initialisation and the noise (default 0; the README lists 0, 1, 2)")
    p.add_argument("--time-budget", type=float, default=None, metavar="SECONDS",
                   help="opt-in: stop training after this many seconds (default: no limit, the whole recipe "
                        "runs; a slow machine takes longer, it never changes the verdict)")
    add_output_flag(p)
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=run_tour)

    p = sub.add_parser("study", help="the paper's ablations over several seeds with the tour's recipe (resumable)")
    p.add_argument("--results", default=f"{STUDY_DIR}/ablations.json", help="results JSON (resumed if it exists)")
    p.add_argument("--work", default=STUDY_DIR, help="folder for the runs' stores and checkpoints")
    p.add_argument("--preset", default="small", help="small on CPU (default); medium on a GPU")
    p.add_argument("--steps", type=int, default=None, help="training steps per run (default: the tour's)")
    p.add_argument("--identities", type=int, default=SYNTHETIC_IDENTITIES,
                   help=f"synthetic identities per seed (default {SYNTHETIC_IDENTITIES})")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--variants", nargs="+", default=list(study.VARIANT_NAMES), choices=study.VARIANT_NAMES)
    p.add_argument("--device", default="cpu", help="cpu (default) | cuda | auto")
    p.add_argument("--photos", action="store_true",
                   help="only add the photo measures to finished runs of --variants that lack them (runs made before "
                        "they existed): a run's checkpoint is loaded, or trained again with its seed")
    p.add_argument("--measures", action="store_true",
                   help="only add the measures finished runs of --variants lack (held-out metrics the study gained "
                        "later, e.g. appearance_ssim and kept_detail, and the photo measures), as --photos does")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=run_study)
