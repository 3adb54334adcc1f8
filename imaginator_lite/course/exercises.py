"""Checks for the coursework exercises in the notebooks: compare a student's answer with the library.

Conventions (notebooks 01-05 follow them; tests/test_exercises.py enforces them):

* An exercise is three cells. (1) A markdown instruction headed ``**Exercise N.k** (`<grade_id>`)``:
  what to write and the tensor shapes involved. (2) An nbgrader solution cell (``grade: false,
  solution: true``, grade_id ``NN_name``) that defines ONE function with a docstring, the solution
  between ``### BEGIN SOLUTION`` / ``### END SOLUTION`` *inside* the function body, so the student
  edition (nbgrader puts ``raise NotImplementedError()`` there) still defines the function. (3) A
  locked check cell (``grade: true, locked: true, points: 1``, grade_id ``NN_name_check``) that
  imports and calls ``check_<name>(the_function)``. Later cells never use the student's function.
* A discussion question is a markdown instruction plus a markdown answer cell (``grade: true,
  solution: true, locked: false, points: 1``) holding the model answer; nbgrader shows students
  "YOUR ANSWER HERE" instead.
* ``check_<name>(student_fn)`` runs the student's function and the library's own implementation on
  fixed, seeded inputs (the caller's RNG state is left alone) and prints one line starting with
  ``"✓ "`` saying what was verified. Otherwise it raises :class:`ExerciseError` (an AssertionError
  that Jupyter shows as its message only, no traceback): ``not done yet: replace `raise
  NotImplementedError()` in <function> with your code``; ``expected shape (B, C, T, H, W) = (...),
  got (...)`` plus a hint; or ``the shape is right but the values are wrong (max abs difference
  ...)`` plus a hint specific to the exercise (a known mistake, e.g. a flipped kernel or a missing L1
  weight, is named when the student's output equals it).
* Numeric short answers: a solution function with no arguments returning the number, checked with
  ``check_answer("<grade_id>", the_function)`` against :data:`ANSWERS` (computed by the library,
  compared with a relative tolerance, never printed).
* Helpers keep each check tiny: :func:`_cases` (inputs + the reference's outputs), :func:`_compare`
  (tensors: shape, dtype, values, known mistakes), :func:`_compare_values` (ints, tuples and bools). A new
  check is ``_compare(student_fn, _cases(reference_fn, [(description, args), ...]), layout="(B, C, T,
  H, W)", hint=..., mistakes=[(wrong_fn, message), ...], success=...)``; add it to ``__all__``.
"""
from __future__ import annotations

import statistics
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import fields
from functools import lru_cache, wraps
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ..data.store import first_frame, to_model_video
from ..evaluation.baselines import copy_frame_predictor
from ..evaluation.metrics import MOVING_THRESHOLD, moving_region_error
from ..evaluation.photo_motion import jacobian_determinant
from ..models.blocks import TransposedConv1Plus2d, matched_width
from ..models.config import ModelConfig
from ..models.generator import Generator
from ..models.mocogan import unroll_motion
from ..models.vgan import compose
from ..models.losses import discriminator_loss, generator_loss
from ..models.warp import identity_grid, pixels_to_flow, warp_image
from ..study import StudySettings, ranges_separate, variant_configs

__all__ = [
    "ExerciseError", "ANSWERS", "check_answer",
    "check_to_model_video", "check_first_frame",
    "check_conv_transpose1d", "check_temporal_half", "check_spatial_half", "check_block_output_shape",
    "check_matched_width",
    "check_fusion", "check_generator_loss", "check_discriminator_loss",
    "check_moving_l1", "check_copy_first_frame",
    "check_ranges_separate", "check_no_fusion_config",
    "check_pixel_centre_grid", "check_warp", "check_flow_gradient", "check_jacobian_determinant", "flow_gradient",
    "check_composite", "check_motion_codes",
]

Case = tuple[str, tuple, Any]                      # (description, arguments, expected output)
Mistake = tuple[Callable[..., Any], str]           # (a typical wrong answer, what to tell the student)


class ExerciseError(AssertionError):
    """A failed exercise check; Jupyter shows only its message (no traceback)."""

    def _render_traceback_(self) -> list[str]:
        """IPython calls this instead of printing a traceback: the message lines, marked with ✗."""
        lines = str(self).splitlines() or [""]
        return ["✗ " + lines[0], *lines[1:]]


# --------------------------------------------------------------------------------------------
# helpers


@contextmanager
def _seeded(seed: int) -> Iterator[None]:
    """Seed torch inside the block and restore the caller's RNG state afterwards."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


def _name(fn: Callable) -> str:
    return getattr(fn, "__name__", repr(fn))


def _call(student_fn: Callable, args: tuple) -> Any:
    """student_fn(*args); NotImplementedError or a missing `return` become an ExerciseError."""
    try:
        out = student_fn(*_clone(args))
    except NotImplementedError:
        raise ExerciseError(f"not done yet: replace `raise NotImplementedError()` in {_name(student_fn)} "
                            "with your code") from None
    if out is None:
        raise ExerciseError(f"{_name(student_fn)} returned None: did you forget `return`?")
    return out


def _clone(args: tuple) -> tuple:
    """Fresh copies of tensor and list arguments, so an in-place edit by the student (a.sort(), x += 1)
    cannot change the reference."""
    return tuple(a.clone() if isinstance(a, torch.Tensor) else list(a) if isinstance(a, list) else a for a in args)


def _cases(reference_fn: Callable, inputs: Sequence[tuple[str, tuple]]) -> list[Case]:
    """[(description, args)] -> [(description, args, reference_fn(*args))], computed without gradients."""
    with torch.no_grad():
        return [(desc, args, reference_fn(*_clone(args))) for desc, args in inputs]


def _as_tensor(out: Any, fn: Callable) -> torch.Tensor:
    try:
        return torch.as_tensor(out).detach().cpu()
    except (TypeError, ValueError, RuntimeError):
        raise ExerciseError(f"{_name(fn)} should return a tensor, got {type(out).__name__}") from None


def _matches(candidate: Callable, args: tuple, got: torch.Tensor, atol: float, rtol: float) -> bool:
    """Does a known wrong answer reproduce the student's output?"""
    try:
        with torch.no_grad():
            wrong = torch.as_tensor(candidate(*_clone(args))).detach().cpu().double()
    except Exception:  # a mistake that does not apply to these inputs
        return False
    return wrong.shape == got.shape and torch.allclose(wrong, got.double(), atol=atol, rtol=rtol)


