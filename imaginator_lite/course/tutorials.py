"""The tutorials as files: find them (a checkout, ./notebooks or an installed wheel), choose some, and execute
them headless with papermill (`imaginator-lite notebooks` and the course site call this)."""
from __future__ import annotations

import time
from pathlib import Path

from tqdm.auto import tqdm

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
    import papermill as pm  # deferred, import cost: Jupyter's execution machinery, only for running notebooks

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
