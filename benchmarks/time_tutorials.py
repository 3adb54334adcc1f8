"""Each tutorial's quick-mode time, cell by cell: the measurement behind `imaginator-lite course grade`'s
default per-cell time limits (imaginator_lite.course.grading.default_timeouts).

    python benchmarks/time_tutorials.py                  # every tutorial natively, then as the AVX2 class
    python benchmarks/time_tutorials.py --classes native  # natively only
    python benchmarks/time_tutorials.py --classes native --only 07,08  # only these; the others' records stay

Executes notebooks/NN_*.ipynb with papermill in quick mode (QUICK=True, every output path in a temp folder,
one intra-op thread: OMP_NUM_THREADS=1, as the test suite runs them), reads the duration papermill records
for each cell, and writes imaginator_lite/course/tutorial_times.json (it ships in the wheel): per CPU class and
notebook the total, the slowest cell (its index in the committed notebook and first line) and every code
cell's seconds, the notebook's sha256 (first 16 hex digits) as measured, plus the machine it ran on. On an AVX-512 machine the AVX2 class is emulated with
ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2 MKL_ENABLE_INSTRUCTIONS=AVX2 (as .ci/run and
bench_cross_isa.py do); on an AVX2 machine `native` is that class already. Timings on a shared machine are
noisy, and a busy core makes them longer (so the limits derived from them roomier), never shorter.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from imaginator_lite.atomic import write_text  # noqa: E402

OUT = ROOT / "imaginator_lite" / "course" / "tutorial_times.json"
AVX2_CLASS = {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2", "MKL_ENABLE_INSTRUCTIONS": "AVX2"}


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def first_line(source: str) -> str:
    """The cell's first line that says something (not an nbval marker), shortened: names the cell in the JSON."""
    lines = [line for line in source.splitlines() if line.strip() and not line.startswith("# NBVAL")]
    return lines[0][:80] if lines else ""


