"""The ImaGINator generator: a 2D encoder for the input image and a (1+2)D decoder with fusion.

Generator(image (B,3,H,W), z (B,dim_z), label (B,) or (B,n_classes)) -> video (B,3,T,H,W) in [-1,1].
With cfg.output "warp" or "tps" the decoder's last layer predicts a flow, a mask and a residual instead of RGB,
and the frames are the input image warped by them (models/outputs.py); `G.animate` applies them to a larger photo.
"""
from __future__ import annotations

import torch
from einops import repeat
from torch import nn

from .blocks import LEAKY_SLOPE, make_up_block
from .config import ModelConfig, check_output
from .outputs import OUTPUT_KINDS, output_kind
from .validation import check_image, check_noise, label_to_onehot
from .warp import LAST_LAYER_INIT_SCALE, MASK_BIAS, apply_fields, resize_image


def _conv_bn_lrelu(in_ch: int, out_ch: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(in_ch, out_ch, 4, 2, 1), nn.BatchNorm2d(out_ch),
                         nn.LeakyReLU(LEAKY_SLOPE, inplace=True))


class Encoder(nn.Module):
    """Image (B,3,S,S) -> [p (B,dim_a,1,1), then maps coarse to fine: (B,8ch,4,4) ... (B,ch,S/2,S/2)].

    Unlike the official code (BatchNorm2d(64)/(128) hard-coded), widths follow cfg.channels.
    """

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        widths = (3,) + cfg.encoder_channels
        for i in range(cfg.n_levels):
            self.add_module(f"b{i + 1}", _conv_bn_lrelu(widths[i], widths[i + 1]))
        self.add_module(f"b{cfg.n_levels + 1}", nn.Sequential(nn.Conv2d(widths[-1], cfg.dim_a, 4, 1, 0)))
        self.n_blocks = cfg.n_levels + 1

    def forward(self, image: torch.Tensor) -> list[torch.Tensor]:
        feats = []
        h = image
        for i in range(self.n_blocks):
            h = getattr(self, f"b{i + 1}")(h)
            feats.append(h)
        return feats[::-1]


class Decoder(nn.Module):
    """[z, one-hot, p] as a (B, dim_z+n_classes+dim_a, 1,1,1) volume -> video (B,3,T,S,S).

    After every block but the last, spatio-temporal fusion concatenates the encoder map of the
    same size repeated over time and the one-hot label broadcast over (T,H,W) (if cfg.fusion).
    For an output kind that moves pixels (warp, tps) the last block (still named to_rgb, so checkpoints keep one
    layout) gives (B,6,T,S,S) with no Tanh: the kind's fields (models/outputs.py) apply one activation per field.
    """

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.fusion = cfg.fusion
        specs = cfg.up_blocks()
        self.block_names = [f"block{i + 1}" for i in range(len(specs) - 1)] + ["to_rgb"]
        for name, spec in zip(self.block_names, specs):
            self.add_module(name, make_up_block(spec, cfg.block))
        if output_kind(cfg.output).moves_pixels:
            self.to_rgb.conv[-1] = nn.Identity()  # the raw 6 channels; activations in the output kind's fields

    def forward(self, z: torch.Tensor, onehot: torch.Tensor, feats: list[torch.Tensor]) -> torch.Tensor:
        h = torch.cat([z, onehot, feats[0].flatten(1)], dim=1)[:, :, None, None, None]
        for i, name in enumerate(self.block_names):
            h = getattr(self, name)(h)
            if self.fusion and name != "to_rgb":
                t, hh, ww = h.shape[2:]
                appearance = repeat(feats[i + 1], "b c h w -> b c t h w", t=t)
                motion = repeat(onehot, "b k -> b k t h w", t=t, h=hh, w=ww)
                h = torch.cat([h, appearance, motion], dim=1)
        return h


def init_weights(module: nn.Module, decoder_init: str = "normal") -> None:
    """DCGAN init: conv weights N(0, 0.02), BN weight N(1, 0.02), BN bias 0.

    decoder_init="official" leaves ConvTranspose3d at PyTorch's default, as the official code
    does by accident (its init tests for nn.Conv3d only).
    """
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.Conv3d)):
            nn.init.normal_(m.weight, 0.0, 0.02)
        elif isinstance(m, nn.ConvTranspose3d) and decoder_init == "normal":
            nn.init.normal_(m.weight, 0.0, 0.02)
        elif isinstance(m, (nn.BatchNorm2d, nn.BatchNorm3d)):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


def _last_conv_key(decoder: Decoder) -> str:
    """The state-dict key of the decoder's last transposed conv weight (its dim 1 = the output channels)."""
    name = [n for n, m in decoder.to_rgb.named_modules() if isinstance(m, nn.ConvTranspose3d)][-1]
    return f"dec.to_rgb.{name}.weight"


