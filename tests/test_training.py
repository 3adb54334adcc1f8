"""Trainer: learning, bit-exact resume, NaN and Ctrl-C handling, checkpoints, load_generator."""
from __future__ import annotations

import pytest
import torch

from imaginator_lite import load_generator
from imaginator_lite.training.checkpoint import load_checkpoint, save_checkpoint
from imaginator_lite.models.config import ModelConfig
from imaginator_lite.models.generator import Generator
from imaginator_lite.models.official import save_official
from imaginator_lite.data.store import ClipDataset
from imaginator_lite.data.batching import fetch_batch
from imaginator_lite.training import NonFiniteLossError, Trainer, TrainConfig

TINY = ModelConfig.preset("tiny")


@pytest.fixture(scope="module")
def store(synthetic_store):
    # 20-frame clips so the 16-frame training windows are random (the trainer owns that RNG too)
    return synthetic_store(6, frames=20)


@pytest.fixture()
def dataset(store):
    return ClipDataset(store, "train", TINY.frames, random_window=True, seed=123)


def _cfg(tmp_path, **kw):
    base = dict(steps=4, batch_size=6, device="cpu", out_dir=str(tmp_path), progress=False, log_every=1)
    base.update(kw)
    return TrainConfig(**base)


def test_train_steps_lower_l1(tmp_path, dataset):
    trainer = Trainer(TINY, _cfg(tmp_path, out_dir=None), dataset)
    videos, labels = fetch_batch(dataset, list(range(6)))
    first = [trainer.train_step(videos, labels)["l1"] for _ in range(2)]
    for _ in range(10):
        last = trainer.train_step(videos, labels)["l1"]
    assert last < first[0] * 0.9, (first, last)


def _all_state(trainer):
    state = {}
    for name, net in trainer.networks().items():
        state.update({f"{name}.{k}": v for k, v in net.state_dict().items()})
    for name, opt in trainer.optimizers.items():
        for pid, s in opt.state_dict()["state"].items():
            state.update({f"opt{name}.{pid}.{k}": v for k, v in s.items() if torch.is_tensor(v)})
    return state


@pytest.mark.parametrize("precision", ["fp32", "fp16"])
def test_resume_is_bit_identical(tmp_path, dataset, store, precision):
    straight = Trainer(TINY, _cfg(tmp_path / "a", steps=6, precision=precision), dataset)
    straight.train()

    first = Trainer(TINY, _cfg(tmp_path / "b", steps=3, precision=precision), ClipDataset(store, "train", 16, seed=999))
    first.train()
    resumed = Trainer.resume(tmp_path / "b" / "checkpoint.pt", ClipDataset(store, "train", 16, seed=5), steps=6)
    assert resumed.step == 3
    if precision == "fp16":  # the loss scale (and its growth tracker) travels with the checkpoint
        assert resumed.scaler is not None and resumed.scaler.state_dict() == first.scaler.state_dict()
    resumed.train()
    assert resumed.step == 6
    a, b = _all_state(straight), _all_state(resumed)
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key
    assert [h["l1"] for h in straight.history] == [h["l1"] for h in resumed.history]
    assert (tmp_path / "b" / "log.csv").read_text().count("\n") == 7  # header + 6 steps


def test_nan_loss_stops_and_keeps_good_checkpoint(tmp_path, dataset):
    trainer = Trainer(TINY, _cfg(tmp_path, steps=2, checkpoint_every=1), dataset)
    trainer.train()
    good = load_checkpoint(tmp_path / "checkpoint.pt")
    before = {k: v.clone() for k, v in trainer.G.state_dict().items()}

    class Poisoned:
        def __len__(self):
            return len(dataset)

        def get_batch(self, indices):
            videos, labels = dataset.get_batch(indices)
            return videos * float("nan"), labels

    trainer = Trainer.resume(tmp_path / "checkpoint.pt", Poisoned())  # the same run, now fed NaN videos
    with pytest.raises(NonFiniteLossError, match=r"step 3.*l1=nan"):
        trainer.train(steps=2)
    after = load_checkpoint(tmp_path / "checkpoint.pt")
    assert after["step"] == 2
    for k, v in good["generator"].items():
        assert torch.equal(v, after["generator"][k])
    for k, v in trainer.G.state_dict().items():  # the NaN never reached the weights
        assert torch.equal(v, before[k]), k


