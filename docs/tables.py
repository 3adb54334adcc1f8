"""Every table of numbers in README.md and docs/*.md, and every sentence with a number in it, rendered from
committed JSON (model cards, notebooks/results/, benchmarks/results/, docs/results/).

    python docs/tables.py            rewrite every marked block from its JSON
    python docs/tables.py --check    exit 1, naming each block, when the text differs from what its JSON renders

A block in a Markdown file is
    <!-- BEGIN name -->
    (rendered text: never edit it by hand)
    <!-- END name -->
and `name` is one of the functions registered below with @block. An unknown name is an error too.
"""
from __future__ import annotations

import argparse
import difflib
import json
import math
import re
import sys
from functools import lru_cache
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
BLOCK = re.compile(r"(<!-- BEGIN (?P<name>[\w-]+) -->\n)(?P<body>.*?)(<!-- END (?P=name) -->)", re.S)
RENDERERS: dict[str, Callable[[], str]] = {}


def block(fn: Callable[[], str]) -> Callable[[], str]:
    RENDERERS[fn.__name__] = fn
    return fn


@lru_cache(maxsize=None)
def load(relative: str):
    return json.loads((ROOT / relative).read_text(encoding="utf-8"))


def table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def f(x, digits: int = 3) -> str:
    return "" if x is None else f"{x:,.{digits}f}"


def pct(a: float, b: float) -> str:
    """'41% lower' / '12% higher': a relative to b."""
    change = 100 * (a - b) / b
    return f"{abs(change):.0f}% {'lower' if change < 0 else 'higher'}"


def minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min"


# ----------------------------------------------------------------------------------------------------- metrics
JUDGED = [("fd", "Frechet dist.", 3), ("moving_l1", "L1 where it moves", 3), ("conditional_accuracy", "cond. accuracy", 3)]
REPORTED = [("motion_l1", "motion L1 (amount of motion)", 4), ("l1", "full-frame L1", 4), ("ssim", "SSIM", 3)]
BASELINE_NAMES = {"copy_first_frame": "copy the input frame", "class_mean_video": "class-mean video",
                  "class_mean_motion": "input + class-mean motion"}


def best(values: list[float], key: str) -> float:
    """The best of `values` by the metric registry's direction for `key`."""
    from imaginator_lite.evaluation.metric_registry import METRICS

    return min(values) if METRICS[key].lower_is_better else max(values)


def metric_row(label: str, r: dict, columns) -> list:
    return [label] + [f(r.get(k), d) for k, _, d in columns]


# --------------------------------------------------------------------------------------------------- CPU classes
def tour_runs() -> dict:
    return load("docs/results/tour_runs.json")


def avx2_tour() -> dict:
    return next(r for r in load("benchmarks/results/cross_isa_tour.json")["rows"] if r["isa"] == "AVX2")


#: The tier that `python -m pytest`, the README's command, runs (docs/results/suite_times.json's "tier").
UNIT_TIER = "unit and integration"


def suite_runs() -> list[dict]:
    return load("docs/results/suite_times.json")["runs"]


@block
def cpu_classes() -> str:
    """README: what to expect on each CPU class, every time a measurement on that class."""
    a512, avx2 = tour_runs()["AVX512"], avx2_tour()
    suite = {cls: [r for r in suite_runs() if r["cpu_capability"] == cls and r["tier"] == UNIT_TIER]
             for cls in ("AVX2", "AVX512")}

    def suite_cell(cls):
        runs = suite[cls]
        if not runs:
            return "not measured since the suite split into two tiers"
        latest = runs[-1]
        return (f"{minutes(latest['pytest_s'])} ({latest['tests']}, commit `{latest['commit']}`; the latest of "
                f"{len(runs)} recorded run{'s' if len(runs) > 1 else ''}, all in [development](development.md))")

    rows = [
        ["`imaginator-lite tour`", f"{'PASS' if avx2['passed'] else 'FAIL'} in {minutes(avx2['total_s'])} "
                                   f"({avx2['s_per_step']:.2f} s/step, {avx2['steps']} steps)",
         f"{'PASS' if a512['passed'] else 'FAIL'} in {minutes(a512['wall_s'])} ({a512['s_per_step']:.2f} s/step, "
         f"{a512['steps']} steps)"],
        ["`--precision auto`", "fp32 (bf16 would be emulated: slow)", "bf16 autocast"],
        ["the tour's precision", "fp32 (pinned)", "fp32 (pinned)"],
        ["`python -m pytest`", suite_cell("AVX2"), suite_cell("AVX512")],
    ]
    return table(["", "AVX2, no AVX-512", "AVX-512 with BF16"], rows)


@block
def suite_times() -> str:
    """docs/development.md: every recorded run of the test suite."""
    out = [[r["cpu_capability"], r["processor"], r["tier"], r["tests"], minutes(r["pytest_s"]) if r.get("pytest_s") else "",
            minutes(r["ci_run_s"]) if r.get("ci_run_s") else "", f"`{r['commit']}`", r["source"]] for r in suite_runs()]
    return table(["CPU class", "machine", "tier", "tests", "time", "all of `.ci/run`", "commit", "reported in"], out)


@block
def cross_isa_eval() -> str:
    """docs/cpu.md: how far evaluating one given model moves between instruction sets."""
    data = load("benchmarks/results/cross_isa.json")
    out = []
    for row in data["rows"]:
        diffs = row["max_rel_diff"]
        held = [v for k, v in diffs.items() if not k.startswith("loss_")]
        first = [v for k, v in diffs.items() if k.startswith("loss_") and not k.endswith("_any_step")]
        later = [v for k, v in diffs.items() if k.endswith("_any_step")]
        if row.get("note"):  # that session compared the losses at every logged step, under the plain loss keys
            first, later = [], first
        cells = [f"{max(v):.1e}" if v else "not measured" for v in (held, [diffs["fd"]] if "fd" in diffs else [], first,
                                                                      later)]
        out.append([row["pair"] + (" (an earlier session, on an AVX2 machine)" if row.get("note") else "")] + cells)
    return table(["instruction sets", "held-out metrics (largest relative difference)", "Frechet distance",
                  "losses, first logged step", "losses, any logged step"], out)


@block
def cross_isa_tour() -> str:
    """docs/cpu.md: the whole tour trained on two instruction-set paths."""
    rows = load("benchmarks/results/cross_isa_tour.json")["rows"]
    out = []
    for r in rows:
        verdict = ("PASS" if r["passed"] else "FAIL") if "passed" in r else (
            "same verdict" if r.get("same_verdict") else "different verdicts")
        out.append([r["isa"], verdict] + [f(r.get(k), d) for k, _, d in JUDGED + REPORTED]
                   + [f(r.get("s_per_step"), 2), f(r.get("total_s"), 0)])
    return table(["path", "verdict"] + [t for _, t, _ in JUDGED + REPORTED] + ["s/step", "wall (s)"], out)


# ------------------------------------------------------------------------------------------------ shipped models
def card(name: str) -> dict:
    return load(f"imaginator_lite/pretrained/{name}.json")


