"""The VGAN and MoCoGAN baseline generators (models/vgan.py, models/mocogan.py): ImaGINator's interface, their own
structure (VGAN's still background and mask, MoCoGAN's per-frame motion codes), ModelConfig.family, and a few
training steps through the unchanged trainer, checkpoint and loader."""
from __future__ import annotations

import pytest
import torch

from imaginator_lite.cli.main import main
from imaginator_lite.data.store import ClipDataset
from imaginator_lite.models import (FAMILIES, GENERATORS, Generator, MoCoGANGenerator, ModelConfig, VGANGenerator,
                                    build_generator)
from imaginator_lite.training import Trainer, TrainConfig
from imaginator_lite import load_generator
from imaginator_lite.training.checkpoint import load_checkpoint

BASELINES = ("vgan", "mocogan")


def _tiny(family: str) -> ModelConfig:
    return ModelConfig.preset("tiny", family=family)


def _built(family: str, seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return build_generator(_tiny(family)).eval()


def _inputs(cfg: ModelConfig, batch: int = 3, seed: int = 1):
    g = torch.Generator().manual_seed(seed)
    image = torch.rand(batch, 3, cfg.image_size, cfg.image_size, generator=g) * 2 - 1
    z = torch.randn(batch, cfg.dim_z, generator=g)
    return image, z, torch.arange(batch) % cfg.n_classes


def _count(G: torch.nn.Module) -> int:
    return sum(p.numel() for p in G.parameters())


def test_the_factory_builds_each_family_and_generator_refuses_a_baseline_config():
    assert tuple(GENERATORS) == FAMILIES == ("imaginator", "vgan", "mocogan")
    for family, cls in (("imaginator", Generator), ("vgan", VGANGenerator), ("mocogan", MoCoGANGenerator)):
        G = build_generator(_tiny(family))
        assert type(G) is cls and G.cfg.family == family and G.output.name == "paint"
    with pytest.raises(ValueError, match="build_generator"):
        Generator(_tiny("vgan"))
    with pytest.raises(ValueError, match="build_generator"):
        VGANGenerator(_tiny("mocogan"))


@pytest.mark.parametrize("family", BASELINES)
@pytest.mark.parametrize("train_mode", [False, True])
def test_shapes_and_value_range_at_tiny(family, train_mode):
    G = _built(family).train(train_mode)
    cfg = G.cfg
    image, z, label = _inputs(cfg)
    video = G(image, z, label)
    assert video.shape == (3, 3, cfg.frames, cfg.image_size, cfg.image_size)
    assert video.dtype == torch.float32 and torch.isfinite(video).all()
    assert video.min() >= -1 and video.max() <= 1
    onehot = torch.nn.functional.one_hot(label, cfg.n_classes).float()
    if not train_mode:  # a one-hot label is the same call as class indices
        assert torch.equal(G(image, z, onehot), video)
    assert G.sample_noise(5).shape == (5, cfg.dim_z)


@pytest.mark.parametrize("family", BASELINES)
def test_the_warp_only_calls_and_bad_inputs_raise_clear_errors(family):
    G = _built(family)
    image, z, label = _inputs(G.cfg)
    for call in (lambda: G(image, z, label, return_mask=True), lambda: G.fields(image, z, label),
                 lambda: G.animate(image, z, label)):
        with pytest.raises(ValueError, match=f"needs a warp generator.*'{family}'"):
            call()
    with pytest.raises(ValueError, match="z must have shape"):
        G(image, z[:, :3], label)
    with pytest.raises(ValueError, match="expects 32x32"):
        G(torch.zeros(3, 3, 64, 64), z, label)


@torch.no_grad()
def test_vgan_background_is_still_and_the_video_is_the_masked_mix():
    G = _built("vgan")
    image, z, label = _inputs(G.cfg)
    f, m, b = G.streams(image, z, label)
    T, S = G.cfg.frames, G.cfg.image_size
    assert f.shape == b.shape == (3, 3, T, S, S) and m.shape == (3, 1, T, S, S)
    assert all(torch.equal(b[:, :, t], b[:, :, 0]) for t in range(T))  # one still image, exactly
    assert m.min() >= 0 and m.max() <= 1 and f.abs().max() <= 1 and b.abs().max() <= 1
    assert torch.equal(G(image, z, label), m * f + (1 - m) * b)
    assert not torch.equal(f[:, :, 0], f[:, :, -1])  # the foreground moves


@torch.no_grad()
def test_mocogan_renders_each_frame_from_its_own_motion_code():
    G = _built("mocogan")
    image, z, label = _inputs(G.cfg)
    content = G.inputs(image, z, label).code
    motion = G.motion_codes(z, label)
    assert motion.shape == (3, G.cfg.frames, G.dim_m + G.cfg.n_classes)
    video = G.render(content, motion)
    assert torch.equal(video, G(image, z, label))
    t = 5
    changed = motion.clone()
    changed[:, t, : G.dim_m] = -changed[:, t, : G.dim_m]  # an untrained generator barely reacts to small changes
    other = G.render(content, changed)
    diff = (other - video).abs().amax(dim=(0, 1, 3, 4))  # per frame
    assert diff[t] > 1e-4
    assert torch.cat([diff[:t], diff[t + 1:]]).max() < 1e-7, diff


@torch.no_grad()
def test_mocogan_motion_codes_differ_per_frame_and_depend_on_the_label_and_the_noise():
    G = _built("mocogan")
    _, z, _ = _inputs(G.cfg)
    zero, one = G.motion_codes(z, torch.zeros(3, dtype=torch.long)), G.motion_codes(z, torch.ones(3, dtype=torch.long))
    h = zero[..., : G.dim_m]
    steps = (h[:, 1:] - h[:, :-1]).abs().amax(dim=(0, 2))
    assert steps.min() > 1e-4, steps  # every frame's code differs from the one before
    assert (one[..., : G.dim_m] - h).abs().amax(dim=(0, 2)).min() > 1e-4  # the label changes the GRU's path at every t
    assert (G.motion_codes(z + 1, torch.zeros(3, dtype=torch.long))[..., : G.dim_m] - h).abs().max() > 1e-3
    assert torch.equal(G.motion_codes(z, torch.zeros(3, dtype=torch.long)), zero)  # the same z, the same codes


@pytest.mark.parametrize("preset", ["tiny", "small"])
def test_parameter_counts_are_of_the_same_order_as_imaginator(preset):
    with torch.device("meta"):
        counts = {f: _count(build_generator(ModelConfig.preset(preset, family=f))) for f in FAMILIES}
    for family in BASELINES:
        assert 0.5 < counts[family] / counts["imaginator"] < 2, counts


def test_family_round_trips_and_old_configs_load_as_imaginator():
    for family in FAMILIES:
        cfg = ModelConfig.preset("tiny", family=family)
        assert ModelConfig.from_dict(cfg.to_dict()) == cfg and cfg.to_dict()["family"] == family
    old = ModelConfig.preset("tiny").to_dict()
    del old["family"]
    assert ModelConfig.from_dict(old).family == "imaginator"


def test_an_unknown_family_or_an_imaginator_only_option_names_the_allowed_values():
    with pytest.raises(ValueError, match=r"family must be one of \('imaginator', 'vgan', 'mocogan'\) \(got 'tgan'\)"):
        ModelConfig.preset("tiny", family="tgan")
    for option in (dict(output="warp"), dict(output="tps"), dict(block="3d"), dict(fusion=False),
                   dict(widths="matched"), dict(decoder_init="official"), dict(mid_channels=(8, 8, 8, 8))):
        name = next(iter(option))
        with pytest.raises(ValueError, match=f"family 'vgan' paints its frames.*{name}="):
            ModelConfig.preset("tiny", family="vgan", **option)
    ModelConfig.preset("tiny", output="warp", fusion=False)  # still fine for ImaGINator


@pytest.fixture(scope="module")
def dataset(synthetic_store):
    return ClipDataset(synthetic_store(6, frames=20), "train", 16, random_window=True, seed=123)


@pytest.mark.parametrize("family", BASELINES)
def test_a_few_training_steps_then_the_loader_gives_back_the_same_generator(family, dataset, tmp_path):
    cfg = TrainConfig(steps=3, batch_size=4, device="cpu", out_dir=None, progress=False)  # no pictures: seconds
    trainer = Trainer(_tiny(family), cfg, dataset)
    losses = [trainer.train_step(*dataset.get_batch(list(range(4)))) for _ in range(3)]
    assert all(torch.isfinite(torch.tensor(list(row.values()))).all() for row in losses), losses
    trainer.save(tmp_path / "checkpoint.pt")
    assert load_checkpoint(tmp_path / "checkpoint.pt")["model_config"]["family"] == family
    G = load_generator(tmp_path / "checkpoint.pt")
    assert type(G) is type(trainer.G) and G.cfg == trainer.model_cfg and not G.training
    image, z, label = _inputs(G.cfg)
    with torch.no_grad():
        assert torch.equal(G(image, z, label), trainer.G.eval()(image, z, label))
    other = "mocogan" if family == "vgan" else "vgan"
    with pytest.raises(ValueError, match=f"holds a generator of family '{family}', but family '{other}'"):
        load_generator(tmp_path / "checkpoint.pt", family=other)
    with pytest.raises(ValueError, match=f"holds a generator of family '{family}', but family 'imaginator'"):
        load_generator(tmp_path / "checkpoint.pt", cfg=ModelConfig.preset("tiny"))


def test_train_cli_family_flag_trains_and_a_resume_checks_it(tmp_path, capsys):
    out, data = tmp_path / "run", tmp_path / "data"
    assert main(["train", "--preset", "tiny", "--family", "mocogan", "--identities", "6", "--steps", "2",
                 "--batch-size", "4", "--device", "cpu", "--out", str(out), "--data-root", str(data),
                 ]) == 0
    assert load_generator(out / "checkpoint.pt").cfg.family == "mocogan"
    assert main(["train", "--resume", str(out / "checkpoint.pt"), "--family", "vgan", "--steps", "3",
                 "--out", str(out)]) == 2
    assert "holds a generator of family 'mocogan'" in capsys.readouterr().err
    assert main(["train", "--preset", "tiny", "--family", "vgan", "--output", "warp", "--out", str(tmp_path / "w"),
                 "--data-root", str(data)]) == 2
    assert "family 'vgan' paints its frames" in capsys.readouterr().err
