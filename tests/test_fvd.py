"""FVD with a user-supplied TorchScript detector, tested with a stand-in of the I3D detector's call signature
(`detector(videos_uint8, rescale=True, resize=True, return_features=True)` -> (B, D) features)."""
import json

import pytest
import torch

from imaginator_lite.cli.main import main
from imaginator_lite.evaluation.fvd import fvd_between, fvd_of_generator, load_fvd_detector
from imaginator_lite.training.checkpoint import save_checkpoint


class StandInDetector(torch.nn.Module):
    """Per channel: mean, spread, motion energy and a 2x2 spatial layout of each clip (21 features)."""

    def forward(self, videos: torch.Tensor, rescale: bool = True, resize: bool = True,
                return_features: bool = True) -> torch.Tensor:
        x = videos.float() / 127.5 - 1.0 if rescale else videos.float()
        b, c = x.shape[0], x.shape[1]
        motion = (x[:, :, 1:] - x[:, :, :-1]).abs().mean(dim=(2, 3, 4))
        layout = torch.nn.functional.adaptive_avg_pool3d(x, (1, 2, 2)).reshape(b, c * 4)
        return torch.cat([x.mean(dim=(2, 3, 4)), x.std(dim=(2, 3, 4)), motion, layout], dim=1)


class NotADetector(torch.nn.Module):
    def forward(self, videos: torch.Tensor) -> torch.Tensor:
        return videos.float().mean(dim=(1, 2, 3, 4))


@pytest.fixture(scope="module")
def detector_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("fvd") / "standin_i3d.pt"
    torch.jit.script(StandInDetector()).save(str(path))
    return path


@pytest.fixture(scope="module")
def clips(synthetic_store):
    from imaginator_lite.data.store import ClipDataset

    test = ClipDataset(synthetic_store(20, seed=1), "test", 16, random_window=False)
    return test, test.get_batch(list(range(len(test))))


def test_fvd_of_real_against_itself_is_zero_and_against_noise_large(detector_file, clips):
    detector = load_fvd_detector(detector_file)
    _, (real, labels) = clips
    same, same_per_class = fvd_between(detector, real, real.clone(), labels, 6)
    noise = torch.rand(real.shape, generator=torch.Generator().manual_seed(0)) * 2 - 1
    far, far_per_class = fvd_between(detector, real, noise, labels, 6)
    assert same < 1e-6 and same_per_class < 1e-6
    assert far > 1.0 and far > 1e6 * max(same, 1e-12)
    assert far_per_class > 1.0


def test_repeats_give_a_mean_and_a_spread_and_record_the_detector(detector_file, clips, tiny_generator):
    test, _ = clips
    report = fvd_of_generator(tiny_generator, test, load_fvd_detector(detector_file), repeats=3, progress=False)
    values = report["fvd"]["values"]
    assert len(values) == 3 and len(set(values)) == 3 and report["fvd"]["std"] > 0
    assert report["fvd"]["mean"] == pytest.approx(sum(values) / 3)
    assert report["real_clips"] == report["generated_clips_per_repeat"] == len(test)
    assert report["frames"] == 16 and report["resolution"] == "32x32"
    from imaginator_lite.atomic import sha256_of

    assert report["detector"]["sha256"] == sha256_of(detector_file) and report["detector"]["feature_dim"] == 21


def test_a_file_of_the_wrong_kind_fails_with_a_clear_message(tmp_path):
    text = tmp_path / "i3d.pt"
    text.write_text("not a network")
    with pytest.raises(ValueError, match="is not a TorchScript file.*StyleGAN-V"):
        load_fvd_detector(text)
    wrong = tmp_path / "classifier.pt"
    torch.jit.script(NotADetector()).save(str(wrong))
    with pytest.raises(ValueError, match="cannot be called as detector.*return_features=True"):
        load_fvd_detector(wrong)
    with pytest.raises(FileNotFoundError, match="FVD detector .* not found"):
        load_fvd_detector(tmp_path / "missing.pt")


def test_evaluate_reports_fvd_and_writes_the_detector_sha256(detector_file, tiny_generator, tmp_path, capsys):
    from imaginator_lite.atomic import sha256_of

    ckpt = save_checkpoint(tmp_path / "tiny.pt", model_cfg=tiny_generator.cfg, generator=tiny_generator)
    code = main(["evaluate", "--checkpoint", str(ckpt), "--synthetic", "faces", "--seed", "7", "--identities", "8",
                 "--data-root", str(tmp_path / "data"), "--no-features", "--fvd-detector", str(detector_file),
                 "--fvd-repeats", "2", "--no-progress", "--out", str(tmp_path / "eval")])
    assert code == 0
    out = capsys.readouterr().out
    assert f"sha256 {sha256_of(detector_file)}" in out and "over 2 sampling seeds" in out
    fvd = json.loads((tmp_path / "eval" / "metrics.json").read_text())["fvd"]
    assert fvd["detector"]["sha256"] == sha256_of(detector_file) and len(fvd["fvd"]["values"]) == 2
    bad = main(["evaluate", "--checkpoint", str(ckpt), "--synthetic", "faces", "--seed", "7",
                "--data-root", str(tmp_path / "data2"), "--fvd-detector", str(tmp_path / "nope.pt")])
    assert bad != 0 and not (tmp_path / "data2").exists()  # refused before any store is rendered