@block
def shipped_cards() -> str:
    """docs/shipped_models.md: how each shipped generator was trained, from its card."""
    from imaginator_lite.pretrained import PRETRAINED

    out = []
    for name in PRETRAINED:
        c = card(name)
        t = c["train_config"]
        out.append([f"`{name}`", c["model_config"].get("output", "paint")
                    + (f", paint penalty {t['paint_penalty']:g}" if t.get("paint_penalty") else ""), f"`{c['preset']}`", f"{c['model_config']['frames']} x {c['model_config']['image_size']}"
                    f" x {c['model_config']['image_size']}", f"{c['steps']:,} x {t['batch_size']}", f"{t['lr']:g}",
                    f"{c['data']['identities']} of seed {c['data']['seed']}", t["precision"],
                    minutes(c["wall_time_s"]), f"{c['bytes'] / 1e6:.1f} MB"])
    return table(["model", "output", "preset", "video", "steps x batch", "lr", "identities", "precision", "wall time",
                  "weights"], out) + "\n\n" + "\n".join(f"- `{n}`: {card(n)['note']}" for n in PRETRAINED
                                                          if card(n).get("note"))


@block
def shipped_models() -> str:
    """docs/shipped_models.md: the cards' held-out numbers, the tour's model and the best baseline per column."""
    cols = JUDGED + REPORTED
    out = []
    for name in ("faces", "actions"):
        res = card(name)["held_out"]["results"]
        out.append(metric_row(f"**{name}**: shipped model", res["model"], cols))
        if name == "faces":
            for cls, run in sorted(tour_runs().items()):
                out.append(metric_row(f"faces: the tour's model ({run['steps']} steps of batch {run['batch_size']}, "
                                      f"trained on {cls})", run["seed7"]["model"], cols))
        baselines = [v for k, v in res.items() if k != "model"]
        out.append([f"{name}: best baseline per column"] + [f(best([b[k] for b in baselines], k), d) for k, _, d in cols])
    return table(["held-out (72 clips, seed 7, shipped judge)"] + [t for _, t, _ in cols], out)


@block
def shipped_vs_tour() -> str:
    """docs/shipped_models.md: the shipped faces model against the tour's, in words, from the same numbers."""
    shipped = card("faces")["held_out"]["results"]["model"]
    c = card("faces")
    t = c["train_config"]
    from imaginator_lite.defaults import SYNTHETIC_IDENTITIES
    from imaginator_lite.tour import TOUR_RECIPE

    tour_fd = [r["fd"] for r in study()["variants"]["full"]["runs"]]
    parts = []
    for cls, run in sorted(tour_runs().items()):
        tour = run["seed7"]["model"]
        parts.append(
            f"On the same held-out clips and judge, the shipped faces model has a Frechet distance of {shipped['fd']:.3f}, "
            f"an L1 where the face moves of {shipped['moving_l1']:.3f} and a conditional accuracy of "
            f"{shipped['conditional_accuracy']:.3f}; one tour run (trained on {cls}) has {tour['fd']:.3f}, "
            f"{tour['moving_l1']:.3f} and {tour['conditional_accuracy']:.3f}.")
    parts.append(
        f"The two recipes differ in length ({c['steps']:,} against {TOUR_RECIPE.steps} steps) and also in batch "
        f"({t['batch_size']} against {TOUR_RECIPE.batch_size}), learning rate ({t['lr']:g} against "
        f"{TOUR_RECIPE.lr:g}) and identities "
        f"({c['data']['identities']} against {SYNTHETIC_IDENTITIES}), and the tour's own Frechet distance spans "
        f"{min(tour_fd):.3f} to {max(tour_fd):.3f} over seeds 0, 1, 2 (on their own held-out clips): so this is one "
        "run against one run, not a measurement of what training longer buys.")
    return "\n".join(parts)


@block
def judges() -> str:
    """docs/shipped_models.md: the shipped judges' cards."""
    out = []
    from imaginator_lite.pretrained.judges import JUDGES

    for kind in JUDGES:
        j = load(f"imaginator_lite/pretrained/judge_{kind}.json")
        out.append([kind, j["data"]["store"], j["data"]["seed"], f(j["held_out_accuracy"]["test"], 3),
                    j["held_out_accuracy"]["test_clips"], j["sha256"][:12]])
    return table(["judge", "trained on", "data seed", "accuracy on held-out real clips", "clips", "sha256"], out)


# ------------------------------------------------------------------------------------------------------- the tour
def study() -> dict:
    return load("notebooks/results/ablations.json")


def study_run(variant: str, seed: int) -> dict:
    """One run of the committed study."""
    return next(r for r in study()["variants"][variant]["runs"] if r["seed"] == seed)


def baselines(seed: int) -> dict:
    return load("docs/results/baselines.json")[f"seed{seed}"]["baselines"]


@block
def tour_settings() -> str:
    """docs/tour.md: what the tour does, from its own settings."""
    from imaginator_lite import ModelConfig
    from imaginator_lite.data.store import split_identities
    from imaginator_lite.tour import TOUR_RECIPE, TourSettings

    t = TourSettings()
    cfg = ModelConfig.preset(t.preset)
    test = len(split_identities(t.n_identities, seed=t.train.seed)["test"])
    r = TOUR_RECIPE
    return (f"`imaginator-lite tour` renders {t.n_identities} synthetic identities x {cfg.n_classes} expressions "
            f"({cfg.frames} frames, {cfg.image_size}x{cfg.image_size}), trains the `{t.preset}` preset with the tour's "
            f"recipe (`imaginator_lite.tour.TOUR_RECIPE`: {r.steps:,} steps of batch {r.batch_size}, lr {r.lr:g}, "
            f"{r.precision} on every CPU, L1 weight {r.l1_weight:g} as in the paper) and evaluates it on the {test} "
            f"test identities it never saw ({test * cfg.n_classes} clips; chance accuracy 1/{cfg.n_classes}, so the "
            f"pass mark's 3x chance is {3 / cfg.n_classes:.2f}).")


@block
def tour_table() -> str:
    """docs/tour.md: the tour's model (seed 0) on each CPU class beside the three baselines, same clips."""
    cols = [("l1", "L1", 4), ("ssim", "SSIM", 3), ("psnr", "PSNR per frame", 1), ("moving_l1", "L1 where it moves", 3),
            ("fd", "Frechet dist.", 2), ("conditional_accuracy", "cond. accuracy", 3)]
    full0 = study_run("full", 0)
    out = [metric_row("**model**, trained on AVX2 (the study's `full`, seed 0)", full0, cols)]
    out += [metric_row(f"**model**, trained on {cls}", run["held_out"]["model"], cols) for cls, run in sorted(tour_runs().items())]
    out += [metric_row(BASELINE_NAMES[k], v, cols) for k, v in baselines(0).items()]
    return table(["held-out identities (72 clips, seed 0)"] + [t for _, t, _ in cols], out)


