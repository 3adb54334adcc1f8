"""A small ipywidgets app: pick or upload an image, choose a class and a seed, generate, watch, download.

Everything runs without a browser: set the controls' values, call `app.generate_button.click()`,
then read `app.output.value` (GIF bytes) or `app.last_video` (3, T, H, W).
"""
from __future__ import annotations

import base64
import html
import io
import tempfile
from pathlib import Path
from typing import Mapping, Sequence

import torch
from PIL import Image

from .generate import generate, generate_at_resolution
from .photos import is_face_model, prepare_photo, read_photo, rgb_to_tensor
from .viz import save_gif, save_mp4, to_uint8_frames

UPLOAD_PREFIX = "upload: "
#: The largest side an uploaded photo keeps for a warp model's video (the face crop's own side, capped here).
MAX_PHOTO_SIZE = 256


def image_from_bytes(data: bytes, size: int) -> torch.Tensor:
    """Decode image file bytes (PNG, JPEG, ...) to (3, size, size) in [-1, 1], centre-cropped square (an upload
    to the app goes through photos.prepare_photo instead, which crops the face for expression models)."""
    return rgb_to_tensor(read_photo(bytes(data)), size)


def png_bytes(image: torch.Tensor, scale: int = 2) -> bytes:
    """(3, H, W) in [-1, 1] -> PNG bytes, upscaled `scale` times (nearest)."""

    frame = to_uint8_frames(image[:, None])[0]
    frame = frame.repeat(scale, axis=0).repeat(scale, axis=1)
    buf = io.BytesIO()
    Image.fromarray(frame).save(buf, format="PNG")
    return buf.getvalue()


def download_link(data: bytes, filename: str, mime: str, text: str | None = None) -> str:
    """An HTML <a download> link carrying `data` as a base64 data URL."""
    b64 = base64.b64encode(data).decode("ascii")
    name = html.escape(filename)
    return (f'<a download="{name}" href="data:{mime};base64,{b64}" target="_blank">'
            f"{html.escape(text or 'download ' + filename)}</a>")


def _as_image_dict(images, size: int) -> dict[str, torch.Tensor]:
    """Accept {name: (3,S,S)}, a (N,3,S,S) tensor or a list of (3,S,S) tensors; check the size."""
    if images is None:
        return {}
    if isinstance(images, Mapping):
        items = list(images.items())
    else:
        items = [(f"image {i}", img) for i, img in enumerate(images)]
    out = {}
    for name, img in items:
        img = torch.as_tensor(img).detach().float().cpu()
        if img.shape != (3, size, size):
            raise ValueError(f"image {name!r} has shape {tuple(img.shape)}; expected (3, {size}, {size})")
        out[str(name)] = img
    return out


