"""The measures of what a model does to a photo (evaluation.photo_motion) and the paint-against-warp report."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from imaginator_lite.data.synthetic import face_layout, render_faces
from imaginator_lite.evaluation.photo_motion import (face_regions, label_effect, motion_by_region,
                                                     motion_concentration, painted_change, painted_share, sharpness)
from imaginator_lite.generation.compare import photo_report
from imaginator_lite.models.config import ModelConfig
from imaginator_lite.models.generator import Generator
from imaginator_lite.models.warp import WarpFields


def _photo(size=64, seed=0):
    return torch.rand(3, size, size, generator=torch.Generator().manual_seed(seed)) * 2 - 1


def test_sharpness_falls_with_blur_and_is_zero_for_a_flat_picture():
    photo = _photo()[None, :, None]                                             # (1, 3, 1, 64, 64)
    blurred = F.avg_pool2d(photo[:, :, 0], 3, stride=1, padding=1)[:, :, None]
    assert sharpness(photo) > 4 * sharpness(blurred) > 0
    assert float(sharpness(torch.zeros(1, 3, 2, 16, 16))) == 0.0
    with pytest.raises(ValueError, match=r"\(B, 3, T, H, W\)"):
        sharpness(torch.zeros(3, 16, 16))


def test_painted_share_and_change():
    image = _photo(32)[None]
    zeros = torch.zeros(1, 2, 4, 32, 32)
    kept = WarpFields(flow=zeros, mask=torch.ones(1, 1, 4, 32, 32), residual=torch.zeros(1, 3, 4, 32, 32))
    assert float(painted_share(kept)) == 0.0 and float(painted_change(image, kept)) == 0.0
    # all painted, but the residual is the image itself: nothing a viewer would see changes
    same = WarpFields(flow=zeros, mask=torch.zeros(1, 1, 4, 32, 32), residual=image[:, :, None].expand(-1, -1, 4, -1, -1))
    assert float(painted_share(same)) == 1.0 and float(painted_change(image, same)) == pytest.approx(0.0, abs=1e-6)
    grey = WarpFields(flow=zeros, mask=torch.full((1, 1, 4, 32, 32), 0.5), residual=torch.zeros(1, 3, 4, 32, 32))
    assert float(painted_change(image, grey)) == pytest.approx(0.5 * float(image.abs().mean()), rel=1e-5)


def test_the_regions_hold_the_drawn_faces_motion():
    """On drawn faces nearly all motion is in the two regions (they are the bands the renderer redraws)."""
    clips = torch.from_numpy(render_faces(range(12), [i % 6 for i in range(12)], image_size=32, frames=16, seed=3))
    videos = clips.permute(0, 4, 1, 2, 3).float() / 127.5 - 1                   # (12, 3, 16, 32, 32)
    shares = motion_by_region(videos)
    total = sum(shares.values())
    assert torch.allclose(total, torch.ones(12), atol=1e-5)
    assert float((shares["eyes and brows"] + shares["mouth"]).mean()) > 0.9
    concentration = motion_concentration(videos)
    assert float(concentration["elsewhere"].mean()) < 0.15 < 3 < float(concentration["mouth"].mean())
    regions = face_regions(256)
    assert regions["mouth"].shape == (256, 256) and not (regions["mouth"] & regions["eyes and brows"]).any()
    layout = face_layout()
    assert layout["eye_y"]["mean"] < layout["mouth_y"]["mean"] and layout["eye_dx"]["sd"] > 0


def test_label_effect():
    video = torch.rand(1, 3, 4, 8, 8) * 2 - 1
    assert label_effect(video.expand(6, -1, -1, -1, -1)) == 0.0
    different = torch.cat([video, -video])
    assert label_effect(different) > 0
    with pytest.raises(ValueError, match="at least 2 labels"):
        label_effect(video)


@pytest.mark.parametrize("output", ["paint", "warp"])
def test_photo_report(output):
    torch.manual_seed(0)
    G = Generator(ModelConfig.preset("tiny", output=output)).eval()
    report = photo_report(G, _photo(64))
    assert report["size"] == 64 and report["output"] == output
    assert 0 < report["kept_detail"] and report["photo_sharpness"] > 0
    assert sum(report["motion_share"].values()) == pytest.approx(1.0, abs=1e-5) or report["motion"] == 0
    assert ("painted_share" in report) == (output == "warp")
    if output == "warp":  # an untrained warp model nearly copies the photo: most detail kept, little painted
        assert report["kept_detail"] > 0.5 and report["painted_share"] < 0.05
        assert set(report["painted_share_by_label"]) == set(G.cfg.class_names)
    else:                 # a paint model's 32-px frames shown at 64 px lose detail
        assert report["kept_detail"] < 0.5
