"""Bad input is rejected before any store is rendered, any classifier trained or any step taken."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from imaginator_lite.cli.main import main
from imaginator_lite.generation.photos import load_image


@pytest.fixture(scope="module")
def store64(synthetic_store):
    return synthetic_store(3, size=64)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny")
    assert main(["train", "--preset", "tiny", "--identities", "6", "--steps", "2", "--batch-size", "4",
                 "--device", "cpu", "--out", str(root / "run"), "--data-root", str(root / "data")]) == 0
    return root / "run" / "checkpoint.pt"


def test_train_on_a_store_of_another_size_names_both_sizes_and_the_fix(store64, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--data", str(store64), "--preset", "tiny", "--steps", "2", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "64x64" in err and "32x32" in err and "--size 32" in err and "preset 'tiny'" in err
    assert "medium" in err and "paper" in err  # the presets that do fit a 64x64 store
    assert not (out / "checkpoint.pt").exists()


def test_evaluate_on_a_store_of_another_size_fails_before_training_a_classifier(store64, tiny_run, tmp_path, capsys):
    cache = tmp_path / "cache"
    assert main(["evaluate", "--checkpoint", str(tiny_run), "--data", str(store64), "--cache-dir", str(cache),
                 "--device", "cpu"]) == 2
    assert "64x64" in capsys.readouterr().err
    assert not cache.exists() or not any(cache.iterdir())


def test_resume_with_another_preset_or_recipe_is_an_error(tiny_run, capsys):
    assert main(["train", "--resume", str(tiny_run), "--preset", "small", "--steps", "5"]) == 2
    err = capsys.readouterr().err
    assert "'tiny'" in err and "--preset small" in err
    assert main(["train", "--resume", str(tiny_run), "--lr", "0.1", "--steps", "5"]) == 2
    assert "lr=0.0002 (asked: 0.1)" in capsys.readouterr().err


def test_resume_to_fewer_steps_than_done_says_so(tiny_run, capsys):
    assert main(["train", "--resume", str(tiny_run), "--steps", "1"]) == 2
    assert "already at step 2" in capsys.readouterr().err


def test_bad_arguments_are_rejected_before_rendering(tmp_path, capsys):
    root = tmp_path / "data"
    assert main(["train", "--steps", "-5", "--data-root", str(root), "--out", str(tmp_path / "r")]) == 2
    assert "steps must be >= 0" in capsys.readouterr().err
    assert main(["train", "--preset", "huge", "--data-root", str(root), "--out", str(tmp_path / "r")]) == 2
    assert "unknown preset 'huge'" in capsys.readouterr().err
    assert main(["train", "--identities", "2", "--data-root", str(root), "--out", str(tmp_path / "r")]) == 2
    assert "identities must be >= 3" in capsys.readouterr().err
    assert not root.exists()


def test_a_16_bit_png_is_scaled_to_8_bits_not_clipped(tmp_path):
    ramp = np.linspace(0, 65535, 64 * 64).reshape(64, 64).astype(np.uint16)
    Image.fromarray(ramp).save(tmp_path / "deep.png")
    assert Image.open(tmp_path / "deep.png").mode.startswith("I")
    image = load_image(tmp_path / "deep.png", 64)
    assert image.min() == pytest.approx(-1.0, abs=0.02) and image.max() == pytest.approx(1.0, abs=0.02)
    assert image.mean() == pytest.approx(0.0, abs=0.02)  # a ramp averages mid-grey (clipping gave white)
    torch.testing.assert_close(image[0], image[1])
