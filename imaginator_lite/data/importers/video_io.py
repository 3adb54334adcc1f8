"""Reading videos (PyAV) and frame folders (OpenCV) into square uint8 clips (T, S, S, 3)."""
from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

import cv2
import numpy as np

__all__ = [
    "VIDEO_EXTENSIONS", "IMAGE_EXTENSIONS", "VideoReadError", "numeric_sort_key", "center_box",
    "crop_resize", "detect_face_box", "detect_face_rect", "square_box", "face_detector_problem", "default_cascade_path", "read_video",
    "read_frame_folder", "list_frame_files", "iter_video_frames", "iter_folder_frames", "crop_clip",
]

VIDEO_EXTENSIONS = (".avi", ".mp4", ".mov", ".mkv", ".mpg", ".mpeg", ".webm", ".m4v")
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp")

#: (x0, y0, x1, y1) pixel box; a function giving one box per RGB frame (H, W, 3) of a clip.
Box = tuple[int, int, int, int]
BoxesFor = Callable[[Iterable[np.ndarray]], Sequence[Box]]


class VideoReadError(ValueError):
    """A source video or frame folder could not be read (corrupt, empty, unsupported)."""


def numeric_sort_key(name: str):
    """Sort key ordering 'img_2' before 'img_10' (digit runs compare as numbers)."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name)]


def center_box(height: int, width: int, fraction: float = 1.0) -> Box:
    """Centred square box covering `fraction` of the shorter side."""
    side = max(1, int(round(min(height, width) * fraction)))
    y0, x0 = (height - side) // 2, (width - side) // 2
    return x0, y0, x0 + side, y0 + side


def crop_resize(frame: np.ndarray, size: int, box: Box | None = None) -> np.ndarray:
    """Crop `box` (default: centre square) from an RGB frame (H, W, 3) and resize to (size, size, 3)."""
    if box is None:
        box = center_box(*frame.shape[:2])
    x0, y0, x1, y1 = box
    crop = frame[max(y0, 0):y1, max(x0, 0):x1]
    interpolation = cv2.INTER_AREA if crop.shape[0] >= size else cv2.INTER_LINEAR
    return cv2.resize(np.ascontiguousarray(crop), (size, size), interpolation=interpolation)


_CASCADES: dict[str, object] = {}


def default_cascade_path() -> str:
    """OpenCV's bundled frontal-face Haar cascade (absent from OpenCV 5 wheels)."""
    return str(getattr(getattr(cv2, "data", None), "haarcascades", "")) + "haarcascade_frontalface_default.xml"


def face_detector_problem(cascade_path: str | None = None) -> str | None:
    """None when Haar face detection works here, else the reason (and the fix)."""
    path = cascade_path or default_cascade_path()
    if not hasattr(cv2, "CascadeClassifier"):
        return (f"OpenCV {cv2.__version__} has no CascadeClassifier (OpenCV 5 moved Haar cascades out); "
                "install opencv-python-headless<5 for face crops")
    if not Path(path).is_file():
        return f"Haar cascade file {path} not found; pass --face-cascade FILE"
    return None


def detect_face_rect(frame_rgb: np.ndarray, cascade_path: str | None = None) -> tuple[int, int, int, int] | None:
    """The largest frontal face (OpenCV Haar cascade) as the detector's own (x, y, w, h), or None."""
    path = cascade_path or default_cascade_path()
    if path not in _CASCADES:
        problem = face_detector_problem(path)
        if problem:
            raise RuntimeError(problem)
        _CASCADES[path] = cv2.CascadeClassifier(path)
    cascade = _CASCADES[path]
    gray = cv2.cvtColor(frame_rgb, cv2.COLOR_RGB2GRAY)
    min_side = max(24, min(gray.shape) // 8)
    faces = cascade.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5, minSize=(min_side, min_side))
    if len(faces) == 0:
        return None
    return tuple(int(v) for v in max(faces, key=lambda f: f[2] * f[3]))


def detect_face_box(frame_rgb: np.ndarray, enlarge: float = 1.4, cascade_path: str | None = None) -> Box | None:
    """Largest frontal face (OpenCV Haar cascade) as a square box enlarged by `enlarge`, or None."""
    rect = detect_face_rect(frame_rgb, cascade_path)
    if rect is None:
        return None
    x, y, w, h = rect
    return square_box(x + w / 2, y + h / 2, max(w, h) * enlarge, frame_rgb.shape)


