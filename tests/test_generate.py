"""Generation helpers and the train / evaluate / generate / tour commands."""
from __future__ import annotations

import json

import pytest
import torch
from PIL import Image

from imaginator_lite.training.checkpoint import save_checkpoint
from imaginator_lite.cli.main import main
from imaginator_lite.models.config import ModelConfig
from imaginator_lite.generation.generate import generate, label_grid
from imaginator_lite.models.generator import Generator
from imaginator_lite.labels import EXPRESSIONS

TINY = ModelConfig.preset("tiny")


@pytest.fixture(scope="module")
def tiny_ckpt(tmp_path_factory):
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("ckpt") / "tiny.pt"
    save_checkpoint(path, model_cfg=TINY, generator=Generator(TINY))
    return path


@pytest.fixture(scope="module")
def G(tiny_generator):
    return tiny_generator


def test_generate_shapes_seeds_and_labels(G):
    image = torch.rand(3, 32, 32) * 2 - 1
    a = generate(G, image, "happiness", seed=3, n=2)
    assert a.shape == (2, 3, TINY.frames, 32, 32)
    assert torch.equal(a, generate(G, image, 4, seed=3, n=2))  # name == official index 4
    assert torch.equal(a, generate(G, image, "HAPPINESS", seed=3, n=2))
    assert not torch.equal(a, generate(G, image, "happiness", seed=4, n=2))
    grid = label_grid(G, image, seed=3)
    assert grid.shape == (len(EXPRESSIONS), 3, TINY.frames, 32, 32)
    for k in range(len(EXPRESSIONS)):
        assert torch.allclose(grid[k], generate(G, image, k, seed=3)[0], atol=1e-5)


def test_unknown_label_names_valid_ones(G):
    with pytest.raises(ValueError, match="sadness, anger, surprise, disgust, happiness, fear"):
        generate(G, torch.zeros(3, 32, 32), "joy")
    with pytest.raises(ValueError, match="out of range"):
        generate(G, torch.zeros(3, 32, 32), 6)


def test_generate_cli_writes_gif(tiny_ckpt, tmp_path, capsys):
    face = tmp_path / "face.png"
    Image.new("RGB", (48, 40), (200, 150, 120)).save(face)
    out = tmp_path / "clip.gif"
    assert main(["generate", "--checkpoint", str(tiny_ckpt), "--image", str(face), "--label", "happiness",
                 "--seed", "3", "--out", str(out), "--device", "cpu"]) == 0
    with Image.open(out) as gif:
        assert gif.n_frames == TINY.frames
    grid = tmp_path / "grid.gif"
    assert main(["generate", "--checkpoint", str(tiny_ckpt), "--grid", "--out", str(grid), "--device", "cpu"]) == 0
    assert grid.is_file()
    assert main(["generate", "--checkpoint", str(tiny_ckpt), "--label", "joy", "--out", str(out),
                 "--device", "cpu"]) == 2
    assert "expected one of sadness" in capsys.readouterr().err


