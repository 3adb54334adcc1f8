"""`imaginator-lite notebooks`: execute the tutorials headless with papermill (quick mode by default)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..course.tutorials import execute_notebooks, find_notebooks_dir, select_notebooks
from ..defaults import NOTEBOOKS_DIR


def run_notebooks(args: argparse.Namespace) -> int:
    folder = find_notebooks_dir(args.notebooks_dir)
    books = select_notebooks(folder, args.only)
    parameters = {"QUICK": not args.full}
    print(f"running {len(books)} notebook(s) from {folder} in {'full' if args.full else 'quick'} mode -> {args.out}")
    results = execute_notebooks(books, Path(args.out), parameters, args.kernel, args.timeout)
    for name, r in results.items():
        print(f"  {'ok    ' if r['ok'] else 'FAILED'} {name:40s} {r['seconds']:7.1f}s")
    failed = [n for n, r in results.items() if not r["ok"]]
    if failed:
        print(f"{len(failed)} notebook(s) failed: {', '.join(failed)} (executed copies with the error are in {args.out})",
              file=sys.stderr)
        return 1
    return 0


def register(sub) -> None:
    """Add `imaginator-lite notebooks` to the `imaginator-lite` parser."""
    p = sub.add_parser("notebooks", help="execute the tutorials with papermill (quick mode unless --full)",
                       description="Execute notebooks/NN_*.ipynb with papermill into --out; QUICK=True unless --full.")
    p.add_argument("--full", action="store_true", help="full mode (QUICK=False): the GPU configuration")
    p.add_argument("--out", default=NOTEBOOKS_DIR, help=f"folder for the executed notebooks (default {NOTEBOOKS_DIR})")
    p.add_argument("--only", action="append", metavar="NN",
                   help="run only notebooks starting with NN (repeat or comma-separate, e.g. --only 02,03)")
    p.add_argument("--notebooks-dir", default=None, help="folder holding the tutorials (default ./notebooks)")
    p.add_argument("--kernel", default="python3", help="Jupyter kernel name (default python3: this interpreter)")
    p.add_argument("--timeout", type=int, default=None, help="per-cell timeout in seconds (default none)")
    p.set_defaults(func=run_notebooks)
