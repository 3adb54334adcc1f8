import pytest
import torch


@pytest.fixture(autouse=True)
def _few_threads():
    """Keep tests polite on a 2-core CI box and deterministic."""
    torch.set_num_threads(2)
    yield
