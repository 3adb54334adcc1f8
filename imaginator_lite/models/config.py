"""Model configuration: one frozen dataclass, named presets, and the derived layer schedule."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from ..labels import EXPRESSIONS
from .blocks import matched_width
from .outputs import OUTPUT_KINDS, OUTPUTS, output_kind

BLOCK_TYPES = ("1+2d", "3d")
WIDTH_CHOICES = ("auto", "matched")
#: Generator families (models/build.py builds each): ImaGINator and two baselines of the paper's comparison.
FAMILIES = ("imaginator", "vgan", "mocogan")
#: The fields that shape ImaGINator's decoder alone, with their defaults: a baseline family accepts only these values.
IMAGINATOR_ONLY_FIELDS = {"block": "1+2d", "fusion": True, "widths": "auto", "mid_channels": None,
                          "decoder_init": "normal", "output": "paint"}

#: The official decoder's intermediate widths (block1..block4, to_rgb); not parameter-matched.
OFFICIAL_MID_CHANNELS = (4096, 3072, 1536, 768, 36)


def check_output(expected: str | None, found: str, source: str) -> None:
    """ValueError naming both when `source` holds a `found` (an OUTPUTS name) generator but `expected` was asked
    for; nothing when they agree or nothing is expected (None)."""
    if expected is None or expected == found:
        return
    what = {name: f"{name} ({kind.summary})" for name, kind in OUTPUT_KINDS.items()}
    raise ValueError(f"{source} holds a {what.get(found, found)} generator, but a {what.get(expected, expected)} one "
                     f"was asked for: load it as output={found!r} (its own config), or pick a {expected} checkpoint")


def check_family(expected: str | None, found: str, source: str) -> None:
    """ValueError naming both when `source` holds a `found` generator family but `expected` was asked for; nothing
    when they agree or nothing is expected (None)."""
    if expected is not None and expected != found:
        raise ValueError(f"{source} holds a generator of family {found!r}, but family {expected!r} was asked for: "
                         f"load it with family={found!r} (its own config), or pick a checkpoint of family {expected!r}")


def _check_family_options(cfg: "ModelConfig") -> None:
    """ValueError naming the family and the allowed values for an unknown family, or for a baseline family given
    an option of ImaGINator's decoder (those would be silently ignored: an ablation that never ran)."""
    if cfg.family not in FAMILIES:
        raise ValueError(f"family must be one of {FAMILIES} (got {cfg.family!r}): 'imaginator' (the paper), "
                         "'vgan' (Vondrick et al. 2016) or 'mocogan' (Tulyakov et al. 2018)")
    if cfg.family == "imaginator":
        return
    wrong = [k for k, default in IMAGINATOR_ONLY_FIELDS.items() if getattr(cfg, k) != default]
    if wrong:
        given = ", ".join(f"{k}={getattr(cfg, k)!r}" for k in wrong)
        defaults = ", ".join(f"{k}={IMAGINATOR_ONLY_FIELDS[k]!r}" for k in wrong)
        raise ValueError(f"family {cfg.family!r} paints its frames and has no ImaGINator decoder, so {given} does not "
                         f"apply: leave it at the default ({defaults}), or use family='imaginator'")


def _is_power_of_two(n: int) -> bool:
    return n >= 1 and (n & (n - 1)) == 0


@dataclass(frozen=True)
class UpBlockSpec:
    """One decoder block: channels and the temporal/spatial kernel, stride, padding."""

    in_channels: int
    mid_channels: int
    out_channels: int
    k_t: int
    s_t: int
    p_t: int
    k_s: int
    s_s: int
    p_s: int
    last: bool