def _compare(student_fn: Callable, cases: Sequence[Case], *, layout: str, hint: str, success: str,
             shape_hint: str = "", mistakes: Sequence[Mistake] = (), check_dtype: bool = False,
             atol: float = 1e-5, rtol: float = 1e-4) -> None:
    """Tensor outputs: shape (named by `layout`), floating dtype, then values, on every case.

    Raises ExerciseError at the first difference; `mistakes` replace the generic hint when the
    student's output equals one of them. Prints "✓ <success>" when every case matches.
    """
    name = _name(student_fn)
    with torch.no_grad():
        for desc, args, expected in cases:
            got = _as_tensor(_call(student_fn, args), student_fn)
            expected = expected.detach().cpu()
            if got.shape != expected.shape:
                raise ExerciseError(f"{name} {desc}: expected shape {layout} = {tuple(expected.shape)}, got "
                                    f"{tuple(got.shape)}." + (f"\nHint: {shape_hint}" if shape_hint else ""))
            if expected.is_floating_point() and not got.is_floating_point():
                raise ExerciseError(f"{name} {desc}: expected floating-point values ({expected.dtype}), got "
                                    f"{got.dtype}: convert with .float() before any arithmetic.")
            if check_dtype and got.dtype != expected.dtype:
                raise ExerciseError(f"{name} {desc}: expected dtype {expected.dtype}, got {got.dtype}.")
            if not torch.allclose(got.double(), expected.double(), atol=atol, rtol=rtol):
                diff = (got.double() - expected.double()).abs().max().item()
                known = next((msg for fn, msg in mistakes if _matches(fn, args, got, atol, rtol)), hint)
                raise ExerciseError(f"{name} {desc}: the shape is right but the values are wrong "
                                    f"(max abs difference {diff:.3g}).\nHint: {known}")
    print(f"✓ {success}")


def _value_matches(candidate: Callable, args: tuple, got: Any) -> bool:
    try:
        return candidate(*_clone(args)) == got
    except Exception:  # a mistake that does not apply to these inputs
        return False


def _as_bool(got: Any, fn: Callable, desc: str) -> bool:
    """A bool, or a one-element numpy / torch bool (what `a.max() < b.min()` gives on arrays), as a bool."""
    if isinstance(got, bool):
        return got
    size = got.numel() if isinstance(got, torch.Tensor) else getattr(got, "size", None)
    if str(getattr(got, "dtype", "")) in ("bool", "torch.bool") and size == 1:
        return bool(got)
    raise ExerciseError(f"{_name(fn)} {desc}: expected True or False, got {type(got).__name__} {got!r}: "
                        "return the result of the comparison itself.")


def _compare_values(student_fn: Callable, cases: Sequence[Case], *, hint: str, success: str,
                    mistakes: Sequence[Mistake] = ()) -> None:
    """Plain Python outputs (ints, shape tuples, bools): equal on every case, else ExerciseError with a hint."""
    name = _name(student_fn)
    for desc, args, expected in cases:
        got = _call(student_fn, args)
        if isinstance(expected, bool):
            got = _as_bool(got, student_fn, desc)
        elif isinstance(expected, tuple):
            try:
                got = tuple(int(v) for v in got)
            except (TypeError, ValueError):
                raise ExerciseError(f"{name} {desc}: expected a tuple of {len(expected)} ints, got {got!r}") from None
        elif isinstance(expected, int) and (isinstance(got, bool) or not isinstance(got, int)):
            floored = isinstance(got, float) and got == int(got)
            raise ExerciseError(f"{name} {desc}: expected an int, got {type(got).__name__} {got!r}"
                                + (": return int(...)." if floored else ": a width is a whole number of "
                                   "channels; floor with integer division //."))
        if got != expected:
            known = next((msg for fn, msg in mistakes if _value_matches(fn, args, got)), hint)
            diff = (f" (difference {got - expected:+d})"
                    if isinstance(expected, int) and not isinstance(expected, bool) else "")
            raise ExerciseError(f"{name} {desc}: expected {expected!r}, got {got!r}{diff}.\nHint: {known}")
    print(f"✓ {success}")


# --------------------------------------------------------------------------------------------
# numeric short answers


def _official_block4_weights() -> int:
    """Weights (no biases) of the paper's block 4: 262 -> 768 -> 64 channels, t = d = 4."""

    spec = ModelConfig.preset("paper").up_blocks()[3]
    block = TransposedConv1Plus2d(spec.in_channels, spec.mid_channels, spec.out_channels, k_t=spec.k_t,
                                  s_t=spec.s_t, p_t=spec.p_t, k_s=spec.k_s, s_s=spec.s_s, p_s=spec.p_s)
    return sum(m.weight.numel() for m in block.modules() if isinstance(m, nn.ConvTranspose3d))


def _small_to_rgb_channels() -> int:
    """Input channels of the `small` preset's to_rgb block (fusion on)."""

    return ModelConfig.preset("small").up_blocks()[-1].in_channels


#: name -> (library function computing the answer, relative tolerance, hint when wrong).
ANSWERS: dict[str, tuple[Callable[[], float], float, str]] = {
    "02_official_block4_weights": (
        _official_block4_weights, 0.0,
        "count the weights of both halves, temporal t*N_in*M plus spatial d^2*M*N_out, with the "
        "official width M = 768 (not the matched 517), N_in = 262, N_out = 64, t = d = 4; no biases."),
    "03_small_to_rgb_channels": (
        _small_to_rgb_channels, 0.0,
        "after block 4 comes fusion: its output (C channels at 16x16 for the small preset) + the encoder "
        "map of the same size (also C channels) + one plane per class: 2C + n_classes, with C = channels = 32."),
}


def check_answer(name: str, value: Any) -> None:
    """A numeric short answer `value` (or a no-argument function returning it) against ANSWERS[name]."""
    if name not in ANSWERS:
        raise ExerciseError(f"unknown exercise {name!r}; known: {', '.join(sorted(ANSWERS))}")
    reference, rel_tol, hint = ANSWERS[name]
    if callable(value):
        value = _call(value, ())
    try:
        got = float(value)
    except (TypeError, ValueError):
        raise ExerciseError(f"{name}: expected a number, got {type(value).__name__} {value!r}") from None
    expected = float(reference())
    shown = f"{value:,}" if isinstance(value, int) else repr(value)
    if abs(got - expected) > rel_tol * abs(expected) + 1e-9:
        side = "too high" if got > expected else "too low"
        raise ExerciseError(f"{name}: {shown} is not the answer (it is {side}).\nHint: {hint}")
    print(f"✓ {name}: {shown} is right")


# --------------------------------------------------------------------------------------------
# notebook 01: clips as tensors


def _uint8_clip(seed: int, shape: tuple[int, ...]) -> torch.Tensor:
    """A random uint8 clip that contains both 0 and 255."""
    g = torch.Generator().manual_seed(seed)
    clip = torch.randint(0, 256, shape, dtype=torch.uint8, generator=g)
    clip.view(-1)[0], clip.view(-1)[1] = 0, 255
    return clip


def check_to_model_video(student_fn: Callable) -> None:
    """student_fn(frames uint8 (T, H, W, 3)) -> (3, T, H, W) float32 in [-1, 1], as `to_model_video`."""

    cases = _cases(to_model_video, [("for a (5, 6, 7, 3) uint8 clip", (_uint8_clip(1, (5, 6, 7, 3)),)),
                                    ("for a (2, 4, 4, 3) uint8 clip", (_uint8_clip(2, (2, 4, 4, 3)),))])
    _compare(student_fn, cases, layout="(3, T, H, W)", check_dtype=True,
             shape_hint="channels first, then time: permute (T, H, W, 3) -> (3, T, H, W), i.e. (3, 0, 1, 2).",
             hint="map 0 -> -1 and 255 -> +1: x / 127.5 - 1 (on floats; uint8 arithmetic wraps around).",
             mistakes=[(lambda u: u.permute(3, 0, 1, 2).float() / 255, "these values are in [0, 1]: the model "
                        "wants [-1, 1], i.e. x / 127.5 - 1.")],
             success=f"{_name(student_fn)}: uint8 (T, H, W, 3) -> float32 (3, T, H, W) in [-1, 1], same as to_model_video")


