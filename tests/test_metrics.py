"""Metrics against independent reference implementations and closed forms."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from scipy.signal import correlate2d

from imaginator_lite.evaluation import metrics as M
from imaginator_lite.evaluation.evaluate import evaluate_with_baselines, summary_table
from imaginator_lite.evaluation.classifier import (VideoClassifier, get_classifier, load_feature_net, save_classifier,
                                        train_classifier)
from imaginator_lite.models.config import ModelConfig
from imaginator_lite.models.generator import Generator
from imaginator_lite.data.store import ClipDataset


def _videos(seed=0, b=2, t=3, s=32):
    g = torch.Generator().manual_seed(seed)
    real = torch.rand(b, 3, t, s, s, generator=g) * 2 - 1
    fake = (real + 0.2 * torch.randn(b, 3, t, s, s, generator=g)).clamp(-1, 1)
    return fake, real


def _reference_ssim(x: np.ndarray, y: np.ndarray) -> float:
    """Gaussian-window (11, sigma 1.5) SSIM on one (3,H,W) frame in [0,1], 'valid' windows, channel mean."""
    coords = np.arange(11) - 5
    g = np.exp(-coords ** 2 / (2 * 1.5 ** 2))
    w = np.outer(g, g) / np.outer(g, g).sum()
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    values = []
    for a, b in zip(x, y):
        mu_a, mu_b = correlate2d(a, w, "valid"), correlate2d(b, w, "valid")
        var_a = correlate2d(a * a, w, "valid") - mu_a ** 2
        var_b = correlate2d(b * b, w, "valid") - mu_b ** 2
        cov = correlate2d(a * b, w, "valid") - mu_a * mu_b
        s = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a ** 2 + mu_b ** 2 + c1) * (var_a + var_b + c2))
        values.append(s.mean())
    return float(np.mean(values))


def test_ssim_matches_independent_reference():
    fake, real = _videos()
    ours = M.ssim_per_frame(fake, real)
    assert ours.shape == (2, 3)
    f, r = ((fake + 1) / 2).double().numpy(), ((real + 1) / 2).double().numpy()
    for b in range(2):
        for t in range(3):
            assert ours[b, t].item() == pytest.approx(_reference_ssim(f[b, :, t], r[b, :, t]), abs=1e-4)
    assert torch.allclose(M.ssim_per_frame(real, real), torch.ones(2, 3), atol=1e-5)


def test_psnr_per_frame_by_hand_and_official_differs():
    fake, real = _videos(1)
    f, r = ((fake + 1) / 2).double().numpy(), ((real + 1) / 2).double().numpy()
    mse = ((f - r) ** 2).mean(axis=(1, 3, 4))  # (B, T): one MSE per frame
    expected = 10 * np.log10(1 / mse)
    assert np.allclose(M.psnr_per_frame(fake, real).numpy(), expected, atol=1e-3)
    official = 10 * np.log10(1 / ((f - r) ** 2).mean())
    assert M.official_psnr(fake, real) == pytest.approx(official, abs=1e-4)
    # the batch-MSE PSNR is never above the mean of per-frame PSNRs (Jensen), and differs when frames differ
    scaled = fake.clone()
    scaled[0] = real[0] + 0.01 * (fake[0] - real[0])
    assert M.official_psnr(scaled, real) < M.psnr_per_frame(scaled, real).mean().item() - 1.0
    assert M.psnr_per_frame(real, real).max().item() == M.PSNR_CAP_DB


def test_l1_and_appearance():
    fake, real = _videos(2)
    assert torch.allclose(M.l1_per_video(fake, real), (fake - real).abs().mean(dim=(1, 2, 3, 4)))
    static = real[:, :, :1].expand(-1, -1, 4, -1, -1)
    assert torch.allclose(M.appearance_retention(real[:, :, 0], static), torch.ones(2), atol=1e-5)


def test_frechet_distance_closed_form_for_diagonal_gaussians():
    mu1, mu2 = np.array([0.0, 1.0, -2.0]), np.array([1.0, 1.5, 0.0])
    s1, s2 = np.array([1.0, 4.0, 0.25]), np.array([2.0, 1.0, 0.25])
    closed = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(s1) - np.sqrt(s2)) ** 2)
    assert M.frechet_distance_from_stats(mu1, np.diag(s1), mu2, np.diag(s2)) == pytest.approx(closed, rel=1e-10)
    # from samples: converges to the closed form
    rng = np.random.default_rng(0)
    a = mu1 + np.sqrt(s1) * rng.standard_normal((200_000, 3))
    b = mu2 + np.sqrt(s2) * rng.standard_normal((200_000, 3))
    assert M.frechet_distance(a, b) == pytest.approx(closed, rel=0.02)
    assert M.frechet_distance(a, a) == pytest.approx(0.0, abs=1e-8)
    # rank-deficient covariances (fewer samples than features) stay finite and non-negative
    few = rng.standard_normal((5, 16))
    assert np.isfinite(M.frechet_distance(few, few + 1)) and M.frechet_distance(few, few + 1) >= 0


def test_conditional_accuracy_sanity():
    labels = torch.tensor([0, 1, 2, 3, 4, 5, 0, 1])
    perfect = lambda v: torch.nn.functional.one_hot(labels, 6).float()  # noqa: E731
    constant = lambda v: torch.nn.functional.one_hot(torch.zeros_like(labels), 6).float()  # noqa: E731
    videos = torch.zeros(8, 3, 2, 32, 32)
    assert M.conditional_accuracy(perfect, videos, labels) == 1.0
    assert M.conditional_accuracy(constant, videos, labels) == pytest.approx(2 / 8)


@pytest.fixture(scope="module")
def faces(synthetic_store):
    return synthetic_store(8, seed=1)


def test_classifier_trains_at_least_min_steps_on_a_small_store(faces):
    train = ClipDataset(faces, "train", 16, random_window=True)
    batches_per_epoch = max(1, len(train) // 32)  # EpochSampler drops the last partial batch
    assert batches_per_epoch < 10  # a few dozen clips: 2 epochs alone would leave the judge near chance
    assert train_classifier(train, epochs=2, width=4, progress=False, min_steps=0).info["steps"] == 2 * batches_per_epoch
    assert train_classifier(train, epochs=2, width=4, progress=False, min_steps=25).info["steps"] == 25


def test_classifier_cache_and_evaluate_with_baselines(faces, tmp_path):
    cache = tmp_path / "cache"
    net = get_classifier(faces, 16, cache_dir=cache, epochs=2, width=4, progress=False)
    files = list(cache.glob("classifier-*.pt"))
    assert len(files) == 1
    stamp = files[0].stat().st_mtime_ns
    again = get_classifier(faces, 16, cache_dir=cache, epochs=2, width=4, progress=False)
    assert files[0].stat().st_mtime_ns == stamp  # loaded, not retrained
    video = torch.zeros(2, 3, 16, 32, 32)
    assert torch.equal(net(video), again(video))

    test = ClipDataset(faces, "test", 16, random_window=False)
    train = ClipDataset(faces, "train", 16, random_window=False)
    torch.manual_seed(0)
    G = Generator(ModelConfig.preset("tiny")).eval()
    results = evaluate_with_baselines(G, test, train, feature_net=net)
    assert set(results) == {"model", "copy_first_frame", "class_mean_video", "class_mean_motion"}
    for r in results.values():
        assert {"ssim", "psnr", "psnr_official", "l1", "moving_l1", "motion_l1", "fd", "conditional_accuracy",
                "appearance_ssim"} <= set(r)
        assert 0 <= r["conditional_accuracy"] <= 1
    assert results["copy_first_frame"]["appearance_ssim"] == pytest.approx(1.0, abs=1e-5)
    assert results["model"]["l1"] > results["copy_first_frame"]["l1"]  # an untrained G is worse than copying
    assert "copy_first_frame" in summary_table(results)
    # the class-mean video ignores the input, so it keeps no appearance: worse than copying the frame
    assert results["class_mean_video"]["l1"] > results["copy_first_frame"]["l1"]
    assert results["class_mean_video"]["appearance_ssim"] < 0.9


def test_user_feature_weights(tmp_path):
    net = VideoClassifier(6, width=4)
    path = save_classifier(net, tmp_path / "mine.pt")
    loaded = load_feature_net(path)
    video = torch.zeros(1, 3, 16, 32, 32)
    with torch.no_grad():
        assert torch.equal(loaded(video), net.eval()(video))
    scripted = tmp_path / "scripted.pt"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # TorchScript is deprecated but still common
        torch.jit.script(net).save(str(scripted))
    assert load_feature_net(scripted)(video).shape == (1, 6)
    (tmp_path / "junk.pt").write_bytes(b"junk")
    with pytest.raises(ValueError, match="TorchScript"):
        load_feature_net(tmp_path / "junk.pt")
