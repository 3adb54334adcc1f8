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


def test_generate_image_reads_a_16_bit_grey_png_through_the_one_reader(tmp_path):
    """generate --image went through read_photo, which clipped 16-bit grey to almost white (mean 254.7 of 255)."""
    from imaginator_lite.generation.photos import prepare_photo, read_photo

    ramp = np.linspace(0, 65535, 96 * 96).reshape(96, 96).astype(np.uint16)
    Image.fromarray(ramp).save(tmp_path / "deep.png")
    rgb = read_photo(tmp_path / "deep.png")
    assert rgb.dtype == np.uint8 and rgb.shape == (96, 96, 3)
    assert 120 < rgb.mean() < 135  # a ramp averages mid-grey
    prepared = prepare_photo(tmp_path / "deep.png", 32, crop_face=False)
    assert float(prepared.image.mean()) == pytest.approx(0.0, abs=0.05)


def test_an_rgba_photo_works(tmp_path):
    from imaginator_lite.generation.photos import read_photo

    rgba = np.zeros((40, 40, 4), np.uint8)
    rgba[..., 0], rgba[..., 3] = 200, 128
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    assert read_photo(tmp_path / "a.png").shape == (40, 40, 3)
    assert load_image(tmp_path / "a.png", 32).shape == (3, 32, 32)


def test_a_folder_given_as_image_says_it_is_a_folder(tmp_path, capsys):
    out = tmp_path / "out.gif"
    assert main(["generate", "--pretrained", "faces", "--image", str(tmp_path), "--label", "happiness",
                 "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "is a folder, not an image file" in err and "not found" not in err
    assert not out.exists()


@pytest.mark.parametrize("model", ["faces", "faces-warp"])
def test_evaluate_a_face_model_on_action_clips_is_refused_naming_both_domains(model, tmp_path, capsys):
    out = tmp_path / "eval"
    assert main(["evaluate", "--pretrained", model, "--synthetic", "actions", "--seed", "11",
                 "--data-root", str(tmp_path / "data"), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "--synthetic actions renders clips of walk" in err and "sadness" in err and "--synthetic faces" in err
    assert not out.exists() and not (tmp_path / "data").exists()
