"""Benchmarks: GAN train-step throughput with achieved GFLOP/s, (1+2)D vs 3D blocks, generation latency.

    python benchmarks/bench_train.py --quick                 # CPU, small sizes, a minute or two
    python benchmarks/bench_train.py --device cuda           # adds the CUDA path (batch 64, bf16, channels_last, compile)
    python benchmarks/bench_train.py --sections blocks,generate
    python benchmarks/bench_train.py --sections official     # the official networks in the official loop vs ours
    python benchmarks/bench_train.py --sections warp         # a warp training step against a paint one (issue 24)

Each section prints a table and writes JSON to benchmarks/results/<section>.json.
Timings on a shared machine are noisy: compare numbers from the same run only.
"""
from __future__ import annotations

import argparse
import functools
import platform
import statistics
import sys
import time
import warnings
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from imaginator_lite.atomic import write_json  # noqa: E402
from imaginator_lite.models.blocks import make_up_block  # noqa: E402
from imaginator_lite.models.config import ModelConfig, UpBlockSpec  # noqa: E402
from imaginator_lite.device import cpu_native_bf16, resolve_device, resolve_precision  # noqa: E402
from imaginator_lite.models.generator import Generator  # noqa: E402
from imaginator_lite.training import Trainer, TrainConfig  # noqa: E402
from imaginator_lite.training.step_timing import RandomClips, interleaved_step_times  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(fn, device: torch.device, repeats: int, warmup: int = 1) -> list[float]:
    """Wall-clock seconds of `repeats` calls after `warmup` calls."""
    for _ in range(warmup):
        fn()
    _sync(device)
    out = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        _sync(device)
        out.append(time.perf_counter() - t)
    return out


def matmul_peak(device: torch.device, dtype: torch.dtype, n: int, repeats: int = 3) -> float:
    """Achieved GFLOP/s of an n x n torch.mm (2 n^3 FLOPs), best of `repeats`."""
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    best = min(timed(lambda: torch.mm(a, b), device, repeats))
    return 2 * n ** 3 / best / 1e9


def count_flops(fn) -> int:
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter:
        fn()
    return int(counter.get_total_flops())