def test_keyboard_interrupt_saves_checkpoint(tmp_path, dataset):
    calls = {"n": 0}

    class Interrupting:
        def __len__(self):
            return len(dataset)

        def get_batch(self, indices):
            calls["n"] += 1
            if calls["n"] == 3:
                raise KeyboardInterrupt
            return dataset.get_batch(indices)

    trainer = Trainer(TINY, _cfg(tmp_path, steps=5), Interrupting())
    with pytest.raises(KeyboardInterrupt):
        trainer.train()
    assert load_checkpoint(tmp_path / "checkpoint.pt")["step"] == 2


def test_checkpoint_round_trip_and_load_generator(tmp_path, dataset):
    trainer = Trainer(TINY, _cfg(tmp_path, steps=1), dataset)
    trainer.train()
    ckpt = load_checkpoint(trainer.checkpoint_path)
    assert ckpt["step"] == 1 and ckpt["train_config"]["batch_size"] == 6
    assert ModelConfig.from_dict(ckpt["model_config"]) == TINY
    assert {"torch_cpu", "numpy", "python"} <= set(ckpt["rng"])
    assert (tmp_path / "loss_curve.png").is_file() and list((tmp_path / "samples").glob("*.gif"))
    G = load_generator(trainer.checkpoint_path)
    image, z, label = torch.rand(2, 3, 32, 32) * 2 - 1, torch.randn(2, TINY.dim_z), torch.tensor([0, 4])
    with torch.no_grad():
        assert torch.equal(G(image, z, label), trainer.G.eval()(image, z, label))


def test_load_generator_official_format(tmp_path):
    torch.manual_seed(0)
    G = Generator(TINY).eval()
    save_official(G, tmp_path / "official.pth")
    loaded = load_generator(tmp_path / "official.pth", cfg=TINY)
    image, z, label = torch.rand(1, 3, 32, 32) * 2 - 1, torch.randn(1, TINY.dim_z), torch.tensor([4])
    with torch.no_grad():
        assert torch.equal(loaded(image, z, label), G(image, z, label))
    with pytest.raises(ValueError, match="does not match"):
        load_generator(tmp_path / "official.pth")  # a tiny file is not the paper preset


def test_bad_checkpoint_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="checkpoint not found"):
        load_generator(tmp_path / "missing.pt")
    bad = tmp_path / "corrupt.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="corrupt"):
        load_checkpoint(bad)
    save_checkpoint(tmp_path / "ok.pt", model_cfg=TINY, generator=Generator(TINY))
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes((tmp_path / "ok.pt").read_bytes()[:200])
    with pytest.raises(ValueError):
        load_generator(truncated)


def test_bf16_and_ablation_steps_run(tmp_path, dataset):
    videos, labels = fetch_batch(dataset, list(range(4)))
    out = Trainer(TINY, _cfg(tmp_path, out_dir=None, precision="bf16"), dataset).train_step(videos, labels)
    assert set(out) >= {"l1", "g_video", "g_image", "d_video", "d_image"}
    out = Trainer(TINY, _cfg(tmp_path, out_dir=None, use_video_disc=False, use_image_disc=False),
                  dataset).train_step(videos, labels)
    assert set(out) == {"g_total", "l1"}


def test_fp16_uses_a_grad_scaler_that_skips_overflowing_steps(dataset):
    videos, labels = fetch_batch(dataset, list(range(4)))
    trainer = Trainer(TINY, _cfg(None, out_dir=None, precision="fp16"), dataset)
    assert Trainer(TINY, _cfg(None, out_dir=None), dataset).scaler is None
    trainer.scaler = torch.amp.GradScaler("cpu", init_scale=2.0 ** 120)  # scaled fp32 grads overflow to inf
    before = {k: v.clone() for k, v in trainer.G.state_dict().items()}
    out = trainer.train_step(videos, labels)
    assert all(torch.isfinite(torch.tensor(v)) for v in out.values())
    assert trainer.scaler.get_scale() == 2.0 ** 119  # halved after the overflow ...
    for k, v in trainer.G.named_parameters():
        assert torch.equal(v, before[k]), k  # ... and the update skipped
    trainer.scaler = torch.amp.GradScaler("cpu", init_scale=2.0 ** 24)
    for _ in range(20):  # the scaler halves the scale until the scaled fp16 gradients fit, then updates
        trainer.train_step(videos, labels)
        if any(not torch.equal(v, before[k]) for k, v in trainer.G.named_parameters()):
            break
    else:
        pytest.fail(f"no fp16 update in 20 steps (scale {trainer.scaler.get_scale()})")


def test_train_config_validation():
    with pytest.raises(ValueError, match="precision"):
        TrainConfig(precision="fp8")
    with pytest.raises(ValueError, match="adversarial"):
        TrainConfig(adversarial="wgan")
    assert TrainConfig.from_dict(TrainConfig(steps=7).to_dict()).steps == 7


