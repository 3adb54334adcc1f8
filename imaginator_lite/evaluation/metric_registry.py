"""Every metric the package reports, once: its name, label, direction, and whether the pass mark judges it.

The verdict, the study, the summary tables, the model cards and the figures take their lists and their
"lower/higher is better" from here.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    """One reported number: `lower_is_better` gives its direction; `judged`: the pass mark asks the model to
    beat every baseline on it; `needs_judge`: it needs a feature network (the judge)."""

    name: str
    label: str
    lower_is_better: bool
    judged: bool = False
    needs_judge: bool = False

    @property
    def title(self) -> str:
        """'Frechet distance (lower is better)', for figure panels."""
        return f"{self.label} ({'lower' if self.lower_is_better else 'higher'} is better)"

    def better(self, a: float, b: float) -> bool:
        """Whether value `a` is strictly better than `b`."""
        return a < b if self.lower_is_better else a > b


METRICS: dict[str, Metric] = {m.name: m for m in (
    Metric("fd", "Frechet distance", True, judged=True, needs_judge=True),
    Metric("moving_l1", "L1 where the face moves", True, judged=True),
    Metric("conditional_accuracy", "conditional accuracy", False, needs_judge=True),
    Metric("motion_l1", "motion L1", True),
    Metric("l1", "L1", True),
    Metric("ssim", "SSIM", False),
    Metric("psnr", "PSNR per frame", False),
    Metric("psnr_official", "PSNR (official, one MSE per batch)", False),
    Metric("appearance_ssim", "appearance SSIM", False),
    Metric("kept_detail", "kept detail (sharpness / the input's)", False),
    Metric("jitter", "jitter (second temporal difference)", True),
    Metric("s_per_step", "seconds per training step", True),
)}

#: The pass mark: beat every baseline on these (plus a conditional accuracy over chance).
JUDGED = tuple(m.name for m in METRICS.values() if m.judged)
#: Whether the model beats every baseline, recorded in metrics.json for each of these.
VERDICT_REPORTED = ("l1", "ssim", "psnr", "psnr_official", "moving_l1", "fd", "conditional_accuracy")
#: Columns of the plain-text summary table.
TABLE = ("l1", "ssim", "psnr", "moving_l1", "motion_l1", "fd", "conditional_accuracy", "appearance_ssim")
#: Held-out metrics kept on a shipped model's card.
CARD = ("fd", "moving_l1", "conditional_accuracy", "motion_l1", "l1", "ssim", "psnr", "psnr_official")
#: Per-run numbers of the ablation study (the first three are the judged ones and the accuracy).
STUDY = ("fd", "moving_l1", "conditional_accuracy", "motion_l1", "l1", "ssim", "psnr", "appearance_ssim", "kept_detail",
         "jitter", "s_per_step")
#: Panels of the study's bar chart, and of the tour's comparison figure (beside SSIM per frame).
STUDY_PANELS = ("fd", "moving_l1", "conditional_accuracy", "s_per_step")
COMPARISON_PANELS = ("moving_l1", "fd")
