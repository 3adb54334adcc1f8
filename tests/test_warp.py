"""The warp output (issue 24): the warp maths, the warp generator at its size and at a photo's, training, and the
errors when a warp checkpoint is loaded as a paint model or the reverse."""
from __future__ import annotations

import pytest
import torch

from imaginator_lite.cli.main import main
from imaginator_lite.data.batching import fetch_batch
from imaginator_lite.data.store import ClipDataset
from imaginator_lite.generation.generate import synthetic_first_frames
from imaginator_lite.models.config import ModelConfig
from imaginator_lite.models.generator import Generator
from imaginator_lite.models.official import load_official, save_official
from imaginator_lite.models.warp import (MAX_FLOW, WarpFields, apply_fields, compose, identity_grid, pixels_to_flow,
                                         upsample_fields, warp_image)
from imaginator_lite.training import Trainer, TrainConfig
from imaginator_lite import load_generator
from imaginator_lite.training.checkpoint import load_checkpoint, save_checkpoint

TINY = ModelConfig.preset("tiny")
TINY_WARP = ModelConfig.preset("tiny", output="warp")


@pytest.fixture(scope="module")
def warp_generator():
    torch.manual_seed(0)
    return Generator(TINY_WARP).eval()


def _inputs(n=4, size=32, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 3, size, size, generator=g) * 2 - 1, torch.arange(n) % 6


# ------------------------------------------------------------------------------------------ the warp maths

@pytest.mark.parametrize("size", [16, 32, 256])
def test_zero_flow_and_mask_one_return_the_input_exactly(size):
    image, _ = _inputs(2, size)
    flow = torch.zeros(2, 2, 3, size, size)
    assert torch.equal(warp_image(image, flow), image[:, :, None].expand(-1, -1, 3, -1, -1))
    residual = torch.rand(2, 3, 3, size, size) * 2 - 1
    video = compose(image, flow, torch.ones(2, 1, 3, size, size), residual)
    assert torch.equal(video, image[:, :, None].expand_as(video))
    assert torch.equal(compose(image, flow, torch.zeros(2, 1, 3, size, size), residual), residual)  # mask 0: residual


def test_a_one_pixel_flow_moves_the_image_by_one_pixel():
    image, _ = _inputs(1, 32)
    dx, dy = pixels_to_flow((1, 0), 32, 32)
    assert (dx, dy) == (2 / 32, 0.0)
    flow = torch.zeros(1, 2, 1, 32, 32)
    flow[:, 0] = dx  # backward warp: each pixel shows its right-hand neighbour, so the picture moves left
    moved = warp_image(image, flow)[:, :, 0]
    assert torch.equal(moved[..., :-1], image[..., 1:])
    flow = torch.zeros(1, 2, 1, 32, 32)
    flow[:, 1] = -2 / 32  # and one pixel up in y: each pixel shows the one above it, the picture moves down
    moved = warp_image(image, flow)[:, :, 0]
    assert torch.equal(moved[..., 1:, :], image[..., :-1, :])


def test_the_identity_grid_is_pixel_centres():
    grid = identity_grid(4, 8)
    assert grid.shape == (4, 8, 2)
    assert torch.allclose(grid[0, :, 0], (2 * torch.arange(8.0) + 1) / 8 - 1)  # x along the width
    assert torch.allclose(grid[:, 0, 1], (2 * torch.arange(4.0) + 1) / 4 - 1)  # y along the height


def test_upsampled_fields_keep_normalised_flow_and_ranges():
    flow = torch.full((1, 2, 2, 8, 8), 0.1)
    fields = WarpFields(flow, torch.rand(1, 1, 2, 8, 8), torch.rand(1, 3, 2, 8, 8) * 2 - 1)
    big = upsample_fields(fields, 64)
    assert big.flow.shape == (1, 2, 2, 64, 64) and torch.allclose(big.flow, torch.full_like(big.flow, 0.1))
    assert big.mask.min() >= 0 and big.mask.max() <= 1 and big.residual.abs().max() <= 1
    assert upsample_fields(fields, 8) is fields


def test_warp_maths_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="upsample the flow"):
        warp_image(torch.zeros(1, 3, 32, 32), torch.zeros(1, 2, 4, 16, 16))
    with pytest.raises(ValueError, match=r"flow \(B, 2, T, H, W\)"):
        warp_image(torch.zeros(1, 3, 32, 32), torch.zeros(1, 3, 4, 32, 32))


