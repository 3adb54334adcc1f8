"""TrainConfig: the training recipe and run options, written once (the paper's values are the defaults).

Frozen: derive a variant with `cfg.replace(...)`. The `train` command's flags are generated from
these fields (their `help` metadata), so a default lives here and nowhere else.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Mapping

from ..defaults import TRAIN_DIR
from ..models.losses import ADVERSARIAL_KINDS

PRECISIONS = ("auto", "fp32", "bf16", "fp16")


def _opt(default: Any, help: str, **meta: Any) -> Any:
    return field(default=default, metadata={"help": help, **meta})


@dataclass(frozen=True)
class TrainConfig:
    """Training hyper-parameters and run options."""

    steps: int | None = _opt(1000, "total optimisation steps (wins over epochs when both are given)")
    epochs: float | None = _opt(None, "alternatively: passes over the training split", type=float)
    batch_size: int = _opt(64, "clips per batch (the paper's 64)")
    lr: float = _opt(2e-4, "Adam learning rate of G and both Ds (the paper's 2e-4)")
    betas: tuple[float, float] = _opt((0.5, 0.999), "Adam betas", cli=False)
    l1_weight: float = _opt(100.0, "weight of the L1 reconstruction term (the paper's lambda = 100)")
    paint_penalty: float = _opt(0.0, "warp generators only: weight of a penalty on the painted share mean(1 - mask), "
                                "so the model moves the photo's pixels and paints only where it must (0: none)")
    adversarial: str = _opt("bce", "adversarial loss: bce (the paper) or hinge", choices=ADVERSARIAL_KINDS)
    use_video_disc: bool = _opt(True, "use the video discriminator D_V; --no-video-disc is the ablation without it",
                               flag="--no-video-disc")
    use_image_disc: bool = _opt(True, "use the image discriminator D_I; --no-image-disc is the ablation without it",
                               flag="--no-image-disc")
    device: str = _opt("auto", "auto | cpu | cuda")
    precision: str = _opt("auto", "auto: bf16 autocast where bf16 is native (CUDA, CPUs with AVX512-BF16 or AMX), "
                          "else fp32; fp32; bf16 (emulated, and far slower, on other CPUs: warns); fp16 autocast + "
                          "GradScaler (GPUs without bf16)", choices=PRECISIONS)
    channels_last: bool = _opt(False, "channels-last memory format")
    sync_batchnorm: bool = _opt(True, "under torchrun: BatchNorm statistics of the whole global batch across ranks; "
                                "--no-sync-batchnorm keeps per-rank statistics", flag="--no-sync-batchnorm")
    compile: bool = _opt(False, "torch.compile the three networks")
    log_every: int = _opt(10, "log the losses every N steps")
    sample_every: int = _opt(0, "write a sample GIF every N steps (0: only at the end)")
    checkpoint_every: int = _opt(0, "write the checkpoint every N steps (0: only at the end and on Ctrl-C)")
    out_dir: str | None = _opt(TRAIN_DIR, "output folder (None: write nothing)", cli=False)
    seed: int = _opt(0, "seed of the initialisation, the noise, the frame picks and the batch order")
    progress: bool = _opt(True, "show a progress bar", cli=False)
    sample_count: int = _opt(8, "clips in the sample GIF grid", cli=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "betas", tuple(float(b) for b in self.betas))
        if self.adversarial not in ADVERSARIAL_KINDS:
            raise ValueError(f"adversarial must be one of {ADVERSARIAL_KINDS} (got {self.adversarial!r})")
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS} (got {self.precision!r})")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1 (got {self.batch_size})")
        if self.steps is None and self.epochs is None:
            raise ValueError("give steps or epochs")
        for name in ("steps", "epochs"):
            if getattr(self, name) is not None and getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0 (got {getattr(self, name)})")
        if not self.lr > 0:
            raise ValueError(f"lr must be > 0 (got {self.lr})")
        for name in ("log_every", "sample_every", "checkpoint_every", "l1_weight", "paint_penalty"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0 (got {getattr(self, name)})")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["betas"] = list(self.betas)
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "TrainConfig":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})

    def replace(self, **changes: Any) -> "TrainConfig":
        return replace(self, **changes)


def cli_fields() -> list:
    """The TrainConfig fields that the `train` command exposes as flags."""
    return [f for f in fields(TrainConfig) if f.metadata.get("cli", True)]
