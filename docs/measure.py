"""Measurements behind the record's numbers that no other script writes; each lands in docs/results/*.json.

    python docs/measure.py baselines   the three baselines on the tour's held-out clips of seeds 0, 1, 2
                                       (and 7, the shipped models' clips): docs/results/baselines.json
    python docs/measure.py tour        the whole tour on this CPU (its wall time, its model's held-out
                                       numbers, and the same model on the seed-7 clips of the shipped-model
                                       table): one entry per CPU class in docs/results/tour_runs.json
    python docs/measure.py crop        where OpenCV's face box has the eyes and mouth on the sample photos, and
                                       where the old and the aligned crop put them: docs/results/crop_alignment.json
    python docs/measure.py trials      the paint-penalty weights tried on the tour's seed 0 (runs/trials/penalty-W,
                                       trained with the tour's recipe): docs/results/paint_penalty_trials.json
    python docs/measure.py face_check  the second opinion on the Haar cascade's face boxes (MTCNN's ONet) over the
                                       course's real frames and a non-face that fools Haar: docs/results/face_check.json
    python docs/measure.py real_faces  issue 29's measures on the sample photos (tearing, background, detail, the
                                       real-face reader) for the still photo, faces-free-warp and faces-warp, and
                                       both models on drawn and textured held-out faces: notebooks/results/real_faces.json
    python docs/measure.py photos      paint against warp on the sample photos and on drawn faces (the shipped
                                       faces and faces-free-warp, the warp model before issue 29), and the painted share of the study's warp runs
                                       without and with the paint penalty: notebooks/results/paint_vs_warp.json
                                       and its figures (notebook 07 reads them)
    python docs/measure.py families    issue 32: the study's seed-0 runs of ImaGINator, VGAN and MoCoGAN on the same
                                       held-out clips and noise (per-frame appearance, detail and change, and a few
                                       clips' frames), and a training step of each timed back to back:
                                       notebooks/results/families.json and families_frames.png (notebook 08 reads them)

Each entry says the machine, torch and date; an entry is replaced only by a new run on the same CPU class.
`python docs/tables.py` then renders the tables from these files.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import torch

RESULTS = Path(__file__).resolve().parent / "results"
METRICS = ("fd", "moving_l1", "conditional_accuracy", "motion_l1", "l1", "ssim", "psnr", "psnr_official")


def machine() -> dict:
    """The CPU class and software that produced a measurement."""
    return {"cpu_capability": torch.backends.cpu.get_cpu_capability(), "processor": platform.processor() or "x86_64",
            "cores": torch.get_num_threads(), "torch": torch.__version__, "python": platform.python_version(),
            "date": time.strftime("%Y-%m-%d")}


def update(name: str, key: str, entry: dict, folder: Path = RESULTS) -> None:
    """Set folder/name.json[key] = entry, keeping the other keys (written atomically)."""
    from imaginator_lite.atomic import write_json

    path = folder / f"{name}.json"
    data = json.loads(path.read_text()) if path.is_file() else {}
    data[key] = entry
    write_json(path, dict(sorted(data.items())))
    print(f"wrote {path} [{key}]")


def rounded(metrics: dict) -> dict:
    return {k: round(float(metrics[k]), 6) for k in METRICS if k in metrics}


def moving_share(store, cfg) -> float:
    """The share of the test clips' pixel values that move (the mask of `moving_l1`)."""
    from imaginator_lite.evaluation.baselines import copy_frame_predictor
    from imaginator_lite.evaluation.metrics import moving_region_error
    from imaginator_lite.pipeline import open_split

    test = open_split(store, cfg, "test")
    clips, _ = test.get_batch(list(range(len(test))))
    _, moving_values = moving_region_error(copy_frame_predictor(cfg.frames)(clips[:, :, 0], None), clips)
    return float(moving_values) / clips.numel()