# ------------------------------------------------------------------------------------------ the warp generator

def test_config_output_field_defaults_to_paint_and_is_validated():
    assert ModelConfig().output == "paint"
    assert all(ModelConfig.preset(p).output == "paint" for p in ModelConfig.preset_names())
    assert TINY_WARP.out_channels == 6 and TINY.out_channels == 3
    assert TINY_WARP.up_blocks()[-1].out_channels == 6
    # the same decoder as paint: every width equal, only the last layer's output channels differ
    paint, warp = ModelConfig.preset("small").up_blocks(), ModelConfig.preset("small", output="warp").up_blocks()
    assert [(s.in_channels, s.mid_channels) for s in paint] == [(s.in_channels, s.mid_channels) for s in warp]
    assert ModelConfig.preset("paper", output="warp").middle_widths() == ModelConfig.preset("paper").middle_widths()
    with pytest.raises(ValueError, match="output must be one of"):
        ModelConfig(output="morph")
    old = TINY.to_dict()
    del old["output"]  # a config written before the field existed
    assert ModelConfig.from_dict(old).output == "paint"
    assert ModelConfig.from_dict(TINY_WARP.to_dict()) == TINY_WARP


def test_warp_generator_output_shape_range_and_fields(warp_generator):
    image, labels = _inputs(3)
    z = warp_generator.sample_noise(3)
    with torch.no_grad():
        video = warp_generator(image, z, labels)
        fields = warp_generator.fields(image, z, labels)
    assert video.shape == (3, 3, TINY.frames, 32, 32) and video.dtype == torch.float32
    assert video.min() >= -1 and video.max() <= 1
    assert fields.flow.shape == (3, 2, 16, 32, 32) and fields.mask.shape == (3, 1, 16, 32, 32)
    assert fields.residual.shape == (3, 3, 16, 32, 32)
    assert fields.flow.abs().max() <= MAX_FLOW and 0 <= fields.mask.min() and fields.mask.max() <= 1
    assert torch.equal(video, compose(image, fields.flow, fields.mask, fields.residual))


@pytest.mark.parametrize("mode", ["eval", "train"])
def test_an_untrained_warp_generator_nearly_copies_its_input(mode):
    """Measured on 8 drawn faces (seed 3), mean |frame - input|: tiny 0.0077 in eval mode, 0.0125 in training mode
    (batch statistics: flows up to 0.35 px); small 0.0077 and 0.0138. An untrained paint generator's frames are
    about 0 (grey): 0.41 from the input."""
    torch.manual_seed(0)
    G = getattr(Generator(TINY_WARP), mode)()
    image = synthetic_first_frames(TINY_WARP, range(8), seed=3)
    with torch.no_grad():
        video = G(image, G.sample_noise(8), torch.arange(8) % 6)
        mask = G.fields(image, G.sample_noise(8), torch.arange(8) % 6).mask
    distance = (video - image[:, :, None]).abs().mean().item()
    assert distance < (0.01 if mode == "eval" else 0.02), distance
    assert mask.min() > 0.97
    torch.manual_seed(0)
    painted = Generator(TINY).eval()
    with torch.no_grad():
        assert (painted(image, painted.sample_noise(8), torch.arange(8) % 6) - image[:, :, None]).abs().mean() > 0.3


def test_at_a_photos_resolution(warp_generator):
    g = torch.Generator().manual_seed(1)
    photo = torch.rand(2, 3, 256, 256, generator=g) * 2 - 1
    z, labels = warp_generator.sample_noise(2), torch.tensor([0, 4])
    with torch.no_grad():
        video = warp_generator.animate(photo, z, labels)
        assert video.shape == (2, 3, 16, 256, 256) and video.min() >= -1 and video.max() <= 1
        small, _ = _inputs(2)
        assert torch.equal(warp_generator.animate(small, z, labels), warp_generator(small, z, labels))
        fields = warp_generator.fields(small, z, labels)
        assert torch.equal(apply_fields(small, fields), warp_generator(small, z, labels))
    with pytest.raises(ValueError, match="smaller than the model's 32x32"):
        warp_generator.animate(torch.zeros(1, 3, 16, 16), z[:1], labels[:1])


def test_paint_generators_neither_give_fields_nor_animate(tiny_generator):
    image, labels = _inputs(1)
    z = tiny_generator.sample_noise(1)
    for call in (tiny_generator.fields, tiny_generator.animate):
        with pytest.raises(ValueError, match="needs a warp generator.*'paint'"):
            call(image, z, labels)