class GeneratorApp:
    """Generator UI: image picker/upload, class dropdown, seed slider, Generate, GIF output, downloads.

    G maps (image (1,3,S,S), z (1,dim_z), label (1,)) -> video (1,3,T,S,S); `images` gives the
    pickable inputs as {name: (3,S,S)} in [-1, 1]. Files are written under `out_dir` (a temp dir if None).
    A warp generator (cfg.output == "warp") makes an uploaded photo's video at the photo's own resolution (the
    face crop's side, at most MAX_PHOTO_SIZE); `models={"paint": G1, "warp": G2}` (same classes and size) instead
    of G adds a model dropdown, so the two can be compared on the same upload.
    """

    def __init__(self, G: torch.nn.Module | None = None, class_names: Sequence[str] | None = None, images=None, *,
                 device: str | torch.device | None = None, fps: int = 8, scale: int = 3,
                 out_dir: str | Path | None = None, mp4: bool = True, max_seed: int = 999,
                 models: Mapping[str, torch.nn.Module] | None = None) -> None:
        import ipywidgets as W  # deferred, import cost: the widgets, only for the app

        if (G is None) == (models is None):
            raise ValueError("give a generator G or models={name: G, ...}, not both")
        self.models = {str(k): m.eval() for k, m in (models or {"model": G}).items()}
        if not self.models:
            raise ValueError("models is empty")
        first = next(iter(self.models.values()))
        for name, m in self.models.items():
            if (m.cfg.class_names, m.cfg.image_size) != (first.cfg.class_names, first.cfg.image_size):
                raise ValueError(f"model {name!r} has classes {m.cfg.class_names} at {m.cfg.image_size} px, unlike "
                                 f"the first's {first.cfg.class_names} at {first.cfg.image_size} px")
        self.model_picker = W.Dropdown(options=list(self.models), description="model")
        self.cfg = first.cfg
        self.class_names = tuple(class_names or self.cfg.class_names)
        if len(self.class_names) != self.cfg.n_classes:
            raise ValueError(f"{len(self.class_names)} class names for a model with {self.cfg.n_classes} classes")
        if device is not None:
            for m in self.models.values():
                m.to(device)
        self.fps, self.scale, self.mp4 = fps, scale, mp4
        self.out_dir = Path(out_dir) if out_dir is not None else Path(tempfile.mkdtemp(prefix="imaginator-ui-"))
        self.images = _as_image_dict(images, self.cfg.image_size)
        self.photos: dict[str, torch.Tensor] = {}  # an upload's crop at its own resolution, for a warp model
        self.last_video: torch.Tensor | None = None
        self.last_files: dict[str, Path] = {}

        self.image_picker = W.Dropdown(options=list(self.images), description="image")
        self.upload = W.FileUpload(accept="image/*", multiple=False, description="upload image")
        self.input_preview = W.Image(format="png", width=self.cfg.image_size * scale)
        self.label = W.Dropdown(options=[(n, i) for i, n in enumerate(self.class_names)], value=0,
                                description="class")
        self.seed = W.IntSlider(value=0, min=0, max=max_seed, description="seed", continuous_update=False)
        self.generate_button = W.Button(description="Generate", button_style="primary", icon="play")
        self.output = W.Image(format="gif", width=self.cfg.image_size * scale)
        self.download = W.HTML()
        self.status = W.HTML()

        self.image_picker.observe(self._on_pick, names="value")
        self.upload.observe(self._on_upload, names="value")
        self.generate_button.on_click(lambda _button: self._on_generate())

        self.model_picker.observe(lambda _change: self._on_pick(), names="value")
        pickers = [self.model_picker] if len(self.models) > 1 else []
        controls = W.VBox([*pickers, self.image_picker, self.upload, self.label, self.seed, self.generate_button])
        panes = W.HBox([W.VBox([W.HTML("<b>input</b>"), self.input_preview]),
                        W.VBox([W.HTML("<b>generated video</b>"), self.output])])
        self.widget = W.VBox([W.HBox([controls, panes]), self.download, self.status])
        self._on_pick()

    @property
    def G(self) -> torch.nn.Module:
        """The generator the model dropdown selects (the only one when G was given)."""
        return self.models[self.model_picker.value]

    # ------------------------------------------------------------------ inputs
    def add_image(self, name: str, image: torch.Tensor, select: bool = True) -> None:
        """Add a (3,S,S) image in [-1, 1] to the picker (and select it)."""
        self.images.update(_as_image_dict({name: image}, self.cfg.image_size))
        self.image_picker.options = list(self.images)
        if select:
            self.image_picker.value = name
        self._on_pick()

    def current_image(self) -> torch.Tensor:
        """The selected input image (3, S, S) in [-1, 1]."""
        if not self.images or self.image_picker.value is None:
            raise ValueError("no input image: pass images=... or upload one")
        return self.images[self.image_picker.value]

    def _on_pick(self, _change=None) -> None:
        if self.images and self.image_picker.value is not None:
            self.input_preview.value = png_bytes(self.current_image(), self.scale)

    def _on_upload(self, _change=None) -> None:
        files = self.upload.value
        if not files:
            return
        item = files[0] if isinstance(files, (tuple, list)) else next(iter(files.values()))

        try:
            prepared = prepare_photo(bytes(item["content"]), self.cfg.image_size,
                                     crop_face=is_face_model(self.class_names))
        except ValueError as exc:
            self.status.value = f"<span style='color:#b00'>{html.escape(str(exc))}</span>"
            return
        name = UPLOAD_PREFIX + str(item.get("name", "image"))
        size = max(self.cfg.image_size, min(prepared.side, MAX_PHOTO_SIZE))
        self.photos[name] = prepared.at(size)
        self.add_image(name, prepared.image)
        self.status.value = (f"uploaded {html.escape(str(item.get('name', 'image')))}: {html.escape(prepared.message)}"
                             f"; a warp model animates it at {size}x{size}")

    # ------------------------------------------------------------------ generation
    @torch.no_grad()
    def generate(self) -> torch.Tensor:
        """Generate from the current controls; returns the video (3, T, S, S) and updates the output."""
        # same noise convention as `imaginator-lite generate`: z = randn(1, dim_z) from manual_seed(seed)
        G, label, seed = self.G, int(self.label.value), int(self.seed.value)
        photo = self.photos.get(self.image_picker.value)
        if G.output.moves_pixels and photo is not None:  # the photo's pixels move: keep its resolution
            video = generate_at_resolution(G, photo, label, seed=seed)[0]
        else:
            video = generate(G, self.current_image(), label, seed=seed)[0]
        self.last_video = video

        stem = f"{self.class_names[label]}_seed{seed}" + (f"_{self.model_picker.value}" if len(self.models) > 1 else "")
        at_model_size = video.shape[-1] == self.cfg.image_size
        scale = self.scale if at_model_size else 1  # a photo-resolution video is shown and saved 1:1
        self.output.width = video.shape[-1] * scale
        gif = save_gif(video, self.out_dir / f"{stem}.gif", fps=self.fps, scale=scale)
        self.last_files = {"gif": gif}
        self.output.value = gif.read_bytes()
        links = [download_link(self.output.value, gif.name, "image/gif", "download GIF")]
        if self.mp4:
            try:
                mp4 = save_mp4(video, self.out_dir / f"{stem}.mp4", fps=self.fps, scale=max(self.scale, 2) if at_model_size else 1)
                self.last_files["mp4"] = mp4
                links.append(download_link(mp4.read_bytes(), mp4.name, "video/mp4", "download MP4"))
            except Exception as exc:  # a PyAV build without an encoder should not break the GIF
                links.append(f"(MP4 unavailable: {html.escape(str(exc))})")
        self.download.value = " &nbsp; ".join(links) + f" &nbsp; <small>saved in {html.escape(str(self.out_dir))}</small>"
        return video

    def _on_generate(self) -> None:
        self.status.value = "generating..."
        try:
            video = self.generate()
        except Exception as exc:  # show the error in the UI instead of losing it in the kernel log
            self.status.value = f"<span style='color:#b00'>error: {html.escape(str(exc))}</span>"
            raise
        self.status.value = (f"{self.class_names[int(self.label.value)]}, seed {int(self.seed.value)}: "
                             f"{video.shape[1]} frames of {video.shape[2]}x{video.shape[3]} "
                             f"({self.G.cfg.output} model)")

    # ------------------------------------------------------------------ display
    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)


def gif_frame_count(data: bytes) -> int:
    """Number of frames in GIF bytes (for tests and sanity checks)."""

    with Image.open(io.BytesIO(bytes(data))) as img:
        return getattr(img, "n_frames", 1)
