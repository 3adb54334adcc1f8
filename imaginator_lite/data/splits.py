"""Splitting by identity: which people go to train, val and test, disjoint, so no test face was seen in training."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ..defaults import SPLIT_FRACTIONS

__all__ = ["SPLITS", "split_identities"]

SPLITS: tuple[str, ...] = ("train", "val", "test")


def split_identities(identities, fractions: Sequence[float] = SPLIT_FRACTIONS,
                     seed: int = 0) -> dict[str, list]:
    """Disjoint train/val/test identity lists; `identities` is a count n (-> 0..n-1) or a sequence.

    Largest-remainder rounding; every split with a non-zero fraction gets at least one
    identity when there are enough identities.
    """
    if isinstance(identities, (int, np.integer)):
        pool = list(range(int(identities)))
    else:
        pool = sorted(set(identities), key=lambda v: (str(type(v)), v))
    fractions = [float(f) for f in fractions]
    if len(fractions) != len(SPLITS) or min(fractions) < 0 or sum(fractions) <= 0:
        raise ValueError(f"fractions must be three non-negative numbers (train, val, test), got {fractions}")
    total = sum(fractions)
    fractions = [f / total for f in fractions]
    n = len(pool)
    raw = [f * n for f in fractions]
    counts = [int(np.floor(r)) for r in raw]
    for i in sorted(range(3), key=lambda i: raw[i] - counts[i], reverse=True)[: n - sum(counts)]:
        counts[i] += 1
    for i in range(3):  # give empty non-zero splits one identity, taken from the largest split
        if fractions[i] > 0 and counts[i] == 0 and n >= sum(f > 0 for f in fractions):
            donor = int(np.argmax(counts))
            counts[donor] -= 1
            counts[i] += 1
    order = np.random.default_rng(seed).permutation(n)
    shuffled = [pool[j] for j in order]
    out, start = {}, 0
    for name, count in zip(SPLITS, counts):
        out[name] = sorted(shuffled[start:start + count], key=lambda v: (str(type(v)), v))
        start += count
    return out