def check_first_frame(student_fn: Callable) -> None:
    """student_fn(video (B, 3, T, H, W)) -> image (B, 3, H, W): frame 0, the conditioning image c_a."""

    with _seeded(0):
        video = torch.rand(2, 3, 5, 6, 7) * 2 - 1
    cases = _cases(first_frame, [("for a (2, 3, 5, 6, 7) video", (video,))])
    _compare(student_fn, cases, layout="(B, 3, H, W)",
             shape_hint="the layout is (B, C, T, H, W): index the time axis (dim 2), not the channels (dim 1).",
             hint="take frame 0, the first frame, along the time axis (dim 2).",
             mistakes=[(lambda v: v[:, :, -1], "that is the last frame: the input image is frame 0.")],
             success=f"{_name(student_fn)}: (B, 3, T, H, W) -> frame 0 as (B, 3, H, W)")


# --------------------------------------------------------------------------------------------
# notebook 02: transposed convolutions and the (1+2)D block


def check_conv_transpose1d(student_fn: Callable) -> None:
    """student_fn(x (L_in,), w (K,), stride, padding) -> y (L_out,), the same as F.conv_transpose1d."""
    g = torch.Generator().manual_seed(0)
    inputs = [(f"for L_in={n}, K={k}, stride={s}, padding={p}", (torch.randn(n, generator=g), torch.randn(k, generator=g), s, p))
              for n, k, s, p in ((4, 4, 2, 1), (5, 3, 1, 0), (3, 4, 3, 2), (6, 2, 2, 0))]

    def reference(x, w, s, p):
        return F.conv_transpose1d(x[None, None], w[None, None], stride=s, padding=p)[0, 0]

    _compare(student_fn, _cases(reference, inputs), layout="(L_out,)",
             shape_hint="L_out = (L_in - 1) * stride - 2 * padding + K: stamp at i * stride, then crop `padding` "
                        "samples from BOTH ends.",
             hint="every x[i] stamps x[i] * w starting at i * stride - padding, and overlapping stamps add up: "
                  "did you forget the stride?",
             mistakes=[(lambda x, w, s, p: reference(x, w.flip(0), s, p),
                        "the kernel is flipped: a transposed convolution stamps w as it is (w[0] first)."),
                       (lambda x, w, s, p: reference(x, w, s, 0)[: len(reference(x, w, s, p))],
                        "the padding is cut from the end only: crop `padding` samples from both ends.")],
             success=f"{_name(student_fn)} matches F.conv_transpose1d for strides 1-3 and paddings 0-2")


def _video_and_conv(seed: int, video_shape: tuple, c_out: int, kernel, stride, padding):
    with _seeded(seed):
        return torch.randn(video_shape), nn.ConvTranspose3d(video_shape[1], c_out, kernel, stride, padding)


#: The two halves of the (1+2)D block: their test cases (description, (seed, v shape, C_out, kernel, stride,
#: padding)), output layout and hints.
_CONV_HALVES = {
    "temporal": dict(
        cases=[("for v (2, 3, 4, 5, 6), kernel (4, 1, 1), stride 2, padding 1",
                (1, (2, 3, 4, 5, 6), 4, (4, 1, 1), (2, 1, 1), (1, 0, 0))),
               ("for v (1, 5, 1, 2, 3), kernel (2, 1, 1), stride 1, padding 0 (block 1)",
                (2, (1, 5, 1, 2, 3), 3, (2, 1, 1), 1, 0))],
        layout="(B, C_out, T', H, W)", function="F.conv_transpose1d", kernel="(k_t, 1, 1)",
        shape_hint="T' = (T - 1) * stride - 2 * padding + k_t; H and W do not change, and the result must be "
                   "put back in (B, C, T, H, W) order.",
        hint="fold the pixels into the batch, keeping (C, T) last: v.permute(0, 3, 4, 1, 2).reshape(B*H*W, C, T), "
             "run F.conv_transpose1d with conv.weight[:, :, :, 0, 0] and conv.bias, then undo the permute."),
    "spatial": dict(
        cases=[("for v (2, 4, 3, 5, 6), kernel (1, 4, 4), stride 2, padding 1",
                (3, (2, 4, 3, 5, 6), 2, (1, 4, 4), (1, 2, 2), (0, 1, 1))),
               ("for v (1, 3, 2, 1, 1), kernel (1, 4, 4), stride 1, padding 0 (block 1)",
                (4, (1, 3, 2, 1, 1), 5, (1, 4, 4), 1, 0))],
        layout="(B, C_out, T, H', W')", function="F.conv_transpose2d", kernel="(1, k_s, k_s)",
        shape_hint="H' = (H - 1) * stride - 2 * padding + k_s (W' likewise); T does not change, and the result "
                   "must be put back in (B, C, T, H, W) order.",
        hint="fold the frames into the batch: v.permute(0, 2, 1, 3, 4).reshape(B*T, C, H, W), run "
             "F.conv_transpose2d with conv.weight[:, :, 0], conv.bias, conv.stride[1:], conv.padding[1:], "
             "then reshape to (B, T, C', H', W') and permute back."),
}


def _check_conv_half(student_fn: Callable, half: str) -> None:
    """Compare a by-hand half of the (1+2)D block with nn.ConvTranspose3d on the cases of _CONV_HALVES[half]."""
    spec = _CONV_HALVES[half]
    inputs = [(text, _video_and_conv(*args)) for text, args in spec["cases"]]
    _compare(student_fn, _cases(lambda v, conv: conv(v), inputs), layout=spec["layout"],
             shape_hint=spec["shape_hint"], hint=spec["hint"],
             mistakes=[(lambda v, conv: conv(v) - conv.bias.view(1, -1, 1, 1, 1),
                        f"only the bias is missing: pass conv.bias to {spec['function']}.")],
             success=f"{_name(student_fn)} equals nn.ConvTranspose3d with a {spec['kernel']} kernel (strided and block 1)")


def check_temporal_half(student_fn: Callable) -> None:
    """student_fn(v (B, C, T, H, W), conv with kernel (k_t, 1, 1)) -> conv(v) (B, C_out, T', H, W)."""
    _check_conv_half(student_fn, "temporal")


def check_spatial_half(student_fn: Callable) -> None:
    """student_fn(v (B, C, T, H, W), conv with kernel (1, k_s, k_s)) -> conv(v) (B, C_out, T, H', W')."""
    _check_conv_half(student_fn, "spatial")


def _library_block_shape(shape, out_channels, k_t, s_t, p_t, k_s, s_s, p_s) -> tuple[int, ...]:
    """The output shape of the library's TransposedConv1Plus2d on an input of `shape`.

    Run with 1 input and 1 middle channel (the output shape does not depend on them): fast on any CPU.
    """

    with _seeded(0), torch.no_grad():
        block = TransposedConv1Plus2d(1, 1, out_channels, k_t=k_t, s_t=s_t, p_t=p_t, k_s=k_s, s_s=s_s, p_s=p_s).eval()
        return tuple(block(torch.zeros(shape[0], 1, *shape[2:])).shape)


