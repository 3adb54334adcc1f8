"""The face check behind the Haar cascade: MTCNN's ONet (data/importers/face_check.py) equals facenet-pytorch's,
confirms the course's real faces and rejects a Haar false face.

tests/data/face_check_reference.json holds facenet-pytorch 2.6.0's own ONet outputs (its mtcnn.py run on its
onet.pt with this repo's torch, outside the repo; torchvision stubbed, as ONet and imresample need only torch):
six 48x48 uint8 crops (Grace Hopper's, the astronaut's and carphone frame 0's Haar boxes, the false face's box,
a matplotlib sample-data graphic, uniform noise) and three photo boxes cut square (one past the photo's corner,
zero-padded) and resized with facenet-pytorch's imresample, unrounded.

tests/data/haar_false_face.png is `_blurred_noise(seed=100, sigma=4)` below, found by a seeded search: grey and
colour Gaussian noise blurred with sigma 2, 3, 4, 6 and 8, seeds 0-199 each (2,000 images of 256x256). The Haar
cascade (video_io.detect_face_rect, unchanged) boxed a "face" in 81 of them; ONet gave 80 of those 81 less than
0.7 (median 0.033, max 0.894); seeds 200-599 gave 141 more boxes, 6 of them >= 0.7 (max 0.973). This one: a
93-px box at (101, 99), ONet probability 0.0032.
"""
import base64
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from matplotlib import cbook

from imaginator_lite.data.importers.face_check import (FACE_THRESHOLD, ONET_SIZE, confirm_face, confirmed_face_rect,
                                                        face_probability, load_onet, onet_input, square_crop)
from imaginator_lite.data.importers.video_io import detect_face_rect

DATA = Path(__file__).resolve().parent / "data"
REFERENCE = json.loads((DATA / "face_check_reference.json").read_text())
#: the largest port difference measured against facenet-pytorch is 1.9e-7 (box), 8e-9 (probability): 50x margin
PORT_ATOL = 1e-5


def _rgb(path) -> np.ndarray:
    return cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)


def _photos() -> dict[str, np.ndarray]:
    astronaut = _rgb(DATA / "astronaut_256.jpg")
    return {"grace_hopper.jpg": _rgb(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)),
            "astronaut_256.jpg": astronaut, "astronaut_256.jpg[20:, 70:]": np.ascontiguousarray(astronaut[20:, 70:])}


def _blurred_noise(seed: int = 100, sigma: float = 4.0, size: int = 256) -> np.ndarray:
    """(size, size) uint8 grey blobs: Gaussian noise (seeded), blurred with `sigma`, scaled to mean 128, sd 60."""
    noise = np.random.default_rng(seed).normal(0, 1, (size, size)).astype(np.float32)
    blurred = cv2.GaussianBlur(noise, (0, 0), sigma)
    blurred = (blurred - blurred.mean()) / (blurred.std() + 1e-8)
    return np.clip(128 + 60 * blurred, 0, 255).astype(np.uint8)


def _assert_outputs(outputs, expected: dict):
    box, landmarks, probability = (t.double() for t in outputs)
    for name, got in (("probability", probability), ("box", box), ("landmarks", landmarks)):
        want = torch.tensor(expected[name], dtype=torch.float64).reshape(got.shape)
        what = f"{expected.get('name', expected.get('photo'))} {name}"
        torch.testing.assert_close(got, want, atol=PORT_ATOL, rtol=0, msg=lambda m: f"{what}: {m}")


def test_the_port_matches_facenet_pytorch_on_48px_crops():
    crops = np.stack([np.frombuffer(base64.b64decode(c["crop_48x48x3_uint8_base64"]), np.uint8).reshape(48, 48, 3)
                      for c in REFERENCE["crops"]])
    with torch.inference_mode():
        box, landmarks, probability = load_onet()(onet_input(crops))
    assert probability.shape == (len(crops),) and box.shape == (len(crops), 4) and landmarks.shape == (len(crops), 10)
    for i, expected in enumerate(REFERENCE["crops"]):
        _assert_outputs((box[i], landmarks[i], probability[i]), expected)


def test_the_crop_and_area_resize_match_facenet_pytorch_on_photos():
    photos = _photos()
    for expected in REFERENCE["photos"]:
        photo = photos[expected["photo"]]
        with torch.inference_mode():
            _assert_outputs(load_onet()(onet_input(square_crop(photo, expected["rect"]))), expected)
        assert face_probability(photo, expected["rect"]) == pytest.approx(expected["probability"], abs=PORT_ATOL)


def test_the_crop_is_squared_and_zero_padded():
    frame = np.full((10, 20, 3), 200, np.uint8)
    crop = square_crop(frame, (15, -2, 4, 8))  # a tall box past the top right corner: an 8x8 square about its centre
    assert crop.shape == (8, 8, 3) and crop.dtype == np.uint8
    assert (crop[:2] == 0).all() and (crop[:, 7:] == 0).all() and (crop[2:, :7] == 200).all()
    assert onet_input(crop).shape == (1, 3, ONET_SIZE, ONET_SIZE)


def test_the_real_faces_haar_boxes_are_confirmed():
    for name in ("grace_hopper.jpg", "astronaut_256.jpg"):
        photo = _photos()[name]
        rect = detect_face_rect(photo)
        assert rect is not None, name
        assert confirm_face(photo, rect) and face_probability(photo, rect) > 0.99, name
        assert confirmed_face_rect(photo) == rect
    assert load_onet() is load_onet()  # loaded once


def test_a_haar_false_face_is_rejected():
    image = _rgb(DATA / "haar_false_face.png")
    # the PNG is the seeded noise (to one grey level: OpenCV's blur may round differently elsewhere)
    assert np.abs(image[..., 0].astype(int) - _blurred_noise()).max() <= 1
    rect = detect_face_rect(image)
    assert rect is not None, "the Haar cascade no longer boxes the false face"
    assert face_probability(image, rect) < 0.05 < FACE_THRESHOLD
    assert not confirm_face(image, rect) and confirmed_face_rect(image) is None
    assert not confirm_face(image, None)


@pytest.mark.parametrize("frame", [np.zeros((48, 48), np.uint8), np.zeros((48, 48, 4), np.uint8),
                                   np.zeros((48, 48, 3), np.float32)])
def test_a_wrong_frame_is_refused_naming_the_expected_shape(frame):
    with pytest.raises(ValueError, match=r"\(H, W, 3\) and dtype uint8"):
        face_probability(frame, (0, 0, 10, 10))
    with pytest.raises(ValueError, match=r"w, h > 0"):
        face_probability(np.zeros((48, 48, 3), np.uint8), (0, 0, 0, 10))
