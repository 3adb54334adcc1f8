"""`imaginator-lite notebooks`: execute the tutorials headless with papermill (quick mode by default)."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ..defaults import NOTEBOOKS_DIR

#: The tutorials inside an installed wheel (setup.py copies notebooks/ there when it builds one).
PACKAGED_TUTORIALS = Path(__file__).resolve().parents[1] / "tutorials"


def find_notebooks_dir(path: str | None = None) -> Path:
    """The tutorials folder: `path`, else ./notebooks, else the checkout's beside the package (an editable
    install), else the copy inside an installed wheel."""
    candidates = [Path(path)] if path else [Path.cwd() / "notebooks", Path(__file__).resolve().parents[2] / "notebooks",
                                            PACKAGED_TUTORIALS]
    for c in candidates:
        if c.is_dir() and any(c.glob("[0-9][0-9]_*.ipynb")):
            return c.resolve()
    raise FileNotFoundError(
        "no tutorials found (looked in " + ", ".join(str(c) for c in candidates) + "); pass --notebooks-dir"
    )


def select_notebooks(folder: Path, only: list[str] | None = None) -> list[Path]:
    """Numbered notebooks in `folder`, optionally only those whose name starts with one of `only`."""
    books = sorted(folder.glob("[0-9][0-9]_*.ipynb"))
    if only:
        keys = [k.strip() for item in only for k in item.split(",") if k.strip()]
        chosen = [b for b in books if any(b.name.startswith(k) or b.stem == k for k in keys)]
        missing = [k for k in keys if not any(b.name.startswith(k) or b.stem == k for b in books)]
        if missing:
            raise ValueError(f"no notebook matches {', '.join(missing)}; have {', '.join(b.name for b in books)}")
        books = chosen
    return books


def describe_failure(exc: BaseException) -> str:
    """A short report of a papermill execution error: cell number, exception and the cell's source."""
    cell = getattr(exc, "cell_index", None)
    ename, evalue = getattr(exc, "ename", type(exc).__name__), getattr(exc, "evalue", str(exc))
    lines = [f"  failing cell: {cell}" if cell is not None else "  (failed before any cell ran)",
             f"  error: {ename}: {evalue}"]
    source = getattr(exc, "source", None)
    if source:
        lines.append("  cell source:")
        lines += ["    | " + line for line in source.splitlines()[:25]]
    return "\n".join(lines)


def execute_notebooks(books: list[Path], out_dir: Path, parameters: dict, kernel_name: str = "python3",
                  timeout: int | None = None, progress: bool = True) -> dict[str, dict]:
    """Execute each notebook with papermill into out_dir (cwd = its folder); returns name -> {ok, seconds, error}."""
    import papermill as pm
    from tqdm.auto import tqdm

    out_dir.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict] = {}
    bar = tqdm(books, desc="notebooks", unit="nb", disable=not progress)
    for book in bar:
        bar.set_postfix_str(book.name)
        start = time.perf_counter()
        try:
            pm.execute_notebook(str(book), str(out_dir / book.name), parameters=parameters,
                                kernel_name=kernel_name, cwd=str(book.parent), progress_bar=False,
                                execution_timeout=timeout)
            results[book.name] = dict(ok=True, seconds=time.perf_counter() - start, error=None)
        except Exception as exc:  # papermill raises PapermillExecutionError with the failing cell
            results[book.name] = dict(ok=False, seconds=time.perf_counter() - start, error=describe_failure(exc))
            bar.write(f"FAILED {book.name} after {results[book.name]['seconds']:.0f}s\n{results[book.name]['error']}")
    return results


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