class Generator(nn.Module):
    """G(image (B,3,S,S), z (B,dim_z), label) -> video (B,3,T,S,S) in [-1,1].

    cfg.output "paint" (the paper): the decoder paints the frames. "warp": the decoder's last layer gives a flow,
    a mask and a residual per frame (`G.fields`) and frame = mask * warp(image, flow) + (1 - mask) * residual
    (models/warp.py). Warp init: the last layer's weights are the DCGAN init scaled by warp.LAST_LAYER_INIT_SCALE
    (0.1) and its biases 0, so the flow starts near 0 (identity warp) and the residual near 0 (grey); the mask's
    bias starts at warp.MASK_BIAS (sigmoid(4) = 0.98). An untrained warp generator therefore returns nearly a copy
    of its input image (tests/test_warp.py measures how near), and training starts from there.
    """

    def __init__(self, cfg: ModelConfig | None = None) -> None:
        super().__init__()
        self.cfg = cfg or ModelConfig.preset("paper")
        if self.cfg.family != "imaginator":
            raise ValueError(f"Generator is the 'imaginator' family, but the config's family is {self.cfg.family!r}: "
                             "use models.build_generator(cfg)")
        self.enc = Encoder(self.cfg)
        self.dec = Decoder(self.cfg)
        init_weights(self, self.cfg.decoder_init)
        self._last_key = _last_conv_key(self.dec)
        self.output = output_kind(self.cfg.output)
        if self.output.moves_pixels:
            params = dict(self.named_parameters())
            with torch.no_grad():  # channels: flow 0, 1; mask 2; residual 3, 4, 5
                params[self._last_key].mul_(LAST_LAYER_INIT_SCALE)
                bias = params[self._last_key.replace(".weight", ".bias")]
                bias.zero_()
                bias[2] = MASK_BIAS

    def _decode(self, image: torch.Tensor, z: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        cfg = self.cfg
        check_image(image, cfg.image_size)
        batch = image.shape[0]
        check_noise(z, batch, cfg.dim_z)
        onehot = label_to_onehot(label, batch, cfg.n_classes, image.dtype, image.device)
        feats = self.enc(image)
        return self.dec(z.to(image.dtype), onehot, feats)

    def forward(self, image: torch.Tensor, z: torch.Tensor, label: torch.Tensor, return_mask: bool = False):
        """image (B,3,S,S), z (B,dim_z), label (B,) -> video (B,3,T,S,S); with return_mask (warp generators only,
        for the paint penalty in training) also the mask (B,1,T,S,S)."""
        if return_mask:
            self._require_warp("return_mask")
        video, mask = self.output.frames(image, self._decode(image, z, label))
        return (video, mask) if return_mask else video

    def _require_warp(self, what: str) -> None:
        if not self.output.moves_pixels:
            raise ValueError(f"{what} needs a warp generator (ModelConfig(output='warp' or 'tps')), but this one is "
                             f"'{self.cfg.output}': a paint generator repaints every pixel at its own "
                             f"{self.cfg.image_size}x{self.cfg.image_size}; call G(image, z, label) instead")

    def fields(self, image: torch.Tensor, z: torch.Tensor, label: torch.Tensor):
        """A warp generator's flow (B,2,T,S,S), mask (B,1,T,S,S) and residual (B,3,T,S,S) at the model's size,
        as a warp.WarpFields (flow in normalised units: see models/warp.py)."""
        self._require_warp("G.fields")
        return self.output.fields(self._decode(image, z, label))

    def animate(self, photo: torch.Tensor, z: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        """A warp generator's video at the photo's own resolution: photo (B,3,H,W) in [-1,1], H and W at least the
        model's size -> (B,3,T,H,W). The encoder sees the photo resized to the model's size; the fields computed
        there are upsampled (bilinear) and applied to the full photo. At the model's size it equals G(photo, z, label)."""
        self._require_warp("G.animate")
        if not torch.is_tensor(photo) or photo.dim() != 4 or photo.shape[1] != 3:
            shape = tuple(photo.shape) if torch.is_tensor(photo) else type(photo).__name__
            raise ValueError(f"photo must be a (B, 3, H, W) tensor in [-1, 1], got {shape}")
        size = self.cfg.image_size
        if min(photo.shape[-2:]) < size:
            raise ValueError(f"the photo is {photo.shape[-2]}x{photo.shape[-1]}, smaller than the model's "
                             f"{size}x{size}: use G(image, z, label), or a larger photo")
        return apply_fields(photo, self.fields(resize_image(photo, size), z, label))

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        """nn.Module.load_state_dict, after checking that the weights are of the same output kind (paint or warp):
        a ValueError naming both instead of a size mismatch deep in the decoder."""
        weight = state_dict.get(self._last_key) if hasattr(state_dict, "get") else None
        if torch.is_tensor(weight) and weight.dim() == 5 and weight.shape[1] != self.cfg.out_channels:
            kinds = [k.name for k in OUTPUT_KINDS.values() if k.channels == int(weight.shape[1])]
            check_output(self.cfg.output, " or ".join(kinds) or f"{weight.shape[1]}-channel", "the state dict")
        return super().load_state_dict(state_dict, strict=strict, assign=assign)

    def sample_noise(self, batch: int, generator: torch.Generator | None = None,
                     device: torch.device | str | None = None) -> torch.Tensor:
        """Standard normal z of shape (batch, dim_z)."""
        device = device if device is not None else next(self.parameters()).device
        return torch.randn(batch, self.cfg.dim_z, generator=generator, device=device)
