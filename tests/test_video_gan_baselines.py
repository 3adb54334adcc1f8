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


# ------------------------------------------------------------------------------------------------ issue 32: pieces
@torch.no_grad()
def test_compose_picks_the_foreground_where_the_mask_is_one_and_is_what_vgan_returns():
    from imaginator_lite.models.vgan import compose

    G = _built("vgan")
    image, z, label = _inputs(G.cfg)
    f, m, b = G.streams(image, z, label)
    torch.testing.assert_close(compose(f, m, b[:, :, 0]), G(image, z, label))  # a still (B,3,H,W) is repeated
    torch.testing.assert_close(compose(f, m, b), G(image, z, label))
    assert torch.equal(compose(f, torch.ones_like(m), b), f) and torch.equal(compose(f, torch.zeros_like(m), b), b)


@torch.no_grad()
def test_unroll_motion_is_mocogans_motion_codes_and_starts_from_the_first_noise_vector():
    from imaginator_lite.models.mocogan import unroll_motion

    G = _built("mocogan")
    _, z, label = _inputs(G.cfg)
    onehot = torch.nn.functional.one_hot(label, G.cfg.n_classes).float()
    noise = G.motion_noise(z)
    assert noise.shape == (3, G.cfg.frames + 1, G.dim_m)
    torch.testing.assert_close(unroll_motion(G.gru, noise, onehot), G.motion_codes(z, label))
    moved = noise.clone()
    moved[:, 0] += 1  # the first state changes every code after it
    assert (unroll_motion(G.gru, moved, onehot) - G.motion_codes(z, label)).abs().amax(dim=(0, 2)).min() > 1e-5


def test_jitter_is_zero_for_a_steady_motion_and_large_for_flicker():
    from imaginator_lite.evaluation.evaluate import frame_measures, temporal_jitter

    t = torch.linspace(0, 1, 8).view(1, 1, 8, 1, 1)
    steady = (t * torch.ones(2, 3, 8, 4, 4)) * 2 - 1  # brightness rising linearly: no second difference
    flicker = steady.clone()
    flicker[:, :, 1::2] *= -1
    assert temporal_jitter(steady).abs().max() < 1e-6 and temporal_jitter(flicker).min() > 0.5
    g = torch.Generator().manual_seed(0)
    image = torch.rand(2, 3, 16, 16, generator=g) * 2 - 1
    still = image[:, :, None].expand(-1, -1, 5, -1, -1)
    m = frame_measures(still, image)
    assert m["appearance_ssim"] == pytest.approx([1.0] * 5, abs=1e-5)
    assert m["kept_detail"] == pytest.approx([1.0] * 5, rel=1e-5) and m["change"] == [0.0] * 5 and m["jitter"] == 0
    blurred = torch.nn.functional.avg_pool3d(still, (1, 3, 3), 1, (0, 1, 1), count_include_pad=False)
    assert max(frame_measures(blurred, image)["kept_detail"]) < 0.5  # blur loses detail


def test_the_study_records_the_claims_measures_and_the_real_clips_values():
    import json
    from pathlib import Path

    from imaginator_lite.study import CLAIMS, FAMILY_VARIANTS, METRICS, REAL_REFERENCE, VARIANTS, family_verdicts

    assert {c[0] for c in CLAIMS} <= set(METRICS) and set(REAL_REFERENCE) == {c[0] for c in CLAIMS}
    assert [v.model.get("family", "imaginator") for v in VARIANTS if v.name in FAMILY_VARIANTS] == list(FAMILIES)
    committed = json.loads((Path(__file__).resolve().parents[1] / "notebooks/results/ablations.json").read_text())
    for name in FAMILY_VARIANTS:
        runs = committed["variants"][name]["runs"]
        assert sorted(r["seed"] for r in runs) == [0, 1, 2], name
        for r in runs:
            assert all(m in r for m in REAL_REFERENCE) and set(r["real"]) == set(REAL_REFERENCE), (name, r["seed"])
    verdicts = family_verdicts(committed)
    assert set(verdicts) == set(FAMILY_VARIANTS[1:])
    assert all(v["verdict"] in ("reference better", "baseline better", "within the spread") for per in verdicts.values()
               for v in per.values())