# ------------------------------------------------------------------------------------------ training

@pytest.fixture(scope="module")
def dataset(synthetic_store):
    return ClipDataset(synthetic_store(6, frames=20), "train", TINY.frames, random_window=True, seed=123)


def test_train_steps_of_a_warp_model_lower_l1(dataset):
    """As tests/test_training.py's paint test: the same batch 12 times, L1 falls by 10% or more."""
    trainer = Trainer(TINY_WARP, TrainConfig(steps=4, batch_size=6, device="cpu", out_dir=None, progress=False), dataset)
    videos, labels = fetch_batch(dataset, list(range(6)))
    first = [trainer.train_step(videos, labels)["l1"] for _ in range(2)]
    for _ in range(10):
        last = trainer.train_step(videos, labels)["l1"]
    assert last < first[0] * 0.9, (first, last)


# ------------------------------------------------------------------------------------------ errors before work

@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    root = tmp_path_factory.mktemp("warp_ckpt")
    torch.manual_seed(0)
    paths = {}
    for cfg in (TINY, TINY_WARP):
        paths[cfg.output] = save_checkpoint(root / f"{cfg.output}.pt", model_cfg=cfg, generator=Generator(cfg))
    return paths


def test_loading_one_kind_as_the_other_names_both(checkpoints):
    for asked, found in (("paint", "warp"), ("warp", "paint")):
        with pytest.raises(ValueError, match=f"holds a {found} .* but a {asked} .*was asked for"):
            load_generator(checkpoints[found], output=asked)
        with pytest.raises(ValueError, match=f"holds a {found} .* but a {asked} "):
            load_generator(checkpoints[found], cfg=TINY if asked == "paint" else TINY_WARP)
        with pytest.raises(ValueError, match=f"holds a {found} .* but a {asked} "):
            Generator(TINY if asked == "paint" else TINY_WARP).load_state_dict(
                load_checkpoint(checkpoints[found])["generator"])
        assert load_generator(checkpoints[found]).cfg.output == found  # its own config: fine
        assert load_generator(checkpoints[found], output=found).cfg.output == found


def test_an_old_checkpoint_without_output_loads_as_paint(tmp_path, checkpoints):
    ckpt = load_checkpoint(checkpoints["paint"])
    del ckpt["model_config"]["output"]
    torch.save(ckpt, tmp_path / "old.pt")
    G = load_generator(tmp_path / "old.pt")
    assert G.cfg.output == "paint"
    with pytest.raises(ValueError, match="holds a paint .* but a warp"):
        load_generator(tmp_path / "old.pt", output="warp")


def test_an_official_file_is_a_paint_generator(tmp_path):
    torch.manual_seed(0)
    save_official(Generator(TINY), tmp_path / "g.pth")
    with pytest.raises(ValueError, match="official ImaGINator generator.*paint .* but a warp"):
        load_official(tmp_path / "g.pth", cfg=TINY_WARP)
    with pytest.raises(ValueError, match="official ImaGINator generator.*paint .* but a warp"):
        load_generator(tmp_path / "g.pth", cfg=TINY_WARP)


def test_load_generator_checks_the_kind(checkpoints):
    G = load_generator(checkpoints["warp"], output="warp")
    assert G.cfg.output == "warp"
    with pytest.raises(ValueError, match="shipped pretrained 'faces' model holds a paint"):
        load_generator("faces", output="warp")
    with pytest.raises(ValueError, match="unknown generator 'facez'.*faces-warp"):
        load_generator("facez")


def test_train_and_resume_with_output_warp(tmp_path, capsys):
    out, data = tmp_path / "run", tmp_path / "data"
    assert main(["train", "--preset", "tiny", "--output", "warp", "--identities", "6", "--steps", "2",
                 "--batch-size", "4", "--device", "cpu", "--out", str(out), "--data-root", str(data)]) == 0
    assert load_generator(out / "checkpoint.pt").cfg.output == "warp"
    assert main(["train", "--resume", str(out / "checkpoint.pt"), "--output", "paint", "--steps", "3",
                 "--out", str(out)]) == 2
    assert "holds a warp" in capsys.readouterr().err
    assert main(["train", "--resume", str(out / "checkpoint.pt"), "--output", "warp", "--steps", "3",
                 "--out", str(out)]) == 0
    assert load_checkpoint(out / "checkpoint.pt")["step"] == 3