def seeds_against_baselines(variant: str) -> str:
    """One study variant's runs on seeds 0, 1, 2 against the best baseline of each column, and its tightest margin."""
    cols = JUDGED[:2] + [("ssim", "SSIM", 3), ("l1", "full-frame L1", 4)]
    out, margins = [], []
    for run in sorted(study()["variants"][variant]["runs"], key=lambda r: r["seed"]):
        base = baselines(run["seed"])
        cells = []
        for key, _, d in cols:
            b = best([v[key] for v in base.values()], key)
            cells.append(f"{f(run[key], d)} ({f(b, d)})")
            if key in ("fd", "moving_l1"):
                margins.append((1 - run[key] / b, key, run["seed"]))
        out.append([run["seed"], "PASS" if run["passed"] else "FAIL", *cells[:2], f(run["conditional_accuracy"], 3),
                    *cells[2:]])
    text = table(["seed", "pass mark", "Frechet dist.", "L1 where it moves", "cond. accuracy", "SSIM",
                  "full-frame L1"], out)
    m, key, seed = min(margins)
    return text + (f"\n\nThe tightest judged margin is the {dict((k, t) for k, t, _ in JUDGED)[key]} of seed {seed}: "
                   f"{100 * m:.0f}% below the best baseline.")


@block
def tour_seeds() -> str:
    """docs/tour.md: the pass mark on seeds 0, 1, 2 (the study's `full` runs), best baseline in brackets."""
    return seeds_against_baselines("full")


@block
def warp_seeds() -> str:
    """docs/tour.md: the same for the warp output (the study's `warp` runs), with SSIM against every baseline."""
    def beats(run):
        return run["ssim"] > max(b["ssim"] for b in baselines(run["seed"]).values())

    from imaginator_lite.study import VARIANTS

    variants = study()["variants"]
    warps = {v.name for v in VARIANTS if v.model.get("output") == "warp" and v.data == "faces"}
    paint = [r for v in VARIANTS if v.model.get("output", "paint") == "paint" and v.name in variants
             and v.model.get("family", "imaginator") == "imaginator" for r in variants[v.name]["runs"]]
    texts = []
    for name in sorted(warps):
        runs = variants[name]["runs"]
        texts.append(f"`{name}`:\n\n" + seeds_against_baselines(name)
                     + f" Its SSIM beats every baseline's on {sum(map(beats, runs))} of {len(runs)} seeds.")
    return "\n\n".join(texts) + f"\n\n{sum(map(beats, paint))} of the study's {len(paint)} paint runs beat every baseline's SSIM."


@block
def full_frame_reason() -> str:
    """docs/tour.md: why copying the input frame wins the full-frame metrics, from the seed-0 numbers."""
    b = load("docs/results/baselines.json")["seed0"]
    copy = b["baselines"]["copy_first_frame"]
    full0 = study_run("full", 0)
    return (f"Only {100 * b['moving_share']:.1f}% of the pixel values of the held-out clips move (differ from their "
            f"clip's first frame by more than 0.1), so copying the input frame is nearly exact on the whole frame (L1 "
            f"{copy['l1']:.4f}, SSIM {copy['ssim']:.3f}) while producing no expression at all (Frechet distance "
            f"{copy['fd']:.1f}, conditional accuracy {copy['conditional_accuracy']:.3f}, chance). A generator redraws "
            f"every pixel and carries a small error everywhere: the tour's model has a full-frame L1 of "
            f"{full0['l1']:.4f} ({full0['l1'] / copy['l1']:.0f}x the copy's) while its L1 where the face moves is "
            f"{full0['moving_l1']:.3f} against the copy's {copy['moving_l1']:.3f}. Full-frame metrics on clips that "
            f"mostly stand still reward doing nothing; the judged metrics measure the motion.")


# ------------------------------------------------------------------------------------------------------ the study
@block
def study_settings() -> str:
    """docs/study.md: the committed study's settings and machine, from its JSON."""
    s = study()
    st, r = s["settings"], s["settings"]["recipe"]
    return (f"Committed settings: preset `{st['preset']}`, {r['steps']:,} steps of batch {r['batch_size']}, lr {r['lr']:g}, "
            f"{r['precision']}, {st['identities']} identities per seed, seeds {', '.join(map(str, st['seeds']))}; "
            f"torch {s['machine']['torch']}, on {s['machine']['device']}; command: `{s['command']}`. " + runs_cpu_classes(s))


def runs_cpu_classes(s: dict) -> str:
    """Which CPU class trained the study's runs, as far as each run recorded it."""
    from collections import Counter

    runs = [r for v in s["variants"].values() for r in v["runs"]]
    known = Counter(r["cpu_capability"] for r in runs if "cpu_capability" in r)
    unknown = len(runs) - sum(known.values())
    parts = [f"{n} on {cls}" for cls, n in sorted(known.items())]
    if unknown:
        parts.append(f"{unknown} from earlier sessions, which did not record their CPU class")
    return "CPU class of the runs: " + ", ".join(parts) + "."


@block
def study_table() -> str:
    """docs/study.md: mean ± std over seeds; bold = beyond the seed spread (no overlap with full's range)."""
    s = study()
    stats, versus = s["summary"]["stats"], s["summary"]["versus_full"]
    cols = JUDGED + [("motion_l1", "motion L1 (amount of motion)", 3), ("ssim", "SSIM", 3)]
    out = []
    for name, v in s["variants"].items():
        cells = []
        for key, _, d in cols:
            st = stats[name][key]
            text = f"{st['mean']:.{d}f} ± {st['std']:.{d}f}"
            cells.append(f"**{text}**" if versus.get(name, {}).get(key, {}).get("exceeds_seed_spread") else text)
        passes = sum(r["passed"] for r in v["runs"])
        out.append([f"`{name}`", v["runs"][0].get("data", "faces"), len(v["runs"]), f"{v['runs'][0]['params']:,}",
                    *cells, f"{passes} of {len(v['runs'])}"])
    return table(["variant", "scored on", "seeds", "G parameters"] + [t for _, t, _ in cols] + ["passes"], out)


@block
def study_conclusions() -> str:
    """docs/study.md: what the table says, by the seed-spread rule (imaginator_lite.study.conclusions, which
    notebook 05 shows too), with the chance of a separation by luck."""
    from imaginator_lite.study import conclusions

    return "\n".join(conclusions(study()["summary"]))