def check_block_output_shape(student_fn: Callable) -> None:
    """student_fn(shape (B, C, T, H, W), out_channels, k_t, s_t, p_t, k_s, s_s, p_s) -> the block's output shape."""
    inputs = [("for the paper's block 1 on (4, 618, 1, 1, 1)", ((4, 618, 1, 1, 1), 512, 2, 1, 0, 4, 1, 0)),
              ("for a doubling block on (2, 262, 8, 16, 16)", ((2, 262, 8, 16, 16), 64, 4, 2, 1, 4, 2, 1)),
              ("for (3, 7, 5, 6, 9) with time (3, 1, 1), space (5, 3, 2)", ((3, 7, 5, 6, 9), 11, 3, 1, 1, 5, 3, 2))]
    with torch.no_grad():
        cases = [(desc, args, _library_block_shape(*args)) for desc, args in inputs]

    def no_padding(shape, c, k_t, s_t, p_t, k_s, s_s, p_s):
        return _library_block_shape(shape, c, k_t, s_t, 0, k_s, s_s, 0)

    def swapped(shape, c, k_t, s_t, p_t, k_s, s_s, p_s):
        return _library_block_shape(shape, c, k_s, s_s, p_s, k_t, s_t, p_t)

    _compare_values(student_fn, cases,
                    hint="apply L_out = (L_in - 1) * s - 2 * p + k to T with (k_t, s_t, p_t) and to H and W with "
                         "(k_s, s_s, p_s); the batch stays, the channels become out_channels.",
                    mistakes=[(no_padding, "the padding is missing: subtract 2 * p."),
                              (swapped, "time and space are swapped: T uses (k_t, s_t, p_t), H and W use (k_s, s_s, p_s).")],
                    success=f"{_name(student_fn)} gives the same shapes as TransposedConv1Plus2d (3 blocks)")