def square_box(cx: float, cy: float, side: float, shape: tuple[int, ...]) -> Box:
    """The square of `side` pixels centred at (cx, cy), shrunk to fit and shifted inside an image of `shape` (H, W)."""
    side = min(int(round(side)), min(shape[:2]))
    x0 = int(np.clip(round(cx - side / 2), 0, shape[1] - side))
    y0 = int(np.clip(round(cy - side / 2), 0, shape[0] - side))
    return x0, y0, x0 + side, y0 + side


def _stride_for(average_rate, fps: float | None, stride: int) -> int:
    """Frame step: from a target fps when given (needs the stream rate), else `stride`."""
    if fps is None or not average_rate:
        return max(1, int(stride))
    return max(1, int(round(float(Fraction(average_rate)) / float(fps))))


def iter_video_frames(path, stride: int = 1, fps: float | None = None) -> Iterator[np.ndarray]:
    """Decode a video file (read-only), yielding every kept RGB frame (H, W, 3); a truncated tail ends early."""
    import av  # deferred, import cost: PyAV, only for reading or writing video files

    count = 0
    try:
        with av.open(str(path), mode="r") as container:
            if not container.streams.video:
                raise VideoReadError("no video stream")
            stream = container.streams.video[0]
            step = _stride_for(stream.average_rate, fps, stride)
            for n, frame in enumerate(container.decode(stream)):
                if n % step == 0:
                    rgb = frame.to_ndarray(format="rgb24")
                    count += 1
                    yield rgb
    except VideoReadError:
        raise
    except Exception as error:  # PyAV raises many types (InvalidDataError, OSError, ...)
        if not count:
            raise VideoReadError(f"cannot decode ({type(error).__name__}: {error})") from error
        # a truncated tail: keep the frames decoded so far
    if not count:
        raise VideoReadError("no frames decoded")


def iter_folder_frames(folder, stride: int = 1) -> Iterator[np.ndarray]:
    """Read a folder of numbered images (read-only), yielding every `stride`-th RGB frame (H, W, 3)."""
    files = list_frame_files(folder)[:: max(1, int(stride))]
    if not files:
        raise VideoReadError("no image frames in folder")
    for path in files:
        bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if bgr is None:
            raise VideoReadError(f"cannot read image {path.name}")
        yield cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def crop_clip(frames: Callable[[], Iterable[np.ndarray]], size: int,
              boxes_for: BoxesFor | None = None) -> np.ndarray:
    """Crop every frame of `frames()` to its box and resize -> uint8 (T, size, size, 3).

    `boxes_for(frames())` gives one box per frame (a first pass); default: the centre square.
    """
    boxes = boxes_for(frames()) if boxes_for is not None else None
    crops = []
    for t, rgb in enumerate(frames()):
        box = boxes[min(t, len(boxes) - 1)] if boxes else center_box(*rgb.shape[:2])
        crops.append(crop_resize(rgb, size, box))
    return np.stack(crops)


def read_video(path, size: int, stride: int = 1, fps: float | None = None,
               boxes_for: BoxesFor | None = None) -> np.ndarray:
    """Decode a video file (read-only) to uint8 (T, size, size, 3), keeping every `stride`-th frame.

    `boxes_for(frames)` picks one crop box per frame (e.g. a face track); default: centre square.
    """
    return crop_clip(lambda: iter_video_frames(path, stride, fps), size, boxes_for)


def list_frame_files(folder) -> list[Path]:
    """Image files of a frame folder, sorted numerically by name."""
    files = [p for p in Path(folder).iterdir() if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS]
    return sorted(files, key=lambda p: numeric_sort_key(p.name))


def read_frame_folder(folder, size: int, stride: int = 1,
                      boxes_for: BoxesFor | None = None) -> np.ndarray:
    """Read a folder of numbered images (read-only) as uint8 (T, size, size, 3); boxes as in read_video."""
    return crop_clip(lambda: iter_folder_frames(folder, stride), size, boxes_for)
