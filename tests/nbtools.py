"""Notebook housekeeping for the tutorials: strip outputs (keeping the nbval-checked cells) and refresh them.

    python tests/nbtools.py strip   notebooks/*.ipynb   # drop outputs except `# NBVAL_CHECK_OUTPUT` cells
    python tests/nbtools.py refresh notebooks/*.ipynb   # execute (quick mode) so checked cells get fresh
                                                        # outputs, then strip everything else
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path

import nbformat

CHECK_MARK = "# NBVAL_CHECK_OUTPUT"
IGNORE_MARK = "# NBVAL_IGNORE_OUTPUT"
NOTEBOOKS_DIR = Path(__file__).resolve().parents[1] / "notebooks"


def tutorial_paths() -> list[Path]:
    """notebooks/NN_*.ipynb in order."""
    return sorted(NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))


def readme_papermill_commands() -> list[str]:
    """The README's `papermill ...` command lines (test_docs runs each as written, full mode with its sizes cut)."""
    text = (NOTEBOOKS_DIR.parent / "README.md").read_text()
    return [line.strip() for line in text.splitlines() if line.strip().startswith("papermill ")]


def readme_full_mode_notebooks() -> set[str]:
    """Names of the notebooks the README's papermill commands run in full mode."""
    return {Path(word).name for line in readme_papermill_commands() if "QUICK False" in line
            for word in line.split() if word.startswith("notebooks/") and word.endswith(".ipynb")}


def is_checked(cell) -> bool:
    """A code cell whose committed output nbval must reproduce (comment mark or `nbval-check-output` tag)."""
    return cell.cell_type == "code" and (
        cell.source.lstrip().startswith(CHECK_MARK) or "nbval-check-output" in cell.metadata.get("tags", []))


def parameters_cell(nb):
    """The first code cell, which must be tagged `parameters` (papermill)."""
    code = [c for c in nb.cells if c.cell_type == "code"]
    if not code or "parameters" not in code[0].metadata.get("tags", []):
        raise ValueError("the first code cell must be tagged 'parameters'")
    return code[0]


def parameters(nb) -> dict:
    """{name: literal value} of the parameters cell; ValueError if anything but `NAME = literal` appears."""
    out = {}
    for node in ast.parse(parameters_cell(nb).source).body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
            raise ValueError(f"parameters cell may only hold `NAME = literal` lines, found: {ast.unparse(node)}")
        try:
            out[node.targets[0].id] = ast.literal_eval(node.value)
        except ValueError:
            raise ValueError(f"parameter {node.targets[0].id} is not a literal: {ast.unparse(node.value)}") from None
    return out


def output_overrides(declared: dict, tmp: Path) -> dict:
    """Quick mode, and every output path inside `tmp` (never the repository's runs/)."""
    wanted = {"QUICK": True, "DATA_DIR": str(tmp / "data"), "RUNS_DIR": str(tmp / "runs"),
              "OUT_DIR": str(tmp / "generate"), "TOUR_CHECKPOINT": str(tmp / "no-tour" / "checkpoint.pt"),
              "NOTEBOOK04_CHECKPOINT": str(tmp / "runs" / "train_quick" / "checkpoint.pt"),
              "FULL_NOTEBOOK04_CHECKPOINT": str(tmp / "runs" / "train_full" / "checkpoint.pt")}
    return {k: v for k, v in wanted.items() if k in declared}


def quick_params(books: list[Path], tmp: Path) -> dict:
    """Quick mode and every output path in `tmp`, for all of `books` at once."""
    declared = {name: None for b in books for name in parameters(nbformat.read(b, as_version=4))}
    return output_overrides(declared, tmp)


def strip(nb):
    """Remove outputs and execution counts except in checked cells (count = code-cell number); drop run metadata."""
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    for number, cell in enumerate(code_cells, start=1):
        for key in ("execution", "papermill"):
            cell.metadata.pop(key, None)
        if is_checked(cell):
            # nbval skips a cell with outputs but no execution count ("unrun"), so keep a stable one
            cell.execution_count = number
            for out in cell.outputs:
                if "execution_count" in out:
                    out["execution_count"] = number
        else:
            cell.outputs = []
            cell.execution_count = None
    for key in ("papermill", "widgets"):
        nb.metadata.pop(key, None)
    nb.metadata.get("language_info", {}).pop("version", None)
    return nb


def execute(nb, cwd: Path, timeout: int = 900):
    """Execute a notebook in `cwd` with the current interpreter's kernel (python3)."""
    from nbclient import NotebookClient

    NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}).execute()
    return nb


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] not in ("strip", "refresh"):
        print(__doc__)
        return 2
    for name in argv[1:]:
        path = Path(name)
        nb = nbformat.read(path, as_version=4)
        if argv[0] == "refresh":
            execute(nb, path.resolve().parent)
        nbformat.write(strip(nb), path)
        print(f"{argv[0]}: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
