"""The tutorials: structure of the committed notebooks, quick-mode execution with papermill, nbval checks.

Fast checks always run; executing notebooks is marked `slow`. Kernels are pinned to one intra-op
thread (OMP_NUM_THREADS=1): on a shared 2-core box two OpenMP threads can be tens of times slower.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from nbtools import (NOTEBOOKS_DIR, is_checked, output_overrides, parameters, readme_full_mode_notebooks,  # noqa: E402
                     tutorial_paths)

NOTEBOOKS = tutorial_paths()
IDS = [p.stem[:2] for p in NOTEBOOKS]
EXPECTED = ["01_data", "02_transposed_1plus2d", "03_generator_and_discriminators", "04_training",
            "05_ablations", "06_generate_widgets", "07_paint_versus_warp", "08_paper_comparison"]
#: Notebooks whose committed outputs nbval checks (cells marked `# NBVAL_CHECK_OUTPUT`).
NBVAL_NOTEBOOKS = ["02_transposed_1plus2d.ipynb", "03_generator_and_discriminators.ipynb"]


def test_all_eight_tutorials_exist():
    assert [p.stem for p in NOTEBOOKS] == EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_parameters_cell_first_and_literal(path):
    nb = nbformat.read(path, as_version=4)
    params = parameters(nb)                       # raises on anything but NAME = literal
    assert params.get("QUICK") is True, "QUICK = True must be the committed default"
    assert "SEED" in params


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_committed_outputs_stripped(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# "), "title first"
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        assert not any(o.output_type == "error" for o in cell.outputs), f"cell {i} has a stored error"
        if is_checked(cell):
            assert cell.outputs, f"checked cell {i} has no committed output to compare with"
        else:
            assert not cell.outputs, f"cell {i} has outputs; run `python tests/nbtools.py strip {path}`"
            assert cell.execution_count is None


def test_checked_cells_hold_the_reference_numbers():
    texts = {}
    for name in NBVAL_NOTEBOOKS:
        nb = nbformat.read(NOTEBOOKS_DIR / name, as_version=4)
        texts[name] = "".join(o.get("text", "") for c in nb.cells if is_checked(c) for o in c.outputs)
    assert "M = 517" in texts["02_transposed_1plus2d.ipynb"]
    assert "1,073,152" in texts["02_transposed_1plus2d.ipynb"] and "1,071,224" in texts["02_transposed_1plus2d.ipynb"]
    for count in ("75,406,451", "11,088,833", "2,764,737"):
        assert count in texts["03_generator_and_discriminators.ipynb"]


@pytest.mark.e2e
@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_runs_in_quick_mode(path, instructor_run):
    """Each tutorial ran top to bottom in quick mode (papermill; the session's shared run, see conftest)."""
    result = instructor_run["results"][path.name]
    assert result["ok"], f"{path.name} failed in quick mode:\n{result['error']}"
    print(f"{path.name}: {result['seconds']:.1f}s")
    assert not list(path.parent.glob("*.gif")), "a notebook wrote into notebooks/"


#: Full mode (QUICK = False: the GPU configuration) with its sizes cut to a few steps, so that the
#: full path runs on CI's CPU and cannot rot: the same presets, precision and code, far less work.
FULL_MODE_SIZES = {
    "01": {"N_IDENTITIES": 3},
    "02": {"REPEATS": 1},
    "03": {},
    # torch.compile itself is tested on the tiny preset (test_training): compiling the paper networks on a
    # 2-core CPU takes minutes, which is a GPU-sized cost, not a size of the run
    "04": {"FULL_STEPS": 2, "FULL_BATCH_SIZE": 2, "FULL_IDENTITIES": 3, "JUDGE_MIN_STEPS": 1, "FULL_COMPILE": False},
    # one variant of each kind (paint, 3D blocks, a pixel-moving head on its own data): every variant scored
    # at the medium preset took 427 s of CI's time and runs no code path these three do not
    "05": {"FULL_STEPS": 2, "FULL_BATCH_SIZE": 2, "FULL_IDENTITIES": 3, "FULL_SEEDS": [0], "JUDGE_MIN_STEPS": 1,
           "LIVE_STEPS": 2, "LIVE_IDENTITIES": 3, "FULL_VARIANTS": ["full", "3d", "tps_mixed"]},
    "06": {},
    "07": {"FULL_TRAIN_STEPS": 2},
    "08": {"FULL_TRAIN_STEPS": 2},
}


#: The README's papermill command runs its notebook in full mode with the same cut sizes (test_docs), so the
#: full-mode test leaves that notebook out instead of running it twice.
FULL_MODE_HERE = [p for p in NOTEBOOKS if p.name not in readme_full_mode_notebooks()]


def test_every_notebook_full_mode_is_run_by_one_test():
    assert readme_full_mode_notebooks(), "the README shows a full-mode papermill command"
    assert readme_full_mode_notebooks() <= {p.name for p in NOTEBOOKS}
    assert {p.name for p in FULL_MODE_HERE} | readme_full_mode_notebooks() == {p.name for p in NOTEBOOKS}
    assert set(FULL_MODE_SIZES) == {p.stem[:2] for p in NOTEBOOKS}


@pytest.mark.e2e
@pytest.mark.parametrize("path", FULL_MODE_HERE, ids=[p.stem[:2] for p in FULL_MODE_HERE])
def test_notebook_full_mode_runs_with_its_sizes_cut(path, tmp_path, monkeypatch):
    import papermill as pm

    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    declared = parameters(nbformat.read(path, as_version=4))
    sizes = FULL_MODE_SIZES[path.stem[:2]]
    assert set(sizes) <= set(declared), f"{path.name} lacks parameters {sorted(set(sizes) - set(declared))}"
    params = {**output_overrides(declared, tmp_path), **sizes, "QUICK": False}
    try:
        pm.execute_notebook(str(path), str(tmp_path / path.name), parameters=params, kernel_name="python3",
                            cwd=str(path.parent), progress_bar=False, execution_timeout=600)
    except pm.PapermillExecutionError as exc:
        pytest.fail(f"{path.name} (QUICK=False) failed in cell {exc.cell_index} ({exc.ename}: {exc.evalue})\n{exc.source}")


@pytest.mark.e2e
def test_nbval_checked_outputs_reproduce(tmp_path):
    """`pytest --nbval-lax` on the notebooks with checked cells: errors fail, marked outputs must match."""
    env = dict(os.environ, OMP_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax", "--nbval-current-env",
           *[str(NOTEBOOKS_DIR / n) for n in NBVAL_NOTEBOOKS]]
    proc = subprocess.run(cmd, cwd=NOTEBOOKS_DIR.parent, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]


def test_cli_selects_notebooks():
    from imaginator_lite.course.tutorials import select_notebooks

    assert [p.name[:2] for p in select_notebooks(NOTEBOOKS_DIR, ["02,05"])] == ["02", "05"]
    with pytest.raises(ValueError, match="no notebook matches 09"):
        select_notebooks(NOTEBOOKS_DIR, ["09"])


@pytest.mark.e2e
def test_cli_reports_the_failing_cell(tmp_path, capsys):
    from imaginator_lite.cli.main import main

    books = tmp_path / "books"
    books.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell("QUICK = False", metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell("assert QUICK\nraise RuntimeError('boom in cell 2')")]
    nbformat.write(nb, books / "01_fail.ipynb")
    rc = main(["notebooks", "--notebooks-dir", str(books), "--out", str(tmp_path / "out")])
    out = capsys.readouterr()
    assert rc == 1
    assert "FAILED 01_fail.ipynb" in out.out + out.err and "boom in cell 2" in out.out + out.err
    assert (tmp_path / "out" / "01_fail.ipynb").is_file()


def test_the_tutorials_are_found_from_any_folder(tmp_path, monkeypatch):
    from imaginator_lite.course.tutorials import find_notebooks_dir

    monkeypatch.chdir(tmp_path)  # no ./notebooks here: the folder beside the package is used
    assert find_notebooks_dir() == NOTEBOOKS_DIR.resolve()
