"""A student's own photo: the face is found and cropped before generation (Haar cascade), with a clear
fallback when there is none."""
from pathlib import Path

import numpy as np
import pytest
import torch

from imaginator_lite.cli.main import main
from imaginator_lite.generation.generate import prepare_image
from imaginator_lite.generation.photos import is_face_model, prepare_photo, sample_photos
from imaginator_lite.labels import ACTIONS, EXPRESSIONS

HOPPER = sample_photos()[0]


def test_the_face_of_a_portrait_is_found_and_cropped():
    prepared = prepare_photo(HOPPER.photo, 32)
    h, w = HOPPER.photo.shape[:2]
    x0, y0, x1, y1 = prepared.box
    assert prepared.face_found and "face found" in prepared.message
    assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h
    assert x1 - x0 == y1 - y0 and x1 - x0 < 0.9 * min(h, w)  # a square on the face, not the whole photo
    assert y0 < h / 2  # the face is in the upper half of the portrait
    assert prepared.image.shape == (3, 32, 32) and -1 <= prepared.image.min() and prepared.image.max() <= 1


def test_the_crop_puts_the_eyes_and_mouth_where_the_drawn_faces_have_them():
    """aligned_face_box: the face box's eye and mouth lines land on the drawn faces' mean rows (to a pixel, where the
    square fits in the photo); without `align` the crop is the converters' box enlarged 1.4 times."""
    from imaginator_lite.data.importers.video_io import detect_face_box, detect_face_rect
    from imaginator_lite.data.synthetic import face_layout
    from imaginator_lite.generation.photos import FACE_BOX_EYE_Y, FACE_BOX_MOUTH_Y, aligned_face_box

    layout = face_layout()
    x, y, w, h = rect = (100, 120, 80, 80)
    x0, y0, x1, y1 = aligned_face_box(rect, (1000, 1000, 3))
    side = x1 - x0
    for line, feature in ((FACE_BOX_EYE_Y, "eye_y"), (FACE_BOX_MOUTH_Y, "mouth_y")):
        row = (y + line * h - y0) / side * 2 - 1  # where the line falls, in the drawn faces' [-1, 1] coordinates
        assert row == pytest.approx(layout[feature]["mean"], abs=2 / side), feature
    assert side == y1 - y0 and 1.6 * w < side < 2.2 * w
    fitted = aligned_face_box(rect, (150, 1000, 3))  # a photo too short for the square: shrunk and moved inside
    assert fitted[1] >= 0 and fitted[3] <= 150 and fitted[3] - fitted[1] == fitted[2] - fitted[0]
    assert prepare_photo(HOPPER.photo, 32, align=False).box == detect_face_box(HOPPER.photo, 1.4)
    assert detect_face_rect(HOPPER.photo) is not None


def test_a_photo_without_a_face_falls_back_to_the_centre_square_and_says_so():
    blank = np.full((200, 300, 3), 180, np.uint8)
    prepared = prepare_photo(blank, 32)
    assert not prepared.face_found and prepared.box == (50, 0, 250, 200)
    assert "no face found" in prepared.message and "centre square" in prepared.message
    off = prepare_photo(HOPPER.photo, 32, crop_face=False)
    assert not off.face_found and "face crop off" in off.message


def test_bad_photos_name_the_problem(tmp_path):
    with pytest.raises(FileNotFoundError, match="image not found"):
        prepare_photo(tmp_path / "missing.jpg", 32)
    with pytest.raises(ValueError, match="could not read the photo"):
        prepare_photo(b"not an image", 32)
    with pytest.raises(ValueError, match=r"uint8 \(H, W, 3\)"):
        prepare_photo(np.zeros((4, 4, 3), np.float32), 32)


def test_prepare_image_crops_a_face_from_a_file(tmp_path):
    from PIL import Image

    path = tmp_path / "hopper.png"
    Image.fromarray(HOPPER.photo).save(path)
    cropped = prepare_image(path, 32, crop_face=True)
    torch.testing.assert_close(cropped, prepare_photo(path, 32).image)
    assert not torch.allclose(cropped, prepare_image(path, 32))  # the whole photo shrunk is another picture


def test_face_models_crop_faces_and_action_models_do_not():
    assert is_face_model(EXPRESSIONS) and not is_face_model(ACTIONS)


def test_generate_with_a_photo_crops_the_face_and_says_where(tmp_path, capsys):
    from PIL import Image

    path = tmp_path / "hopper.png"
    Image.fromarray(HOPPER.photo).save(path)
    assert main(["generate", "--pretrained", "faces", "--image", str(path), "--grid", "--out",
                 str(tmp_path / "grid.gif")]) == 0
    out = capsys.readouterr().out
    assert "face found" in out and "box (x0, y0, x1, y1)" in out and (tmp_path / "grid.gif").is_file()


def test_a_photo_too_small_to_crop_names_its_size_and_the_least():
    with pytest.raises(ValueError, match=r"photo too small: it is 16x16 px .* at least 32x32 px"):
        prepare_photo(np.full((16, 16, 3), 120, np.uint8), 32)
    with pytest.raises(ValueError, match=r"it is 40x30 px .*30 px wide.* at least 32x32"):
        prepare_photo(np.full((30, 40, 3), 120, np.uint8), 32, crop_face=False)
    prepared = prepare_photo(np.full((30, 40, 3), 120, np.uint8), 64, crop_face=False, least=16)
    assert prepared.image.shape == (3, 64, 64) and prepared.side == 30
    assert prepared.at(24).shape == (3, 24, 24)


def test_the_crop_constants_are_the_committed_measurement():
    """FACE_BOX_EYE_Y and FACE_BOX_MOUTH_Y are the means `python docs/measure.py crop` measured (rounded to 3 places)."""
    import json
    from pathlib import Path

    from imaginator_lite.generation.photos import FACE_BOX_EYE_Y, FACE_BOX_MOUTH_Y

    measured = json.loads((Path(__file__).parents[1] / "docs/results/crop_alignment.json").read_text())["measured"]
    assert FACE_BOX_EYE_Y == round(measured["eye_row_in_box"]["mean"], 3)
    assert FACE_BOX_MOUTH_Y == round(measured["mouth_row_in_box"]["mean"], 3)


def test_a_non_face_the_haar_cascade_boxes_gets_the_centre_square_and_says_so():
    """tests/data/haar_false_face.png fools the Haar cascade alone; the face check (ONet) rejects the box."""
    from imaginator_lite.data.importers.video_io import detect_face_rect
    from imaginator_lite.generation.photos import prepare_photo, read_photo

    data = Path(__file__).parent / "data"
    assert detect_face_rect(read_photo(data / "haar_false_face.png")) is not None
    prepared = prepare_photo(data / "haar_false_face.png", 32)
    assert not prepared.face_found and prepared.box == (0, 0, 256, 256)
    assert "no face found" in prepared.message and "not a face" in prepared.message
    real = prepare_photo(data / "astronaut_256.jpg", 32)
    assert real.face_found and real.message.startswith("face found")
