"""The generator UI without a browser: set the controls, click Generate, inspect the GIF."""
import io

import pytest
import torch

pytest.importorskip("ipywidgets")

from imaginator_lite.generation.widgets import GeneratorApp, gif_frame_count, image_from_bytes, png_bytes


def _images(cfg, n=2):
    g = torch.Generator().manual_seed(1)
    return {f"id{i}": torch.rand(3, cfg.image_size, cfg.image_size, generator=g) * 2 - 1 for i in range(n)}


def _upload_item(name, data, mime):
    """One entry of FileUpload.value as ipywidgets 8 stores it."""
    import datetime

    return {"name": name, "type": mime, "size": len(data), "content": memoryview(data),
            "last_modified": datetime.datetime.now(datetime.timezone.utc)}


def test_click_generate_gives_gif_with_all_frames(tiny_generator, tmp_path):
    cfg = tiny_generator.cfg
    app = GeneratorApp(tiny_generator, images=_images(cfg), out_dir=tmp_path, mp4=True)
    assert app.output.value == b""
    app.image_picker.value = "id1"
    app.label.value = cfg.class_names.index("happiness")
    app.seed.value = 7
    app.generate_button.click()
    assert app.output.value[:6] in (b"GIF87a", b"GIF89a")
    assert gif_frame_count(app.output.value) == cfg.frames
    assert app.last_video.shape == (3, cfg.frames, cfg.image_size, cfg.image_size)
    assert app.last_files["gif"].is_file() and app.last_files["gif"].parent == tmp_path
    assert "happiness_seed7.gif" in app.download.value and "data:image/gif;base64," in app.download.value
    assert "happiness" in app.status.value


def test_same_seed_same_video_other_seed_or_label_differs(tiny_generator, tmp_path):
    app = GeneratorApp(tiny_generator, images=_images(tiny_generator.cfg), out_dir=tmp_path, mp4=False)
    app.seed.value = 3
    a = app.generate().clone()
    b = app.generate()
    torch.testing.assert_close(a, b)
    app.seed.value = 4
    assert not torch.allclose(a, app.generate())
    app.seed.value, app.label.value = 3, 5
    assert not torch.allclose(a, app.generate())


def test_upload_adds_and_selects_image(tiny_generator, tmp_path):
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (50, 40), (255, 0, 0)).save(buf, format="PNG")
    app = GeneratorApp(tiny_generator, images=None, out_dir=tmp_path, mp4=False)
    with pytest.raises(ValueError, match="no input image"):
        app.generate()
    app.upload.value = (_upload_item("red.png", buf.getvalue(), "image/png"),)
    assert app.image_picker.value == "upload: red.png"
    img = app.current_image()
    assert img.shape == (3, 32, 32)
    torch.testing.assert_close(img[:, 5, 5], torch.tensor([1.0, -1.0, -1.0]))
    assert app.input_preview.value[:4] == b"\x89PNG"
    app.generate_button.click()
    assert gif_frame_count(app.output.value) == tiny_generator.cfg.frames


def test_bad_inputs_are_reported(tiny_generator, tmp_path):
    with pytest.raises(ValueError, match="expected \\(3, 32, 32\\)"):
        GeneratorApp(tiny_generator, images={"x": torch.zeros(3, 64, 64)}, out_dir=tmp_path)
    with pytest.raises(ValueError, match="class names"):
        GeneratorApp(tiny_generator, class_names=["a", "b"], out_dir=tmp_path)
    with pytest.raises(ValueError, match="could not read"):
        image_from_bytes(b"not an image", 32)
    app = GeneratorApp(tiny_generator, out_dir=tmp_path)
    app.upload.value = (_upload_item("junk.txt", b"junk", "text/plain"),)
    assert "could not read" in app.status.value


def test_png_bytes_scales():
    from PIL import Image

    data = png_bytes(torch.zeros(3, 8, 8), scale=3)
    assert Image.open(io.BytesIO(data)).size == (24, 24)