@block
def study_families() -> str:
    """docs/study.md: the paper's comparison, ImaGINator (`full`) against image-conditioned VGAN and MoCoGAN, over the
    study's seeds on the judged metrics and the three claims' measures; bold = beyond the seed spread against `full`."""
    from imaginator_lite.evaluation.metric_registry import METRICS
    from imaginator_lite.study import FAMILY_VARIANTS, family_verdicts

    s = study()
    stats, verdicts = s["summary"]["stats"], family_verdicts(s)
    cols = ["fd", "moving_l1", "conditional_accuracy", "appearance_ssim", "jitter", "kept_detail"]
    out = []
    for name in FAMILY_VARIANTS:
        runs = s["variants"].get(name, {}).get("runs", [])
        if not runs:
            out.append([f"`{name}`", "not run yet", *[""] * (len(cols) + 1)])
            continue
        cells = []
        for m in cols:
            st = stats[name].get(m)
            text = "not measured" if st is None else f"{st['mean']:.3f} ± {st['std']:.3f}"
            beyond = name != FAMILY_VARIANTS[0] and verdicts[name][m]["verdict"].endswith("better")
            cells.append(f"**{text}**" if beyond else text)
        out.append([f"`{name}`", len(runs), f"{runs[0]['params']:,}", *cells,
                    f"{sum(r['passed'] for r in runs)} of {len(runs)}"])
    real = [r.get("real", {}) for r in s["variants"][FAMILY_VARIANTS[0]]["runs"]]
    out.append(["real held-out clips", "", "", "", "", "",
                *[f"{sum(r[m] for r in real) / len(real):.3f}" if all(m in r for r in real) else "" for m in cols[3:]],
                ""])
    return table(["variant", "seeds", "G parameters"] + [METRICS[m].title for m in cols] + ["passes"], out)


@block
def family_claims() -> str:
    """docs/study.md: the paper's three claims, each on its measure, by the seed-spread rule (study.claim_lines, which
    notebook 08 shows too)."""
    from imaginator_lite.study import claim_lines

    return "\n".join(claim_lines(study()))


@block
def family_step_times() -> str:
    """docs/study.md: a training step of each family, timed back to back (docs/measure.py families)."""
    data = load("notebooks/results/families.json")["measured"]
    t, m = data["step_times"], data["machine"]
    rows = [[f"`{name}`", f(v["median_s"], 3), f(v["min_s"], 3), f(v["median_cpu_s"], 3), f"{v['ratio_median']:.2f}"]
            for name, v in t["per_family"].items()]
    return (table(["variant", "median s/step", "fastest s/step", "median CPU s/step", "median / `full`'s"], rows)
            + f"\n\n(preset `{t['preset']}`, batch {t['batch']}, {t['precision']}, "
              f"{next(iter(t['per_family'].values()))['rounds']} steps each, interleaved; CPU class "
              f"{m['cpu_capability']}, {m['cores']} threads, torch {m['torch']}, measured {m['date']})")


# ---------------------------------------------------------------------------------------------------- benchmarks
def bench(name: str) -> dict:
    return load(f"benchmarks/results/{name}.json")


def bench_meta(meta: dict) -> str:
    peak = meta.get("matmul_peak_gflops") or {}
    isa = meta.get("cpu_capability")
    bits = [f"measured {meta['time'][:10]}" if meta.get("time") else "", f"torch {meta['torch']}",
            f"{meta['threads']} threads", f"CPU class {isa}" if isa else "",
            f"matmul peak fp32 {peak['fp32']:.0f} / bf16 {peak['bf16']:.0f} GFLOP/s" if peak else ""]
    return "(" + ", ".join(b for b in bits if b) + ")"


@block
def bench_train() -> str:
    data = bench("train")
    out = [[f"`{r['preset']}`, batch {r['batch']}, {r['precision']}", f(r["step_s"], 3), f(r["videos_per_s"], 1),
            f(r["achieved_gflops"], 0)] for r in data["rows"]]
    return table(["full GAN step (G + D_V + D_I, fwd + bwd)", "s/step", "videos/s", "GFLOP/s"], out) + "\n\n" + bench_meta(data["meta"])


@block
def bench_blocks() -> str:
    data = bench("blocks")
    out = [[r["case"], r["block"], f"{r['params']:,}", f(r["fwd_bwd_ms"], 0), f(r["saved_activation_MB"], 0)]
           for r in data["rows"]]
    return table(["case", "block", "parameters", "fwd + bwd (ms)", "activations kept (MB)"], out) + "\n\n" + bench_meta(data["meta"])


@block
def blocks_sentence() -> str:
    """docs/benchmarks.md: which block was faster on the machine of the committed measurement."""
    rows = bench("blocks")["rows"]
    cases = {}
    for r in rows:
        cases.setdefault(r["case"], {})[r["block"]] = r["fwd_bwd_ms"]
    slower = [c for c, t in cases.items() if t["1+2d"] > t["3d"]]
    ratios = [cases[c]["1+2d"] / cases[c]["3d"] for c in cases]
    if len(slower) == len(cases):
        verdict = (f"On that CPU the factorised (1+2)D block is slower than the matched 3D block in every case "
                   f"({min(ratios):.1f}-{max(ratios):.1f}x the time): it materialises an extra (B, M, T', H, W) "
                   f"tensor and a BatchNorm.")
    elif not slower:
        verdict = f"On that CPU the (1+2)D block is faster in every case ({1 / max(ratios):.1f}-{1 / min(ratios):.1f}x)."
    else:
        verdict = f"On that CPU the (1+2)D block is slower in {len(slower)} of {len(cases)} cases."
    return verdict + " The paper's speed claim is for GPUs and is not measured here."


@block
def bench_generate() -> str:
    data = bench("generate")
    # rows from before issue 24 have no "output": they are paint models; a warp row animates a photo crop
    out = [[f"`{r['preset']}`" + (f" ({r['output']})" if r.get("output", "paint") != "paint" else ""), r["video"],
            f"{r['params']:,}", f(r["median_ms"], 1)] for r in data["rows"]]
    return table(["preset", "video", "G parameters", "one video (ms, median)"], out) + "\n\n" + bench_meta(data["meta"])


@block
def bench_official() -> str:
    data = bench("official")
    out = [[r["implementation"], r["precision"], r["batch"], f(r["step_s"], 2), f(r["videos_per_s"], 2),
            f"{r['speedup']:.3f}x"] for r in data["rows"]]
    return table(["implementation", "precision", "batch", "s/step", "videos/s", "speed"], out) + "\n\n" + bench_meta(data["meta"])


@block
def bench_data() -> str:
    d = bench("data")
    r, l = d["rendering"], d["loading"]
    out = [[f"render {r['clips']:,} synthetic face clips", f"{r['faces_wall_s_per_1000']:.1f} s (actions {r['actions_wall_s_per_1000']:.1f} s)"],
           [f"clip store, random {l['window']}-frame windows, batches of {l['batch']}", f"{l['store_clips_per_s']['wall']:,.0f} clips/s"],
           ["the same, reusing the batch buffer (what the trainer does)", f"{l['store_reuse_buffer_clips_per_s']['wall']:,.0f} clips/s"],
           ["per-frame JPEG decoding as the official loader does", f"{l['jpeg_official_style_clips_per_s']['wall']:,.0f} clips/s"]]
    m = d["machine"]
    return table(["data path", "result"], out) + f"\n\n(torch {m['torch']}, {m['threads']} thread, {m['cpus']} cores)"


# --------------------------------------------------------------------------------------------- model and course
def parameter_count(module) -> int:
    return sum(p.numel() for p in module.parameters())


