"""The ablation study: the paper's ablations, trained with the tour's recipe over several seeds.

Each (variant, seed) run renders the synthetic faces of that seed (other identities each time),
trains the variant from that seed, and is scored on the seed's held-out identities like the tour.
Finished runs are written to the results JSON at once, so an interrupted study resumes where it
stopped. `summarise` gives the mean and spread per metric, and for each variant and metric
whether its difference from the full model exceeds the seed spread.
"""
from __future__ import annotations

import json
import math
import os
import platform
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import torch

from .atomic import write_json
from .defaults import JUDGE_MIN_STEPS, PAINT_PENALTY, STUDY_DIR, STUDY_REFERENCE, SYNTHETIC_IDENTITIES
from .evaluation.metric_registry import METRICS as REGISTRY
from .evaluation.metric_registry import STUDY
from .generation.compare import photo_goals
from .generation.photos import sample_photo_crops
from .models.config import ModelConfig
from .models.generator import Generator
from .pipeline import Judge, SyntheticData, evaluate_run, load_or_train, open_split
from .tour import TOUR_RECIPE
from .training.checkpoint import load_checkpoint
from .training.config import TrainConfig


@dataclass(frozen=True)
class Variant:
    """One ablation: changes to the model config and to the training recipe, and the synthetic kind it trains and
    is scored on (a data.synthetic_sets.KIND_CLASSES key)."""

    name: str
    description: str
    model: dict = field(default_factory=dict)
    train: dict = field(default_factory=dict)
    data: str = "faces"


VARIANTS = (
    Variant(STUDY_REFERENCE, "the paper's model: (1+2)D blocks, fusion, D_V and D_I, lambda = 100"),
    Variant("3d", "full transposed 3D blocks instead of (1+2)D (parameter-matched)", model={"block": "3d"}),
    Variant("no_fusion", "no spatio-temporal fusion (fewer parameters: see params)", model={"fusion": False}),
    Variant("no_video_disc", "without the video discriminator D_V", train={"use_video_disc": False}),
    Variant("no_image_disc", "without the image discriminator D_I", train={"use_image_disc": False}),
    Variant("lambda_10", "L1 weight lambda = 10 instead of 100", train={"l1_weight": 10.0}),
    Variant("warp", "beyond the paper: the last layer predicts a flow, a mask and a residual that move the input's "
                    "pixels instead of painting every pixel (ModelConfig(output='warp'))", model={"output": "warp"}),
    Variant("warp_penalty", f"warp with a penalty of {PAINT_PENALTY:g} x the painted share mean(1 - mask), so it "
                            "paints only where moving pixels cannot show the frame (TrainConfig.paint_penalty)",
            model={"output": "warp"}, train={"paint_penalty": PAINT_PENALTY}),
    # issue 29, real faces: the new model and each of its ingredients taken away (textures, the smooth head, the
    # penalty); warp_penalty above is the model with none of them. Scored on their own data's held-out identities
    # and, like every variant that moves pixels, on the sample photos (photo_goals).
    Variant("tps_textured", "real faces: textured faces (data/textured_faces.py), the thin-plate-spline head "
                            "(ModelConfig(output='tps')) and the paint penalty",
            model={"output": "tps"}, train={"paint_penalty": PAINT_PENALTY}, data="textured-faces"),
    Variant("warp_textured", "tps_textured with the free warp head instead of the thin-plate spline",
            model={"output": "warp"}, train={"paint_penalty": PAINT_PENALTY}, data="textured-faces"),
    Variant("tps_drawn", "tps_textured trained on the flat-coloured drawn faces instead of textured ones",
            model={"output": "tps"}, train={"paint_penalty": PAINT_PENALTY}),
    Variant("tps_textured_no_penalty", "tps_textured without the paint penalty",
            model={"output": "tps"}, data="textured-faces"),
    Variant("tps_mixed", "the shipped faces-warp's recipe: tps_textured trained on mixed-faces (half the identities "
                         "drawn, half textured), so the drawn faces' expressions stay in its training data",
            model={"output": "tps"}, train={"paint_penalty": PAINT_PENALTY}, data="mixed-faces"),
    # issue 32, the paper's comparison: the two earlier video GANs the paper adapts to image-to-video, at the same
    # preset's sizes, with the same trainer, discriminators and recipe (models/vgan.py, models/mocogan.py)
    Variant("vgan", "the paper's first baseline, VGAN (Vondrick et al. 2016) conditioned on the image: a 3D foreground "
                    "with a mask over a still 2D background, both from the image's code + label + noise "
                    "(ModelConfig(family='vgan'))", model={"family": "vgan"}),
    Variant("mocogan", "the paper's second baseline, MoCoGAN (Tulyakov et al. 2018) conditioned on the image: a content "
                       "code from the image, one GRU motion code per frame from noise + label, each frame rendered in "
                       "2D (ModelConfig(family='mocogan'))", model={"family": "mocogan"}),
)
VARIANT_NAMES = tuple(v.name for v in VARIANTS)
#: The comparisons the paper's claims rest on; the study runs all their seeds before the other variants.
CORE_VARIANTS = (STUDY_REFERENCE, "3d", "no_fusion")
#: The generator families the paper compares (its Table 2 and 3): ImaGINator (the reference) and its two baselines.
FAMILY_VARIANTS = (STUDY_REFERENCE, "vgan", "mocogan")