def test_tour_output_warp_reaches_the_settings(monkeypatch, tmp_path):
    import imaginator_lite.tour as tour

    seen = {}

    def fake_run_tour(out, settings, progress=True):
        seen["settings"] = settings
        return {"passed": True}

    monkeypatch.setattr(tour, "run_tour", fake_run_tour)
    assert main(["tour", "--out", str(tmp_path), "--output", "warp", "--no-progress"]) == 0
    assert seen["settings"].output == "warp" and seen["settings"].train == tour.TOUR_RECIPE
    assert tour.TourSettings().output == "paint"


def test_generate_at_resolution(warp_generator, tiny_generator, tmp_path):
    from PIL import Image

    from imaginator_lite.generation import generate, generate_at_resolution

    small, _ = _inputs(1)
    same = generate_at_resolution(warp_generator, small[0], "happiness", seed=3, n=2)
    assert torch.equal(same, generate(warp_generator, small[0], "happiness", seed=3, n=2))
    Image.new("RGB", (300, 200), (200, 120, 80)).save(tmp_path / "photo.png")
    video = generate_at_resolution(warp_generator, tmp_path / "photo.png", "anger", size=128)
    assert video.shape == (1, 3, 16, 128, 128)
    # a crop smaller than the asked size is upsampled; only one smaller than the model's size is refused
    cropped = generate_at_resolution(warp_generator, tmp_path / "photo.png", "anger", size=256, crop_face=True)
    assert cropped.shape == (1, 3, 16, 256, 256)
    Image.new("RGB", (20, 20), (200, 120, 80)).save(tmp_path / "tiny.png")
    with pytest.raises(ValueError, match="photo too small: it is 20x20 px"):
        generate_at_resolution(warp_generator, tmp_path / "tiny.png", "anger", size=128, crop_face=True)
    with pytest.raises(ValueError, match="needs a warp generator, but this one is 'paint'"):
        generate_at_resolution(tiny_generator, small[0], "anger")


def test_the_warp_is_computed_in_float32_under_bf16_autocast(warp_generator):
    image, labels = _inputs(2)
    z = warp_generator.sample_noise(2)
    with torch.no_grad():
        with torch.autocast("cpu", dtype=torch.bfloat16):
            video = warp_generator(image, z, labels)
        plain = warp_generator(image, z, labels)
    assert video.dtype == torch.float32 and torch.isfinite(video).all()
    assert (video - plain).abs().max() < 0.05  # bf16 convolutions, float32 warp


# ------------------------------------------------------------------------------------------ the paint penalty

def test_the_paint_penalty_enters_the_loss_and_lowers_the_painted_share(dataset):
    """g_total = 100 L1 + the adversarial terms + penalty x painted share; after the same 12 steps on one batch,
    a penalised model paints less than an unpenalised one from the same initialisation (measured with batch
    statistics, as in training: 12 steps barely move BatchNorm's running averages)."""
    videos, labels = fetch_batch(dataset, list(range(6)))
    painted = {}
    for penalty in (0.0, 200.0):
        cfg = TrainConfig(steps=12, batch_size=6, lr=2e-3, device="cpu", out_dir=None, progress=False,
                          paint_penalty=penalty)
        trainer = Trainer(TINY_WARP, cfg, dataset)
        for _ in range(12):
            values = trainer.train_step(videos, labels)
        if penalty:
            assert "painted" in values
            assert values["g_total"] == pytest.approx(100 * values["l1"] + values["g_video"] + values["g_image"]
                                                      + penalty * values["painted"], rel=1e-5)
        with torch.no_grad():
            z = torch.randn(6, TINY_WARP.dim_z, generator=torch.Generator().manual_seed(1))
            painted[penalty] = float((1 - trainer.G.train().fields(videos[:, :, 0], z, labels).mask).mean())
    assert painted[200.0] < painted[0.0] * 0.8, painted


def test_the_paint_penalty_needs_a_warp_model(dataset, tiny_generator):
    with pytest.raises(ValueError, match="needs a warp generator.*--output warp"):
        Trainer(TINY, TrainConfig(steps=1, batch_size=2, device="cpu", out_dir=None, paint_penalty=1.0), dataset)
    with pytest.raises(ValueError, match="must be >= 0"):
        TrainConfig(paint_penalty=-1.0)
    image, labels = _inputs(2)
    with pytest.raises(ValueError, match="needs a warp generator"):
        tiny_generator(image, torch.zeros(2, TINY.dim_z), labels, return_mask=True)
