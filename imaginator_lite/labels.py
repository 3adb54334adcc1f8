"""Class names and their one-hot indices, one source of truth for every dataset and checkpoint.

The expression order is the official ImaGINator MUG order, so that an official checkpoint
receives the one-hot index it was trained with.
"""
from __future__ import annotations

from typing import Sequence

#: Official MUG one-hot order: sadness 0, anger 1, surprise 2, disgust 3, happiness 4, fear 5.
EXPRESSIONS: tuple[str, ...] = ("sadness", "anger", "surprise", "disgust", "happiness", "fear")

#: Actions of the synthetic Weizmann-like set (a subset of Weizmann's ten action names).
ACTIONS: tuple[str, ...] = ("walk", "run", "jump", "wave1", "wave2", "bend")

#: Weizmann's ten actions as named in its file names `<actor>_<action>.avi`.
WEIZMANN_ACTIONS: tuple[str, ...] = (
    "bend", "jack", "jump", "pjump", "run", "side", "skip", "walk", "wave1", "wave2",
)

#: UvA-NEMO smile classes.
SMILES: tuple[str, ...] = ("posed", "spontaneous")


def _other_kind_hint(key: str, classes: Sequence[str]) -> str:
    """When a label belongs to the other kind of model (an action given to a face model, or the reverse), say so
    and what to do instead; '' otherwise."""
    kinds = {"an action": (ACTIONS + WEIZMANN_ACTIONS, "actions"), "an expression": (EXPRESSIONS, "faces")}
    for what, (names, model) in kinds.items():
        if key in names and key not in (c.lower() for c in classes):
            return (f". {key!r} is {what} label, but this model was trained on other classes: pick one of its "
                    f"labels, or load a model trained on {model} (e.g. --pretrained {model})")
    return ""


def resolve_label(label: str | int, classes: Sequence[str]) -> int:
    """The one label resolver: a class name (case-insensitive) or an index (int or "3") -> index.

    ValueError naming the valid labels for an unknown name or an index out of range.
    """
    if isinstance(label, str):
        key = label.strip().lower()
        if not key.lstrip("-").isdigit():
            for i, c in enumerate(classes):
                if c.lower() == key:
                    return i
            raise ValueError(f"unknown label {label!r}; expected one of {', '.join(classes)} "
                             f"(or an index 0..{len(classes) - 1}){_other_kind_hint(key, classes)}")
        label = int(key)
    index = int(label)
    if not 0 <= index < len(classes):
        raise ValueError(f"label index {index} out of range; expected 0..{len(classes) - 1} "
                         f"({', '.join(classes)})")
    return index


#: NATOPS aircraft-handling gestures, named by their file-name number `gXX` (g01..g24).
NATOPS_GESTURES: tuple[str, ...] = tuple(f"g{i:02d}" for i in range(1, 25))