@dataclass(frozen=True)
class ModelConfig:
    """Everything that fixes the networks' shapes; build one with `ModelConfig.preset(name)`.

    Videos are (B, 3, frames, image_size, image_size) in [-1, 1].
    """

    image_size: int = 64
    frames: int = 32
    channels: int = 64            # ch: encoder/decoder base width
    disc_channels: int = 64       # base width of both discriminators
    dim_z: int = 512              # noise size
    dim_a: int = 100              # appearance vector p from the encoder
    n_classes: int = 6
    class_names: tuple[str, ...] = EXPRESSIONS
    block: str = "1+2d"           # "1+2d" (ImaGINator) or "3d" (full transposed 3D, the ablation)
    fusion: bool = True           # spatio-temporal fusion (encoder maps + label at every level)
    widths: str = "auto"          # the decoder's (1+2)D middle widths: "auto" = the official widths for the
    #                               official layout, parameter-matched (R(2+1)D) otherwise; "matched" = always matched
    mid_channels: tuple[int, ...] | None = None  # explicit middle widths (win over `widths`)
    decoder_init: str = "normal"  # "normal": N(0, 0.02) for every transposed conv;
    #                               "official": reproduce the official bug (ConvTranspose3d left at
    #                               PyTorch's default init because the code tests for nn.Conv3d)
    output: str = "paint"         # "paint": the decoder paints RGB frames (the paper); "warp" / "tps": it predicts
    #                               a flow, a mask and a residual that move the input image's pixels (models/outputs.py)
    family: str = "imaginator"    # the generator (models/build.py): "imaginator", or the baselines "vgan" (models/vgan.py)
    #                               and "mocogan" (models/mocogan.py); the baselines paint, with no decoder options
    name: str = field(default="custom", compare=False)

    def __post_init__(self) -> None:
        if not _is_power_of_two(self.image_size) or self.image_size < 16:
            raise ValueError(
                f"image_size must be a power of two >= 16 (got {self.image_size}); use 32, 64 or 128"
            )
        if not _is_power_of_two(self.frames) or self.frames < 2:
            raise ValueError(f"frames must be a power of two >= 2 (got {self.frames}); e.g. 16 or 32")
        if self.block not in BLOCK_TYPES:
            raise ValueError(f"block must be one of {BLOCK_TYPES} (got {self.block!r})")
        if self.widths not in WIDTH_CHOICES:
            raise ValueError(f"widths must be one of {WIDTH_CHOICES} (got {self.widths!r})")
        output_kind(self.output)  # ValueError naming the kinds
        _check_family_options(self)
        if self.decoder_init not in ("normal", "official"):
            raise ValueError(f"decoder_init must be 'normal' or 'official' (got {self.decoder_init!r})")
        if self.n_classes < 1:
            raise ValueError(f"n_classes must be >= 1 (got {self.n_classes})")
        if len(self.class_names) != self.n_classes:
            raise ValueError(
                f"class_names has {len(self.class_names)} names but n_classes is {self.n_classes}; "
                "pass matching class_names"
            )
        for name in ("channels", "disc_channels", "dim_z", "dim_a"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1 (got {getattr(self, name)})")
        if self.mid_channels is not None and len(self.mid_channels) != self.n_levels + 1:
            raise ValueError(
                f"mid_channels needs {self.n_levels + 1} widths for image_size {self.image_size} "
                f"(got {len(self.mid_channels)}); or pass None for parameter matching"
            )

    # ------------------------------------------------------------------ presets
    @staticmethod
    def preset_names() -> tuple[str, ...]:
        return tuple(PRESETS)

    @classmethod
    def preset(cls, name: str, **overrides: Any) -> "ModelConfig":
        """A named preset ('paper', 'medium', 'small', 'tiny'), optionally with fields overridden:
        the same config as `ModelConfig.preset(name).replace(**overrides)`."""
        if name not in PRESETS:
            raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")
        return cls(name=name, **PRESETS[name]).replace(**overrides)

    def replace(self, **changes: Any) -> "ModelConfig":
        """A copy with some fields changed (a frozen dataclass cannot be edited in place). A new
        n_classes without class_names gets names class0..; new class_names set n_classes."""
        changes = dict(changes)
        if "n_classes" in changes and "class_names" not in changes:
            changes["class_names"] = tuple(f"class{i}" for i in range(changes["n_classes"]))
        if "class_names" in changes and "n_classes" not in changes:
            changes["n_classes"] = len(changes["class_names"])
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["class_names"] = list(self.class_names)
        if self.mid_channels is not None:
            d["mid_channels"] = list(self.mid_channels)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "ModelConfig":
        """Inverse of `to_dict`; a dict written before `output` existed is a paint model, one written before `family`
        existed an ImaGINator."""
        d = dict(d)
        d.setdefault("output", "paint")
        d.setdefault("family", "imaginator")
        d["class_names"] = tuple(d.get("class_names", EXPRESSIONS))
        if d.get("mid_channels") is not None:
            d["mid_channels"] = tuple(d["mid_channels"])
        return cls(**d)

    # ------------------------------------------------------------------ derived layout
    @property
    def is_official_layout(self) -> bool:
        """The official MUG network's layout (sizes, classes in the official order, (1+2)D blocks, fusion); a warp
        model of this layout has the same widths, only its last layer's output channels differ."""
        return (self.image_size, self.frames, self.channels, self.dim_z, self.dim_a, self.block, self.fusion,
                tuple(self.class_names)) == (64, 32, 64, 512, 100, "1+2d", True, EXPRESSIONS)

    @property
    def out_channels(self) -> int:
        """Channels of the decoder's last layer per frame: 3 (RGB) to paint, 6 (flow 2, mask 1, residual 3) to warp."""
        return output_kind(self.output).channels

    def middle_widths(self) -> tuple[int, ...] | None:
        """The decoder's explicit middle widths, or None for parameter matching (see `widths`)."""
        if self.mid_channels is not None:
            return tuple(self.mid_channels)
        if self.widths == "auto" and self.is_official_layout:
            return OFFICIAL_MID_CHANNELS
        return None

    @property
    def n_levels(self) -> int:
        """Stride-2 levels between image_size and 4x4 (4 for 64x64, 3 for 32x32)."""
        return int(math.log2(self.image_size)) - 2

    @property
    def encoder_channels(self) -> tuple[int, ...]:
        """Encoder feature widths from fine to coarse, e.g. (64, 128, 256, 512) at sizes 32..4."""
        return tuple(self.channels * 2 ** i for i in range(self.n_levels))

    @property
    def first_frames(self) -> int:
        """Frames produced by decoder block 1 (2 in the paper)."""
        return max(1, self.frames // 2 ** self.n_levels)

    def up_blocks(self) -> list[UpBlockSpec]:
        """The decoder's blocks, block1 first and to_rgb last; middle widths from `middle_widths()`."""
        enc = self.encoder_channels[::-1]  # coarse to fine: 512, 256, 128, 64
        fused_extra = self.n_classes
        specs: list[UpBlockSpec] = []
        t0 = self.first_frames
        doublings_left = int(math.log2(self.frames // t0))
        in_ch = self.dim_z + self.n_classes + self.dim_a
        fixed = self.middle_widths()
        for i in range(self.n_levels + 1):
            last = i == self.n_levels
            out_ch = self.out_channels if last else enc[i]
            if i == 0:
                k_t, s_t, p_t, k_s, s_s, p_s = t0, 1, 0, 4, 1, 0
            else:
                if doublings_left > 0:
                    k_t, s_t, p_t = 4, 2, 1
                    doublings_left -= 1
                else:
                    k_t, s_t, p_t = 3, 1, 1
                k_s, s_s, p_s = 4, 2, 1
            # the middle widths are the paint decoder's (3 RGB channels) for warp too: one decoder, whose last layer
            # alone predicts 6 channels (matching 6 would widen the full-resolution last block: 1.2x the step time)
            mid = fixed[i] if fixed is not None else matched_width(in_ch, 3 if last else out_ch, k_t, k_s)
            specs.append(UpBlockSpec(in_ch, mid, out_ch, k_t, s_t, p_t, k_s, s_s, p_s, last))
            in_ch = (2 * out_ch + fused_extra) if self.fusion else out_ch
        return specs


PRESETS: dict[str, dict[str, Any]] = {
    # Exactly the official MUG layout (75,406,451 generator parameters; the official middle widths); the
    # dataclass defaults, so ModelConfig() is this preset too.
    "paper": dict(image_size=64, frames=32, channels=64, disc_channels=64, dim_z=512, dim_a=100,
                  n_classes=6),
    # 64x64x32 with narrower channels and parameter-matched (1+2)D widths: a GPU-friendly size.
    "medium": dict(image_size=64, frames=32, channels=32, disc_channels=32, dim_z=128, dim_a=64,
                   n_classes=6),
    # 32x32x16, trains on a laptop CPU in minutes (the tour's model).
    "small": dict(image_size=32, frames=16, channels=32, disc_channels=32, dim_z=64, dim_a=64,
                  n_classes=6),
    # 32x32x16 and very narrow: unit tests and quick notebook runs.
    "tiny": dict(image_size=32, frames=16, channels=8, disc_channels=8, dim_z=16, dim_a=16,
                 n_classes=6),
}
