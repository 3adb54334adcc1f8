"""Issue 29's foundations: textured faces whose motion is observable, a motion head that cannot tear (output='tps'),
and the measures of tearing, background motion and reading on a photo."""
from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest
import torch

from imaginator_lite import Generator, ModelConfig
from imaginator_lite.data import synthetic as drawn
from imaginator_lite.data.synthetic_sets import KIND_CLASSES, render_clips
from imaginator_lite.data.textured_faces import expression_flow, render_textured_faces, textured_neutral
from imaginator_lite.evaluation.photo_motion import (background_change, face_ellipse, flow_pixels,
                                                     jacobian_determinant, tearing)
from imaginator_lite.labels import EXPRESSIONS
from imaginator_lite.models import smooth_warp
from imaginator_lite.models.outputs import OUTPUT_KINDS, output_kind
from imaginator_lite import load_generator
from imaginator_lite.training.checkpoint import save_checkpoint

ROOT = Path(__file__).resolve().parents[1]
TINY_TPS = ModelConfig.preset("tiny", output="tps")


# ------------------------------------------------------------------------------------------ textured faces

def test_textured_faces_are_a_kind_of_their_own_with_the_expressions():
    assert KIND_CLASSES["textured-faces"] == EXPRESSIONS
    clips = render_clips("textured-faces", [0, 0], ["surprise", "happiness"], 32, 8, seed=3)
    assert clips.shape == (2, 8, 32, 32, 3) and clips.dtype == np.uint8
    np.testing.assert_array_equal(clips, render_textured_faces([0, 0], [2, 4], 32, 8, seed=3))  # a pure function


def test_frame_zero_is_the_neutral_textured_face_and_is_textured():
    clip = render_textured_faces([5], ["fear"], 64, 6, seed=0)[0]
    neutral = textured_neutral(0, 5, 64)
    assert np.abs(clip[0].astype(float) / 255 - neutral).max() <= 1 / 255 + 1e-6
    flat = drawn.render_faces([5], ["fear"], 64, 1, seed=0)[0, 0]
    # texture: neighbouring pixels differ far more often than on the flat-coloured drawn face
    busy = lambda im: float((np.abs(np.diff(im.astype(float), axis=1)).sum(-1) > 6).mean())  # noqa: E731
    assert busy(clip[0]) > 3 * busy(flat), (busy(clip[0]), busy(flat))


@pytest.mark.parametrize("expression", EXPRESSIONS)
def test_the_background_stays_still_and_the_face_moves(expression):
    clip = render_textured_faces([2], [expression], 64, 16, seed=0)[0].astype(float)
    change = np.abs(clip[-1] - clip[0]).sum(-1)                                       # (H, W)
    face = drawn._face_identity(0, 2)
    c, _ = drawn._pixel_grid(64)
    x, y = c[None, :], c[:, None]
    outside_head = (((x - face["cx"]) / face["hair_rx"]) ** 2 + ((y - face["cy"] + face["hair_dy"]) / face["hair_ry"]) ** 2 > 1.1) \
        & (((x - face["cx"]) / face["ax"]) ** 2 + ((y - face["cy"]) / face["ay"]) ** 2 > 1.1)
    assert change[outside_head].max() == 0                     # the background never changes
    assert change[~outside_head].mean() > 1.0                  # the face does


@pytest.mark.parametrize("expression", EXPRESSIONS)
def test_expression_flows_stretch_but_never_fold(expression):
    """The true deformations keep the Jacobian determinant in [0.15, 2.1] (a face stretches and squashes, it never folds)."""
    size = 128
    c, _ = drawn._pixel_grid(size)
    dets = []
    for identity in range(12):
        flow = expression_flow(drawn._face_identity(0, identity), expression, c[None, :], c[:, None])
        dets.append(jacobian_determinant(torch.from_numpy(flow)[None, :, None]))
    det = torch.cat(dets)
    assert 0.15 < float(det.min()) and float(det.max()) < 2.1, (float(det.min()), float(det.max()))


# ------------------------------------------------------------------------------------------ the tps head

def test_each_output_kind_is_one_entry_and_the_config_asks_it():
    assert set(OUTPUT_KINDS) == {"paint", "warp", "tps"}
    assert ModelConfig.preset("tiny", output="tps").out_channels == output_kind("tps").channels == 6
    with pytest.raises(ValueError, match="output must be one of"):
        ModelConfig.preset("tiny", output="morph")
    # no module outside models/ compares cfg.output with a kind's name: they ask the table
    offenders = []
    for path in (ROOT / "imaginator_lite").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Compare) and any(isinstance(c, ast.Constant) and c.value in OUTPUT_KINDS
                                                     for c in [node.left, *node.comparators]):
                text = ast.unparse(node)
                if "output" in text:
                    offenders.append(f"{path.relative_to(ROOT)}: {text}")
    assert not offenders, offenders


