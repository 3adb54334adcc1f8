"""Converters and data_scripts/ on tiny fake trees: content, skips, read-only source, resume, --help."""
import hashlib
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from imaginator_lite.data import importers
from imaginator_lite.data.importers.video_io import center_box, crop_resize, detect_face_box
from imaginator_lite.labels import EXPRESSIONS, NATOPS_GESTURES, SMILES, WEIZMANN_ACTIONS
from imaginator_lite.data.store import ClipDataset, load_meta

REPO = Path(__file__).resolve().parents[1]
ASTRONAUT = REPO / "tests" / "data" / "astronaut_256.jpg"  # a real face (NASA, public domain; see tests/data)
SCRIPTS = ["convert_mug", "convert_uva_nemo", "convert_natops", "convert_weizmann", "convert_folder",
           "make_synthetic"]
SIZE = 16


# ----------------------------------------------------------------------------- fake sources

def _frame(t, h=40, w=48):
    """RGB frame whose brightness encodes its index t (survives lossy coding)."""
    return np.full((h, w, 3), min(4 * t, 255), np.uint8)


def _write_video(path, n_frames, codec="mpeg4"):
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=25)
        stream.width, stream.height, stream.pix_fmt = 48, 40, "yuv420p"
        for t in range(n_frames):
            for packet in stream.encode(av.VideoFrame.from_ndarray(_frame(t), format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def _write_corrupt(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(np.random.default_rng(0).integers(0, 256, 3000, dtype=np.uint8).tobytes())


def _write_take(folder, n_frames):
    folder.mkdir(parents=True, exist_ok=True)
    for t in range(n_frames):  # unpadded numbers: img_2 must come before img_10
        cv2.imwrite(str(folder / f"img_{t + 1}.jpg"), _frame(t))


def _snapshot(root):
    """{relative path: sha1 of bytes} for every file under root."""
    return {p.relative_to(root).as_posix(): hashlib.sha1(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _convert_read_only(convert, src, out, **kwargs):
    """Run a converter quietly and check that it left every source file byte-for-byte as it was."""
    before = _snapshot(src)
    summary = convert(src, out, progress=False, **kwargs)
    assert _snapshot(src) == before, "the converter modified its source folder"
    return summary


def _store_bytes(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _all_clips(root):
    """(label_name, identity, source, frames) for every clip of every split, plus identities per split."""
    clips, per_split = [], {}
    for split in ("train", "val", "test"):
        index = json.loads((root / split / "index.json").read_text())
        frames = np.load(root / split / "frames.npy")
        per_split[split] = {c["identity"] for c in index}
        for c in index:
            clips.append((c["label_name"], c["identity"], c["source"],
                          frames[c["offset"]:c["offset"] + c["n_frames"]]))
    return clips, per_split


def _assert_identity_disjoint(per_split):
    assert not (per_split["train"] & per_split["val"])
    assert not (per_split["train"] & per_split["test"])
    assert not (per_split["val"] & per_split["test"])


def _assert_time_ordered(frames):
    brightness = frames.reshape(len(frames), -1).mean(1)  # lossy codecs may repeat a level
    assert np.all(np.diff(brightness) >= -2) and brightness[-1] - brightness[0] > 2 * len(frames), brightness


# ----------------------------------------------------------------------------- MUG

@pytest.fixture
def mug_tree(tmp_path):
    src = tmp_path / "mug"
    for subject in ("001", "002", "003", "004"):
        _write_take(src / subject / "happiness" / "take000", 34)
        _write_take(src / subject / "anger" / "take001", 33)
    _write_take(src / "005" / "session0" / "surprise" / "take000", 34)
    _write_take(src / "005" / "session1" / "fear" / "take002", 34)
    _write_take(src / "001" / "neutral" / "take000", 34)
    _write_take(src / "002" / "boredom" / "take000", 34)
    _write_take(src / "003" / "sadness" / "take005", 10)
    return src


def test_mug_conversion_skips_and_leaves_source_untouched(mug_tree, tmp_path):
    summary = _convert_read_only(importers.convert_mug, mug_tree, tmp_path / "out", image_size=SIZE, min_frames=32,
                                 fractions=(0.6, 0.2, 0.2))
    assert summary.converted_clips == 10 and summary.converted_sources == 10
    assert summary.skipped["too short"] == ["003/sadness/take005"]
    assert summary.skipped["unknown class"] == ["002/boredom/take000"]
    assert summary.skipped["neutral skipped"] == ["001/neutral/take000"]
    assert any("centre box" in note for note in summary.notes)
    text = summary.format()
    assert "skipped 3" in text and "too short" in text
    meta = load_meta(tmp_path / "out")
    assert meta["classes"] == list(EXPRESSIONS) and meta["image_size"] == SIZE
    clips, per_split = _all_clips(tmp_path / "out")
    _assert_identity_disjoint(per_split)
    assert {c[1] for c in clips} == {"001", "002", "003", "004", "005"}
    assert {c[2] for c in clips if c[1] == "005"} == {"005/session0/surprise/take000", "005/session1/fear/take002"}
    for label, _, source, frames in clips:
        assert frames.shape[1:] == (SIZE, SIZE, 3) and label in source
        _assert_time_ordered(frames)


def _astronaut_canvas():
    """The 256x256 portrait pasted off-centre into a 480x360 grey frame: its face is far from the centre box."""
    photo = cv2.cvtColor(cv2.imread(str(ASTRONAUT)), cv2.COLOR_BGR2RGB)
    canvas = np.full((360, 480, 3), 90, np.uint8)
    canvas[90:346, 210:466] = photo
    return canvas


def test_haar_cascade_finds_a_real_face():
    photo = cv2.cvtColor(cv2.imread(str(ASTRONAUT)), cv2.COLOR_BGR2RGB)
    x0, y0, x1, y1 = detect_face_box(photo, enlarge=1.0)
    # the face, checked by eye: centred near (112, 56) and about 53 px wide in this 256x256 photo
    assert abs((x0 + x1) / 2 - 112) < 8 and abs((y0 + y1) / 2 - 56) < 8 and 40 < x1 - x0 < 70
    assert detect_face_box(np.full_like(photo, 128)) is None  # no face: None, and the converter falls back


def test_mug_conversion_crops_the_detected_face(tmp_path):
    canvas = _astronaut_canvas()
    take = tmp_path / "mug" / "001" / "happiness" / "take000"
    take.mkdir(parents=True)
    for t in range(4):
        cv2.imwrite(str(take / f"img_{t + 1}.png"), cv2.cvtColor(canvas, cv2.COLOR_RGB2BGR))
    summary = importers.convert_mug(tmp_path / "mug", tmp_path / "out", image_size=32, min_frames=4,
                                   progress=False)
    assert "face detected in 1 source(s)" in " ".join(summary.notes)
    (_, _, _, frames), = _all_clips(tmp_path / "out")[0]
    face = crop_resize(canvas, 32, detect_face_box(canvas, 1.4)).astype(float)
    centre = crop_resize(canvas, 32, center_box(360, 480, 0.8)).astype(float)
    assert np.abs(frames[0] - face).mean() < 2 < 20 < np.abs(frames[0] - centre).mean()


def test_mug_neutral_kept_when_requested(mug_tree, tmp_path):
    summary = importers.convert_mug(mug_tree, tmp_path / "out", image_size=SIZE, include_neutral=True,
                                   face_crop=False, progress=False)
    assert load_meta(tmp_path / "out")["classes"] == list(EXPRESSIONS) + ["neutral"]
    assert summary.converted_clips == 11 and "neutral skipped" not in summary.skipped


def test_mug_resume_after_interruption_and_rerun(mug_tree, tmp_path, monkeypatch):
    reference = tmp_path / "reference"
    importers.convert_mug(mug_tree, reference, image_size=SIZE, progress=False)

    import imaginator_lite.data.importers.datasets as datasets
    real_reader, calls = datasets.read_frame_folder, []

    def flaky_reader(*args, **kwargs):
        calls.append(1)
        if len(calls) == 4:
            raise KeyboardInterrupt
        return real_reader(*args, **kwargs)

    out = tmp_path / "out"
    monkeypatch.setattr(datasets, "read_frame_folder", flaky_reader)
    with pytest.raises(KeyboardInterrupt):
        importers.convert_mug(mug_tree, out, image_size=SIZE, progress=False)
    assert not out.exists() and (tmp_path / "out.work").is_dir()  # never a half store
    monkeypatch.setattr(datasets, "read_frame_folder", real_reader)

    resumed = importers.convert_mug(mug_tree, out, image_size=SIZE, progress=False)
    assert resumed.already_done == 3 and resumed.converted_sources == 7
    assert _store_bytes(out) == _store_bytes(reference)
    assert not (tmp_path / "out.work").exists()

    again = importers.convert_mug(mug_tree, out, image_size=SIZE, progress=False)
    assert again.converted_sources == 0 and again.already_done == 10
    assert _store_bytes(out) == _store_bytes(reference)


def test_mug_wrong_layout_and_out_inside_source(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="expected <subject>/<expression>/<takeNNN>"):
        importers.convert_mug(tmp_path / "empty", tmp_path / "out", progress=False)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        importers.convert_mug(tmp_path / "missing", tmp_path / "out", progress=False)
    _write_take(tmp_path / "src" / "001" / "anger" / "take000", 34)
    with pytest.raises(ValueError, match="inside the source tree"):
        importers.convert_mug(tmp_path / "src", tmp_path / "src" / "out", progress=False)


# ----------------------------------------------------------------------------- UvA-NEMO and Weizmann

def _uva_nemo_source(src: Path) -> None:
    """Smiles named <subject>_<class>_smile_<n>, in subfolders too, with a corrupt, a short and an unknown one."""
    for subject in ("001", "002", "003"):
        _write_video(src / f"{subject}_deliberate_smile_1.mp4", 36)
        _write_video(src / "spont" / f"{subject}_spontaneous_smile_2.mp4", 36)
    _write_video(src / "004_posed_smile_1.avi", 36)
    _write_corrupt(src / "005_spontaneous_smile_3.avi")
    _write_video(src / "006_deliberate_smile_1.mp4", 12)
    _write_video(src / "007_laugh_1.mp4", 36)


def _weizmann_source(src: Path) -> None:
    """Actions named <actor>_<action>[n], with a corrupt, a short and an unknown one."""
    for actor in ("daria", "ido", "moshe", "shahar"):
        _write_video(src / f"{actor}_walk.avi", 34)
        _write_video(src / f"{actor}_wave2.avi", 34)
    _write_video(src / "lena_walk1.avi", 34)
    _write_video(src / "lena_run2.avi", 34)
    _write_corrupt(src / "eli_jump.avi")
    _write_video(src / "eli_bend.avi", 8)
    _write_video(src / "eli_dance.avi", 34)


#: (converter, source writer, converted clips, the three skipped files, (class, identity) pairs that must be
#: there, the store's classes)
NAMED_FILE_SETS = {
    "uva_nemo": (importers.convert_uva_nemo, _uva_nemo_source, 7,
                 ("005_spontaneous_smile_3.avi", "006_deliberate_smile_1.mp4", "007_laugh_1.mp4"),
                 {("posed", "004"), ("spontaneous", "002")}, SMILES),
    "weizmann": (importers.convert_weizmann, _weizmann_source, 10, ("eli_jump.avi", "eli_bend.avi", "eli_dance.avi"),
                 {("walk", "lena"), ("run", "lena")}, WEIZMANN_ACTIONS),
}


@pytest.mark.parametrize("dataset", sorted(NAMED_FILE_SETS))
def test_a_set_named_by_file_converts(dataset, tmp_path):
    """Classes and identities from the file names; unreadable, too short and unknown files are skipped by name;
    identities never cross splits; frames stay in time order; the source is never touched."""
    convert, write_source, converted, (unreadable, short, unknown), pairs, classes = NAMED_FILE_SETS[dataset]
    src = tmp_path / dataset
    write_source(src)
    summary = _convert_read_only(convert, src, tmp_path / "out", image_size=SIZE)
    assert summary.converted_clips == converted
    assert summary.skipped["unreadable"] == [unreadable]
    assert summary.skipped["too short"] == [short]
    assert summary.skipped["unknown class"] == [unknown]
    clips, per_split = _all_clips(tmp_path / "out")
    _assert_identity_disjoint(per_split)
    assert pairs <= {(c[0], c[1]) for c in clips}
    assert load_meta(tmp_path / "out")["classes"] == list(classes)
    for clip in clips:
        _assert_time_ordered(clip[3])
    ds = ClipDataset(tmp_path / "out", "train", frames=32)
    assert ds[0][0].shape == (3, 32, SIZE, SIZE)


def test_uva_nemo_stride_halves_the_frames(tmp_path):
    _uva_nemo_source(tmp_path / "nemo")
    half = importers.convert_uva_nemo(tmp_path / "nemo", tmp_path / "out", image_size=SIZE, stride=2, min_frames=16,
                                      face_crop=False, progress=False)
    assert half.converted_clips == 7
    assert {len(c[3]) for c in _all_clips(tmp_path / "out")[0]} == {18}


# ----------------------------------------------------------------------------- NATOPS

def test_natops_conversion_with_segments(tmp_path):
    src = tmp_path / "natops"
    for name in ("g01s01", "g02s01", "g01s02", "g02s03", "g03s01"):
        _write_video(src / f"{name}.avi", 60)
    _write_corrupt(src / "g01s04.avi")
    (src / "segmentation.txt").write_text(
        "# gesture subject rep start end\n"
        "g01 s01 1 0 33\n g01 s01 2 20 59\n"
        "g02,s01,1,5,40\n"
        "g01 s02 1 0 35\n"
        "g02 s03 1 10 59\n g02 s03 2 50 99\n"
        "g01 s04 1 0 40\n")
    summary = _convert_read_only(importers.convert_natops, src, tmp_path / "out", image_size=SIZE)
    assert summary.converted_clips == 4
    assert summary.skipped["no segments"] == ["g03s01.avi"]
    assert summary.skipped["segment outside video"] == ["g02s03.avi"]
    assert summary.skipped["unreadable"] == ["g01s04.avi"]
    clips, per_split = _all_clips(tmp_path / "out")
    _assert_identity_disjoint(per_split)
    by_source = {c[2]: c for c in clips}
    assert set(by_source) == {"g01s01.avi#rep01", "g01s01.avi#rep02", "g02s01.avi#rep01", "g01s02.avi#rep01"}
    assert by_source["g02s01.avi#rep01"][0] == "g02" and by_source["g02s01.avi#rep01"][1] == "s01"
    assert len(by_source["g01s01.avi#rep02"][3]) == 40
    first = by_source["g01s01.avi#rep02"][3][0].mean()
    assert abs(first - 4 * 20) < 6  # the segment starts at source frame 20
    assert load_meta(tmp_path / "out")["classes"] == list(NATOPS_GESTURES)
    with pytest.raises(FileNotFoundError, match="gXX sYY rep start end"):
        importers.convert_natops(src, tmp_path / "o3", segments=tmp_path / "none.txt", progress=False)
    (tmp_path / "bad.txt").write_text("g01 s01 oops\n")
    with pytest.raises(ValueError, match="bad.txt:1"):
        importers.convert_natops(src, tmp_path / "o4", segments=tmp_path / "bad.txt", progress=False)


# ----------------------------------------------------------------------------- generic folders

def test_folder_conversion_videos_and_frame_folders(tmp_path):
    src = tmp_path / "folder"
    _write_video(src / "clap" / "p1_a.avi", 34)
    _write_video(src / "clap" / "p2_a.mp4", 34)
    _write_take(src / "nod" / "p1_b", 34)
    _write_take(src / "nod" / "p3_b", 34)
    _write_video(src / "nod" / "p2_short.avi", 5)
    _write_corrupt(src / "nod" / "p4_bad.avi")
    (src / "nod" / "notes.txt").write_text("ignored")
    summary = _convert_read_only(importers.convert_folder, src, tmp_path / "out", image_size=SIZE,
                                 identity_pattern=r"^(p\d+)_")
    assert summary.converted_clips == 4
    assert summary.skipped["too short"] == ["nod/p2_short.avi"]
    assert summary.skipped["unreadable"] == ["nod/p4_bad.avi"]
    clips, per_split = _all_clips(tmp_path / "out")
    _assert_identity_disjoint(per_split)
    assert {c[1] for c in clips} == {"p1", "p2", "p3"}
    assert load_meta(tmp_path / "out")["classes"] == ["clap", "nod"]
    only = importers.convert_folder(src, tmp_path / "out2", classes=["nod"], image_size=SIZE, progress=False)
    assert only.skipped["unknown class"] == ["clap/p1_a.avi", "clap/p2_a.mp4"]
    with pytest.raises(ValueError, match="<class>/<video file or folder"):
        (tmp_path / "flat").mkdir()
        _write_video(tmp_path / "flat" / "x.avi", 3)
        importers.convert_folder(tmp_path / "flat", tmp_path / "out3", progress=False)


# ----------------------------------------------------------------------------- scripts and CLI

def _load_script(name):
    spec = importlib.util.spec_from_file_location(name, REPO / "data_scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", SCRIPTS)
def test_script_help_in_process(name, capsys):
    with pytest.raises(SystemExit) as exit_info:
        _load_script(name).main(["--help"])
    assert exit_info.value.code == 0
    assert "--out" in capsys.readouterr().out


def test_script_help_as_subprocess():
    result = subprocess.run([sys.executable, str(REPO / "data_scripts" / "convert_weizmann.py"), "--help"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "--min-frames" in result.stdout


def test_script_main_converts_and_reports_errors(tmp_path, capsys):
    src = tmp_path / "w"
    _write_video(src / "daria_walk.avi", 34)
    _write_video(src / "ido_run.avi", 34)
    script = _load_script("convert_weizmann")
    assert script.main([str(src), "--out", str(tmp_path / "out"), "--size", "16", "--no-progress"]) == 0
    assert "converted 2 source(s)" in capsys.readouterr().out
    (tmp_path / "empty").mkdir()
    assert script.main([str(tmp_path / "empty"), "--out", str(tmp_path / "o2")]) == 2
    assert "expected <actor>_<action>.avi" in capsys.readouterr().err


def test_cli_data_group(tmp_path, capsys):
    import argparse

    from imaginator_lite.cli import data as cli_data
    from imaginator_lite.cli.main import main

    parser = argparse.ArgumentParser(prog="imaginator-lite")
    cli_data.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["data", "synth", "--kind", "actions", "--out", str(tmp_path / "s"), "--size", "32",
                              "--frames", "8", "--identities", "4", "--no-progress"])
    assert args.func(args) == 0
    args = parser.parse_args(["data", "info", str(tmp_path / "s")])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert "walk, run, jump, wave1, wave2, bend" in out and "train" in out
    assert main(["data", "info", str(tmp_path / "missing")]) == 2
    assert "imaginator-lite data synth" in capsys.readouterr().err
    _write_video(tmp_path / "w" / "daria_walk.avi", 34)
    args = parser.parse_args(["data", "convert", "weizmann", str(tmp_path / "w"), "--out", str(tmp_path / "c"),
                              "--size", "16", "--no-progress"])
    assert args.func(args) == 0
    synth = _load_script("make_synthetic")
    assert synth.main(["--out", str(tmp_path / "m"), "--size", "32", "--frames", "8", "--identities", "3",
                       "--no-progress"]) == 0
    assert load_meta(tmp_path / "m")["classes"] == list(EXPRESSIONS)


# ----------------------------------------------------------------------------- shared options

def test_one_options_object_gives_the_same_store_as_keywords(tmp_path):
    """ConvertOptions carries what every converter shares; keywords override it; both give the same store."""
    src = tmp_path / "weizmann"
    for actor in ("daria", "ido", "moshe", "shahar"):
        _write_video(src / f"{actor}_walk.avi", 20)
    options = importers.ConvertOptions(image_size=SIZE, min_frames=8, stride=2, seed=3, progress=False)
    by_options = importers.convert_weizmann(src, tmp_path / "a", options)
    by_keywords = importers.convert_weizmann(src, tmp_path / "b", image_size=SIZE, min_frames=8, stride=2, seed=3,
                                             progress=False)
    assert by_options.converted_clips == by_keywords.converted_clips == 4
    (a, split_a), (b, split_b) = _all_clips(tmp_path / "a"), _all_clips(tmp_path / "b")
    assert split_a == split_b and [c[:3] for c in a] == [c[:3] for c in b]
    assert all(np.array_equal(x[3], y[3]) for x, y in zip(a, b))
    overridden = importers.convert_weizmann(src, tmp_path / "c", options, min_frames=11)
    assert overridden.skipped["too short"] == sorted(f"{a}_walk.avi" for a in ("daria", "ido", "moshe", "shahar"))


def test_converter_options_that_do_not_apply_are_refused_by_name(tmp_path):
    src = tmp_path / "weizmann"
    _write_video(src / "daria_walk.avi", 20)
    with pytest.raises(TypeError, match="unknown converter option.*image_sise.*valid: .*image_size"):
        importers.convert_weizmann(src, tmp_path / "out", image_sise=SIZE)
    with pytest.raises(ValueError, match="Weizmann .* does not use face_crop"):
        importers.convert_weizmann(src, tmp_path / "out", face_crop=True)
    with pytest.raises(ValueError, match="MUG .* does not use fps"):
        importers.convert_mug(src, tmp_path / "out", fps=10)
    with pytest.raises(ValueError, match="stride must be >= 1"):
        importers.ConvertOptions(stride=0)
    assert not (tmp_path / "out").exists()
