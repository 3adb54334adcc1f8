"""Coursework exercises: every check passes on the library's reference and names the problem otherwise;
the nbgrader cells of the notebooks define their functions, pass their checks, and fail cleanly as stubs.
"""
from __future__ import annotations

import ast
import copy
import logging
import math
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from einops import rearrange, repeat
from torch import nn

from imaginator_lite import ModelConfig, matched_width
from imaginator_lite.course import exercises as ex
from imaginator_lite.data.store import first_frame, to_model_video
from imaginator_lite.evaluation.baselines import copy_frame_predictor
from imaginator_lite.evaluation.metrics import moving_region_error
from imaginator_lite.models.losses import discriminator_loss, generator_loss
from imaginator_lite.evaluation.photo_motion import jacobian_determinant
from imaginator_lite.models import warp as warp_lib
from imaginator_lite.models.mocogan import unroll_motion
from imaginator_lite.models.vgan import compose
from imaginator_lite.models.warp import identity_grid, warp_image
from imaginator_lite.study import ranges_separate, summarise

sys.path.insert(0, str(Path(__file__).resolve().parent))
from nbtools import NOTEBOOKS_DIR, parameters, tutorial_paths  # noqa: E402

#: The notebooks whose exercises this file checks in depth.
EXERCISE_NOTEBOOKS = ["01_data.ipynb", "02_transposed_1plus2d.ipynb", "03_generator_and_discriminators.ipynb",
                      "04_training.ipynb", "05_ablations.ipynb", "07_paint_versus_warp.ipynb",
                      "08_paper_comparison.ipynb"]
#: The least number of exercises (code and written) in each group of notebooks.
MIN_EXERCISES = {("01_data", "02_transposed_1plus2d", "03_generator_and_discriminators"): 8,
                 ("04_training", "05_ablations"): 5, ("07_paint_versus_warp",): 5, ("08_paper_comparison",): 3}


# ---------------------------------------------------------------------------------------------
# reference answers and typical mistakes, one row per check


def _temporal(v, conv):
    b, c, t, h, w = v.shape
    seq = v.permute(0, 3, 4, 1, 2).reshape(b * h * w, c, t)
    out = F.conv_transpose1d(seq, conv.weight[:, :, :, 0, 0], conv.bias, conv.stride[0], conv.padding[0])
    return out.reshape(b, h, w, *out.shape[1:]).permute(0, 3, 4, 1, 2)


def _spatial(v, conv):
    b, c, t, h, w = v.shape
    frames = v.permute(0, 2, 1, 3, 4).reshape(b * t, c, h, w)
    out = F.conv_transpose2d(frames, conv.weight[:, :, 0], conv.bias, conv.stride[1:], conv.padding[1:])
    return out.reshape(b, t, *out.shape[1:]).permute(0, 2, 1, 3, 4)


def _block_shape(shape, c_out, k_t, s_t, p_t, k_s, s_s, p_s):
    size = lambda n, k, s, p: (n - 1) * s - 2 * p + k  # noqa: E731
    return (shape[0], c_out, size(shape[2], k_t, s_t, p_t), size(shape[3], k_s, s_s, p_s), size(shape[4], k_s, s_s, p_s))


def _fuse(h, enc_map, onehot):
    t, hh, ww = h.shape[2:]
    return torch.cat([h, repeat(enc_map, "b c h w -> b c t h w", t=t),
                      repeat(onehot, "b k -> b k t h w", t=t, h=hh, w=ww)], dim=1)


def _ct1d(x, w, s, p):
    return F.conv_transpose1d(x[None, None], w[None, None], stride=s, padding=p)[0, 0]


def _g_loss(f, r, lv, li):
    return generator_loss(f, r, lv, li, l1_weight=100.0)[0]


def _moving_l1(fake, real):
    total, count = moving_region_error(fake, real)
    return total / count


def _moving_mask(real, threshold=0.1):
    return (real - real[:, :, :1]).abs().amax(dim=1, keepdim=True) > threshold


def _copy(image, labels, z, frames):
    return copy_frame_predictor(frames)(image, labels, z)


def _no_fusion(preset):
    return ModelConfig.preset(preset, fusion=False)