def test_tour_quick_end_to_end(tmp_path):
    out = tmp_path / "tour"
    assert main(["tour", "--quick", "--out", str(out), "--no-progress"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["results"]) == {"model", "copy_first_frame", "class_mean_video", "class_mean_motion"}
    for name in ("checkpoint.pt", "log.csv", "loss_curve.png", "grid_identities_x_expressions.gif", "comparison.png"):
        assert (out / name).is_file(), name
    assert "passed" in metrics and set(metrics["criterion"]["checks"]) == {
        "fd_beats_all_baselines", "moving_l1_beats_all_baselines", "conditional_accuracy_over_chance"}


def test_train_then_evaluate_cli(tmp_path, capsys):
    out = tmp_path / "run"
    root = tmp_path / "data"
    assert main(["train", "--synthetic", "faces", "--identities", "6", "--preset", "tiny", "--steps", "2",
                 "--batch-size", "4", "--device", "cpu", "--out", str(out), "--data-root", str(root)]) == 0
    ckpt = out / "checkpoint.pt"
    assert main(["train", "--resume", str(ckpt), "--steps", "3", "--out", str(out)]) == 0  # store from run.json
    data = root / "faces-32px-16f-6id-seed0"
    assert main(["evaluate", "--checkpoint", str(ckpt), "--data", str(data), "--no-features",
                 "--device", "cpu", "--out", str(tmp_path / "eval")]) == 0
    assert "copy_first_frame" in capsys.readouterr().out
    assert json.loads((tmp_path / "eval" / "metrics.json").read_text())["results"]["model"]["clips"] > 0


@pytest.fixture(scope="module")
def warp_ckpt(tmp_path_factory):
    cfg = ModelConfig.preset("tiny", output="warp")
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("ckpt") / "tiny_warp.pt"
    save_checkpoint(path, model_cfg=cfg, generator=Generator(cfg))
    return path


def _gif_size(path):
    with Image.open(path) as gif:
        return gif.size


def test_generate_cli_with_a_warp_model_keeps_the_photos_resolution(warp_ckpt, tiny_ckpt, tmp_path, capsys):
    photo = tmp_path / "photo.png"
    Image.new("RGB", (120, 90), (200, 150, 120)).save(photo)  # no face: the centre square, 90 px
    out = tmp_path / "clip.gif"
    args = ["generate", "--image", str(photo), "--label", "happiness", "--out", str(out), "--device", "cpu"]
    assert main(args[:1] + ["--checkpoint", str(warp_ckpt)] + args[1:]) == 0
    assert _gif_size(out) == (90, 90)  # the crop's own side, not the model's 32 (an untrained warp model nearly
    # copies a flat photo, so the GIF may merge its equal frames: the sizes are the check here)
    assert "warped at the photo's 90x90" in capsys.readouterr().out
    assert main(args[:1] + ["--checkpoint", str(warp_ckpt), "--size", "48"] + args[1:]) == 0
    assert _gif_size(out) == (48, 48)
    grid = tmp_path / "grid.gif"
    assert main(["generate", "--checkpoint", str(warp_ckpt), "--image", str(photo), "--grid", "--size", "40",
                 "--out", str(grid), "--device", "cpu"]) == 0
    assert _gif_size(grid) == (6 * 41 + 1, 42)  # one row of six 40-px videos, 1-px white padding
    # a paint model keeps today's behaviour: its 32 px, shown 2x in a GIF; --size is refused by name
    assert main(args[:1] + ["--checkpoint", str(tiny_ckpt)] + args[1:]) == 0
    assert _gif_size(out) == (64, 64)
    capsys.readouterr()
    assert main(args[:1] + ["--checkpoint", str(tiny_ckpt), "--size", "64"] + args[1:]) == 2
    assert "--size is for a warp model" in capsys.readouterr().err
    assert main(args[:1] + ["--checkpoint", str(warp_ckpt), "--size", "16"] + args[1:]) == 2
    assert "below the model's 32x32" in capsys.readouterr().err


def test_generate_cli_errors_before_work(warp_ckpt, tmp_path, capsys):
    tiny_photo = tmp_path / "tiny.png"
    Image.new("RGB", (16, 16), (200, 150, 120)).save(tiny_photo)
    out = tmp_path / "clip.gif"
    assert main(["generate", "--checkpoint", str(warp_ckpt), "--image", str(tiny_photo), "--label", "anger",
                 "--out", str(out), "--device", "cpu"]) == 2
    err = capsys.readouterr().err
    assert "photo too small" in err and "16x16 px" in err and "at least 32x32" in err
    assert not out.exists()
    # an action label given to a face model: the label, the model's classes and the fix; before the photo is read
    assert main(["generate", "--checkpoint", str(warp_ckpt), "--image", str(tmp_path / "missing.jpg"),
                 "--label", "walk", "--out", str(out), "--device", "cpu"]) == 2
    err = capsys.readouterr().err
    assert "unknown label 'walk'" in err and "sadness, anger, surprise, disgust, happiness, fear" in err
    assert "'walk' is an action label" in err and "--pretrained actions" in err
    assert not out.exists()


def test_an_action_label_given_to_a_face_model_says_what_to_do(G):
    with pytest.raises(ValueError, match=r"'walk' is an action label.*--pretrained actions"):
        generate(G, torch.zeros(3, 32, 32), "walk")
    with pytest.raises(ValueError) as info:
        generate(G, torch.zeros(3, 32, 32), "joy")  # neither kind's label: no hint
    assert "is an action" not in str(info.value) and "is an expression" not in str(info.value)