def test_family_verdicts_follow_the_seed_spread_rule():
    from imaginator_lite.study import claim_lines, family_verdicts

    def runs(values):
        return {"runs": [{"seed": i, "appearance_ssim": a, "jitter": j, "kept_detail": k}
                         for i, (a, j, k) in enumerate(values)]}

    data = {"variants": {"full": runs([(0.9, 0.01, 0.8), (0.91, 0.012, 0.7), (0.92, 0.011, 0.75)]),
                         "vgan": runs([(0.5, 0.02, 0.72), (0.6, 0.03, 0.74), (0.55, 0.025, 0.9)]),
                         "mocogan": runs([(0.95, 0.1, 0.3), (0.96, 0.2, 0.31), (0.97, 0.3, 0.32)])}}
    v = family_verdicts(data)
    assert v["vgan"]["appearance_ssim"]["verdict"] == "reference better"
    assert v["vgan"]["jitter"]["verdict"] == "reference better"  # lower is better
    assert v["vgan"]["kept_detail"]["verdict"] == "within the spread"
    assert v["mocogan"]["appearance_ssim"]["verdict"] == "baseline better"
    assert v["mocogan"]["fd"]["verdict"] == "not measured"
    text = "\n".join(claim_lines(data))
    assert "against `mocogan` it is contradicted beyond the seed spread (0.910 ± 0.010 against 0.960 ± 0.010)" in text
    assert "against `vgan` it is not shown" in text


def test_add_measures_fills_what_a_finished_run_lacks_from_its_checkpoint(tmp_path):
    """A run recorded before a measure existed gains it from its own checkpoint, with the Frechet distance measured
    again beside the recorded one (equal: the same run), and nothing it already had changes."""
    import json

    from imaginator_lite.study import ADDABLE, StudySettings, add_measures, run_study

    settings = StudySettings(preset="tiny", recipe=StudySettings().recipe.replace(steps=2), identities=12, seeds=(0,),
                             variants=("vgan",), judge_min_steps=1)
    results = tmp_path / "study.json"
    data = run_study(results, settings, tmp_path / "work", progress=False, log=lambda line: None)
    before = data["variants"]["vgan"]["runs"][0]
    assert all(m in before for m in ADDABLE) and "photos" not in before  # a painting family: no photo measures
    old = {k: v for k, v in before.items() if k not in ("appearance_ssim", "kept_detail", "jitter", "real")}
    data["variants"]["vgan"]["runs"][0] = old
    results.write_text(json.dumps(data))
    lines = []
    added = add_measures(results, settings, tmp_path / "work", progress=False, log=lines.append)
    run = added["variants"]["vgan"]["runs"][0]
    assert lines == ["study: appearance_ssim, kept_detail, jitter of vgan, seed 0"]
    assert run["added"]["metrics"] == ["appearance_ssim", "kept_detail", "jitter"] and not run["added"]["retrained"]
    assert run["added"]["fd_again"] == pytest.approx(run["added"]["fd_recorded"], rel=1e-6)
    assert {k: run[k] for k in ("appearance_ssim", "kept_detail", "jitter", "real")} == \
        {k: before[k] for k in ("appearance_ssim", "kept_detail", "jitter", "real")}
    assert {k: run[k] for k in old} == old
    assert add_measures(results, settings, tmp_path / "work", progress=False, log=lines.append) == added  # nothing left
    assert len(lines) == 1


def test_more_detail_than_the_real_clips_is_called_noise_not_sharpness():
    from imaginator_lite.study import claim_lines

    def runs(values, real=None):
        return {"runs": [{"seed": i, "kept_detail": k, **({"real": {"kept_detail": real}} if real else {})}
                         for i, k in enumerate(values)]}

    data = {"variants": {"full": runs([0.8, 0.7, 0.75], real=1.0), "vgan": runs([1.4, 1.5, 1.3]),
                         "mocogan": runs([0.3, 0.31, 0.32])}}
    line = next(x for x in claim_lines(data) if "Frames are sharp" in x)
    assert "the real clips: 1.000" in line
    assert "against `vgan` it cannot be read here (0.750 ± 0.050 against 1.400 ± 0.100): `vgan` has more detail than " \
           "the real clips (1.000), which is noise, not sharpness" in line
    assert "against `mocogan` it holds beyond the seed spread" in line
