"""The generator UI without a browser: set the controls, click Generate, inspect the GIF."""
import io

import numpy as np
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


def _photo_upload(w=120, h=90):
    from PIL import Image

    buf = io.BytesIO()
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(buf, format="PNG")
    return _upload_item("photo.png", buf.getvalue(), "image/png")


def test_a_warp_model_animates_an_upload_at_the_photos_resolution(tmp_path):
    from PIL import Image

    from imaginator_lite import Generator, ModelConfig

    torch.manual_seed(0)
    warp = Generator(ModelConfig.preset("tiny", output="warp")).eval()
    app = GeneratorApp(warp, out_dir=tmp_path, mp4=False)
    app.upload.value = (_photo_upload(),)  # no face in noise: the centre square, 90 px
    assert "at 90x90" in app.status.value
    app.label.value, app.seed.value = 4, 2
    app.generate_button.click()
    assert app.last_video.shape == (3, warp.cfg.frames, 90, 90)
    with Image.open(io.BytesIO(app.output.value)) as gif:
        assert gif.size == (90, 90)
    assert gif_frame_count(app.output.value) >= 1
    assert "90x90" in app.status.value and "(warp model)" in app.status.value


def test_paint_and_warp_side_by_side_on_one_upload(tiny_generator, tmp_path):
    from imaginator_lite import Generator, ModelConfig

    torch.manual_seed(0)
    warp = Generator(ModelConfig.preset("tiny", output="warp")).eval()
    app = GeneratorApp(models={"paint": tiny_generator, "warp": warp}, out_dir=tmp_path, mp4=False)
    app.upload.value = (_photo_upload(),)
    app.model_picker.value = "paint"
    app.generate_button.click()
    assert app.last_video.shape[-2:] == (32, 32) and "(paint model)" in app.status.value
    assert gif_frame_count(app.output.value) == tiny_generator.cfg.frames
    app.model_picker.value = "warp"
    app.generate_button.click()
    assert app.last_video.shape[-2:] == (90, 90) and "90x90 (warp model)" in app.status.value
    assert app.last_files["gif"].name.endswith("_warp.gif")
    with pytest.raises(ValueError, match="not both"):
        GeneratorApp(tiny_generator, models={"warp": warp}, out_dir=tmp_path)
    other = Generator(ModelConfig.preset("tiny", n_classes=6, class_names=("walk", "run", "jump", "wave1",
                                                                            "wave2", "bend"))).eval()
    with pytest.raises(ValueError, match="model 'other' has classes"):
        GeneratorApp(models={"paint": tiny_generator, "other": other}, out_dir=tmp_path)


def test_a_photo_too_small_is_reported_in_the_status(tiny_generator, tmp_path):
    app = GeneratorApp(tiny_generator, out_dir=tmp_path, mp4=False)
    app.upload.value = (_photo_upload(16, 16),)
    assert "photo too small" in app.status.value and "16x16 px" in app.status.value