def test_load_generator_official_paper_file(tmp_path):
    """An official-format file (DataParallel keys, old spectral-norm names) loads into the paper preset."""
    torch.manual_seed(0)
    paper = Generator(ModelConfig.preset("paper")).eval()
    save_official(paper, tmp_path / "official_G.pth")
    loaded = load_generator(tmp_path / "official_G.pth")
    assert loaded.cfg.name == "paper" and not loaded.training
    image, z, label = torch.rand(1, 3, 64, 64) * 2 - 1, torch.randn(1, 512), torch.tensor([4])
    with torch.no_grad():
        assert torch.equal(loaded(image, z, label), paper(image, z, label))


def test_tensorboard_logs_every_loss(tmp_path, dataset):
    event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    trainer = Trainer(TINY, _cfg(tmp_path, steps=3, log_every=1), dataset)
    trainer.train()
    runs = list((tmp_path / "tensorboard").glob("events.out.tfevents.*"))
    assert len(runs) == 1, runs
    acc = event_accumulator.EventAccumulator(str(tmp_path / "tensorboard"))
    acc.Reload()
    tags = set(acc.Tags()["scalars"])
    assert {"loss/g_total", "loss/l1", "loss/d_video", "loss/d_image"} <= tags
    l1 = acc.Scalars("loss/l1")
    assert [e.step for e in l1] == [1, 2, 3]
    assert l1[-1].value == pytest.approx(trainer.history[-1]["l1"], rel=1e-6)


@pytest.mark.e2e
def test_compiled_networks_train_like_eager_ones(tmp_path, dataset):
    """compile=True (the full mode's torch.compile) runs the same steps to the same losses."""
    eager = Trainer(TINY, _cfg(tmp_path, out_dir=None, steps=2), dataset)
    eager.train()
    compiled = Trainer(TINY, _cfg(tmp_path, out_dir=None, steps=2, compile=True), dataset)
    compiled.train()
    for a, b in zip(eager.history, compiled.history):
        assert b["l1"] == pytest.approx(a["l1"], rel=1e-3)


def test_a_checkpoint_from_before_the_d_v_d_i_names_resumes_its_optimiser_states(tmp_path, dataset):
    """Checkpoints written while the discriminators' optimisers were keyed VD / ID still resume exactly."""
    trainer = Trainer(TINY, _cfg(tmp_path, steps=2), dataset)
    trainer.train()
    path = trainer.save()
    ckpt = torch.load(path, weights_only=False)
    ckpt["optimizers"] = {{"D_V": "VD", "D_I": "ID"}.get(k, k): v for k, v in ckpt["optimizers"].items()}
    torch.save(ckpt, path)
    resumed = Trainer.resume(path, dataset)
    for name in ("D_V", "D_I"):
        before, after = trainer.optimizers[name].state_dict()["state"], resumed.optimizers[name].state_dict()["state"]
        assert after and all(torch.equal(before[i]["exp_avg"], after[i]["exp_avg"]) for i in before)


def test_a_checkpoint_with_its_random_streams_under_the_old_key_sampler_resumes_them(tmp_path, dataset):
    """The run's random streams were saved under "sampler" before the key said what it holds
    ("random_streams"); such a checkpoint still resumes every stream."""
    trainer = Trainer(TINY, _cfg(tmp_path, steps=2), dataset)
    trainer.train()
    path = trainer.save()
    ckpt = torch.load(path, weights_only=False)
    assert set(ckpt["random_streams"]) == {"noise_generator", "frame_generator", "epoch_sampler", "window_rng"}
    ckpt["sampler"] = ckpt.pop("random_streams")
    torch.save(ckpt, path)
    resumed = Trainer.resume(path, dataset)
    assert torch.equal(resumed.noise_generator.get_state(), trainer.noise_generator.get_state())
    assert torch.equal(resumed.frame_generator.get_state(), trainer.frame_generator.get_state())
    assert torch.equal(resumed.sampler.order, trainer.sampler.order)
    assert (resumed.sampler.position, resumed.sampler.epoch) == (trainer.sampler.position, trainer.sampler.epoch)
    assert torch.equal(resumed.sampler.generator.get_state(), trainer.sampler.generator.get_state())
    assert resumed.window_rng.bit_generator.state == trainer.window_rng.bit_generator.state
    fresh = Trainer(TINY, _cfg(tmp_path / "fresh", steps=2), dataset)  # the streams differ from a fresh run's
    assert not torch.equal(fresh.noise_generator.get_state(), resumed.noise_generator.get_state())
