#!/usr/bin/env python
"""Data-path benchmark on ONE core: synthetic rendering speed and clip-store vs per-frame-JPEG loading.

Prints a table and writes JSON (default benchmarks/results/data.json). `--quick` for a smaller run.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from imaginator_lite.data.store import ClipDataset  # noqa: E402
from imaginator_lite.data.store_writer import StoreWriter  # noqa: E402
from imaginator_lite.data.synthetic import render_actions, render_faces  # noqa: E402


class Timer:
    """Wall-clock and CPU (process) seconds of a block; CPU time is robust to a busy machine."""

    def __enter__(self):
        self.wall0, self.cpu0 = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.wall0
        self.cpu = time.process_time() - self.cpu0


def time_rendering(render, n_clips: int, size: int, frames: int) -> Timer:
    """Time to render n_clips clips (N, frames, size, size, 3), one clip per (identity, class)."""
    identities, labels = np.arange(n_clips) // 6, np.arange(n_clips) % 6
    with Timer() as timer:
        render(identities, labels, image_size=size, frames=frames, seed=0)
    return timer


def build_sources(root: Path, n_clips: int, clip_frames: int, size: int):
    """Render faces once; write them as a clip store and as per-frame JPEG folders (official layout)."""
    videos = render_faces(np.arange(n_clips) // 6, np.arange(n_clips) % 6, size, clip_frames, seed=1)
    with StoreWriter(root / "store", [str(i) for i in range(6)], size, resume=False) as writer:
        for n, video in enumerate(videos):
            writer.add(video, n % 6, n // 6, source=f"clip{n}")
    folders = []
    for n, video in enumerate(videos):
        folder = root / "jpeg" / f"take{n:04d}"
        folder.mkdir(parents=True)
        for t, frame in enumerate(video):
            cv2.imwrite(str(folder / f"img_{t:04d}.jpg"), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
        folders.append(folder)
    return root / "store", folders


def load_official_style(folder: Path, frames: int, size: int, rng: np.random.Generator) -> torch.Tensor:
    """Official-loader style: open each of `frames` JPEGs (PIL), resize, to tensor, normalise. (3, T, H, W)."""
    from PIL import Image

    files = sorted(folder.iterdir())
    start = int(rng.integers(0, len(files) - frames + 1))
    tensors = []
    for path in files[start:start + frames]:
        with Image.open(path) as image:
            image = image.convert("RGB").resize((size, size), Image.BILINEAR)
            tensor = torch.from_numpy(np.array(image, dtype=np.uint8)).permute(2, 0, 1).float().div(255)
        tensors.append((tensor - 0.5) / 0.5)
    return torch.stack(tensors, dim=1)


def clips_per_second_jpeg(folders, n_batches: int, batch: int, frames: int, size: int) -> tuple[float, float]:
    """(clips per wall second, clips per CPU second) of the official-style JPEG path."""
    rng = np.random.default_rng(0)
    with Timer() as timer:
        for b in range(n_batches):
            chosen = rng.integers(0, len(folders), batch)
            torch.stack([load_official_style(folders[i], frames, size, rng) for i in chosen])
    return n_batches * batch / timer.wall, n_batches * batch / timer.cpu


def clips_per_second_store(store: Path, n_batches: int, batch: int, frames: int,
                           reuse: bool) -> tuple[float, float]:
    """(clips per wall second, clips per CPU second) of ClipDataset.get_batch on random clips.

    reuse=True passes one persistent output tensor (the training-loop path of iterate_batches
    with reuse_buffer=True); reuse=False allocates a fresh (B, 3, T, H, W) tensor per batch.
    """
    dataset = ClipDataset(store, "train", frames=frames, seed=0)
    rng = np.random.default_rng(0)
    size = dataset.image_size
    out = torch.empty((batch, 3, frames, size, size)) if reuse else None
    with Timer() as timer:
        for _ in range(n_batches):
            dataset.get_batch(rng.integers(0, len(dataset), batch), window_rng=rng, out=out)
    return n_batches * batch / timer.wall, n_batches * batch / timer.cpu


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="benchmarks/results/data.json", help="JSON results file")
    parser.add_argument("--quick", action="store_true", help="smaller run (200 clips, fewer batches)")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    n_render = 200 if args.quick else 1000
    n_source, n_batches, jpeg_batches = (128, 8, 1) if args.quick else (320, 40, 3)
    size, frames, batch = 64, 32, 64

    render_faces([0], [0], 32, 4)  # warm-up (imports, caches)
    faces_t = time_rendering(render_faces, n_render, size, frames)
    actions_t = time_rendering(render_actions, n_render, size, frames)
    with tempfile.TemporaryDirectory() as tmp:
        store, folders = build_sources(Path(tmp), n_source, 48, size)
        clips_per_second_store(store, 1, batch, frames, True)  # warm the page cache
        store_fresh = clips_per_second_store(store, n_batches, batch, frames, reuse=False)
        store_reuse = clips_per_second_store(store, n_batches, batch, frames, reuse=True)
        jpeg = clips_per_second_jpeg(folders, jpeg_batches, batch, frames, size)

    per_1000 = 1000 / n_render
    results = dict(
        machine=dict(platform=platform.platform(), processor=platform.processor(), python=platform.python_version(),
                     torch=torch.__version__, threads=torch.get_num_threads(), cpus=os.cpu_count()),
        quick=args.quick,
        note="wall = elapsed seconds; cpu = process CPU seconds (robust when other jobs share the cores)",
        rendering={"clips": n_render, "shape": [frames, size, size, 3],
                   "faces_wall_s_per_1000": round(faces_t.wall * per_1000, 2),
                   "faces_cpu_s_per_1000": round(faces_t.cpu * per_1000, 2),
                   "actions_wall_s_per_1000": round(actions_t.wall * per_1000, 2),
                   "actions_cpu_s_per_1000": round(actions_t.cpu * per_1000, 2)},
        loading={"batch": batch, "window": frames, "clip_frames": 48, "size": size,
                 "store_clips_per_s": {"wall": round(store_fresh[0], 1), "cpu": round(store_fresh[1], 1)},
                 "store_reuse_buffer_clips_per_s": {"wall": round(store_reuse[0], 1), "cpu": round(store_reuse[1], 1)},
                 "jpeg_official_style_clips_per_s": {"wall": round(jpeg[0], 1), "cpu": round(jpeg[1], 1)}},
    )
    rows = [
        (f"render faces, per 1000 clips {frames}x{size}x{size}", f"{faces_t.wall * per_1000:.1f} s", f"{faces_t.cpu * per_1000:.1f} s"),
        (f"render actions, per 1000 clips {frames}x{size}x{size}", f"{actions_t.wall * per_1000:.1f} s", f"{actions_t.cpu * per_1000:.1f} s"),
        ("store: random 32-frame windows, batch 64 (clips/s)", f"{store_fresh[0]:.0f}", f"{store_fresh[1]:.0f}"),
        ("store: same, reuse_buffer=True (clips/s)", f"{store_reuse[0]:.0f}", f"{store_reuse[1]:.0f}"),
        ("per-frame JPEG, PIL, official style (clips/s)", f"{jpeg[0]:.0f}", f"{jpeg[1]:.0f}"),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"data benchmark, 1 thread, {os.cpu_count()} cpus ({platform.processor() or platform.machine()})")
    print(f"  {'':<{width}}  {'wall':>8}  {'cpu':>8}")
    for name, wall, cpu in rows:
        print(f"  {name:<{width}}  {wall:>8}  {cpu:>8}")
    print(f"  store vs JPEG (cpu): {store_fresh[1] / jpeg[1]:.0f}x fresh, {store_reuse[1] / jpeg[1]:.0f}x reuse_buffer")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