@block
def presets() -> str:
    """docs/model.md: parameter counts, computed from the code (the tests pin the paper preset's)."""
    from imaginator_lite import Generator, ImageDiscriminator, ModelConfig, VideoDiscriminator

    def count(m):
        return f"{parameter_count(m):,}"

    out = []
    for name in ("paper", "medium", "small", "tiny"):
        cfg = ModelConfig.preset(name)
        out.append([f"`{name}`", f"{cfg.frames} x {cfg.image_size} x {cfg.image_size}", cfg.channels,
                    f"{cfg.dim_z} / {cfg.dim_a}", count(Generator(cfg)), count(VideoDiscriminator(cfg)),
                    count(ImageDiscriminator(cfg))])
    return table(["preset", "video (T x H x W)", "ch", "z / a", "G", "D_V", "D_I"], out)


@block
def family_sizes() -> str:
    """docs/model.md: each generator family's parameters per preset, computed from the code (on the meta device)."""
    import torch
    from imaginator_lite.models import FAMILIES, ModelConfig, build_generator

    rows = []
    for name in ("paper", "medium", "small", "tiny"):
        with torch.device("meta"):
            counts = [parameter_count(build_generator(ModelConfig.preset(name, family=f))) for f in FAMILIES]
        rows.append([f"`{name}`"] + [f"{c:,}" for c in counts] + [f"{c / counts[0]:.2f}" for c in counts[1:]])
    return table(["preset"] + [f"G {f}" for f in FAMILIES] + [f"{f} / imaginator" for f in FAMILIES[1:]], rows)


@block
def matching_example() -> str:
    """docs/model.md: the parameter-matching formula on the SPEC's example, computed."""
    from imaginator_lite import matched_width

    n_in, n_out, t, d = 262, 64, 4, 4
    m = matched_width(n_in, n_out, t, d)
    factorised, full = t * n_in * m + d * d * m * n_out, t * d * d * n_in * n_out
    return (f"N_in {n_in}, N_out {n_out}, t = d = {t} gives M = {m} and {factorised:,} weights against {full:,} "
            f"for the full 3D kernel ({100 * (factorised - full) / full:+.2f}%).")