def baselines(seeds=(0, 1, 2, 7)) -> None:
    """The baselines need no training: score them beside an untrained `small` generator and keep theirs."""
    from imaginator_lite import Generator, ModelConfig, defaults
    from imaginator_lite.pipeline import SyntheticData, evaluate_run

    cfg = ModelConfig.preset("small")
    torch.manual_seed(0)
    G = Generator(cfg).eval()
    for seed in seeds:
        store = SyntheticData.for_model(cfg, "faces", defaults.SYNTHETIC_IDENTITIES, seed).store(defaults.DATA_ROOT,
                                                                                                progress=False)
        ev = evaluate_run(G, store, progress=False)
        update("baselines", f"seed{seed}", {
            "store": Path(store).name, "clips": ev["clips"], "judge": ev["judge"],
            "moving_share": round(moving_share(store, cfg), 6),
            "real_accuracy": round(float(ev["results"]["model"]["real_accuracy"]), 6),
            "baselines": {name: rounded(r) for name, r in ev["results"].items() if name != "model"},
            "machine": machine(), "command": "python docs/measure.py baselines"})


def tour() -> None:
    """The tour exactly as `imaginator-lite tour` runs it, then its model on the shipped models' seed-7 clips."""
    from imaginator_lite import defaults
    from imaginator_lite.models.config import ModelConfig
    from imaginator_lite.pipeline import SyntheticData, evaluate_run
    from imaginator_lite.tour import run_tour
    from imaginator_lite import load_generator

    out = Path("runs/measure/tour")
    load_before = os.getloadavg()[0]
    t0 = time.perf_counter()
    metrics = run_tour(out, progress=False)
    wall = time.perf_counter() - t0
    load = {"1-min load average before": round(load_before, 2), "after": round(os.getloadavg()[0], 2)}
    G = load_generator(out / "checkpoint.pt").eval()
    cfg = ModelConfig.preset("small")
    store7 = SyntheticData.for_model(cfg, "faces", defaults.SYNTHETIC_IDENTITIES, defaults.HELD_OUT_SEED).store(
        defaults.DATA_ROOT, progress=False)
    seven = evaluate_run(G, store7, seed=defaults.HELD_OUT_SEED, progress=False)
    steps = metrics["steps"]
    update("tour_runs", machine()["cpu_capability"], {
        "passed": metrics["passed"], "steps": steps, "batch_size": metrics["settings"]["train"]["batch_size"],
        "wall_s": round(wall, 1), "train_s": round(metrics["times"]["train_s"], 1),
        "s_per_step": round(metrics["times"]["train_s"] / steps, 3),
        "held_out": {"clips": metrics["clips"], "model": rounded(metrics["results"]["model"])},
        "seed7": {"clips": seven["clips"], "model": rounded(seven["results"]["model"]), "passed": seven["passed"]},
        "load": load, "judge": metrics["judge"], "machine": machine(), "command": "python docs/measure.py tour"})


def _cascade_rows(photo, face_rect, cascade, rows: tuple[float, float], min_neighbors: int, min_size, max_size=None):
    """Detections of `cascade` inside the band `rows` (fractions of the face box's height) of a face box:
    their centres as (x, y) fractions of the box."""
    import cv2

    x, y, w, h = face_rect
    top, bottom = y + int(rows[0] * h), min(photo.shape[0], y + int(rows[1] * h))
    gray = cv2.cvtColor(photo[top:bottom, x:x + w], cv2.COLOR_RGB2GRAY)
    found = cascade.detectMultiScale(gray, 1.1, min_neighbors, minSize=min_size, **({"maxSize": max_size} if max_size else {}))
    return [((ex + ew / 2) / w, (top - y + ey + eh / 2) / h) for ex, ey, ew, eh in found]