def write(section: str, rows: list[dict], meta: dict, folder: Path = RESULTS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return write_json(folder / f"{section}.json", {"meta": meta, "rows": rows})


def print_table(title: str, rows: list[dict], columns: list[str]) -> None:
    print(f"\n== {title}")
    widths = [max(len(c), *(len(_fmt(r.get(c))) for r in rows)) for c in columns]
    print("  ".join(c.rjust(w) for c, w in zip(columns, widths)))
    for r in rows:
        print("  ".join(_fmt(r.get(c)).rjust(w) for c, w in zip(columns, widths)))


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return "-" if v is None else str(v)


# ----------------------------------------------------------------------------- sections

def bench_train(device: torch.device, quick: bool, meta: dict, cuda_path: bool) -> list[dict]:
    """Full GAN step (G step + D step) videos/s and achieved GFLOP/s, per preset and precision."""
    rows = []
    peaks = {"fp32": matmul_peak(device, torch.float32, 1024 if quick else 2048)}
    try:
        peaks["bf16"] = matmul_peak(device, torch.bfloat16, 1024 if quick else 2048)
    except RuntimeError:
        peaks["bf16"] = None
    meta["matmul_peak_gflops"] = peaks
    cases = [("small", 32, "fp32"), ("small", 32, "bf16"), ("paper", 8, "fp32"), ("paper", 8, "bf16")]
    if quick:
        cases = [("small", 16, "fp32"), ("small", 16, "bf16"), ("paper", 2, "fp32"), ("paper", 2, "bf16")]
    options = [dict()]
    if cuda_path and device.type == "cuda":
        cases += [("paper", 64, "bf16")]
        options = [dict(), dict(channels_last=True, compile=True)]
    for preset, batch, precision in cases:
        for opt in options if (preset, batch) == ("paper", 64) else [dict()]:
            cfg = ModelConfig.preset(preset)
            data = RandomClips(cfg, batch)
            with warnings.catch_warnings():  # emulated bf16 is measured here on purpose
                warnings.simplefilter("ignore", RuntimeWarning)
                trainer = Trainer(cfg, TrainConfig(steps=1, batch_size=batch, device=str(device), precision=precision,
                                                   out_dir=None, progress=False, **opt), data)
            videos, labels = data.get_batch(list(range(batch)))
            step = functools.partial(trainer.train_step, videos, labels)
            flops = count_flops(step) if not opt.get("compile") else None
            times = timed(step, device, repeats=2 if quick or preset == "paper" else 5, warmup=1)
            sec = statistics.median(times)
            gflops = flops / sec / 1e9 if flops else None
            rows.append(dict(preset=preset, batch=batch, precision=precision,
                             options="+".join(k for k, v in opt.items() if v) or "-",
                             step_s=sec, videos_per_s=batch / sec, gflop_per_step=(flops or 0) / 1e9 or None,
                             achieved_gflops=gflops,
                             pct_of_matmul_peak=100 * gflops / peaks[precision] if gflops and peaks.get(precision) else None))
            print_table("train step", rows[-1:], list(rows[-1]))
            del trainer
    return rows


def interleaved_steps(configs: dict[str, ModelConfig], device: torch.device, rounds: int,
                      batch: int = 8) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Wall-clock and process CPU seconds per step of each config, interleaved (the library's interleaved_step_times)."""
    times = interleaved_step_times(configs, device, rounds, batch)
    return {k: t["wall"] for k, t in times.items()}, {k: t["cpu"] for k, t in times.items()}


def _ratio_rows(wall: dict, cpu: dict, reference: str, key: str, rounds: int, batch: int) -> list[dict]:
    """One row per config (median and least step seconds, median CPU seconds), then each one's ratios to `reference`."""
    med = {k: statistics.median(v) for k, v in wall.items()}
    med_cpu = {k: statistics.median(v) for k, v in cpu.items()}
    rows = [dict(preset="small", batch=batch, precision="fp32", **{key: o}, step_s=med[o], min_step_s=min(wall[o]),
                 cpu_s=med_cpu[o], steps=rounds) for o in wall]
    for name in wall:
        if name != reference:
            rows.append(dict(preset="small", batch=batch, precision="fp32", **{key: f"{name} / {reference}"},
                             step_s=med[name] / med[reference], min_step_s=min(wall[name]) / min(wall[reference]),
                             cpu_s=med_cpu[name] / med_cpu[reference], steps=rounds))
    return rows


def bench_warp(device: torch.device, quick: bool, meta: dict) -> list[dict]:
    """Warp training steps (output='warp', and 'tps', the thin-plate spline) against a paint one: the small preset,
    batch 8, fp32, the same random batch, steps interleaved (interleaved_steps). Wall-clock and process CPU seconds
    per step (on a shared CPU the CPU time, best with --threads 1, is the steadier measure of the work). Targets:
    warp / paint <= 1.15 (issue 24), tps / paint <= 1.3 (issue 29)."""
    batch, rounds = 8, 4 if quick else 10
    cfg = ModelConfig.preset("small")
    wall, cpu = interleaved_steps({o: cfg.replace(output=o) for o in ("paint", "warp", "tps")}, device, rounds, batch)
    rows = _ratio_rows(wall, cpu, "paint", "output", rounds, batch)
    print_table("warp and tps vs paint train step (ratio row: of the medians, the minima and the CPU times)", rows, list(rows[0]))
    return rows


def _saved_bytes(fn) -> int:
    """Bytes of tensors autograd saves for backward during fn() (activation memory)."""
    total = 0

    def pack(t):
        nonlocal total
        total += t.numel() * t.element_size()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        fn()
    return total


def bench_blocks(device: torch.device, quick: bool, meta: dict) -> list[dict]:
    """(1+2)D vs full 3D transposed block at matched parameters, and the whole small generator both ways."""
    rows = []
    batch = 4 if quick else 16
    from imaginator_lite.models.blocks import matched_width
    # a decoder-like block: 262 -> 64 channels, (t, d) = (4, 4), 8x8x8 -> 16x16x16 (the SPEC's example)
    for n_in, n_out, size in ((262, 64, 8), (134, 32, 16)):
        spec = UpBlockSpec(n_in, matched_width(n_in, n_out, 4, 4), n_out, 4, 2, 1, 4, 2, 1, False)
        x = torch.randn(batch, n_in, size, size, size, device=device)
        for kind in ("1+2d", "3d"):
            block = make_up_block(spec, kind).to(device)
            params = sum(p.numel() for p in block.parameters())

            def fwd_bwd():
                block(x).sum().backward()

            if device.type == "cuda":
                torch.cuda.reset_peak_memory_stats(device)
            sec = statistics.median(timed(fwd_bwd, device, repeats=3 if quick else 10))
            row = dict(case=f"block {n_in}->{n_out} @{size}^3 B{batch}", block=kind, params=params,
                       mid=spec.mid_channels if kind == "1+2d" else None, fwd_bwd_ms=1000 * sec,
                       saved_activation_MB=_saved_bytes(lambda: block(x)) / 2 ** 20)
            if device.type == "cuda":
                row["peak_cuda_MB"] = torch.cuda.max_memory_allocated(device) / 2 ** 20
            rows.append(row)
    for kind in ("1+2d", "3d"):
        cfg = ModelConfig.preset("small", block=kind)
        G = Generator(cfg).to(device)
        image = torch.randn(batch, 3, 32, 32, device=device)
        z, label = torch.randn(batch, cfg.dim_z, device=device), torch.zeros(batch, dtype=torch.long, device=device)

        def fwd_bwd():
            G(image, z, label).sum().backward()

        sec = statistics.median(timed(fwd_bwd, device, repeats=3 if quick else 10))
        rows.append(dict(case=f"small generator B{batch}", block=kind, params=sum(p.numel() for p in G.parameters()),
                         fwd_bwd_ms=1000 * sec, saved_activation_MB=_saved_bytes(lambda: G(image, z, label)) / 2 ** 20))
    print_table("(1+2)D vs 3D", rows, ["case", "block", "params", "mid", "fwd_bwd_ms", "saved_activation_MB"])
    return rows


@torch.no_grad()
def bench_generate(device: torch.device, quick: bool, meta: dict) -> list[dict]:
    """Latency of generating one video (batch 1, eval mode); the warp row animates a 256-px photo crop with a `small`
    warp model (G.animate: fields at the model's size, upsampled and applied to the photo; issue 24's <1 s goal), and
    the same with the thin-plate-spline head (issue 29's goal: under 100 ms)."""
    rows = []
    for preset, output, photo in (("small", "paint", None), ("paper", "paint", None), ("small", "warp", 256),
                                  ("small", "tps", 256)):
        cfg = ModelConfig.preset(preset, output=output)
        G = Generator(cfg).to(device).eval()
        size = photo or cfg.image_size
        image = torch.rand(1, 3, size, size, device=device) * 2 - 1
        z, label = torch.randn(1, cfg.dim_z, device=device), torch.tensor([4], device=device)
        run = (lambda: G.animate(image, z, label)) if photo else (lambda: G(image, z, label))
        times = timed(run, device, repeats=3 if quick else 10, warmup=2)
        rows.append(dict(preset=preset, output=output, video=f"{cfg.frames}x{size}x{size}",
                         params=sum(p.numel() for p in G.parameters()), median_ms=1000 * statistics.median(times),
                         min_ms=1000 * min(times)))
    print_table("generate one video", rows, list(rows[0]))
    return rows


def official_step(nets: dict, optimizers: dict, videos: torch.Tensor, onehot: torch.Tensor) -> None:
    """One step of the official trainer's loop: fp32, G on L1 x 100 + BCE of D_V and D_I, then D_V and D_I."""
    bce, G, VD, ID = torch.nn.functional.binary_cross_entropy_with_logits, nets["G"], nets["D_V"], nets["D_I"]
    z = torch.randn(videos.shape[0], 512, device=videos.device)  # the official dim_z
    fake = G(videos[:, :, 0], z, onehot)
    t = int(torch.randint(videos.shape[2], ()))
    vd, id_ = VD(fake, onehot), ID(fake[:, :, t])
    loss_g = 100 * (fake - videos).abs().mean() + bce(vd, torch.ones_like(vd)) + bce(id_, torch.ones_like(id_))
    optimizers["G"].zero_grad()
    loss_g.backward()
    optimizers["G"].step()
    fake = fake.detach()
    real_v, fake_v = VD(videos, onehot), VD(fake, onehot)
    real_i, fake_i = ID(videos[:, :, t]), ID(fake[:, :, t])
    loss_d = (bce(real_v, torch.ones_like(real_v)) + bce(fake_v, torch.zeros_like(fake_v))
              + bce(real_i, torch.ones_like(real_i)) + bce(fake_i, torch.zeros_like(fake_i)))
    optimizers["D_V"].zero_grad()
    optimizers["D_I"].zero_grad()
    loss_d.backward()
    optimizers["D_V"].step()
    optimizers["D_I"].step()


def bench_official(device: torch.device, quick: bool, meta: dict) -> list[dict]:
    """The `paper` preset: the official networks in the official loop (fp32) against ours, side by side in videos/s
    (on CUDA also ours with bf16 + channels_last + compile, batch 64)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from official_reference import RefGenerator, RefImageDiscriminator, RefVideoDiscriminator

    batch = 64 if device.type == "cuda" else (2 if quick else 4)
    cfg = ModelConfig.preset("paper")
    data = RandomClips(cfg, batch)
    videos, labels = (t.to(device) for t in data.get_batch(list(range(batch))))
    repeats = 2 if quick else 5
    nets = {"G": RefGenerator(), "D_V": RefVideoDiscriminator(), "D_I": RefImageDiscriminator()}
    nets = {k: m.to(device).train() for k, m in nets.items()}
    optimizers = {k: torch.optim.Adam(m.parameters(), lr=2e-4, betas=(0.5, 0.999)) for k, m in nets.items()}
    onehot = torch.nn.functional.one_hot(labels, cfg.n_classes).float()
    official = statistics.median(timed(lambda: official_step(nets, optimizers, videos, onehot), device, repeats))
    rows = [dict(implementation="official networks, official loop", precision="fp32", options="-", batch=batch,
                 step_s=official, videos_per_s=batch / official, speedup=1.0)]
    del nets, optimizers
    ours = [("fp32", {})] + ([("bf16", dict(channels_last=True, compile=True))] if device.type == "cuda" else [])
    for precision, opt in ours:
        trainer = Trainer(cfg, TrainConfig(steps=1, batch_size=batch, device=str(device), precision=precision,
                                           out_dir=None, progress=False, **opt), data)
        sec = statistics.median(timed(lambda: trainer.train_step(videos, labels), device, repeats,
                                      warmup=3 if opt.get("compile") else 1))
        rows.append(dict(implementation="imaginator-lite", precision=precision,
                         options="+".join(k for k, v in opt.items() if v) or "-", batch=batch, step_s=sec,
                         videos_per_s=batch / sec, speedup=official / sec))
        del trainer
    print_table("paper preset: official vs ours", rows, list(rows[0]))
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller batches and fewer repeats")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--sections", default="train,blocks,generate,official")
    parser.add_argument("--results", default=str(RESULTS), help="folder of the JSON results (default benchmarks/results)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    meta = dict(device=str(device), torch=torch.__version__, python=platform.python_version(),
                cpu=platform.processor() or platform.machine(), threads=torch.get_num_threads(), quick=args.quick,
                cpu_capability=torch.backends.cpu.get_cpu_capability(), cpu_native_bf16=cpu_native_bf16(),
                precision_auto=resolve_precision("auto", device),
                cuda_name=torch.cuda.get_device_name(device) if device.type == "cuda" else None,
                time=time.strftime("%Y-%m-%d %H:%M:%S"))
    print(f"CPU ISA {meta['cpu_capability']}; native bf16 (AVX512-BF16/AMX): {'yes' if meta['cpu_native_bf16'] else 'no'}; "
          f"precision 'auto' on {device} trains in {meta['precision_auto']}")
    sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    for section in sections:
        if section == "train":
            rows = bench_train(device, args.quick, meta, cuda_path=True)
        elif section == "blocks":
            rows = bench_blocks(device, args.quick, meta)
        elif section == "generate":
            rows = bench_generate(device, args.quick, meta)
        elif section == "official":
            rows = bench_official(device, args.quick, meta)
        elif section == "warp":
            rows = bench_warp(device, args.quick, meta)
        else:
            parser.error(f"unknown section {section!r}; use train, blocks, generate, official, warp")
        print(f"wrote {write(section, rows, meta, Path(args.results))}")
    if device.type != "cuda":
        print("\nCUDA path (batch 64, bf16 + channels_last + compile) skipped: no CUDA device; "
              "run with --device cuda on a GPU machine.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
