"""The one home for batching: shuffled epochs for training, every clip once for evaluation.

The trainer, the feature classifier and the metrics all draw batches through `BatchReader`,
which looks at a dataset once: a `ClipDataset` (or anything with the same `get_batch(indices,
window_rng=, out=)`, or `generator=` as that keyword was named before) fills whole batches; a plain
`get_batch(indices)` or an indexable dataset of (video (3,T,H,W), label) items works too.
"""
from __future__ import annotations

import inspect
import warnings
from typing import Any, Iterator, Mapping

import numpy as np
import torch

Batch = tuple[torch.Tensor, torch.Tensor]
"""(videos (B,3,T,H,W) float32 in [-1,1], labels (B,) int64)."""


class BatchReader:
    """Reads batches of clip `indices` from `dataset`; inspects its `get_batch` once, not per batch."""

    def __init__(self, dataset: Any) -> None:
        self.dataset = dataset
        get_batch = getattr(dataset, "get_batch", None)
        accepted = inspect.signature(get_batch).parameters if get_batch is not None else {}
        self._get_batch = get_batch
        # the keyword that takes the numpy Generator of the windows ('generator' was its name before 'window_rng')
        self._rng_keyword = next((k for k in ("window_rng", "generator") if k in accepted), None)
        self._takes_out = "out" in accepted

    def __call__(self, indices: list[int], window_rng: np.random.Generator | None = None,
                 out: torch.Tensor | None = None) -> Batch:
        """window_rng: numpy Generator for random windows (the caller owns that randomness);
        out: a (B,3,T,H,W) float32 buffer to fill instead of allocating (only for loops that use
        each batch before reading the next)."""
        if self._get_batch is None:
            items = [self.dataset[i] for i in indices]
            videos = torch.stack([torch.as_tensor(v) for v, _ in items])
            labels = torch.as_tensor([int(label) for _, label in items])
        else:
            kwargs: dict[str, Any] = {}
            if window_rng is not None and self._rng_keyword is not None:
                kwargs[self._rng_keyword] = window_rng
            if out is not None and self._takes_out and out.shape[0] == len(indices):
                kwargs["out"] = out
            videos, labels = self._get_batch(indices, **kwargs)
        return torch.as_tensor(videos).float(), torch.as_tensor(labels).long()


def fetch_batch(dataset: Any, indices: list[int], window_rng: np.random.Generator | None = None) -> Batch:
    """One batch of clip `indices` (a convenience for notebooks and tests; loops keep a BatchReader)."""
    return BatchReader(dataset)(indices, window_rng)


class EpochSampler:
    """Shuffled batches of indices, a new permutation each epoch (drop_last); state is checkpointable."""

    def __init__(self, n_items: int, batch_size: int, seed: int) -> None:
        if n_items < 1:
            raise ValueError("the training dataset is empty; render or convert some clips first")
        if batch_size > n_items:
            warnings.warn(f"batch_size {batch_size} > {n_items} training clips; using batches of {n_items}")
            batch_size = n_items
        self.n_items, self.batch_size = n_items, batch_size
        self.generator = torch.Generator().manual_seed(seed)
        self.order = torch.randperm(n_items, generator=self.generator)
        self.position, self.epoch = 0, 0

    @property
    def batches_per_epoch(self) -> int:
        return self.n_items // self.batch_size

    def next_indices(self) -> list[int]:
        if self.position + self.batch_size > self.n_items:
            self.order = torch.randperm(self.n_items, generator=self.generator)
            self.position, self.epoch = 0, self.epoch + 1
        batch = self.order[self.position:self.position + self.batch_size]
        self.position += self.batch_size
        return batch.tolist()

    def state_dict(self) -> dict[str, Any]:
        return {"generator": self.generator.get_state(), "order": self.order.clone(),
                "position": self.position, "epoch": self.epoch, "n_items": self.n_items}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        if state["n_items"] != self.n_items:
            raise ValueError(f"checkpoint was trained on {state['n_items']} clips but this dataset has "
                             f"{self.n_items}; resume with the same data")
        self.generator.set_state(state["generator"])
        self.order, self.position, self.epoch = state["order"].clone(), state["position"], state["epoch"]


def ordered_batches(dataset: Any, batch_size: int,
                    window_rng: np.random.Generator | None = None) -> Iterator[Batch]:
    """Every clip of `dataset` once, in order; the last batch may be short."""
    read = BatchReader(dataset)
    for start in range(0, len(dataset), batch_size):
        yield read(list(range(start, min(start + batch_size, len(dataset)))), window_rng)


def iterate_batches(dataset: Any, batch_size: int = 64, shuffle: bool = True, seed: int | None = None,
                    drop_last: bool = True, reuse_buffer: bool = False) -> Iterator[Batch]:
    """One epoch of batches (shuffled by `seed` unless shuffle=False).

    `reuse_buffer=True` fills the same video tensor every step (about 3x faster on CPU): use
    it when each batch is consumed before the next is drawn (a training loop), not when
    batches are kept.
    """
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(dataset)) if shuffle else np.arange(len(dataset))
    stop = len(order) - (len(order) % batch_size if drop_last else 0)
    read, buffer = BatchReader(dataset), None
    for start in range(0, stop, batch_size):
        chosen = order[start:start + batch_size].tolist()
        videos, labels = read(chosen, rng, out=buffer)
        if reuse_buffer:
            buffer = videos
        yield videos, labels
