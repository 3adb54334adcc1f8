"""Shared fixtures: polite thread counts, and the tutorials executed once per session in quick mode."""
import sys
import time
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture(autouse=True)
def _few_threads():
    """Keep tests polite on a 2-core CI box and deterministic."""
    torch.set_num_threads(2)
    yield


@pytest.fixture(scope="session")
def instructor_run(tmp_path_factory) -> dict:
    """The six tutorials executed once in quick mode with papermill (the notebooks command's function),
    every output path in a temp folder; shared by the notebook, instructor-edition and website tests."""
    from imaginator_lite.cli.notebooks import execute_notebooks
    from nbtools import quick_params, tutorial_paths

    books = tutorial_paths()
    tmp = tmp_path_factory.mktemp("instructor")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("OMP_NUM_THREADS", "1")
        start = time.perf_counter()
        results = execute_notebooks(books, tmp / "executed", quick_params(books, tmp), timeout=600, progress=False)
    print(f"instructor run: {time.perf_counter() - start:.0f}s")
    return dict(dir=tmp / "executed", results=results)
