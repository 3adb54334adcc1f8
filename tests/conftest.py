"""Shared fixtures: polite thread counts, a tiny generator, cached synthetic stores, and the tutorials executed
once per session in quick mode."""
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


@pytest.fixture(scope="module")
def tiny_generator():
    """The `tiny` preset's generator (32x32, 16 frames), initialised from seed 0, in eval mode; one per module."""
    from imaginator_lite import Generator, ModelConfig

    torch.manual_seed(0)
    return Generator(ModelConfig.preset("tiny")).eval()


@pytest.fixture(scope="session")
def synthetic_store(tmp_path_factory):
    """`synthetic_store(identities, size=32, frames=16, seed=0, kind="faces")` -> the path of that synthetic
    clip store, rendered once per session (tests only read stores)."""
    from imaginator_lite.data.synthetic_sets import make_synthetic_store

    made: dict[tuple, Path] = {}

    def store(identities: int, size: int = 32, frames: int = 16, seed: int = 0, kind: str = "faces") -> Path:
        key = (identities, size, frames, seed, kind)
        if key not in made:
            root = tmp_path_factory.mktemp(f"{kind}{identities}x{size}x{frames}s{seed}") / kind
            made[key] = Path(make_synthetic_store(root, kind, n_identities=identities, image_size=size, frames=frames,
                                                  seed=seed, progress=False))
        return made[key]

    return store


@pytest.fixture(scope="session")
def instructor_run(tmp_path_factory) -> dict:
    """The tutorials executed once in quick mode with papermill (the notebooks command's function),
    every output path in a temp folder; shared by the notebook, instructor-edition and website tests."""
    from imaginator_lite.course.tutorials import execute_notebooks
    from nbtools import quick_params, tutorial_paths

    books = tutorial_paths()
    tmp = tmp_path_factory.mktemp("instructor")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("OMP_NUM_THREADS", "1")
        start = time.perf_counter()
        results = execute_notebooks(books, tmp / "executed", quick_params(books, tmp), timeout=600, progress=False)
    print(f"instructor run: {time.perf_counter() - start:.0f}s")
    return dict(dir=tmp / "executed", results=results)
