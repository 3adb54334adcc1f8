"""The shipped models: files and cards, provenance, and the pass mark on identities never seen in training."""
from __future__ import annotations

import json
import shutil

import pytest
import torch
from PIL import Image

import imaginator_lite.pretrained as pretrained
from imaginator_lite import ModelConfig, TrainConfig, Trainer, load_pretrained
from imaginator_lite.cli.main import main
from imaginator_lite.pipeline import SyntheticData, open_split
from imaginator_lite.pretrained import PRETRAINED, model_card, sha256_of, weights_path

TOUR_STEPS = 1200


@pytest.mark.parametrize("name", PRETRAINED)
def test_the_weights_match_their_card(name):
    card = model_card(name)
    assert sha256_of(weights_path(name)) == card["sha256"]
    assert card["preset"] == "small" and card["steps"] >= 4 * TOUR_STEPS  # clearly longer than the tour's model
    for key in ("command", "code_commit", "wall_time_s", "first_logged_losses"):
        assert card[key], key
    assert card["held_out"]["seed"] != card["data"]["seed"], "held-out identities must come from another seed"
    assert card["held_out"]["passed"] is True
    G = load_pretrained(name)
    assert not G.training and G.cfg == ModelConfig.from_dict(card["model_config"])
    assert list(G.cfg.class_names) == card["classes"]


def test_the_shipped_files_are_small_and_pickle_free():
    files = [weights_path(n) for n in PRETRAINED]
    assert sum(f.stat().st_size for f in files) <= 20 * 2 ** 20
    assert all(f.suffix == ".safetensors" for f in files)


def test_a_damaged_weights_file_is_refused(tmp_path, monkeypatch):
    for suffix in (".safetensors", ".json"):
        shutil.copy(pretrained.HERE / f"faces{suffix}", tmp_path / f"faces{suffix}")
    data = bytearray((tmp_path / "faces.safetensors").read_bytes())
    data[-1] ^= 0xFF
    (tmp_path / "faces.safetensors").write_bytes(bytes(data))
    monkeypatch.setattr(pretrained, "HERE", tmp_path)
    with pytest.raises(ValueError, match="sha256"):
        load_pretrained("faces")
    with pytest.raises(ValueError, match="ships faces, actions"):
        load_pretrained("dogs")


@pytest.mark.parametrize("name", PRETRAINED)
def test_the_first_steps_of_the_recipe_reproduce_the_card(name, tmp_path):
    """Provenance: the card's recipe, re-run for its first logged steps, gives the losses it recorded."""
    card = model_card(name)
    rows = card["first_logged_losses"]
    cfg = ModelConfig.from_dict(card["model_config"])
    recipe = TrainConfig.from_dict(card["train_config"]).replace(
        steps=rows[-1]["step"], device="cpu", out_dir=None, progress=False, checkpoint_every=0, sample_every=0)
    data = card["data"]
    store = SyntheticData(name, data["identities"], data["image_size"], data["frames"], data["seed"]).store(tmp_path, False)
    trainer = Trainer(cfg, recipe, open_split(store, cfg, "train"))
    trainer.train()
    assert [r["step"] for r in trainer.history] == [r["step"] for r in rows]
    for mine, recorded in zip(trainer.history, rows):
        for key in ("l1", "g_total", "d_video", "d_image"):
            assert mine[key] == pytest.approx(recorded[key], rel=1e-4, abs=1e-6), (mine["step"], key)


@pytest.mark.slow
@pytest.mark.parametrize("name", PRETRAINED)
def test_passes_the_pass_mark_on_unseen_identities(name, tmp_path, capsys):
    """`imaginator-lite evaluate --pretrained NAME --synthetic NAME --seed S` on identities of the card's held-out seed."""
    card = model_card(name)
    seed = card["held_out"]["seed"]
    code = main(["evaluate", "--pretrained", name, "--synthetic", name, "--seed", str(seed), "--device", "cpu",
                 "--data-root", str(tmp_path / "data"), "--cache-dir", str(tmp_path / "cache"),
                 "--out", str(tmp_path / "eval"), "--no-progress"])
    metrics = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    assert code == 0, capsys.readouterr().out
    assert metrics["passed"] and all(metrics["criterion"]["checks"].values())
    for method, recorded in card["held_out"]["results"].items():  # the card's numbers, reproduced
        for key, value in recorded.items():
            assert metrics["results"][method][key] == pytest.approx(value, rel=1e-4, abs=1e-6), (method, key)


def test_evaluate_refuses_the_training_seed(capsys):
    card = model_card("faces")
    assert main(["evaluate", "--pretrained", "faces", "--synthetic", "faces", "--seed", str(card["data"]["seed"])]) == 2
    assert "trained on" in capsys.readouterr().err


def test_generate_with_the_shipped_model(tmp_path):
    out = tmp_path / "clip.gif"
    assert main(["generate", "--pretrained", "faces", "--label", "happiness", "--out", str(out), "--device", "cpu"]) == 0
    with Image.open(out) as gif:
        assert gif.n_frames == model_card("faces")["model_config"]["frames"]
    G = load_pretrained("actions")
    with torch.no_grad():
        video = G(torch.zeros(1, 3, 32, 32), torch.zeros(1, G.cfg.dim_z), torch.tensor([0]))
    assert video.shape == (1, 3, 16, 32, 32)