def notebook_parameters(stem: str) -> dict:
    """The literals of a notebook's `parameters` cell."""
    import ast

    nb = load(f"notebooks/{stem}.ipynb")
    cell = next(c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", []))
    tree = ast.parse("".join(cell["source"]))
    return {node.targets[0].id: ast.literal_eval(node.value) for node in tree.body if isinstance(node, ast.Assign)}


@block
def modes() -> str:
    """docs/model.md: the paper's setting against the package's quick and full modes, from the notebooks' own
    parameters, the tour's recipe, the shipped card and the presets."""
    from imaginator_lite import Generator, ModelConfig
    from imaginator_lite.tour import TOUR_RECIPE

    def millions(preset):
        return f"{parameter_count(Generator(ModelConfig.preset(preset))) / 1e6:.1f} M"

    def size(preset):
        c = ModelConfig.preset(preset)
        return f"{c.image_size}x{c.image_size}, {c.frames}"

    nb04, nb05, faces = notebook_parameters("04_training"), notebook_parameters("05_ablations"), card("faces")
    rows = [
        ["data", "MUG, UvA-NEMO, NATOPS, Weizmann (real videos)", "synthetic faces / actions rendered by the package",
         "synthetic, or a real dataset converted by `data_scripts/`"],
        ["resolution, frames", size("paper"), size(nb04["PRESET"]), size(nb04["FULL_PRESET"])],
        ["preset (generator parameters)", f"the official networks ({millions('paper')})",
         f"`{nb04['PRESET']}` ({millions(nb04['PRESET'])}); `tiny` for smoke tests",
         f"`{nb04['FULL_PRESET']}` ({millions(nb04['FULL_PRESET'])}); `{nb05['FULL_PRESET']}` "
         f"({millions(nb05['FULL_PRESET'])}) for the ablations"],
        ["training steps x batch", "not given in the paper's text; batch 64 in the official code",
         f"notebook 04: {nb04['STEPS']:,} x {nb04['BATCH_SIZE']}; the tour: {TOUR_RECIPE.steps:,} x "
         f"{TOUR_RECIPE.batch_size}; the shipped models: {faces['steps']:,} x {faces['train_config']['batch_size']}",
         f"notebook 04: {nb04['FULL_STEPS']:,} x {nb04['FULL_BATCH_SIZE']}; the study (notebook 05): "
         f"{nb05['FULL_STEPS']:,} x {nb05['FULL_BATCH_SIZE']}"],
        ["hardware", "GPU", "a laptop or 2-core CPU, minutes", "one GPU, bf16 autocast and `torch.compile`"],
    ]
    return table(["", "the paper (ImaGINator, WACV 2020)", "quick mode (default)", "full mode (`QUICK = False`)"], rows)


def tutorial_times() -> dict:
    return load("imaginator_lite/course/tutorial_times.json")


@block
def course_map() -> str:
    """README: the notebooks, what each teaches, and its measured quick-mode time."""
    teaches = {
        "01_data": "the task; synthetic faces and actions; the clip store; converting real datasets",
        "02_transposed_1plus2d": "transposed convolution by hand; the (1+2)D block; parameter matching; speed",
        "03_generator_and_discriminators": "encoder, decoder, spatio-temporal fusion, both discriminators, losses",
        "04_training": "the training loop, resume, loss curves; the shipped model on held-out identities; baselines",
        "05_ablations": "the multi-seed ablation study; telling an effect from seed noise",
        "06_generate_widgets": "the generator app; what label and seed control; a real photo",
        "07_paint_versus_warp": "beyond the paper: warping a photo instead of painting it; a warp by hand; why a free "
                                "flow tears a real face, and a thin-plate-spline flow that cannot",
        "08_paper_comparison": "the paper's comparison: VGAN's two streams and MoCoGAN's motion codes by hand; three "
                               "families trained side by side; where the paper's claims hold at this scale",
    }
    times = tutorial_times()
    classes = list(times["classes"])
    out = []
    for stem, text in teaches.items():
        nb = load(f"notebooks/{stem}.ipynb")
        exercises = sum(1 for c in nb["cells"] if c.get("metadata", {}).get("nbgrader", {}).get("solution"))
        row = [f"`{stem}`", text + (f"; {exercises} exercises" if exercises else "")]
        for cls in classes:
            t = times["classes"][cls]["notebooks"].get(stem)
            row.append(f"{t['total_s']:.0f} s" if t else "not measured")
        out.append(row)
    m = times["machine"]
    return (table(["notebook", "teaches"] + [f"quick mode, {cls}" for cls in classes], out)
            + f"\n\n(measured {times['measured']} on a {m['cores']}-core {m['cpu']} ({m['native_isa']}), one notebook "
              "at a time, one thread" + ("; the emulated column runs the AVX2 class on the same CPU: a real AVX2 "
                                         "machine may be slower)" if any("emulated" in c for c in classes) else ")"))


# ------------------------------------------------------------------------------------------- paint against warp
def paint_vs_warp() -> dict:
    return load("notebooks/results/paint_vs_warp.json")["measured"]


def mean_range(values: list[float], digits: int = 4) -> str:
    """'0.0084 (0.0071 to 0.0095)': the mean of per-seed values and their range."""
    return f"{sum(values) / len(values):.{digits}f} ({min(values):.{digits}f} to {max(values):.{digits}f})"


@block
def crop_alignment() -> str:
    """docs/paint_vs_warp.md: where the face box has the eyes and mouth, and where each crop puts them."""
    c = load("docs/results/crop_alignment.json")["measured"]
    drawn = c["drawn_faces"]
    intro = (f"Over {c['faces']} faces found in {c['frames']} pictures (Grace Hopper and every carphone frame), OpenCV's "
             f"bundled eye cascade found both eyes in {c['frames_with_both_eyes']} and one eye {c['eye_detections']} "
             f"times: at {c['eye_row_in_box']['mean']:.3f} ± {c['eye_row_in_box']['sd']:.3f} of the face box's height. "
             f"The smile cascade found a mouth {c['mouth_detections']} time{'s' if c['mouth_detections'] != 1 else ''}, "
             f"at {c['mouth_row_in_box']['mean']:.3f}. Cascades that miss this often cannot place the crop at run "
             "time, so the crop uses these measured proportions of the face box (which the face detector gives), "
             "scaled so that the eye line and the mouth line would land on the drawn faces' rows. The mouth's "
             "proportion rests on that one smile detection. The rows below are where each crop puts the lines "
             "*if* the box holds them at those proportions: for the aligned crop that follows from its construction, "
             "so it is no measurement of where a given photo's eyes and mouth fall.")
    rows = [["drawn faces (200 identities, mean ± sd)", "", f"{drawn['eye_y_row']['mean']:.3f} ± {drawn['eye_y_row']['sd']:.3f}",
             f"{drawn['mouth_y_row']['mean']:.3f} ± {drawn['mouth_y_row']['sd']:.3f}"]]
    for name, p in c["photos"].items():
        for crop, label in (("old_crop", "the face box x 1.4, centred (before)"), ("aligned_crop", "aligned (now)")):
            box = p[crop]["box"]
            rows.append([f"{name}: {label}", f"{box[2] - box[0]} px", f"{p[crop]['eye_row']:.3f}",
                         f"{p[crop]['mouth_row']:.3f}"])
    eye = drawn["eye_y_row"]
    off = [(name, p) for name, p in c["photos"].items()
           if abs(p["aligned_crop"]["eye_row"] - eye["mean"]) > 2 * eye["sd"]]
    notes = [f"{name}'s aligned square did not fit inside the photo and was shifted into it, so its eye line sits at "
             f"{p['aligned_crop']['eye_row']:.3f} ({'above' if p['aligned_crop']['eye_row'] < eye['mean'] else 'below'}"
             f" the drawn faces' {eye['mean']:.3f} by more than twice their spread)." for name, p in off]
    return intro + "\n\n" + table(["crop", "side", "eye line (fraction of the crop's height)", "mouth line"], rows) + (
        "\n\n" + " ".join(notes) if notes else "")


@block
def warp_card_sentence() -> str:
    """docs/paint_vs_warp.md: how faces-free-warp was trained, against faces, from the two cards."""
    w, p = card("faces-free-warp"), card("faces")
    t, tp = w["train_config"], p["train_config"]
    same = all(t[k] == tp[k] for k in ("steps", "batch_size", "lr", "precision")) and w["data"] == p["data"]
    held = w["held_out"]
    return (f"`faces-free-warp` was trained {'like' if same else 'unlike'} `faces`: {w['data']['identities']} identities "
            f"of seed {w['data']['seed']}, {w['steps']:,} steps of batch {t['batch_size']}, lr {t['lr']:g}, "
            f"{t['precision']}, with the warp output and a paint penalty of {t['paint_penalty']:g} "
            f"(`{w['command']}`). On its card it is scored on {held['clips']} clips of seed {held['seed']}: "
            f"{'PASS' if held['passed'] else 'FAIL'}. Both models on the same held-out clips and judge, seeds "
            + " and ".join(k.replace("seed", "") for k in paint_vs_warp()["held_out"]) + ":")


@block
def warp_held_out() -> str:
    """docs/paint_vs_warp.md and shipped_models.md: faces against faces-free-warp on two held-out seeds, same judge."""
    data = paint_vs_warp()["held_out"]
    cols = JUDGED + REPORTED
    out = []
    for key, entry in data.items():
        seed = key.replace("seed", "")
        for name in ("faces", "faces-free-warp"):
            out.append(metric_row(f"**{name}** (seed {seed}) {'PASS' if entry[name]['passed'] else 'FAIL'}",
                                  entry[name]["model"], cols))
        out.append([f"best baseline per column (seed {seed})"]
                   + [f(best([b[k] for b in entry["baselines"].values()], k), d) for k, _, d in cols])
    return table(["held-out (72 clips per seed, shipped judge)"] + [t for _, t, _ in cols], out)


def _photos_table(reports: dict) -> list[list]:
    rows = []
    for name in paint_vs_warp()["photos"]:
        p, w = reports["faces"]["photos"][name], reports["faces-free-warp"]["photos"][name]
        for model, r in (("faces (paint)", p), ("faces-free-warp", w)):
            conc = r["motion_concentration"]
            rows.append([f"{name}, {model}", f"{r['size']} px", f"{r['kept_detail']:.4f}",
                         f"{r['sharpness'] / p['sharpness']:.0f}x" if r is w else "1x",
                         f"{conc['eyes and brows']:.1f} / {conc['mouth']:.1f} / {conc['elsewhere']:.2f}",
                         f"{r['motion']:.4f}", f"{r['label_effect']:.4f}"])
    return rows


@block
def warp_photos() -> str:
    """docs/paint_vs_warp.md: the shipped paint and warp models on the two sample photos, and on drawn faces."""
    m = paint_vs_warp()
    out = _photos_table(m["shipped"])
    for name in ("faces", "faces-free-warp"):
        d = m["shipped"][name]["drawn_faces"]
        conc = d["model"]["motion_concentration"]
        out.append([f"drawn faces (mean of {d['faces']}), {name}", "32 px", "", "",
                    f"{conc['eyes and brows']:.1f} / {conc['mouth']:.1f} / {conc['elsewhere']:.2f}",
                    f"{d['model']['motion']:.4f}", f"{d['model']['label_effect']:.4f}"])
    true = m["shipped"]["faces-free-warp"]["drawn_faces"]["true_clips"]
    tc = true["motion_concentration"]
    out.append(["drawn faces, the true clips", "32 px", "", "",
                f"{tc['eyes and brows']:.1f} / {tc['mouth']:.1f} / {tc['elsewhere']:.3f}", f"{true['motion']:.4f}", ""])
    return table(["input, model", "video", "kept detail (sharpness / the photo's)", "sharpness vs paint",
                  "motion concentration: eyes and brows / mouth / elsewhere", "motion", "label effect"], out)


@block
def paint_penalty_table() -> str:
    """docs/paint_vs_warp.md: the painted share and change on the photos without and with the penalty, 3 seeds each,
    and what the penalty costs on held-out drawn faces (the study)."""
    m = paint_vs_warp()["paint_penalty"]
    runs = m["runs"]
    rows = []
    for photo in paint_vs_warp()["photos"]:
        for key in ("painted_share", "painted_change"):
            before = [r[photo][key] for r in runs["warp"].values()]
            after = [r[photo][key] for r in runs["warp_penalty"].values()]
            rows.append([photo, key.replace("_", " "), mean_range(before), mean_range(after),
                         f"{100 * (1 - (sum(after) / len(after)) / (sum(before) / len(before))):.0f}% less",
                         "yes" if max(after) < min(before) else "no"])
    text = table(["photo", "measure", f"no penalty (mean, range over {len(runs['warp'])} seeds)",
                  f"penalty {m['weight']:g}", "change", "every seed below every seed without it"], rows)
    stats = study()["summary"]["stats"]
    cols = [("fd", 3), ("moving_l1", 3), ("conditional_accuracy", 3), ("ssim", 3)]
    held = [[f"`{v}`"] + [f"{stats[v][k]['mean']:.{d}f} ± {stats[v][k]['std']:.{d}f}" for k, d in cols]
            + [f"{sum(r['passed'] for r in study()['variants'][v]['runs'])} of {len(study()['variants'][v]['runs'])}"]
            for v in ("full", "warp", "warp_penalty")]
    return text + "\n\nOn the study's held-out drawn faces (mean ± sd over seeds 0, 1, 2):\n\n" + table(
        ["variant", "Frechet dist.", "L1 where it moves", "cond. accuracy", "SSIM", "pass mark"], held)


@block
def penalty_trials() -> str:
    """docs/paint_vs_warp.md: the penalty weights tried on the tour's seed 0, which chose defaults.PAINT_PENALTY."""
    runs = load("docs/results/paint_penalty_trials.json")["seed0"]["runs"]
    rows = []
    for weight, r in sorted(runs.items(), key=lambda kv: float(kv[0])):
        held = r["held_out_seed0"] if isinstance(r["held_out_seed0"], dict) else study_run("warp", 0)
        rows.append([weight] + [f"{r['photos'][p]['painted_share']:.4f}" for p in r["photos"]]
                    + [f(held["fd"], 3), f(held["moving_l1"], 3), f(held["ssim"], 3), "PASS" if held["passed"] else "FAIL"])
    photos = list(next(iter(runs.values()))["photos"])
    return table(["penalty weight"] + [f"painted share, {p}" for p in photos]
                 + ["Frechet dist. (seed 0)", "L1 where it moves", "SSIM", "pass mark"], rows)


@block
def warp_speed() -> str:
    """docs/paint_vs_warp.md: a warp training step against a paint one, and a 256-px video from a photo."""
    warp = bench("warp")
    parts = []
    for output, goal in (("warp", "1.15x"), ("tps", "1.3x")):
        ratio = next((r for r in warp["rows"] if r["output"] == f"{output} / paint"), None)
        if ratio:
            parts.append(f"A {output} training step costs {ratio['step_s']:.2f}x a paint step (median of "
                         f"{ratio['steps']} alternating steps each, `small`, batch {ratio['batch']}, fp32; CPU time "
                         f"{ratio['cpu_s']:.2f}x; the goal: at most {goal}).")
    parts.append(bench_meta(warp["meta"]))
    for output, goal in (("warp", "1 s"), ("tps", "100 ms")):
        gen = next((r for r in bench("generate")["rows"] if r.get("output") == output), None)
        if gen:
            parts.append(f"A {gen['video']} video from a photo with the {output} head (`G.animate`, batch 1) takes "
                         f"{gen['median_ms']:.1f} ms (median; the goal: under {goal}).")
    return " ".join(parts) + f" {bench_meta(bench('generate')['meta'])}"


# ------------------------------------------------------------------------------------------------------ the tool
# ----------------------------------------------------------------------------------------------- real faces (29)
PHOTO_COLUMNS = [("background_ratio", "background / face"), ("fold_share", "fold share"),
                 ("squash_share", "squash share"), ("kept_detail", "kept detail"), ("reads_first", "reads first"),
                 ("rises", "rises"), ("label_over_noise", "label / noise")]


def real_faces() -> dict:
    return load("notebooks/results/real_faces.json")["measured"]


def _goal_text(goal: list) -> str:
    return f"{goal[0]} {goal[1]:g}"


@block
def real_faces_table() -> str:
    """docs/paint_vs_warp.md: issue 29's measures on every sample photo for both warp models and the still photo."""
    m = real_faces()
    goals = next(iter(m["models"].values()))["goals"]
    out = [["**goal**"] + [_goal_text(goals[k]) for k, _ in PHOTO_COLUMNS]]
    for photo in m["photos"]:
        for model, g in m["models"].items():
            r = g["photos"][photo]
            out.append([f"{photo} ({r['size']} px), `{model}`"] + ["" if r[k] is None else f(r[k]) for k, _ in PHOTO_COLUMNS])
        out.append([f"{photo}, the still photo", "", "", "", "1.000", f(m["still"][photo]["reads_first"]), "", ""])
    for model, g in m["models"].items():
        out.append([f"mean over the photos, `{model}`"] + [f(g["mean"].get(k)) for k, _ in PHOTO_COLUMNS])
    return table(["photo, model"] + [t for _, t in PHOTO_COLUMNS], out)


@block
def real_faces_goals() -> str:
    """docs/paint_vs_warp.md: which of issue 29's goals each model meets on the mean over the photos, in words."""
    m = real_faces()
    lines = []
    for model, g in m["models"].items():
        met, missed = [], []
        for key, title in PHOTO_COLUMNS:
            if key not in g["mean"]:
                continue
            op, goal = g["goals"][key]
            value = g["mean"][key]
            ok = value <= goal if op == "<=" else value >= goal if op == ">=" else value > goal
            (met if ok else missed).append(f"{title} {value:.3f}")
        lines.append(f"- `{model}` meets the goal on {', '.join(met) or 'none'}; it misses it on "
                     f"{', '.join(missed) or 'none'}.")
    from imaginator_lite.labels import EXPRESSIONS

    photos = list(m["photos"])
    for model, g in m["models"].items():  # the wording: each label's MEAN probability over the photos rises
        def mean_p(label, which):
            return sum(g["photos"][p]["reading"][which][label] for p in photos) / len(photos)

        rising = [k for k in EXPRESSIONS if mean_p(k, "p_last") > mean_p(k, "p_first")]
        lines.append(f"- `{model}`: the mean probability over the photos rises from the first frame to the last for "
                     f"{len(rising)} of {len(EXPRESSIONS)} labels (the goal as issue 29 words it; `rises` above asks "
                     "it of every label on every photo, which is stricter).")
    still = [v["reads_first"] for v in m["still"].values()]
    lines.append(f"- The still photo: the reader puts the asked label first for {sum(still) / len(still):.3f} of the "
                 "labels (one label at most per photo).")
    return "\n".join(lines)


@block
def real_faces_reading() -> str:
    """docs/paint_vs_warp.md: the reader's probability of each asked label, first and last frame, mean over the photos."""
    from imaginator_lite.labels import EXPRESSIONS

    m = real_faces()
    photos = list(m["photos"])
    out = []
    for label in EXPRESSIONS:
        row = [label]
        for g in m["models"].values():
            first = sum(g["photos"][p]["reading"]["p_first"][label] for p in photos) / len(photos)
            last = sum(g["photos"][p]["reading"]["p_last"][label] for p in photos) / len(photos)
            firsts = sum(g["photos"][p]["reading"]["first_on_last"][label] for p in photos)
            row += [f"{first:.3f} -> {last:.3f} ({last - first:+.3f})", f"{firsts} of {len(photos)}"]
        out.append(row)
    header = ["asked label"]
    for model in m["models"]:
        header += [f"`{model}`: p(label), first -> last frame", f"`{model}`: first on the last frame"]
    return table(header, out)


@block
def real_faces_held_out() -> str:
    """docs/paint_vs_warp.md: both warp models on held-out drawn, textured and mixed faces, with the best baseline."""
    m = real_faces()["held_out"]
    cols = JUDGED + REPORTED
    out = []
    kinds = [kind for kind in m if kind != "seed"]  # the kinds docs/measure.py scored, in its order
    for kind in kinds:
        entry = m[kind]
        for name in ("faces-free-warp", "faces-warp"):
            out.append(metric_row(f"{kind}: **{name}** {'PASS' if entry[name]['passed'] else 'FAIL'}",
                                  entry[name]["model"], cols))
        out.append([f"{kind}: best baseline per column"]
                   + [f(best([b[k] for b in entry["baselines"].values()], k), d) for k, _, d in cols])
    ssim = {kind: (m[kind]["faces-warp"]["model"]["ssim"], max(b["ssim"] for b in m[kind]["baselines"].values()))
            for kind in kinds}
    return (table([f"held-out, seed {m['seed']} ({m['faces']['clips']} clips each)"] + [t for _, t, _ in cols], out)
            + "\n\n" + " ".join(f"On the {kind}, `faces-warp`'s SSIM {a:.3f} {'beats' if a > b else 'does not beat'} "
                                 f"every baseline's (the best: {b:.3f})." for kind, (a, b) in ssim.items()))


@block
def study_photos() -> str:
    """docs/study.md: the pixel-moving variants on the sample photos (issue 29's measures), mean ± std over seeds;
    bold = beyond the seed spread against the reference (study.PHOTO_REFERENCE)."""
    s = study()["summary"].get("photos", {})
    stats, versus = s.get("stats", {}), s.get("versus_reference", {})
    out = []
    for name, per in stats.items():
        row = [f"`{name}`", per[PHOTO_COLUMNS[0][0]]["n"] if PHOTO_COLUMNS[0][0] in per else ""]
        for key, _ in PHOTO_COLUMNS:
            st = per.get(key)
            digits = 4 if key in ("background_ratio", "fold_share", "squash_share") else 3
            text = "" if st is None else f"{st['mean']:.{digits}f} ± {st['std']:.{digits}f}"
            row.append(f"**{text}**" if versus.get(name, {}).get(key, {}).get("exceeds_seed_spread") else text)
        out.append(row)
    lines = []
    for name, per in versus.items():
        beyond = [f"{title} ({'better' if per[k]['variant_better'] else 'worse'} by {abs(per[k]['difference']):.4f})"
                  for k, title in PHOTO_COLUMNS if per.get(k, {}).get("exceeds_seed_spread")]
        lines.append(f"- `{name}` against `{s['reference']}`: beyond the seed spread on "
                     + (", ".join(beyond) if beyond else "no measure") + "; within it on the rest.")
    return table(["variant", "seeds"] + [t for _, t in PHOTO_COLUMNS], out) + "\n\n" + "\n".join(lines)


@block
def face_check() -> str:
    """docs/paint_vs_warp.md: how often the face check agrees with the Haar cascade (docs/results/face_check.json)."""
    m = load("docs/results/face_check.json")["measured"]
    real, false = m["real_faces"], m["false_face"]
    return (f"On {real['frames']} real frames ({real['sources']}) the Haar cascade boxes {real['haar_found']} faces; "
            f"the face check confirms {real['confirmed']} and rejects {real['rejected']} (confirmed probabilities "
            f"{real['confirmed_min']:.4f} at least, median {real['confirmed_median']:.4f}; threshold {m['threshold']:g}). "
            f"On `{false['source']}`, a non-face that fools the cascade, it gives {false['rejected_max']:.4f}: "
            f"{false['rejected']} of {false['haar_found']} boxes rejected.")


def files() -> list[Path]:
    return [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md"))


def render(text: str, path: Path) -> tuple[str, list[str]]:
    """The text with every block re-rendered, and the names of blocks that changed."""
    changed: list[str] = []

    def sub(match: re.Match) -> str:
        name = match["name"]
        if name not in RENDERERS:
            raise SystemExit(f"{path.relative_to(ROOT)}: unknown block '{name}' (known: {', '.join(sorted(RENDERERS))})")
        body = RENDERERS[name]().rstrip("\n") + "\n"
        if body != match["body"]:
            changed.append(name)
        return match.group(1) + body + match.group(4)

    return BLOCK.sub(sub, text), changed


def main(argv: list[str] | None = None) -> int:
    global ROOT
    sys.path.insert(0, str(ROOT))
    from imaginator_lite.atomic import write_text

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 when a block is out of date")
    parser.add_argument("--root", type=Path, default=ROOT, help="the repository to read and write (default: this one)")
    args = parser.parse_args(argv)
    ROOT = args.root.resolve()
    load.cache_clear()
    stale = []
    for path in files():
        text = path.read_text(encoding="utf-8")
        new, changed = render(text, path)
        if not changed:
            continue
        if args.check:
            stale += [f"{path.relative_to(ROOT)}: block '{name}'" for name in changed]
            sys.stdout.writelines(difflib.unified_diff(text.splitlines(True), new.splitlines(True),
                                                       str(path.relative_to(ROOT)), "rendered", n=0))
        else:
            write_text(path, new)
            print(f"rendered {path.relative_to(ROOT)}: {', '.join(changed)}")
    if stale:
        print("out of date (run `python docs/tables.py`):\n  " + "\n  ".join(stale))
        return 1
    if args.check:
        print(f"all blocks in {len(files())} files match their JSON")
    return 0


if __name__ == "__main__":
    sys.exit(main())