def _corner_grid(height, width):
    ys, xs = torch.linspace(-1, 1, height), torch.linspace(-1, 1, width)
    return torch.stack(torch.meshgrid(xs, ys, indexing="xy"), dim=-1)


# name: (check, reference, wrong shape, message for it, wrong values, message for it)
CHECKS = {
    "to_model_video": (
        ex.check_to_model_video, to_model_video,
        lambda u: u.float() / 127.5 - 1, r"expected shape \(3, T, H, W\) = \(3, 5, 6, 7\), got \(5, 6, 7, 3\)",
        lambda u: u.permute(3, 0, 1, 2).float() / 255, r"max abs difference .*\n.*\[0, 1\]"),
    "first_frame": (
        ex.check_first_frame, first_frame,
        lambda v: v[:, 0], r"expected shape \(B, 3, H, W\) = \(2, 3, 6, 7\), got \(2, 5, 6, 7\).*\n.*dim 2",
        lambda v: v[:, :, -1], r"max abs difference .*\n.*last frame"),
    "conv_transpose1d": (
        ex.check_conv_transpose1d, _ct1d,
        lambda x, w, s, p: _ct1d(x, w, 1, p), r"expected shape \(L_out,\) = \(8,\), got \(5,\).*\n.*stride",
        lambda x, w, s, p: _ct1d(x, w.flip(0), s, p), r"max abs difference .*\n.*flipped"),
    "temporal_half": (
        ex.check_temporal_half, _temporal,
        lambda v, conv: conv(v).transpose(2, 3), r"expected shape \(B, C_out, T', H, W\) = \(2, 4, 8, 5, 6\)",
        lambda v, conv: _temporal(v, conv) - conv.bias.view(1, -1, 1, 1, 1), r"max abs difference .*\n.*bias"),
    "spatial_half": (
        ex.check_spatial_half, _spatial,
        lambda v, conv: conv(v)[:, :, :, :-1], r"expected shape \(B, C_out, T, H', W'\) = \(2, 2, 3, 10, 12\)",
        lambda v, conv: _spatial(v, conv) - conv.bias.view(1, -1, 1, 1, 1), r"max abs difference .*\n.*bias"),
    "block_output_shape": (
        ex.check_block_output_shape, _block_shape,
        lambda *a: _block_shape(*a)[1:], r"expected \(4, 512, 2, 4, 4\), got \(512, 2, 4, 4\)",
        lambda s, c, kt, st, pt, ks, ss, ps: _block_shape(s, c, kt, st, 0, ks, ss, 0),
        r"expected \(2, 64, 16, 32, 32\), got \(2, 64, 18, 34, 34\).*\n.*padding is missing"),
    "matched_width": (
        ex.check_matched_width, matched_width,
        lambda a, b, t, d: t * d * d * a * b / (t * a + d * d * b), r"expected an int, got float",
        lambda a, b, t, d: (t * d * d * a * b) // (d * d * a + t * b), r"expected 517, got 241.*\n.*R\(2\+1\)D"),
    "fusion": (
        ex.check_fusion, _fuse,
        lambda h, a, k: _fuse(h, a, k)[:, : h.shape[1] + a.shape[1]],
        r"expected shape \(B, C1 \+ C2 \+ n_classes, T, H, W\) = \(2, 70, 2, 4, 4\), got \(2, 64, 2, 4, 4\)",
        lambda h, a, k: _fuse(h, a, k)[:, torch.cat([torch.arange(h.shape[1], h.shape[1] + a.shape[1]),
                                                      torch.arange(h.shape[1]),
                                                      torch.arange(h.shape[1] + a.shape[1], h.shape[1] + a.shape[1] + k.shape[1])])],
        r"max abs difference .*\n.*order is wrong"),
    "generator_loss": (
        ex.check_generator_loss, _g_loss,
        lambda f, r, lv, li: 100 * (f - r).abs().mean() + F.softplus(-lv) + F.softplus(-li),
        r"expected shape \(\) \(a scalar\) = \(\), got \(2,\).*\n.*mean",
        lambda f, r, lv, li: (f - r).abs().mean() + F.softplus(-lv).mean() + F.softplus(-li).mean(),
        r"max abs difference .*\n.*100 \* L1"),
    "discriminator_loss": (
        ex.check_discriminator_loss, discriminator_loss,
        lambda r, f: F.softplus(-r) + F.softplus(f), r"expected shape \(\) \(a scalar\) = \(\), got \(3,\)",
        lambda r, f: F.softplus(r).mean() + F.softplus(-f).mean(), r"max abs difference .*\n.*swapped"),
    "moving_l1": (
        ex.check_moving_l1, _moving_l1,
        lambda f, r: torch.stack([torch.tensor(_moving_l1(a[None], b[None])) for a, b in zip(f, r)]),
        r"expected shape \(\) \(a scalar\) = \(\), got \(2,\).*\n.*ONE number",
        lambda f, r: (f - r).abs()[(r - r[:, :, :1]).abs() > 0.1].mean(),
        r"max abs difference .*\n.*the mask is per channel"),
    "copy_first_frame": (
        ex.check_copy_first_frame, _copy,
        lambda i, l, z, t: i[:, None].expand(-1, t, -1, -1, -1),
        r"expected shape \(B, 3, frames, H, W\) = \(2, 3, 5, 6, 7\), got \(2, 5, 3, 6, 7\).*\n.*dim 2",
        lambda i, l, z, t: i.repeat(1, t, 1, 1).reshape(i.shape[0], 3, t, *i.shape[2:]),
        r"max abs difference .*\n.*interleaved"),
    "ranges_separate": (
        ex.check_ranges_separate, ranges_separate,
        lambda a, b: (min(a), max(a)), r"expected True or False, got tuple \(1.0, 3.0\)",
        lambda a, b: min(a) > max(b) or max(a) < min(b),
        r"a = \[1.0\], b = \[5.0, 6.0\]: expected False, got True\.\n.*EACH side"),
    "no_fusion_config": (
        ex.check_no_fusion_config, _no_fusion,
        lambda p: _no_fusion(p).to_dict(), r"\('tiny'\): expected a ModelConfig, got dict",
        lambda p: ModelConfig.preset("small", fusion=False),
        r"\('tiny'\): channels = 32, expected 8.*\n.*the argument"),
    "pixel_centre_grid": (
        ex.check_pixel_centre_grid, identity_grid,
        lambda h, w: identity_grid(h, w).permute(2, 0, 1), r"expected shape \(H, W, 2\) = \(4, 8, 2\), got \(2, 4, 8\)",
        _corner_grid, r"max abs difference .*\n.*align_corners=True"),
    "flow_gradient": (
        ex.check_flow_gradient, ex.flow_gradient,
        lambda i, f, t: ex.flow_gradient(i, f, t)[:, :, 0], r"expected shape \(B, 2, T, H, W\), like the flow",
        lambda i, f, t: 2 * ex.flow_gradient(i, f, t), r"max abs difference .*\n.*loss.backward\(\)"),
    "jacobian_determinant": (
        ex.check_jacobian_determinant, jacobian_determinant,
        lambda f: jacobian_determinant(f)[:, None], r"expected shape \(B, T, H, W\) = \(1, 1, 16, 16\)",
        lambda f: jacobian_determinant(f) + 0.1, r"max abs difference .*\n.*det = \(1 \+ dfx/dx\)"),
    "composite": (
        ex.check_composite, compose,
        lambda f, m, b: compose(f, m, b)[:, :, 0], r"expected shape \(B, 3, T, H, W\) = \(2, 3, 4, 8, 8\), got \(2, 3, 8, 8\)",
        lambda f, m, b: m * b[:, :, None] + (1 - m) * f, r"max abs difference .*\n.*streams are swapped"),
    "motion_codes": (
        ex.check_motion_codes, unroll_motion,
        lambda g, n, o: unroll_motion(g, n, o)[:, :, : n.shape[2]],
        r"expected shape \(B, T, dim_m \+ n_classes\) = \(2, 4, 8\), got \(2, 4, 5\)",
        lambda g, n, o: unroll_motion(g, torch.cat([torch.zeros_like(n[:, :1]), n[:, 1:]], 1), o),
        r"max abs difference .*\n.*not zeros"),
    "warp": (
        ex.check_warp, warp_image,
        lambda i, f: warp_image(i, f).transpose(1, 2), r"expected shape \(B, 3, T, H, W\) = \(2, 3, 4, 16, 16\)",
        lambda i, f: warp_image(i, -f), r"max abs difference .*\n.*wrong way"),
}


def stub(*args):
    # YOUR CODE HERE
    raise NotImplementedError()


@pytest.mark.parametrize("name", CHECKS)
def test_check_passes_on_the_reference(name, capsys):
    check, reference, *_ = CHECKS[name]
    check(reference)
    out = capsys.readouterr().out
    assert out.startswith("✓ ") and out.count("\n") == 1, out


@pytest.mark.parametrize("name", CHECKS)
def test_check_says_not_done_on_the_stub(name):
    check = CHECKS[name][0]
    with pytest.raises(ex.ExerciseError, match=r"^not done yet: replace `raise NotImplementedError\(\)` in stub "
                                               r"with your code$"):
        check(stub)


@pytest.mark.parametrize("name", CHECKS)
def test_check_names_a_wrong_shape(name):
    check, _, wrong_shape, message, _, _ = CHECKS[name]
    with pytest.raises(ex.ExerciseError, match=message):
        check(wrong_shape)


@pytest.mark.parametrize("name", CHECKS)
def test_check_names_wrong_values(name):
    check, _, _, _, wrong_values, message = CHECKS[name]
    with pytest.raises(ex.ExerciseError, match=message):
        check(wrong_values)


def test_generic_hint_when_the_mistake_is_unknown():
    with pytest.raises(ex.ExerciseError, match=r"max abs difference .*\n.*did you forget the stride\?"):
        ex.check_conv_transpose1d(lambda x, w, s, p: _ct1d(x, w, s, p) * 1.5)
    with pytest.raises(ex.ExerciseError, match=r"returned None: did you forget `return`\?"):
        ex.check_first_frame(lambda v: None)
    with pytest.raises(ex.ExerciseError, match=r"expected floating-point values .* got torch.uint8"):
        ex.check_to_model_video(lambda u: u.permute(3, 0, 1, 2) * 2 - 1)


def test_check_answer():
    ex.check_answer("02_official_block4_weights", lambda: 4 * 262 * 768 + 16 * 768 * 64)
    ex.check_answer("03_small_to_rgb_channels", 70)
    with pytest.raises(ex.ExerciseError, match=r"not done yet: replace `raise NotImplementedError\(\)` in stub"):
        ex.check_answer("03_small_to_rgb_channels", stub)
    with pytest.raises(ex.ExerciseError, match=r"is not the answer \(it is too low\)\.\nHint: .*M = 768"):
        ex.check_answer("02_official_block4_weights", 4 * 262 * 517 + 16 * 517 * 64)
    with pytest.raises(ex.ExerciseError, match=r"expected a number, got str"):
        ex.check_answer("03_small_to_rgb_channels", "seventy")
    with pytest.raises(ex.ExerciseError, match=r"unknown exercise 'nope'"):
        ex.check_answer("nope", 1)


#: Every known mistake of the notebook 04-05 checks is named by its own hint: (check, wrong answer, message).
KNOWN_MISTAKES = {
    "moving_l1: L1 over every pixel": (
        ex.check_moving_l1, lambda f, r: (f - r).abs().mean(), r"\n.*L1 over every pixel"),
    "moving_l1: mask from the fake": (
        ex.check_moving_l1, lambda f, r: (f - r).abs()[_moving_mask(f).expand_as(r)].mean(), r"\n.*from the TRUE clip"),
    "moving_l1: threshold in [0, 1] units": (
        ex.check_moving_l1, lambda f, r: (f - r).abs()[_moving_mask((r + 1) / 2).expand_as(r)].mean(),
        r"\n.*\[-1, 1\] units"),
    "moving_l1: divided by pixels, not values": (
        ex.check_moving_l1, lambda f, r: (f - r).abs()[_moving_mask(r).expand_as(r)].sum() / _moving_mask(r).sum(),
        r"\n.*VALUES \(3 per pixel\)"),
    "moving_l1: errors in [0, 1] units": (
        ex.check_moving_l1, lambda f, r: ((f - r).abs() / 2)[_moving_mask(r).expand_as(r)].mean(), r"\n.*half the expected"),
    "moving_l1: mean of per-video means": (
        ex.check_moving_l1, lambda f, r: sum(_moving_l1(a[None], b[None]) for a, b in zip(f, r)) / len(f),
        r"\n.*pool the moving values"),
    "ranges_separate: one direction": (
        ex.check_ranges_separate, lambda a, b: len(a) > 1 and len(b) > 1 and max(a) < min(b),
        r"expected True, got False\.\n.*entirely above"),
    "ranges_separate: touching ranges": (
        ex.check_ranges_separate, lambda a, b: len(a) > 1 and len(b) > 1 and (min(a) >= max(b) or max(a) <= min(b)),
        r"a = \[1.0, 2.0\], b = \[2.0, 3.0\]: expected False, got True\.\n.*strict"),
    "ranges_separate: first and last as min and max": (
        ex.check_ranges_separate, lambda a, b: len(a) > 1 and len(b) > 1 and (a[0] > b[-1] or a[-1] < b[0]),
        r"\n.*not sorted"),
    "ranges_separate: means against a standard deviation": (
        ex.check_ranges_separate, lambda a, b: abs(np.mean(a) - np.mean(b)) > max(np.std(a), np.std(b)),
        r"\n.*difference of means"),
    "no_fusion_config: the full model": (
        ex.check_no_fusion_config, lambda p: ModelConfig.preset(p), r"fusion = True, expected False .*\n.*full model"),
    "no_fusion_config: the 3d variant": (
        ex.check_no_fusion_config, lambda p: ModelConfig.preset(p, block="3d"), r"block = '3d'.*\n.*3d variant"),
    "pixel_centre_grid: (y, x) instead of (x, y)": (
        ex.check_pixel_centre_grid, lambda h, w: identity_grid(h, w).flip(-1), r"\n.*x and y are swapped"),
    "pixel_centre_grid: close but not exact": (
        ex.check_pixel_centre_grid, lambda h, w: identity_grid(h, w) + 1e-7, r"does not return the image exactly"),
    "warp: flow channels swapped": (
        ex.check_warp, lambda i, f: warp_image(i, f.flip(1)), r"\n.*x and y are swapped"),
    "no_fusion_config: not from the preset": (
        ex.check_no_fusion_config, lambda p: ModelConfig(fusion=False),
        r"image_size = 64, expected 32.*\n.*start from the preset"),
}


@pytest.mark.parametrize("name", KNOWN_MISTAKES)
def test_known_mistakes_are_named(name):
    check, wrong, message = KNOWN_MISTAKES[name]
    with pytest.raises(ex.ExerciseError, match=message):
        check(wrong)


def test_bool_answers_from_numpy_and_torch_are_accepted(capsys):
    ex.check_ranges_separate(lambda a, b: len(a) > 1 and len(b) > 1
                             and bool(np.min(a) > np.max(b)) | bool(np.max(a) < np.min(b)))
    ex.check_ranges_separate(lambda a, b: len(a) > 1 and len(b) > 1
                             and (np.min(a) > np.max(b) or np.max(a) < np.min(b)))  # numpy.bool_
    ex.check_ranges_separate(lambda a, b: torch.tensor(len(a) > 1 and len(b) > 1)  # a 0-dim torch bool
                             & ((torch.tensor(a).min() > torch.tensor(b).max())
                                | (torch.tensor(a).max() < torch.tensor(b).min())))
    assert capsys.readouterr().out.count("✓ ") == 3
    with pytest.raises(ex.ExerciseError, match=r"expected True or False, got int 1"):
        ex.check_ranges_separate(lambda a, b: int(ranges_separate(a, b)) or 1)


def test_students_get_copies_of_tensor_and_list_arguments(capsys):
    values, video = [3.0, 1.0, 2.0], torch.zeros(2)
    values_copy, video_copy, label = ex._clone((values, video, "x"))
    values_copy.sort()
    video_copy += 1
    assert values == [3.0, 1.0, 2.0] and torch.equal(video, torch.zeros(2)) and label == "x"

    def sorts_in_place(a, b):
        a.sort()
        b.sort()
        return len(a) > 1 and len(b) > 1 and (a[0] > b[-1] or a[-1] < b[0])

    ex.check_ranges_separate(sorts_in_place)
    assert capsys.readouterr().out.startswith("✓ ")


def test_moving_l1_cases_exercise_the_mask():
    """Both videos move (in different amounts), and the channel-0 patch moves in [-1, 1] units only."""
    fake, real = ex._moving_clips(0, 2, 5, 8, 8)
    assert real.min() >= -1 and real.max() <= 1 and fake.min() >= -1 and fake.max() <= 1
    counts = _moving_mask(real).sum(dim=(1, 2, 3, 4))
    assert (counts > 0).all() and counts[0] != counts[1]
    assert _moving_mask((real + 1) / 2).sum() < _moving_mask(real).sum()
    per_channel = ((real - real[:, :, :1]).abs() > 0.1).sum()
    assert per_channel < _moving_mask(real).expand_as(real).sum()


def test_summarise_marks_exactly_the_separated_ranges():
    """`summarise` fills exceeds_seed_spread with ranges_separate (the rule Exercise 5.1 asks for)."""
    runs = lambda *values: {"runs": [{"seed": i, "fd": v} for i, v in enumerate(values)]}  # noqa: E731
    variants = {"full": runs(1.0, 1.5, 2.0), "3d": runs(2.5, 3.0, 2.1), "no_fusion": runs(1.9, 3.0),
                "lambda_10": runs(0.1), "no_image_disc": runs(0.2, 0.9, 0.5)}
    versus = summarise(variants)["versus_full"]
    assert {k: v["fd"]["exceeds_seed_spread"] for k, v in versus.items()} == \
        {"3d": True, "no_fusion": False, "lambda_10": False, "no_image_disc": True}
    assert ranges_separate([2.5, 3.0, 2.1], [1.0, 1.5, 2.0]) and not ranges_separate([0.1], [1.0, 2.0])


def test_fusion_reference_is_the_library_decoder():
    """check_fusion compares with what Decoder.forward concatenates, so the einops answer must match it exactly."""
    for _, args, expected in ex._library_fusion_cases():
        assert torch.equal(_fuse(*args), expected)


def test_checks_leave_the_global_rng_alone(capsys):
    torch.manual_seed(123)
    before = torch.get_rng_state()
    ex.check_temporal_half(_temporal)
    ex.check_fusion(_fuse)
    ex.check_first_frame(first_frame)
    ex.check_moving_l1(_moving_l1)
    ex.check_copy_first_frame(_copy)
    ex.check_no_fusion_config(_no_fusion)
    assert torch.equal(torch.get_rng_state(), before)


def test_jupyter_shows_only_the_message():
    err = ex.ExerciseError("f for x: expected shape (B,) = (2,), got (3,).\nHint: use .mean()")
    assert isinstance(err, AssertionError)
    assert err._render_traceback_() == ["✗ f for x: expected shape (B,) = (2,), got (3,).", "Hint: use .mean()"]
    # IPython itself (in a subprocess: an InteractiveShell would take over __main__ for the other tests)
    script = ("from IPython.core.interactiveshell import InteractiveShell\n"
              "from imaginator_lite.course.exercises import check_first_frame\n"
              "shell = InteractiveShell.instance()\n"
              "shell.user_ns['check'] = check_first_frame\n"
              "shell.run_cell('def first_frame_by_hand(v):\\n    raise NotImplementedError()\\n"
              "check(first_frame_by_hand)')\n")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
    shown = proc.stdout + proc.stderr
    assert "✗ not done yet: replace `raise NotImplementedError()` in first_frame_by_hand" in shown, shown
    assert "Traceback" not in shown and "exercises.py" not in shown, shown


# ---------------------------------------------------------------------------------------------
# the notebooks' nbgrader cells


def _nbgrader(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def _exercises(path: Path) -> list[tuple[int, nbformat.NotebookNode]]:
    """(index, cell) of every solution cell (code exercise or written answer) in a notebook."""
    nb = nbformat.read(path, as_version=4)
    return [(i, c) for i, c in enumerate(nb.cells) if _nbgrader(c).get("solution")]


def _solution_cases() -> list[tuple[str, str]]:
    return [(name, _nbgrader(c)["grade_id"]) for name in EXERCISE_NOTEBOOKS
            for _, c in _exercises(NOTEBOOKS_DIR / name) if c.cell_type == "code"]


def _clear_solution_region(source: str) -> str:
    """nbgrader's ClearSolutions on one code cell, for when nbgrader is not installed."""
    out, inside = [], False
    for line in source.splitlines():
        if "### BEGIN SOLUTION" in line:
            indent = line[: len(line) - len(line.lstrip())]
            out += [indent + "# YOUR CODE HERE", indent + "raise NotImplementedError()"]
            inside = True
        elif "### END SOLUTION" in line:
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out)


def student_edition(nb):
    """The student's copy of an instructor notebook: nbgrader's own ClearSolutions when it is installed."""
    nb = copy.deepcopy(nb)
    try:
        from nbgrader.preprocessors import ClearSolutions
    except ImportError:
        for cell in nb.cells:
            if _nbgrader(cell).get("solution"):
                cell.source = _clear_solution_region(cell.source) if cell.cell_type == "code" else "YOUR ANSWER HERE"
        return nb
    return ClearSolutions().preprocess(nb, {})[0]


def _namespace() -> dict:
    """What the notebooks import before their exercises."""
    return {"torch": torch, "F": F, "nn": nn, "np": np, "math": math, "repeat": repeat, "rearrange": rearrange,
            "ModelConfig": ModelConfig, "warp_lib": warp_lib}


def _cell_and_check(notebook: str, grade_id: str):
    """(instructor's solution cell, student's version of it, the check cell after it)."""
    nb = nbformat.read(NOTEBOOKS_DIR / notebook, as_version=4)
    index = next(i for i, c in enumerate(nb.cells) if _nbgrader(c).get("grade_id") == grade_id)
    check = next(c for c in nb.cells[index + 1:] if c.cell_type == "code")
    return nb.cells[index], student_edition(nb).cells[index], check


@pytest.mark.parametrize("notebook, grade_id", _solution_cases(), ids=[g for _, g in _solution_cases()])
def test_solution_cell_defines_its_function_and_passes_its_check(notebook, grade_id, capsys):
    cell, student, check = _cell_and_check(notebook, grade_id)
    assert _nbgrader(check) == {"grade": True, "grade_id": grade_id + "_check", "locked": True, "points": 1,
                                "schema_version": 3, "solution": False, "task": False}
    assert _nbgrader(cell) == {"grade": False, "grade_id": grade_id, "locked": False, "schema_version": 3,
                               "solution": True, "task": False}
    tree = ast.parse(cell.source)
    functions = [node for node in tree.body if isinstance(node, ast.FunctionDef)]
    assert len(functions) == 1, "a solution cell defines exactly one function"
    fn = functions[0]
    lines = cell.source.splitlines()
    begin = next(i for i, line in enumerate(lines, 1) if "### BEGIN SOLUTION" in line)
    end = next(i for i, line in enumerate(lines, 1) if "### END SOLUTION" in line)
    indent = lambda line: len(line) - len(line.lstrip())  # noqa: E731
    assert fn.lineno < begin < end and begin <= fn.end_lineno, "the solution region must sit inside the function"
    assert indent(lines[begin - 1]) == indent(lines[end - 1]) > indent(lines[fn.lineno - 1]), \
        "BEGIN / END SOLUTION must be indented as the function body"
    assert ast.get_docstring(fn), f"{fn.name} needs a docstring saying the shapes"

    ns = _namespace()                              # instructor edition: the check passes
    exec(compile(cell.source, grade_id, "exec"), ns)
    assert callable(ns[fn.name])
    exec(compile(check.source, grade_id + "_check", "exec"), ns)
    assert capsys.readouterr().out.startswith("✓ ")

    ns = _namespace()                              # student edition: defined, fails only when checked
    assert "### BEGIN SOLUTION" not in student.source and "raise NotImplementedError()" in student.source
    exec(compile(student.source, grade_id, "exec"), ns)
    assert callable(ns[fn.name])
    with pytest.raises(ex.ExerciseError, match=rf"^not done yet: replace `raise NotImplementedError\(\)` in {fn.name} "):
        exec(compile(check.source, grade_id + "_check", "exec"), ns)


def test_exercise_cells_across_the_notebooks(capsys):
    """Counts the exercises in the notebooks that have them (at least MIN_EXERCISES per group); every one is well
    formed, ids are unique, checks exist."""
    counts, ids = {}, []
    for path in [NOTEBOOKS_DIR / name for name in EXERCISE_NOTEBOOKS]:
        nb = nbformat.read(path, as_version=4)
        exercises = _exercises(path)
        counts[path.stem] = len(exercises)
        ids += [_nbgrader(c)["grade_id"] for c in nb.cells if _nbgrader(c)]
        for i, cell in exercises:
            meta = _nbgrader(cell)
            if cell.cell_type == "markdown":       # a written answer: the instructor text is the model answer
                assert meta["grade"] and meta.get("points", 0) > 0, meta
                assert len(cell.source.split()) >= 20, f"{meta['grade_id']}: write out the model answer"
            assert nb.cells[i - 1].cell_type == "markdown" and "Exercise" in nb.cells[i - 1].source, \
                f"{meta['grade_id']}: an instruction cell must come right before the exercise"
            assert f"`{meta['grade_id']}`" in nb.cells[i - 1].source, "the instruction names the grade_id"
        for cell in nb.cells:
            for name in re.findall(r"\b(check_\w+)\(", cell.source if _nbgrader(cell).get("grade") else ""):
                assert name in ex.__all__, f"{path.name}: {name} is not in imaginator_lite.course.exercises"
    assert len(ids) == len(set(ids)), f"duplicate nbgrader grade_ids: {sorted(i for i in ids if ids.count(i) > 1)}"
    print(f"exercises per notebook: {counts}; in all: {sum(counts.values())}")
    for group, least in MIN_EXERCISES.items():
        assert sum(counts[name] for name in group) >= least, (group, counts)


@pytest.mark.parametrize("notebook", EXERCISE_NOTEBOOKS)
def test_later_cells_never_use_the_students_functions(notebook):
    """The student edition runs every non-exercise cell: nothing after an exercise calls the student's function."""
    nb = nbformat.read(NOTEBOOKS_DIR / notebook, as_version=4)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or not _nbgrader(cell).get("solution"):
            continue
        name = next(n.name for n in ast.parse(cell.source).body if isinstance(n, ast.FunctionDef))
        for later in nb.cells[i + 1:]:
            if later.cell_type == "code" and not _nbgrader(later).get("grade"):
                assert not re.search(rf"\b{name}\b", later.source), f"a later cell uses the student's {name}"


def test_every_numeric_answer_is_asked_somewhere():
    text = "\n".join(c.source for p in NOTEBOOKS_DIR.glob("0[1-5]_*.ipynb") for c in nbformat.read(p, as_version=4).cells)
    for name in ex.ANSWERS:
        assert f'check_answer("{name}"' in text, f"no notebook asks {name}"


@pytest.mark.parametrize("path", tutorial_paths(), ids=lambda p: p.stem[:2])
def test_papermill_parses_every_parameter_line(path, caplog):
    """papermill's parser skips (warning 'Unable to parse line N') any line holding more than one '=',
    e.g. `X = 1  # 0 = off`: every parameter must be inferred, so comments go on their own lines."""
    import papermill

    with caplog.at_level(logging.WARNING, logger="papermill"):
        inferred = list(papermill.inspect_notebook(str(path)))
    nb = nbformat.read(path, as_version=4)
    assert not [r.getMessage() for r in caplog.records], "papermill warned about the parameters cell"
    assert inferred == list(parameters(nb))


@pytest.mark.parametrize("notebook", EXERCISE_NOTEBOOKS)
def test_nbgrader_accepts_the_notebook(notebook):
    """nbgrader's own metadata check passes, and the student edition keeps every cell and no solution text."""
    preprocessors = pytest.importorskip("nbgrader.preprocessors")
    nb = nbformat.read(NOTEBOOKS_DIR / notebook, as_version=4)
    preprocessors.CheckCellMetadata().preprocess(copy.deepcopy(nb), {})
    student = student_edition(nb)
    assert len(student.cells) == len(nb.cells)
    for mine, theirs in zip(nb.cells, student.cells):
        if _nbgrader(mine).get("solution"):
            assert theirs.source == ("YOUR ANSWER HERE" if mine.cell_type == "markdown"
                                     else _clear_solution_region(mine.source))
        else:
            assert theirs.source == mine.source