def check_matched_width(student_fn: Callable) -> None:
    """student_fn(n_in, n_out, t, d) -> M, the temporal-first width that matches a full t x d x d kernel."""

    inputs = [(f"for N_in={a}, N_out={b}, t={t}, d={d}", (a, b, t, d))
              for a, b, t, d in ((262, 64, 4, 4), (134, 32, 4, 4), (618, 512, 2, 4), (70, 3, 4, 4), (10, 20, 3, 5))]
    cases = [(desc, args, matched_width(*args)) for desc, args in inputs]
    _compare_values(student_fn, cases,
                    hint="set t*N_in*M + d^2*M*N_out equal to t*d^2*N_in*N_out and solve for M; floor the result.",
                    mistakes=[(lambda a, b, t, d: (t * d * d * a * b) // (d * d * a + t * b),
                               "that is R(2+1)D's spatial-first formula (denominator d^2*N_in + t*N_out); ImaGINator "
                               "goes temporal first: N_in -> M with kernel t, so the denominator is t*N_in + d^2*N_out."),
                              (lambda a, b, t, d: -(-(t * d * d * a * b) // (t * a + d * d * b)),
                               "that is rounded up: floor it (integer division //).")],
                    success=f"{_name(student_fn)} equals matched_width on 5 blocks (e.g. 262 -> 64: M = 517)")


# --------------------------------------------------------------------------------------------
# notebook 03: spatio-temporal fusion and the losses


@lru_cache(maxsize=1)
def _library_fusion_cases() -> list[Case]:
    """(block output h, encoder map, one-hot) -> what the library's decoder feeds the next block, per level.

    Captured with hooks from a seeded `tiny` Generator, so the reference is the library's own fusion.
    Cached: the checks only read these tensors (student calls get clones).
    """

    with _seeded(0), torch.no_grad():
        G = Generator(ModelConfig.preset("tiny")).eval()
        cfg = G.cfg
        image, z = torch.rand(2, 3, cfg.image_size, cfg.image_size) * 2 - 1, torch.randn(2, cfg.dim_z)
        onehot = F.one_hot(torch.tensor([1, 4]), cfg.n_classes).float()
        outputs, inputs = {}, {}
        names = G.dec.block_names
        hooks = [getattr(G.dec, n).register_forward_hook(lambda m, i, o, n=n: outputs.update({n: o.clone()}))
                 for n in names[:-1]]
        hooks += [getattr(G.dec, n).register_forward_pre_hook(lambda m, i, n=n: inputs.update({n: i[0].clone()}))
                  for n in names[1:]]
        feats = G.enc(image)
        G.dec(z, onehot, feats)
        for hk in hooks:
            hk.remove()
    return [(f"after decoder {n} (h {tuple(outputs[n].shape)}, enc_map {tuple(feats[i + 1].shape)}, onehot "
             f"{tuple(onehot.shape)})", (outputs[n], feats[i + 1], onehot), inputs[names[i + 1]])
            for i, n in enumerate(names[:-1])]


def check_fusion(student_fn: Callable) -> None:
    """student_fn(h (B, C1, T, H, W), enc_map (B, C2, H, W), onehot (B, K)) -> (B, C1 + C2 + K, T, H, W)."""
    def wrong_order(h, a, k):
        t, hh, ww = h.shape[2:]
        return torch.cat([a[:, :, None].expand(-1, -1, t, -1, -1), h,
                          k[:, :, None, None, None].expand(-1, -1, t, hh, ww)], 1)

    _compare(student_fn, _library_fusion_cases(), layout="(B, C1 + C2 + n_classes, T, H, W)",
             shape_hint="repeat the encoder map over time (einops: 'b c h w -> b c t h w'), broadcast the one-hot "
                        "over T x H x W ('b k -> b k t h w'), and concatenate all three along channels (dim 1).",
             hint="concatenate in this order: decoder features h, then the encoder map (the same at every t), "
                  "then one constant plane per class holding the one-hot value.",
             mistakes=[(wrong_order, "the order is wrong: decoder features h first, then the encoder map, then "
                                     "the label planes (the next block's weights expect that order).")],
             success=f"{_name(student_fn)} feeds every decoder block exactly what the library's Decoder does (tiny preset)")


def _loss_inputs() -> list[tuple[str, tuple]]:
    g = torch.Generator().manual_seed(0)
    fake, real = torch.rand(2, 3, 4, 5, 5, generator=g) * 2 - 1, torch.rand(2, 3, 4, 5, 5, generator=g) * 2 - 1
    logit_v, logit_i = torch.randn(2, generator=g) * 2, torch.randn(2, generator=g) * 2
    return [("for a batch of 2 videos (2, 3, 4, 5, 5) and logits (2,)", (fake, real, logit_v, logit_i))]


def check_generator_loss(student_fn: Callable) -> None:
    """student_fn(fake, real (B,3,T,H,W), logit_v, logit_i (B,)) -> scalar 100 * L1 + BCE(D_V, 1) + BCE(D_I, 1)."""

    def reference(fake, real, lv, li):
        return generator_loss(fake, real, lv, li, l1_weight=100.0)[0]

    l1 = lambda f, r: (f - r).abs().mean()  # noqa: E731
    _compare(student_fn, _cases(reference, _loss_inputs()), layout="() (a scalar)",
             shape_hint="a loss is one number: average over the batch with .mean().",
             hint="100 * mean |fake - real| + softplus(-logit_v).mean() + softplus(-logit_i).mean().",
             mistakes=[(lambda f, r, lv, li: l1(f, r) + F.softplus(-lv).mean() + F.softplus(-li).mean(),
                        "the L1 term needs its weight: 100 * L1."),
                       (lambda f, r, lv, li: 100 * l1(f, r) + F.softplus(lv).mean() + F.softplus(li).mean(),
                        "wrong target: the generator wants the discriminators to say *real* (target 1), i.e. "
                        "softplus(-logit), not softplus(logit)."),
                       (lambda f, r, lv, li: 100 * l1(f, r) + F.softplus(-lv).mean(),
                        "the image discriminator's term BCE(D_I(fake frame), 1) is missing."),
                       (lambda f, r, lv, li: 100 * l1(f, r) + F.softplus(-li).mean(),
                        "the video discriminator's term BCE(D_V(fake), 1) is missing."),
                       (lambda f, r, lv, li: 100 * (f - r).abs().sum() + F.softplus(-lv).mean() + F.softplus(-li).mean(),
                        "the L1 term is a mean over all elements, not a sum.")],
             success=f"{_name(student_fn)} equals generator_loss (100 * L1 + BCE_V + BCE_I)")


def check_discriminator_loss(student_fn: Callable) -> None:
    """student_fn(real_logits (B,), fake_logits (B,)) -> scalar BCE(real, 1) + BCE(fake, 0)."""

    g = torch.Generator().manual_seed(1)
    inputs = [("for real and fake logits of shape (3,)", (torch.randn(3, generator=g) * 2, torch.randn(3, generator=g) * 2))]
    _compare(student_fn, _cases(discriminator_loss, inputs), layout="() (a scalar)",
             shape_hint="a loss is one number: average over the batch with .mean().",
             hint="softplus(-real_logits).mean() + softplus(fake_logits).mean(): real judged 1, fake judged 0.",
             mistakes=[(lambda r, f: F.softplus(r).mean() + F.softplus(-f).mean(),
                        "the targets are swapped: real clips have target 1 (softplus(-logit)), fakes target 0."),
                       (lambda r, f: F.softplus(-r).mean(), "the fake term BCE(D(fake), 0) is missing."),
                       (lambda r, f: F.softplus(f).mean(), "the real term BCE(D(real), 1) is missing."),
                       (lambda r, f: 0.5 * (F.softplus(-r).mean() + F.softplus(f).mean()),
                        "do not halve: the library (like the official code) adds the two terms.")],
             success=f"{_name(student_fn)} equals discriminator_loss (BCE(real, 1) + BCE(fake, 0))")


# --------------------------------------------------------------------------------------------
# notebook 04: a metric and a baseline


def _moving_clips(seed: int, b: int, t: int, h: int, w: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(fake, real) videos (B, 3, T, H, W) in [-1, 1] whose true motion sits in known patches.

    The still pixels jitter by less than the threshold; patch A changes channel 0 only, by 0.15
    (moving in [-1, 1] units, not after mapping to [0, 1]); patch B changes every channel by -0.5, in
    video 0 only (so the videos have different numbers of moving pixels).
    """
    g = torch.Generator().manual_seed(seed)
    first = torch.rand(b, 3, 1, h, w, generator=g) * 1.2 - 0.4  # stays inside [-1, 1] after the patches
    real = first.repeat(1, 1, t, 1, 1) + (torch.rand(b, 3, t, h, w, generator=g) - 0.5) * 0.04
    real[:, 0, 2:, 1:4, 1:4] += 0.15
    real[0, :, 3:, h - 3:, : w // 2] -= 0.5
    fake = (real + torch.randn(b, 3, t, h, w, generator=g) * 0.2).clamp(-1, 1)
    return fake, real


def _moving_mask(real: torch.Tensor, threshold: float) -> torch.Tensor:
    return (real - real[:, :, :1]).abs().amax(dim=1, keepdim=True) > threshold


def check_moving_l1(student_fn: Callable) -> None:
    """student_fn(fake, real (B, 3, T, H, W) in [-1, 1]) -> scalar: mean |fake - real| where the true clip moves."""

    def reference(fake, real):
        total, count = moving_region_error(fake, real)
        return torch.tensor(total / count)

    def masked_mean(fake, real, mask):
        return (fake - real).abs()[mask.expand_as(real)].mean()

    def per_video(fake, real):
        return torch.stack([reference(f[None], r[None]) for f, r in zip(fake, real)]).mean()

    def per_pixel_count(fake, real):
        mask = _moving_mask(real, MOVING_THRESHOLD)
        return (fake - real).abs()[mask.expand_as(real)].sum() / mask.sum()

    inputs = [("for fake, real (2, 3, 5, 8, 8)", _moving_clips(0, 2, 5, 8, 8)),
              ("for fake, real (2, 3, 4, 6, 7)", _moving_clips(1, 2, 4, 6, 7))]
    _compare(student_fn, _cases(reference, inputs), layout="() (a scalar)",
             shape_hint="return ONE number for the whole batch: the sum of |fake - real| over the moving pixel "
                        "values divided by how many there are (the library's moving_region_error returns the two "
                        "parts).",
             hint=f"mask = (real - real[:, :, :1]).abs().amax(dim=1, keepdim=True) > {MOVING_THRESHOLD} (a pixel "
                  "moves when ANY channel changes), then the mean of |fake - real| over all 3 channels of the masked "
                  "pixels.",
             mistakes=[(lambda f, r: (f - r).abs().mean(),
                        "that is the L1 over every pixel: average only where the TRUE clip moves."),
                       (lambda f, r: masked_mean(f, r, _moving_mask(f, MOVING_THRESHOLD)),
                        "the mask comes from the generated clip: take it from the TRUE clip, real - real[:, :, :1]."),
                       (lambda f, r: (f - r).abs()[(r - r[:, :, :1]).abs() > MOVING_THRESHOLD].mean(),
                        f"the mask is per channel: a pixel moves when ANY channel changes by more than "
                        f"{MOVING_THRESHOLD} (take .amax(dim=1, keepdim=True)), and then all 3 of its channels count."),
                       (lambda f, r: masked_mean(f, r, _moving_mask(r, 2 * MOVING_THRESHOLD)),
                        f"the threshold {MOVING_THRESHOLD} is in [-1, 1] units: compare real - real[:, :, :1] as it "
                        "is, without mapping the clips to [0, 1] first."),
                       (per_pixel_count,
                        "divided by the number of moving pixels: divide by the number of moving pixel VALUES (3 per "
                        "pixel), i.e. take the mean of the masked values."),
                       (lambda f, r: reference(f, r) / 2,
                        "half the expected value: the error is in [-1, 1] units, do not map the clips to [0, 1]."),
                       (per_video,
                        "that is the average of one value per video: pool the moving values of the whole batch "
                        "(one sum, one count), so a clip that moves more weighs more.")],
             success=f"{_name(student_fn)} equals moving_region_error's sum / count (mask from the true clip, any "
                     "channel > 0.1)")


def check_copy_first_frame(student_fn: Callable) -> None:
    """student_fn(image (B, 3, H, W), labels (B,), z, frames) -> (B, 3, frames, H, W), the copy baseline."""

    g = torch.Generator().manual_seed(0)
    inputs = [("for image (2, 3, 6, 7), frames 5", (torch.rand(2, 3, 6, 7, generator=g) * 2 - 1, torch.tensor([1, 4]),
                                                     torch.randn(2, 8, generator=g), 5)),
              ("for image (3, 3, 4, 4), frames 16, z None", (torch.rand(3, 3, 4, 4, generator=g) * 2 - 1,
                                                             torch.tensor([0, 2, 5]), None, 16))]

    def reference(image, labels, z, frames):
        return copy_frame_predictor(frames)(image, labels, z)

    def interleaved(image, labels, z, frames):
        b, c, h, w = image.shape
        return image.repeat(1, frames, 1, 1).reshape(b, c, frames, h, w)

    _compare(student_fn, _cases(reference, inputs), layout="(B, 3, frames, H, W)",
             shape_hint="add a time axis at dim 2, (B, 3, H, W) -> (B, 3, 1, H, W), and repeat it `frames` times; "
                        "image[:, None] would put time before the channels.",
             hint="every frame t must equal the input image: video[:, :, t] == image for all t; labels and z are "
                  "ignored.",
             mistakes=[(interleaved, "frames and channels got interleaved: image.repeat(1, frames, 1, 1) stacks the "
                                     "copies along the channel axis, and reshaping cannot separate them again. Add "
                                     "the time axis first: image[:, :, None].repeat(1, 1, frames, 1, 1) (or .expand).")],
             success=f"{_name(student_fn)} equals copy_frame_predictor: the input image as every frame, whatever "
                     "the label")


# --------------------------------------------------------------------------------------------
# notebook 05: the seed-spread rule and an ablation switch


def check_ranges_separate(student_fn: Callable) -> None:
    """student_fn(a, b: lists of per-seed values) -> bool: the difference exceeds the seed spread."""

    inputs = [(f"for a = {a}, b = {b}", (a, b)) for a, b in (
        ([1.0, 2.0, 3.0], [4.0, 5.0, 6.0]),
        ([4.0, 5.0, 6.0], [1.0, 2.0, 3.0]),
        ([1.0, 3.0, 5.0], [2.0, 4.0, 6.0]),
        ([1.0, 1.2], [1.15, 3.0, 3.2]),
        ([0.2, 0.5, 0.1], [0.45, 0.6, 0.7]),
        ([1.0, 2.0], [2.0, 3.0]),
        ([1.0], [5.0, 6.0]),
        ([0.9, 0.8], [0.3]),
        ([0.31, 0.35], [0.30, 0.29, 0.27]),
    )]
    cases = [(desc, args, ranges_separate(*args)) for desc, args in inputs]

    def mean_vs_std(a, b):
        return abs(statistics.fmean(a) - statistics.fmean(b)) > max(statistics.pstdev(a), statistics.pstdev(b))

    _compare_values(student_fn, cases,
                    hint="True only when both lists have at least 2 values and min(a) > max(b) or max(a) < min(b).",
                    mistakes=[(lambda a, b: min(a) > max(b) or max(a) < min(b),
                               "with a single seed there is no spread to compare with: the rule needs at least two "
                               "values on EACH side (len(a) > 1 and len(b) > 1)."),
                              (lambda a, b: len(a) > 1 and len(b) > 1 and max(a) < min(b),
                               "only one direction is tested: a may lie entirely above b (min(a) > max(b)) as well "
                               "as entirely below it."),
                              (lambda a, b: len(a) > 1 and len(b) > 1 and min(a) > max(b),
                               "only one direction is tested: a may lie entirely below b (max(a) < min(b)) as well "
                               "as entirely above it."),
                              (lambda a, b: len(a) > 1 and len(b) > 1 and (min(a) >= max(b) or max(a) <= min(b)),
                               "ranges that touch (max(a) == min(b)) overlap: use strict comparisons."),
                              (lambda a, b: len(a) > 1 and len(b) > 1 and (a[0] > b[-1] or a[-1] < b[0]),
                               "the seeds are not sorted: a[0] and a[-1] are not the smallest and largest values, "
                               "use min() and max()."),
                              (mean_vs_std, "that compares the difference of means with a standard deviation: the "
                                            "rule here is stricter, no overlap at all of the min..max ranges.")],
                    success=f"{_name(student_fn)} equals the study's rule (ranges_separate) on {len(cases)} pairs, "
                            "including one seed and touching ranges")


def _generator_params(cfg: Any) -> int:
    """Parameters of Generator(cfg), counted on the meta device (no memory, instant even for `paper`)."""

    with torch.device("meta"):
        return sum(p.numel() for p in Generator(cfg).parameters())


def check_no_fusion_config(student_fn: Callable) -> None:
    """student_fn(preset name) -> the ModelConfig of the study's `no_fusion` variant of that preset."""


    name = _name(student_fn)
    mistakes = [(lambda p: ModelConfig.preset(p),
                 "this is the full model: the no_fusion variant switches fusion off (fusion=False)."),
                (lambda p: ModelConfig.preset("small", fusion=False),
                 "start from the preset you were given (the argument), not a fixed one."),
                (lambda p: ModelConfig.preset(p, block="3d"),
                 "that is the 3d variant (block='3d'): the no_fusion variant keeps (1+2)D blocks and turns fusion off."),
                (lambda p: ModelConfig(fusion=False),
                 "start from the preset: ModelConfig(...) on its own has the dataclass defaults, not the preset's "
                 "sizes.")]
    counts = {}
    for preset in ("tiny", "small", "paper"):
        expected = variant_configs(StudySettings(preset=preset), "no_fusion", 0, Path("unused"))[0]
        got = _call(student_fn, (preset,))
        if not isinstance(got, ModelConfig):
            raise ExerciseError(f"{name}({preset!r}): expected a ModelConfig, got {type(got).__name__} {got!r}: "
                                "build one with ModelConfig.preset(...).")
        counts[preset] = (_generator_params(got), _generator_params(expected),
                          _generator_params(ModelConfig.preset(preset)))
        if got != expected:
            wrong = [f"{f.name} = {getattr(got, f.name)!r}, expected {getattr(expected, f.name)!r}"
                     for f in fields(ModelConfig) if f.compare and getattr(got, f.name) != getattr(expected, f.name)]
            known = next((msg for fn, msg in mistakes if _value_matches(fn, (preset,), got)),
                         "the study builds it from VARIANTS in imaginator_lite.study: the preset with the "
                         "variant's model switch, ModelConfig.preset(name, fusion=False).")
            mine, theirs, _ = counts[preset]
            raise ExerciseError(f"{name}({preset!r}): " + "; ".join(wrong[:3]) + (" ..." if len(wrong) > 3 else "")
                                + f" (a generator built from it has {mine:,} parameters, expected {theirs:,})."
                                + f"\nHint: {known}")
    got_small, _, full_small = counts["small"]
    print(f"✓ {name} gives the study's no_fusion config for tiny, small and paper; small: G {got_small:,} "
          f"parameters, {full_small - got_small:,} fewer than full ({full_small:,})")


# --------------------------------------------------------------------------------------------
# notebook 07: the warp head


def _sample(image: torch.Tensor, grid: torch.Tensor) -> torch.Tensor:
    """grid_sample as the warp head uses it: image (B, C, H, W), grid (B, H, W, 2) of (x, y) in [-1, 1]."""
    return F.grid_sample(image, grid, mode="bilinear", padding_mode="border", align_corners=False)


def check_pixel_centre_grid(student_fn: Callable) -> None:
    """student_fn(height, width) -> (H, W, 2) grid of pixel centres (x, y) that grid_sample maps back to each pixel."""

    name = _name(student_fn)
    inputs = [(f"for (height, width) = {hw}", hw) for hw in ((4, 8), (16, 16), (16, 32))]

    def corners(height, width):  # align_corners=True's convention: the first and last pixel centres at -1 and 1
        ys, xs = torch.linspace(-1, 1, height), torch.linspace(-1, 1, width)
        return torch.stack(torch.meshgrid(xs, ys, indexing="xy"), dim=-1)

    def swapped(height, width):
        return identity_grid(height, width).flip(-1)

    grid = _as_tensor(_call(student_fn, (16, 32)), student_fn).float()
    if grid.shape == (16, 32, 2) and torch.allclose(grid, identity_grid(16, 32), atol=1e-6):
        image = torch.rand(2, 3, 16, 32, generator=torch.Generator().manual_seed(0))
        copied = _sample(image, grid.expand(2, -1, -1, -1))
        if not torch.equal(copied, image):
            raise ExerciseError(f"{name}: grid_sample with your grid does not return the image exactly (max abs "
                                f"difference {(copied - image).abs().max():.3g}).\nHint: compute the centres in "
                                "float32 as (2 * torch.arange(n) + 1) / n - 1.")
    _compare(student_fn, _cases(identity_grid, inputs), layout="(H, W, 2)",
             shape_hint="one (x, y) pair per output pixel: torch.stack(torch.meshgrid(xs, ys, indexing='xy'), dim=-1) "
                        "gives (H, W, 2) from xs (W,) and ys (H,).",
             hint="pixel i of n has its centre at (2 i + 1) / n - 1 (the edges of the image are -1 and 1), and the "
                  "last axis is (x, y): x along the width first.",
             mistakes=[(corners, "those are align_corners=True coordinates (torch.linspace(-1, 1, n) puts the first "
                                 "and last pixel centres on -1 and 1). With align_corners=False the edges of the "
                                 "image are -1 and 1, so the centres are (2 i + 1) / n - 1."),
                       (swapped, "x and y are swapped: grid_sample reads the last axis as (x, y), x along the width.")],
             atol=1e-6, rtol=0, success=f"{name} equals the library's identity_grid, and an identity flow returns the "
                                        "input exactly: grid_sample(image, grid) == image, bit for bit")


def check_warp(student_fn: Callable) -> None:
    """student_fn(image (B, 3, H, W), flow (B, 2, T, H, W) normalised (x, y)) -> video (B, 3, T, H, W)."""

    name = _name(student_fn)
    g = torch.Generator().manual_seed(0)
    image = torch.rand(2, 3, 16, 16, generator=g) * 2 - 1
    shift = torch.zeros(2, 2, 4, 16, 16)
    shift[:, 0] = pixels_to_flow((1.0, 0.0), 16, 16)[0]                       # every frame: +1 pixel in x
    inputs = [("for a flow of +1 pixel in x", (image, shift)),
              ("for a random flow of up to 2 pixels", (image, (torch.rand(2, 2, 4, 16, 16, generator=g) * 2 - 1) / 4))]

    def forward(image, flow):
        return warp_image(image, -flow)

    def swapped(image, flow):
        return warp_image(image, flow.flip(1))

    out = _as_tensor(_call(student_fn, _clone((image, shift))), student_fn).float()
    if out.shape == (2, 3, 4, 16, 16) and torch.allclose(out, warp_image(image, shift), atol=1e-5):
        if not torch.equal(out[:, :, :, :, :-1], image[:, :, None, :, 1:].expand(-1, -1, 4, -1, -1)):
            raise ExerciseError(f"{name}: a flow of +1 pixel should show each pixel's right-hand neighbour exactly "
                                "(it is close, not exact).\nHint: build the identity grid as pixel centres, "
                                "(2 * torch.arange(n) + 1) / n - 1, in float32.")
    _compare(student_fn, _cases(warp_image, inputs), layout="(B, 3, T, H, W)",
             shape_hint="sample one frame per time step: repeat the image T times along the batch, (B, C, H, W) -> "
                        "(B*T, C, H, W), and give grid_sample grids (B*T, H, W, 2); reshape back to (B, C, T, H, W).",
             hint="the grid is the identity grid plus the flow moved to the last axis (flow[:, :, t] is (B, 2, H, W); "
                  "the grid wants (B, H, W, 2)); grid_sample with mode='bilinear', padding_mode='border', "
                  "align_corners=False.",
             mistakes=[(forward, "the picture moves the wrong way: the warp is backward, each output pixel looks at "
                                 "its position PLUS the flow (grid = identity + flow), so +1 pixel in x shows the "
                                 "right-hand neighbour."),
                       (swapped, "x and y are swapped: flow channel 0 is x (along the width), channel 1 is y.")],
             success=f"{name} equals the library's warp_image, and a one-pixel flow moves the picture by exactly one "
                     "pixel")


def flow_gradient(image: torch.Tensor, flow: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The gradient of the L1 loss mean |warp(image, flow) - target| with respect to the flow, (B, 2, T, H, W):
    notebook 07's exercise 7.4 (what a reconstruction loss tells a warp about where to move each pixel)."""

    with torch.enable_grad():
        flow = flow.detach().clone().requires_grad_(True)
        (warp_image(image, flow) - target).abs().mean().backward()
    return flow.grad


def _with_grad(fn: Callable) -> Callable:
    """fn run with autograd on (the checks compare outputs under torch.no_grad), keeping its name for messages."""
    @wraps(fn)
    def run(*args):
        with torch.enable_grad():
            return fn(*args)
    return run


def check_flow_gradient(student_fn: Callable) -> None:
    """student_fn(image (B, 3, H, W), flow (B, 2, T, H, W), target (B, 3, T, H, W)) -> d L1 / d flow."""

    name = _name(student_fn)
    g = torch.Generator().manual_seed(0)
    flat = torch.full((1, 3, 16, 16), 0.3)
    texture = torch.rand(1, 3, 16, 16, generator=g) * 2 - 1
    shift = torch.zeros(1, 2, 2, 16, 16)
    shift[:, 0] = pixels_to_flow((0.5, 0.0), 16, 16)[0]
    inputs = [("on a flat patch", (flat, torch.zeros_like(shift), warp_image(flat, shift))),
              ("on a textured patch", (texture, torch.zeros_like(shift), warp_image(texture, shift)))]

    @_with_grad
    def wrt_image(image, flow, target):
        image = image.detach().clone().requires_grad_(True)
        (warp_image(image, flow) - target).abs().mean().backward()
        return image.grad

    @_with_grad
    def squared(image, flow, target):
        flow = flow.detach().clone().requires_grad_(True)
        ((warp_image(image, flow) - target) ** 2).mean().backward()
        return flow.grad

    _compare(_with_grad(student_fn), _cases(flow_gradient, inputs), layout="(B, 2, T, H, W), like the flow",
             shape_hint="return flow.grad: the gradient has the flow's shape.",
             hint="make the flow a leaf that needs a gradient (flow = flow.clone().requires_grad_(True)), compute "
                  "loss = (warp_image(image, flow) - target).abs().mean(), call loss.backward() and return flow.grad.",
             mistakes=[(wrt_image, "that is the gradient with respect to the image; the question is what the loss "
                                   "tells the flow: differentiate with respect to the flow."),
                       (squared, "that is the squared error's gradient; the objective's reconstruction term is the "
                                 "L1 loss, mean |warp - target|.")],
             atol=1e-6, rtol=1e-4,
             success=f"{name} equals the library's flow_gradient: on the flat patch it is exactly 0 everywhere (no "
                     "flow is better than another there), on the textured patch it is not")


def check_jacobian_determinant(student_fn: Callable) -> None:
    """student_fn(flow (B, 2, T, H, W) normalised (x, y)) -> det of the warp p -> p + flow(p), (B, T, H, W)."""

    name = _name(student_fn)
    g = torch.Generator().manual_seed(0)
    size = 16
    c = (2 * torch.arange(size) + 1) / size - 1
    y, x = torch.meshgrid(c, c, indexing="ij")
    magnify = torch.stack([-0.5 * x, -0.5 * y])[None, :, None]
    smooth = torch.nn.functional.avg_pool2d(torch.rand(2, 2, size, size, generator=g), 5, 1, 2)[:, :, None] * 0.2
    inputs = [("for a 2x magnification (determinant 0.25 everywhere)", (magnify,)),
              ("for a smooth random flow", (smooth,))]

    def pixel_units(flow):  # differences per pixel, not per normalised unit
        f = flow.double()
        dxx, dxy = torch.gradient(f[:, 0], dim=(-1, -2))
        dyx, dyy = torch.gradient(f[:, 1], dim=(-1, -2))
        return ((1 + dxx) * (1 + dyy) - dxy * dyx).float()

    _compare(student_fn, _cases(jacobian_determinant, inputs), layout="(B, T, H, W)",
             shape_hint="one determinant per pixel and frame: drop the flow's channel axis.",
             hint="with central differences (torch.gradient, spacing 2 / W in x and 2 / H in y, since the flow is in "
                  "normalised units), det = (1 + dfx/dx) (1 + dfy/dy) - dfx/dy * dfy/dx.",
             mistakes=[(pixel_units, "the differences are per pixel; the flow is in normalised units, where one "
                                     "pixel is 2 / W: pass spacing=2 / W (and 2 / H) to torch.gradient.")],
             atol=1e-4, rtol=1e-4,
             success=f"{name} equals the library's jacobian_determinant: 0.25 for a 2x magnification, and a warp "
                     "folds the picture where it is <= 0")


# --------------------------------------------------------------------------------------------
# notebook 08: the paper's baselines, VGAN's two streams and MoCoGAN's motion codes


def check_composite(student_fn: Callable) -> None:
    """student_fn(foreground (B,3,T,H,W), mask (B,1,T,H,W), background (B,3,H,W)) -> video (B,3,T,H,W)."""

    g = torch.Generator().manual_seed(0)
    fg, bg = torch.rand(2, 3, 4, 8, 8, generator=g) * 2 - 1, torch.rand(2, 3, 8, 8, generator=g) * 2 - 1
    mask = torch.rand(2, 1, 4, 8, 8, generator=g)
    inputs = [("for a mask of ones (only the foreground shows)", (fg, torch.ones_like(mask), bg)),
              ("for a mask of zeros (only the still background shows)", (fg, torch.zeros_like(mask), bg)),
              ("for a random mask", (fg, mask, bg))]
    t = fg.shape[2]
    _compare(student_fn, _cases(compose, inputs), layout="(B, 3, T, H, W)",
             shape_hint="the background is ONE still image (B, 3, H, W): give it a time axis, background[:, :, None], "
                        "which broadcasts over the T frames (or repeat it T times); the mask (B, 1, T, H, W) "
                        "broadcasts over the 3 colour channels.",
             hint="the video is mask * foreground + (1 - mask) * background, with the still background repeated over "
                  "time.",
             mistakes=[(lambda f, m, b: m * b[:, :, None] + (1 - m) * f,
                        "the streams are swapped: where the mask is 1 the FOREGROUND shows (m * f), elsewhere the "
                        "background ((1 - m) * b)."),
                       (lambda f, m, b: m * f + b[:, :, None].expand(-1, -1, t, -1, -1),
                        "the background is added everywhere: weight it by (1 - mask), so the two weights sum to 1."),
                       (lambda f, m, b: (f + b[:, :, None]) / 2,
                        "that averages the streams and ignores the mask: the mask chooses, pixel by pixel and frame "
                        "by frame, how much of each shows.")],
             success=f"{_name(student_fn)} equals models.vgan.compose: the mask picks the moving foreground, the rest "
                     "is the one still background")


def check_motion_codes(student_fn: Callable) -> None:
    """student_fn(gru (nn.GRUCell), noise (B,T+1,dim_m), onehot (B,n_classes)) -> codes (B,T,dim_m+n_classes)."""

    dim_m, classes, t = 5, 3, 4
    with _seeded(0):
        gru = nn.GRUCell(dim_m + classes, dim_m)
        noise = torch.randn(2, t + 1, dim_m)
    onehot = F.one_hot(torch.tensor([0, 2]), classes).float()
    inputs = [(f"for T = {t} frames, dim_m = {dim_m}, {classes} classes", (gru, noise, onehot))]

    def zero_start(gru, noise, onehot):
        return unroll_motion(gru, torch.cat([torch.zeros_like(noise[:, :1]), noise[:, 1:]], dim=1), onehot)

    def no_recurrence(gru, noise, onehot):
        codes = [torch.cat([gru(torch.cat([noise[:, i], onehot], 1), noise[:, 0]), onehot], 1)
                 for i in range(1, noise.shape[1])]
        return torch.stack(codes, 1)

    def off_by_one(gru, noise, onehot):
        h, codes = noise[:, 0], []
        for i in range(noise.shape[1] - 1):
            h = gru(torch.cat([noise[:, i], onehot], 1), h)
            codes.append(torch.cat([h, onehot], 1))
        return torch.stack(codes, 1)

    def checked(gru, noise, onehot):
        try:
            return student_fn(gru, noise, onehot)
        except NotImplementedError:
            raise  # _call says "not done yet"
        except RuntimeError as exc:  # e.g. a GRU input of the wrong width
            raise ExerciseError(f"{_name(student_fn)} raised {exc}\nHint: the GRU's input at frame t is "
                                "torch.cat([noise[:, t], onehot], dim=1), (B, dim_m + n_classes), and its state h is "
                                "(B, dim_m): call gru(input, h).") from None

    checked.__name__ = _name(student_fn)
    _compare(checked, _cases(unroll_motion, inputs), layout="(B, T, dim_m + n_classes)",
             shape_hint="one code per frame t = 1..T (noise has T + 1 vectors: noise[:, 0] is the first state, not a "
                        "frame), each code torch.cat([h_t, onehot], dim=1); stack them on dim 1.",
             hint="h = noise[:, 0]; for t in 1..T: h = gru(torch.cat([noise[:, t], onehot], 1), h); code_t = "
                  "torch.cat([h, onehot], 1).",
             mistakes=[(zero_start, "the first state is the noise vector noise[:, 0], not zeros: the motion's start "
                                    "is random too."),
                       (no_recurrence, "each step must start from the PREVIOUS step's state h: that recurrence is what "
                                       "ties frame t's motion to frame t-1's."),
                       (off_by_one, "noise[:, 0] is the first state only; frame t's input is noise[:, t] for t = "
                                    "1..T.")],
             success=f"{_name(student_fn)} equals models.mocogan.unroll_motion: one code per frame, each from the "
                     "previous state, the label in every code")