def test_tps_flow_is_exactly_zero_outside_the_face_and_bounded():
    raw = torch.randn(3, 2, 4, 32, 32) * 5
    shifts = smooth_warp.control_shifts(raw)
    assert shifts.abs().max() <= smooth_warp.max_control_shift()
    for size in (32, 256):
        flow = smooth_warp.spline_flow(shifts, size, size)
        outside = ~face_ellipse(size)
        assert flow[..., outside].abs().max() == 0
        assert flow.abs().max() <= 1.6 * smooth_warp.max_control_shift()


def test_the_tps_spline_passes_through_its_control_points():
    """A shift of one control point moves the flow there by that shift (the spline interpolates)."""
    k = len(smooth_warp.control_points())
    shifts = torch.zeros(1, 2, 1, k)
    shifts[0, 0, 0, 7] = 0.05
    px, py = smooth_warp.control_points()[7]
    n = 512  # the pixel centre nearest the point is at most 1/512 away: the spline's slope there moves it < 1e-3
    flow = smooth_warp.spline_flow(shifts, n, n)
    i, j = int((py + 1) / 2 * n), int((px + 1) / 2 * n)
    window = float(torch.from_numpy(smooth_warp.still_window(n, n))[i, j])
    assert float(flow[0, 0, 0, i, j]) == pytest.approx(0.05 * window, abs=2e-3)
    far = flow[0, 0, 0].abs()[: n // 8].max()  # and it is local: the top rows, far from the point, barely move
    assert float(far) < 0.05 * 0.2


def test_an_untrained_tps_generator_copies_its_input_and_keeps_the_background():
    torch.manual_seed(0)
    G = Generator(TINY_TPS).eval()
    image = torch.rand(2, 3, 32, 32) * 2 - 1
    with torch.no_grad():
        video = G(image, torch.randn(2, TINY_TPS.dim_z), torch.tensor([0, 2]))
        fields = G.fields(image, torch.randn(2, TINY_TPS.dim_z), torch.tensor([0, 2]))
    outside = ~face_ellipse(32)
    torch.testing.assert_close(video[..., outside], image[:, :, None].expand_as(video)[..., outside])
    assert (video - image[:, :, None]).abs().mean() < 0.02
    assert float(fields.mask[..., outside].min()) == 1.0


def test_tps_checkpoints_load_as_tps_and_a_paint_one_is_refused(tmp_path):
    torch.manual_seed(0)
    path = save_checkpoint(tmp_path / "tps.pt", model_cfg=TINY_TPS, generator=Generator(TINY_TPS))
    assert load_generator(path).cfg.output == "tps"
    paint = save_checkpoint(tmp_path / "paint.pt", model_cfg=ModelConfig.preset("tiny"),
                            generator=Generator(ModelConfig.preset("tiny")))
    with pytest.raises(ValueError, match="holds a paint .* but a tps .*was asked for"):
        load_generator(paint, output="tps")


# ------------------------------------------------------------------------------------------ the measures

def test_the_jacobian_determinant_of_known_flows():
    size = 64
    c = (2 * torch.arange(size) + 1) / size - 1
    y, x = torch.meshgrid(c, c, indexing="ij")
    zero = torch.zeros(1, 2, 1, size, size)
    torch.testing.assert_close(jacobian_determinant(zero), torch.ones(1, 1, size, size))
    scale = torch.stack([-0.5 * x, -0.5 * y])[None, :, None]        # samples at p / 2: a 2x magnification
    torch.testing.assert_close(jacobian_determinant(scale), torch.full((1, 1, size, size), 0.25))
    fold = torch.stack([-2.0 * x, torch.zeros_like(y)])[None, :, None]  # x -> -x: the picture flips over
    assert float(jacobian_determinant(fold).max()) < 0
    torn = tearing(fold)
    assert float(torn["fold_share"]) == 1.0 and float(torn["squash_share"]) == 1.0
    assert float(tearing(zero)["squash_share"]) == 0.0


def test_the_face_ellipse_and_flow_lengths_in_pixels():
    ellipse = face_ellipse(256)
    assert float(ellipse.float().mean()) == pytest.approx(np.pi * 0.36 * 0.45, abs=0.01)
    one_pixel = torch.zeros(1, 2, 2, 256, 256)
    one_pixel[:, 0] = 2 / 256
    lengths = flow_pixels(one_pixel)
    assert float(lengths["inside"]) == pytest.approx(1.0) and float(lengths["outside"]) == pytest.approx(1.0)


def test_background_change_ratio():
    video = torch.zeros(1, 3, 4, 64, 64)
    face = face_ellipse(64)
    video[:, :, -1, face] = 0.5
    change = background_change(video)
    assert float(change["ratio"]) == 0.0 and float(change["inside"]) == pytest.approx(0.5)
    video[:, :, -1, ~face] = 0.5
    assert float(background_change(video)["ratio"]) == pytest.approx(1.0)


# ------------------------------------------------------------------------------------------ notebook 07's checks

def test_the_flow_gradient_check_passes_a_solution_and_names_the_mistakes():
    from imaginator_lite.course.exercises import ExerciseError, check_flow_gradient, flow_gradient
    from imaginator_lite.models.warp import warp_image

    def solution(image, flow, target):
        flow = flow.clone().requires_grad_(True)
        (warp_image(image, flow) - target).abs().mean().backward()
        return flow.grad

    def squared(image, flow, target):
        flow = flow.clone().requires_grad_(True)
        ((warp_image(image, flow) - target) ** 2).mean().backward()
        return flow.grad

    check_flow_gradient(solution)
    with pytest.raises(ExerciseError, match="squared error"):
        check_flow_gradient(squared)
    flat = torch.full((1, 3, 8, 8), 0.2)
    assert float(flow_gradient(flat, torch.zeros(1, 2, 1, 8, 8), flat[:, :, None] + 0.1).abs().max()) == 0.0


def test_the_jacobian_check_passes_a_solution_and_names_pixel_units():
    from imaginator_lite.course.exercises import ExerciseError, check_jacobian_determinant

    def solution(flow):
        h, w = flow.shape[-2:]
        dxy, dxx = torch.gradient(flow[:, 0], spacing=(2 / h, 2 / w), dim=(-2, -1))
        dyy, dyx = torch.gradient(flow[:, 1], spacing=(2 / h, 2 / w), dim=(-2, -1))
        return (1 + dxx) * (1 + dyy) - dxy * dyx

    def per_pixel(flow):
        dxy, dxx = torch.gradient(flow[:, 0], dim=(-2, -1))
        dyy, dyx = torch.gradient(flow[:, 1], dim=(-2, -1))
        return (1 + dxx) * (1 + dyy) - dxy * dyx

    check_jacobian_determinant(solution)
    with pytest.raises(ExerciseError, match="normalised units"):
        check_jacobian_determinant(per_pixel)


def test_the_study_compares_photo_measures_with_the_reference_and_keeps_textured_runs_apart():
    from imaginator_lite.study import PHOTO_REFERENCE, summarise

    def runs(values, data="faces", **extra):
        return [{"seed": s, "fd": 1.0 + s, "moving_l1": 0.1, "conditional_accuracy": 1.0, "data": data,
                 "photos": {"squash_share": v, "reads_first": 0.2}, **extra} for s, v in enumerate(values)]

    assert PHOTO_REFERENCE == "tps_textured"
    variants = {"full": {"runs": [{k: v for k, v in r.items() if k not in ("photos", "data")} for r in runs([0, 0, 0])]},
                "warp_penalty": {"runs": runs([0.04, 0.05, 0.03])},
                "tps_textured": {"runs": runs([0.0, 0.001, 0.002], data="textured-faces")}}
    summary = summarise(variants)
    assert "tps_textured" not in summary["versus_full"]          # scored on other clips than `full`
    assert "warp_penalty" in summary["versus_full"]
    photos = summary["photos"]["versus_reference"]["warp_penalty"]
    assert photos["squash_share"]["exceeds_seed_spread"] and not photos["squash_share"]["variant_better"]
    assert not photos["reads_first"]["exceeds_seed_spread"]


def test_the_tps_fields_and_frames_are_float32_under_bf16_autocast():
    """precision 'auto' is bf16 on CPUs with native bf16: the spline, the window and the warp stay in float32."""
    torch.manual_seed(0)
    G = Generator(TINY_TPS).eval()
    image = torch.rand(2, 3, 32, 32) * 2 - 1
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        video, mask = G(image, torch.randn(2, TINY_TPS.dim_z), torch.tensor([0, 1]), return_mask=True)
        fields = G.fields(image, torch.randn(2, TINY_TPS.dim_z), torch.tensor([0, 1]))
    assert video.dtype == mask.dtype == fields.flow.dtype == torch.float32
    assert float(fields.flow[..., ~face_ellipse(32)].abs().max()) == 0.0
