"""Maintainer tool: turn a finished training run into a shipped model (safetensors + JSON model card).

    python -m imaginator_lite.shipping.build faces --run runs/pretrained/faces \\
        --command "imaginator-lite train ..." --commit 64febf3 --wall-time 1234 --eval-seed 7
    python -m imaginator_lite.shipping.build faces --rescore     # held-out metrics only, e.g. after a new judge

The card records how the weights were made (the exact command, code commit, data seed, steps,
wall time), the losses of the first logged steps (a test re-runs them), the sha256 of the
weights, and the model's held-out metrics next to the baselines with the pass mark's verdict.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save_file

from ..atomic import atomic_path, write_json
from ..data.store import load_meta
from ..defaults import HELD_OUT_SEED
from ..evaluation.metric_registry import CARD
from ..loading import load_generator
from ..pipeline import SyntheticData, evaluate_run
from ..pretrained import HERE, PRETRAINED, SYNTHETIC_KIND, model_card, sha256_of
from ..training.checkpoint import load_checkpoint

#: Losses of the first logged steps kept on the card for the provenance test.
PROVENANCE_ROWS = 3
CARD_METRICS = CARD


def export_weights(G, name: str) -> Path:
    """Write G's state dict as HERE/<name>.safetensors, atomically."""

    path = HERE / f"{name}.safetensors"
    with atomic_path(path) as tmp:
        save_file({k: v.detach().cpu().contiguous() for k, v in G.state_dict().items()}, tmp)
    return path


def held_out_metrics(G, name: str, eval_seed: int, identities: int, work: Path) -> dict[str, Any]:
    """The pass mark's evaluation on identities rendered from `eval_seed`, scored by the shipped judge of the
    shipped model `name`'s domain."""

    store = SyntheticData.for_model(G.cfg, SYNTHETIC_KIND[name], identities, eval_seed).store(work)
    # the same judge and noise seed as `imaginator-lite evaluate --pretrained KIND --synthetic KIND --seed eval_seed`
    evaluation = evaluate_run(G, store, seed=eval_seed)
    return {"seed": eval_seed, "identities": identities, "clips": evaluation["clips"],
            "store": Path(store).name, "criterion": evaluation["criterion"], "passed": evaluation["passed"],
            "classifier": evaluation["classifier"],
            "results": {m: {k: r[k] for k in CARD_METRICS if k in r} for m, r in evaluation["results"].items()}}


def cpu_class() -> str:
    """The CPU class this runs on (the training machine's, when a card is built where the model trained)."""

    return torch.backends.cpu.get_cpu_capability()


def build_card(name: str, run_dir: Path, command: str, commit: str, wall_time_s: float, eval_seed: int,
               work: Path, note: str = "") -> dict[str, Any]:
    """Export the run's generator and write its model card; returns the card."""


    ckpt = load_checkpoint(run_dir / "checkpoint.pt")
    G = load_generator(run_dir / "checkpoint.pt")
    store = json.loads((run_dir / "run.json").read_text())["store"]  # written by `imaginator-lite train`
    meta = load_meta(store)
    data = {"kind": SYNTHETIC_KIND[name], "identities": meta["n_identities"], "seed": meta["seed"],
            "image_size": G.cfg.image_size, "frames": G.cfg.frames}
    path = export_weights(G, name)
    card = {
        "name": name, "preset": G.cfg.name, "model_config": G.cfg.to_dict(), "classes": list(G.cfg.class_names),
        "command": command, "code_commit": commit, "steps": int(ckpt["step"]), "train_config": ckpt["train_config"],
        "data": data, "wall_time_s": wall_time_s, "note": note, "sha256": sha256_of(path), "bytes": path.stat().st_size,
        "first_logged_losses": ckpt["history"][:PROVENANCE_ROWS],
        "cpu_capability": cpu_class(),  # the provenance test compares every logged step on this class only
        "held_out": held_out_metrics(G, name, eval_seed, 80, work),
    }
    write_json(HERE / f"{name}.json", card)
    return card


def rescore_card(name: str, work: Path) -> dict[str, Any]:
    """Evaluate the shipped model again (its held-out seed and identities, the shipped judge) and
    rewrite only the card's `held_out` section; weights and provenance stay as they are."""

    card = model_card(name)
    held = card["held_out"]
    card["held_out"] = held_out_metrics(load_generator(name), name, held["seed"], held["identities"], work)
    write_json(HERE / f"{name}.json", card)
    return card


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m imaginator_lite.shipping.build", description=__doc__)
    p.add_argument("name", choices=PRETRAINED)
    p.add_argument("--rescore", action="store_true",
                   help="only evaluate the shipped model again and rewrite its card's held-out metrics")
    p.add_argument("--run", help="the training run's folder (checkpoint.pt)")
    p.add_argument("--command", help="the exact command that trained it")
    p.add_argument("--commit", help="the code commit it was trained with")
    p.add_argument("--wall-time", type=float, help="training wall time in seconds")
    p.add_argument("--eval-seed", type=int, default=HELD_OUT_SEED, help="seed of the held-out identities (not the training seed)")
    p.add_argument("--work", default="runs/pretrained/eval", help="where the held-out store and judge go")
    p.add_argument("--note", default="", help="anything a reader of the card should know (e.g. how it was run)")
    args = p.parse_args(argv)
    if args.rescore:
        card = rescore_card(args.name, Path(args.work))
        print(f"re-scored {args.name}: held-out passed: {card['held_out']['passed']}")
        return 0
    missing = [f"--{k.replace('_', '-')}" for k in ("run", "command", "commit", "wall_time") if getattr(args, k) is None]
    if missing:
        p.error(f"building a shipped model needs {', '.join(missing)} (or --rescore)")
    card = build_card(args.name, Path(args.run), args.command, args.commit, args.wall_time, args.eval_seed,
                      Path(args.work), args.note)
    print(f"wrote {HERE / (args.name + '.safetensors')} ({card['bytes']:,} bytes) and its card; "
          f"held-out passed: {card['held_out']['passed']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