#: Reported per run (evaluation.metric_registry.STUDY; the first three are the tour's judged metrics).
METRICS = STUDY
#: Measures whose value on the real held-out clips is recorded beside the model's (run["real"]): the paper's claims
#: about appearance, sharpness and temporal coherence are read against what the real clips do.
REAL_REFERENCE = ("appearance_ssim", "kept_detail", "jitter")


@dataclass(frozen=True)
class StudySettings:
    """The study: a preset, the tour's recipe (TrainConfig), identities per seed, seeds and variants."""

    preset: str = "small"
    recipe: TrainConfig = TOUR_RECIPE
    identities: int = SYNTHETIC_IDENTITIES
    seeds: tuple[int, ...] = (0, 1, 2)
    variants: tuple[str, ...] = VARIANT_NAMES
    judge_min_steps: int = JUDGE_MIN_STEPS  # the fallback judge's least steps (lowered only for smoke tests)

    def __post_init__(self) -> None:
        unknown = [v for v in self.variants if v not in VARIANT_NAMES]
        if unknown:
            raise ValueError(f"unknown variant(s) {unknown}; choose from {', '.join(VARIANT_NAMES)}")
        if not self.seeds:
            raise ValueError("give at least one seed")
        ModelConfig.preset(self.preset)  # an unknown preset fails here, before any work


