"""The pass mark that the tour, `evaluate` and the shipped models are judged by.

Only ~3% of the pixels move in the synthetic expressions, so full-frame L1/SSIM/PSNR reward copying
the input frame; the judged metrics measure the generated motion: the model must beat every
baseline on the Frechet distance and on the L1 where the true clip moves, and recognisably
perform the requested class (conditional accuracy at least 3x chance).
"""
from __future__ import annotations

from typing import Any

from .metric_registry import JUDGED as JUDGED_AGAINST_BASELINES
from .metric_registry import METRICS, VERDICT_REPORTED

ACCURACY_OVER_CHANCE = 3.0


def tour_verdict(results: dict[str, dict[str, Any]], chance: float,
                 accuracy_over_chance: float = ACCURACY_OVER_CHANCE) -> dict[str, Any]:
    """Judge `results` ({'model': {...}, baseline: {...}, ...}) by the tour's stated criterion.

    Passed when the model beats every baseline on each metric in JUDGED_AGAINST_BASELINES and its
    conditional accuracy is at least `accuracy_over_chance` x chance. Also lists, for every reported
    metric, whether the model beats all baselines (informative only).
    """
    if "model" not in results or len(results) < 2:
        raise ValueError(f"tour_verdict needs 'model' and at least one baseline (got {sorted(results)})")
    model = results["model"]
    baselines = {name: r for name, r in results.items() if name != "model"}
    missing = [k for k in JUDGED_AGAINST_BASELINES + ("conditional_accuracy",) if k not in model]
    if missing:
        raise ValueError(f"the model's results lack {missing}; evaluate with a feature network")

    def beats(key: str) -> bool:
        others = [b[key] for b in baselines.values() if key in b]
        return all(METRICS[key].better(model[key], o) for o in others)

    needed_accuracy = min(1.0, accuracy_over_chance * chance)
    checks = {f"{key}_beats_all_baselines": beats(key) for key in JUDGED_AGAINST_BASELINES}
    checks["conditional_accuracy_over_chance"] = model["conditional_accuracy"] >= needed_accuracy
    return {
        "text": (f"the model beats every baseline ({', '.join(baselines)}) on "
                 f"{' and '.join(JUDGED_AGAINST_BASELINES)}, and its conditional accuracy is at least "
                 f"{accuracy_over_chance:g}x chance ({needed_accuracy:.3f})"),
        "checks": checks,
        "passed": all(checks.values()),
        "model_beats_all_baselines": {key: beats(key) for key in VERDICT_REPORTED if key in model},
    }


def verdict_text(verdict: dict[str, Any]) -> str:
    """One line: PASS/FAIL with each check, for the end of the tour."""
    checks = ", ".join(f"{k} {'yes' if v else 'NO'}" for k, v in verdict["checks"].items())
    return f"{'PASS' if verdict['passed'] else 'FAIL'}: {checks}"


def verdict_sentence(name: str, evaluation: dict[str, Any]) -> str:
    """One Markdown sentence for a notebook: the model's accuracy against chance, the judged metrics on which
    it beats every baseline and those on which it does not, and PASS/FAIL (from an `evaluate_run` result)."""
    checks = evaluation["criterion"]["checks"]
    judged = {key: checks[f"{key}_beats_all_baselines"] for key in JUDGED_AGAINST_BASELINES}
    beaten = [METRICS[k].label for k, ok in judged.items() if ok]
    missed = [METRICS[k].label for k, ok in judged.items() if not ok]
    acc = evaluation["results"]["model"]["conditional_accuracy"]
    text = (f"**{name}**: conditional accuracy {acc:.2f} ({acc / evaluation['chance_accuracy']:.1f}x chance); "
            f"beats every baseline on {', '.join(beaten) or 'no judged metric'}")
    text += f", not on {', '.join(missed)}" if missed else ""
    return text + f" → **{'PASS' if evaluation['passed'] else 'FAIL'}**."