def measure(books: list[Path], out: Path) -> None:
    """In this process's environment: execute `books` in quick mode and write {notebook: timings} to `out`."""
    import nbformat
    import torch

    from imaginator_lite.course.tutorials import execute_notebooks
    from nbtools import quick_params

    digests = {b.stem: hashlib.sha256(b.read_bytes()).hexdigest()[:16] for b in books}
    with tempfile.TemporaryDirectory(prefix="time-tutorials-") as tmp:
        results = execute_notebooks(books, Path(tmp) / "executed", quick_params(books, Path(tmp)), progress=False)
        changed = [b.name for b in books if hashlib.sha256(b.read_bytes()).hexdigest()[:16] != digests[b.stem]]
        if changed:
            raise SystemExit(f"{', '.join(changed)} changed while being measured: run this again")
        timings = {}
        for book in books:
            r = results[book.name]
            if not r["ok"]:
                raise SystemExit(f"{book.name} failed in quick mode:\n{r['error']}")
            executed = nbformat.read(Path(tmp) / "executed" / book.name, as_version=4)
            cells = [c for c in executed.cells if "injected-parameters" not in c.metadata.get("tags", [])]
            seconds = {i: round(float(c.metadata.get("papermill", {}).get("duration") or 0.0), 2)
                       for i, c in enumerate(cells) if c.cell_type == "code"}
            slowest = max(seconds, key=seconds.get)
            timings[book.stem] = dict(sha256=digests[book.stem], total_s=round(r["seconds"], 1), cells_s=round(sum(seconds.values()), 1),
                                      slowest_cell_s=seconds[slowest], slowest_cell=slowest,
                                      slowest_cell_starts=first_line(cells[slowest].source),
                                      code_cells_s={str(i): s for i, s in seconds.items()})
            print(f"  {book.name:40s} total {r['seconds']:6.1f}s  slowest cell {slowest:3d}: {seconds[slowest]:6.1f}s",
                  flush=True)
    write_text(out, json.dumps(dict(isa=torch.backends.cpu.get_cpu_capability(), torch=torch.__version__,
                                   notebooks=timings)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--classes", default="native,avx2", help="comma-separated: native, avx2 (default both)")
    parser.add_argument("--out", default=str(OUT), help=f"the JSON to write (default {OUT.relative_to(ROOT)})")
    parser.add_argument("--only", default="", help="comma-separated notebook numbers (07,08): measure only these and "
                                                      "keep the other notebooks' records of each class")
    parser.add_argument("--measure", default=None, help=argparse.SUPPRESS)  # the child process: write here
    args = parser.parse_args()
    from nbtools import tutorial_paths

    only = {n.strip() for n in args.only.split(",") if n.strip()}
    books = [b for b in tutorial_paths() if not only or b.stem[:2] in only]
    if only and len(books) != len(only):
        parser.error(f"--only {args.only}: no such notebook among {', '.join(b.stem[:2] for b in tutorial_paths())}")
    if args.measure:
        measure(books, Path(args.measure))
        return 0
    import torch

    native = torch.backends.cpu.get_cpu_capability()
    classes = {}
    for name in [c.strip() for c in args.classes.split(",") if c.strip()]:
        if name == "avx2" and not native.startswith("AVX512"):
            print(f"native is {native}: `native` already is the AVX2 class (or slower); skipping the emulation")
            continue
        extra = {"OMP_NUM_THREADS": "1", **(AVX2_CLASS if name == "avx2" else {})}
        print(f"== {name} ({' '.join(f'{k}={v}' for k, v in extra.items())})", flush=True)
        with tempfile.TemporaryDirectory() as tmp:
            start, load = time.perf_counter(), os.getloadavg()[0]
            done = subprocess.run([sys.executable, __file__, "--measure", f"{tmp}/t.json", "--only", args.only],
                                  env=dict(os.environ, **extra), cwd=ROOT)
            if done.returncode:
                print(f"the {name} measurement failed (see above); {args.out} not written", file=sys.stderr)
                return 1
            got = json.loads(Path(f"{tmp}/t.json").read_text())
        key = got["isa"] + ("" if name == "native" else " (emulated)")
        classes[key] = dict(how="native" if name == "native" else "emulated on this machine: " +
                            " ".join(f"{k}={v}" for k, v in AVX2_CLASS.items()),
                            env=" ".join(f"{k}={v}" for k, v in extra.items()), torch=got["torch"],
                            load_average_at_start=round(load, 2), wall_s=round(time.perf_counter() - start),
                            notebooks=got["notebooks"])
    if only:  # the other notebooks keep their records; each measured one says when
        old = json.loads(Path(args.out).read_text())
        for key, entry in classes.items():
            if key not in old["classes"]:
                parser.error(f"--only needs an earlier record of {key} in {args.out}: measure every notebook first")
            for stem, timing in entry["notebooks"].items():
                old["classes"][key]["notebooks"][stem] = dict(timing, measured=time.strftime("%Y-%m-%d"))
            old["classes"][key]["notebooks"] = dict(sorted(old["classes"][key]["notebooks"].items()))
        out = write_text(args.out, json.dumps(old, indent=2) + "\n")
        print(f"wrote {out} ({', '.join(sorted(only))} only)")
        return 0
    record = dict(
        what="each tutorial's quick-mode time (papermill, QUICK=True), per CPU class: the total and the slowest "
             "cell; imaginator_lite.course.grading.default_timeouts derives `course grade`'s per-cell limits from it",
        command="python benchmarks/time_tutorials.py",
        machine=dict(cpu=cpu_name(), native_isa=native, cores=os.cpu_count(), platform=platform.platform(),
                     note="a 2-core machine shared with other jobs: timings are noisy, and a busy core only makes "
                          "them longer"),
        measured=time.strftime("%Y-%m-%d"),
        classes=classes)
    out = write_text(args.out, json.dumps(record, indent=2) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