def variant_configs(settings: StudySettings, name: str, seed: int, out_dir: Path) -> tuple[ModelConfig, TrainConfig]:
    """(model config, train config) of one run of the study."""
    variant = next(v for v in VARIANTS if v.name == name)
    model_cfg = ModelConfig.preset(settings.preset, **variant.model)
    train_cfg = settings.recipe.replace(seed=seed, out_dir=str(out_dir), log_every=max(1, settings.recipe.steps // 100),
                                        sample_every=0, checkpoint_every=0, **variant.train)
    return model_cfg, train_cfg


def run_one(settings: StudySettings, name: str, seed: int, work: Path, progress: bool = True,
            retrain: bool = False) -> dict[str, Any]:
    """Train (or load a finished run of, unless `retrain`) one variant with one seed and score it on held-out
    identities: its metrics, parameter count and, when it trained, seconds per step."""

    base = ModelConfig.preset(settings.preset)
    variant = next(v for v in VARIANTS if v.name == name)
    store = SyntheticData.for_model(base, variant.data, settings.identities, seed).store(work / "data", progress)
    out = work / f"{name}-seed{seed}"
    model_cfg, train_cfg = variant_configs(settings, name, seed, out)
    train_cfg = train_cfg.replace(progress=progress)
    ckpt = out / "checkpoint.pt"
    finished = ckpt.is_file() and load_checkpoint(ckpt).get("step") == train_cfg.steps
    started = time.perf_counter()
    run = load_or_train(model_cfg, train_cfg, open_split(store, model_cfg, "train"), train=retrain or not finished)
    seconds = time.perf_counter() - started
    judge = Judge(seed=seed, cache_dir=str(work), min_steps=settings.judge_min_steps)
    evaluation = evaluate_run(run.G, store, judge=judge, progress=progress)
    model = evaluation["results"]["model"]
    record = {k: model[k] for k in METRICS if k in model}
    record["real"] = {k: model[f"{k}_real"] for k in REAL_REFERENCE}
    record.update(seed=seed, steps=run.steps, params=sum(p.numel() for p in run.G.parameters()),
                  passed=evaluation["passed"], fd_clips=model.get("fd_clips"), fd_dims=model.get("fd_dims"),
                  cpu_capability=torch.backends.cpu.get_cpu_capability())
    if variant.data != "faces":
        record["data"] = variant.data
    if _moves_pixels(run.G):  # what it does to real photos (issue 29's measures), the mean over the photos
        record["photos"] = {k: round(v, 6) for k, v in photo_goals(run.G, sample_photo_crops())["mean"].items()}
    if run.trained:
        record["s_per_step"], record["train_seconds"] = seconds / max(run.steps, 1), seconds
    return record


def machine() -> dict[str, Any]:
    """Where the study ran: CPU or GPU name, threads, torch version."""
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    return {"device": gpu or f"CPU ({platform.processor() or platform.machine()}, {os.cpu_count()} cores)",
            "torch_threads": torch.get_num_threads(), "torch": torch.__version__, "python": platform.python_version()}


def run_study(results_path: str | os.PathLike, settings: StudySettings = StudySettings(),
              work_dir: str | os.PathLike = STUDY_DIR, command: str = "", progress: bool = True,
              log: Callable[[str], None] = print) -> dict[str, Any]:
    """Run every (seed, variant) not yet in `results_path`, writing the JSON after each; returns it."""

    path, work = Path(results_path), Path(work_dir)
    old = json.loads(path.read_text()) if path.is_file() else {}
    new = settings_dict(settings)
    changed = settings_changes(old["settings"], new) if old.get("settings") else []
    if changed:  # never discard finished runs: another study goes to another file
        raise ValueError(f"{path} holds a study made with other settings ({'; '.join(changed)}); pass the same "
                         "settings to resume it, or another results file to start a new study")
    if old.get("settings"):  # a study grows by seeds and variants: the file lists them all, and keeps the command
        for key in ("seeds", "variants"):  # that makes the whole study (it resumes every finished run)
            new[key] = list(dict.fromkeys(list(old["settings"].get(key, [])) + new[key]))
    data = {"command": old.get("command") or command, "settings": new, "machine": machine(),
            "variants": old.get("variants", {})}
    for seed, name in run_order(settings):
        entry = data["variants"].setdefault(name, {"description": _describe(name), "runs": []})
        if any(r["seed"] == seed for r in entry["runs"]):
            continue
        log(f"study: {name}, seed {seed}")
        entry["runs"].append(run_one(settings, name, seed, work, progress))
        data["summary"] = summarise(data["variants"])
        write_json(path, data)
    data["summary"] = summarise(data["variants"])
    write_json(path, data)
    return data


def _moves_pixels(G: torch.nn.Module) -> bool:
    """Whether a generator moves the input's pixels (an ImaGINator warp or tps output); baseline families paint."""
    return bool(getattr(getattr(G, "output", None), "moves_pixels", False))


#: Held-out metrics a run can gain after it was made (the study's list grew); seconds per step cannot (it is timed
#: only while training).
ADDABLE = tuple(m for m in METRICS if m != "s_per_step")


def add_measures(results_path: str | os.PathLike, settings: StudySettings = StudySettings(),
                 work_dir: str | os.PathLike = STUDY_DIR, *, held_out: bool = True, photos: bool = True,
                 progress: bool = True, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Give every finished run of `settings.variants` the measures its record lacks (runs made before they existed):
    with `held_out`, the METRICS it misses (e.g. appearance_ssim, kept_detail), scored on the same held-out clips;
    with `photos`, a pixel-moving variant's photo measures. The run's checkpoint is loaded, or trained again with
    its seed where it is gone; the record says which, and the Frechet distance measured again beside the recorded
    one (`added`), so a reader can see the retrained run is the same run. The JSON is written after each run."""

    path, work = Path(results_path), Path(work_dir)
    data = json.loads(path.read_text())
    for name in settings.variants:
        if name not in data["variants"]:
            continue
        variant = next(v for v in VARIANTS if v.name == name)
        model_cfg = ModelConfig.preset(settings.preset, **variant.model)
        for record in data["variants"][name]["runs"]:
            missing = [m for m in ADDABLE if m not in record] if held_out else []
            want_photos = photos and "photos" not in record and model_cfg.family == "imaginator" \
                and Generator(model_cfg).output.moves_pixels
            if not missing and not want_photos:
                continue
            seed = record["seed"]
            log(f"study: {', '.join(missing + (['photo measures'] if want_photos else []))} of {name}, seed {seed}")
            store = SyntheticData.for_model(model_cfg, variant.data, settings.identities, seed).store(work / "data",
                                                                                                     progress)
            _, train_cfg = variant_configs(settings, name, seed, work / f"{name}-seed{seed}")
            ckpt = Path(train_cfg.out_dir) / "checkpoint.pt"
            retrained = not ckpt.is_file()
            run = load_or_train(model_cfg, train_cfg.replace(progress=progress), open_split(store, model_cfg, "train"),
                                train=retrained)
            if missing:
                judge = Judge(seed=seed, cache_dir=str(work), min_steps=settings.judge_min_steps)
                model = evaluate_run(run.G, store, judge=judge, progress=progress)["results"]["model"]
                record.update({m: model[m] for m in missing if m in model})
                record.setdefault("real", {}).update({k: model[f"{k}_real"] for k in REAL_REFERENCE})
                record["added"] = {"metrics": [m for m in missing if m in model], "retrained": retrained,
                                   "fd_recorded": record.get("fd"), "fd_again": model.get("fd"),
                                   "cpu_capability": torch.backends.cpu.get_cpu_capability()}
            if want_photos:
                record["photos"] = {k: round(v, 6) for k, v in photo_goals(run.G, sample_photo_crops())["mean"].items()}
                record["photos_cpu_capability"] = torch.backends.cpu.get_cpu_capability()
            data["summary"] = summarise(data["variants"])
            write_json(path, data)
    return data


def run_order(settings: StudySettings) -> list[tuple[int, str]]:
    """(seed, variant) pairs: every seed of the core variants first, then the others; seed-major in each."""
    core = [v for v in settings.variants if v in CORE_VARIANTS]
    rest = [v for v in settings.variants if v not in CORE_VARIANTS]
    return [(s, v) for group in (core, rest) for s in settings.seeds for v in group]


def settings_dict(settings: StudySettings) -> dict[str, Any]:
    out = {"preset": settings.preset, "recipe": settings.recipe.to_dict(), "identities": settings.identities,
           "seeds": list(settings.seeds), "variants": list(settings.variants)}
    if settings.judge_min_steps != StudySettings.judge_min_steps:
        out["judge_min_steps"] = settings.judge_min_steps
    return out


def settings_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What differs between two studies' settings ('recipe.lr 0.0005 -> 0.001'), seeds and variants aside (a
    study grows by them); a recipe field missing on one side counts as its TrainConfig default (a field added
    to the package later does not change an old study)."""
    defaults = TrainConfig().to_dict()
    changes = [f"{k} {old.get(k)} -> {new.get(k)}" for k in ("preset", "identities")
               if old.get(k) != new.get(k)]
    least = (old.get("judge_min_steps", JUDGE_MIN_STEPS), new.get("judge_min_steps", JUDGE_MIN_STEPS))
    changes += [f"judge_min_steps {least[0]} -> {least[1]}"] if least[0] != least[1] else []
    old_recipe, new_recipe = old.get("recipe", {}), new.get("recipe", {})
    for key in sorted(set(old_recipe) | set(new_recipe)):
        a, b = old_recipe.get(key, defaults.get(key)), new_recipe.get(key, defaults.get(key))
        if a != b:
            changes.append(f"recipe.{key} {a} -> {b}")
    return changes


def _describe(name: str) -> str:
    return next(v.description for v in VARIANTS if v.name == name)


def spread(values: list[float]) -> dict[str, float]:
    """mean, sample std (0 for one seed), min, max, n."""
    return {"mean": statistics.fmean(values), "std": statistics.stdev(values) if len(values) > 1 else 0.0,
            "min": min(values), "max": max(values), "n": len(values)}


def ranges_separate(a: Sequence[float], b: Sequence[float]) -> bool:
    """Does the difference between per-seed values `a` and `b` exceed the seed spread? True when both
    have at least two seeds and their min..max ranges do not overlap (every value of one side lies
    strictly beyond every value of the other)."""
    return len(a) > 1 and len(b) > 1 and (min(a) > max(b) or max(a) < min(b))


def summarise(variants: dict[str, dict]) -> dict[str, Any]:
    """Per variant and metric: spread over seeds, and against 'full': the difference of means and
    whether it exceeds the seed spread (`ranges_separate`: the two min..max ranges do not overlap;
    needs 2+ seeds each)."""
    values = {name: {m: [r[m] for r in v["runs"] if m in r] for m in METRICS
                     if any(m in r for r in v["runs"])} for name, v in variants.items()}
    stats = {name: {m: spread(vals) for m, vals in per_metric.items()} for name, per_metric in values.items()}
    versus = {}
    for name, per_metric in stats.items():
        if name == STUDY_REFERENCE or STUDY_REFERENCE not in stats:
            continue
        if _data_of(variants[name]) != _data_of(variants[STUDY_REFERENCE]):
            continue  # scored on other clips (textured faces): no comparison with the paint model's numbers
        versus[name] = {}
        for m, s in per_metric.items():
            ref = stats[STUDY_REFERENCE].get(m)
            if ref is None:
                continue
            separated = ranges_separate(values[name][m], values[STUDY_REFERENCE][m])
            better = REGISTRY[m].better(s["mean"], ref["mean"])
            versus[name][m] = {"difference": s["mean"] - ref["mean"], "exceeds_seed_spread": separated,
                               "variant_better": better}
    return {"stats": stats, "versus_full": versus, "photos": summarise_photos(variants)}


def _data_of(variant: dict) -> str:
    """The synthetic kind a variant's runs were trained and scored on (runs before issue 29 record none: faces)."""
    return variant["runs"][0].get("data", "faces") if variant["runs"] else "faces"


#: The photo measures' reference: the recipe of the shipped faces-warp (textured faces, the spline head, the paint
#: penalty); each issue-29 variant takes one ingredient away from it, and warp_penalty (the recipe of faces-free-warp)
#: has none of them.
PHOTO_REFERENCE = "tps_textured"
#: Lower is better for these photo measures (generation.compare.PHOTO_GOALS); higher for the others.
PHOTO_LOWER_BETTER = ("background_ratio", "fold_share", "squash_share")


def summarise_photos(variants: dict[str, dict]) -> dict[str, Any]:
    """The variants that move pixels, on the sample photos (each run's `photos`: the mean over the photos): per
    variant and measure the spread over seeds, and against PHOTO_REFERENCE the difference of means and whether it
    exceeds the seed spread (ranges_separate)."""
    values = {name: {} for name, v in variants.items() if any("photos" in r for r in v["runs"])}
    for name in values:
        for run in variants[name]["runs"]:
            for m, x in run.get("photos", {}).items():
                values[name].setdefault(m, []).append(x)
    stats = {name: {m: spread(xs) for m, xs in per.items()} for name, per in values.items()}
    versus = {}
    for name, per in values.items():
        if name == PHOTO_REFERENCE or PHOTO_REFERENCE not in values:
            continue
        versus[name] = {}
        for m, xs in per.items():
            ref = values[PHOTO_REFERENCE].get(m)
            if ref is None:
                continue
            diff = statistics.fmean(xs) - statistics.fmean(ref)
            versus[name][m] = {"difference": diff, "exceeds_seed_spread": ranges_separate(xs, ref),
                               "variant_better": diff < 0 if m in PHOTO_LOWER_BETTER else diff > 0}
    return {"reference": PHOTO_REFERENCE, "stats": stats, "versus_reference": versus}


#: The metrics a study's conclusions weigh: the pass mark's two and the conditional accuracy.
CONCLUSION_METRICS = ("fd", "moving_l1", "conditional_accuracy")


def chance_separation(n_a: int, n_b: int) -> float:
    """P(the min..max ranges of n_a and n_b exchangeable values do not overlap), i.e. of a 'beyond the seed
    spread' verdict when two variants do not differ at all: 2 / C(n_a + n_b, n_a)."""
    return 2 / math.comb(n_a + n_b, n_a)


def conclusions(summary: dict[str, Any]) -> list[str]:
    """Markdown lines that say what a study's summary shows by the seed-spread rule, each variant against the reference
    (STUDY_REFERENCE), then (1+2)D against 3D and how many separations chance alone would give over all the comparisons made."""
    stats, versus = summary["stats"], summary["versus_full"]
    ref = STUDY_REFERENCE
    judged = [m for m in CONCLUSION_METRICS if m in stats.get(ref, {})]
    label = {m: REGISTRY[m].label for m in judged}
    lines = []
    for name, v in versus.items():
        beyond = [m for m in judged if v.get(m, {}).get("exceeds_seed_spread")]
        worse = [label[m] for m in beyond if not v[m]["variant_better"]]
        better = [label[m] for m in beyond if v[m]["variant_better"]]
        within = [label[m] for m in judged if m in v and m not in beyond]
        parts = ([f"worse than `{ref}` beyond the seed spread on {', '.join(worse)}"] if worse else []) + \
                ([f"better than `{ref}` beyond the seed spread on {', '.join(better)}"] if better else []) + \
                ([f"within the spread (no evidence either way) on {', '.join(within)}"] if within else [])
        lines.append(f"- `{name}`: " + "; ".join(parts) + ".")
    n = min(stats[ref][m]["n"] for m in judged)
    p = chance_separation(n, n)
    if "3d" in versus:
        k = sum(1 for m in judged if versus["3d"].get(m, {}).get("exceeds_seed_spread")
                and not versus["3d"][m]["variant_better"])
        joint = sum(math.comb(len(judged), j) * p ** j * (1 - p) ** (len(judged) - j)
                    for j in range(max(k, 1), len(judged) + 1))
        reading = (f"This is consistent with the paper's quality claim at this scale; {n} seeds do not establish it, "
                   "and more seeds would make it firmer or undo it." if k else
                   "So the study does not show the paper's quality claim at this scale.")
        lines.append(
            f"\n**(1+2)D against 3D**, the paper's comparison: `3d` is worse than `{ref}` beyond the seed spread on "
            f"{k} of {len(judged)} judged metrics; a metric within the spread is no evidence either way. If the "
            f"{len(judged)} metrics were independent, {max(k, 1)} or more of them would separate by chance alone with "
            f"probability {joint:.1%}; they are correlated (they score the same clips), so the chance lies between "
            f"that and {p:.0%}. {reading}")
    comparisons = len(versus) * len(judged)
    lines.append(
        f"\nWith {n} seeds on each side, two variants with no difference at all still fail to overlap on one metric "
        f"with probability 2 / C({2 * n}, {n}) = {p:.0%}. These are {comparisons} such comparisons ({len(versus)} "
        f"variants x {len(judged)} metrics), so about {comparisons * p:.1f} separations are expected by chance "
        f"alone even if no ingredient mattered: read a single bold cell as weak evidence.")
    return lines


#: The paper's three claims for ImaGINator against its baselines (section 1 of the paper), each read on one measure.
CLAIMS = (("appearance_ssim", "appearance is kept", "SSIM of every frame to the input image"),
          ("jitter", "motion is coherent over time", "the second temporal difference (flicker)"),
          ("kept_detail", "frames are sharp", "sharpness of the frames over the input's"))


def family_verdicts(data: dict[str, Any], reference: str = STUDY_REFERENCE,
                    baselines: Sequence[str] = FAMILY_VARIANTS[1:]) -> dict[str, dict[str, dict[str, Any]]]:
    """{baseline: {metric: {reference, baseline (mean, std, n), verdict}}} for the judged metrics and each claim's
    measure, from a study's results (run_study's dict). verdict: 'reference better' or 'baseline better' beyond the
    seed spread (ranges_separate), else 'within the spread'; 'not measured' where either side lacks the measure."""
    runs = {name: data["variants"].get(name, {}).get("runs", []) for name in (reference, *baselines)}
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for name in baselines:
        out[name] = {}
        for m in (*CONCLUSION_METRICS, *(c[0] for c in CLAIMS)):
            a, b = [r[m] for r in runs[reference] if m in r], [r[m] for r in runs[name] if m in r]
            if not a or not b:
                out[name][m] = {"verdict": "not measured"}
                continue
            verdict = "within the spread"
            if ranges_separate(a, b):
                verdict = "reference better" if REGISTRY[m].better(statistics.fmean(a), statistics.fmean(b)) \
                    else "baseline better"
            out[name][m] = {"reference": spread(a), "baseline": spread(b), "verdict": verdict}
    return out


def real_values(data: dict[str, Any], metric: str, reference: str = STUDY_REFERENCE) -> list[float]:
    """The real held-out clips' value of `metric` per run of `reference` (run["real"]; empty where not recorded)."""
    return [r["real"][metric] for r in data["variants"].get(reference, {}).get("runs", [])
            if metric in r.get("real", {})]


def claim_lines(data: dict[str, Any], reference: str = STUDY_REFERENCE) -> list[str]:
    """Markdown lines, one per claim of the paper, saying where it holds in this study by the seed-spread rule. For
    kept detail, a mean above the real clips' own value is high-frequency noise, not sharpness: the line says so and
    does not read the claim from it."""
    verdicts = family_verdicts(data, reference)
    lines = []
    for metric, claim, measure in CLAIMS:
        real = real_values(data, metric, reference)
        real_mean = statistics.fmean(real) if real else None
        parts = []
        for name, v in verdicts.items():
            entry = v[metric]
            if entry["verdict"] == "not measured":
                parts.append(f"against `{name}` not measured yet")
                continue
            a, b = entry["reference"], entry["baseline"]
            numbers = f"{a['mean']:.3f} ± {a['std']:.3f} against {b['mean']:.3f} ± {b['std']:.3f}"
            noisy = [n for n, st in ((reference, a), (name, b)) if metric == "kept_detail" and real_mean is not None
                     and st["mean"] > real_mean]
            if noisy:
                parts.append(f"against `{name}` it cannot be read here ({numbers}): "
                             f"{' and '.join(f'`{n}`' for n in noisy)} {'has' if len(noisy) == 1 else 'have'} more "
                             f"detail than the real clips ({real_mean:.3f}), which is noise, not sharpness")
                continue
            said = {"reference better": "holds beyond the seed spread", "baseline better": "is contradicted beyond "
                    "the seed spread", "within the spread": "is not shown: the two overlap within the seed spread"}
            parts.append(f"against `{name}` it {said[entry['verdict']]} ({numbers})")
        reference_text = f"; the real clips: {real_mean:.3f}" if real_mean is not None else ""
        lines.append(f"- **{claim[0].upper() + claim[1:]}** ({measure}, {REGISTRY[metric].title}{reference_text}): "
                     + "; ".join(parts) + ".")
    return lines