def crop() -> None:
    """Where the face box has the eye line (eye cascade) and the mouth line (smile cascade) over the sample photos
    (Grace Hopper and every carphone frame with a face), and where each crop puts them on the sample photos."""
    import cv2
    import numpy as np

    from imaginator_lite.data.importers.packaged_videos import carphone_path
    from imaginator_lite.data.importers.video_io import detect_face_box, detect_face_rect, iter_video_frames
    from imaginator_lite.data.synthetic import face_layout
    from imaginator_lite.generation.photos import aligned_face_box, sample_photos

    eye = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_eye.xml")
    smile = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_smile.xml")
    frames = [sample_photos()[0].photo] + list(iter_video_frames(carphone_path()))
    eyes, mouths, faces, both_eyes = [], [], 0, 0
    for frame in frames:
        rect = detect_face_rect(frame)
        if rect is None:
            continue
        faces += 1
        w = rect[2]
        found = _cascade_rows(frame, rect, eye, (0.0, 0.6), 3, (max(6, w // 12),) * 2, (w // 3,) * 2)
        both_eyes += len(found) >= 2
        eyes += [row for _, row in found]
        mouth = _cascade_rows(frame, rect, smile, (0.55, 1.17), 10, (w // 4, w // 10))
        mouths += [row for _, row in mouth[:1]]
    layout = face_layout()

    def rows_in(box, rect):  # the face box's measured eye and mouth lines as fractions of the crop's height
        x, y, w, h = rect
        side = box[3] - box[1]
        return {line: round((y + np.mean(found) * h - box[1]) / side, 4)
                for line, found in (("eye_row", eyes), ("mouth_row", mouths))}

    photos = {}
    for sample in sample_photos():
        rect = detect_face_rect(sample.photo)
        old, new = detect_face_box(sample.photo, 1.4), aligned_face_box(rect, sample.photo.shape)
        photos[sample.name] = {"face_box": list(rect), "old_crop": {"box": list(old), **rows_in(old, rect)},
                               "aligned_crop": {"box": list(new), **rows_in(new, rect),
                                                "side_over_box": round((new[2] - new[0]) / rect[2], 3)}}
    update("crop_alignment", "measured", {
        "frames": len(frames), "faces": faces, "frames_with_both_eyes": both_eyes,
        "eye_detections": len(eyes), "eye_row_in_box": {"mean": round(float(np.mean(eyes)), 4),
                                                        "sd": round(float(np.std(eyes)), 4)},
        "mouth_detections": len(mouths), "mouth_row_in_box": {"mean": round(float(np.mean(mouths)), 4),
                                                              "sd": round(float(np.std(mouths)), 4)},
        "drawn_faces": {f"{line}_row": {"mean": round((layout[line]["mean"] + 1) / 2, 4),
                                        "sd": round(layout[line]["sd"] / 2, 4)} for line in ("eye_y", "mouth_y")},
        "photos": photos, "machine": machine(), "command": "python docs/measure.py crop"})


NOTEBOOK_RESULTS = RESULTS.parents[1] / "notebooks" / "results"
#: The held-out seed of the shipped warp model's card: neither the training seed (0) nor the paint models' (7).
WARP_HELD_OUT_SEED = 11
#: What of photo_report the record keeps (the per-label parts only for the painted share and change).
REPORT_KEYS = ("size", "sharpness", "photo_sharpness", "kept_detail", "motion", "label_effect", "motion_share",
               "motion_concentration", "painted_share", "painted_change", "painted_share_by_label",
               "painted_change_by_label")


def _rounded_report(report: dict) -> dict:
    def r(v):
        return {k: r(x) for k, x in v.items()} if isinstance(v, dict) else round(v, 6) if isinstance(v, float) else v
    return {k: r(report[k]) for k in REPORT_KEYS if k in report}


def _held_out_entry(models: tuple[str, ...], kind: str, seed: int) -> dict:
    """Shipped models and the baselines on the held-out clips of synthetic `kind` from `seed`, with the shipped judge."""
    from imaginator_lite import defaults, load_generator
    from imaginator_lite.pipeline import SyntheticData, evaluate_run

    store = SyntheticData(kind, defaults.SYNTHETIC_IDENTITIES, 32, 16, seed).store(defaults.DATA_ROOT, progress=False)
    entry = {}
    for name in models:
        ev = evaluate_run(load_generator(name), store, seed=seed, progress=False)
        entry[name] = {"passed": ev["passed"], "model": rounded(ev["results"]["model"])}
    entry["baselines"] = {b: rounded(r) for b, r in ev["results"].items() if b != "model"}
    entry.update(clips=ev["clips"], judge=ev["judge"])
    return entry


def _sample_crops() -> dict:
    """name -> the aligned face crop of each sample photo at its own side, at most 256 px ((3, H, W) in [-1, 1])."""
    from imaginator_lite.generation.photos import sample_photo_crops

    return sample_photo_crops()


def photos() -> None:
    """The shipped paint and warp models on the sample photos and on held-out drawn faces; the study's warp runs
    (seeds 0, 1, 2) without and with the paint penalty on the sample photos; and the figures of both."""
    from imaginator_lite import defaults, load_generator
    from imaginator_lite.data.splits import split_identities
    from imaginator_lite.generation.compare import drawn_faces_report, photo_report
    from imaginator_lite import load_generator

    crops = _sample_crops()
    test_ids = split_identities(defaults.SYNTHETIC_IDENTITIES, seed=defaults.HELD_OUT_SEED)["test"][:6]
    shipped = {}
    for name in ("faces", "faces-free-warp"):
        G = load_generator(name)
        shipped[name] = {"photos": {p: _rounded_report(photo_report(G, crop)) for p, crop in crops.items()},
                         "drawn_faces": drawn_faces_report(G, test_ids, defaults.HELD_OUT_SEED)}
    penalty = {}
    for variant in ("warp", "warp_penalty"):
        penalty[variant] = {}
        for seed in (0, 1, 2):
            G = load_generator(Path("runs/study") / f"{variant}-seed{seed}" / "checkpoint.pt")
            penalty[variant][f"seed{seed}"] = {p: _rounded_report(photo_report(G, crop)) for p, crop in crops.items()}
    held_out = {}
    for seed in (defaults.HELD_OUT_SEED, WARP_HELD_OUT_SEED):
        held_out[f"seed{seed}"] = _held_out_entry(("faces", "faces-free-warp"), "faces", seed)
    update("paint_vs_warp", "measured", {
        "held_out": held_out,
        "photos": {p: {"size": int(c.shape[-1])} for p, c in crops.items()},
        "drawn_faces": {"seed": defaults.HELD_OUT_SEED, "identities": [int(i) for i in test_ids]},
        "shipped": shipped, "paint_penalty": {"weight": defaults.PAINT_PENALTY, "runs": penalty,
                                              "checkpoints": "runs/study/<variant>-seed<seed> (the study's runs)"},
        "noise_seed": 0, "machine": machine(), "command": "python docs/measure.py photos"}, NOTEBOOK_RESULTS)
    penalty_figures(crops)


def penalty_figures(crops: dict | None = None) -> None:
    """notebooks/results/paint_penalty.png (the painted share and change per photo, three seeds each) and
    painted_strokes.png (what the painting changes on Grace Hopper, seed 0, without and with the penalty)."""
    import torch

    from imaginator_lite.generation.compare import label_videos
    from imaginator_lite.generation.compare_plots import plot_grouped_bars, plot_painted_maps
    from imaginator_lite.generation.viz import new_figure, finish_figure
    from imaginator_lite import load_generator

    crops = crops or _sample_crops()
    data = json.loads((NOTEBOOK_RESULTS / "paint_vs_warp.json").read_text())["measured"]["paint_penalty"]
    names = {"warp": "no penalty", "warp_penalty": f"penalty {data['weight']:g}"}
    fig = new_figure((10, 3.4))
    axes = fig.subplots(1, 2)
    for ax, key, label in zip(axes, ("painted_share", "painted_change"),
                              ("mean(1 - mask)", "mean |frame - warped| ([-1, 1] units)")):
        values = {photo: {names[v]: [runs[seed][photo][key] for seed in runs] for v, runs in data["runs"].items()}
                  for photo in crops}
        plot_grouped_bars(values, label, f"{key.replace('_', ' ')}: mean, and range over seeds 0, 1, 2", ax=ax,
                          fmt="{:.4f}", xlabel="photo (its aligned face crop, six expressions)")
    finish_figure(fig, NOTEBOOK_RESULTS / "paint_penalty.png")
    photo = crops["Grace Hopper"]
    models = {names[v]: load_generator(Path("runs/study") / f"{v}-seed0" / "checkpoint.pt") for v in names}
    with torch.no_grad():
        plot_painted_maps(photo, {n: label_videos(G, photo)[1] for n, G in models.items()},
                          list(next(iter(models.values())).cfg.class_names),
                          path=NOTEBOOK_RESULTS / "painted_strokes.png")


def trials() -> None:
    """The paint-penalty trials that chose defaults.PAINT_PENALTY: each runs/trials/penalty-W run (the tour's recipe,
    seed 0, `warp` output, penalty W; its eval.json holds its held-out numbers) with its painted share on the
    sample photos, beside the study's unpenalised warp run of seed 0."""
    from imaginator_lite.generation.compare import photo_report
    from imaginator_lite import load_generator

    crops = _sample_crops()
    runs = {"0": (Path("runs/study/warp-seed0"), None)}
    runs.update({p.name.split("-", 1)[1]: (p, json.loads((p / "eval.json").read_text()))
                 for p in sorted(Path("runs/trials").glob("penalty-*"))})
    entry = {}
    for weight, (folder, held) in runs.items():
        G = load_generator(folder / "checkpoint.pt")
        entry[weight] = {"held_out_seed0": held or "the study's warp run of seed 0 (notebooks/results/ablations.json)",
                         "photos": {p: {k: round(photo_report(G, c)[k], 6) for k in ("painted_share", "painted_change")}
                                    for p, c in crops.items()}}
    update("paint_penalty_trials", "seed0", {"runs": entry, "machine": machine(),
                                             "command": "python docs/measure.py trials"})


def face_check() -> None:
    """How often the face check agrees with the Haar cascade: every sample photo, every carphone frame, and the
    non-face of tests/data/haar_false_face.png."""
    from imaginator_lite.data.importers.face_check import FACE_THRESHOLD, face_check_report
    from imaginator_lite.data.importers.packaged_videos import carphone_path
    from imaginator_lite.data.importers.video_io import iter_video_frames
    from imaginator_lite.generation.photos import read_photo, sample_photos

    photos = [s.photo for s in sample_photos() if not s.name.startswith("carphone")]
    frames = list(iter_video_frames(carphone_path()))
    real = face_check_report(photos + frames)
    real.pop("per_frame", None)
    false = face_check_report([read_photo(Path(__file__).resolve().parents[1] / "tests/data/haar_false_face.png")])
    false.pop("per_frame", None)
    update("face_check", "measured", {"threshold": FACE_THRESHOLD, "real_faces": {"frames": len(photos) + len(frames),
                                      "sources": "Grace Hopper, Eileen Collins and every carphone frame", **real},
                                      "false_face": {"source": "tests/data/haar_false_face.png", **false},
                                      "machine": machine(), "command": "python docs/measure.py face_check"})


def _round_all(value):
    if isinstance(value, dict):
        return {k: _round_all(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_round_all(v) for v in value]
    return round(value, 6) if isinstance(value, float) else value


def real_faces() -> None:
    """Issue 29's goal measures on the sample photos for the still photo (what the reader reads with no motion),
    faces-free-warp (before) and faces-warp (after); both on held-out drawn faces (seed 11: SSIM against every
    baseline) and faces-warp on held-out textured faces."""
    from imaginator_lite import load_generator
    from imaginator_lite.evaluation.photo_motion import expression_reading
    from imaginator_lite.generation.compare import photo_goals
    from imaginator_lite.labels import EXPRESSIONS

    crops = _sample_crops()
    still = {}
    for name, crop in crops.items():  # the still photo as a 2-frame clip per label: first = last
        reading = expression_reading(crop[None, :, None].expand(len(EXPRESSIONS), -1, 2, -1, -1), EXPRESSIONS)
        still[name] = {"reads_first": sum(reading["first_on_last"].values()) / len(EXPRESSIONS), "reading": reading}
    models = {name: photo_goals(load_generator(name), crops) for name in ("faces-free-warp", "faces-warp")}
    held_out = {kind: _held_out_entry(("faces-free-warp", "faces-warp"), kind, WARP_HELD_OUT_SEED)
                for kind in ("faces", "textured-faces", "mixed-faces")}
    update("real_faces", "measured", _round_all({
        "photos": {p: {"size": int(c.shape[-1])} for p, c in crops.items()}, "still": still, "models": models,
        "held_out": {"seed": WARP_HELD_OUT_SEED, **held_out}, "noise_seed": 0, "machine": machine(),
        "command": "python docs/measure.py real_faces"}), NOTEBOOK_RESULTS)


#: The clips whose frames notebook 08 shows: label k on the k-th held-out identity.
FAMILY_FRAMES_CLIPS = 6


def families() -> None:
    """The three families the paper compares (the study's `full`, `vgan` and `mocogan`, seed 0, from their
    checkpoints in runs/study) on every held-out clip of seed 0 with the same noise: per-frame measures, a sprite of
    a few clips' frames (rows: real, then each family; one held-out identity per label), and a training step of each
    family at the study's preset and batch, timed back to back (training.step_timing)."""
    import numpy as np
    from PIL import Image

    from imaginator_lite.atomic import atomic_path
    from imaginator_lite.evaluation.evaluate import frame_measures
    from imaginator_lite.evaluation.metrics import to_unit
    from imaginator_lite.models.config import ModelConfig
    from imaginator_lite.pipeline import SyntheticData, open_split
    from imaginator_lite.study import FAMILY_VARIANTS, VARIANTS, StudySettings, variant_configs
    from imaginator_lite.training.checkpoint import generator_from_file
    from imaginator_lite.training.step_timing import interleaved_step_times, summarise_step_times

    settings, seed, work = StudySettings(), 0, RESULTS.parents[1] / "runs" / "study"  # the study's --work
    base = ModelConfig.preset(settings.preset)
    store = SyntheticData.for_model(base, "faces", settings.identities, seed).store(work / "data", progress=False)
    test = open_split(store, base, "test")
    real, labels = test.get_batch(list(range(len(test))))
    images = real[:, :, 0]
    z = torch.randn(len(labels), base.dim_z, generator=torch.Generator().manual_seed(0))
    videos, models = {"real": real}, {}
    for name in FAMILY_VARIANTS:
        _, train_cfg = variant_configs(settings, name, seed, work / f"{name}-seed{seed}")
        G = generator_from_file(Path(train_cfg.out_dir) / "checkpoint.pt").eval()
        with torch.no_grad():
            videos[name] = G(images, z, labels).float()
        models[name] = {"family": G.cfg.family, "params": sum(p.numel() for p in G.parameters())}
    measures = {name: frame_measures(v, images) for name, v in videos.items()}
    people = list(dict.fromkeys(test.identities.tolist()))  # held-out identities in store order
    shown = [int(np.flatnonzero((test.labels == k) & (test.identities == people[k]))[0])
             for k in range(FAMILY_FRAMES_CLIPS)]  # label k on the k-th identity: six people, six labels
    rows = [(name, i) for i in shown for name in videos]
    sprite = torch.cat([torch.cat(list(videos[name][i].unbind(1)), dim=2) for name, i in rows], dim=1)  # (3, R*S, T*S)
    pixels = (to_unit(sprite) * 255).round().clamp(0, 255).byte().permute(1, 2, 0).numpy()
    frames_path = NOTEBOOK_RESULTS / "families_frames.png"
    with atomic_path(frames_path) as tmp:
        Image.fromarray(pixels).save(tmp, format="PNG")
    print(f"wrote {frames_path}")
    configs = {name: base.replace(**next(v for v in VARIANTS if v.name == name).model) for name in FAMILY_VARIANTS}
    times = interleaved_step_times(configs, "cpu", rounds=12, batch=settings.recipe.batch_size)
    update("families", "measured", _round_all({
        "seed": seed, "clips": len(labels), "noise_seed": 0, "models": models, "per_frame": measures,
        "frames": {"file": frames_path.name, "size": base.image_size, "frames": base.frames,
                   "rows": [{"model": name, "clip": i, "label": test.classes[int(test.labels[i])],
                             "identity": str(test.identities[i])} for name, i in rows]},
        "step_times": {"preset": settings.preset, "batch": settings.recipe.batch_size, "precision": "fp32",
                       "per_family": summarise_step_times(times, FAMILY_VARIANTS[0]), "raw": times},
        "machine": machine(), "command": "python docs/measure.py families"}), NOTEBOOK_RESULTS)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    jobs = {"baselines": baselines, "tour": tour, "crop": crop, "photos": photos, "trials": trials,
            "face_check": face_check, "real_faces": real_faces, "families": families}
    parser.add_argument("what", choices=list(jobs))
    args = parser.parse_args()
    sys.exit(jobs[args.what]())
